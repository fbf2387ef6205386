// SPDX-License-Identifier: GPL-2.0
/*
 * The rules of free_pages_prepare(), page_bad_reason() and
 * free_tail_page(s)_check(), plus pagecheck's own, as pure functions.
 * Unlike the kernel, every broken rule is reported, not only the last.
 */
#include <linux/kernel.h>
#include <linux/poison.h>
#include "pagecheck/rules.h"

static const char *const pgc_reason_strings[PGC_NR_REASONS] = {
	[PGC_R_MAPCOUNT]		= "nonzero mapcount",
	[PGC_R_MAPPING]			= "non-NULL mapping",
	[PGC_R_REFCOUNT]		= "nonzero _refcount",
	[PGC_R_FLAGS]			= "PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
	[PGC_R_MEMCG]			= "page still charged to cgroup",
	[PGC_R_PAGE_POOL]		= "page_pool leak",
	[PGC_R_COMPOUND_MAPCOUNT]	= "nonzero compound_mapcount",
	[PGC_R_ENTIRE_MAPCOUNT]		= "nonzero entire_mapcount",
	[PGC_R_LARGE_MAPCOUNT]		= "nonzero large_mapcount",
	[PGC_R_NR_PAGES_MAPPED]		= "nonzero nr_pages_mapped",
	[PGC_R_PINCOUNT]		= "nonzero pincount",
	[PGC_R_MM_MAPCOUNT0]		= "nonzero mm mapcount 0",
	[PGC_R_MM_MAPCOUNT1]		= "nonzero mm mapcount 1",
	[PGC_R_DEFERRED_LIST]		= "on deferred list",
	[PGC_R_TAIL_MAPPING]		= "corrupted mapping in tail page",
	[PGC_R_NOT_TAIL]		= "PageTail not set",
	[PGC_R_HEAD_MISMATCH]		= "compound_head not consistent",
	[PGC_R_BUDDY]			= "PageBuddy set (double free)",
	[PGC_R_REFCOUNT_NEGATIVE]	= "negative _refcount (underflow)",
	[PGC_R_DOUBLE_FREE]		= "freed with zero _refcount (double free)",
};

const char *pgc_reason_string(enum pgc_reason reason)
{
	if (reason >= PGC_NR_REASONS)
		return "unknown";
	return pgc_reason_strings[reason];
}

bool pgc_reason_supported(enum pgc_reason reason)
{
	switch (reason) {
	case PGC_R_PAGE_POOL:
		return PGC_RULE_PAGE_POOL;
	case PGC_R_COMPOUND_MAPCOUNT:
		return PGC_RULE_COMPOUND_MAPCOUNT;
	case PGC_R_ENTIRE_MAPCOUNT:
		return PGC_RULE_ENTIRE_MAPCOUNT;
	case PGC_R_PINCOUNT:
		return PGC_RULE_PINCOUNT;
	case PGC_R_LARGE_MAPCOUNT:
		return PGC_RULE_LARGE_MAPCOUNT;
	case PGC_R_NR_PAGES_MAPPED:
		return PGC_RULE_NR_PAGES_MAPPED;
	case PGC_R_MM_MAPCOUNT0:
	case PGC_R_MM_MAPCOUNT1:
		return PGC_RULE_MM_MAPCOUNT;
	default:
		return reason < PGC_NR_REASONS;
	}
}

/* page_expected_state() with the mapping, flags and memcg already normalised. */
static u32 pgc_judge_generic(const struct pgc_page_snap *s,
			     unsigned long mapping, unsigned long head_word,
			     unsigned long flags, unsigned long memcg)
{
	u32 reasons = 0;

	if (s->mapcount != -1)
		reasons |= PGC_BIT(PGC_R_MAPCOUNT);
	if (mapping)
		reasons |= PGC_BIT(PGC_R_MAPPING);
	if (s->refcount)
		reasons |= PGC_BIT(PGC_R_REFCOUNT);
	if (s->refcount < 0)
		reasons |= PGC_BIT(PGC_R_REFCOUNT_NEGATIVE);
	if (flags & PAGE_FLAGS_CHECK_AT_FREE)
		reasons |= PGC_BIT(PGC_R_FLAGS);
	if (memcg)
		reasons |= PGC_BIT(PGC_R_MEMCG);
	if (pgc_pp_signature(head_word))
		reasons |= PGC_BIT(PGC_R_PAGE_POOL);
	if (pgc_type_is_buddy(s->mapcount))
		reasons |= PGC_BIT(PGC_R_BUDDY);
	return reasons;
}

/**
 * pgc_judge_head() - reasons the head page of a free is bad
 * @fs: snapshot taken at the free
 *
 * Mirrors what free_pages_prepare() does to the head after
 * trace_mm_page_free(): kmem uncharge, PG_mlocked clearing, the hwpoison
 * exemption and the anon/movable mapping reset.
 */
u32 pgc_judge_head(const struct pgc_free_snap *fs)
{
	struct pgc_page_snap s = fs->head;
	unsigned long mapping = s.mapping;
	unsigned long memcg = s.memcg_data;
	u32 buddy = 0;

	if (fs->order == 0 && pgc_flags_hwpoison(s.flags))
		return 0;
	if (pgc_memcg_is_kmem(memcg))
		memcg = 0;
	if (pgc_type_is_kmemcg(s.mapcount)) {
		memcg = 0;
		s.mapcount = -1;
	}
	/* PageBuddy is pagecheck's own rule: judged on the raw type. */
	if (pgc_type_is_buddy(fs->head.mapcount))
		buddy = PGC_BIT(PGC_R_BUDDY);
	if (pgc_type_reset_at_free(s.mapcount))
		s.mapcount = -1;
	if (mapping & PGC_MAPPING_CLEARED_BITS)
		mapping = 0;
	return buddy | pgc_judge_generic(&s, mapping, s.head_word,
					 s.flags & ~PGC_HEAD_FLAGS_CLEARED_AT_FREE,
					 memcg);
}

static u32 pgc_judge_second_page(const struct pgc_folio_snap *f)
{
	u32 reasons = 0;

	if (PGC_RULE_COMPOUND_MAPCOUNT && f->entire_mapcount != -1)
		reasons |= PGC_BIT(PGC_R_COMPOUND_MAPCOUNT);
	if (PGC_RULE_ENTIRE_MAPCOUNT && f->entire_mapcount != -1)
		reasons |= PGC_BIT(PGC_R_ENTIRE_MAPCOUNT);
	if (PGC_RULE_LARGE_MAPCOUNT && f->large_mapcount != -1)
		reasons |= PGC_BIT(PGC_R_LARGE_MAPCOUNT);
	if (PGC_RULE_NR_PAGES_MAPPED && f->nr_pages_mapped)
		reasons |= PGC_BIT(PGC_R_NR_PAGES_MAPPED);
	if (PGC_RULE_PINCOUNT && f->pincount)
		reasons |= PGC_BIT(PGC_R_PINCOUNT);
	if (PGC_RULE_MM_MAPCOUNT && f->mm_mapcount[0] != -1)
		reasons |= PGC_BIT(PGC_R_MM_MAPCOUNT0);
	if (PGC_RULE_MM_MAPCOUNT && f->mm_mapcount[1] != -1)
		reasons |= PGC_BIT(PGC_R_MM_MAPCOUNT1);
	return reasons;
}

static bool pgc_on_deferred_list(const struct pgc_folio_snap *f)
{
	if (!f->deferred_applies || f->deferred_next == f->deferred_self)
		return false;
	/* Older kernels unlink with list_del(), which poisons next. */
	if (!PGC_DEFERRED_LIST_KERNEL_RULE &&
	    f->deferred_next == (unsigned long)LIST_POISON1)
		return false;
	return true;
}

/**
 * pgc_judge_tail() - reasons sub-page @index of a high-order free is bad
 * @fs: snapshot of the free (head and folio fields)
 * @index: 1 .. (1 << order) - 1
 * @tail: raw snapshot of page[@index]
 *
 * Compound tails get the tail-specific rules, then (as the kernel does after
 * resetting their mapping and compound_head) the generic rules. Sub-pages
 * of a plain high-order block get the generic rules as they are.
 */
u32 pgc_judge_tail(const struct pgc_free_snap *fs, unsigned int index,
		   const struct pgc_page_snap *tail)
{
	unsigned long mapping = tail->mapping;
	unsigned long head_word = tail->head_word;
	unsigned long flags = tail->flags;
	unsigned long memcg = tail->memcg_data;
	u32 reasons = 0;

	if (fs->compound) {
		if (index == 1) {
			reasons |= pgc_judge_second_page(&fs->folio);
			flags &= ~PGC_SECOND_FLAGS_CLEARED_AT_FREE;
			memcg &= ~PGC_SECOND_MEMCG_CLEARED_AT_FREE;
		} else if (index == 2) {
			if (pgc_on_deferred_list(&fs->folio))
				reasons |= PGC_BIT(PGC_R_DEFERRED_LIST);
		} else if (index >= PGC_TAIL_MAPPING_FIRST &&
			   mapping != (unsigned long)TAIL_MAPPING) {
			reasons |= PGC_BIT(PGC_R_TAIL_MAPPING);
		}
		if (!pgc_head_word_is_tail(head_word))
			reasons |= PGC_BIT(PGC_R_NOT_TAIL);
		if (pgc_head_word_to_head(head_word, fs->page + index) !=
		    (unsigned long)fs->page)
			reasons |= PGC_BIT(PGC_R_HEAD_MISMATCH);
		mapping = 0;
		head_word = 0;
	}
	return reasons | pgc_judge_generic(tail, mapping, head_word, flags, memcg);
}

/**
 * pgc_judge_call() - reasons a page passed to __free_pages() is already free
 * @page: snapshot taken at the call, before the kernel drops its reference
 *
 * __free_pages() owns one reference: a refcount of zero or less at the call
 * is a double free or an underflow, caught before it goes negative.
 */
u32 pgc_judge_call(const struct pgc_page_snap *page)
{
	if (page->refcount > 0)
		return 0;
	if (page->refcount < 0)
		return PGC_BIT(PGC_R_DOUBLE_FREE) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE);
	return PGC_BIT(PGC_R_DOUBLE_FREE);
}
