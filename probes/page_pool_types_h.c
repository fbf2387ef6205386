// SPDX-License-Identifier: GPL-2.0
/* <net/page_pool/types.h> (v6.6+; before, <net/page_pool.h>). */
#include <net/page_pool/types.h>
#include <linux/stddef.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page_pool, p); }
