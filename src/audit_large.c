// SPDX-License-Identifier: GPL-2.0
/*
 * The hot path of a free of order > 0: the rules of rules.h over the head,
 * the folio fields and OR/AND reductions of the sub-pages, read in place;
 * the slow path (audit.c) only if one may be broken. A unit of its own so
 * that the rules test builds this very code and checks it against the
 * judge (tests/rules/audit_large_under_test.c).
 */
#include <linux/log2.h>
#include "pagecheck/audit.h"

/* The slow path of a free of pages [@page, @end). */
static noinline void pgc_audit_block_slow(struct page *page, struct page *end)
{
	pgc_audit_slow(PGC_HEAD_CHECK_FLAGS, page, ilog2(end - page));
}

/* A plain (not compound) high-order block: rare, and out of the way. */
static noinline void pgc_audit_plain(struct page *page, struct page *end)
{
	if (unlikely(pgc_plain_maybe_bad(page + 1, end)))
		pgc_audit_block_slow(page, end);
}

/**
 * pgc_audit_large() - audit a free of order > 0
 * @head_check_flags: PGC_HEAD_CHECK_FLAGS
 * @page: head page
 * @order: order of the block
 *
 * Past the head, the block is [@page, end): @order is not kept.
 */
noinline void notrace pgc_audit_large(unsigned long head_check_flags,
				      struct page *page, unsigned int order)
{
	struct page *end;

	/*
	 * A no-op (every order is below PGC_ORDERS) that lets the compiler
	 * drop UBSAN's bounds and shift checks on @order.
	 */
	order &= PGC_ORDERS - 1;
	if (pgc_counting())
		this_cpu_inc(pgc_audit_counters.large[order]);
	if (unlikely(__pgc_head_maybe_bad(page, 0, head_check_flags))) {
		pgc_audit_slow(head_check_flags, page, order);
		return;
	}
	end = page + (1UL << order);
	/* from here on, [@page, @end): the order need not stay in a register */
	OPTIMIZER_HIDE_VAR(end);
	if (!pgc_flags_head(pgc_page_flags(page))) {
		pgc_audit_plain(page, end);
		return;
	}
	if (unlikely(pgc_compound_maybe_bad(page, end)))
		pgc_audit_block_slow(page, end);
}
