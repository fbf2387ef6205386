/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compat layer, part two: how the ftrace and kprobe backends reach
 * the arguments of the functions they hook, per kernel and architecture.
 */
#ifndef PAGECHECK_COMPAT_TRACE_H
#define PAGECHECK_COMPAT_TRACE_H

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/uaccess.h>
#include "pagecheck/compat.h"
#ifdef PGC_HAVE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

/*
 * mm/page_alloc.c pcp_allowed_order(): the orders freed to the per-cpu
 * lists. High orders came with NR_PCP_LISTS (v5.13); before, order 0
 * alone. The THP order is pageblock_order up to 6.1 and HPAGE_PMD_ORDER
 * later, the same order on every architecture Debian builds.
 */
static inline bool pgc_pcp_allowed_order(unsigned int order)
{
#ifdef NR_PCP_LISTS
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return true;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (order == HPAGE_PMD_ORDER)
		return true;
#endif
	return false;
#else
	return !order;
#endif
}

#ifdef PGC_HAVE_FOLIO
/* folio_order() without the accessor's page-flag assertions. */
static inline unsigned int pgc_folio_order_raw(const struct folio *folio)
{
	const struct page *head = &folio->page;

	if (!pgc_flags_head(pgc_page_flags(head)))
		return 0;
#ifdef PAGE_FLAGS_SECOND
	return data_race(folio->_flags_1) & 0xff;	/* PAGE_FLAGS_SECOND's 0xff */
#else
	return data_race(head[1].compound_order);
#endif
}
#endif

/*
 * The bulk page allocator, which takes pages off the per-cpu lists without
 * kmem:mm_page_alloc: its names, newest first, and where its page array
 * is among its arguments (6.1 and 6.12 also take a list, 7.x only an array).
 */
#define PGC_BULK_SYMBOLS	{ "alloc_pages_bulk_noprof", "__alloc_pages_bulk" }
#ifdef PGC_HAVE_BULK_ARRAY_ONLY
#define PGC_BULK_ARRAY_ARG	4
#else
#define PGC_BULK_ARRAY_ARG	5
#endif

/*
 * Where migration copies a page's state to its new page, (new, old) in
 * both: folio_migrate_flags() from 5.16, migrate_page_states() before.
 */
#ifdef PGC_HAVE_FOLIO
#define PGC_MIGRATE_SYMBOL	"folio_migrate_flags"
static inline unsigned int pgc_migrated_order(unsigned long old)
{
	return pgc_folio_order_raw((const struct folio *)old);
}
#else
#define PGC_MIGRATE_SYMBOL	"migrate_page_states"
static inline unsigned int pgc_migrated_order(unsigned long old)
{
	const struct page *page = (const struct page *)old;

	return pgc_flags_head(pgc_page_flags(page)) ? data_race(page[1].compound_order) : 0;
}
#endif

/*
 * Argument n of a probed function from its entry registers. On s390,
 * regs_get_kernel_argument() calls regs_get_register() and
 * regs_get_kernel_stack_nth(), which are not exported: arguments 0-4 are
 * in r2-r6, the others in the caller's frame after its register save
 * area (r15 is the caller's stack pointer at entry).
 */
#ifdef CONFIG_S390
static __always_inline unsigned long pgc_regs_arg(struct pt_regs *regs,
						  unsigned int n)
{
	const unsigned long *args;
	unsigned long val;

	if (n < 5)
		return regs->gprs[2 + n];
	args = (const unsigned long *)(regs->gprs[15] + STACK_FRAME_OVERHEAD);
	if (copy_from_kernel_nofault(&val, args + n - 5, sizeof(val)))
		return 0;
	return val;
}
#else
#define pgc_regs_arg(regs, n)	regs_get_kernel_argument(regs, n)
#endif

/*
 * The return address of a function probed at its entry when it is still in
 * a register, not on the stack (arm64: the link register), else 0.
 */
static __always_inline unsigned long pgc_kprobe_entry_link(struct pt_regs *regs)
{
#ifdef CONFIG_ARM64
	return procedure_link_pointer(regs);
#else
	return 0;
#endif
}

/* The first arguments of a probed function, from a kprobe's registers. */
static __always_inline unsigned long pgc_kprobe_arg(struct pt_regs *regs,
						    unsigned int n)
{
	return pgc_regs_arg(regs, n);
}

#if defined(CONFIG_DYNAMIC_FTRACE) && defined(CONFIG_FUNCTION_TRACER)
#define PGC_HAVE_FTRACE_BACKEND 1

/*
 * 5.11+: ftrace provides the recursion protection. Before, the flag meant
 * "the callback is recursion safe", and without it every call went
 * through ftrace_ops_assist_func(). The callback is safe: it never calls
 * a function it hooks (it neither allocates nor frees pages).
 */
#ifdef PGC_HAVE_FTRACE_OPS_FL_RECURSION
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
#if defined(CONFIG_S390) && defined(arch_ftrace_regs)
	return pgc_regs_arg(&arch_ftrace_regs(fregs)->regs, n);
#elif defined(CONFIG_S390)
	return pgc_regs_arg(&fregs->regs, n);
#elif defined(ftrace_regs_get_argument) || defined(HAVE_ARCH_FTRACE_REGS)
	/* a macro, or (arm64 6.12: opaque ftrace_regs) an inline function */
	return ftrace_regs_get_argument(fregs, n);
#else
	return regs_get_kernel_argument(&fregs->regs, n);
#endif
}
#elif defined(PGC_HAVE_FTRACE_REGS)
#define PGC_FTRACE_OPS_FLAGS	(PGC_FTRACE_RECURSION_FLAG | FTRACE_OPS_FL_SAVE_REGS)
static __always_inline unsigned long pgc_ftrace_arg(pgc_ftrace_regs_t *fregs,
						    unsigned int n)
{
	return pgc_regs_arg(ftrace_get_regs(fregs), n);
}
#else
#define PGC_FTRACE_OPS_FLAGS	(PGC_FTRACE_RECURSION_FLAG | FTRACE_OPS_FL_SAVE_REGS)
static __always_inline unsigned long pgc_ftrace_arg(pgc_ftrace_regs_t *regs,
						    unsigned int n)
{
	return pgc_regs_arg(regs, n);
}
#endif

/*
 * ftrace_free_filter() is exported since 5.11, with the ftrace_regs
 * callbacks; reset the filter before.
 */
static inline void pgc_ftrace_release_filter(struct ftrace_ops *ops)
{
#ifdef PGC_HAVE_FTRACE_REGS
	ftrace_free_filter(ops);
#else
	ftrace_set_filter(ops, NULL, 0, 1);
#endif
}
#else
#define PGC_HAVE_FTRACE_BACKEND 0
#endif

#endif /* PAGECHECK_COMPAT_TRACE_H */
