// SPDX-License-Identifier: GPL-2.0
/* struct page::memcg_data with MEMCG_DATA_KMEM (v5.11+). */
#include <linux/mm_types.h>
#include <linux/memcontrol.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, memcg_data) + MEMCG_DATA_KMEM; }
