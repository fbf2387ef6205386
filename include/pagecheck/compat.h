/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions and features differ. Everything below
 * is driven by pagecheck_config.h (scripts/feature-probes.sh) and by the
 * target kernel's own header macros; src/ only sees pgc_* names.
 */
#ifndef PAGECHECK_COMPAT_H
#define PAGECHECK_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/page-flags.h>
#include <linux/poison.h>
#include <linux/preempt.h>
#include <linux/memcontrol.h>
#include <linux/build_bug.h>
#include <linux/bits.h>
#include <linux/log2.h>
#include "pagecheck_config.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "pagecheck supports Linux 5.10 and newer"
#endif

/* --- page flags ---------------------------------------------------------- */

static inline unsigned long pgc_raw_flags(const struct page *page)
{
#ifdef PGC_HAVE_PAGE_FLAGS_F
	return READ_ONCE(page->flags.f);
#else
	return READ_ONCE(page->flags);
#endif
}

/* The flags word itself, for test code that must set or clear bits. */
#ifdef PGC_HAVE_PAGE_FLAGS_F
#define pgc_flags_word(page)	(&(page)->flags.f)
#else
#define pgc_flags_word(page)	(&(page)->flags)
#endif

/* Flags free_pages_prepare() clears on the head before it checks. */
#ifdef PGC_HAVE_PAGE_MLOCK_COUNT
#define PGC_HEAD_FLAGS_CLEARED_AT_FREE	__PG_MLOCKED
#else
#define PGC_HEAD_FLAGS_CLEARED_AT_FREE	0UL
#endif

#define PGC_HEAD_CHECK_FLAGS \
	(PAGE_FLAGS_CHECK_AT_FREE & ~PGC_HEAD_FLAGS_CLEARED_AT_FREE)

/* Flags free_pages_prepare() clears on page[1] of a compound free. */
#ifdef PAGE_FLAGS_SECOND
#define PGC_SECOND_FLAGS_CLEARED_AT_FREE	PAGE_FLAGS_SECOND
#else
#define PGC_SECOND_FLAGS_CLEARED_AT_FREE	0UL
#endif

static inline bool pgc_flags_hwpoison(unsigned long flags)
{
#ifdef CONFIG_MEMORY_FAILURE
	return flags & (1UL << PG_hwpoison);
#else
	return false;
#endif
}

static inline bool pgc_flags_head(unsigned long flags)
{
	return flags & (1UL << PG_head);
}

/* --- the word at +8: compound_head, lru.next, pp_magic ------------------- */

#ifdef PGC_HAVE_PAGE_COMPOUND_INFO
#define pgc_compound_word(page)	((page)->compound_info)
#define PGC_COMPOUND_WORD_OFFSET	offsetof(struct page, compound_info)
#else
#define pgc_compound_word(page)	((page)->compound_head)
#define PGC_COMPOUND_WORD_OFFSET	offsetof(struct page, compound_head)
#endif

/*
 * _mapcount and _refcount as one raw word (little-endian x86_64): a page
 * fit to free reads 0x00000000ffffffff (mapcount -1, refcount 0).
 */
static_assert(offsetof(struct page, _refcount) ==
	      offsetof(struct page, _mapcount) + sizeof(int));
static_assert(offsetof(struct page, _mapcount) % sizeof(u64) == 0);
#define PGC_COUNT_WORD_CLEAN	0x00000000ffffffffULL

static inline u64 pgc_raw_count_word(const struct page *page)
{
	return READ_ONCE(*(const u64 *)&page->_mapcount);
}

/* Plain reads for the hot filter only (see pgc_free_maybe_bad()). */
#ifdef PGC_HAVE_PAGE_FLAGS_F
#define pgc_peek_flags(page)		((page)->flags.f)
#else
#define pgc_peek_flags(page)		((page)->flags)
#endif
#define pgc_peek_count_word(page)	(*(const u64 *)&(page)->_mapcount)
#define pgc_peek_head_word(page)	(pgc_compound_word(page))

static inline unsigned long pgc_raw_head_word(const struct page *page)
{
	return READ_ONCE(pgc_compound_word(page));
}

static inline bool pgc_head_word_is_tail(unsigned long word)
{
	return word & 1;
}

/* What compound_head() would return for a page whose +8 word is @word. */
static inline unsigned long pgc_head_word_to_head(unsigned long word,
						  const struct page *self)
{
#ifdef PGC_HAVE_PAGE_COMPOUND_INFO
	if (compound_info_has_mask())	/* tail: the word is a mask | 1 */
		return (unsigned long)self & (((word & 1) - 1) | word);
#endif
	return (word & 1) ? word - 1 : (unsigned long)self;
}

/* The +8 word of a tail of an order-@order folio at @head (set_compound_head()). */
static inline unsigned long pgc_tail_word(const struct page *head,
					  unsigned int order)
{
#ifdef PGC_HAVE_PAGE_COMPOUND_INFO
	if (compound_info_has_mask())
		return GENMASK(BITS_PER_LONG - 1,
			       order_base_2(sizeof(struct page)) + order) | 1;
#endif
	return (unsigned long)head + 1;
}

#if defined(PP_MAGIC_MASK) && defined(PP_SIGNATURE) && IS_ENABLED(CONFIG_PAGE_POOL)
#define PGC_RULE_PAGE_POOL 1
static inline bool pgc_pp_signature(unsigned long word)
{
	return (word & PP_MAGIC_MASK) == PP_SIGNATURE;
}
#else
#define PGC_RULE_PAGE_POOL 0
static inline bool pgc_pp_signature(unsigned long word)
{
	return false;
}
#endif

/* --- mapping ------------------------------------------------------------- */

/*
 * free_pages_prepare() drops anon/movable/KSM mappings without a report;
 * since PAGE_MAPPING_MOVABLE is gone, only anon (and KSM, which is anon).
 */
#ifdef FOLIO_MAPPING_ANON
#define PGC_MAPPING_ANON		FOLIO_MAPPING_ANON
#define PGC_MAPPING_CLEARED_BITS	FOLIO_MAPPING_ANON
#else
#define PGC_MAPPING_ANON		PAGE_MAPPING_ANON
#define PGC_MAPPING_CLEARED_BITS	PAGE_MAPPING_FLAGS
#endif

/* --- memcg --------------------------------------------------------------- */

static inline unsigned long pgc_raw_memcg(const struct page *page)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEMCG_DATA)
	return READ_ONCE(page->memcg_data);
#elif defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	return (unsigned long)READ_ONCE(page->mem_cgroup);
#else
	return 0;
#endif
}

/* kmem pages are uncharged by free_pages_prepare() after the tracepoint. */
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEMCG_DATA)
#define pgc_peek_memcg(page)	((page)->memcg_data)
#define pgc_memcg_word(page)	(&(page)->memcg_data)
#define PGC_MEMCG_OFFSET	offsetof(struct page, memcg_data)
#define PGC_MEMCG_KMEM_TAG	MEMCG_DATA_KMEM
#elif defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
#define pgc_peek_memcg(page)	((unsigned long)(page)->mem_cgroup)
#define PGC_MEMCG_OFFSET	offsetof(struct page, mem_cgroup)
#else
#define pgc_peek_memcg(page)	0UL
#endif

static inline bool pgc_memcg_is_kmem(unsigned long memcg_data)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEMCG_DATA)
	return memcg_data & MEMCG_DATA_KMEM;
#else
	return false;
#endif
}

/*
 * Up to 5.10 a kmem charge is the PageKmemcg page type: free_pages_prepare()
 * uncharges it, clears mem_cgroup and resets _mapcount to -1.
 */
static inline bool pgc_type_is_kmemcg(int mapcount)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	return ((unsigned int)mapcount & (PAGE_TYPE_BASE | PG_kmemcg)) ==
		PAGE_TYPE_BASE;
#else
	return false;
#endif
}

/*
 * page[1].memcg_data holds folio->_nr_pages in its low half where
 * NR_PAGES_IN_LARGE_FOLIO is set; free_pages_prepare() zeroes it first.
 */
#ifdef NR_PAGES_IN_LARGE_FOLIO
#define PGC_SECOND_MEMCG_CLEARED_AT_FREE	0xffffffffUL
static_assert(offsetof(struct folio, _nr_pages) ==
	      sizeof(struct page) + offsetof(struct page, memcg_data));
#else
#define PGC_SECOND_MEMCG_CLEARED_AT_FREE	0UL
#endif

/*
 * Since 7.0 free_pages_prepare() resets any page type on the head before it
 * checks (zsmalloc, balloon and offline types are sticky until the free).
 * Not visible in headers; verified on Debian 7.2 and 7.3, absent in 6.12.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#define PGC_HEAD_TYPE_RESET_AT_FREE	1
#else
#define PGC_HEAD_TYPE_RESET_AT_FREE	0
#endif

static inline bool pgc_type_reset_at_free(int mapcount)
{
#if PGC_HEAD_TYPE_RESET_AT_FREE
	return page_type_has_type(mapcount);
#else
	return false;
#endif
}

/* --- page types (held in _mapcount) -------------------------------------- */

static inline bool pgc_type_is_buddy(int mapcount)
{
#if defined(PGC_HAVE_PGTY_BUDDY)
	return ((unsigned int)mapcount >> 24) == PGTY_buddy;
#elif defined(PAGE_TYPE_BASE)
	return ((unsigned int)mapcount & (PAGE_TYPE_BASE | PG_buddy)) ==
		PAGE_TYPE_BASE;
#else
#error "pagecheck: no known PageBuddy encoding"
#endif
}

/* --- compound (folio) fields of page[1] and page[2] ---------------------- */

/*
 * Raw copies of the folio fields free_tail_page(s)_check() looks at.
 * Mapcounts are stored the kernel's way (-1 means none); deferred_next is
 * the raw next pointer and deferred_self the address of the live list head.
 */
struct pgc_folio_snap {
	int mm_mapcount[2];
	int entire_mapcount;
	int large_mapcount;
	int nr_pages_mapped;
	int pincount;
	bool deferred_applies;
	unsigned long deferred_next;
	unsigned long deferred_self;
};

#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
#define PGC_RULE_ENTIRE_MAPCOUNT	1
#define PGC_RULE_PINCOUNT		1
#else
#define PGC_RULE_ENTIRE_MAPCOUNT	0
#define PGC_RULE_PINCOUNT		0
#endif
#define PGC_RULE_LARGE_MAPCOUNT		IS_ENABLED(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
#define PGC_RULE_NR_PAGES_MAPPED	IS_ENABLED(PGC_HAVE_FOLIO_NR_PAGES_MAPPED)
#define PGC_RULE_COMPOUND_MAPCOUNT	IS_ENABLED(PGC_HAVE_PAGE_COMPOUND_MAPCOUNT)
#define PGC_RULE_MM_MAPCOUNT		IS_ENABLED(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT)

/*
 * "on deferred list": the kernel checks list_empty() where the list lives in
 * struct folio. Older kernels never check it; there pagecheck flags a THP
 * whose list is neither empty nor poisoned by free_transhuge_page()'s
 * list_del().
 */
#if defined(PGC_HAVE_FOLIO_DEFERRED_LIST)
#define PGC_DEFERRED_LIST_KERNEL_RULE	1
#elif defined(PGC_HAVE_PAGE_DEFERRED_LIST) && defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define PGC_DEFERRED_LIST_KERNEL_RULE	0
#else
#error "pagecheck: no known deferred-split list layout"
#endif

/* First tail index whose mapping must be TAIL_MAPPING. */
#if defined(PGC_HAVE_FOLIO_HUGETLB_PAGE3) && IS_ENABLED(CONFIG_HUGETLB_PAGE)
#define PGC_TAIL_MAPPING_FIRST	4
#else
#define PGC_TAIL_MAPPING_FIRST	3
#endif

static inline void pgc_read_folio(struct pgc_folio_snap *fs,
				  const struct page *head, unsigned int order)
{
#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
	const struct folio *folio = (const struct folio *)head;

	fs->entire_mapcount = atomic_read(&folio->_entire_mapcount);
#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
	fs->large_mapcount = atomic_read(&folio->_large_mapcount);
#else
	fs->large_mapcount = -1;
#endif
#if defined(PGC_HAVE_FOLIO_NR_PAGES_MAPPED)
	fs->nr_pages_mapped = atomic_read(&folio->_nr_pages_mapped);
#else
	fs->nr_pages_mapped = 0;
#endif
	fs->pincount = atomic_read(&folio->_pincount);
#if defined(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT)
	fs->mm_mapcount[0] = READ_ONCE(folio->_mm_id_mapcount[0]);
	fs->mm_mapcount[1] = READ_ONCE(folio->_mm_id_mapcount[1]);
#else
	fs->mm_mapcount[0] = -1;
	fs->mm_mapcount[1] = -1;
#endif
#elif defined(PGC_HAVE_PAGE_COMPOUND_MAPCOUNT)
	fs->entire_mapcount = atomic_read(&head[1].compound_mapcount);
	fs->mm_mapcount[0] = -1;
	fs->mm_mapcount[1] = -1;
	fs->large_mapcount = -1;
	fs->nr_pages_mapped = 0;
	fs->pincount = 0;
#endif
	fs->deferred_applies = false;
	fs->deferred_next = 0;
	fs->deferred_self = 0;
	if (order < 2)
		return;
#if defined(PGC_HAVE_FOLIO_DEFERRED_LIST)
	fs->deferred_next = (unsigned long)READ_ONCE(folio->_deferred_list.next);
	fs->deferred_self = (unsigned long)&folio->_deferred_list;
	fs->deferred_applies = true;
#else
	fs->deferred_applies = READ_ONCE(head[1].compound_dtor) == TRANSHUGE_PAGE_DTOR;
	fs->deferred_next = (unsigned long)READ_ONCE(head[2].deferred_list.next);
	fs->deferred_self = (unsigned long)&head[2].deferred_list;
#endif
}

/* --- timers (test injector) --------------------------------------------- */

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define pgc_timer_delete_sync(t)	timer_delete_sync(t)
#else
#define pgc_timer_delete_sync(t)	del_timer_sync(t)
#endif

/* --- context ------------------------------------------------------------- */

#ifndef PGC_HAVE_IN_HARDIRQ
#define in_hardirq()	in_irq()
#endif

#endif /* PAGECHECK_COMPAT_H */
