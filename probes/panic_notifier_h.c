// SPDX-License-Identifier: GPL-2.0
/* panic_notifier_list moved to <linux/panic_notifier.h> in 5.14. */
#include <linux/panic_notifier.h>
int pgc_probe(void);
int pgc_probe(void) { return panic_notifier_list.head != NULL; }
