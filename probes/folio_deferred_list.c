// SPDX-License-Identifier: GPL-2.0
/* struct folio::_deferred_list (v6.2+): "on deferred list" checked with
 * list_empty() on page[2].
 */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct folio, _deferred_list); }
