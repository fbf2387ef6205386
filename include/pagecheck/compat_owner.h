/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compat layer, part three: where a page's owner is found, per kernel.
 * Only the report's slow path uses it, on pointers it does not trust: the
 * helpers name fields, they never dereference.
 */
#ifndef PAGECHECK_COMPAT_OWNER_H
#define PAGECHECK_COMPAT_OWNER_H

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/mm_types.h>
#include <linux/netdevice.h>
#include <linux/page-flags.h>
#include "pagecheck/compat.h"
#ifdef PGC_HAVE_PAGE_POOL_TYPES_H
#include <net/page_pool/types.h>
#elif defined(PGC_HAVE_PAGE_PP)
#include <net/page_pool.h>
#endif

/* The tag in the low bits of page->mapping (PGC_MAPPING_ANON: compat.h). */
#ifdef FOLIO_MAPPING_ANON
#define PGC_MAPPING_KSM		FOLIO_MAPPING_KSM
#define PGC_MAPPING_MOVABLE	0	/* 7.x: a page type, not a tag */
#define PGC_MAPPING_FLAGS	FOLIO_MAPPING_FLAGS
#else
#define PGC_MAPPING_KSM		PAGE_MAPPING_KSM
#define PGC_MAPPING_MOVABLE	PAGE_MAPPING_MOVABLE
#define PGC_MAPPING_FLAGS	PAGE_MAPPING_FLAGS
#endif

/* The dentry whose alias-list node is @node. */
#ifdef PGC_HAVE_DENTRY_D_U_ALIAS
#define pgc_alias_dentry(node)	container_of(node, struct dentry, d_u.d_alias)
#else
#define pgc_alias_dentry(node)	container_of(node, struct dentry, d_alias)
#endif

/* The address of a kernfs node's parent pointer. */
#ifdef PGC_HAVE_KERNFS_NODE_PARENT
#define pgc_kn_parent_field(kn)	(&(kn)->parent)
#else
#define pgc_kn_parent_field(kn)	((struct kernfs_node **)&(kn)->__parent)
#endif
#define pgc_kn_name_field(kn)	((const char **)&(kn)->name)

/* Is a page with these raw words a slab page? */
static inline bool pgc_raw_slab(unsigned long flags, int mapcount)
{
#if defined(PGC_HAVE_PGTY_SLAB)
	return ((unsigned int)mapcount >> 24) == PGTY_slab;
#elif defined(PGC_HAVE_PG_SLAB)
	return flags & BIT(PG_slab);
#else
	return false;
#endif
}

/* The address of page->pp, or NULL where pages do not point at a pool. */
static inline const void *pgc_page_pool_field(const struct page *page)
{
#ifdef PGC_HAVE_PAGE_PP
	return &page->pp;
#else
	return NULL;
#endif
}

#ifdef PGC_HAVE_PAGE_PP
#define PGC_HAVE_POOL_OWNER 1
/* The pool's device: every page_pool kernel has it. */
static inline struct device **pgc_pool_device_field(struct page_pool *pool)
{
	return &pool->p.dev;
}
#endif

#ifdef PGC_HAVE_PAGE_POOL_SLOW_NETDEV
/* The pool's net device, where the pool keeps one (6.8+). */
static inline struct net_device **pgc_pool_netdev_field(struct page_pool *pool)
{
	return &pool->slow.netdev;
}
#endif

#endif /* PAGECHECK_COMPAT_OWNER_H */
