// SPDX-License-Identifier: GPL-2.0
/* struct page::compound_info replaces compound_head; with HVO it may hold a
 * mask rather than a pointer (see compound_info_has_mask()).
 */
#include <linux/mm_types.h>
#include <linux/page-flags.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, compound_info) + compound_info_has_mask(); }
