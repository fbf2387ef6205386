// SPDX-License-Identifier: GPL-2.0
/* struct page::mem_cgroup, with kmem charge as the PageKmemcg type (up to v5.10). */
#include <linux/mm_types.h>
#include <linux/page-flags.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, mem_cgroup) + PG_kmemcg; }
