// SPDX-License-Identifier: GPL-2.0
/*
 * pagecheck_inject: provoke real bad frees through the real free path
 * (__free_pages), from task, softirq or hardirq context, so the tests can
 * check what pagecheck reports.
 *
 *   echo "<case> <task|softirq|hardirq|locked>" > /sys/kernel/debug/pagecheck_inject/run
 *   cat /sys/kernel/debug/pagecheck_inject/result
 *   cat /sys/kernel/debug/pagecheck_inject/cases
 *
 * lockdown=integrity refuses writable debugfs files: the write-only
 * parameter /sys/module/pagecheck_inject/parameters/run does what run does.
 *
 * Most cases corrupt the page before freeing it. Two states cannot be
 * reached through __free_pages() without a race (a refcount taken or a
 * buddy type set while the free is under way); those cases emulate the
 * racing CPU with a probe on kmem:mm_page_free that runs before pagecheck.
 * A probe that runs after pagecheck restores every injected page, so the
 * kernel's own checks see a healthy page and the guest stays healthy.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/hw_breakpoint.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poison.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmstat.h>
#include <linux/vmalloc.h>
#include "test_compat.h"
#include "inject.h"

#define PGC_INJECT_BEFORE_PRIO	(TRACEPOINT_DEFAULT_PRIO + 10)
#define PGC_INJECT_AFTER_PRIO	(TRACEPOINT_DEFAULT_PRIO - 9)

struct pgc_case;

struct pgc_injection {
	const struct pgc_case *c;
	struct page *page;
	unsigned int order;
	unsigned long saved;
	unsigned long zone_flags;
	bool zone_locked;
	bool freed_seen;
};

struct pgc_case {
	const char *name;
	unsigned int order;
	bool compound;
	const char *expect;		/* reasons, '|' separated; "none" */
	const char *skip;		/* non-NULL: why this kernel cannot */
	const char *backends;		/* pagecheck hooks that can see it */
	bool task_only;
	bool no_restore;		/* let the kernel's own check reject it */
	bool owner_only;		/* for the owner tests, not the generic loop */
	bool account;			/* allocated with __GFP_ACCOUNT */
	bool held;			/* frees the page "hold" allocated */
	bool extra_put;			/* B() takes a reference, C() drops two */
	bool zone_locked;		/* corrupt under zone->lock, held into the free */
	bool page_pool_rule;		/* reported only with pagecheck's page_pool_rule */
	void (*corrupt)(struct pgc_injection *inj);
	void (*at_free)(struct pgc_injection *inj);	/* emulated race */
	void (*restore)(struct pgc_injection *inj);
	void (*cleanup)(struct pgc_injection *inj);	/* after the free, may sleep */
};

static bool restore = true;
module_param(restore, bool, 0644);
MODULE_PARM_DESC(restore, "Repair each injected page after pagecheck saw it (default 1); 0 leaves it to the kernel's own checks");

bool pgc_inject_page_pool_rule = PGC_RULE_PAGE_POOL;
module_param_named(page_pool_rule, pgc_inject_page_pool_rule, bool, 0644);
MODULE_PARM_DESC(page_pool_rule, "pagecheck's page_pool_rule, opt-in on 6.1: the page_pool case and fault run only with it");

static char *owner_file = "/tmp/pc-owner/file";
module_param(owner_file, charp, 0644);
MODULE_PARM_DESC(owner_file, "The file whose page cache the owner_file case claims a page of");

static struct address_space pgc_fake_mapping;
static long pgc_fake_memcg[8] __aligned(64);
static LIST_HEAD(pgc_fake_split_queue);

static struct pgc_injection pgc_inj;
static struct page *pgc_armed;
static DEFINE_MUTEX(pgc_run_lock);
static char pgc_result[512];
static struct tracepoint *pgc_tp;
static struct dentry *pgc_dir;
static unsigned long pgc_frees, pgc_allocs[5];
static struct page *pgc_held;
static const char *pgc_held_func;

/* --- order-0 cases -------------------------------------------------------- */

static void pgc_corrupt_mapping(struct pgc_injection *inj)
{
	inj->page->mapping = &pgc_fake_mapping;
}

static void pgc_restore_mapping(struct pgc_injection *inj)
{
	inj->page->mapping = NULL;
}

static void pgc_restore_nothing(struct pgc_injection *inj)
{
}

static void pgc_corrupt_mapcount(struct pgc_injection *inj)
{
	atomic_set(&inj->page->_mapcount, 0);
}

static void pgc_restore_mapcount(struct pgc_injection *inj)
{
	atomic_set(&inj->page->_mapcount, -1);
}

static void pgc_race_refcount(struct pgc_injection *inj)
{
	set_page_count(inj->page, 1);
}

static void pgc_restore_refcount(struct pgc_injection *inj)
{
	set_page_count(inj->page, 0);
}

static void pgc_corrupt_lru(struct pgc_injection *inj)
{
	set_bit(PG_lru, pgc_flags_word(inj->page));
}

static void pgc_restore_lru(struct pgc_injection *inj)
{
	clear_bit(PG_lru, pgc_flags_word(inj->page));
}

static void pgc_corrupt_locked(struct pgc_injection *inj)
{
	set_bit(PG_locked, pgc_flags_word(inj->page));
}

static void pgc_restore_locked(struct pgc_injection *inj)
{
	clear_bit(PG_locked, pgc_flags_word(inj->page));
}

static void pgc_corrupt_writeback(struct pgc_injection *inj)
{
	set_bit(PG_writeback, pgc_flags_word(inj->page));
}

static void pgc_restore_writeback(struct pgc_injection *inj)
{
	clear_bit(PG_writeback, pgc_flags_word(inj->page));
}

/*
 * Only PG_mlocked. Since lazy munlock (5.18) a page may reach the free
 * mlocked, and free_pages_prepare() clears the flag before its check;
 * 5.10 checks it. The expectation follows the kernel's version, not
 * pagecheck's feature probes, which it tests. NR_MLOCK counts the page, as
 * mlock would, so that the kernel's clearing leaves the count right.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
#define PGC_MLOCKED_EXPECT	"none"
#else
#define PGC_MLOCKED_EXPECT	"PAGE_FLAGS_CHECK_AT_FREE flag(s) set"
#endif

static void pgc_corrupt_mlocked(struct pgc_injection *inj)
{
	set_bit(PG_mlocked, pgc_flags_word(inj->page));
	mod_zone_page_state(page_zone(inj->page), NR_MLOCK, 1);
}

static void pgc_restore_mlocked(struct pgc_injection *inj)
{
	if (test_and_clear_bit(PG_mlocked, pgc_flags_word(inj->page)))
		mod_zone_page_state(page_zone(inj->page), NR_MLOCK, -1);
}

#ifdef CONFIG_MEMCG
#ifdef PGC_HAVE_PAGE_MEMCG_DATA
#define pgc_memcg_field(page)	((page)->memcg_data)
#else
#define pgc_memcg_field(page)	(*(unsigned long *)&(page)->mem_cgroup)
#endif

static void pgc_corrupt_memcg(struct pgc_injection *inj)
{
	pgc_memcg_field(inj->page) = (unsigned long)pgc_fake_memcg;
}

static void pgc_restore_memcg(struct pgc_injection *inj)
{
	pgc_memcg_field(inj->page) = 0;
}
#define PGC_SKIP_MEMCG NULL
#else
#define pgc_corrupt_memcg NULL
#define pgc_restore_memcg NULL
#define PGC_SKIP_MEMCG "no CONFIG_MEMCG"
#endif

#if PGC_RULE_PAGE_POOL || PGC_PAGE_POOL_OPT_IN
static void pgc_corrupt_page_pool(struct pgc_injection *inj)
{
	inj->saved = inj->page->pp_magic;
	inj->page->pp_magic = PP_SIGNATURE;
}

static void pgc_restore_page_pool(struct pgc_injection *inj)
{
	inj->page->pp_magic = inj->saved;
}
#define PGC_SKIP_PAGE_POOL NULL
#else
#define pgc_corrupt_page_pool NULL
#define pgc_restore_page_pool NULL
#define PGC_SKIP_PAGE_POOL "this kernel has no page_pool signature"
#endif

/*
 * A page marked PageBuddy is fair game for a neighbour's merge or for
 * compaction on another CPU, which would unlink it from a free list it
 * is not on. zone_locked holds zone->lock from here until pagecheck has
 * seen the free, so no other CPU acts on the mark.
 */
static void pgc_race_buddy(struct pgc_injection *inj)
{
	__SetPageBuddy(inj->page);
}

static void pgc_restore_buddy(struct pgc_injection *inj)
{
	__ClearPageBuddy(inj->page);
}

static void pgc_corrupt_multi(struct pgc_injection *inj)
{
	pgc_corrupt_mapping(inj);
	pgc_corrupt_mapcount(inj);
	pgc_corrupt_locked(inj);
}

static void pgc_restore_multi(struct pgc_injection *inj)
{
	pgc_restore_mapping(inj);
	pgc_restore_mapcount(inj);
	pgc_restore_locked(inj);
}

/* --- high-order cases ---------------------------------------------------- */

static void pgc_corrupt_tail_refcount(struct pgc_injection *inj)
{
	page_ref_dec(inj->page + 1);
}

static void pgc_restore_tail_refcount(struct pgc_injection *inj)
{
	set_page_count(inj->page + 1, 0);
}

static void pgc_corrupt_tail_mapping(struct pgc_injection *inj)
{
	struct page *tail = inj->page + 7;

	inj->saved = (unsigned long)tail->mapping;
	tail->mapping = NULL;
}

static void pgc_restore_tail_mapping(struct pgc_injection *inj)
{
	inj->page[7].mapping = (struct address_space *)inj->saved;
}

static void pgc_corrupt_not_tail(struct pgc_injection *inj)
{
	inj->saved = READ_ONCE(pgc_head_word_field(&inj->page[5]));
	WRITE_ONCE(pgc_head_word_field(&inj->page[5]), 0);
}

static void pgc_restore_compound_head(struct pgc_injection *inj)
{
	WRITE_ONCE(pgc_head_word_field(&inj->page[5]), inj->saved);
}

static void pgc_corrupt_head_mismatch(struct pgc_injection *inj)
{
	inj->saved = READ_ONCE(pgc_head_word_field(&inj->page[5]));
	WRITE_ONCE(pgc_head_word_field(&inj->page[5]), (unsigned long)(inj->page + 4) + 1);
}

static void pgc_corrupt_compound_tail_refcount(struct pgc_injection *inj)
{
	set_page_count(inj->page + 6, 1);
}

static void pgc_restore_compound_tail_refcount(struct pgc_injection *inj)
{
	set_page_count(inj->page + 6, 0);
}

#if defined(PGC_HAVE_FOLIO_ENTIRE_MAPCOUNT)
#define PGC_SECOND_MAPCOUNT_CASE	"entire_mapcount"
#define PGC_SECOND_MAPCOUNT_REASON	"nonzero entire_mapcount"
static atomic_t *pgc_second_mapcount(struct page *head)
{
	return &((struct folio *)head)->_entire_mapcount;
}
#else
#define PGC_SECOND_MAPCOUNT_CASE	"compound_mapcount"
#define PGC_SECOND_MAPCOUNT_REASON	"nonzero compound_mapcount"
static atomic_t *pgc_second_mapcount(struct page *head)
{
	return &head[1].compound_mapcount;
}
#endif

static void pgc_corrupt_second_mapcount(struct pgc_injection *inj)
{
	atomic_set(pgc_second_mapcount(inj->page), 0);
}

static void pgc_restore_second_mapcount(struct pgc_injection *inj)
{
	atomic_set(pgc_second_mapcount(inj->page), -1);
}

#if defined(PGC_HAVE_FOLIO_LARGE_MAPCOUNT)
static void pgc_corrupt_large_mapcount(struct pgc_injection *inj)
{
	atomic_set(&((struct folio *)inj->page)->_large_mapcount, 0);
}

static void pgc_restore_large_mapcount(struct pgc_injection *inj)
{
	atomic_set(&((struct folio *)inj->page)->_large_mapcount, -1);
}
#define PGC_SKIP_LARGE_MAPCOUNT NULL
#else
#define pgc_corrupt_large_mapcount NULL
#define pgc_restore_large_mapcount NULL
#define PGC_SKIP_LARGE_MAPCOUNT "this kernel has no large_mapcount"
#endif

#if PGC_RULE_NR_PAGES_MAPPED
static void pgc_corrupt_nr_pages_mapped(struct pgc_injection *inj)
{
	atomic_set(&((struct folio *)inj->page)->_nr_pages_mapped, 1);
}

static void pgc_restore_nr_pages_mapped(struct pgc_injection *inj)
{
	atomic_set(&((struct folio *)inj->page)->_nr_pages_mapped, 0);
}
#define PGC_SKIP_NR_PAGES_MAPPED NULL
#else
#define pgc_corrupt_nr_pages_mapped NULL
#define pgc_restore_nr_pages_mapped NULL
#define PGC_SKIP_NR_PAGES_MAPPED "this kernel does not check nr_pages_mapped at free"
#endif

#if PGC_RULE_PINCOUNT
static void pgc_corrupt_pincount(struct pgc_injection *inj)
{
	atomic_set(&((struct folio *)inj->page)->_pincount, 1);
}

static void pgc_restore_pincount(struct pgc_injection *inj)
{
	atomic_set(&((struct folio *)inj->page)->_pincount, 0);
}
#define PGC_SKIP_PINCOUNT NULL
#else
#define pgc_corrupt_pincount NULL
#define pgc_restore_pincount NULL
#define PGC_SKIP_PINCOUNT "this kernel does not check pincount at free"
#endif

/* A THP still queued for deferred split (case study 4). */
#if defined(PGC_HAVE_FOLIO_DEFERRED_LIST)
static struct list_head *pgc_deferred_list(struct page *head)
{
	return &((struct folio *)head)->_deferred_list;
}

static void pgc_corrupt_deferred(struct pgc_injection *inj)
{
	list_add(pgc_deferred_list(inj->page), &pgc_fake_split_queue);
}

static void pgc_restore_deferred(struct pgc_injection *inj)
{
	list_del_init(pgc_deferred_list(inj->page));
}
#else
static struct list_head *pgc_deferred_list(struct page *head)
{
	return &head[2].deferred_list;
}

static void pgc_corrupt_deferred(struct pgc_injection *inj)
{
	inj->saved = (unsigned long)inj->page[2].mapping;
	inj->page[1].compound_dtor = TRANSHUGE_PAGE_DTOR;
	INIT_LIST_HEAD(pgc_deferred_list(inj->page));
	list_add(pgc_deferred_list(inj->page), &pgc_fake_split_queue);
}

static void pgc_restore_deferred(struct pgc_injection *inj)
{
	list_del(pgc_deferred_list(inj->page));
	inj->page[1].compound_dtor = COMPOUND_PAGE_DTOR;
	inj->page[2].mapping = (struct address_space *)inj->saved;
}
#endif


#if PGC_HEAD_TYPE_RESET_AT_FREE
#define PGC_BUDDY_EXPECT	"PageBuddy set (double free)"
#else
#define PGC_BUDDY_EXPECT	"nonzero mapcount|PageBuddy set (double free)"
#endif

/* --- owner cases: real owners, and pointers that lead nowhere ------------ */

static struct file *pgc_owner_filp;

/* A page that claims to be in a real file's page cache. */
static void pgc_corrupt_owner_file(struct pgc_injection *inj)
{
	pgc_owner_filp = filp_open(owner_file, O_RDONLY, 0);
	if (IS_ERR(pgc_owner_filp)) {
		pgc_owner_filp = NULL;
		return;
	}
	inj->page->mapping = pgc_owner_filp->f_mapping;
}

static void pgc_cleanup_owner_file(struct pgc_injection *inj)
{
	if (pgc_owner_filp)
		filp_close(pgc_owner_filp, NULL);
	pgc_owner_filp = NULL;
}

/* A mapping at an address that was just unmapped. */
static void pgc_corrupt_owner_unmapped(struct pgc_injection *inj)
{
	void *gone = vmalloc(PAGE_SIZE);

	vfree(gone);
	inj->page->mapping = gone;
}

/* A mapping that points nowhere a kernel pointer can. */
static void pgc_corrupt_owner_garbage(struct pgc_injection *inj)
{
	inj->page->mapping = (struct address_space *)0x4141414141414140UL;
}

/*
 * A page charged to the writer's memory cgroup as if it were on the LRU:
 * __GFP_ACCOUNT charged it as kernel memory, which the kernel uncharges
 * before its check; drop the kernel-memory mark until pagecheck saw it.
 */
#if defined(PGC_HAVE_PAGE_MEMCG_DATA)
static void pgc_corrupt_owner_memcg(struct pgc_injection *inj)
{
	inj->saved = inj->page->memcg_data & MEMCG_DATA_KMEM;
	inj->page->memcg_data &= ~MEMCG_DATA_KMEM;
}

static void pgc_restore_owner_memcg(struct pgc_injection *inj)
{
	inj->page->memcg_data |= inj->saved;
}
#define PGC_SKIP_OWNER_MEMCG NULL
#elif defined(PGC_HAVE_PAGE_MEM_CGROUP)
static void pgc_corrupt_owner_memcg(struct pgc_injection *inj)
{
	inj->saved = PageKmemcg(inj->page);
	if (inj->saved)
		__ClearPageKmemcg(inj->page);
}

static void pgc_restore_owner_memcg(struct pgc_injection *inj)
{
	if (inj->saved)
		__SetPageKmemcg(inj->page);
}
#define PGC_SKIP_OWNER_MEMCG NULL
#else
#define pgc_corrupt_owner_memcg NULL
#define pgc_restore_owner_memcg NULL
#define PGC_SKIP_OWNER_MEMCG "no CONFIG_MEMCG"
#endif

static const struct pgc_case pgc_cases[] = {
	{ .name = "mapping", .expect = "non-NULL mapping",
	  .corrupt = pgc_corrupt_mapping, .restore = pgc_restore_mapping },
	{ .name = "mapcount", .expect = "nonzero mapcount",
	  .corrupt = pgc_corrupt_mapcount, .restore = pgc_restore_mapcount },
	{ .name = "refcount", .expect = "nonzero _refcount",
	  .backends = "tracepoint",	/* the race is emulated at the tracepoint */
	  .at_free = pgc_race_refcount, .restore = pgc_restore_refcount },
	{ .name = "refcount_underflow", .order = 1,
	  .expect = "nonzero _refcount|negative _refcount (underflow)",
	  .corrupt = pgc_corrupt_tail_refcount,
	  .restore = pgc_restore_tail_refcount },
	{ .name = "flags_lru", .expect = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
	  .corrupt = pgc_corrupt_lru, .restore = pgc_restore_lru },
	{ .name = "flags_locked", .expect = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
	  .corrupt = pgc_corrupt_locked, .restore = pgc_restore_locked },
	{ .name = "flags_writeback", .expect = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
	  .corrupt = pgc_corrupt_writeback, .restore = pgc_restore_writeback },
	{ .name = "mlocked", .expect = PGC_MLOCKED_EXPECT,
	  .corrupt = pgc_corrupt_mlocked, .restore = pgc_restore_mlocked },
	{ .name = "mlocked_block", .order = 3, .expect = PGC_MLOCKED_EXPECT,
	  .corrupt = pgc_corrupt_mlocked, .restore = pgc_restore_mlocked },
	{ .name = "memcg", .expect = "page still charged to cgroup",
	  .skip = PGC_SKIP_MEMCG,
	  .corrupt = pgc_corrupt_memcg, .restore = pgc_restore_memcg },
	{ .name = "page_pool", .expect = "page_pool leak",
	  .skip = PGC_SKIP_PAGE_POOL, .page_pool_rule = true,
	  .corrupt = pgc_corrupt_page_pool, .restore = pgc_restore_page_pool },
	{ .name = "buddy", .expect = PGC_BUDDY_EXPECT, .zone_locked = true,
	  .corrupt = pgc_race_buddy, .restore = pgc_restore_buddy },
	{ .name = "double_free", .task_only = true,
	  .expect = "freed with zero _refcount (double free)",
	  /* put_page_testzero()'s VM_BUG_ON_PAGE() would oops first */
	  .skip = IS_ENABLED(CONFIG_DEBUG_VM) ?
		  "CONFIG_DEBUG_VM: the kernel's own VM_BUG_ON_PAGE in __free_pages() stops a double free" : NULL,
	  .backends = "ftrace,kprobe",	/* the second call never reaches the allocator */
	  .restore = pgc_restore_nothing },
	{ .name = "owner_file", .owner_only = true, .expect = "non-NULL mapping",
	  .corrupt = pgc_corrupt_owner_file, .restore = pgc_restore_mapping,
	  .cleanup = pgc_cleanup_owner_file },
	{ .name = "owner_memcg", .owner_only = true, .account = true,
	  .expect = "page still charged to cgroup", .skip = PGC_SKIP_OWNER_MEMCG,
	  .corrupt = pgc_corrupt_owner_memcg, .restore = pgc_restore_owner_memcg },
	{ .name = "owner_unmapped", .owner_only = true, .expect = "non-NULL mapping",
	  .corrupt = pgc_corrupt_owner_unmapped, .restore = pgc_restore_mapping },
	{ .name = "owner_garbage", .owner_only = true, .expect = "non-NULL mapping",
	  .corrupt = pgc_corrupt_owner_garbage, .restore = pgc_restore_mapping },
	{ .name = "held_mapping", .held = true, .expect = "non-NULL mapping",
	  .corrupt = pgc_corrupt_mapping, .restore = pgc_restore_mapping },
	/* for watch=: a racing reference, and a healthy free */
	{ .name = "held_refcount", .held = true, .expect = "nonzero _refcount",
	  .backends = "tracepoint",
	  .at_free = pgc_race_refcount, .restore = pgc_restore_refcount },
	{ .name = "held_clean", .held = true, .expect = "none",
	  .restore = pgc_restore_nothing },
	/* for watch=: a put too many, then the owner's own put is a double free */
	{ .name = "held_extra_put", .held = true, .extra_put = true, .task_only = true,
	  .expect = "freed with zero _refcount (double free)",
	  .skip = IS_ENABLED(CONFIG_DEBUG_VM) ?
		  "CONFIG_DEBUG_VM: the kernel's own VM_BUG_ON_PAGE in __free_pages() stops a double free" : NULL,
	  .backends = "ftrace,kprobe",
	  .restore = pgc_restore_nothing },
	{ .name = "kernel_mapping", .order = 4, .no_restore = true,
	  .expect = "non-NULL mapping",
	  .corrupt = pgc_corrupt_mapping, .restore = pgc_restore_nothing },
	{ .name = "multi",
	  .expect = "nonzero mapcount|non-NULL mapping|PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
	  .corrupt = pgc_corrupt_multi, .restore = pgc_restore_multi },
	{ .name = "tail_mapping", .order = 3, .compound = true,
	  .expect = "corrupted mapping in tail page",
	  .corrupt = pgc_corrupt_tail_mapping, .restore = pgc_restore_tail_mapping },
	{ .name = "tail_not_tail", .order = 3, .compound = true,
	  .expect = "PageTail not set|compound_head not consistent",
	  .corrupt = pgc_corrupt_not_tail, .restore = pgc_restore_compound_head },
	{ .name = "tail_head_mismatch", .order = 3, .compound = true,
	  .expect = "compound_head not consistent",
	  .corrupt = pgc_corrupt_head_mismatch, .restore = pgc_restore_compound_head },
	{ .name = "tail_refcount", .order = 3, .compound = true,
	  .expect = "nonzero _refcount",
	  .corrupt = pgc_corrupt_compound_tail_refcount,
	  .restore = pgc_restore_compound_tail_refcount },
	{ .name = PGC_SECOND_MAPCOUNT_CASE, .order = 3, .compound = true,
	  .expect = PGC_SECOND_MAPCOUNT_REASON,
	  .corrupt = pgc_corrupt_second_mapcount,
	  .restore = pgc_restore_second_mapcount },
	{ .name = "large_mapcount", .order = 3, .compound = true,
	  .expect = "nonzero large_mapcount",
	  .skip = PGC_SKIP_LARGE_MAPCOUNT,
	  .corrupt = pgc_corrupt_large_mapcount,
	  .restore = pgc_restore_large_mapcount },
	{ .name = "nr_pages_mapped", .order = 3, .compound = true,
	  .expect = "nonzero nr_pages_mapped",
	  .skip = PGC_SKIP_NR_PAGES_MAPPED,
	  .corrupt = pgc_corrupt_nr_pages_mapped,
	  .restore = pgc_restore_nr_pages_mapped },
	{ .name = "pincount", .order = 3, .compound = true,
	  .expect = "nonzero pincount",
	  .skip = PGC_SKIP_PINCOUNT,
	  .corrupt = pgc_corrupt_pincount, .restore = pgc_restore_pincount },
	{ .name = "deferred_list", .order = 3, .compound = true,
	  .expect = "on deferred list",
	  .corrupt = pgc_corrupt_deferred, .restore = pgc_restore_deferred },
};

/* --- the tracepoint probes ------------------------------------------------ */

static void pgc_zone_unlock(struct pgc_injection *inj)
{
	if (!inj->zone_locked)
		return;
	inj->zone_locked = false;
	spin_unlock_irqrestore(&page_zone(inj->page)->lock, inj->zone_flags);
}

static void notrace pgc_before_pagecheck(void *data, struct page *page,
					 unsigned int order)
{
	if (page != READ_ONCE(pgc_armed))
		return;
	if (pgc_inj.c->at_free)
		pgc_inj.c->at_free(&pgc_inj);
}

/* The differential's look at the block after pagecheck's probe (diff.c). */
static void (*pgc_seen_fn)(struct page *page);

static void notrace pgc_after_pagecheck(void *data, struct page *page,
					unsigned int order)
{
	if (page != READ_ONCE(pgc_armed))
		return;
	if (pgc_seen_fn)
		pgc_seen_fn(page);
	if (!pgc_inj.c->no_restore && READ_ONCE(restore))
		pgc_inj.c->restore(&pgc_inj);
	pgc_zone_unlock(&pgc_inj);
	pgc_inj.freed_seen = true;
	WRITE_ONCE(pgc_armed, NULL);
}

/* --- the bad free itself, in each context --------------------------------- */

/*
 * Every injected page comes from one of these sites: track=1's alloc.stack
 * must name it. With alloc_sites=N the first N take turns, so that an
 * answer naming another site is caught. Each counts in its own slot,
 * which keeps its frame on the stack and the compiler from merging them.
 */
static noinline struct page *pgc_inject_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	WRITE_ONCE(pgc_allocs[0], pgc_allocs[0] + 1);
	return page;
}

static noinline struct page *pgc_inject_alloc_b(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	WRITE_ONCE(pgc_allocs[1], pgc_allocs[1] + 1);
	return page;
}

static noinline struct page *pgc_inject_alloc_c(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	WRITE_ONCE(pgc_allocs[2], pgc_allocs[2] + 1);
	return page;
}

static noinline struct page *pgc_inject_alloc_d(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	WRITE_ONCE(pgc_allocs[3], pgc_allocs[3] + 1);
	return page;
}

/* The page held for the endurance test: allocated before the churn. */
static noinline struct page *pgc_inject_hold_alloc(gfp_t gfp)
{
	struct page *page = alloc_pages(gfp, 0);

	WRITE_ONCE(pgc_allocs[4], pgc_allocs[4] + 1);
	return page;
}

/*
 * The extra put, for watch=: A() allocates, B() takes a reference, C()
 * drops two, and the owner's own put is then a double free.
 */
static noinline struct page *pgc_inject_a_alloc(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, 0);

	WRITE_ONCE(pgc_allocs[4], pgc_allocs[4] + 1);
	return page;
}

static noinline void pgc_inject_b_get(struct page *page)
{
	get_page(page);
	WRITE_ONCE(pgc_frees, pgc_frees + 1);	/* keeps this frame */
}

static noinline void pgc_inject_c_put_twice(struct page *page)
{
	put_page(page);
	put_page(page);
	WRITE_ONCE(pgc_frees, pgc_frees + 1);
}

static const struct {
	struct page *(*alloc)(gfp_t gfp, unsigned int order);
	const char *name;
} pgc_alloc_sites[] = {
	{ pgc_inject_alloc, "pgc_inject_alloc" },
	{ pgc_inject_alloc_b, "pgc_inject_alloc_b" },
	{ pgc_inject_alloc_c, "pgc_inject_alloc_c" },
	{ pgc_inject_alloc_d, "pgc_inject_alloc_d" },
};

static unsigned int alloc_sites = 1;
module_param(alloc_sites, uint, 0644);
MODULE_PARM_DESC(alloc_sites, "Allocating functions taken in turn, 1 to 4 (default 1)");

static unsigned int pgc_site_turn;

/* The first, healthy free of a double free: its last_free.stack names it. */
static noinline void pgc_inject_first_free(struct pgc_injection *inj)
{
	__free_pages(inj->page, 0);
	WRITE_ONCE(pgc_frees, pgc_frees + 1);
}

static noinline void pgc_inject_bad_free(struct pgc_injection *inj)
{
	if (inj->c->zone_locked) {
		spin_lock_irqsave(&page_zone(inj->page)->lock, inj->zone_flags);
		inj->zone_locked = true;
		inj->c->corrupt(inj);
	}
	__free_pages(inj->page, inj->order);
	pgc_zone_unlock(inj);	/* in case the free never reached the probe */
	WRITE_ONCE(pgc_frees, pgc_frees + 1);	/* keeps this frame on the stack */
}

/*
 * __free_page() twice on one page. The second call must not leave a
 * negative refcount on a page the allocator owns: interrupts stay off
 * across both calls and the refcount is put back to zero at once.
 */
static void pgc_inject_double_free(struct pgc_injection *inj)
{
	unsigned long flags;

	local_irq_save(flags);
	pgc_inject_first_free(inj);
	pgc_inject_bad_free(inj);
	set_page_count(inj->page, 0);
	local_irq_restore(flags);
}

/* B(), C(), then the owner's own put: as pgc_inject_double_free(). */
static void pgc_inject_extra_put(struct pgc_injection *inj)
{
	unsigned long flags;

	local_irq_save(flags);
	pgc_inject_b_get(inj->page);
	pgc_inject_c_put_twice(inj->page);
	pgc_inject_bad_free(inj);
	set_page_count(inj->page, 0);
	local_irq_restore(flags);
}

static DECLARE_COMPLETION(pgc_done);

static void pgc_inject_timer_fn(struct timer_list *t)
{
	pgc_inject_bad_free(&pgc_inj);
	complete(&pgc_done);
}

static DEFINE_TIMER(pgc_timer, pgc_inject_timer_fn);

static void pgc_inject_irq_work_fn(struct irq_work *w)
{
	pgc_inject_bad_free(&pgc_inj);
	complete(&pgc_done);
}

static struct irq_work pgc_irq_work;
static DEFINE_SPINLOCK(pgc_inject_lock);

static int pgc_run(const struct pgc_case *c, const char *context)
{
	gfp_t gfp = GFP_KERNEL | (c->compound ? __GFP_COMP : 0) |
		    (c->account ? __GFP_ACCOUNT : 0);
	const char *alloc_func;
	struct page *page;
	unsigned int site;

	const char *skip = c->skip;

	if (!skip && c->page_pool_rule && !pgc_inject_page_pool_rule)
		skip = "page_pool_rule=0, the default on this kernel";
	if (!skip && c->task_only && strcmp(context, "task"))
		skip = "runs in task context only, with interrupts off around both frees";
	if (skip) {
		snprintf(pgc_result, sizeof(pgc_result),
			 "case=%s context=%s status=skipped why=%s\n",
			 c->name, context, skip);
		return 0;
	}
	if (c->held) {
		page = pgc_held;
		pgc_held = NULL;
		alloc_func = pgc_held_func;
	} else {
		site = pgc_site_turn++ % clamp(alloc_sites, 1U, (unsigned int)ARRAY_SIZE(pgc_alloc_sites));
		page = pgc_alloc_sites[site].alloc(gfp, c->order);
		alloc_func = pgc_alloc_sites[site].name;
	}
	if (!page)
		return c->held ? -ENOENT : -ENOMEM;

	memset(&pgc_inj, 0, sizeof(pgc_inj));
	pgc_inj.c = c;
	pgc_inj.page = page;
	pgc_inj.order = c->order;
	if (c->corrupt && !c->zone_locked)
		c->corrupt(&pgc_inj);
	reinit_completion(&pgc_done);
	WRITE_ONCE(pgc_armed, page);

	if (!strcmp(c->name, "double_free")) {
		pgc_inject_double_free(&pgc_inj);
	} else if (c->extra_put) {
		pgc_inject_extra_put(&pgc_inj);
	} else if (!strcmp(context, "task")) {
		pgc_inject_bad_free(&pgc_inj);
	} else if (!strcmp(context, "locked")) {
		spin_lock(&pgc_inject_lock);
		pgc_inject_bad_free(&pgc_inj);
		spin_unlock(&pgc_inject_lock);
	} else if (!strcmp(context, "softirq")) {
		mod_timer(&pgc_timer, jiffies);
		wait_for_completion(&pgc_done);
	} else {
		irq_work_queue(&pgc_irq_work);
		wait_for_completion(&pgc_done);
	}

	if (c->cleanup)
		c->cleanup(&pgc_inj);
	snprintf(pgc_result, sizeof(pgc_result),
		 "case=%s context=%s status=%s pfn=%lu order=%u func=pgc_inject_bad_free alloc_func=%s first_free_func=pgc_inject_first_free how=%s backends=%s expect=%s\n",
		 c->name, context, pgc_inj.freed_seen ? "done" : "not-freed",
		 page_to_pfn(page), c->order, alloc_func,
		 c->at_free ? "emulated-race" : "corrupted-before-free",
		 c->backends ? c->backends : "tracepoint,ftrace,kprobe",
		 c->expect);
	WRITE_ONCE(pgc_armed, NULL);
	return pgc_inj.freed_seen ? 0 : -EIO;
}

/*
 * "hold <context>", or "hold_a <context>" with A(): allocate one page and
 * keep it, until a held_ case frees it (or unload, cleanly). Under
 * pgc_run_lock.
 */
static int pgc_hold(bool by_a)
{
	if (pgc_held)
		return -EBUSY;
	pgc_held = by_a ? pgc_inject_a_alloc() : pgc_inject_hold_alloc(GFP_KERNEL);
	if (!pgc_held)
		return -ENOMEM;
	pgc_held_func = by_a ? "pgc_inject_a_alloc" : "pgc_inject_hold_alloc";
	snprintf(pgc_result, sizeof(pgc_result),
		 "case=hold status=held pfn=%lu order=0 alloc_func=%s\n",
		 page_to_pfn(pgc_held), pgc_held_func);
	return 0;
}

/*
 * "touch <n>": n references taken and dropped on the held page, timed.
 * Under -icount shift=0 a nanosecond is an instruction: the cost of a
 * watched page's traps.
 */
static noinline int pgc_touch(unsigned int n)
{
	u64 t0, t1;
	unsigned int i;

	if (!pgc_held)
		return -ENOENT;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		get_page(pgc_held);
		put_page(pgc_held);
	}
	t1 = ktime_get_ns();
	snprintf(pgc_result, sizeof(pgc_result),
		 "case=touch status=done n=%u ns=%llu pfn=%lu\n", n, t1 - t0,
		 page_to_pfn(pgc_held));
	return 0;
}

/*
 * "hog <context>": a debugger's part, every debug register this CPU lets
 * a wide breakpoint take, on a word nothing writes; "unhog" gives them
 * back. Under pgc_run_lock.
 */
#ifdef CONFIG_HAVE_HW_BREAKPOINT
static struct perf_event * __percpu *pgc_hog_bp[8];
static unsigned long pgc_hog_word;

static int pgc_hog(bool take)
{
	struct perf_event_attr attr;
	unsigned int i, n = 0;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(pgc_hog_bp); i++) {
		if (pgc_hog_bp[i])
			unregister_wide_hw_breakpoint(pgc_hog_bp[i]);
		pgc_hog_bp[i] = NULL;
	}
	for (i = 0; take && i < ARRAY_SIZE(pgc_hog_bp); i++, n++) {
		struct perf_event * __percpu *bp;

		hw_breakpoint_init(&attr);
		attr.bp_addr = (unsigned long)&pgc_hog_word;
		attr.bp_len = HW_BREAKPOINT_LEN_8;
		attr.bp_type = HW_BREAKPOINT_W;
		bp = register_wide_hw_breakpoint(&attr, NULL, NULL);
		if (IS_ERR((void __force *)bp)) {
			err = PTR_ERR((void __force *)bp);
			break;
		}
		pgc_hog_bp[i] = bp;
	}
	snprintf(pgc_result, sizeof(pgc_result), "case=%s status=done breakpoints=%u error=%d\n",
		 take ? "hog" : "unhog", n, err);
	return 0;
}
#else
static int pgc_hog(bool take)
{
	return -EOPNOTSUPP;
}
#endif

/* --- frees for the random differential (diff.c) --------------------------- */

static void (*pgc_race_fn)(struct page *page);

static void pgc_raced_at_free(struct pgc_injection *inj)
{
	if (pgc_race_fn)
		pgc_race_fn(inj->page);
}

static const struct pgc_case pgc_raced_case = {
	.name = "random", .no_restore = true, .expect = "differential",
	.at_free = pgc_raced_at_free, .restore = pgc_restore_nothing,
};

/*
 * Free @page of @order through __free_pages(), nothing restored; @race,
 * if any, runs at the tracepoint before pagecheck's probe, @seen after it
 * (before the kernel's own checks). Under pgc_run_lock. Return: whether
 * the tracepoint saw the free.
 */
bool pgc_inject_free_raced(struct page *page, unsigned int order,
			   void (*race)(struct page *page),
			   void (*seen)(struct page *page))
{
	memset(&pgc_inj, 0, sizeof(pgc_inj));
	pgc_inj.c = &pgc_raced_case;
	pgc_inj.page = page;
	pgc_inj.order = order;
	pgc_race_fn = race;
	pgc_seen_fn = seen;
	WRITE_ONCE(pgc_armed, page);
	pgc_inject_bad_free(&pgc_inj);
	WRITE_ONCE(pgc_armed, NULL);
	pgc_race_fn = NULL;
	pgc_seen_fn = NULL;
	return pgc_inj.freed_seen;
}

/* The page allocator, for the differential: its frame names the injector. */
struct page *pgc_inject_alloc_pages(gfp_t gfp, unsigned int order)
{
	return pgc_inject_alloc(gfp, order);
}

/* Cleared under pgc_run_lock before exit takes anything down. */
static bool pgc_ready;

/* "<case> <context>": run one case. Return: 0 or a negative errno. */
static int pgc_run_line(const char *line)
{
	char name[40], context[16];
	unsigned int i;
	int ret = -EINVAL;

	if (sscanf(line, "%39s %15s", name, context) != 2)
		return -EINVAL;
	if (!strcmp(name, "random"))
		context[0] = '\0';
	else if (strcmp(name, "touch") && strcmp(context, "task") &&
		 strcmp(context, "softirq") && strcmp(context, "hardirq") &&
		 strcmp(context, "locked"))
		return -EINVAL;

	mutex_lock(&pgc_run_lock);
	if (!pgc_ready) {
		ret = -EBUSY;
	} else if (!strcmp(name, "random")) {
		ret = pgc_diff_run_line(line);
		goto out;
	} else if (!strcmp(name, "hold") || !strcmp(name, "hold_a")) {
		ret = pgc_hold(!strcmp(name, "hold_a"));
		goto out;
	} else if (!strcmp(name, "hog") || !strcmp(name, "unhog")) {
		ret = pgc_hog(!strcmp(name, "hog"));
		goto out;
	} else if (!strcmp(name, "touch")) {
		ret = kstrtouint(context, 0, &i) ?: pgc_touch(i);
		goto out;
	}
	for (i = 0; pgc_ready && i < ARRAY_SIZE(pgc_cases); i++) {
		if (strcmp(name, pgc_cases[i].name))
			continue;
		ret = pgc_run(&pgc_cases[i], context);
		break;
	}
out:
	mutex_unlock(&pgc_run_lock);
	return ret;
}

static ssize_t pgc_run_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = pgc_run_line(buf);
	return ret ? ret : len;
}

/* The run parameter: refused at insmod, before the probes are in place. */
static int pgc_run_param_set(const char *val, const struct kernel_param *kp)
{
	return pgc_run_line(val);
}

static const struct kernel_param_ops pgc_run_param_ops = {
	.set = pgc_run_param_set,
};
module_param_cb(run, &pgc_run_param_ops, NULL, 0200);
MODULE_PARM_DESC(run, "Write \"<case> <context>\" to run one case, as debugfs run does (allowed under lockdown)");

static ssize_t pgc_result_read(struct file *file, char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&pgc_run_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, pgc_result,
				      strlen(pgc_result));
	mutex_unlock(&pgc_run_lock);
	return ret;
}

static int pgc_cases_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pgc_cases); i++)
		seq_printf(m, "%s%s%s%s%s%s\n", pgc_cases[i].name,
			   pgc_cases[i].no_restore ? " only:verdict" : "",
			   pgc_cases[i].owner_only ? " only:owner" : "",
			   pgc_cases[i].held ? " only:held" : "",
			   pgc_cases[i].skip ? " skip:" : "",
			   pgc_cases[i].skip ? pgc_cases[i].skip : "");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgc_cases);

static const struct file_operations pgc_run_fops = {
	.owner = THIS_MODULE,
	.write = pgc_run_write,
};

static const struct file_operations pgc_result_fops = {
	.owner = THIS_MODULE,
	.read = pgc_result_read,
};

static void pgc_tp_match(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "mm_page_free"))
		*(struct tracepoint **)priv = tp;
}

static int __init pgc_inject_init(void)
{
	int ret;

	for_each_kernel_tracepoint(pgc_tp_match, &pgc_tp);
	if (!pgc_tp)
		return -ENOENT;
	ret = tracepoint_probe_register_prio(pgc_tp, pgc_before_pagecheck, NULL,
					     PGC_INJECT_BEFORE_PRIO);
	if (ret)
		return ret;
	ret = tracepoint_probe_register_prio(pgc_tp, pgc_after_pagecheck, NULL,
					     PGC_INJECT_AFTER_PRIO);
	if (ret) {
		tracepoint_probe_unregister(pgc_tp, pgc_before_pagecheck, NULL);
		tracepoint_synchronize_unregister();
		return ret;
	}
	init_irq_work(&pgc_irq_work, pgc_inject_irq_work_fn);
	pgc_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0200, pgc_dir, NULL, &pgc_run_fops);
	debugfs_create_file("result", 0400, pgc_dir, NULL, &pgc_result_fops);
	debugfs_create_file("cases", 0400, pgc_dir, NULL, &pgc_cases_fops);
	ret = pgc_diff_init(pgc_dir);
	if (ret) {
		debugfs_remove_recursive(pgc_dir);
		tracepoint_probe_unregister(pgc_tp, pgc_before_pagecheck, NULL);
		tracepoint_probe_unregister(pgc_tp, pgc_after_pagecheck, NULL);
		tracepoint_synchronize_unregister();
		return ret;
	}
	mutex_lock(&pgc_run_lock);
	pgc_ready = true;
	mutex_unlock(&pgc_run_lock);
	return 0;
}

static void __exit pgc_inject_exit(void)
{
	mutex_lock(&pgc_run_lock);
	pgc_ready = false;
	if (pgc_held)
		__free_page(pgc_held);
	pgc_held = NULL;
	pgc_hog(false);
	mutex_unlock(&pgc_run_lock);
	debugfs_remove_recursive(pgc_dir);
	pgc_diff_exit();
	pgc_timer_delete_sync(&pgc_timer);
	irq_work_sync(&pgc_irq_work);
	tracepoint_probe_unregister(pgc_tp, pgc_before_pagecheck, NULL);
	tracepoint_probe_unregister(pgc_tp, pgc_after_pagecheck, NULL);
	tracepoint_synchronize_unregister();
}

module_init(pgc_inject_init);
module_exit(pgc_inject_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pagecheck test injector: real bad page frees");
