// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy munlock's mlock_count in struct folio (6.1+; 7.0 dropped the one in
 * struct page): free_pages_prepare() clears PG_mlocked before it checks.
 * See page_mlock_count.c.
 */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct folio, mlock_count); }
