// SPDX-License-Identifier: GPL-2.0
/* in_hardirq() (v5.11+). */
#include <linux/preempt.h>
int pgc_probe(void);
int pgc_probe(void) { return in_hardirq(); }
