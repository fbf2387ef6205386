// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy munlock (v5.18): a page may reach the free with PG_mlocked set, and
 * free_pages_prepare() clears it before it checks the flags. Its witness
 * is the mlock_count the rework keeps: in struct page up to 6.x, and in
 * struct folio (folio_mlock_count.c) from 6.1 on, only there since 7.0.
 */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, mlock_count); }
