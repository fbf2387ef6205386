// SPDX-License-Identifier: GPL-2.0
/* struct page::compound_mapcount in page[1] (up to v6.1): "nonzero compound_mapcount". */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, compound_mapcount); }
