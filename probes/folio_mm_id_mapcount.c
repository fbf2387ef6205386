// SPDX-License-Identifier: GPL-2.0
/* struct folio::_mm_id_mapcount (CONFIG_MM_ID): "nonzero mm mapcount 0/1". */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct folio, _mm_id_mapcount); }
