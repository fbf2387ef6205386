/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compat layer, part two: the entry points the ftrace and kprobe backends
 * attach to. A set is usable when every required symbol resolves on the
 * running kernel; sets are tried in order, so the choice is made by symbol
 * lookup, not by version. Argument layouts of these static functions are
 * not visible in headers; where they changed, the version is the fallback.
 */
#ifndef PAGECHECK_TARGETS_H
#define PAGECHECK_TARGETS_H

#include <linux/version.h>
#include <linux/mm.h>
#include "pagecheck/compat.h"
#ifdef PGC_HAVE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif
#include <linux/ftrace.h>
#include <linux/ptrace.h>

enum pgc_target_kind {
	PGC_TK_PAGE_ORDER,	/* (struct page *, unsigned int order) */
	PGC_TK_PAGE_ORDER_PCP,	/* same; other orders go on to __free_pages_ok */
	PGC_TK_PAGE,		/* (struct page *), order 0 */
	PGC_TK_FOLIO_BATCH,	/* (struct folio_batch *) */
	PGC_TK_CALL,		/* __free_pages(page, order): the caller's call */
};

struct pgc_target {
	const char *symbol;
	enum pgc_target_kind kind;
	bool optional;		/* the set works without it */
	bool kprobe_only;	/* no __fentry__: ftrace cannot attach */
};

struct pgc_target_set {
	const char *name;
	const struct pgc_target *targets;
	unsigned int nr;
	const char *unseen_ftrace;	/* free paths ftrace cannot see, or NULL */
	const char *unseen_kprobe;
};

/* free_pcp_prepare() gained its order argument with high-order pcp lists (5.13). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 13, 0)
#define PGC_TK_FREE_PCP_PREPARE	PGC_TK_PAGE_ORDER
#else
#define PGC_TK_FREE_PCP_PREPARE	PGC_TK_PAGE
#endif

/* 5.10, 6.1: every pcp free passes free_pcp_prepare(), every other one __free_pages_ok(). */
static const struct pgc_target pgc_targets_pcp_prepare[] = {
	{ "free_pcp_prepare", PGC_TK_FREE_PCP_PREPARE },
	{ "__free_pages_ok", PGC_TK_PAGE_ORDER },
	{ "__free_pages", PGC_TK_CALL },
};

/*
 * 6.12: free_pages_prepare() is inlined into free_unref_page(),
 * free_unref_folios() and __free_pages_ok(); its out-of-line copy serves
 * compaction only and has no __fentry__.
 */
static const struct pgc_target pgc_targets_unref_page[] = {
	{ "free_unref_page", PGC_TK_PAGE_ORDER_PCP },
	{ "__free_pages_ok", PGC_TK_PAGE_ORDER },
	{ "free_unref_folios", PGC_TK_FOLIO_BATCH },
	{ "free_pages_prepare", PGC_TK_PAGE_ORDER, .optional = true,
	  .kprobe_only = true },
	{ "__free_pages", PGC_TK_CALL },
};

/*
 * 7.x: __free_frozen_pages() is where every single-block free ends up
 * (__free_pages, free_frozen_pages, free_pages_nolock); other orders go on
 * to __free_pages_ok(). The free_pages_prepare() wrapper serves compaction
 * and contig-range/vfree frees, which then reach __free_frozen_pages()
 * already prepared: those are audited twice, the second time clean.
 */
static const struct pgc_target pgc_targets_frozen[] = {
	{ "__free_frozen_pages", PGC_TK_PAGE_ORDER_PCP },
	{ "__free_pages_ok", PGC_TK_PAGE_ORDER },
	{ "free_unref_folios", PGC_TK_FOLIO_BATCH },
	{ "free_pages_prepare", PGC_TK_PAGE_ORDER },
	{ "__free_pages", PGC_TK_CALL },
};

static const struct pgc_target_set pgc_target_sets[] __maybe_unused = {
	{ "free_pcp_prepare", pgc_targets_pcp_prepare,
	  ARRAY_SIZE(pgc_targets_pcp_prepare), NULL, NULL },
	{ "free_unref_page", pgc_targets_unref_page,
	  ARRAY_SIZE(pgc_targets_unref_page),
	  "compaction_free() (its free_pages_prepare() copy is notrace)", NULL },
	{ "__free_frozen_pages", pgc_targets_frozen, ARRAY_SIZE(pgc_targets_frozen),
	  NULL, NULL },
};

/* The kernel's own verdict: bad_page(struct page *page, const char *reason). */
#define PGC_BAD_PAGE_SYMBOL	"bad_page"

/* mm/page_alloc.c pcp_allowed_order(), identical in 5.13 .. 6.12. */
static inline bool pgc_pcp_allowed_order(unsigned int order)
{
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return true;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (order == HPAGE_PMD_ORDER)
		return true;
#endif
	return false;
}

#ifdef PGC_HAVE_FOLIO
/* folio_order() without the accessor's page-flag assertions. */
static inline unsigned int pgc_folio_order_raw(const struct folio *folio)
{
	const struct page *head = &folio->page;

	if (!pgc_flags_head(pgc_raw_flags(head)))
		return 0;
#ifdef PAGE_FLAGS_SECOND
	return READ_ONCE(folio->_flags_1) & 0xff;	/* PAGE_FLAGS_SECOND's 0xff */
#else
	return READ_ONCE(head[1].compound_order);
#endif
}
#endif

/* Clones the compiler may have made of a target; arguments keep their slots. */
static const char *const pgc_symbol_suffixes[] __maybe_unused = { "", ".constprop.0", ".isra.0", ".part.0" };

/* --- ftrace -------------------------------------------------------------- */

#if defined(CONFIG_DYNAMIC_FTRACE) && defined(CONFIG_FUNCTION_TRACER)
#define PGC_HAVE_FTRACE_BACKEND 1

/*
 * 5.11+: ftrace provides the recursion protection. Before, the flag meant
 * "the callback is recursion safe", and without it every call went
 * through ftrace_ops_assist_func(). The callback is safe: it never calls
 * a function it hooks (it neither allocates nor frees pages).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define PGC_FTRACE_RECURSION_FLAG	FTRACE_OPS_FL_RECURSION
#else
#define PGC_FTRACE_RECURSION_FLAG	FTRACE_OPS_FL_RECURSION_SAFE
#endif

#ifdef PGC_HAVE_FTRACE_REGS
typedef struct ftrace_regs pgc_ftrace_regs_t;
#else
typedef struct pt_regs pgc_ftrace_regs_t;	/* callbacks took pt_regs until 5.11 */
#endif

#if defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS) && defined(PGC_HAVE_FTRACE_REGS)
#define PGC_FTRACE_OPS_FLAGS	PGC_FTRACE_RECURSION_FLAG
static __always_inline unsigned long pgc_ftrace_arg(pgc_ftrace_regs_t *fregs,
						    unsigned int n)
{
#ifdef ftrace_regs_get_argument
	return ftrace_regs_get_argument(fregs, n);
#else
	return regs_get_kernel_argument(&fregs->regs, n);
#endif
}
#elif defined(PGC_HAVE_FTRACE_REGS)
#define PGC_FTRACE_OPS_FLAGS	(PGC_FTRACE_RECURSION_FLAG | FTRACE_OPS_FL_SAVE_REGS)
static __always_inline unsigned long pgc_ftrace_arg(struct ftrace_regs *fregs,
						    unsigned int n)
{
	return regs_get_kernel_argument(ftrace_get_regs(fregs), n);
}
#else
#define PGC_FTRACE_OPS_FLAGS	(PGC_FTRACE_RECURSION_FLAG | FTRACE_OPS_FL_SAVE_REGS)
static __always_inline unsigned long pgc_ftrace_arg(struct pt_regs *regs,
						    unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}
#endif
/* ftrace_free_filter() is exported only since 5.11; reset the filter before. */
static inline void pgc_ftrace_release_filter(struct ftrace_ops *ops)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	ftrace_free_filter(ops);
#else
	ftrace_set_filter(ops, NULL, 0, 1);
#endif
}
#else
#define PGC_HAVE_FTRACE_BACKEND 0
#endif

#endif /* PAGECHECK_TARGETS_H */
