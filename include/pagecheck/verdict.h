/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own checks: its bad_page() verdicts, and whether it checks. */
#ifndef PAGECHECK_VERDICT_H
#define PAGECHECK_VERDICT_H

#include <linux/types.h>

struct pgc_verdict_stats {
	u64 seen;
	u64 agree;
	u64 disagree;
	u64 kernel_only;
};

int pgc_verdict_attach(void);
void pgc_verdict_detach(void);
void pgc_verdict_get_stats(struct pgc_verdict_stats *st);
void pgc_verdict_read_kernel_checks(void);
const char *pgc_verdict_kernel_checks(void);

#endif /* PAGECHECK_VERDICT_H */
