// SPDX-License-Identifier: GPL-2.0
/*
 * The audit of one free: a lean filter on the head page for the common
 * case, and a slow path that snapshots every sub-page, judges it and
 * records a report. Safe in any context: no allocation, no sleeping, the
 * only lock is the store's (trylock in NMI).
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include <linux/jhash.h>
#include <linux/timekeeping.h>
#include <linux/hardirq.h>
#include "pagecheck/pagecheck.h"

DEFINE_PER_CPU(struct pgc_cpu_stats, pgc_cpu_stats);

/* A report header with room for the deepest stack. */
union pgc_report_buf {
	struct pgc_report report;
	u8 bytes[sizeof(struct pgc_report) +
		 PGC_STACK_DEPTH_MAX * sizeof(unsigned long)];
};

/*
 * Per-cpu, per-context scratch, used with preemption off: a report and a
 * raw stack are too big for the free path's own stack.
 */
struct pgc_scratch {
	union pgc_report_buf buf;
	unsigned long entries[PGC_STACK_DEPTH_MAX + 8];
	char symbol[KSYM_SYMBOL_LEN];
};

/*
 * Allocated at load from the dynamic per-cpu area: a static DEFINE_PER_CPU
 * of this size would use up the small per-cpu reserve that every module
 * loaded after pagecheck shares.
 */
static struct pgc_scratch __percpu *pgc_scratch;	/* [PGC_NR_CONTEXTS] */

int pgc_audit_init(void)
{
	pgc_scratch = __alloc_percpu(sizeof(struct pgc_scratch) * PGC_NR_CONTEXTS,
				     __alignof__(struct pgc_scratch));
	return pgc_scratch ? 0 : -ENOMEM;
}

/* Only once no hook can call in any more. */
void pgc_audit_exit(void)
{
	free_percpu(pgc_scratch);
	pgc_scratch = NULL;
}

static atomic_long_t pgc_printk_suppressed = ATOMIC_LONG_INIT(0);
static DEFINE_RATELIMIT_STATE(pgc_printk_ratelimit, 5 * HZ, 10);

static const char *const pgc_context_names[PGC_NR_CONTEXTS] = {
	[PGC_CTX_TASK]		= "task",
	[PGC_CTX_SOFTIRQ]	= "softirq",
	[PGC_CTX_HARDIRQ]	= "hardirq",
	[PGC_CTX_NMI]		= "nmi",
};

const char *pgc_context_name(unsigned int context)
{
	return context < PGC_NR_CONTEXTS ? pgc_context_names[context] : "?";
}

size_t pgc_scratch_bytes(void)
{
	return sizeof(struct pgc_scratch) * PGC_NR_CONTEXTS * num_possible_cpus();
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

/*
 * Hook machinery between the free and pagecheck: trimmed from stacks.
 * trace_mm_page_free() itself is out of line in some builds (KASAN).
 */
static const char *const pgc_hook_frame_prefixes[] = {
	"__traceiter_", "trace_mm_page_free", "ftrace_", "arch_ftrace", "kprobe_",
	"aggr_pre_handler",
	"opt_pre_handler", "optimized_callback", "exc_int3", "asm_exc_int3",
	"do_int3", "fprobe_", "0x",
};

/* Frames that belong to pagecheck or to the hook that called it. */
static bool pgc_own_frame(unsigned long addr, char *symbol)
{
	unsigned int i;

	if (within_module(addr, THIS_MODULE))
		return true;
	sprint_symbol_no_offset(symbol, addr);
	for (i = 0; i < ARRAY_SIZE(pgc_hook_frame_prefixes); i++)
		if (!strncmp(symbol, pgc_hook_frame_prefixes[i],
			     strlen(pgc_hook_frame_prefixes[i])))
			return true;
	return false;
}

static unsigned int pgc_capture_stack(struct pgc_report *rec,
				      struct pgc_scratch *scratch)
{
	unsigned int depth = READ_ONCE(pgc_settings.stack_depth);
	unsigned int nr, skip = 0;

	nr = stack_trace_save(scratch->entries, ARRAY_SIZE(scratch->entries), 0);
	while (skip < nr && pgc_own_frame(scratch->entries[skip], scratch->symbol))
		skip++;
	nr -= skip;
	nr = min3(nr, depth, pgc_settings.stack_capacity);
	memcpy(rec->stack, scratch->entries + skip, nr * sizeof(unsigned long));
	rec->nr_entries = nr;
	rec->caller = pgc_find_caller(rec->stack, nr, scratch->symbol);
	return nr;
}

static void pgc_report_violation(struct pgc_report *rec,
				 struct pgc_scratch *scratch,
				 unsigned int context)
{
	struct pgc_cpu_stats *stats = this_cpu_ptr(&pgc_cpu_stats);
	bool is_new = false, first_full = false;
	unsigned int r;

	for (r = 0; r < PGC_NR_REASONS; r++)
		if (rec->reasons & PGC_BIT(r))
			stats->rule[r]++;

	pgc_capture_stack(rec, scratch);
	rec->stack_hash = jhash(rec->stack, rec->nr_entries * sizeof(unsigned long),
				rec->reasons);
	rec->context = context;
	rec->cpu = smp_processor_id();
	rec->pid = task_pid_nr(current);
	memcpy(rec->comm, current->comm, sizeof(rec->comm));
	rec->kernel_reason[0] = '\0';
	rec->first_ns = ktime_get_mono_fast_ns();
	rec->last_ns = rec->first_ns;
	rec->count = 1;

	if (!pgc_store_add(rec, &is_new, &first_full)) {
		if (first_full && READ_ONCE(pgc_settings.printk))
			pr_warn("report store full (max_reports=%u): new reports are counted in stats dropped_store_full, not kept; %ld report lines suppressed\n",
				pgc_settings.max_reports,
				atomic_long_xchg(&pgc_printk_suppressed, 0));
		return;
	}
	add_taint(TAINT_BAD_PAGE, LOCKDEP_STILL_OK);
	if (is_new && READ_ONCE(pgc_settings.printk)) {
		if (__ratelimit(&pgc_printk_ratelimit))
			pgc_report_printk(rec, atomic_long_xchg(&pgc_printk_suppressed, 0));
		else
			atomic_long_inc(&pgc_printk_suppressed);
	}
	if (READ_ONCE(pgc_settings.panic_on_report))
		panic("pagecheck: bad page freed (pfn 0x%lx order %u)\n",
		      rec->pfn, rec->order);
}

/*
 * Tails from PGC_TAIL_MAPPING_FIRST on hold no folio fields, and a healthy
 * compound free gives each of them the same raw words: compound_head as in
 * page[1], TAIL_MAPPING, mapcount -1 with refcount 0, no memcg and no flag
 * checked at free. OR and AND reductions prove that with one or two
 * instructions per word (plain reads, folded into the ALU operations); any
 * difference sends every tail through pgc_judge_tail().
 */
static bool pgc_plain_tails_clean(const struct page *page, unsigned int first,
				  unsigned int nr, unsigned long head_word)
{
	unsigned long or_flags = 0, or_memcg = 0;
	unsigned long or_head = head_word, and_head = head_word;
	unsigned long or_map = (unsigned long)TAIL_MAPPING;
	unsigned long and_map = (unsigned long)TAIL_MAPPING;
	u64 or_count = PGC_COUNT_WORD_CLEAN, and_count = PGC_COUNT_WORD_CLEAN;
	const struct page *p, *end = page + nr;

#if defined(CONFIG_X86_64) && defined(PGC_MEMCG_OFFSET)
	p = page + first;
	if ((nr - first) & 1) {
		or_flags |= pgc_peek_flags(p);
		or_head |= pgc_peek_head_word(p);
		and_head &= pgc_peek_head_word(p);
		or_map |= (unsigned long)p->mapping;
		and_map &= (unsigned long)p->mapping;
		or_count |= pgc_peek_count_word(p);
		and_count &= pgc_peek_count_word(p);
		or_memcg |= pgc_peek_memcg(p);
		p++;
	}
	BUILD_BUG_ON(sizeof(struct page) != 64 ||
		     PGC_COMPOUND_WORD_OFFSET != 0x08 ||
		     offsetof(struct page, mapping) != 0x18 ||
		     offsetof(struct page, _mapcount) != 0x30 ||
		     PGC_MEMCG_OFFSET != 0x38);
	/* two tails per turn, one instruction per word and reduction */
	if (p < end)
		asm("1:\n\t"
		    "orq (%[p]), %[or_flags]\n\t"
		    "orq 0x08(%[p]), %[or_head]\n\t"
		    "andq 0x08(%[p]), %[and_head]\n\t"
		    "orq 0x18(%[p]), %[or_map]\n\t"
		    "andq 0x18(%[p]), %[and_map]\n\t"
		    "orq 0x30(%[p]), %[or_count]\n\t"
		    "andq 0x30(%[p]), %[and_count]\n\t"
		    "orq 0x38(%[p]), %[or_memcg]\n\t"
		    "orq 0x40(%[p]), %[or_flags]\n\t"
		    "orq 0x48(%[p]), %[or_head]\n\t"
		    "andq 0x48(%[p]), %[and_head]\n\t"
		    "orq 0x58(%[p]), %[or_map]\n\t"
		    "andq 0x58(%[p]), %[and_map]\n\t"
		    "orq 0x70(%[p]), %[or_count]\n\t"
		    "andq 0x70(%[p]), %[and_count]\n\t"
		    "orq 0x78(%[p]), %[or_memcg]\n\t"
		    "addq $0x80, %[p]\n\t"
		    "cmpq %[end], %[p]\n\t"
		    "jb 1b"
		    : [p] "+r" (p), [or_flags] "+r" (or_flags),
		      [or_head] "+r" (or_head), [and_head] "+r" (and_head),
		      [or_map] "+r" (or_map), [and_map] "+r" (and_map),
		      [or_count] "+r" (or_count), [and_count] "+r" (and_count),
		      [or_memcg] "+r" (or_memcg)
		    : [end] "r" (end)
		    : "cc", "memory");
#else
	for (p = page + first; p < end; p++) {
		or_flags |= pgc_peek_flags(p);
		or_head |= pgc_peek_head_word(p);
		and_head &= pgc_peek_head_word(p);
		or_map |= (unsigned long)p->mapping;
		and_map &= (unsigned long)p->mapping;
		or_count |= pgc_peek_count_word(p);
		and_count &= pgc_peek_count_word(p);
		or_memcg |= pgc_peek_memcg(p);
	}
#endif
	return !(or_flags & PAGE_FLAGS_CHECK_AT_FREE) && !or_memcg &&
	       or_head == head_word && and_head == head_word &&
	       or_map == (unsigned long)TAIL_MAPPING &&
	       and_map == (unsigned long)TAIL_MAPPING &&
	       or_count == PGC_COUNT_WORD_CLEAN && and_count == PGC_COUNT_WORD_CLEAN;
}

static void pgc_judge_free(struct page *page, unsigned int order,
			   const struct pgc_page_snap *head,
			   struct pgc_scratch *scratch, unsigned int context)
{
	struct pgc_report *rec = &scratch->buf.report;
	struct pgc_free_snap fs;
	unsigned int i, nr = 1U << order, judged = nr;
	u32 reasons;

	fs.page = page;
	fs.order = order;
	fs.head = *head;
	fs.compound = order && pgc_flags_head(head->flags);
	if (fs.compound)
		pgc_read_folio(&fs.folio, page, order);

	reasons = pgc_judge_head(&fs);
	rec->bad_subpages = 0;
	rec->first_bad_index = 0;
	if (fs.compound && nr > PGC_TAIL_MAPPING_FIRST)
		judged = PGC_TAIL_MAPPING_FIRST;
	for (i = 1; i < nr; i++) {
		struct pgc_page_snap tail;
		u32 tail_reasons;

		if (i == judged) {
			unsigned long word = pgc_raw_head_word(page + 1);

			if (pgc_head_word_is_tail(word) &&
			    pgc_head_word_to_head(word, page + 1) == (unsigned long)page &&
			    pgc_plain_tails_clean(page, judged, nr, word))
				break;
			judged = nr;
		}
		pgc_read_page(&tail, page + i);
		tail_reasons = pgc_judge_tail(&fs, i, &tail);
		if (likely(!tail_reasons))
			continue;
		if (!rec->bad_subpages++) {
			rec->first_bad_index = i;
			rec->bad_tail = tail;
		}
		reasons |= tail_reasons;
	}
	if (likely(!reasons))
		return;

	rec->reasons = reasons;
	rec->pfn = page_to_pfn(page);
	rec->last_pfn = rec->pfn;
	rec->order = order;
	rec->last_order = order;
	rec->page = page;
	rec->head = *head;
	if (!rec->bad_subpages)
		memset(&rec->bad_tail, 0, sizeof(rec->bad_tail));
	pgc_report_violation(rec, scratch, context);
}

/**
 * pgc_audit_slow() - snapshot and judge a free the hot filter let through
 * @probe_data: unused; the arguments come in a tracepoint probe's order,
 *	so the probe reaches here with a plain jump
 * @page: head page
 * @order: order of the block
 */
noinline void notrace pgc_audit_slow(const void *probe_data, struct page *page,
				     unsigned int order)
{
	unsigned int context = pgc_current_context();
	struct pgc_page_snap head;

	if (order)
		this_cpu_add(pgc_cpu_stats.tail_pages, (1UL << order) - 1);
	pgc_read_page(&head, page);
	if (!order && !pgc_head_maybe_bad(&head))
		return;
	preempt_disable_notrace();
	pgc_judge_free(page, order, &head, this_cpu_ptr(pgc_scratch) + context,
		       context);
	preempt_enable_notrace();
}

static noinline void pgc_audit_call_slow(struct page *page, unsigned int order)
{
	unsigned int context = pgc_current_context();
	struct pgc_scratch *scratch;
	struct pgc_report *rec;

	preempt_disable_notrace();
	scratch = this_cpu_ptr(pgc_scratch) + context;
	rec = &scratch->buf.report;
	pgc_read_page(&rec->head, page);
	rec->reasons = pgc_judge_call(&rec->head);
	if (rec->reasons) {
		rec->bad_subpages = 0;
		rec->first_bad_index = 0;
		memset(&rec->bad_tail, 0, sizeof(rec->bad_tail));
		rec->pfn = page_to_pfn(page);
		rec->last_pfn = rec->pfn;
		rec->order = order;
		rec->last_order = order;
		rec->page = page;
		pgc_report_violation(rec, scratch, context);
	}
	preempt_enable_notrace();
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
	if (!static_branch_likely(&pgc_enabled_key))
		return;
	this_cpu_inc(pgc_cpu_stats.calls);
	if (likely(atomic_read(&page->_refcount) > 0))
		return;
	pgc_audit_call_slow(page, order);
}
