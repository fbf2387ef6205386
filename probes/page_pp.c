// SPDX-License-Identifier: GPL-2.0
/* struct page::pp, the page_pool a page belongs to (v5.14+). */
#include <linux/mm_types.h>
#include <linux/stddef.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, pp); }
