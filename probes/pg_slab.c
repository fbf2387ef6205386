// SPDX-License-Identifier: GPL-2.0
/* PG_slab, a page flag (up to v6.9; then a page type). */
#include <linux/page-flags.h>
int pgc_probe(void);
int pgc_probe(void) { return PG_slab; }
