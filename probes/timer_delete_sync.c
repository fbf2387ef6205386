// SPDX-License-Identifier: GPL-2.0
/* timer_delete_sync() (v6.2+, also in some 6.1 stable releases). */
#include <linux/timer.h>
int pgc_probe(struct timer_list *t);
int pgc_probe(struct timer_list *t) { return timer_delete_sync(t); }
