// SPDX-License-Identifier: GPL-2.0
/*
 * The random differential against the kernel's own bad_page() (issue 28).
 *
 *   echo "random SEED COUNT at_free|deferred" > /sys/kernel/debug/pagecheck_inject/run
 *   cat /sys/kernel/debug/pagecheck_inject/diff          totals, disagreements
 *   cat /sys/kernel/debug/pagecheck_inject/diff_states   one line per state
 *
 * State i of a run is made from SEED and i alone, so any state replays
 * with "random SEED 1 MODE i". Each is freed through __free_pages() with
 * nothing restored. pagecheck's verdict is what its per-rule counters in
 * stats gained during the free; the kernel's is every bad_page() called on
 * a page of the block during the free, caught by a kprobe of our own.
 *
 * A block the kernel rejects is leaked by the kernel: this file owns it,
 * puts it in a clean state and frees it again as a plain block (checked
 * by both again), so thousands of rejected frees cost no memory.
 *
 * MODE is pagecheck's kernel_checks: at_free compares every state;
 * deferred (5.10, 6.1 without CONFIG_DEBUG_VM) checks the head of a
 * per-cpu-list free only at the drain, with its flags wiped, so such
 * states get only faults the kernel clears before the drain on the head,
 * and any fault on the tails, which are checked at the free.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmzone.h>
#include <linux/poison.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include "pagecheck/compat_trace.h"
#include "test_compat.h"
#include "inject.h"

/* pagecheck's reasons, by their strings (its stats and bad_page()'s). */
enum {
	R_MAPCOUNT, R_MAPPING, R_REFCOUNT, R_FLAGS, R_MEMCG, R_PP,
	R_COMPOUND_MAPCOUNT, R_ENTIRE, R_LARGE, R_NR_MAPPED, R_PINCOUNT,
	R_MM0, R_MM1, R_DEFERRED, R_TAIL_MAPPING, R_NOT_TAIL, R_MISMATCH,
	R_BUDDY, R_NEGATIVE, R_DOUBLE, R_NR,
	R_UNKNOWN = R_NR,	/* a bad_page() reason pagecheck has no rule of */
};

static const char *const pgc_diff_reason[R_NR] = {
	"nonzero mapcount", "non-NULL mapping", "nonzero _refcount",
	"PAGE_FLAGS_CHECK_AT_FREE flag(s) set", "page still charged to cgroup",
	"page_pool leak", "nonzero compound_mapcount", "nonzero entire_mapcount",
	"nonzero large_mapcount", "nonzero nr_pages_mapped", "nonzero pincount",
	"nonzero mm mapcount 0", "nonzero mm mapcount 1", "on deferred list",
	"corrupted mapping in tail page", "PageTail not set",
	"compound_head not consistent", "PageBuddy set (double free)",
	"negative _refcount (underflow)",
	"freed with zero _refcount (double free)",
};

#define RB(r)	BIT(R_##r)
#define PGC_DIFF_GENERIC \
	(RB(MAPCOUNT) | RB(MAPPING) | RB(REFCOUNT) | RB(FLAGS) | RB(MEMCG))
#define PGC_DIFF_PAGECHECK_ONLY	(RB(BUDDY) | RB(NEGATIVE) | RB(DOUBLE))

/* The faults of a state, one bit each. */
enum {
	F_HEAD_FLAGS, F_HEAD_OUTSIDE, F_HEAD_MLOCKED, F_MAP_FILE, F_MAP_ANON,
	F_MAP_MOVABLE, F_MAP_KSM, F_MAP_GARBAGE, F_HEAD_MAPCOUNT, F_RACE_REF,
	F_HEAD_MEMCG, F_ACCOUNT, F_PP, F_HWPOISON, F_TAIL_FLAGS, F_TAIL_OUTSIDE,
	F_TAIL_MAPCOUNT, F_TAIL_REF, F_TAIL_NEGREF, F_TAIL_MEMCG,
	F_TAIL_PLAIN_MAPPING, F_TAIL_MAPPING_NULL, F_TAIL_MAPPING_GARBAGE,
	F_NOT_TAIL, F_MISMATCH, F_SECOND_MAPCOUNT, F_LARGE_MAPCOUNT,
	F_NR_PAGES_MAPPED, F_PINCOUNT, F_MM_MAPCOUNT0, F_MM_MAPCOUNT1,
	F_DEFERRED_LINKED, F_DEFERRED_POISONED, F_NR
};

static const char *const pgc_diff_fault[F_NR] = {
	"head_flags", "head_outside_flags", "head_mlocked", "mapping_file",
	"mapping_anon", "mapping_movable", "mapping_ksm", "mapping_garbage",
	"head_mapcount", "racing_ref", "head_memcg", "kmem_account", "pp_magic",
	"hwpoison", "tail_flags", "tail_outside_flags", "tail_mapcount",
	"tail_ref", "tail_negative_ref", "tail_memcg", "tail_plain_mapping",
	"tail_mapping_null", "tail_mapping_garbage", "tail_not_tail",
	"tail_head_mismatch", "second_mapcount", "large_mapcount",
	"nr_pages_mapped", "pincount", "mm_mapcount0", "mm_mapcount1",
	"deferred_linked", "deferred_poisoned",
};

#define FB(f)	BIT_ULL(F_##f)

enum { V_CLEAN, V_BAD, V_BY_DESIGN, V_DISAGREE, V_SKIPPED };

struct pgc_diff_state {
	u64 faults;
	unsigned long head_flags, tail_flags;
	u32 pc, kern, checks;
	u16 tail, mapping_tail;
	u8 order, verdict;
	bool compound;
};

/* The kernel's PAGE_FLAGS_SECOND: page[1]'s order byte, not to be touched. */
#ifdef PAGE_FLAGS_SECOND
#define PGC_DIFF_SECOND_KEEP	0xffUL
#else
#define PGC_DIFF_SECOND_KEEP	0UL
#endif

#ifdef MAX_PAGE_ORDER
#define PGC_DIFF_MAX_ORDER	MAX_PAGE_ORDER
#else
#define PGC_DIFF_MAX_ORDER	(MAX_ORDER - 1)
#endif

#ifdef CONFIG_MEMCG
#ifdef PGC_HAVE_PAGE_MEMCG_DATA
#define pgc_diff_memcg(page)	((page)->memcg_data)
#else
#define pgc_diff_memcg(page)	(*(unsigned long *)&(page)->mem_cgroup)
#endif
#endif

#define PGC_DIFF_GARBAGE	0x4141414141414140UL
#define PGC_DIFF_LINES		40	/* disagreements described */

static struct address_space pgc_diff_mapping;
static long pgc_diff_anon[8] __aligned(64);
static long pgc_diff_memcg_obj[8] __aligned(64);
static struct list_head pgc_diff_queue;	/* never linked: only pointed at */

static unsigned int pgc_check_bits[BITS_PER_LONG], pgc_nr_check_bits;
static unsigned int pgc_outside_bits[BITS_PER_LONG], pgc_nr_outside_bits;

/* The run: under the injector's pgc_run_lock. */
static struct pgc_diff_state *pgc_states;
static unsigned int pgc_nr_states;
static char *pgc_summary;
static size_t pgc_summary_len;
static char *pgc_stats_buf;
static char __user *pgc_stats_ubuf;
#define PGC_STATS_BUF	16384

/* What bad_page() said during the free of the armed block. */
static unsigned long pgc_armed_pfn, pgc_armed_nr;
static atomic_t pgc_kernel_bits = ATOMIC_INIT(0);
static atomic_t pgc_kernel_calls = ATOMIC_INIT(0);
static atomic_t pgc_kernel_elsewhere = ATOMIC_INIT(0);
static const char *pgc_unknown_reason;
static bool pgc_kp_registered;

static int notrace pgc_diff_bad_page(struct kprobe *p, struct pt_regs *regs)
{
	struct page *page = (struct page *)pgc_kprobe_arg(regs, 0);
	const char *reason = (const char *)pgc_kprobe_arg(regs, 1);
	unsigned long pfn = page_to_pfn(page);
	int r;

	if (pfn - READ_ONCE(pgc_armed_pfn) >= READ_ONCE(pgc_armed_nr)) {
		atomic_inc(&pgc_kernel_elsewhere);
		return 0;
	}
	for (r = 0; r < R_NR; r++)
		if (reason && !strcmp(reason, pgc_diff_reason[r]))
			break;
	if (r == R_NR)
		WRITE_ONCE(pgc_unknown_reason, reason);
	atomic_or(BIT(r), &pgc_kernel_bits);
	atomic_inc(&pgc_kernel_calls);
	return 0;
}
NOKPROBE_SYMBOL(pgc_diff_bad_page);

static struct kprobe pgc_diff_kp = {
	.symbol_name = "bad_page",
	.pre_handler = pgc_diff_bad_page,
};

/* --- the random numbers: splitmix64 ---------------------------------------- */

static u64 pgc_rand(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 pgc_below(u64 *s, u32 n)
{
	return n ? (u32)(pgc_rand(s) % n) : 0;
}

static bool pgc_chance(u64 *s, u32 percent)
{
	return pgc_below(s, 100) < percent;
}

/* --- what the kernel checks at the free ------------------------------------ */

/*
 * The rules the kernel applies at this free. The kernel's own
 * "on deferred list" came in 6.2, its page_pool check in 6.8; without
 * check_pages_enabled or CONFIG_DEBUG_VM (deferred) only the generic
 * rules run at the free, on tails always, on the head off the pcp lists.
 */
static u32 pgc_kernel_checks(bool at_free)
{
	u32 all = (BIT(R_NR) - 1) & ~PGC_DIFF_PAGECHECK_ONLY;

	if (!at_free)
		return PGC_DIFF_GENERIC;
	if (LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))
		all &= ~RB(DEFERRED);
	if (LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0))
		all &= ~RB(PP);
	return all;
}

/* --- making a state --------------------------------------------------------- */

static unsigned int pgc_draw_order(u64 *s)
{
	u32 r = pgc_below(s, 100);
	unsigned int order;

	if (r < 40)
		order = 0;
	else if (r < 72)
		order = 1 + pgc_below(s, 3);
	else if (r < 92)
		order = 4 + pgc_below(s, 3);
	else if (r < 98)
		order = 7 + pgc_below(s, 2);
	else
		order = 9 + pgc_below(s, 2);
	return min_t(unsigned int, order, PGC_DIFF_MAX_ORDER);
}

static unsigned long pgc_draw_flags(u64 *s, const unsigned int *bits,
				    unsigned int n, unsigned long avoid)
{
	unsigned long flags = 0;
	unsigned int k = 1 + pgc_below(s, 2);

	while (n && k--) {
		unsigned int b = bits[pgc_below(s, n)];

		if (!(BIT(b) & avoid))
			flags |= BIT(b);
	}
	return flags;
}

static void pgc_make_state(struct pgc_diff_state *st, u64 seed, unsigned int idx,
			   bool at_free)
{
	u64 s = seed ^ ((u64)idx * 0xd1b54a32d192ed03ULL);
	unsigned int nr;
	bool head_ok;

	pgc_rand(&s);
	memset(st, 0, sizeof(*st));
	st->order = pgc_draw_order(&s);
	nr = 1U << st->order;
	st->compound = st->order && pgc_chance(&s, 60);
	/* Off at_free, a pcp-list head is checked at the drain, flags wiped. */
	head_ok = at_free || !pgc_pcp_allowed_order(st->order);

	if (pgc_chance(&s, 15))
		st->faults |= FB(ACCOUNT);
	if (head_ok && pgc_chance(&s, 30)) {
		st->faults |= FB(HEAD_FLAGS);
		st->head_flags |= pgc_draw_flags(&s, pgc_check_bits,
						 pgc_nr_check_bits, 0);
	}
	if (LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0) && pgc_chance(&s, 10)) {
		/* lazy munlock: cleared by the kernel before its check */
		st->faults |= FB(HEAD_MLOCKED);
		st->head_flags |= __PG_MLOCKED;
	}
	if (pgc_chance(&s, 25)) {
		st->faults |= FB(HEAD_OUTSIDE);
		st->head_flags |= pgc_draw_flags(&s, pgc_outside_bits,
						 pgc_nr_outside_bits, 0);
	}
	if (pgc_chance(&s, 40)) {
		/* the kernel drops anon, KSM (and before 7.0 movable) ones */
		static const u8 any[] = { F_MAP_FILE, F_MAP_ANON, F_MAP_MOVABLE,
					  F_MAP_KSM, F_MAP_GARBAGE };
		static const u8 dropped[] = { F_MAP_ANON, F_MAP_MOVABLE, F_MAP_KSM };

		if (head_ok)
			st->faults |= BIT_ULL(any[pgc_below(&s, ARRAY_SIZE(any))]);
		else
			st->faults |= BIT_ULL(dropped[pgc_below(&s, ARRAY_SIZE(dropped))]);
	}
	if (head_ok && pgc_chance(&s, 12))
		st->faults |= FB(HEAD_MAPCOUNT);
	if (head_ok && pgc_chance(&s, 12))
		st->faults |= FB(RACE_REF);
	if (head_ok && !(st->faults & FB(ACCOUNT)) && pgc_chance(&s, 12))
		st->faults |= FB(HEAD_MEMCG);
	if ((head_ok || LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)) &&
	    (PGC_RULE_PAGE_POOL || PGC_PAGE_POOL_OPT_IN) &&
	    pgc_inject_page_pool_rule && pgc_chance(&s, 8))
		st->faults |= FB(PP);
	/*
	 * Drawn everywhere (a seed makes the same states on every kernel),
	 * kept only where the flag exists: without CONFIG_MEMORY_FAILURE
	 * (s390) the page is plain, the kernel frees it, and recycling it
	 * freed it twice.
	 */
	if (!st->order && pgc_chance(&s, 3) && IS_ENABLED(CONFIG_MEMORY_FAILURE))
		st->faults |= FB(HWPOISON);
	if (!st->order)
		return;

	st->tail = 1 + pgc_below(&s, nr - 1);
	if (pgc_chance(&s, 50)) {
		unsigned long avoid = st->compound && st->tail == 1 ?
				      PGC_DIFF_SECOND_KEEP : 0;

		if (pgc_chance(&s, 30)) {
			st->faults |= FB(TAIL_FLAGS);
			st->tail_flags |= pgc_draw_flags(&s, pgc_check_bits,
							 pgc_nr_check_bits, avoid);
		}
		if (pgc_chance(&s, 25)) {
			st->faults |= FB(TAIL_OUTSIDE);
			st->tail_flags |= pgc_draw_flags(&s, pgc_outside_bits,
							 pgc_nr_outside_bits, avoid);
		}
		if (pgc_chance(&s, 15))
			st->faults |= FB(TAIL_MAPCOUNT);
		if (pgc_chance(&s, 10))
			st->faults |= pgc_chance(&s, 50) ? FB(TAIL_REF) : FB(TAIL_NEGREF);
		if (pgc_chance(&s, 12))
			st->faults |= FB(TAIL_MEMCG);
		if (!st->compound && pgc_chance(&s, 15))
			st->faults |= FB(TAIL_PLAIN_MAPPING);
	}
	if (!st->compound)
		return;
	if (pgc_chance(&s, 8))
		st->faults |= FB(SECOND_MAPCOUNT);
	if (pgc_chance(&s, 8))
		st->faults |= FB(LARGE_MAPCOUNT);
	if (pgc_chance(&s, 8))
		st->faults |= FB(NR_PAGES_MAPPED);
	if (pgc_chance(&s, 8))
		st->faults |= FB(PINCOUNT);
	if (pgc_chance(&s, 6))
		st->faults |= FB(MM_MAPCOUNT0);
	if (pgc_chance(&s, 6))
		st->faults |= FB(MM_MAPCOUNT1);
	if (st->order >= 2 && pgc_chance(&s, 10))
		st->faults |= pgc_chance(&s, 60) ? FB(DEFERRED_LINKED) :
						   FB(DEFERRED_POISONED);
	if (nr > 3 && pgc_chance(&s, 10)) {
		/* page[3] too: hugetlb fields there on 6.12 and later */
		st->mapping_tail = 3 + pgc_below(&s, nr - 3);
		st->faults |= pgc_chance(&s, 50) ? FB(TAIL_MAPPING_NULL) :
						   FB(TAIL_MAPPING_GARBAGE);
	}
	if (pgc_chance(&s, 6))
		st->faults |= FB(NOT_TAIL);
	else if (st->order >= 3 && pgc_chance(&s, 5))
		st->faults |= FB(MISMATCH);
	/* fields this kernel's folio does not have */
	if (!IS_ENABLED(PGC_HAVE_FOLIO_LARGE_MAPCOUNT))
		st->faults &= ~FB(LARGE_MAPCOUNT);
	if (!PGC_RULE_NR_PAGES_MAPPED)
		st->faults &= ~FB(NR_PAGES_MAPPED);
	if (!PGC_RULE_PINCOUNT)
		st->faults &= ~FB(PINCOUNT);
	if (!IS_ENABLED(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT))
		st->faults &= ~(FB(MM_MAPCOUNT0) | FB(MM_MAPCOUNT1));
#if !defined(PGC_HAVE_FOLIO_DEFERRED_LIST) && !defined(CONFIG_TRANSPARENT_HUGEPAGE)
	st->faults &= ~(FB(DEFERRED_LINKED) | FB(DEFERRED_POISONED));
#endif
}

/* --- applying it ------------------------------------------------------------ */

static void pgc_set_flags(struct page *p, unsigned long flags)
{
	unsigned int b;

	for_each_set_bit(b, &flags, BITS_PER_LONG)
		set_bit(b, pgc_flags_word(p));
}

static void pgc_diff_race(struct page *page)
{
	set_page_count(page, 1);
}

static atomic_t *pgc_second_mapcount_of(struct page *head)
{
#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
	return &((struct folio *)head)->_entire_mapcount;
#else
	return &head[1].compound_mapcount;
#endif
}

static struct list_head *pgc_deferred_of(struct page *head)
{
#if defined(PGC_HAVE_FOLIO_DEFERRED_LIST)
	return &((struct folio *)head)->_deferred_list;
#else
	return &head[2].deferred_list;
#endif
}

static void pgc_apply(struct pgc_diff_state *st, struct page *page)
{
	unsigned int nr = 1U << st->order;
	struct page *tail = page + st->tail;
	u64 f = st->faults;

	pgc_set_flags(page, st->head_flags);
	/* lazy munlock: the kernel uncounts a folio's pages as it clears it */
	if ((st->head_flags & __PG_MLOCKED) &&
	    LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0))
		mod_zone_page_state(page_zone(page), NR_MLOCK, st->compound ? nr : 1);
	if (f & FB(MAP_FILE))
		page->mapping = &pgc_diff_mapping;
	if (f & FB(MAP_ANON))
		page->mapping = (void *)((unsigned long)pgc_diff_anon | 1);
	if (f & FB(MAP_MOVABLE))
		page->mapping = (void *)((unsigned long)pgc_diff_anon | 2);
	if (f & FB(MAP_KSM))
		page->mapping = (void *)((unsigned long)pgc_diff_anon | 3);
	if (f & FB(MAP_GARBAGE))
		page->mapping = (void *)PGC_DIFF_GARBAGE;
	if (f & FB(HEAD_MAPCOUNT))
		atomic_set(&page->_mapcount, 0);
#ifdef CONFIG_MEMCG
	if (f & FB(HEAD_MEMCG))
		pgc_diff_memcg(page) = (unsigned long)pgc_diff_memcg_obj;
#endif
#if PGC_RULE_PAGE_POOL || PGC_PAGE_POOL_OPT_IN
	if (f & FB(PP))
		page->pp_magic = PP_SIGNATURE;
#endif
#ifdef CONFIG_MEMORY_FAILURE
	if (f & FB(HWPOISON))
		set_bit(PG_hwpoison, pgc_flags_word(page));
#endif
	if (!st->order)
		return;
	pgc_set_flags(tail, st->tail_flags);
	if (f & FB(TAIL_MAPCOUNT))
		atomic_set(&tail->_mapcount, 0);
	if (f & FB(TAIL_REF))
		set_page_count(tail, 1);
	if (f & FB(TAIL_NEGREF))
		set_page_count(tail, -1);
#ifdef CONFIG_MEMCG
	/*
	 * page[1] of a 7.x folio keeps _nr_pages in the word's first four
	 * bytes: its low half on little-endian, high half on big-endian.
	 */
	if ((f & FB(TAIL_MEMCG)) && st->compound && st->tail == 1)
		pgc_diff_memcg(tail) |= PGC_DIFF_GARBAGE &
					~PGC_SECOND_MEMCG_CLEARED_AT_FREE;
	else if (f & FB(TAIL_MEMCG))
		pgc_diff_memcg(tail) = (unsigned long)pgc_diff_memcg_obj;
#endif
	if (f & FB(TAIL_PLAIN_MAPPING))
		tail->mapping = &pgc_diff_mapping;
	if (!st->compound)
		return;
	if (f & FB(SECOND_MAPCOUNT))
		atomic_set(pgc_second_mapcount_of(page), 0);
#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
	if (f & FB(LARGE_MAPCOUNT))
		atomic_set(&((struct folio *)page)->_large_mapcount, 0);
#endif
#if PGC_RULE_NR_PAGES_MAPPED
	if (f & FB(NR_PAGES_MAPPED))
		atomic_set(&((struct folio *)page)->_nr_pages_mapped, 1);
#endif
#if PGC_RULE_PINCOUNT
	if (f & FB(PINCOUNT))
		atomic_set(&((struct folio *)page)->_pincount, 1);
#endif
#if defined(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT)
	if (f & FB(MM_MAPCOUNT0))
		((struct folio *)page)->_mm_id_mapcount[0] = 0;
	if (f & FB(MM_MAPCOUNT1))
		((struct folio *)page)->_mm_id_mapcount[1] = 0;
#endif
	if (f & (FB(DEFERRED_LINKED) | FB(DEFERRED_POISONED))) {
		struct list_head *l = pgc_deferred_of(page);

#if !defined(PGC_HAVE_FOLIO_DEFERRED_LIST) && defined(CONFIG_TRANSPARENT_HUGEPAGE)
		page[1].compound_dtor = TRANSHUGE_PAGE_DTOR;
#endif
		if (f & FB(DEFERRED_LINKED)) {
			l->next = &pgc_diff_queue;
			l->prev = &pgc_diff_queue;
		} else {
			l->next = LIST_POISON1;
			l->prev = LIST_POISON2;
		}
	}
	if (f & FB(TAIL_MAPPING_NULL))
		page[st->mapping_tail].mapping = NULL;
	if (f & FB(TAIL_MAPPING_GARBAGE))
		page[st->mapping_tail].mapping = (void *)PGC_DIFF_GARBAGE;
	if (f & FB(NOT_TAIL))
		WRITE_ONCE(pgc_head_word_field(tail), 0);
	if (f & FB(MISMATCH))
		WRITE_ONCE(pgc_head_word_field(&page[5]), (unsigned long)(page + 4) + 1);
}

/*
 * A block the kernel rejected is leaked, and ours: every page clean, the
 * head with the one reference __free_pages() drops, a plain block.
 */
static void pgc_sanitise(struct page *page, unsigned int order)
{
	unsigned int i, nr = 1U << order;

	/* the count pgc_apply() added, if the kernel did not clear the flag */
	if (test_bit(PG_mlocked, pgc_flags_word(page)) &&
	    LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0))
		mod_zone_page_state(page_zone(page), NR_MLOCK,
				    PageHead(page) ? -(long)nr : -1L);
	for (i = 0; i < nr; i++) {
		struct page *p = page + i;

		pgc_flags_field(p) &= ~PAGE_FLAGS_CHECK_AT_PREP;
#ifdef CONFIG_MEMORY_FAILURE
		clear_bit(PG_hwpoison, pgc_flags_word(p));
#endif
		WRITE_ONCE(pgc_head_word_field(p), 0);
		p->mapping = NULL;
		atomic_set(&p->_mapcount, -1);
#ifdef CONFIG_MEMCG
		pgc_diff_memcg(p) = 0;
#endif
		set_page_count(p, 0);
	}
	set_page_count(page, 1);
}

/* --- every block the allocator gets must be clean -------------------------- */

/*
 * Whether the kernel kept the block at @page of @order back from the
 * allocator at the free just made: it called bad_page() on the block, or
 * the page is an order-0 one with PG_hwpoison really set. What the page
 * shows, not the faults the state meant to give it.
 */
static bool pgc_kept_back(struct page *page, unsigned int order)
{
	if (atomic_read(&pgc_kernel_calls))
		return true;
	return !order && pgc_flags_hwpoison(pgc_page_flags(page));
}

/*
 * The first field of the block at @page of @order, ours and about to be
 * freed again, that is not clean, or NULL: the head holds the one
 * reference __free_pages() drops, every page is as a clean free leaves it.
 */
static const char *pgc_unclean(struct page *page, unsigned int order,
			       unsigned int *at)
{
	unsigned int i, nr = 1U << order;

	for (i = 0; i < nr; i++) {
		struct page *p = page + i;

		*at = i;
		if (pgc_flags_hwpoison(pgc_page_flags(p)))
			return "PG_hwpoison";
		if (pgc_page_flags(p) & PAGE_FLAGS_CHECK_AT_PREP)
			return "flags";
		if (pgc_page_mapping(p))
			return "mapping";
		if (page_ref_count(p) != (i ? 0 : 1))
			return "_refcount";
#ifdef CONFIG_MEMCG
		if (data_race(pgc_diff_memcg(p)))
			return "memcg_data";
#endif
		if (pgc_page_head_word(p))
			return "compound_head/pp_magic";
		if (atomic_read(&p->_mapcount) != -1)
			return "_mapcount/page_type";
	}
	return NULL;
}

/*
 * A block the kernel takes is checked as its checks saw it: each page's
 * words at the tracepoint, after pagecheck's probe (pgc_diff_seen()).
 */
struct pgc_diff_snap {
	unsigned long flags, word, mapping, memcg;
	int mapcount, refcount;
};

static struct pgc_diff_snap *pgc_snaps;		/* 1 << PGC_DIFF_MAX_ORDER */
static const struct pgc_diff_state *pgc_snap_state;
static bool pgc_snap_taken;

/* A compound block's folio fields the state may fault, as they were seen. */
static struct {
	int second_mapcount, large_mapcount, nr_pages_mapped, pincount;
	const void *deferred_next, *deferred_prev;
} pgc_snap_folio;

static void pgc_diff_unfault_folio(const struct pgc_diff_state *st,
				   struct page *page, u32 checks);
static void pgc_diff_snap_folio(const struct pgc_diff_state *st,
				struct page *page);

static void pgc_diff_seen(struct page *page)
{
	const struct pgc_diff_state *st = pgc_snap_state;
	unsigned int i, nr = 1U << st->order;

	if (st->compound) {
		pgc_diff_unfault_folio(st, page, st->checks);
		pgc_diff_snap_folio(st, page);
	}

	for (i = 0; i < nr; i++) {
		struct page *p = page + i;
		struct pgc_diff_snap *sn = &pgc_snaps[i];

		sn->flags = pgc_page_flags(p);
		sn->word = pgc_page_head_word(p);
		sn->mapping = pgc_page_mapping(p);
		sn->mapcount = atomic_read(&p->_mapcount);
		sn->refcount = page_ref_count(p);
#ifdef CONFIG_MEMCG
		sn->memcg = data_race(pgc_diff_memcg(p));
#else
		sn->memcg = 0;
#endif
	}
	pgc_snap_taken = true;
}

/*
 * The folio fields a compound state may fault, where the kernel checks
 * none of them (before 6.2 no deferred list, 6.1 without CONFIG_DEBUG_VM
 * no tail at all): pagecheck's probe has judged them, the kernel will
 * never look, and its free leaves them in the allocator. Put back what
 * prep_compound_page() gave them, before the kernel's checks: those of
 * the rules not in @checks (0: all, for a block to be recycled).
 */
static void pgc_diff_unfault_folio(const struct pgc_diff_state *st,
				   struct page *page, u32 checks)
{
	u64 f = st->faults;

	if ((f & FB(SECOND_MAPCOUNT)) &&
	    !(checks & (RB(COMPOUND_MAPCOUNT) | RB(ENTIRE))))
		atomic_set(pgc_second_mapcount_of(page), -1);
#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
	if ((f & FB(LARGE_MAPCOUNT)) && !(checks & RB(LARGE)))
		atomic_set(&((struct folio *)page)->_large_mapcount, -1);
#endif
#if PGC_RULE_NR_PAGES_MAPPED
	if ((f & FB(NR_PAGES_MAPPED)) && !(checks & RB(NR_MAPPED)))
		atomic_set(&((struct folio *)page)->_nr_pages_mapped, 0);
#endif
#if PGC_RULE_PINCOUNT
	if ((f & FB(PINCOUNT)) && !(checks & RB(PINCOUNT)))
		atomic_set(&((struct folio *)page)->_pincount, 0);
#endif
#if defined(PGC_HAVE_FOLIO_MM_ID_MAPCOUNT)
	if ((f & FB(MM_MAPCOUNT0)) && !(checks & RB(MM0)))
		((struct folio *)page)->_mm_id_mapcount[0] = -1;
	if ((f & FB(MM_MAPCOUNT1)) && !(checks & RB(MM1)))
		((struct folio *)page)->_mm_id_mapcount[1] = -1;
#endif
	if ((f & (FB(DEFERRED_LINKED) | FB(DEFERRED_POISONED))) &&
	    !(checks & RB(DEFERRED)))
		INIT_LIST_HEAD(pgc_deferred_of(page));
}

static void pgc_diff_snap_folio(const struct pgc_diff_state *st,
				struct page *page)
{
	struct list_head *l = pgc_deferred_of(page);

	pgc_snap_folio.second_mapcount = atomic_read(pgc_second_mapcount_of(page));
	pgc_snap_folio.large_mapcount = -1;
	pgc_snap_folio.nr_pages_mapped = 0;
	pgc_snap_folio.pincount = 0;
#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
	pgc_snap_folio.large_mapcount = atomic_read(&((struct folio *)page)->_large_mapcount);
#endif
#if PGC_RULE_NR_PAGES_MAPPED
	pgc_snap_folio.nr_pages_mapped = atomic_read(&((struct folio *)page)->_nr_pages_mapped);
#endif
#if PGC_RULE_PINCOUNT
	pgc_snap_folio.pincount = atomic_read(&((struct folio *)page)->_pincount);
#endif
	pgc_snap_folio.deferred_next = NULL;
	pgc_snap_folio.deferred_prev = NULL;
	if (st->order >= 2) {
		pgc_snap_folio.deferred_next = READ_ONCE(l->next);
		pgc_snap_folio.deferred_prev = READ_ONCE(l->prev);
	}
}

/*
 * What the state wrote in the folio's fields that the kernel took along.
 * The deferred list only if the state wrote it: on 6.1 a new compound
 * page's deferred_list.prev is page[2].index, never reset, and may still
 * hold LIST_POISON2 from a THP that was on the split queue.
 */
static const char *pgc_folio_residue(const struct pgc_diff_state *st)
{
	const void *next = pgc_snap_folio.deferred_next;
	const void *prev = pgc_snap_folio.deferred_prev;

	if (pgc_snap_folio.second_mapcount != -1)
		return "compound/entire mapcount";
	if (pgc_snap_folio.large_mapcount != -1)
		return "large_mapcount";
	if (pgc_snap_folio.nr_pages_mapped)
		return "nr_pages_mapped";
	if (pgc_snap_folio.pincount)
		return "pincount";
	if (!(st->faults & (FB(DEFERRED_LINKED) | FB(DEFERRED_POISONED))))
		return NULL;
	if (next == &pgc_diff_queue || prev == &pgc_diff_queue ||
	    next == LIST_POISON1 || prev == LIST_POISON2)
		return "deferred list";
	return NULL;
}

/*
 * What of page @i's words, seen before the kernel's checks, the kernel
 * neither rejects nor clears when it takes the block: junk it leaves in
 * the allocator, or NULL. The free clears the flags it checks at prep,
 * a tail's compound_head and mapping in a compound block, page[1]'s
 * _nr_pages half, an anon/KSM/movable mapping, a kmem charge.
 */
static const char *pgc_residue(const struct pgc_diff_state *st, unsigned int i)
{
	const struct pgc_diff_snap *sn = &pgc_snaps[i];
	bool kmem = !i && (st->faults & FB(ACCOUNT));
	int mapcount = kmem ? pgc_type_clear_kmemcg(sn->mapcount) : sn->mapcount;
	unsigned long memcg = sn->memcg;

	if (pgc_flags_hwpoison(sn->flags))
		return "PG_hwpoison";
	if (mapcount != -1)
		return "_mapcount/page_type";
	if (sn->refcount)
		return "_refcount";
	if (i == 1 && st->compound)
		memcg &= ~PGC_SECOND_MEMCG_CLEARED_AT_FREE;
	if (memcg && !kmem)
		return "memcg_data";
	if (!i) {
		if (sn->mapping && !(sn->mapping & 0x3UL))
			return "mapping";
		if (pgc_head_word_is_tail(sn->word))
			return "compound_head";
		/* without the kernel's page_pool check, a free-list link overwrites it */
		if (pgc_pp_signature(sn->word) && (pgc_kernel_checks(true) & RB(PP)))
			return "pp_magic";
		if (st->compound && pgc_folio_residue(st))
			return pgc_folio_residue(st);
	} else if (!st->compound) {
		/* a plain tail's +8 word may be a stale free-list link */
		if (sn->mapping)
			return "mapping";
		if (pgc_head_word_is_tail(sn->word))
			return "compound_head";
	}
	return NULL;
}

/* --- pagecheck's verdict: its per-rule counters ---------------------------- */

static int pgc_read_rules(u64 *counts)
{
	struct file *f = filp_open("/sys/kernel/debug/pagecheck/stats", O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t n, len = 0;
	char *line, *next;
	int found = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	/*
	 * debugfs' proxy has no read_iter, which kernel_read() needs: read
	 * through ->read() into the writer's own memory, mapped for the run.
	 */
	while (len < PGC_STATS_BUF - 1) {
		if (f->f_op->read_iter)
			n = kernel_read(f, pgc_stats_buf + len,
					PGC_STATS_BUF - 1 - len, &pos);
		else if (f->f_op->read && pgc_stats_ubuf)
			n = f->f_op->read(f, pgc_stats_ubuf + len,
					  PGC_STATS_BUF - 1 - len, &pos);
		else
			n = -EINVAL;
		if (n <= 0)
			break;
		len += n;
	}
	if (!f->f_op->read_iter && len &&
	    copy_from_user(pgc_stats_buf, pgc_stats_ubuf, len))
		len = 0;
	filp_close(f, NULL);
	pgc_stats_buf[len] = '\0';
	memset(counts, 0, sizeof(*counts) * R_NR);
	for (line = pgc_stats_buf; line && *line; line = next) {
		char *sep;
		int r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "rule: ", 6))
			continue;
		line += 6;
		sep = strrchr(line, ':');
		if (!sep)
			continue;
		*sep = '\0';
		for (r = 0; r < R_NR; r++)
			if (!strcmp(line, pgc_diff_reason[r]))
				break;
		if (r == R_NR)
			continue;
		found++;
		if (kstrtou64(skip_spaces(sep + 1), 10, &counts[r]))
			counts[r] = 0;	/* n/a */
	}
	return found ? 0 : -ENODATA;
}

static u32 pgc_rules_gained(const u64 *before, const u64 *after)
{
	u32 bits = 0;
	int r;

	for (r = 0; r < R_NR; r++)
		if (after[r] != before[r])
			bits |= BIT(r);
	return bits;
}

/* --- the run ------------------------------------------------------------------- */

struct pgc_diff_totals {
	unsigned int states, freed, alloc_failed, not_seen, recycled;
	unsigned int recycle_rejected, recycle_reported, elsewhere;
	unsigned int unclean, kept_back_unexpected;
	unsigned int verdicts[5], by_design[R_NR], orders[PGC_DIFF_MAX_ORDER + 1];
	unsigned int head_deferred, kernel_rejected, pagecheck_reported, hwpoison;
	unsigned int lines;
};

static int pgc_names(char *buf, size_t size, u64 bits, const char *const *names,
		     unsigned int n)
{
	int len = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (bits & BIT_ULL(i))
			len += scnprintf(buf + len, size - len, "%s%s",
					 len ? "|" : "", names[i]);
	if (bits & BIT_ULL(n))
		len += scnprintf(buf + len, size - len, "%sunknown:%s",
				 len ? "|" : "", pgc_unknown_reason ?: "?");
	if (!len)
		len = scnprintf(buf, size, "none");
	return len;
}

#define pgc_sum(...) \
	(pgc_summary_len += scnprintf(pgc_summary + pgc_summary_len, \
				      PAGE_SIZE * 16 - pgc_summary_len, __VA_ARGS__))

static void pgc_describe(u64 seed, unsigned int idx, const struct pgc_diff_state *st,
			 const char *why)
{
	char faults[512], pc[256], kern[256];

	pgc_names(faults, sizeof(faults), st->faults, pgc_diff_fault, F_NR);
	pgc_names(pc, sizeof(pc), st->pc, pgc_diff_reason, R_NR);
	pgc_names(kern, sizeof(kern), st->kern, pgc_diff_reason, R_NR);
	pgc_sum("disagreement: seed %llu state %u order %u %s tail %u mapping_tail %u: %s; faults %s head_flags %#lx tail_flags %#lx; pagecheck [%s] kernel [%s]\n",
		seed, idx, st->order, st->compound ? "compound" : "plain",
		st->tail, st->mapping_tail, why, faults, st->head_flags,
		st->tail_flags, pc, kern);
}

/*
 * page_bad_reason() tests these in this order and prints the last that
 * holds: of one page's rules, the kernel names the last pagecheck has.
 */
static const u8 pgc_precedence[] = {
	R_MAPCOUNT, R_MAPPING, R_REFCOUNT, R_FLAGS, R_MEMCG, R_PP,
};

static int pgc_last_in_kernel_order(u32 bits)
{
	int i;

	for (i = ARRAY_SIZE(pgc_precedence) - 1; i >= 0; i--)
		if (bits & BIT(pgc_precedence[i]))
			return pgc_precedence[i];
	return -1;
}

/*
 * Judge one state: the verdicts must match where the kernel checks. An
 * order-0 free is one page and one bad_page() call: its reason must also
 * be the last of pagecheck's in the kernel's order, or pagecheck named a
 * rule the kernel found to hold.
 */
static void pgc_judge(u64 seed, unsigned int idx, struct pgc_diff_state *st,
		      struct pgc_diff_totals *t)
{
	const char *why = NULL;
	int r;

	if (st->kern && !st->pc)
		why = "the kernel rejected it, pagecheck did not report it";
	else if (st->kern & ~st->pc)
		why = "the kernel's reason is not among pagecheck's";
	else if (!st->kern && (st->pc & st->checks))
		why = "pagecheck reports a rule the kernel checks here, the kernel accepted it";
	else if (!st->order && st->kern &&
		 BIT(pgc_last_in_kernel_order(st->pc & st->checks)) != st->kern)
		why = "the kernel's reason is not the last of pagecheck's in the kernel's order";
	for (r = 0; r < R_NR; r++)
		if (st->pc & ~st->checks & BIT(r))
			t->by_design[r]++;
	if (why)
		st->verdict = V_DISAGREE;
	else if (st->kern)
		st->verdict = V_BAD;
	else if (st->pc)
		st->verdict = V_BY_DESIGN;
	else
		st->verdict = V_CLEAN;
	t->verdicts[st->verdict]++;
	if (why && t->lines++ < PGC_DIFF_LINES)
		pgc_describe(seed, idx, st, why);
}

/*
 * The block of state @idx is clean: @page, ours, after the clean-up
 * (@owned), or else as the kernel's checks saw the block it took. A dirty
 * one is described. Return: clean.
 */
static bool pgc_check_clean(u64 seed, unsigned int idx,
			    const struct pgc_diff_state *st, struct page *page,
			    bool owned, struct pgc_diff_totals *t)
{
	unsigned int at = 0, nr = 1U << st->order;
	const char *what = NULL;

	if (owned)
		what = pgc_unclean(page, st->order, &at);
	else if (pgc_snap_taken)
		for (at = 0; at < nr && !what; at++)
			what = pgc_residue(st, at);
	if (!what)
		return true;
	if (!owned)
		at--;
	t->unclean++;
	if (t->lines++ < PGC_DIFF_LINES)
		pgc_sum("unclean: seed %llu state %u order %u %s: page %u's %s %s\n",
			seed, idx, st->order, st->compound ? "compound" : "plain",
			at, what, owned ? "after the clean-up, before the recycle free" :
			"went to the allocator with the block the kernel took");
	return false;
}

static int pgc_run_state(u64 seed, unsigned int idx, bool at_free, u64 *counts,
			 u64 *after, struct pgc_diff_totals *t)
{
	struct pgc_diff_state *st = &pgc_states[pgc_nr_states++];
	unsigned long pfn;
	struct page *page;
	bool seen, leaked;
	gfp_t gfp;
	int ret;

	pgc_make_state(st, seed, idx, at_free);
	t->states++;
	gfp = GFP_KERNEL | __GFP_NOWARN | (st->compound ? __GFP_COMP : 0) |
	      (st->faults & FB(ACCOUNT) ? __GFP_ACCOUNT : 0) |
	      (st->order > PAGE_ALLOC_COSTLY_ORDER ? __GFP_NORETRY : 0);
	page = pgc_inject_alloc_pages(gfp, st->order);
	if (!page) {
		st->verdict = V_SKIPPED;
		t->alloc_failed++;
		return 0;
	}
	t->orders[st->order]++;
	if (!at_free && pgc_pcp_allowed_order(st->order))
		t->head_deferred++;
	st->checks = pgc_kernel_checks(at_free);
	pgc_apply(st, page);

	pfn = page_to_pfn(page);
	atomic_set(&pgc_kernel_bits, 0);
	atomic_set(&pgc_kernel_calls, 0);
	WRITE_ONCE(pgc_unknown_reason, NULL);
	WRITE_ONCE(pgc_armed_nr, 0);
	WRITE_ONCE(pgc_armed_pfn, pfn);
	WRITE_ONCE(pgc_armed_nr, 1UL << st->order);
	pgc_snap_state = st;
	pgc_snap_taken = false;
	seen = pgc_inject_free_raced(page, st->order,
				     st->faults & FB(RACE_REF) ? pgc_diff_race : NULL,
				     pgc_diff_seen);
	WRITE_ONCE(pgc_armed_nr, 0);
	st->kern = atomic_read(&pgc_kernel_bits);
	ret = pgc_read_rules(after);
	if (ret)
		return ret;
	st->pc = pgc_rules_gained(counts, after);
	memcpy(counts, after, sizeof(*counts) * R_NR);
	t->freed++;
	if (!pgc_kept_back(page, st->order))
		pgc_check_clean(seed, idx, st, page, false, t);
	if (!seen)
		t->not_seen++;
	if (st->kern)
		t->kernel_rejected++;
	if (st->pc)
		t->pagecheck_reported++;
	pgc_judge(seed, idx, st, t);

	/* hwpoisoned order-0 pages are kept back silently */
	leaked = atomic_read(&pgc_kernel_calls) || (st->faults & FB(HWPOISON));
	if (st->faults & FB(HWPOISON))
		t->hwpoison++;
	/* what the page shows must agree: never free twice, never leak */
	if (leaked != pgc_kept_back(page, st->order)) {
		t->kept_back_unexpected++;
		if (t->lines++ < PGC_DIFF_LINES)
			pgc_sum("unclean: seed %llu state %u order %u: %s\n", seed,
				idx, st->order, leaked ?
				"to be recycled, but the kernel freed it (no bad_page(), no PG_hwpoison): not freed again" :
				"kept back by the kernel, but not to be recycled");
		return 0;
	}
	if (!leaked)
		return 0;
	if (st->compound)
		pgc_diff_unfault_folio(st, page, 0);
	pgc_sanitise(page, st->order);
	if (!pgc_check_clean(seed, idx, st, page, true, t))
		return 0;	/* leaked rather than freed dirty */
	atomic_set(&pgc_kernel_calls, 0);
	WRITE_ONCE(pgc_armed_pfn, pfn);
	WRITE_ONCE(pgc_armed_nr, 1UL << st->order);
	__free_pages(page, st->order);
	WRITE_ONCE(pgc_armed_nr, 0);
	t->recycled++;
	if (atomic_read(&pgc_kernel_calls))
		t->recycle_rejected++;
	ret = pgc_read_rules(after);
	if (ret)
		return ret;
	if (pgc_rules_gained(counts, after))
		t->recycle_reported++;
	memcpy(counts, after, sizeof(*counts) * R_NR);
	return 0;
}

static const char *const pgc_verdict_names[] = {
	"agree_clean", "agree_rejected", "by_design_only", "disagree", "skipped",
};

static int pgc_diff_run(u64 seed, unsigned int count, bool at_free,
			unsigned int first)
{
	u64 counts[R_NR], after[R_NR];
	struct pgc_diff_totals *t;
	unsigned int i, total_by_design = 0;
	ktime_t t0 = ktime_get();
	int ret, elsewhere0;
	unsigned long addr;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	vfree(pgc_states);
	pgc_states = vzalloc(array_size(count, sizeof(*pgc_states)));
	pgc_nr_states = 0;
	pgc_summary_len = 0;
	pgc_summary[0] = '\0';
	if (!pgc_states) {
		kfree(t);
		return -ENOMEM;
	}
	addr = vm_mmap(NULL, 0, PGC_STATS_BUF, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	pgc_stats_ubuf = IS_ERR_VALUE(addr) ? NULL : (char __user *)addr;
	ret = pgc_read_rules(counts);
	if (ret) {
		pr_err("random: cannot read pagecheck's stats: %d\n", ret);
		goto out;
	}
	elsewhere0 = atomic_read(&pgc_kernel_elsewhere);
	for (i = 0; i < count && !ret; i++) {
		ret = pgc_run_state(seed, first + i, at_free, counts, after, t);
		cond_resched();
	}
	t->elsewhere = atomic_read(&pgc_kernel_elsewhere) - elsewhere0;

	pgc_sum("seed: %llu\n", seed);
	pgc_sum("first_state: %u\n", first);
	pgc_sum("kernel_checks: %s\n", at_free ? "at_free" : "deferred");
	pgc_sum("states: %u\n", t->states);
	pgc_sum("freed: %u\n", t->freed);
	pgc_sum("alloc_failed: %u\n", t->alloc_failed);
	pgc_sum("orders:");
	for (i = 0; i <= PGC_DIFF_MAX_ORDER; i++)
		pgc_sum(" %u", t->orders[i]);
	pgc_sum("\n");
	pgc_sum("head_checked_at_drain: %u\n", t->head_deferred);
	pgc_sum("kernel_rejected: %u\n", t->kernel_rejected);
	pgc_sum("pagecheck_reported: %u\n", t->pagecheck_reported);
	pgc_sum("hwpoison_kept_back: %u\n", t->hwpoison);
	for (i = 0; i < ARRAY_SIZE(pgc_verdict_names); i++)
		pgc_sum("%s: %u\n", pgc_verdict_names[i], t->verdicts[i]);
	pgc_sum("disagreements: %u\n", t->verdicts[V_DISAGREE]);
	pgc_sum("recycled: %u\n", t->recycled);
	pgc_sum("recycle_rejected_by_kernel: %u\n", t->recycle_rejected);
	pgc_sum("recycle_reported_by_pagecheck: %u\n", t->recycle_reported);
	pgc_sum("bad_page_elsewhere: %u\n", t->elsewhere);
	pgc_sum("not_seen_at_tracepoint: %u\n", t->not_seen);
	pgc_sum("unclean_blocks: %u\n", t->unclean);
	pgc_sum("kept_back_unexpected: %u\n", t->kept_back_unexpected);
	for (i = 0; i < R_NR; i++) {
		if (!t->by_design[i])
			continue;
		pgc_sum("by_design: %s: %u\n", pgc_diff_reason[i], t->by_design[i]);
		total_by_design += t->by_design[i];
	}
	pgc_sum("by_design_total: %u\n", total_by_design);
	pgc_sum("run_ms: %lld\n", ktime_ms_delta(ktime_get(), t0));
	pgc_sum("error: %d\n", ret);
	pr_info("random: seed %llu, %u states, %u disagreements, %lld ms\n", seed,
		t->states, t->verdicts[V_DISAGREE], ktime_ms_delta(ktime_get(), t0));
out:
	if (pgc_stats_ubuf)
		vm_munmap(addr, PGC_STATS_BUF);
	pgc_stats_ubuf = NULL;
	kfree(t);
	return ret;
}

/* "random SEED COUNT at_free|deferred [FIRST]" */
int pgc_diff_run_line(const char *line)
{
	unsigned int count, first = 0;
	char mode[16];
	u64 seed;
	int n;

	n = sscanf(line, "random %llu %u %15s %u", &seed, &count, mode, &first);
	if (n < 3 || !count || count > 1000000)
		return -EINVAL;
	if (strcmp(mode, "at_free") && strcmp(mode, "deferred"))
		return -EINVAL;
	if (!pgc_kp_registered)
		return -ENOENT;
	return pgc_diff_run(seed, count, !strcmp(mode, "at_free"), first);
}

/* --- debugfs ------------------------------------------------------------------ */

static ssize_t pgc_diff_read(struct file *file, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, pgc_summary,
				       pgc_summary_len);
}

static const struct file_operations pgc_diff_fops = {
	.owner = THIS_MODULE,
	.read = pgc_diff_read,
};

static void *pgc_states_start(struct seq_file *m, loff_t *pos)
{
	return *pos < pgc_nr_states ? &pgc_states[*pos] : NULL;
}

static void *pgc_states_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return pgc_states_start(m, pos);
}

static void pgc_states_stop(struct seq_file *m, void *v)
{
}

static int pgc_states_show(struct seq_file *m, void *v)
{
	const struct pgc_diff_state *st = v;

	seq_printf(m, "%td order=%u %s faults=%#llx head_flags=%#lx tail=%u tail_flags=%#lx mapping_tail=%u pagecheck=%#x kernel=%#x checks=%#x %s\n",
		   st - pgc_states, st->order, st->compound ? "compound" : "plain",
		   st->faults, st->head_flags, st->tail, st->tail_flags,
		   st->mapping_tail, st->pc, st->kern, st->checks,
		   pgc_verdict_names[st->verdict]);
	return 0;
}

static const struct seq_operations pgc_states_sops = {
	.start = pgc_states_start,
	.next = pgc_states_next,
	.stop = pgc_states_stop,
	.show = pgc_states_show,
};
DEFINE_SEQ_ATTRIBUTE(pgc_states);

int pgc_diff_init(struct dentry *dir)
{
	unsigned int b;
	int ret;

	for (b = 0; b < BITS_PER_LONG; b++) {
		if (PAGE_FLAGS_CHECK_AT_FREE & BIT(b))
			pgc_check_bits[pgc_nr_check_bits++] = b;
		else if (b < NR_PAGEFLAGS && b != PG_head &&
#ifdef CONFIG_MEMORY_FAILURE
			 b != PG_hwpoison &&
#endif
			 true)
			pgc_outside_bits[pgc_nr_outside_bits++] = b;
	}
	INIT_LIST_HEAD(&pgc_diff_queue);
	pgc_summary = vzalloc(PAGE_SIZE * 16);
	pgc_stats_buf = vzalloc(PGC_STATS_BUF);
	pgc_snaps = vzalloc(array_size(1U << PGC_DIFF_MAX_ORDER, sizeof(*pgc_snaps)));
	if (!pgc_summary || !pgc_stats_buf || !pgc_snaps) {
		pgc_diff_exit();
		return -ENOMEM;
	}
	ret = register_kprobe(&pgc_diff_kp);
	if (ret)
		pr_warn("random: no kprobe on bad_page (%d): the differential cannot run\n", ret);
	else
		pgc_kp_registered = true;
	debugfs_create_file("diff", 0400, dir, NULL, &pgc_diff_fops);
	debugfs_create_file("diff_states", 0400, dir, NULL, &pgc_states_fops);
	return 0;
}

void pgc_diff_exit(void)
{
	if (pgc_kp_registered)
		unregister_kprobe(&pgc_diff_kp);
	pgc_kp_registered = false;
	vfree(pgc_states);
	vfree(pgc_summary);
	vfree(pgc_stats_buf);
	vfree(pgc_snaps);
	pgc_snaps = NULL;
	pgc_states = NULL;
	pgc_summary = NULL;
	pgc_stats_buf = NULL;
}
