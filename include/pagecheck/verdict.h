/* SPDX-License-Identifier: GPL-2.0 */
/* kernel_verdict=1: the kernel's own bad_page() verdict on our reports. */
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

#endif /* PAGECHECK_VERDICT_H */
