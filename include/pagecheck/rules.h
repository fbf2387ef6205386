/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rules of free_pages_prepare(), page_bad_reason() and
 * free_tail_page(s)_check(), plus pagecheck's own. Each rule is one
 * function of raw page words, defined once here. The judge (rules.c)
 * applies them to a snapshot to name every broken rule; the filters below
 * apply the same functions to the live words, or to OR/AND reductions of
 * them, to prove a free clean without a snapshot.
 */
#ifndef PAGECHECK_RULES_H
#define PAGECHECK_RULES_H

#include <linux/types.h>
#include "pagecheck/compat.h"
#include "pagecheck/report.h"

/* --- the rules, one word each ---------------------------------------------- */

/*
 * Each rule is a distance: zero when the word is what a healthy free
 * leaves, so that folded words can be tested together with one OR.
 */
static __always_inline unsigned long pgc_mapcount_off(int mapcount)
{
	return (u32)~mapcount;			/* -1: not mapped */
}

static __always_inline unsigned long pgc_refcount_off(int refcount)
{
	return (u32)refcount;			/* 0: no reference */
}

static __always_inline unsigned long pgc_flags_off(unsigned long flags)
{
	return flags & PAGE_FLAGS_CHECK_AT_FREE;
}

static __always_inline unsigned long pgc_mapping_off(unsigned long mapping)
{
	return mapping;
}

static __always_inline unsigned long pgc_memcg_off(unsigned long memcg)
{
	return memcg;
}

static __always_inline unsigned long pgc_tail_mapping_off(unsigned long mapping)
{
	return mapping ^ (unsigned long)TAIL_MAPPING;
}

/* A compound tail's head word, against the one every tail must hold. */
static __always_inline unsigned long pgc_tail_word_off(unsigned long word,
						       unsigned long expected)
{
	return word ^ expected;
}

static __always_inline bool pgc_bad_mapcount(int mapcount)
{
	return pgc_mapcount_off(mapcount);
}

static __always_inline bool pgc_bad_refcount(int refcount)
{
	return pgc_refcount_off(refcount);
}

static __always_inline bool pgc_negative_refcount(int refcount)
{
	return refcount < 0;
}

static __always_inline bool pgc_bad_flags(unsigned long flags)
{
	return pgc_flags_off(flags);
}

static __always_inline bool pgc_bad_mapping(unsigned long mapping)
{
	return pgc_mapping_off(mapping);
}

static __always_inline bool pgc_bad_memcg(unsigned long memcg)
{
	return pgc_memcg_off(memcg);
}

/* page_pool_rule=: set at load, true wherever PGC_RULE_PAGE_POOL. */
extern bool pgc_page_pool_rule;

/* The rule where it is opt-in (6.1), read once per use. */
static __always_inline bool pgc_page_pool_opt_in(void)
{
	return PGC_PAGE_POOL_OPT_IN && READ_ONCE(pgc_page_pool_rule);
}

static __always_inline bool pgc_page_pool(unsigned long head_word)
{
	return (PGC_RULE_PAGE_POOL || pgc_page_pool_opt_in()) &&
	       pgc_pp_signature(head_word);
}

/* PageBuddy on a page being freed: already free (pagecheck's rule). */
static __always_inline bool pgc_buddy(int mapcount)
{
	return pgc_type_is_buddy(mapcount);
}

static __always_inline bool pgc_bad_tail_mapping(unsigned long mapping)
{
	return pgc_tail_mapping_off(mapping);
}

/*
 * page_pool: (pp_magic & mask) == PP_SIGNATURE needs this bit, so a word
 * without it can be cleared with one test.
 */
#define PGC_PP_TEST_BIT	0x40UL

static __always_inline bool pgc_page_pool_possible(unsigned long head_word)
{
#if PGC_RULE_PAGE_POOL
	BUILD_BUG_ON(!(PP_SIGNATURE & PGC_PP_MAGIC_MASK & PGC_PP_TEST_BIT));
#endif
	return PGC_RULE_PAGE_POOL && (head_word & PGC_PP_TEST_BIT);
}

/* --- what free_pages_prepare() does to the head before its check ---------- */

static __always_inline unsigned long pgc_head_flags(unsigned long flags)
{
	return flags & ~PGC_HEAD_FLAGS_CLEARED_AT_FREE;
}

/* Anon, movable and KSM mappings are dropped without a report. */
static __always_inline bool pgc_mapping_dropped(unsigned long mapping)
{
	return mapping & PGC_MAPPING_CLEARED_BITS;
}

/* A kmem charge is uncharged (5.10: the PageKmemcg type). */
static __always_inline bool pgc_memcg_uncharged(unsigned long memcg,
						int mapcount)
{
	return pgc_memcg_is_kmem(memcg) || pgc_type_is_kmemcg(mapcount);
}

static __always_inline unsigned long pgc_head_mapping(unsigned long mapping)
{
	return pgc_mapping_dropped(mapping) ? 0 : mapping;
}

static __always_inline unsigned long pgc_head_memcg(unsigned long memcg,
						    int mapcount)
{
	return pgc_memcg_uncharged(memcg, mapcount) ? 0 : memcg;
}

/*
 * 7.x resets any page type to -1. 5.10 uncharges a PageKmemcg page that
 * has a mem_cgroup and sets the type's bit again, so a corrupted rest of
 * the word stays.
 */
static __always_inline int pgc_head_mapcount(int mapcount, unsigned long memcg)
{
	if (pgc_type_reset_at_free(mapcount))
		return -1;
	if (pgc_type_is_kmemcg(mapcount) && memcg)
		return pgc_type_clear_kmemcg(mapcount);
	return mapcount;
}

/* --- snapshots ------------------------------------------------------------ */

static __always_inline void pgc_snap_page(struct pgc_page_snap *s,
					  const struct page *page)
{
	s->flags = pgc_page_flags(page);
	s->head_word = pgc_page_head_word(page);
	s->mapping = pgc_page_mapping(page);
	s->mapcount = pgc_page_mapcount(page);
	s->refcount = pgc_page_refcount(page);
	s->memcg_data = pgc_page_memcg(page);
}

/* --- the filters: false means the judge would find nothing ---------------- */

/*
 * mapcount -1 and refcount 0, the two count rules, hold together iff
 * pgc_counts() is PGC_COUNTS_CLEAN: one compare instead of two (the
 * compiler merges the loads where the byte order allows).
 */
#define PGC_COUNTS_CLEAN	0xffffffffULL

static __always_inline u64 pgc_counts(int mapcount, int refcount)
{
	return (u64)(u32)refcount << 32 | (u32)mapcount;
}

/* Non-zero unless mapcount is -1, refcount 0 and @order 0. */
static __always_inline u64 pgc_counts_order_off(const struct page *page,
						unsigned int order)
{
	/* Shifted, a 32-bit @order needs no zero-extension (arm64: one orr). */
	return (pgc_counts(pgc_page_mapcount(page), pgc_page_refcount(page)) ^
		PGC_COUNTS_CLEAN) | (u64)order << 32;
}

/*
 * The filter on the head of a free, read in place, cheapest test first,
 * with the judge's normalisation. It also says "maybe" for any @order but
 * 0, in the same compare as the counts. A word that fails a cheap test is
 * read a second time, after barrier(), for the exact one: on x86 a test
 * of memory costs one instruction less than keeping every word in a
 * register (pgc_reread_barrier()). Only the judge's snapshot decides a
 * report.
 */
static __always_inline bool __pgc_head_maybe_bad(const struct page *page,
						 unsigned int order,
						 unsigned long head_check_flags)
{
	if (unlikely(pgc_page_flags(page) & head_check_flags))
		return true;
	/*
	 * The counts and the memcg charge in one test: both are clean on
	 * almost every free. A kmem charge, the one a healthy free may
	 * carry, is told apart out of line.
	 */
	if (unlikely(pgc_counts_order_off(page, order) |
		     pgc_memcg_off(pgc_page_memcg(page)))) {
		barrier();
		/*
		 * 5.10's kmem type and 7.x's page types are reset first,
		 * but PageBuddy is pagecheck's own rule on the raw type.
		 */
		if (order ||
		    pgc_bad_mapcount(pgc_head_mapcount(pgc_page_mapcount(page),
							pgc_page_memcg(page))) ||
		    pgc_buddy(pgc_page_mapcount(page)) ||
		    pgc_bad_refcount(pgc_page_refcount(page)))
			return true;
		if (pgc_bad_memcg(pgc_page_memcg(page)) &&
		    !pgc_memcg_uncharged(pgc_page_memcg(page), pgc_page_mapcount(page)))
			return true;
	}
	if (unlikely(pgc_bad_mapping(pgc_page_mapping(page)))) {
		pgc_reread_barrier();
		if (!pgc_mapping_dropped(pgc_page_mapping(page)))
			return true;
	}
	if (likely(!pgc_page_pool_possible(pgc_page_head_word(page))))
		return false;
	barrier();
	return pgc_page_pool(pgc_page_head_word(page));
}

/*
 * @head_check_flags is PGC_HEAD_CHECK_FLAGS, the flags rule after the
 * head's normalisation. A probe may pass it in from its data pointer:
 * arm64 builds the constant in three instructions.
 */
static __always_inline bool pgc_head_maybe_bad(const struct page *page,
					       unsigned int order)
{
	return __pgc_head_maybe_bad(page, order, PGC_HEAD_CHECK_FLAGS);
}

/*
 * The rules of page_expected_state() every sub-page shares, folded: a rule
 * broken by any folded page is broken by the OR (flags, refcount, memcg,
 * a plain block's mapping) or the AND (mapcount) of its word.
 */
struct pgc_fold {
	unsigned long flags_or;
	unsigned long memcg_or;
	unsigned long mapping_or;
	int mapcount_and;
	int refcount_or;
};

static __always_inline void pgc_fold_init(struct pgc_fold *f)
{
	f->flags_or = 0;
	f->memcg_or = 0;
	f->mapping_or = 0;
	f->mapcount_and = -1;
	f->refcount_or = 0;
}

/* @flags_kept, @memcg_kept: the bits free_pages_prepare() leaves alone. */
static __always_inline void pgc_fold_counts(struct pgc_fold *f,
					    const struct page *p,
					    unsigned long flags_kept,
					    unsigned long memcg_kept)
{
	f->flags_or |= pgc_page_flags(p) & flags_kept;
	f->mapcount_and &= pgc_page_mapcount(p);
	f->refcount_or |= pgc_page_refcount(p);
	f->memcg_or |= pgc_page_memcg(p) & memcg_kept;
}

/* Every folded rule at once: one OR of the distances, one branch. */
static __always_inline bool pgc_fold_bad(const struct pgc_fold *f)
{
	return pgc_flags_off(f->flags_or) | pgc_mapcount_off(f->mapcount_and) |
	       pgc_refcount_off(f->refcount_or) | pgc_memcg_off(f->memcg_or) |
	       pgc_mapping_off(f->mapping_or);
}

/* --- compound pages ------------------------------------------------------- */

static __always_inline bool pgc_on_deferred_list(const struct pgc_folio_snap *f)
{
	if (f->deferred_next == f->deferred_self)
		return false;
	/* Older kernels unlink with list_del(), which poisons next. */
	return PGC_DEFERRED_LIST_KERNEL_RULE ||
	       f->deferred_next != (unsigned long)LIST_POISON1;
}

/* free_tail_page(s)_check() on the folio fields of page[1] and page[2]. */
static __always_inline u32 pgc_folio_reasons(const struct pgc_folio_snap *f)
{
	u32 reasons = 0;

	if (PGC_RULE_COMPOUND_MAPCOUNT && pgc_bad_mapcount(f->entire_mapcount))
		reasons |= PGC_BIT(PGC_R_COMPOUND_MAPCOUNT);
	if (PGC_RULE_ENTIRE_MAPCOUNT && pgc_bad_mapcount(f->entire_mapcount))
		reasons |= PGC_BIT(PGC_R_ENTIRE_MAPCOUNT);
	if (PGC_RULE_LARGE_MAPCOUNT && pgc_bad_mapcount(f->large_mapcount))
		reasons |= PGC_BIT(PGC_R_LARGE_MAPCOUNT);
	if (PGC_RULE_NR_PAGES_MAPPED && f->nr_pages_mapped)
		reasons |= PGC_BIT(PGC_R_NR_PAGES_MAPPED);
	if (PGC_RULE_PINCOUNT && f->pincount)
		reasons |= PGC_BIT(PGC_R_PINCOUNT);
	if (PGC_RULE_MM_MAPCOUNT && pgc_bad_mapcount(f->mm_mapcount0))
		reasons |= PGC_BIT(PGC_R_MM_MAPCOUNT0);
	if (PGC_RULE_MM_MAPCOUNT && pgc_bad_mapcount(f->mm_mapcount1))
		reasons |= PGC_BIT(PGC_R_MM_MAPCOUNT1);
	if (pgc_on_deferred_list(f))
		reasons |= PGC_BIT(PGC_R_DEFERRED_LIST);
	return reasons;
}

/* Sub-pages of a plain (not compound) high-order block: judged as heads are. */
static __always_inline bool pgc_plain_maybe_bad(const struct page *p,
						const struct page *end)
{
	bool opt_in = pgc_page_pool_opt_in();
	struct pgc_fold f;
	bool page_pool = false;

	pgc_fold_init(&f);
	for (; p < end; p++) {
		unsigned long word = pgc_page_head_word(p);

		pgc_fold_counts(&f, p, ~0UL, ~0UL);
		f.mapping_or |= pgc_page_mapping(p);
		page_pool |= (pgc_page_pool_possible(word) || opt_in) &&
			     pgc_pp_signature(word);
	}
	return pgc_fold_bad(&f) || page_pool;
}

/*
 * One tail: its counts into the reductions, and its two equalities (head
 * word, tail mapping) compared in place. A compare and a branch cost no
 * more than an OR and an AND, and keep no register.
 */
static __always_inline bool pgc_fold_tail(struct pgc_fold *f,
					  const struct page *p,
					  unsigned long tail_word)
{
	pgc_fold_counts(f, p, ~0UL, ~0UL);
	if (unlikely(pgc_tail_word_off(pgc_page_head_word(p), tail_word)))
		return true;
	return unlikely(pgc_tail_mapping_off(pgc_page_mapping(p)));
}

/*
 * Keeps the compiler from regrouping the folds of two tails: each word
 * stays one OR or AND of memory into its accumulator.
 */
static __always_inline void pgc_fold_keep(struct pgc_fold *f)
{
	OPTIMIZER_HIDE_VAR(f->flags_or);
	OPTIMIZER_HIDE_VAR(f->memcg_or);
	OPTIMIZER_HIDE_VAR(f->mapcount_and);
	OPTIMIZER_HIDE_VAR(f->refcount_or);
}

/* A tail whose mapping word is not the tail mapping (page[1] to page[3]). */
static __always_inline bool pgc_fold_tail_no_mapping(struct pgc_fold *f,
						     const struct page *p,
						     unsigned long tail_word)
{
	pgc_fold_counts(f, p, ~0UL, ~0UL);
	return unlikely(pgc_tail_word_off(pgc_page_head_word(p), tail_word));
}

/*
 * page[1]: its folio fields fold with the tails (a mapcount must be -1
 * like a tail's, a count or pin 0 like a tail's refcount); its folio
 * flags and _nr_pages are cleared before the check.
 */
static __always_inline bool pgc_fold_second(struct pgc_fold *f,
					    const struct page *page,
					    unsigned long tail_word)
{
	struct pgc_folio_snap folio __uninitialized;

	pgc_page_folio(&folio, page, 2);
	f->mapcount_and &= folio.entire_mapcount & folio.large_mapcount &
			   folio.mm_mapcount0 & folio.mm_mapcount1;
	f->refcount_or |= folio.nr_pages_mapped | folio.pincount;
	pgc_fold_counts(f, page + 1, ~PGC_SECOND_FLAGS_CLEARED_AT_FREE,
			~PGC_SECOND_MEMCG_CLEARED_AT_FREE);
	return unlikely(pgc_tail_word_off(pgc_page_head_word(page + 1),
					  tail_word));
}

/*
 * page[2] and page[3] of a folio of order 2 or more: no tail mapping on
 * page[2] (nor on page[3] where hugetlb fields sit there), and the
 * deferred-split list must point to itself (it folds with memcg, which
 * must be 0). 5.10/6.1 also accept the poison of list_del().
 */
static __always_inline bool pgc_fold_third_fourth(struct pgc_fold *f,
						  const struct page *page,
						  unsigned long tail_word)
{
	struct pgc_folio_snap folio __uninitialized;

	pgc_page_folio(&folio, page, 4);
	if (PGC_DEFERRED_LIST_KERNEL_RULE)
		f->memcg_or |= folio.deferred_next ^ folio.deferred_self;
	else if (pgc_on_deferred_list(&folio))
		return true;
	if (pgc_fold_tail_no_mapping(f, page + 2, tail_word))
		return true;
	if (PGC_TAIL_MAPPING_FIRST == 4)
		return pgc_fold_tail_no_mapping(f, page + 3, tail_word);
	return pgc_fold_tail(f, page + 3, tail_word);
}

/*
 * A compound free of pages [@page, @end) whose head is clean, read in
 * place, from page[4] on two tails per turn. False means the judge would
 * find nothing.
 */
static __always_inline bool pgc_compound_maybe_bad(const struct page *page,
						   const struct page *end)
{
	unsigned long tail_word = pgc_tail_word(page, end);
	const struct page *p = page + 4;
	struct pgc_fold f;

	pgc_fold_init(&f);
	if (pgc_fold_second(&f, page, tail_word))
		return true;
	if (p <= end && pgc_fold_third_fourth(&f, page, tail_word))
		return true;
	for (; p < end; p += 2) {
		if (pgc_fold_tail(&f, p, tail_word))
			return true;
		pgc_fold_keep(&f);
		if (pgc_fold_tail(&f, p + 1, tail_word))
			return true;
	}
	return pgc_fold_bad(&f);
}

/* --- the judge (rules.c) -------------------------------------------------- */

/* What the judge found in one free: every broken rule, and its evidence. */
struct pgc_judgement {
	u32 reasons;
	bool compound;
	u32 bad_subpages;
	u32 first_bad_index;
	struct pgc_page_snap head;
	struct pgc_page_snap bad_tail;
	struct pgc_folio_snap folio;
};

void pgc_judge_block(const struct page *page, unsigned int order,
		     struct pgc_judgement *v);
u32 pgc_judge_head(const struct pgc_page_snap *head, unsigned int order);
u32 pgc_judge_subpage(const void *head, unsigned int order, bool compound,
		      unsigned int index, const struct pgc_page_snap *sub);
u32 pgc_judge_call(const struct pgc_page_snap *page);

/*
 * The words of sub-page @index that a healthy free leaves, for reports:
 * @want holds the values and @fields the PGC_FIELD_* bits the rules test.
 */
#define PGC_FIELD_FLAGS		BIT(0)	/* PAGE_FLAGS_CHECK_AT_FREE clear */
#define PGC_FIELD_HEAD_WORD	BIT(1)
#define PGC_FIELD_MAPPING	BIT(2)
#define PGC_FIELD_MAPCOUNT	BIT(3)
#define PGC_FIELD_REFCOUNT	BIT(4)
#define PGC_FIELD_MEMCG		BIT(5)
void pgc_subpage_expected(const void *head, unsigned int order, bool compound,
			  unsigned int index, struct pgc_page_snap *want,
			  unsigned int *fields);
const char *pgc_subpage_mapping_name(bool compound, unsigned int index);

const char *pgc_reason_string(enum pgc_reason reason);
bool pgc_reason_supported(enum pgc_reason reason);
int pgc_reason_parse(const char *kernel_text);

#endif /* PAGECHECK_RULES_H */
