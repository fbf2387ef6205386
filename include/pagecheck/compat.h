/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compat layer for struct page: the one place where kernel versions,
 * features and architectures differ. Driven by pagecheck_config.h (the
 * build-time feature probes in probes/) and the target kernel's own header
 * macros; src/ only sees pgc_* names. Every read of a live page goes
 * through the pgc_page_*() accessors below: plain loads marked data_race(),
 * never an accessor that can VM_BUG_ON on the audited page, and nothing
 * that depends on byte order.
 */
#ifndef PAGECHECK_COMPAT_H
#define PAGECHECK_COMPAT_H

#include <linux/version.h>
#include <linux/compiler.h>
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
#include "pagecheck/report.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "pagecheck supports Linux 5.10 and newer"
#endif

/* --- raw words of a live page -------------------------------------------- */

#ifdef PGC_HAVE_PAGE_FLAGS_F
#define pgc_flags_field(page)	((page)->flags.f)
#else
#define pgc_flags_field(page)	((page)->flags)
#endif

#ifdef PGC_HAVE_PAGE_COMPOUND_INFO
#define pgc_head_word_field(page)	((page)->compound_info)
#else
#define pgc_head_word_field(page)	((page)->compound_head)
#endif

static __always_inline unsigned long pgc_page_flags(const struct page *page)
{
	return data_race(pgc_flags_field(page));
}

/* The word at the offset of compound_head: also lru.next and pp_magic. */
static __always_inline unsigned long pgc_page_head_word(const struct page *page)
{
	return data_race(pgc_head_word_field(page));
}

static __always_inline unsigned long pgc_page_mapping(const struct page *page)
{
	return (unsigned long)data_race(page->mapping);
}

static __always_inline int pgc_page_mapcount(const struct page *page)
{
	return data_race(page->_mapcount.counter);
}

static __always_inline int pgc_page_refcount(const struct page *page)
{
	return data_race(page->_refcount.counter);
}

static __always_inline unsigned long pgc_page_memcg(const struct page *page)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEMCG_DATA)
	return data_race(page->memcg_data);
#elif defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	return (unsigned long)data_race(page->mem_cgroup);
#else
	return 0;
#endif
}

/* --- page flags ---------------------------------------------------------- */

/*
 * Flags free_pages_prepare() clears on the head before it checks: since
 * lazy munlock (its mlock_count in struct page or struct folio), PG_mlocked.
 */
#if defined(PGC_HAVE_PAGE_MLOCK_COUNT) || defined(PGC_HAVE_FOLIO_MLOCK_COUNT)
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

static __always_inline bool pgc_flags_hwpoison(unsigned long flags)
{
#ifdef CONFIG_MEMORY_FAILURE
	return flags & (1UL << PG_hwpoison);
#else
	return false;
#endif
}

static __always_inline bool pgc_flags_head(unsigned long flags)
{
	return flags & (1UL << PG_head);
}

/* --- the word at +8: compound_head, lru.next, pp_magic ------------------- */

static __always_inline bool pgc_head_word_is_tail(unsigned long word)
{
	return word & 1;
}

/* What compound_head() would return for a page whose head word is @word. */
static __always_inline unsigned long pgc_head_word_to_head(unsigned long word,
							   const struct page *self)
{
#ifdef PGC_HAVE_PAGE_COMPOUND_INFO
	if (compound_info_has_mask())	/* tail: the word is a mask | 1 */
		return (unsigned long)self & (((word & 1) - 1) | word);
#endif
	return (word & 1) ? word - 1 : (unsigned long)self;
}

/*
 * The head word of every tail of a folio of pages [@head, @end): the
 * head's address + 1, or with compound_info masks, the mask of the
 * folio's struct pages + 1 (set_compound_head()).
 */
static __always_inline unsigned long pgc_tail_word(const void *head,
						   const void *end)
{
#ifdef PGC_HAVE_PAGE_COMPOUND_INFO
	if (compound_info_has_mask())
		return ((unsigned long)head - (unsigned long)end) | 1;
#endif
	return (unsigned long)head + 1;
}

/*
 * page_pool signs its pages in pp_magic (v5.14+, PP_SIGNATURE) and clears
 * the signature before it gives a page back to the allocator. The rule
 * is always applied where the kernel has its own check (PP_MAGIC_MASK
 * came with it in Debian's kernels). Before that (6.1) its two
 * instructions a free broke the hot path's budget, so it is opt-in
 * (page_pool_rule=1), with page_pool's own mask of the two low bits
 * (docs/rules.md).
 */
#if defined(PP_SIGNATURE) && IS_ENABLED(CONFIG_PAGE_POOL)
#ifdef PP_MAGIC_MASK
#define PGC_RULE_PAGE_POOL 1
#define PGC_PAGE_POOL_OPT_IN 0
#define PGC_PP_MAGIC_MASK PP_MAGIC_MASK
#else
#define PGC_RULE_PAGE_POOL 0
#define PGC_PAGE_POOL_OPT_IN 1
#define PGC_PP_MAGIC_MASK (~0x3UL)
#endif
static __always_inline bool pgc_pp_signature(unsigned long word)
{
	return (word & PGC_PP_MAGIC_MASK) == PP_SIGNATURE;
}
#else
#define PGC_RULE_PAGE_POOL 0
#define PGC_PAGE_POOL_OPT_IN 0
static __always_inline bool pgc_pp_signature(unsigned long word)
{
	return false;
}
#endif

/*
 * watch=: wide kernel breakpoints. x86's trap after the write. arm64's
 * trap before it, and the kernel steps over the write only for perf's own
 * handler: pagecheck points the CPU's watchpoint away and back
 * (pgc_bp_point_at()), around a breakpoint on the next instruction.
 */
#if defined(CONFIG_HAVE_HW_BREAKPOINT) && defined(CONFIG_X86_64)
#define PGC_HAVE_WATCH 1
#define PGC_WATCH_TRAPS_BEFORE 0
static inline const char *pgc_watch_cpu_refuses(void)
{
	return NULL;
}
#elif defined(CONFIG_HAVE_HW_BREAKPOINT) && defined(CONFIG_ARM64)
#include <linux/atomic.h>
#include <linux/hw_breakpoint.h>
#include <linux/irqflags.h>
#define PGC_HAVE_WATCH 1
#define PGC_WATCH_TRAPS_BEFORE 1
#define PGC_INSN_SIZE 4			/* every A64 instruction */

#if defined(PGC_HAVE_SYSTEM_USES_LSE_ATOMICS)
#define pgc_cpu_has_lse()	system_uses_lse_atomics()
#elif defined(PGC_HAVE_ALTERNATIVE_HAS_CAP)
#define pgc_cpu_has_lse()	alternative_has_cap_likely(ARM64_HAS_LSE_ATOMICS)
#else
#define pgc_cpu_has_lse()	false
#endif

/* An exclusive store (LL/SC) that traps fails, and is retried for ever. */
static inline const char *pgc_watch_cpu_refuses(void)
{
	return pgc_cpu_has_lse() ? NULL :
	       "this CPU has no LSE atomics: a watched exclusive store would never complete";
}

/*
 * Point this CPU's breakpoint @bp at @addr: uninstalled, moved and
 * installed again, so that the perf core's view of the slots stays whole.
 */
static inline void pgc_bp_point_at(struct perf_event *bp, unsigned long addr)
{
	unsigned long flags;

	local_irq_save(flags);
	bp->pmu->del(bp, 0);
	counter_arch_bp(bp)->address = addr;
	bp->pmu->add(bp, PERF_EF_START);
	local_irq_restore(flags);
}
#else
#define PGC_HAVE_WATCH 0
#define PGC_WATCH_TRAPS_BEFORE 0
static inline const char *pgc_watch_cpu_refuses(void)
{
	return NULL;
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

/* kmem pages are uncharged by free_pages_prepare() after the tracepoint. */
static __always_inline bool pgc_memcg_is_kmem(unsigned long memcg_data)
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
static __always_inline bool pgc_type_is_kmemcg(int mapcount)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	return ((unsigned int)mapcount & (PAGE_TYPE_BASE | PG_kmemcg)) ==
		PAGE_TYPE_BASE;
#else
	return false;
#endif
}

/* What the uncharge leaves: the type bit set again (-1 unless corrupted). */
static __always_inline int pgc_type_clear_kmemcg(int mapcount)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	return (int)((unsigned int)mapcount | PG_kmemcg);
#else
	return mapcount;
#endif
}

/*
 * page[1].memcg_data holds folio->_nr_pages (an unsigned int at the
 * word's address) where NR_PAGES_IN_LARGE_FOLIO is set; free_pages_prepare()
 * zeroes it first. It is the word's low half on a little-endian machine,
 * the high half on a big-endian one (s390).
 */
#ifdef NR_PAGES_IN_LARGE_FOLIO
#ifdef CONFIG_CPU_BIG_ENDIAN
#define PGC_SECOND_MEMCG_CLEARED_AT_FREE	((unsigned long)U32_MAX << 32)
#else
#define PGC_SECOND_MEMCG_CLEARED_AT_FREE	((unsigned long)U32_MAX)
#endif
static_assert(offsetof(struct folio, _nr_pages) ==
	      sizeof(struct page) + offsetof(struct page, memcg_data));
static_assert(sizeof(((struct folio *)0)->_nr_pages) == sizeof(u32));
#else
#define PGC_SECOND_MEMCG_CLEARED_AT_FREE	0UL
#endif

/* --- page types (held in _mapcount) -------------------------------------- */

/*
 * Since 7.0 free_pages_prepare() resets any page type on the head before it
 * checks (zsmalloc, balloon and offline types are sticky until the free).
 * No header shows it; verified on Debian 7.2 and 7.3, absent in 6.12.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#define PGC_HEAD_TYPE_RESET_AT_FREE	1
#else
#define PGC_HEAD_TYPE_RESET_AT_FREE	0
#endif

static __always_inline bool pgc_type_reset_at_free(int mapcount)
{
#if PGC_HEAD_TYPE_RESET_AT_FREE
	return page_type_has_type(mapcount);
#else
	return false;
#endif
}

static __always_inline bool pgc_type_is_buddy(int mapcount)
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

#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
#define PGC_RULE_ENTIRE_MAPCOUNT	1
#define PGC_RULE_PINCOUNT		1
#else
#define PGC_RULE_ENTIRE_MAPCOUNT	0
#define PGC_RULE_PINCOUNT		0
#endif
#define PGC_RULE_LARGE_MAPCOUNT		IS_ENABLED(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
#define PGC_RULE_COMPOUND_MAPCOUNT	IS_ENABLED(PGC_HAVE_PAGE_COMPOUND_MAPCOUNT)
/*
 * 7.x keeps these fields in every build, but maintains and checks them only
 * with CONFIG_PAGE_MAPCOUNT (its choice CONFIG_NO_PAGE_MAPCOUNT came with
 * it) and CONFIG_MM_ID.
 */
#define PGC_RULE_NR_PAGES_MAPPED \
	(IS_ENABLED(PGC_HAVE_FOLIO_NR_PAGES_MAPPED) && !IS_ENABLED(CONFIG_NO_PAGE_MAPCOUNT))
#define PGC_RULE_MM_MAPCOUNT \
	(IS_ENABLED(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT) && IS_ENABLED(CONFIG_MM_ID))

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

/*
 * The folio fields of a compound free at @head, read without accessors;
 * @nr: its pages, or any lower bound above 2 when only page[1] is read.
 */
static __always_inline void pgc_page_folio(struct pgc_folio_snap *fs,
					   const struct page *head,
					   unsigned long nr)
{
#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
	const struct folio *folio = (const struct folio *)head;

	fs->entire_mapcount = data_race(folio->_entire_mapcount.counter);
#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
	fs->large_mapcount = data_race(folio->_large_mapcount.counter);
#else
	fs->large_mapcount = -1;
#endif
#if defined(PGC_HAVE_FOLIO_NR_PAGES_MAPPED)
	fs->nr_pages_mapped = data_race(folio->_nr_pages_mapped.counter);
#else
	fs->nr_pages_mapped = 0;
#endif
	fs->pincount = data_race(folio->_pincount.counter);
#if defined(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT)
	fs->mm_mapcount0 = data_race(folio->_mm_id_mapcount[0]);
	fs->mm_mapcount1 = data_race(folio->_mm_id_mapcount[1]);
#else
	fs->mm_mapcount0 = -1;
	fs->mm_mapcount1 = -1;
#endif
#elif defined(PGC_HAVE_PAGE_COMPOUND_MAPCOUNT)
	fs->entire_mapcount = data_race(head[1].compound_mapcount.counter);
	fs->mm_mapcount0 = -1;
	fs->mm_mapcount1 = -1;
	fs->large_mapcount = -1;
	fs->nr_pages_mapped = 0;
	fs->pincount = 0;
#endif
	/* where the list does not apply, it reads as empty */
#if defined(PGC_HAVE_FOLIO_DEFERRED_LIST)
	fs->deferred_self = (unsigned long)&folio->_deferred_list;
	fs->deferred_next = nr >= 4 ?
		(unsigned long)data_race(folio->_deferred_list.next) :
		fs->deferred_self;
#else
	fs->deferred_self = (unsigned long)&head[2].deferred_list;
	fs->deferred_next = nr >= 4 &&
		data_race(head[1].compound_dtor) == TRANSHUGE_PAGE_DTOR ?
		(unsigned long)data_race(head[2].deferred_list.next) :
		fs->deferred_self;
#endif
}

/* --- orders ------------------------------------------------------------- */

/* The largest order a block can have (MAX_ORDER was exclusive until 6.4). */
#if defined(NR_PAGE_ORDERS)
#define PGC_NR_PAGE_ORDERS	NR_PAGE_ORDERS
#elif defined(MAX_PAGE_ORDER)
#define PGC_NR_PAGE_ORDERS	(MAX_PAGE_ORDER + 1)
#else
#define PGC_NR_PAGE_ORDERS	(MAX_ORDER + 1)	/* an upper bound either way */
#endif

/* --- compiler ------------------------------------------------------------ */

/* Kernels built with INIT_STACK_ALL_ZERO clear locals the filters fill. */
#ifndef __uninitialized
#if __has_attribute(__uninitialized__)
#define __uninitialized	__attribute__((__uninitialized__))
#else
#define __uninitialized
#endif
#endif

/* sparse's conditional lock; 7.x replaced it with its context analysis. */
#ifndef __cond_lock
#define __cond_lock(x, c)	(c)
#endif

/* --- context ------------------------------------------------------------- */

#ifndef PGC_HAVE_IN_HARDIRQ
#define in_hardirq()	in_irq()
#endif

/* --- architecture ------------------------------------------------------- */

/*
 * count_frees defaults on where a per-cpu increment is one instruction
 * (x86: incq %gs:). arm64 and s390 need an atomic read-modify-write and
 * the address of the counter, most of their clean probe.
 */
#ifdef CONFIG_X86
#define PGC_COUNT_FREES_DEFAULT	1
#else
#define PGC_COUNT_FREES_DEFAULT	0
#endif

/*
 * The flags mask the tracepoint probe tests: the constant where it is an
 * immediate operand (x86), else the probe's data pointer (arm64 builds it
 * in three instructions: not a logical immediate).
 */
#ifdef CONFIG_X86
#define pgc_probe_check_flags(data)	PGC_HEAD_CHECK_FLAGS
#else
#define pgc_probe_check_flags(data)	((unsigned long)(data))
#endif

/*
 * Before a word is read again for its exact test: x86 tests memory in one
 * instruction; a load-store architecture would load it twice.
 */
#ifdef CONFIG_X86
#define pgc_reread_barrier()	barrier()
#else
#define pgc_reread_barrier()	do { } while (0)
#endif

/* --- headers that moved -------------------------------------------------- */

#ifdef PGC_HAVE_PANIC_NOTIFIER_H
#include <linux/panic_notifier.h>
#else
#include <linux/kernel.h>		/* panic_notifier_list before 5.14 */
#endif

#endif /* PAGECHECK_COMPAT_H */
