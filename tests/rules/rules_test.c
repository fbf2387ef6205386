// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP tests for the rule engine: synthetic snapshots fed to the same
 * pgc_judge_head()/pgc_judge_tail()/pgc_head_maybe_bad() the hook uses.
 * Results go to the kernel log; loading always succeeds.
 */
#define pr_fmt(fmt) fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include <linux/prandom.h>
#include "pagecheck/rules.h"

static unsigned int pgc_test_nr;
static unsigned int pgc_test_failed;
static unsigned int pgc_test_skipped;

/* Stand-in pages: only their addresses are used, as the hook's identity. */
static struct page pgc_fake[16] __aligned(4096);

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
	pgc_test_skipped++;
	pr_info("ok %u %s # SKIP %s\n", pgc_test_nr, name, why);
}

static void pgc_clean_page(struct pgc_page_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->mapcount = -1;
}

static void pgc_clean_free(struct pgc_free_snap *fs, unsigned int order,
			   bool compound)
{
	memset(fs, 0, sizeof(*fs));
	fs->page = &pgc_fake[0];
	fs->order = order;
	fs->compound = compound;
	pgc_clean_page(&fs->head);
	if (compound)
		fs->head.flags = 1UL << PG_head;
	fs->folio.entire_mapcount = -1;
	fs->folio.large_mapcount = -1;
	fs->folio.mm_mapcount[0] = -1;
	fs->folio.mm_mapcount[1] = -1;
	fs->folio.deferred_applies = compound && order >= 2;
	fs->folio.deferred_self = 0xffff888012345678UL;
	fs->folio.deferred_next = fs->folio.deferred_self;
}

static void pgc_clean_tail(const struct pgc_free_snap *fs, unsigned int index,
			   struct pgc_page_snap *t)
{
	pgc_clean_page(t);
	if (!fs->compound)
		return;
	t->head_word = pgc_tail_word(fs->page, fs->order);
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

static u32 pgc_head(const struct pgc_free_snap *fs)
{
	return pgc_judge_head(fs);
}

static void pgc_test_head(void)
{
	struct pgc_free_snap fs;
	unsigned long bit;
	u32 all_flags = 0;
	bool each = true;

	pgc_clean_free(&fs, 0, false);
	pgc_expect("head_clean", pgc_head(&fs), 0);
	pgc_expect_true("head_clean_fast_path", !pgc_head_maybe_bad(&fs.head),
			"fast filter flags a clean page");

	pgc_clean_free(&fs, 0, false);
	fs.head.mapcount = 0;
	pgc_expect("head_nonzero_mapcount", pgc_head(&fs), PGC_BIT(PGC_R_MAPCOUNT));

	pgc_clean_free(&fs, 0, false);
	fs.head.mapping = 0xffff888001234000UL;
	pgc_expect("head_non_null_mapping", pgc_head(&fs), PGC_BIT(PGC_R_MAPPING));

	pgc_clean_free(&fs, 0, false);
	fs.head.mapping = 0xffff888001234000UL | PGC_MAPPING_ANON;
	pgc_expect("head_anon_mapping_normalised", pgc_head(&fs), 0);
	pgc_expect_true("head_anon_mapping_fast_path", !pgc_head_maybe_bad(&fs.head),
			"fast filter flags an anon page");

	pgc_clean_free(&fs, 0, false);
	fs.head.mapping = 0xffff888001234000UL | 2;	/* PAGE_MAPPING_MOVABLE */
	if (PGC_MAPPING_CLEARED_BITS & 2)
		pgc_expect("head_movable_mapping_normalised", pgc_head(&fs), 0);
	else
		pgc_expect("head_movable_bit_no_longer_exempt", pgc_head(&fs),
			   PGC_BIT(PGC_R_MAPPING));

	pgc_clean_free(&fs, 0, false);
	fs.head.refcount = 1;
	pgc_expect("head_nonzero_refcount", pgc_head(&fs), PGC_BIT(PGC_R_REFCOUNT));

	pgc_clean_free(&fs, 0, false);
	fs.head.refcount = -1;
	pgc_expect("head_negative_refcount", pgc_head(&fs),
		   PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE));

	for_each_set_bit(bit, &(unsigned long){ PGC_HEAD_CHECK_FLAGS }, BITS_PER_LONG) {
		pgc_clean_free(&fs, 0, false);
		fs.head.flags = 1UL << bit;
		if (pgc_head(&fs) != PGC_BIT(PGC_R_FLAGS) ||
		    !pgc_head_maybe_bad(&fs.head)) {
			pr_info("    # flag bit %lu not reported\n", bit);
			each = false;
		}
		all_flags++;
	}
	pgc_expect_true("head_each_check_at_free_flag", each && all_flags > 5,
			"a PAGE_FLAGS_CHECK_AT_FREE bit is not reported");

	pgc_clean_free(&fs, 0, false);
	fs.head.flags = 1UL << PG_lru | 1UL << PG_locked;
	pgc_expect("head_lru_and_locked", pgc_head(&fs), PGC_BIT(PGC_R_FLAGS));

	pgc_clean_free(&fs, 0, false);
	fs.head.flags = 1UL << PG_uptodate | 1UL << PG_dirty |
			1UL << PG_referenced | 1UL << PG_swapbacked;
	pgc_expect("head_harmless_flags", pgc_head(&fs), 0);

	pgc_clean_free(&fs, 0, false);
	fs.head.flags = PGC_HEAD_FLAGS_CLEARED_AT_FREE;
	if (PGC_HEAD_FLAGS_CLEARED_AT_FREE)
		pgc_expect("head_mlocked_normalised", pgc_head(&fs), 0);
	else
		pgc_skip("head_mlocked_normalised", "kernel checks PG_mlocked at free");

	pgc_clean_free(&fs, 0, false);
	fs.head.memcg_data = 0xffff888004560000UL;
	pgc_expect("head_memcg_charged", pgc_head(&fs), PGC_BIT(PGC_R_MEMCG));

	pgc_clean_free(&fs, 0, false);
	pgc_kmem_charge(&fs.head);
	pgc_expect("head_memcg_kmem_normalised", pgc_head(&fs), 0);
#ifdef PGC_HAVE_PAGE_MEMCG_DATA
	pgc_expect_true("head_memcg_kmem_fast_path", !pgc_head_maybe_bad(&fs.head),
			"fast filter flags a kmem-charged page");
#else
	pgc_skip("head_memcg_kmem_fast_path", "PageKmemcg pages take the slow path");
#endif

	pgc_clean_free(&fs, 0, false);
	fs.head.memcg_data = 0xffff888004560000UL | 1UL;	/* OBJCGS or OBJEXTS */
	pgc_expect("head_memcg_objcgs_left", pgc_head(&fs), PGC_BIT(PGC_R_MEMCG));

#if PGC_RULE_PAGE_POOL
	pgc_clean_free(&fs, 0, false);
	fs.head.head_word = PP_SIGNATURE;
	pgc_expect("head_page_pool_leak", pgc_head(&fs), PGC_BIT(PGC_R_PAGE_POOL));
	pgc_clean_free(&fs, 0, false);
	fs.head.head_word = (unsigned long)LIST_POISON1;
	pgc_expect("head_list_poison_not_page_pool", pgc_head(&fs), 0);
#else
	pgc_skip("head_page_pool_leak", "kernel has no page_pool rule");
	pgc_skip("head_list_poison_not_page_pool", "kernel has no page_pool rule");
#endif

	pgc_clean_free(&fs, 0, false);
	fs.head.mapcount = pgc_buddy_type();
	/* Where the kernel resets page types before its check, only ours fires. */
	pgc_expect("head_page_buddy_double_free", pgc_head(&fs),
		   (PGC_HEAD_TYPE_RESET_AT_FREE ? 0 : PGC_BIT(PGC_R_MAPCOUNT)) |
		   PGC_BIT(PGC_R_BUDDY));

	pgc_clean_free(&fs, 0, false);
	fs.head.mapcount = 2;
	fs.head.mapping = 0xffff888001234000UL;
	fs.head.refcount = 3;
	fs.head.flags = 1UL << PG_locked | 1UL << PG_writeback;
	fs.head.memcg_data = 0xffff888004560000UL;
	pgc_expect("head_every_rule_reported", pgc_head(&fs),
		   PGC_BIT(PGC_R_MAPCOUNT) | PGC_BIT(PGC_R_MAPPING) |
		   PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_FLAGS) |
		   PGC_BIT(PGC_R_MEMCG));

#ifdef CONFIG_MEMORY_FAILURE
	pgc_clean_free(&fs, 0, false);
	fs.head.flags = 1UL << PG_hwpoison;
	fs.head.mapping = 0xffff888001234000UL;
	pgc_expect("head_hwpoison_order0_exempt", pgc_head(&fs), 0);
	fs.order = 1;
	pgc_expect("head_hwpoison_order1_checked", pgc_head(&fs), PGC_BIT(PGC_R_MAPPING));
#else
	pgc_skip("head_hwpoison_order0_exempt", "no CONFIG_MEMORY_FAILURE");
	pgc_skip("head_hwpoison_order1_checked", "no CONFIG_MEMORY_FAILURE");
#endif
}

static struct page pgc_filter_page;

/* Lay a snapshot out as a struct page for pgc_free_maybe_bad(). */
static void pgc_snap_to_page(const struct pgc_page_snap *s, struct page *page)
{
	memset(page, 0, sizeof(*page));
	pgc_peek_flags(page) = s->flags;
	pgc_compound_word(page) = s->head_word;
	page->mapping = (struct address_space *)s->mapping;
	atomic_set(&page->_mapcount, s->mapcount);
	atomic_set(&page->_refcount, s->refcount);
#ifdef PGC_MEMCG_KMEM_TAG
	page->memcg_data = s->memcg_data;
#elif defined(CONFIG_MEMCG) && defined(PGC_HAVE_PAGE_MEM_CGROUP)
	page->mem_cgroup = (struct mem_cgroup *)s->memcg_data;
#endif
}

/* Random snapshots: a clean verdict from the fast filter must be final. */
static void pgc_test_fast_filter(void)
{
	static const unsigned long mappings[] = {
		0, 1, 2, 3, 0xffff888001234000UL, 0xffff888001234001UL,
		0xffff888001234002UL,
	};
	static const int counts[] = { -1, 0, 1, -2, 0x7fffff7f, INT_MIN };
	struct rnd_state rnd;
	struct pgc_free_snap fs;
	unsigned int i, bad = 0, bad_raw = 0, dirty = 0;

	prandom_seed_state(&rnd, 42);
	for (i = 0; i < 20000; i++) {
		u32 r = prandom_u32_state(&rnd);

		pgc_clean_free(&fs, 0, false);
		fs.head.mapping = mappings[r % ARRAY_SIZE(mappings)];
		fs.head.mapcount = counts[(r >> 4) % ARRAY_SIZE(counts)];
		fs.head.refcount = counts[(r >> 8) % ARRAY_SIZE(counts)] + 1;
		if (r & (1U << 12))
			fs.head.flags = 1UL << (prandom_u32_state(&rnd) % 32);
		if (r & (1U << 13))
			fs.head.memcg_data = 0xffff888004560000UL | ((r >> 14) & 3);
		if (r & (1U << 16))
			fs.head.head_word = prandom_u32_state(&rnd) & 1 ?
				(unsigned long)LIST_POISON1 : 0xdead000000000040UL;
		if (pgc_judge_head(&fs)) {
			dirty++;
			if (!pgc_head_maybe_bad(&fs.head))
				bad++;
			pgc_snap_to_page(&fs.head, &pgc_filter_page);
			if (!pgc_free_maybe_bad(&pgc_filter_page, 0))
				bad_raw++;
		}
	}
	pgc_expect_true("fast_filter_never_hides_a_violation", !bad && dirty > 1000,
			"pgc_head_maybe_bad() passed a page the judge rejects");
	pgc_expect_true("raw_filter_never_hides_a_violation", !bad_raw && dirty > 1000,
			"pgc_free_maybe_bad() passed a page the judge rejects");

	pgc_clean_free(&fs, 0, false);
	pgc_snap_to_page(&fs.head, &pgc_filter_page);
	pgc_expect_true("raw_filter_clean_page", !pgc_free_maybe_bad(&pgc_filter_page, 0),
			"pgc_free_maybe_bad() flags a clean order-0 page");
	pgc_expect_true("raw_filter_sends_high_order_on",
			pgc_free_maybe_bad(&pgc_filter_page, 1) &&
			pgc_free_maybe_bad(&pgc_filter_page, 9),
			"pgc_free_maybe_bad() passed an order > 0 free");
}

static u32 pgc_tail(const struct pgc_free_snap *fs, unsigned int index,
		    const struct pgc_page_snap *t)
{
	return pgc_judge_tail(fs, index, t);
}

static void pgc_test_tails(void)
{
	struct pgc_free_snap fs;
	struct pgc_page_snap t;
	unsigned int i;
	bool clean = true;

	pgc_clean_free(&fs, 3, true);
	for (i = 1; i < 8; i++) {
		pgc_clean_tail(&fs, i, &t);
		if (pgc_tail(&fs, i, &t))
			clean = false;
	}
	pgc_expect_true("tail_clean_compound", clean, "a clean tail was flagged");

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 7, &t);
	t.mapping = 0;
	pgc_expect("tail_corrupted_mapping", pgc_tail(&fs, 7, &t),
		   PGC_BIT(PGC_R_TAIL_MAPPING));

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 5, &t);
	t.head_word = 0;
	pgc_expect("tail_pagetail_not_set", pgc_tail(&fs, 5, &t),
		   PGC_BIT(PGC_R_NOT_TAIL) | PGC_BIT(PGC_R_HEAD_MISMATCH));

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 5, &t);
	t.head_word = pgc_tail_word(&pgc_fake[8], 0);
	pgc_expect("tail_compound_head_not_consistent", pgc_tail(&fs, 5, &t),
		   PGC_BIT(PGC_R_HEAD_MISMATCH));

	pgc_clean_free(&fs, 3, true);
	fs.folio.entire_mapcount = 0;
	pgc_clean_tail(&fs, 1, &t);
	if (PGC_RULE_COMPOUND_MAPCOUNT)
		pgc_expect("tail_nonzero_compound_mapcount", pgc_tail(&fs, 1, &t),
			   PGC_BIT(PGC_R_COMPOUND_MAPCOUNT));
	else
		pgc_expect("tail_nonzero_entire_mapcount", pgc_tail(&fs, 1, &t),
			   PGC_BIT(PGC_R_ENTIRE_MAPCOUNT));

	pgc_clean_free(&fs, 3, true);
	fs.folio.large_mapcount = 0;
	pgc_clean_tail(&fs, 1, &t);
	if (PGC_RULE_LARGE_MAPCOUNT)
		pgc_expect("tail_nonzero_large_mapcount", pgc_tail(&fs, 1, &t),
			   PGC_BIT(PGC_R_LARGE_MAPCOUNT));
	else
		pgc_skip("tail_nonzero_large_mapcount", "kernel has no large_mapcount");

	pgc_clean_free(&fs, 3, true);
	fs.folio.nr_pages_mapped = 1;
	pgc_clean_tail(&fs, 1, &t);
	if (PGC_RULE_NR_PAGES_MAPPED)
		pgc_expect("tail_nonzero_nr_pages_mapped", pgc_tail(&fs, 1, &t),
			   PGC_BIT(PGC_R_NR_PAGES_MAPPED));
	else
		pgc_skip("tail_nonzero_nr_pages_mapped", "kernel has no nr_pages_mapped");

	pgc_clean_free(&fs, 3, true);
	fs.folio.mm_mapcount[0] = 0;
	fs.folio.mm_mapcount[1] = 0;
	pgc_clean_tail(&fs, 1, &t);
	if (PGC_RULE_MM_MAPCOUNT)
		pgc_expect("tail_nonzero_mm_mapcounts", pgc_tail(&fs, 1, &t),
			   PGC_BIT(PGC_R_MM_MAPCOUNT0) | PGC_BIT(PGC_R_MM_MAPCOUNT1));
	else
		pgc_skip("tail_nonzero_mm_mapcounts", "kernel has no mm_id mapcounts");

	pgc_clean_free(&fs, 3, true);
	fs.folio.pincount = 1;
	pgc_clean_tail(&fs, 1, &t);
	if (PGC_RULE_PINCOUNT)
		pgc_expect("tail_nonzero_pincount", pgc_tail(&fs, 1, &t),
			   PGC_BIT(PGC_R_PINCOUNT));
	else
		pgc_expect("tail_pincount_not_checked", pgc_tail(&fs, 1, &t), 0);

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 1, &t);
	t.flags = PGC_SECOND_FLAGS_CLEARED_AT_FREE;
	if (PGC_SECOND_FLAGS_CLEARED_AT_FREE)
		pgc_expect("tail_second_page_flags_normalised", pgc_tail(&fs, 1, &t), 0);
	else
		pgc_skip("tail_second_page_flags_normalised", "no PAGE_FLAGS_SECOND");

	pgc_clean_free(&fs, 3, true);
	fs.folio.deferred_next = 0xffff888099990000UL;
	pgc_clean_tail(&fs, 2, &t);
	pgc_expect("tail_on_deferred_list", pgc_tail(&fs, 2, &t),
		   PGC_BIT(PGC_R_DEFERRED_LIST));

	pgc_clean_free(&fs, 3, true);
	fs.folio.deferred_next = (unsigned long)LIST_POISON1;
	pgc_clean_tail(&fs, 2, &t);
	pgc_expect("tail_deferred_list_poisoned",
		   pgc_tail(&fs, 2, &t),
		   PGC_DEFERRED_LIST_KERNEL_RULE ? PGC_BIT(PGC_R_DEFERRED_LIST) : 0);

	pgc_clean_free(&fs, 3, true);
	fs.folio.deferred_applies = false;
	fs.folio.deferred_next = (unsigned long)TAIL_MAPPING;
	pgc_clean_tail(&fs, 2, &t);
	pgc_expect("tail_deferred_list_not_applicable", pgc_tail(&fs, 2, &t), 0);

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 6, &t);
	t.refcount = 1;
	pgc_expect("tail_nonzero_refcount", pgc_tail(&fs, 6, &t),
		   PGC_BIT(PGC_R_REFCOUNT));

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 6, &t);
	t.refcount = -1;
	t.head_word = 0;
	pgc_expect("tail_several_rules", pgc_tail(&fs, 6, &t),
		   PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE) |
		   PGC_BIT(PGC_R_NOT_TAIL) | PGC_BIT(PGC_R_HEAD_MISMATCH));

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 6, &t);
	t.flags = 1UL << PG_mlocked;
	pgc_expect("tail_mlocked_not_normalised", pgc_tail(&fs, 6, &t),
		   PGC_BIT(PGC_R_FLAGS));

	pgc_clean_free(&fs, 3, true);
	pgc_clean_tail(&fs, 6, &t);
	t.memcg_data = 0xffff888004560000UL;
	pgc_expect("tail_memcg_charged", pgc_tail(&fs, 6, &t), PGC_BIT(PGC_R_MEMCG));

	pgc_clean_free(&fs, 2, false);
	pgc_clean_tail(&fs, 1, &t);
	pgc_expect("plain_block_sub_page_clean", pgc_tail(&fs, 1, &t), 0);
	t.mapping = 0xffff888001234000UL;
	pgc_expect("plain_block_sub_page_mapping", pgc_tail(&fs, 1, &t),
		   PGC_BIT(PGC_R_MAPPING));
}

static void pgc_test_call(void)
{
	struct pgc_page_snap s;

	pgc_clean_page(&s);
	s.refcount = 1;
	pgc_expect("call_owned_reference", pgc_judge_call(&s), 0);
	s.refcount = 0;
	pgc_expect("call_zero_refcount_double_free", pgc_judge_call(&s),
		   PGC_BIT(PGC_R_DOUBLE_FREE));
	s.refcount = -1;
	pgc_expect("call_negative_refcount", pgc_judge_call(&s),
		   PGC_BIT(PGC_R_DOUBLE_FREE) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE));
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
		if (!kernel[i] || strcmp(kernel[i], pgc_reason_string(i)))
			same = false;
	pgc_expect_true("reason_strings_match_kernel", same,
			"a reason string differs from mm/page_alloc.c");
}

static int __init pgc_rules_test_init(void)
{
	pr_info("KTAP version 1\n");
	pr_info("# pagecheck_rules: start\n");
	pgc_test_head();
	pgc_test_fast_filter();
	pgc_test_tails();
	pgc_test_call();
	pgc_test_strings();
	pr_info("1..%u\n", pgc_test_nr);
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
MODULE_DESCRIPTION("pagecheck rule engine tests (KTAP)");
