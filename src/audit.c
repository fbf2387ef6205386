// SPDX-License-Identifier: GPL-2.0
/*
 * The audit of one free: the filters of rules.h on the live page for the
 * common case, and a slow path that snapshots every sub-page, judges it
 * and records a report. Safe in any context: no allocation, no sleeping;
 * scratch space comes from a fixed pool claimed with atomic bit
 * operations, and the only lock is the store's (trylock in NMI).
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/hardirq.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include "pagecheck/audit.h"
#include "pagecheck/format.h"
#include "pagecheck/hash.h"
#include "pagecheck/owner.h"
#include "pagecheck/settings.h"
#include "pagecheck/stack.h"
#include "pagecheck/store.h"
#include "pagecheck/track.h"
#include "pagecheck/watch.h"

#define CREATE_TRACE_POINTS
#include "pagecheck/events.h"

DEFINE_PER_CPU(struct pgc_audit_counters, pgc_audit_counters);
DEFINE_STATIC_KEY_TRUE(pgc_audit_key);
#if PGC_COUNT_FREES_DEFAULT
DEFINE_STATIC_KEY_TRUE(pgc_count_frees);
#else
DEFINE_STATIC_KEY_FALSE(pgc_count_frees);
#endif

/* Violations per rule since load; rare, so plain atomics. */
static atomic64_t pgc_rule_counts[PGC_NR_REASONS];

/*
 * Scratch space for building a report: too big for the free path's stack.
 * A fixed pool, not one per CPU, so memory does not grow with the CPU
 * count; a violation that finds every slot taken is a busy drop.
 */
#define PGC_SCRATCH_SLOTS_MAX	32

struct pgc_scratch {
	struct pgc_stack_scratch stack;
	struct pgc_report report;	/* pgc_report_size() bytes */
};

static void *pgc_scratch_pool;
static size_t pgc_scratch_stride;
static unsigned int pgc_scratch_slots;
static unsigned long pgc_scratch_busy;

static atomic_long_t pgc_printk_suppressed = ATOMIC_LONG_INIT(0);
static DEFINE_RATELIMIT_STATE(pgc_printk_ratelimit, 5 * HZ, 10);

int pgc_audit_init(void)
{
	pgc_scratch_slots = min_t(unsigned int, 4 * num_possible_cpus(),
				  PGC_SCRATCH_SLOTS_MAX);
	pgc_scratch_stride = ALIGN(offsetof(struct pgc_scratch, report) +
				   pgc_report_size(pgc_settings.stack_capacity, true),
				   L1_CACHE_BYTES);
	pgc_scratch_pool = kcalloc(pgc_scratch_slots, pgc_scratch_stride,
				   GFP_KERNEL);
	if (pgc_settings.count_frees)
		static_branch_enable(&pgc_count_frees);
	else
		static_branch_disable(&pgc_count_frees);
	return pgc_scratch_pool ? 0 : -ENOMEM;
}

/* Only once no hook can call in any more. */
void pgc_audit_exit(void)
{
	kfree(pgc_scratch_pool);
	pgc_scratch_pool = NULL;
}

static struct pgc_scratch *pgc_scratch_get(void)
{
	unsigned int start = raw_smp_processor_id(), i;

	for (i = 0; i < pgc_scratch_slots; i++) {
		unsigned int slot = (start + i) % pgc_scratch_slots;

		if (!test_and_set_bit_lock(slot, &pgc_scratch_busy))
			return pgc_scratch_pool + slot * pgc_scratch_stride;
	}
	return NULL;
}

static void pgc_scratch_put(struct pgc_scratch *scratch)
{
	unsigned int slot = ((void *)scratch - pgc_scratch_pool) /
			    pgc_scratch_stride;

	clear_bit_unlock(slot, &pgc_scratch_busy);
}

void pgc_audit_set_enabled(bool on)
{
	if (on)
		static_branch_enable(&pgc_audit_key);
	else
		static_branch_disable(&pgc_audit_key);
}

static unsigned int pgc_current_context(void)
{
	if (in_nmi())
		return PGC_CTX_NMI;
	if (in_hardirq())
		return PGC_CTX_HARDIRQ;
	if (in_serving_softirq())
		return PGC_CTX_SOFTIRQ;
	return PGC_CTX_TASK;
}

static unsigned int pgc_order_bucket(unsigned int order)
{
	if (!order)
		return PGC_ORDER_0;
	return order <= 3 ? PGC_ORDER_1_3 : PGC_ORDER_4_UP;
}

/* pagecheck:bad_free, for one violation; @text: room for the reasons */
static void pgc_trace_bad_free(const struct pgc_report *rec,
			       enum pgc_store_result result, char *text)
{
	BUILD_BUG_ON(KSYM_SYMBOL_LEN < PGC_EVENT_REASONS_LEN);
	BUILD_BUG_ON(PGC_STORED_NEW != 0 || PGC_STORED_DUPLICATE != 1 ||
		     PGC_DROPPED_FULL != 2 || PGC_DROPPED_BUSY != 3);
	pgc_format_reasons(rec->reasons, text, PGC_EVENT_REASONS_LEN);
	trace_bad_free(rec->pfn, rec->order, rec->reasons, text, rec->fingerprint,
		       rec->id, result);
}

static enum pgc_store_result pgc_record(struct pgc_report *rec, char *text)
{
	enum pgc_store_result result;
	bool first_full = false;

	result = pgc_store_add(rec, &first_full);
	if (trace_bad_free_enabled())
		pgc_trace_bad_free(rec, result, text);
	switch (result) {
	case PGC_DROPPED_BUSY:
		return result;
	case PGC_DROPPED_FULL:
		if (first_full && READ_ONCE(pgc_settings.printk))
			pgc_format_store_full(pgc_settings.max_reports,
					      atomic_long_xchg(&pgc_printk_suppressed, 0));
		return result;
	case PGC_STORED_NEW:
		if (!READ_ONCE(pgc_settings.printk))
			break;
		if (__ratelimit(&pgc_printk_ratelimit))
			pgc_format_printk(rec, atomic_long_xchg(&pgc_printk_suppressed, 0));
		else
			atomic_long_inc(&pgc_printk_suppressed);
		break;
	case PGC_STORED_DUPLICATE:
		break;
	}
	add_taint(TAINT_BAD_PAGE, LOCKDEP_STILL_OK);
	if (READ_ONCE(pgc_settings.panic_on_report))
		panic("pagecheck: bad page freed (pfn 0x%lx order %u)\n",
		      rec->pfn, rec->order);
	return result;
}

/* The event of a violation dropped before its report could be built. */
static noinline void pgc_trace_busy(const struct page *page, unsigned int order,
				    u32 reasons)
{
	char text[PGC_EVENT_REASONS_LEN];

	pgc_format_reasons(reasons, text, sizeof(text));
	trace_bad_free(page_to_pfn(page), order, reasons, text, 0, 0,
		       PGC_DROPPED_BUSY);
}

/* Build the report of a bad free in scratch space and store it. */
static void pgc_report(const struct page *page, unsigned int order,
		       const struct pgc_judgement *v)
{
	enum pgc_store_result result;
	struct pgc_report_track *t;
	struct pgc_scratch *scratch;
	struct pgc_report *rec;
	unsigned int r;

	for (r = 0; r < PGC_NR_REASONS; r++)
		if (v->reasons & PGC_BIT(r))
			atomic64_inc(&pgc_rule_counts[r]);
	scratch = pgc_scratch_get();
	if (!scratch) {
		pgc_store_drop_busy();
		if (trace_bad_free_enabled())
			pgc_trace_busy(page, order, v->reasons);
		return;
	}
	rec = &scratch->report;
	memset(rec, 0, sizeof(*rec));
	rec->reasons = v->reasons;
	rec->compound = v->compound;
	rec->bad_subpages = v->bad_subpages;
	rec->first_bad_index = v->first_bad_index;
	rec->head = v->head;
	rec->bad_tail = v->bad_tail;
	rec->folio = v->folio;
	rec->pfn = page_to_pfn(page);
	rec->last_pfn = rec->pfn;
	rec->order = order;
	rec->last_order = order;
	rec->page = page;
	t = pgc_report_track(rec, pgc_settings.stack_capacity);
	pgc_track_lookup(rec->pfn, &t->prov);
	if (t->prov.state != PGC_PROV_OFF)
		pgc_owner_decode(page, &rec->head, pgc_page_pool(rec->head.head_word),
				 &t->owner);
	else
		memset(&t->owner, 0, sizeof(t->owner));
	rec->nr_entries = pgc_stack_save(rec->stack,
					 min(READ_ONCE(pgc_settings.stack_depth),
					     pgc_settings.stack_capacity),
					 &scratch->stack);
	rec->caller = pgc_stack_caller(rec->stack, rec->nr_entries,
				       scratch->stack.symbol);
	rec->stack_hash = pgc_hash_words(rec->stack, rec->nr_entries, rec->reasons);
	rec->fingerprint = pgc_format_fingerprint(rec, scratch->stack.symbol);
	rec->context = pgc_current_context();
	rec->cpu = raw_smp_processor_id();
	rec->pid = task_pid_nr(current);
	memcpy(rec->comm, current->comm, sizeof(rec->comm));
	rec->first_ns = local_clock();
	rec->last_ns = rec->first_ns;
	rec->count = 1;
	result = pgc_record(rec, scratch->stack.symbol);
	if (static_branch_unlikely(&pgc_watch_key) && result <= PGC_STORED_DUPLICATE)
		pgc_watch_report(rec->id, result == PGC_STORED_NEW, rec->fingerprint,
				 rec->pfn, order,
				 t->prov.alloc.missing ? 0 : t->prov.alloc.stack_id);
	pgc_scratch_put(scratch);
}

/**
 * pgc_audit_slow() - judge a free the filters could not prove clean
 * @head_check_flags: unused (the judge applies every rule)
 * @page: head page
 * @order: order of the block
 */
noinline void notrace pgc_audit_slow(unsigned long head_check_flags,
				     struct page *page, unsigned int order)
{
	unsigned int bucket = pgc_order_bucket(order);
	struct pgc_judgement v;

	this_cpu_inc(pgc_audit_counters.slow[bucket]);
	pgc_judge_block(page, order, &v);
	if (likely(!v.reasons)) {
		this_cpu_inc(pgc_audit_counters.slow_clean[bucket]);
		return;
	}
	pgc_report(page, order, &v);
}

static noinline void pgc_audit_call_slow(struct page *page, unsigned int order)
{
	struct pgc_judgement v;

	memset(&v, 0, sizeof(v));
	pgc_snap_page(&v.head, page);
	v.reasons = pgc_judge_call(&v.head);
	if (v.reasons)
		pgc_report(page, order, &v);
}

/**
 * pgc_audit_call() - audit a call to __free_pages() at its entry
 * @page: the page the caller frees
 * @order: its order
 *
 * Catches a double free or an underflow before the kernel's put makes the
 * refcount negative; the stack is the caller's.
 */
void notrace pgc_audit_call(struct page *page, unsigned int order)
{
	if (!static_branch_likely(&pgc_audit_key))
		return;
	this_cpu_inc(pgc_audit_counters.calls);
	if (likely(pgc_page_refcount(page) > 0))
		return;
	pgc_audit_call_slow(page, order);
}

void pgc_audit_get_stats(struct pgc_audit_stats *st)
{
	unsigned int b, r, o;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct pgc_audit_counters *c = per_cpu_ptr(&pgc_audit_counters, cpu);

		st->by_order[0] += READ_ONCE(c->frees);
		for (o = 1; o < PGC_ORDERS; o++)
			st->by_order[o] += READ_ONCE(c->large[o]);
		st->calls += READ_ONCE(c->calls);
		for (b = 0; b < PGC_NR_ORDER_BUCKETS; b++) {
			st->slow[b] += READ_ONCE(c->slow[b]);
			st->slow_clean[b] += READ_ONCE(c->slow_clean[b]);
		}
	}
	for (o = 0; o < PGC_ORDERS; o++) {
		st->frees += st->by_order[o];
		st->pages += st->by_order[o] << o;
	}
	for (r = 0; r < PGC_NR_REASONS; r++)
		st->rule[r] = atomic64_read(&pgc_rule_counts[r]);
	st->scratch_slots = pgc_scratch_slots;
	st->scratch_bytes = pgc_scratch_slots * pgc_scratch_stride;
	st->counters_bytes = sizeof(struct pgc_audit_counters) * num_possible_cpus();
}
