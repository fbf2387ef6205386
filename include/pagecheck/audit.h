/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit of one free, called by every hook. A clean order-0 free costs
 * the rules of pgc_head_maybe_bad() on the live page, and a counter
 * increment if count_frees is set; anything else leaves the probe with one
 * call.
 */
#ifndef PAGECHECK_AUDIT_H
#define PAGECHECK_AUDIT_H

#include <linux/jump_label.h>
#include <linux/percpu.h>
#include "pagecheck/rules.h"

/* Frees that entered the slow path, by order. */
enum pgc_order_bucket {
	PGC_ORDER_0,
	PGC_ORDER_1_3,
	PGC_ORDER_4_UP,
	PGC_NR_ORDER_BUCKETS
};

/* Orders a free can have: compat.h checks the kernel's bound. */
#define PGC_ORDERS	16

static_assert(PGC_NR_PAGE_ORDERS <= PGC_ORDERS);
static_assert((PGC_ORDERS & (PGC_ORDERS - 1)) == 0);

struct pgc_audit_counters {
	unsigned long frees;			/* of order 0 */
	unsigned long calls;
	unsigned long large[PGC_ORDERS];	/* frees of order > 0, by order */
	unsigned long slow[PGC_NR_ORDER_BUCKETS];
	unsigned long slow_clean[PGC_NR_ORDER_BUCKETS];
};

DECLARE_PER_CPU(struct pgc_audit_counters, pgc_audit_counters);
DECLARE_STATIC_KEY_TRUE(pgc_audit_key);

/*
 * count_frees: one static key, set at load. Its branch costs one
 * instruction where it is taken, so it is laid out for the default of the
 * architecture (compat.h).
 */
#if PGC_COUNT_FREES_DEFAULT
DECLARE_STATIC_KEY_TRUE(pgc_count_frees);
#define pgc_counting()	static_branch_likely(&pgc_count_frees)
#else
DECLARE_STATIC_KEY_FALSE(pgc_count_frees);
#define pgc_counting()	static_branch_unlikely(&pgc_count_frees)
#endif

struct pgc_audit_stats {
	u64 frees;
	u64 calls;
	u64 pages;
	u64 by_order[PGC_ORDERS];
	u64 slow[PGC_NR_ORDER_BUCKETS];
	u64 slow_clean[PGC_NR_ORDER_BUCKETS];
	u64 rule[PGC_NR_REASONS];
	unsigned int scratch_slots;
	size_t scratch_bytes;
	size_t counters_bytes;		/* the per-cpu counters, every possible CPU */
};

/*
 * Out of line, with a tracepoint probe's arguments (its data pointer,
 * PGC_HEAD_CHECK_FLAGS, first), so that the probe reaches them with a
 * plain jump.
 */
void pgc_audit_slow(unsigned long head_check_flags, struct page *page,
		    unsigned int order);
void pgc_audit_large(unsigned long head_check_flags, struct page *page,
		     unsigned int order);

/**
 * __pgc_audit_free() - audit one free reaching the buddy allocator
 * @head_check_flags: PGC_HEAD_CHECK_FLAGS (the tracepoint probe's data)
 * @page: head page, as passed to trace_mm_page_free()
 * @order: order of the block
 * @count: count every free by order: a constant
 *
 * The tracepoint backend calls this directly, from one probe built per
 * value of @count and chosen at load by the key: its clean order-0 free
 * is a dozen instructions, and the key's branch would be one more (the
 * benchmark's gates, docs/performance.md). It implements enabled=0 by
 * unregistering its probe; the other backends use pgc_audit_free().
 */
static __always_inline void __pgc_audit_free(unsigned long head_check_flags,
					     struct page *page,
					     unsigned int order, bool count)
{
	/*
	 * Each branch makes its own call of the slow path, on purpose: the
	 * counted path keeps the instructions it had before count_frees.
	 */
	if (count) {
		if (order) {
			pgc_audit_large(head_check_flags, page, order);
			return;
		}
		this_cpu_inc(pgc_audit_counters.frees);
		if (unlikely(__pgc_head_maybe_bad(page, 0, head_check_flags)))
			pgc_audit_slow(head_check_flags, page, 0);
		return;
	}
	/* Uncounted, the order joins the filter's compare of the counts. */
	if (unlikely(__pgc_head_maybe_bad(page, order, head_check_flags))) {
		if (order)
			pgc_audit_large(head_check_flags, page, order);
		else
			pgc_audit_slow(head_check_flags, page, 0);
	}
}

/* A free the filters pass by, counted as __pgc_audit_free() would. */
static __always_inline void pgc_audit_count(unsigned int order)
{
	if (order)
		this_cpu_inc(pgc_audit_counters.large[order & (PGC_ORDERS - 1)]);
	else
		this_cpu_inc(pgc_audit_counters.frees);
}

/*
 * page_pool_rule=1 where it is opt-in (6.1): the tracepoint backend's
 * probes for it test the head's signature first, so that the rule costs
 * nothing while it is off. Any order: the judge reads the whole block.
 */
static __always_inline void pgc_audit_free_page_pool(unsigned long head_check_flags,
						     struct page *page,
						     unsigned int order, bool count)
{
	if (unlikely(pgc_pp_signature(pgc_page_head_word(page)))) {
		if (count)
			pgc_audit_count(order);
		pgc_audit_slow(head_check_flags, page, order);
		return;
	}
	__pgc_audit_free(head_check_flags, page, order, count);
}

/* The ftrace and kprobe backends' audit: enabled= and count_frees are keys. */
static __always_inline void pgc_audit_free(struct page *page, unsigned int order)
{
	if (!static_branch_likely(&pgc_audit_key))
		return;
	if (pgc_counting())
		__pgc_audit_free(PGC_HEAD_CHECK_FLAGS, page, order, true);
	else
		__pgc_audit_free(PGC_HEAD_CHECK_FLAGS, page, order, false);
}

void pgc_audit_call(struct page *page, unsigned int order);
void pgc_audit_set_enabled(bool on);
void pgc_audit_get_stats(struct pgc_audit_stats *st);
int pgc_audit_init(void);
void pgc_audit_exit(void);

#endif /* PAGECHECK_AUDIT_H */
