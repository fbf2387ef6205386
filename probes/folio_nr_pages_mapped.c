// SPDX-License-Identifier: GPL-2.0
/* struct folio::_nr_pages_mapped (v6.2+): "nonzero nr_pages_mapped". */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct folio, _nr_pages_mapped); }
