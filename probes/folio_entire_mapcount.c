// SPDX-License-Identifier: GPL-2.0
/* struct folio::_entire_mapcount (v6.2+): free_tail_page(s)_check tests
 * entire_mapcount, nr_pages_mapped and pincount in page[1].
 */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct folio, _entire_mapcount); }
