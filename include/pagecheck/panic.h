/* SPDX-License-Identifier: GPL-2.0 */
/* On any panic, the latest reports as JSON lines on the console. */
#ifndef PAGECHECK_PANIC_H
#define PAGECHECK_PANIC_H

#include <linux/types.h>

#define PGC_PANIC_REPORTS_MAX	64

int pgc_panic_init(void);
void pgc_panic_exit(void);
size_t pgc_panic_bytes(void);

#endif /* PAGECHECK_PANIC_H */
