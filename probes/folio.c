// SPDX-License-Identifier: GPL-2.0
/* struct folio (v5.16+). */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return sizeof(struct folio); }
