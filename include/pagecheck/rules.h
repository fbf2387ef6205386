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
 * Hot-path filter for the head page: false means pgc_judge_head() returns
 * no reason. It mirrors the same normalisation without building a mask.
 */
static __always_inline bool pgc_head_maybe_bad(const struct pgc_page_snap *s)
{
	unsigned long mapping = s->mapping;
	unsigned long memcg = s->memcg_data;

	if (mapping & PGC_MAPPING_CLEARED_BITS)
		mapping = 0;
	if (pgc_memcg_is_kmem(memcg))
		memcg = 0;
	return (mapping | (unsigned int)s->refcount | memcg |
		(s->flags & PGC_HEAD_CHECK_FLAGS) |
		((unsigned int)s->mapcount + 1) |
		(unsigned long)pgc_pp_signature(s->head_word)) != 0;
}

#endif /* PAGECHECK_RULES_H */
