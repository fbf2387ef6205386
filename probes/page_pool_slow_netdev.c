// SPDX-License-Identifier: GPL-2.0
/* struct page_pool::slow.netdev, the pool's net device (v6.8+). */
#include <net/page_pool/types.h>
#include <linux/stddef.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page_pool, slow.netdev); }
