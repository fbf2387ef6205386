/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rule engine: pure functions over raw snapshots of struct page.
 * They never dereference a page; the hook takes the snapshot.
 */
#ifndef PAGECHECK_RULES_H
#define PAGECHECK_RULES_H

#include <linux/types.h>
#include "pagecheck/compat.h"

enum pgc_reason {
	/* page_bad_reason() */
	PGC_R_MAPCOUNT,
	PGC_R_MAPPING,
	PGC_R_REFCOUNT,
	PGC_R_FLAGS,
	PGC_R_MEMCG,
	PGC_R_PAGE_POOL,
	/* free_tail_page(s)_check() / free_tail_page_prepare() */
	PGC_R_COMPOUND_MAPCOUNT,
	PGC_R_ENTIRE_MAPCOUNT,
	PGC_R_LARGE_MAPCOUNT,
	PGC_R_NR_PAGES_MAPPED,
	PGC_R_PINCOUNT,
	PGC_R_MM_MAPCOUNT0,
	PGC_R_MM_MAPCOUNT1,
	PGC_R_DEFERRED_LIST,
	PGC_R_TAIL_MAPPING,
	PGC_R_NOT_TAIL,
	PGC_R_HEAD_MISMATCH,
	/* pagecheck's own */
	PGC_R_BUDDY,
	PGC_R_REFCOUNT_NEGATIVE,
	PGC_R_DOUBLE_FREE,
	PGC_NR_REASONS
};

#define PGC_BIT(r)	(1U << (r))

/* Raw fields of one struct page, read once. */
struct pgc_page_snap {
	unsigned long flags;
	unsigned long head_word;	/* compound_head / lru.next / pp_magic */
	unsigned long mapping;
	int mapcount;			/* raw _mapcount (page_type) */
	int refcount;
	unsigned long memcg_data;
};

/* Everything the rules need about one free, as seen at the hook. */
struct pgc_free_snap {
	const struct page *page;	/* identity only, never dereferenced */
	unsigned int order;
	bool compound;
	struct pgc_page_snap head;
	struct pgc_folio_snap folio;	/* valid if compound && order > 0 */
};

const char *pgc_reason_string(enum pgc_reason reason);
bool pgc_reason_supported(enum pgc_reason reason);

u32 pgc_judge_head(const struct pgc_free_snap *fs);
u32 pgc_judge_tail(const struct pgc_free_snap *fs, unsigned int index,
		   const struct pgc_page_snap *tail);
u32 pgc_judge_call(const struct pgc_page_snap *page);

static __always_inline void pgc_read_page(struct pgc_page_snap *s,
					  const struct page *page)
{
	s->flags = pgc_raw_flags(page);
	s->head_word = pgc_raw_head_word(page);
	s->mapping = (unsigned long)READ_ONCE(page->mapping);
	s->mapcount = atomic_read(&page->_mapcount);
	s->refcount = atomic_read(&page->_refcount);
	s->memcg_data = pgc_raw_memcg(page);
}

/*
 * A page_pool page has (pp_magic & 0x7c) == 0x40 under every kernel's
 * PP_MAGIC_MASK: one bit test rules out most words.
 */
static __always_inline bool pgc_pp_maybe(unsigned long head_word)
{
#if PGC_RULE_PAGE_POOL
	BUILD_BUG_ON((PP_MAGIC_MASK & 0x7cUL) != 0x7cUL ||
		     (PP_SIGNATURE & 0x7cUL) != 0x40UL);
#endif
	if (!PGC_RULE_PAGE_POOL || likely(!(head_word & 0x40)))
		return false;
	return pgc_pp_signature(head_word);
}

/*
 * Hot-path filter: false means pgc_judge_head() on this page would find no
 * reason and, for an order-0 free, there is nothing more to judge. It
 * mirrors the same normalisation without building a mask, and reads each
 * word once, cheapest test first. Order > 0 always says true.
 */
static __always_inline bool pgc_words_maybe_bad(unsigned long flags,
						u64 count_word,
						unsigned long mapping,
						unsigned long memcg,
						unsigned long head_word,
						unsigned int order)
{
	if (unlikely(flags & PGC_HEAD_CHECK_FLAGS))
		return true;
	/* mapcount -1, refcount 0 and order 0 in one compare */
	if (unlikely(count_word != (u32)~order))
		return true;
	if (mapping && likely(!(mapping & PGC_MAPPING_CLEARED_BITS)))
		return true;
	if (memcg && likely(!pgc_memcg_is_kmem(memcg)))
		return true;
	return pgc_pp_maybe(head_word);
}

/*
 * True if *@word is zero or has one of @tags set, the healthy states of
 * mapping (anon/movable tags) and memcg_data (kmem tag). On x86 the word
 * is compared in memory, the cheaper test first.
 */
#ifdef CONFIG_X86_64
static __always_inline bool pgc_word_zero_or_tagged(const void *word,
						    const u8 tags)
{
	asm goto("cmpq $0, %0\n\t"
		 "je %l[healthy]\n\t"
		 "testb %1, %0\n\t"
		 "jnz %l[healthy]"
		 : : "m" (*(const unsigned long *)word), "i" (tags)
		 : "cc" : healthy);
	return false;
healthy:
	return true;
}
#else
static __always_inline bool pgc_word_zero_or_tagged(const void *word,
						    const u8 tags)
{
	unsigned long w = *(const unsigned long *)word;

	return !w || (w & tags);
}
#endif

/*
 * The filter on the page itself: plain reads the compiler can fold into
 * compares, each word read once. pgc_audit_slow() takes its own
 * READ_ONCE() snapshot before judging.
 */
static __always_inline bool pgc_free_maybe_bad(const struct page *page,
					       unsigned int order)
{
	if (unlikely(pgc_peek_flags(page) & PGC_HEAD_CHECK_FLAGS))
		return true;
	/* mapcount -1, refcount 0 and order 0 in one compare */
	if (unlikely(pgc_peek_count_word(page) != (u32)~order))
		return true;
	if (unlikely(!pgc_word_zero_or_tagged(&page->mapping,
					      PGC_MAPPING_CLEARED_BITS)))
		return true;
#ifdef PGC_MEMCG_KMEM_TAG
	if (unlikely(!pgc_word_zero_or_tagged(pgc_memcg_word(page),
					      PGC_MEMCG_KMEM_TAG)))
		return true;
#else
	if (unlikely(pgc_peek_memcg(page)))
		return true;
#endif
	if (!PGC_RULE_PAGE_POOL ||
	    likely(!(*(const u8 *)&pgc_peek_head_word(page) & 0x40)))
		return false;
	return pgc_pp_maybe(pgc_raw_head_word(page));
}

/* The same filter over a snapshot of an order-0 head. */
static inline bool pgc_head_maybe_bad(const struct pgc_page_snap *s)
{
	return pgc_words_maybe_bad(s->flags,
				   (u32)s->mapcount | (u64)(u32)s->refcount << 32,
				   s->mapping, s->memcg_data, s->head_word, 0);
}

#endif /* PAGECHECK_RULES_H */
