// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP tests for the rules: synthetic snapshots fed to the judge, and
 * synthetic struct pages fed to the hot-path filters, which must never
 * call a free clean that the judge rejects. The module's own rules.c is
 * built into this module (rules_under_test.c). Results go to the kernel
 * log; loading always succeeds.
 */
#define pr_fmt(fmt) fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include <linux/prandom.h>
#include <linux/version.h>
#include "pagecheck/audit.h"
#include "pagecheck/rules.h"
#include "pagecheck/stack.h"

static unsigned int pgc_test_nr;
static unsigned int pgc_test_failed;
static unsigned int pgc_test_skipped;
/* The tests run twice: once silently to count them for the plan. */
static bool pgc_test_counting;

#define PGC_FAKE_ORDER	4
#define PGC_FAKE_PAGES	(1U << PGC_FAKE_ORDER)

/*
 * Stand-in pages, aligned like a folio of PGC_FAKE_ORDER so that the
 * compound head encodings (pointer or mask) resolve to pgc_fake[0].
 */
static struct page pgc_fake[PGC_FAKE_PAGES] __aligned(PGC_FAKE_PAGES * sizeof(struct page));
static struct list_head pgc_fake_queue;

static void pgc_reasons_str(u32 reasons, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < PGC_NR_REASONS; i++)
		if (reasons & PGC_BIT(i))
			used += scnprintf(buf + used, len - used, "%s'%s'",
					  used ? "," : "", pgc_reason_string(i));
}

static void pgc_expect(const char *name, u32 got, u32 want)
{
	char g[400], w[400];

	pgc_test_nr++;
	if (pgc_test_counting)
		return;
	if (got == want) {
		pr_info("ok %u %s\n", pgc_test_nr, name);
		return;
	}
	pgc_test_failed++;
	pgc_reasons_str(got, g, sizeof(g));
	pgc_reasons_str(want, w, sizeof(w));
	pr_info("    # %s: got [%s] want [%s]\n", name, g, w);
	pr_info("not ok %u %s\n", pgc_test_nr, name);
}

static void pgc_expect_true(const char *name, bool cond, const char *why)
{
	pgc_test_nr++;
	if (pgc_test_counting)
		return;
	if (cond) {
		pr_info("ok %u %s\n", pgc_test_nr, name);
		return;
	}
	pgc_test_failed++;
	pr_info("    # %s: %s\n", name, why);
	pr_info("not ok %u %s\n", pgc_test_nr, name);
}

static void pgc_skip(const char *name, const char *why)
{
	pgc_test_nr++;
	if (pgc_test_counting)
		return;
	pgc_test_skipped++;
	pr_info("ok %u %s # SKIP %s\n", pgc_test_nr, name, why);
}

/* --- snapshots ------------------------------------------------------------ */

static void pgc_clean_snap(struct pgc_page_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->mapcount = -1;
}

static void pgc_clean_folio(struct pgc_folio_snap *f, unsigned int order)
{
	memset(f, 0, sizeof(*f));
	f->entire_mapcount = -1;
	f->large_mapcount = -1;
	f->mm_mapcount0 = -1;
	f->mm_mapcount1 = -1;
	f->deferred_self = 0xffff888012345678UL;
	f->deferred_next = f->deferred_self;
}

static void pgc_clean_tail(unsigned int order, bool compound,
			   unsigned int index, struct pgc_page_snap *t)
{
	pgc_clean_snap(t);
	if (!compound)
		return;
	t->head_word = pgc_tail_word(pgc_fake, pgc_fake + (1UL << order));
	if (index >= PGC_TAIL_MAPPING_FIRST)
		t->mapping = (unsigned long)TAIL_MAPPING;
}

static int pgc_buddy_type(void)
{
	struct page p;

	memset(&p, 0, sizeof(p));
	atomic_set(&p._mapcount, -1);
	__SetPageBuddy(&p);
	return atomic_read(&p._mapcount);
}

/* A kmem charge as free_pages_prepare() finds it before uncharging. */
static void pgc_kmem_charge(struct pgc_page_snap *s)
{
#ifdef PGC_HAVE_PAGE_MEMCG_DATA
	s->memcg_data = 0xffff888004560000UL | MEMCG_DATA_KMEM;
#else
	struct page p;

	memset(&p, 0, sizeof(p));
	atomic_set(&p._mapcount, -1);
	__SetPageKmemcg(&p);
	s->mapcount = atomic_read(&p._mapcount);
	s->memcg_data = 0xffff888004560000UL;
#endif
}

/* --- struct pages --------------------------------------------------------- */

static void pgc_set_memcg(struct page *page, unsigned long memcg)
{
#if defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEMCG_DATA)
	page->memcg_data = memcg;
#elif defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	page->mem_cgroup = (struct mem_cgroup *)memcg;
#endif
}

/* Lay a snapshot out as a struct page. */
static void pgc_snap_to_page(const struct pgc_page_snap *s, struct page *page)
{
	memset(page, 0, sizeof(*page));
	pgc_flags_field(page) = s->flags;
	pgc_head_word_field(page) = s->head_word;
	page->mapping = (struct address_space *)s->mapping;
	atomic_set(&page->_mapcount, s->mapcount);
	atomic_set(&page->_refcount, s->refcount);
	pgc_set_memcg(page, s->memcg_data);
}

/* Folio fields in page[1] and page[2], as a healthy free leaves them. */
static void pgc_fake_folio(struct page *head, unsigned int order)
{
#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
	struct folio *folio = (struct folio *)head;

	atomic_set(&folio->_entire_mapcount, -1);
	atomic_set(&folio->_pincount, 0);
#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
	atomic_set(&folio->_large_mapcount, -1);
#endif
#if defined(PGC_HAVE_FOLIO_NR_PAGES_MAPPED)
	atomic_set(&folio->_nr_pages_mapped, 0);
#endif
#if defined(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT)
	folio->_mm_id_mapcount[0] = -1;
	folio->_mm_id_mapcount[1] = -1;
#endif
#ifdef NR_PAGES_IN_LARGE_FOLIO
	folio->_nr_pages = 1UL << order;
#endif
#ifdef PAGE_FLAGS_SECOND
	folio->_flags_1 |= order;
#endif
	if (order >= 2)
		INIT_LIST_HEAD(&folio->_deferred_list);
#else
	atomic_set(&head[1].compound_mapcount, -1);
	head[1].compound_order = order;
	if (order >= 2) {
		head[1].compound_dtor = TRANSHUGE_PAGE_DTOR;
		INIT_LIST_HEAD(&head[2].deferred_list);
	}
#endif
}

/* pgc_fake as a healthy block of @order at the moment of its free. */
static void pgc_fake_block(unsigned int order, bool compound)
{
	struct pgc_page_snap s;
	unsigned int i;

	pgc_clean_snap(&s);
	if (compound)
		s.flags = 1UL << PG_head;
	pgc_snap_to_page(&s, &pgc_fake[0]);
	for (i = 1; i < (1U << order); i++) {
		pgc_clean_tail(order, compound, i, &s);
		pgc_snap_to_page(&s, &pgc_fake[i]);
	}
	if (compound && order)
		pgc_fake_folio(pgc_fake, order);
}

static u32 pgc_judge_fake(unsigned int order)
{
	struct pgc_judgement v;

	pgc_judge_block(pgc_fake, order, &v);
	return v.reasons;
}

/*
 * The audit's hot path itself: audit.h's __pgc_audit_free() and the very
 * src/audit_large.c (built in, audit_large_under_test.c), with the slow
 * path caught here, and the counters and key they use.
 */
DEFINE_PER_CPU(struct pgc_audit_counters, pgc_audit_counters);
#if PGC_COUNT_FREES_DEFAULT
DEFINE_STATIC_KEY_TRUE(pgc_count_frees);
#else
DEFINE_STATIC_KEY_FALSE(pgc_count_frees);
#endif
static bool pgc_caught_slow;

void pgc_audit_slow(unsigned long head_check_flags, struct page *page,
		    unsigned int order)
{
	pgc_caught_slow = true;
}

/* Does the hot path, with count_frees @count, send pgc_fake's free to the judge? */
static bool pgc_hot_path_sends(unsigned int order, bool count)
{
	pgc_caught_slow = false;
	if (count)
		__pgc_audit_free(PGC_HEAD_CHECK_FLAGS, pgc_fake, order, true);
	else
		__pgc_audit_free(PGC_HEAD_CHECK_FLAGS, pgc_fake, order, false);
	return pgc_caught_slow;
}

/* Both count_frees probes send pgc_fake's free to the judge. */
static bool pgc_filter_fake(unsigned int order)
{
	return pgc_hot_path_sends(order, true) && pgc_hot_path_sends(order, false);
}

/* Neither does. */
static bool pgc_filter_passes_fake(unsigned int order)
{
	return !pgc_hot_path_sends(order, true) && !pgc_hot_path_sends(order, false);
}

/* --- the head ------------------------------------------------------------- */

static u32 pgc_head(const struct pgc_page_snap *s, unsigned int order)
{
	return pgc_judge_head(s, order);
}

static void pgc_test_head(void)
{
	struct pgc_page_snap s;
	unsigned long bit;
	u32 all_flags = 0;
	bool each = true;

	pgc_clean_snap(&s);
	pgc_expect("head_clean", pgc_head(&s, 0), 0);

	pgc_clean_snap(&s);
	s.mapcount = 0;
	pgc_expect("head_nonzero_mapcount", pgc_head(&s, 0), PGC_BIT(PGC_R_MAPCOUNT));

	pgc_clean_snap(&s);
	s.mapping = 0xffff888001234000UL;
	pgc_expect("head_non_null_mapping", pgc_head(&s, 0), PGC_BIT(PGC_R_MAPPING));

	pgc_clean_snap(&s);
	s.mapping = 0xffff888001234000UL | PGC_MAPPING_ANON;
	pgc_expect("head_anon_mapping_normalised", pgc_head(&s, 0), 0);

	pgc_clean_snap(&s);
	s.mapping = 0xffff888001234000UL | 2;	/* PAGE_MAPPING_MOVABLE */
	if (PGC_MAPPING_CLEARED_BITS & 2)
		pgc_expect("head_movable_mapping_normalised", pgc_head(&s, 0), 0);
	else
		pgc_expect("head_movable_bit_no_longer_exempt", pgc_head(&s, 0),
			   PGC_BIT(PGC_R_MAPPING));

	pgc_clean_snap(&s);
	s.refcount = 1;
	pgc_expect("head_nonzero_refcount", pgc_head(&s, 0), PGC_BIT(PGC_R_REFCOUNT));

	pgc_clean_snap(&s);
	s.refcount = -1;
	pgc_expect("head_negative_refcount", pgc_head(&s, 0),
		   PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE));

	for_each_set_bit(bit, &(unsigned long){ PGC_HEAD_CHECK_FLAGS }, BITS_PER_LONG) {
		pgc_clean_snap(&s);
		s.flags = 1UL << bit;
		pgc_snap_to_page(&s, &pgc_fake[0]);
		if (pgc_head(&s, 0) != PGC_BIT(PGC_R_FLAGS) ||
		    !pgc_head_maybe_bad(pgc_fake, 0)) {
			pr_info("    # flag bit %lu not reported\n", bit);
			each = false;
		}
		all_flags++;
	}
	pgc_expect_true("head_each_check_at_free_flag", each && all_flags > 5,
			"a PAGE_FLAGS_CHECK_AT_FREE bit is not reported");

	pgc_clean_snap(&s);
	s.flags = 1UL << PG_lru | 1UL << PG_locked;
	pgc_expect("head_lru_and_locked", pgc_head(&s, 0), PGC_BIT(PGC_R_FLAGS));

	pgc_clean_snap(&s);
	s.flags = 1UL << PG_uptodate | 1UL << PG_dirty |
		  1UL << PG_referenced | 1UL << PG_swapbacked;
	pgc_expect("head_harmless_flags", pgc_head(&s, 0), 0);


	pgc_clean_snap(&s);
	s.memcg_data = 0xffff888004560000UL;
	pgc_expect("head_memcg_charged", pgc_head(&s, 0), PGC_BIT(PGC_R_MEMCG));

	pgc_clean_snap(&s);
	pgc_kmem_charge(&s);
	pgc_expect("head_memcg_kmem_normalised", pgc_head(&s, 0), 0);
	pgc_snap_to_page(&s, &pgc_fake[0]);
	pgc_expect_true("head_memcg_kmem_filter", !pgc_head_maybe_bad(pgc_fake, 0),
			"the filter flags a kmem-charged page");

	pgc_clean_snap(&s);
	s.memcg_data = 0xffff888004560000UL | 1UL;	/* OBJCGS or OBJEXTS */
	pgc_expect("head_memcg_objcgs_left", pgc_head(&s, 0), PGC_BIT(PGC_R_MEMCG));

#if PGC_RULE_PAGE_POOL || PGC_PAGE_POOL_OPT_IN
	/* where the rule is opt-in (6.1), as with page_pool_rule=1 */
	pgc_page_pool_rule = true;
	pgc_clean_snap(&s);
	s.head_word = PP_SIGNATURE;
	pgc_expect("head_page_pool_leak", pgc_head(&s, 0), PGC_BIT(PGC_R_PAGE_POOL));
	pgc_clean_snap(&s);
	s.head_word = (unsigned long)LIST_POISON1;
	pgc_expect("head_list_poison_not_page_pool", pgc_head(&s, 0), 0);
	pgc_page_pool_rule = PGC_RULE_PAGE_POOL;
	if (PGC_PAGE_POOL_OPT_IN) {
		pgc_clean_snap(&s);
		s.head_word = PP_SIGNATURE;
		pgc_expect("head_page_pool_opt_in_off", pgc_head(&s, 0), 0);
	}
#else
	pgc_skip("head_page_pool_leak", "kernel has no page_pool rule");
	pgc_skip("head_list_poison_not_page_pool", "kernel has no page_pool rule");
#endif

	pgc_clean_snap(&s);
	s.mapcount = pgc_buddy_type();
	/* Where the kernel resets page types before its check, only ours fires. */
	pgc_expect("head_page_buddy_double_free", pgc_head(&s, 0),
		   (PGC_HEAD_TYPE_RESET_AT_FREE ? 0 : PGC_BIT(PGC_R_MAPCOUNT)) |
		   PGC_BIT(PGC_R_BUDDY));

	pgc_clean_snap(&s);
	s.mapcount = 2;
	s.mapping = 0xffff888001234000UL;
	s.refcount = 3;
	s.flags = 1UL << PG_locked | 1UL << PG_writeback;
	s.memcg_data = 0xffff888004560000UL;
	pgc_expect("head_every_rule_reported", pgc_head(&s, 0),
		   PGC_BIT(PGC_R_MAPCOUNT) | PGC_BIT(PGC_R_MAPPING) |
		   PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_FLAGS) |
		   PGC_BIT(PGC_R_MEMCG));

#ifdef CONFIG_MEMORY_FAILURE
	pgc_clean_snap(&s);
	s.flags = 1UL << PG_hwpoison;
	s.mapping = 0xffff888001234000UL;
	pgc_expect("head_hwpoison_order0_exempt", pgc_head(&s, 0), 0);
	pgc_expect("head_hwpoison_order1_checked", pgc_head(&s, 1),
		   PGC_BIT(PGC_R_MAPPING));
#else
	pgc_skip("head_hwpoison_order0_exempt", "no CONFIG_MEMORY_FAILURE");
	pgc_skip("head_hwpoison_order1_checked", "no CONFIG_MEMORY_FAILURE");
#endif
}

/* --- the filters against the judge ---------------------------------------- */

static const unsigned long pgc_mappings[] = {
	0, 1, 2, 3, 0xffff888001234000UL, 0xffff888001234001UL,
	0xffff888001234002UL, 0xffff888001234003UL,
};
static const int pgc_counts_tried[] = { -1, 0, 1, -2, 0x7fffff7f, INT_MIN };

static void pgc_random_snap(struct rnd_state *rnd, struct pgc_page_snap *s)
{
	u32 r = prandom_u32_state(rnd);

	s->mapping = pgc_mappings[r % ARRAY_SIZE(pgc_mappings)];
	s->mapcount = pgc_counts_tried[(r >> 4) % ARRAY_SIZE(pgc_counts_tried)];
	s->refcount = pgc_counts_tried[(r >> 8) % ARRAY_SIZE(pgc_counts_tried)] + 1;
	if (r & (1U << 12))
		s->flags = 1UL << (prandom_u32_state(rnd) % 32);
	if (r & (1U << 13))
		s->memcg_data = 0xffff888004560000UL | ((r >> 14) & 3);
	if (r & (1U << 16))
		s->head_word = prandom_u32_state(rnd) & 1 ?
			(unsigned long)LIST_POISON1 : 0xdead000000000040UL;
	if (r & (1U << 17))
		s->mapcount = pgc_buddy_type();
}

/* A clean verdict from the order-0 filter must be final. */
static void pgc_test_head_filter(void)
{
	struct rnd_state rnd;
	struct pgc_page_snap s;
	unsigned int i, hidden = 0, bad = 0, clean_passed = 0;

	prandom_seed_state(&rnd, 42);
	for (i = 0; i < 20000; i++) {
		pgc_clean_snap(&s);
		pgc_random_snap(&rnd, &s);
		pgc_snap_to_page(&s, &pgc_fake[0]);
		if (pgc_judge_fake(0)) {
			bad++;
			if (!pgc_filter_fake(0))
				hidden++;
		} else if (pgc_filter_passes_fake(0)) {
			clean_passed++;
		}
	}
	pgc_expect_true("head_filter_never_hides_a_violation", !hidden && bad > 1000,
			"the hot path passed a page the judge rejects");
	pgc_expect_true("head_filter_passes_clean_pages", clean_passed > 100,
			"the hot path flags every healthy variant");

	pgc_fake_block(0, false);
	pgc_expect_true("head_filter_clean_page", pgc_filter_passes_fake(0),
			"the hot path flags a clean order-0 page");
	pgc_expect_true("head_filter_sends_high_order_on",
			pgc_head_maybe_bad(pgc_fake, 1) &&
			pgc_head_maybe_bad(pgc_fake, 9),
			"the order-0 filter passed an order > 0 free");
}

/* One random corruption of a word of the fake block. */
static void pgc_corrupt_fake(struct rnd_state *rnd, unsigned int order)
{
	unsigned int nr = 1U << order, index = prandom_u32_state(rnd) % nr;
	struct page *p = &pgc_fake[index];
	u32 r = prandom_u32_state(rnd);

	switch (r % 9) {
	case 0:
		pgc_flags_field(p) |= 1UL << ((r >> 8) % 32);
		break;
	case 1:
		pgc_head_word_field(p) ^= 1UL << ((r >> 8) % BITS_PER_LONG);
		break;
	case 2:
		p->mapping = (struct address_space *)
			pgc_mappings[(r >> 8) % ARRAY_SIZE(pgc_mappings)];
		break;
	case 3:
		atomic_set(&p->_mapcount,
			   pgc_counts_tried[(r >> 8) % ARRAY_SIZE(pgc_counts_tried)]);
		break;
	case 4:
		atomic_set(&p->_refcount,
			   pgc_counts_tried[(r >> 8) % ARRAY_SIZE(pgc_counts_tried)] + 1);
		break;
	case 5:
		pgc_set_memcg(p, 0xffff888004560000UL | ((r >> 8) & 3));
		break;
	case 6:
		p->mapping = (struct address_space *)TAIL_MAPPING;
		break;
	case 7:		/* a folio field: mapcounts, pincount, deferred list */
		if (order && nr > 2)
			memset((char *)&pgc_fake[1] + 16 + (r >> 8) % 24, 0, 4);
		break;
	case 8:
		if (order >= 2 && (r & 256)) {
			INIT_LIST_HEAD(&pgc_fake_queue);
#if defined(PGC_HAVE_FOLIO_DEFERRED_LIST)
			list_add(&((struct folio *)pgc_fake)->_deferred_list,
				 &pgc_fake_queue);
#elif defined(PGC_HAVE_PAGE_DEFERRED_LIST)
			list_add(&pgc_fake[2].deferred_list, &pgc_fake_queue);
#endif
		}
		break;
	}
}

/* A clean verdict from the high-order filter must be final, too. */
static void pgc_test_large_filter(bool compound)
{
	static const unsigned int orders[] = { 1, 2, 3, PGC_FAKE_ORDER };
	const char *kind = compound ? "compound" : "plain";
	unsigned int o, i, hidden = 0, bad = 0, clean = 0;
	struct rnd_state rnd;
	char name[64];

	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		pgc_fake_block(orders[o], compound);
		snprintf(name, sizeof(name), "large_filter_%s_order%u_clean", kind,
			 orders[o]);
		pgc_expect_true(name, !pgc_judge_fake(orders[o]) &&
				pgc_filter_passes_fake(orders[o]),
				"a healthy block is not passed by both judge and filter");
	}
	prandom_seed_state(&rnd, compound ? 7 : 11);
	for (i = 0; i < 20000; i++) {
		unsigned int order = orders[i % ARRAY_SIZE(orders)];

		pgc_fake_block(order, compound);
		pgc_corrupt_fake(&rnd, order);
		if (prandom_u32_state(&rnd) & 1)
			pgc_corrupt_fake(&rnd, order);
		if (pgc_judge_fake(order)) {
			bad++;
			if (!pgc_filter_fake(order))
				hidden++;
		} else {
			clean++;
		}
	}
	snprintf(name, sizeof(name), "large_filter_%s_never_hides_a_violation", kind);
	pgc_expect_true(name, !hidden && bad > 1000 && clean > 100,
			"the hot path passed a block the judge rejects");
}

/* --- sub-pages ------------------------------------------------------------ */

static u32 pgc_sub(unsigned int order, bool compound, unsigned int index,
		   const struct pgc_page_snap *t)
{
	return pgc_judge_subpage(pgc_fake, order, compound, index, t);
}

static void pgc_test_subpages(void)
{
	struct pgc_folio_snap f;
	struct pgc_page_snap t;
	unsigned int i;
	bool clean = true;

	for (i = 1; i < 8; i++) {
		pgc_clean_tail(3, true, i, &t);
		if (pgc_sub(3, true, i, &t))
			clean = false;
	}
	pgc_expect_true("tail_clean_compound", clean, "a clean tail was flagged");

	pgc_clean_tail(3, true, 7, &t);
	t.mapping = 0;
	pgc_expect("tail_corrupted_mapping", pgc_sub(3, true, 7, &t),
		   PGC_BIT(PGC_R_TAIL_MAPPING));

	pgc_clean_tail(3, true, 5, &t);
	t.head_word = 0;
	pgc_expect("tail_pagetail_not_set", pgc_sub(3, true, 5, &t),
		   PGC_BIT(PGC_R_NOT_TAIL) | PGC_BIT(PGC_R_HEAD_MISMATCH));

	pgc_clean_tail(3, true, 5, &t);
	t.head_word = pgc_tail_word(&pgc_fake[8], &pgc_fake[9]);
	pgc_expect("tail_compound_head_not_consistent", pgc_sub(3, true, 5, &t),
		   PGC_BIT(PGC_R_HEAD_MISMATCH));

	pgc_clean_folio(&f, 3);
	f.entire_mapcount = 0;
	if (PGC_RULE_COMPOUND_MAPCOUNT)
		pgc_expect("folio_nonzero_compound_mapcount", pgc_folio_reasons(&f),
			   PGC_BIT(PGC_R_COMPOUND_MAPCOUNT));
	else
		pgc_expect("folio_nonzero_entire_mapcount", pgc_folio_reasons(&f),
			   PGC_BIT(PGC_R_ENTIRE_MAPCOUNT));

	pgc_clean_folio(&f, 3);
	f.large_mapcount = 0;
	if (PGC_RULE_LARGE_MAPCOUNT)
		pgc_expect("folio_nonzero_large_mapcount", pgc_folio_reasons(&f),
			   PGC_BIT(PGC_R_LARGE_MAPCOUNT));
	else
		pgc_skip("folio_nonzero_large_mapcount", "kernel has no large_mapcount");

	pgc_clean_folio(&f, 3);
	f.nr_pages_mapped = 1;
	if (PGC_RULE_NR_PAGES_MAPPED)
		pgc_expect("folio_nonzero_nr_pages_mapped", pgc_folio_reasons(&f),
			   PGC_BIT(PGC_R_NR_PAGES_MAPPED));
	else
		pgc_skip("folio_nonzero_nr_pages_mapped", "kernel has no nr_pages_mapped");

	pgc_clean_folio(&f, 3);
	f.mm_mapcount0 = 0;
	f.mm_mapcount1 = 0;
	if (PGC_RULE_MM_MAPCOUNT)
		pgc_expect("folio_nonzero_mm_mapcounts", pgc_folio_reasons(&f),
			   PGC_BIT(PGC_R_MM_MAPCOUNT0) | PGC_BIT(PGC_R_MM_MAPCOUNT1));
	else
		pgc_skip("folio_nonzero_mm_mapcounts", "kernel has no mm_id mapcounts");

	pgc_clean_folio(&f, 3);
	f.pincount = 1;
	if (PGC_RULE_PINCOUNT)
		pgc_expect("folio_nonzero_pincount", pgc_folio_reasons(&f),
			   PGC_BIT(PGC_R_PINCOUNT));
	else
		pgc_expect("folio_pincount_not_checked", pgc_folio_reasons(&f), 0);

	pgc_clean_tail(3, true, 1, &t);
	t.flags = PGC_SECOND_FLAGS_CLEARED_AT_FREE;
	if (PGC_SECOND_FLAGS_CLEARED_AT_FREE)
		pgc_expect("tail_second_page_flags_normalised", pgc_sub(3, true, 1, &t), 0);
	else
		pgc_skip("tail_second_page_flags_normalised", "no PAGE_FLAGS_SECOND");

	pgc_clean_folio(&f, 3);
	f.deferred_next = 0xffff888099990000UL;
	pgc_expect("folio_on_deferred_list", pgc_folio_reasons(&f),
		   PGC_BIT(PGC_R_DEFERRED_LIST));

	pgc_clean_folio(&f, 3);
	f.deferred_next = (unsigned long)LIST_POISON1;
	pgc_expect("folio_deferred_list_poisoned", pgc_folio_reasons(&f),
		   PGC_DEFERRED_LIST_KERNEL_RULE ? PGC_BIT(PGC_R_DEFERRED_LIST) : 0);

	pgc_clean_tail(3, true, 6, &t);
	t.refcount = 1;
	pgc_expect("tail_nonzero_refcount", pgc_sub(3, true, 6, &t),
		   PGC_BIT(PGC_R_REFCOUNT));

	pgc_clean_tail(3, true, 6, &t);
	t.refcount = -1;
	t.head_word = 0;
	pgc_expect("tail_several_rules", pgc_sub(3, true, 6, &t),
		   PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE) |
		   PGC_BIT(PGC_R_NOT_TAIL) | PGC_BIT(PGC_R_HEAD_MISMATCH));

	pgc_clean_tail(3, true, 6, &t);
	t.flags = 1UL << PG_mlocked;
	pgc_expect("tail_mlocked_not_normalised", pgc_sub(3, true, 6, &t),
		   PGC_BIT(PGC_R_FLAGS));

	pgc_clean_tail(3, true, 6, &t);
	t.memcg_data = 0xffff888004560000UL;
	pgc_expect("tail_memcg_charged", pgc_sub(3, true, 6, &t),
		   PGC_BIT(PGC_R_MEMCG));

	pgc_clean_tail(2, false, 1, &t);
	pgc_expect("plain_block_sub_page_clean", pgc_sub(2, false, 1, &t), 0);
	t.mapping = 0xffff888001234000UL;
	pgc_expect("plain_block_sub_page_mapping", pgc_sub(2, false, 1, &t),
		   PGC_BIT(PGC_R_MAPPING));
}

static void pgc_test_call(void)
{
	struct pgc_page_snap s;

	pgc_clean_snap(&s);
	s.refcount = 1;
	pgc_expect("call_owned_reference", pgc_judge_call(&s), 0);
	s.refcount = 0;
	pgc_expect("call_zero_refcount_double_free", pgc_judge_call(&s),
		   PGC_BIT(PGC_R_DOUBLE_FREE));
	s.refcount = -1;
	pgc_expect("call_negative_refcount", pgc_judge_call(&s),
		   PGC_BIT(PGC_R_DOUBLE_FREE) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE));
}

/*
 * Trimming: an unknown frame just before a free-path function's entry call
 * is the hook's trampoline (named after a stale module symbol, say);
 * before a deeper return address it is a real frame.
 */
static void pgc_test_stack_trim(void)
{
	char symbol[KSYM_SYMBOL_LEN];
	unsigned long at_entry[] = {
		(unsigned long)dump_stack + 4, (unsigned long)__free_pages + 9,
		(unsigned long)dump_stack + 8,
	};
	unsigned long deeper[] = {
		(unsigned long)dump_stack + 4, (unsigned long)__free_pages + 0x40,
	};

	pgc_expect_true("stack_trampoline_before_entry_call_trimmed",
			pgc_stack_hook_frames(at_entry, ARRAY_SIZE(at_entry), symbol) == 1,
			"the frame before __free_pages+0x9 was kept");
	pgc_expect_true("stack_frame_before_deeper_return_kept",
			pgc_stack_hook_frames(deeper, ARRAY_SIZE(deeper), symbol) == 0,
			"the frame before __free_pages+0x40 was trimmed");
	pgc_expect_true("stack_free_path_first_kept",
			pgc_stack_hook_frames(at_entry + 1, 2, symbol) == 0,
			"__free_pages+0x9 itself was trimmed");
}

static void pgc_test_strings(void)
{
	static const char *const kernel[] = {
		[PGC_R_MAPCOUNT] = "nonzero mapcount",
		[PGC_R_MAPPING] = "non-NULL mapping",
		[PGC_R_REFCOUNT] = "nonzero _refcount",
		[PGC_R_FLAGS] = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
		[PGC_R_MEMCG] = "page still charged to cgroup",
		[PGC_R_PAGE_POOL] = "page_pool leak",
		[PGC_R_COMPOUND_MAPCOUNT] = "nonzero compound_mapcount",
		[PGC_R_ENTIRE_MAPCOUNT] = "nonzero entire_mapcount",
		[PGC_R_LARGE_MAPCOUNT] = "nonzero large_mapcount",
		[PGC_R_NR_PAGES_MAPPED] = "nonzero nr_pages_mapped",
		[PGC_R_PINCOUNT] = "nonzero pincount",
		[PGC_R_MM_MAPCOUNT0] = "nonzero mm mapcount 0",
		[PGC_R_MM_MAPCOUNT1] = "nonzero mm mapcount 1",
		[PGC_R_DEFERRED_LIST] = "on deferred list",
		[PGC_R_TAIL_MAPPING] = "corrupted mapping in tail page",
		[PGC_R_NOT_TAIL] = "PageTail not set",
		[PGC_R_HEAD_MISMATCH] = "compound_head not consistent",
	};
	unsigned int i;
	bool same = true;

	for (i = 0; i < ARRAY_SIZE(kernel); i++)
		if (!kernel[i] || strcmp(kernel[i], pgc_reason_string(i)) ||
		    pgc_reason_parse(kernel[i]) != i)
			same = false;
	pgc_expect_true("reason_strings_match_kernel", same,
			"a reason string differs from mm/page_alloc.c");
	pgc_expect_true("reason_parse_unknown", pgc_reason_parse("nonzero private") < 0,
			"a reason pagecheck has no rule for was parsed");
}

/*
 * --- byte order ------------------------------------------------------------
 * The filter's word tricks must mean on a big-endian machine (s390) what
 * they mean on x86: one byte out of place in either count, in place on a
 * page, fails the merged counts test; page[1]'s _nr_pages is exactly the
 * part of memcg_data free_pages_prepare() clears.
 */
static void pgc_test_byte_order(void)
{
	bool counts = pgc_counts(-1, 0) == PGC_COUNTS_CLEAN;
	bool filter = true;
	unsigned int b;

	if (!pgc_test_counting)
		pr_info("# byte order: %s-endian, %u-bit\n",
			IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ? "big" : "little", BITS_PER_LONG);
	for (b = 0; b < 4; b++) {
		int mapcount = (int)~(0xffU << (8 * b)), refcount = (int)(1U << (8 * b));

		counts &= pgc_counts(mapcount, 0) != PGC_COUNTS_CLEAN &&
			  pgc_counts(-1, refcount) != PGC_COUNTS_CLEAN;
		pgc_fake_block(0, false);
		atomic_set(&pgc_fake[0]._mapcount, mapcount);
		filter &= pgc_head_maybe_bad(pgc_fake, 0);
		pgc_fake_block(0, false);
		atomic_set(&pgc_fake[0]._refcount, refcount);
		filter &= pgc_head_maybe_bad(pgc_fake, 0);
	}
	pgc_fake_block(0, false);
	filter &= !pgc_head_maybe_bad(pgc_fake, 0);
	pgc_expect_true("byte_order_counts_word", counts,
			"a byte of _mapcount or _refcount escapes the merged counts");
	pgc_expect_true("byte_order_counts_in_place", filter,
			"the head filter misses a byte of a count in place");
#ifdef NR_PAGES_IN_LARGE_FOLIO
	{
		struct folio *folio = (struct folio *)pgc_fake;
		unsigned long kept;

		pgc_fake_block(1, true);
		folio->_nr_pages = U32_MAX;
		kept = pgc_page_memcg(&pgc_fake[1]) & ~PGC_SECOND_MEMCG_CLEARED_AT_FREE;
		folio->_nr_pages = 0;
		pgc_set_memcg(&pgc_fake[1], ~0UL);
		pgc_expect_true("byte_order_second_memcg_mask",
				!kept && (pgc_page_memcg(&pgc_fake[1]) &
					  ~PGC_SECOND_MEMCG_CLEARED_AT_FREE) ==
				~PGC_SECOND_MEMCG_CLEARED_AT_FREE,
				"the mask is not folio->_nr_pages");
		pgc_set_memcg(&pgc_fake[1], 0);
	}
#else
	pgc_skip("byte_order_second_memcg_mask", "no _nr_pages in page[1].memcg_data");
#endif
}

/*
 * --- fixed cases -------------------------------------------------------------
 * States where pagecheck once disagreed with a kernel. Each expectation
 * comes from that kernel's source, not from the compat layer under test.
 */

/*
 * Only PG_mlocked on the head (order 0, and an order-3 block that is not
 * compound). Lazy munlock (5.18) lets it reach the free, where
 * free_pages_prepare() clears it before its check; 5.10 checks it as one
 * of PAGE_FLAGS_CHECK_AT_FREE. 7.x moved the probe's witness into struct
 * folio, and pagecheck reported all such frees there.
 */
static void pgc_test_fixed_mlocked(unsigned int order)
{
	u32 want = LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0) ?
		   0 : PGC_BIT(PGC_R_FLAGS);
	u32 got;

	pgc_fake_block(order, false);
	pgc_flags_field(&pgc_fake[0]) = 1UL << PG_mlocked;
	got = pgc_judge_fake(order);
	pgc_expect(order ? "fixed_only_mlocked_block" : "fixed_only_mlocked",
		   got, want);
	pgc_expect_true(order ? "fixed_only_mlocked_block_filter" :
			"fixed_only_mlocked_filter",
			!want || pgc_filter_fake(order),
			"the filter calls clean a free the judge rejects");
	pgc_fake_block(order, false);
}

static void pgc_rules_tests(void)
{
	pgc_test_byte_order();
	pgc_test_head();
	pgc_test_head_filter();
	pgc_test_large_filter(true);
	pgc_test_large_filter(false);
	pgc_test_subpages();
	pgc_test_call();
	pgc_test_stack_trim();
	pgc_test_strings();
	pgc_test_fixed_mlocked(0);
	pgc_test_fixed_mlocked(3);
}

static int __init pgc_rules_test_init(void)
{
	pgc_test_counting = true;
	pgc_rules_tests();
	pr_info("KTAP version 1\n");
	pr_info("1..%u\n", pgc_test_nr);
	pr_info("# pagecheck_rules: start\n");
	pgc_test_counting = false;
	pgc_test_nr = 0;
	pgc_rules_tests();
	pr_info("# pagecheck_rules: pass:%u fail:%u skip:%u\n",
		pgc_test_nr - pgc_test_failed - pgc_test_skipped,
		pgc_test_failed, pgc_test_skipped);
	return 0;
}

static void __exit pgc_rules_test_exit(void)
{
}

module_init(pgc_rules_test_init);
module_exit(pgc_rules_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pagecheck rule and filter tests (KTAP)");
