/* SPDX-License-Identifier: GPL-2.0 */
/* /sys/kernel/debug/pagecheck/: reports, reports.json and stats. */
#ifndef PAGECHECK_DEBUGFS_H
#define PAGECHECK_DEBUGFS_H

void pgc_debugfs_init(void);
void pgc_debugfs_exit(void);

#endif /* PAGECHECK_DEBUGFS_H */
