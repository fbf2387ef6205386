// SPDX-License-Identifier: GPL-2.0
/* struct folio::_large_mapcount (v6.9+): "nonzero large_mapcount". */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct folio, _large_mapcount); }
