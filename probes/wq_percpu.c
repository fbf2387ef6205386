// SPDX-License-Identifier: GPL-2.0
/*
 * WQ_PERCPU (6.17+): a per-CPU workqueue says so; from 7.0 on one that
 * names neither WQ_PERCPU nor WQ_UNBOUND is warned about.
 */
#include <linux/workqueue.h>
int pgc_probe(void);
int pgc_probe(void) { return WQ_PERCPU; }
