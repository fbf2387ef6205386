// SPDX-License-Identifier: GPL-2.0
/*
 * The judge: the rules of include/pagecheck/rules.h applied to one
 * snapshot, naming every broken rule where the kernel prints only the
 * last. Pages are read only by pgc_judge_block(), each word once.
 */
#include <linux/kernel.h>
#include <linux/poison.h>
#include <linux/string.h>
#include "pagecheck/rules.h"

bool pgc_page_pool_rule __read_mostly = PGC_RULE_PAGE_POOL;

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

/* Whether the running kernel's layout has the field a rule reads. */
bool pgc_reason_supported(enum pgc_reason reason)
{
	switch (reason) {
	case PGC_R_PAGE_POOL:
		return PGC_RULE_PAGE_POOL || pgc_page_pool_opt_in();
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

/**
 * pgc_reason_parse() - the reason a string of bad_page() names
 * @kernel_text: the kernel's reason, e.g. "non-NULL mapping"
 *
 * Return: an enum pgc_reason, or -1 if pagecheck has no such rule.
 */
int pgc_reason_parse(const char *kernel_text)
{
	int r;

	for (r = 0; kernel_text && r < PGC_NR_REASONS; r++)
		if (!strcmp(kernel_text, pgc_reason_strings[r]))
			return r;
	return -1;
}

/* page_expected_state() on words already normalised by the caller. */
static u32 pgc_judge_words(unsigned long flags, unsigned long head_word,
			   unsigned long mapping, int mapcount, int refcount,
			   unsigned long memcg)
{
	u32 reasons = 0;

	if (pgc_bad_mapcount(mapcount))
		reasons |= PGC_BIT(PGC_R_MAPCOUNT);
	if (pgc_bad_mapping(mapping))
		reasons |= PGC_BIT(PGC_R_MAPPING);
	if (pgc_bad_refcount(refcount))
		reasons |= PGC_BIT(PGC_R_REFCOUNT);
	if (pgc_negative_refcount(refcount))
		reasons |= PGC_BIT(PGC_R_REFCOUNT_NEGATIVE);
	if (pgc_bad_flags(flags))
		reasons |= PGC_BIT(PGC_R_FLAGS);
	if (pgc_bad_memcg(memcg))
		reasons |= PGC_BIT(PGC_R_MEMCG);
	if (pgc_page_pool(head_word))
		reasons |= PGC_BIT(PGC_R_PAGE_POOL);
	return reasons;
}

/**
 * pgc_judge_head() - reasons the head page of a free is bad
 * @s: its snapshot, taken at the free
 * @order: order of the block
 *
 * First does what free_pages_prepare() does to the head after
 * trace_mm_page_free(): the hwpoison exemption, the kmem uncharge, the
 * PG_mlocked clearing and the anon/movable mapping reset.
 */
u32 pgc_judge_head(const struct pgc_page_snap *s, unsigned int order)
{
	u32 reasons;

	if (order == 0 && pgc_flags_hwpoison(s->flags))
		return 0;
	reasons = pgc_judge_words(pgc_head_flags(s->flags), s->head_word,
				  pgc_head_mapping(s->mapping),
				  pgc_head_mapcount(s->mapcount, s->memcg_data), s->refcount,
				  pgc_head_memcg(s->memcg_data, s->mapcount));
	/* judged on the raw type: the kernel may reset it first */
	if (pgc_buddy(s->mapcount))
		reasons |= PGC_BIT(PGC_R_BUDDY);
	return reasons;
}

/**
 * pgc_judge_subpage() - reasons sub-page @index of a high-order free is bad
 * @head: the head page's address (identity only)
 * @order: order of the block
 * @compound: the block is a compound page (a folio)
 * @index: 1 .. (1 << order) - 1
 * @sub: snapshot of page[@index]
 *
 * Compound tails get the tail rules, then the generic rules with the
 * mapping and head word reset, as the kernel does; page[1]'s folio fields
 * are judged by pgc_folio_reasons(). Sub-pages of a plain block get the
 * generic rules as they are.
 */
u32 pgc_judge_subpage(const void *head, unsigned int order, bool compound,
		      unsigned int index, const struct pgc_page_snap *sub)
{
	unsigned long flags = sub->flags, memcg = sub->memcg_data;
	const struct page *self = (const struct page *)head + index;
	u32 reasons = 0;

	if (!compound)
		return pgc_judge_words(flags, sub->head_word, sub->mapping,
				       sub->mapcount, sub->refcount, memcg);
	if (index == 1) {
		flags &= ~PGC_SECOND_FLAGS_CLEARED_AT_FREE;
		memcg &= ~PGC_SECOND_MEMCG_CLEARED_AT_FREE;
	}
	if (index >= PGC_TAIL_MAPPING_FIRST && pgc_bad_tail_mapping(sub->mapping))
		reasons |= PGC_BIT(PGC_R_TAIL_MAPPING);
	if (!pgc_head_word_is_tail(sub->head_word))
		reasons |= PGC_BIT(PGC_R_NOT_TAIL);
	if (pgc_head_word_to_head(sub->head_word, self) != (unsigned long)head)
		reasons |= PGC_BIT(PGC_R_HEAD_MISMATCH);
	return reasons | pgc_judge_words(flags, 0, 0, sub->mapcount,
					 sub->refcount, memcg);
}

/**
 * pgc_judge_block() - snapshot a free and judge every page of it
 * @page: head page
 * @order: order of the block
 * @v: the verdict, with the snapshots that were judged
 */
void pgc_judge_block(const struct page *page, unsigned int order,
		     struct pgc_judgement *v)
{
	unsigned int i, nr = 1U << order;

	memset(v, 0, sizeof(*v));
	pgc_snap_page(&v->head, page);
	v->reasons = pgc_judge_head(&v->head, order);
	v->compound = order && pgc_flags_head(v->head.flags);
	if (v->compound) {
		pgc_page_folio(&v->folio, page, 1UL << order);
		v->reasons |= pgc_folio_reasons(&v->folio);
	}
	for (i = 1; i < nr; i++) {
		struct pgc_page_snap sub;
		u32 reasons;

		pgc_snap_page(&sub, page + i);
		reasons = pgc_judge_subpage(page, order, v->compound, i, &sub);
		if (likely(!reasons))
			continue;
		if (!v->bad_subpages++) {
			v->first_bad_index = i;
			v->bad_tail = sub;
		}
		v->reasons |= reasons;
	}
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
	if (pgc_negative_refcount(page->refcount))
		return PGC_BIT(PGC_R_DOUBLE_FREE) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE);
	return PGC_BIT(PGC_R_DOUBLE_FREE);
}

void pgc_subpage_expected(const void *head, unsigned int order, bool compound,
			  unsigned int index, struct pgc_page_snap *want,
			  unsigned int *fields)
{
	memset(want, 0, sizeof(*want));
	want->mapcount = -1;
	*fields = PGC_FIELD_FLAGS | PGC_FIELD_MAPCOUNT | PGC_FIELD_REFCOUNT |
		  PGC_FIELD_MEMCG;
	if (!compound) {
		*fields |= PGC_FIELD_MAPPING;
		return;
	}
	want->head_word = pgc_tail_word(head,
					 (const struct page *)head + (1UL << order));
	*fields |= PGC_FIELD_HEAD_WORD;
	if (index >= PGC_TAIL_MAPPING_FIRST) {
		want->mapping = (unsigned long)TAIL_MAPPING;
		*fields |= PGC_FIELD_MAPPING;
	}
}

/* What the word at the offset of ->mapping holds in sub-page @index. */
const char *pgc_subpage_mapping_name(bool compound, unsigned int index)
{
	if (!compound || index >= PGC_TAIL_MAPPING_FIRST)
		return "mapping";
	if (index == 1)
		return "folio fields";
	if (index == 2)
		return "deferred_list";
	return "hugetlb fields";
}
