// SPDX-License-Identifier: GPL-2.0
/* PGTY_slab in the top byte of page_type (v6.12+). */
#include <linux/page-flags.h>
int pgc_probe(void);
int pgc_probe(void) { return PGTY_slab; }
