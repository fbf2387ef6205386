// SPDX-License-Identifier: GPL-2.0
/* struct page::mlock_count (v5.18 munlock rework): the same series made
 * free_pages_prepare() clear PG_mlocked before checking the flags.
 */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, mlock_count); }
