// SPDX-License-Identifier: GPL-2.0
/*
 * watch=: refcount history with hardware watchpoints.
 *
 * A report adds its allocation stack to the targets (watch=auto: every new
 * report; watch=<fingerprint>: that one's). The next page allocated from a
 * target stack, or with watch_alloc=<function> under that function, takes
 * a free slot, and a work item arms two wide breakpoints on it: the word
 * holding _mapcount and _refcount, and the mapping word. Every write to
 * them traps, and the handler records what changed, from what to what,
 * with the writer's stack. A bad free of the page keeps the history for
 * its report. After a clean free the page stays watched until it is
 * allocated again, so that a put or a free too many (a double free) is
 * seen and its report carries the history; reused, or its slot needed,
 * the page keeps nothing. The work item takes the breakpoints back.
 *
 * Registration sleeps, so arming lags the allocation: writes in that
 * window are not seen (stats: watch_window_ns). x86's debug registers
 * trap after the write; arm64's before it, so there the handler steps
 * over the write with a breakpoint on the next instruction (below).
 */
#include <linux/atomic.h>
#include <linux/hw_breakpoint.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/perf_event.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include "pagecheck/compat.h"
#include "pagecheck/hash.h"
#include "pagecheck/report.h"
#include "pagecheck/watch.h"

DEFINE_STATIC_KEY_FALSE(pgc_watch_key);

#define PGC_WATCH_SLOTS		2	/* two breakpoints a page, of x86's four */
#define PGC_WATCH_TARGETS	4
#define PGC_WATCH_KEPT		8	/* histories reports carry, recycled */

enum pgc_watch_mode {
	PGC_WATCH_OFF, PGC_WATCH_AUTO, PGC_WATCH_FINGERPRINT, PGC_WATCH_FUNCTION
};

/*
 * A slot's life: FREE -> CLAIMED (allocation) -> ARMED (work, once both
 * breakpoints are in) -> FREED (a clean free; still armed) -> RETIRED
 * (reused, a report, or the slot needed) -> FREE (work). A bad free goes
 * from ARMED to RETIRED. The state word also counts claims, so that the
 * work never arms a page claimed after it looked.
 */
enum { PGC_SLOT_FREE, PGC_SLOT_CLAIMED, PGC_SLOT_ARMED, PGC_SLOT_FREED, PGC_SLOT_RETIRED };
#define PGC_SLOT_STATE(v)	((v) & 7)
#define PGC_SLOT_CLAIMS(v)	((v) & ~7)
#define PGC_SLOT_WITH(v, st)	(PGC_SLOT_CLAIMS(v) | (st))
#define PGC_SLOT_CLAIM		8	/* the claim count's unit */

struct pgc_watch_slot {
	atomic_t state;
	struct page *page;
	u64 alloc_ns;
	struct perf_event * __percpu *bp[2];	/* the counts word, the mapping word */
	int last_refcount, last_mapcount;
	unsigned long last_mapping;
	atomic_t nr;				/* writes recorded */
	atomic_t nr_stacks;			/* stacks kept, recycled */
	bool closing;				/* its breakpoints are being taken back */
	struct pgc_watch_history hist;
	struct work_struct work;
};

static void pgc_watch_work(struct work_struct *work);

static struct pgc_watch_slot pgc_slots[PGC_WATCH_SLOTS] = {
	{ .work = __WORK_INITIALIZER(pgc_slots[0].work, pgc_watch_work) },
	{ .work = __WORK_INITIALIZER(pgc_slots[1].work, pgc_watch_work) },
};
static_assert(PGC_WATCH_SLOTS == 2);
/* A kept history; seq is odd while it is written. */
struct pgc_watch_kept {
	atomic_t seq;
	struct pgc_watch_history hist;
};

static struct pgc_watch_kept pgc_kept[PGC_WATCH_KEPT];
static atomic_t pgc_kept_next = ATOMIC_INIT(0);
static u32 pgc_targets[PGC_WATCH_TARGETS];	/* allocation stack handles; 0: none */
static atomic_t pgc_target_next = ATOMIC_INIT(0);
static enum pgc_watch_mode pgc_mode;
static u64 pgc_fingerprint;

/* watch_alloc='s function: [start, end) of its text */
struct pgc_watch_function {
	unsigned long start, end;
	char name[KSYM_NAME_LEN];
};

static struct pgc_watch_function pgc_func;
static DEFINE_MUTEX(pgc_watch_lock);

static atomic64_t pgc_arms, pgc_traps, pgc_arm_failed, pgc_kept_count, pgc_kept_busy;
static atomic64_t pgc_dropped_clean, pgc_went_negative;
static atomic64_t pgc_missed;		/* arm64: writes seen, not named */
static atomic64_t pgc_window_min = ATOMIC64_INIT(U64_MAX), pgc_window_max;
static atomic_t pgc_last_error;

static const char *const pgc_field_names[PGC_NR_WATCH_FIELDS] = {
	[PGC_WATCH_REFCOUNT] = "refcount",
	[PGC_WATCH_MAPCOUNT] = "mapcount",
	[PGC_WATCH_MAPPING] = "mapping",
};

const char *pgc_watch_field_name(unsigned int field)
{
	return field < PGC_NR_WATCH_FIELDS ? pgc_field_names[field] : "unknown";
}

/* _mapcount and _refcount share one aligned 8-byte word on 64-bit. */
#define PGC_COUNTS_OFFSET	min(offsetof(struct page, _mapcount), \
				    offsetof(struct page, _refcount))
static_assert(sizeof(atomic_t) == 4);

const char *pgc_watch_unsupported(void)
{
	if (!PGC_HAVE_WATCH)
		return IS_ENABLED(CONFIG_HAVE_HW_BREAKPOINT) ?
		       "not supported on this architecture (x86-64 and arm64 only)" :
		       "this kernel has no hardware breakpoints (CONFIG_HAVE_HW_BREAKPOINT)";
	if (pgc_watch_cpu_refuses())
		return pgc_watch_cpu_refuses();
	if (PGC_COUNTS_OFFSET % 8 ||
	    abs((int)offsetof(struct page, _mapcount) -
		(int)offsetof(struct page, _refcount)) != 4)
		return "_mapcount and _refcount do not share one 8-byte word here";
	return NULL;
}

static unsigned long pgc_counts_word(const struct page *page)
{
	return (unsigned long)page + PGC_COUNTS_OFFSET;
}

static unsigned long pgc_mapping_word(const struct page *page)
{
	return (unsigned long)page + offsetof(struct page, mapping);
}

#if !PGC_WATCH_TRAPS_BEFORE
/* Traps after the write (x86), or none: nothing to step over. */
static int pgc_watch_arch_start(void)
{
	return 0;
}

static void pgc_watch_arch_stop(void)
{
}

static void __maybe_unused pgc_watch_arch_forget(struct pgc_watch_slot *s)
{
}
#endif

#if PGC_HAVE_WATCH
/*
 * The context the write ran in: the debug exception entered as an NMI
 * (nmi_enter() adds NMI_OFFSET + HARDIRQ_OFFSET), on top of it.
 */
static u8 pgc_writer_context(void)
{
	unsigned long pc = preempt_count();

	if (in_nmi())
		pc -= NMI_OFFSET + HARDIRQ_OFFSET;
	if (pc & NMI_MASK)
		return PGC_CTX_NMI;
	if (pc & HARDIRQ_MASK)
		return PGC_CTX_HARDIRQ;
	if (pc & SOFTIRQ_OFFSET)
		return PGC_CTX_SOFTIRQ;
	return PGC_CTX_TASK;
}

/* The writer's stack: what the unwinder saw from the trapped instruction on. */
static unsigned int pgc_writer_stack(unsigned long *out, unsigned long ip)
{
	unsigned long entries[PGC_WATCH_DEPTH + 16];
	unsigned int nr, i;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
	for (i = 0; i < nr && entries[i] != ip; i++)
		;
	if (i == nr) {			/* not found: the trapped address alone */
		out[0] = ip;
		return 1;
	}
	nr = min_t(unsigned int, nr - i, PGC_WATCH_DEPTH);
	memcpy(out, entries + i, nr * sizeof(*out));
	return nr;
}

/* Who wrote: taken at the trap, whether it comes after the write or before. */
struct pgc_writer {
	u64 ts_ns;
	pid_t pid;
	u8 context;
	u8 nr_entries;			/* 0: not taken yet */
	char comm[TASK_COMM_LEN];
	unsigned long entries[PGC_WATCH_DEPTH];
};

static void pgc_writer_take(struct pgc_writer *w, struct pt_regs *regs)
{
	w->ts_ns = local_clock();
	w->pid = task_pid_nr(current);
	w->context = pgc_writer_context();
	memcpy(w->comm, current->comm, sizeof(w->comm));
	w->nr_entries = pgc_writer_stack(w->entries, instruction_pointer(regs));
}

/*
 * The index of the writer's stack in @s's table, kept once: a new one
 * takes the next entry, recycling the oldest. Its hash goes in *hash
 * (never 0), which tells a reader whether the entry still holds it.
 */
static u8 pgc_stack_index(struct pgc_watch_slot *s, const struct pgc_writer *w, u32 *hash)
{
	unsigned int nr = w->nr_entries, i, n;
	struct pgc_watch_stack *st;

	*hash = pgc_hash_words(w->entries, nr, nr) | 1;
	n = min_t(unsigned int, atomic_read(&s->nr_stacks), PGC_WATCH_STACKS);
	for (i = 0; i < n; i++) {
		st = &s->hist.stacks[i];
		if (smp_load_acquire(&st->hash) == *hash && st->nr_entries == nr &&
		    !memcmp(st->entries, w->entries, nr * sizeof(w->entries[0])))
			return i;
	}
	i = (atomic_inc_return(&s->nr_stacks) - 1) % PGC_WATCH_STACKS;
	st = &s->hist.stacks[i];
	WRITE_ONCE(st->hash, 0);
	smp_wmb();			/* unnamed before it changes */
	st->nr_entries = nr;
	memcpy(st->entries, w->entries, nr * sizeof(w->entries[0]));
	smp_store_release(&st->hash, *hash);
	return i;
}

static void pgc_record_write(struct pgc_watch_slot *s, unsigned int field,
			     u64 old, u64 new, const struct pgc_writer *w)
{
	u32 n = atomic_inc_return(&s->nr) - 1;
	struct pgc_watch_event *e = &s->hist.ev[n % PGC_WATCH_EVENTS];

	e->ts_ns = w->ts_ns;
	e->old = old;
	e->new = new;
	e->pid = w->pid;
	e->field = field;
	e->context = w->context;
	memcpy(e->comm, w->comm, sizeof(e->comm));
	e->stack = pgc_stack_index(s, w, &e->stack_hash);
}

static bool pgc_recording(int state)
{
	return state == PGC_SLOT_ARMED || state == PGC_SLOT_FREED;
}

/*
 * After a write to one of @s's words: record each field that changed
 * since the values last seen, as written by @w (taken from @regs the
 * first time it is needed), if @record; else keep only the values.
 * Return: whether any changed.
 */
static bool pgc_watch_compare(struct pgc_watch_slot *s, bool mapping_word, bool record,
			      struct pgc_writer *w, struct pt_regs *regs)
{
	const struct page *page = READ_ONCE(s->page);
	int refcount, mapcount;
	unsigned long mapping;
	bool changed;

	if (mapping_word) {
		mapping = (unsigned long)READ_ONCE(page->mapping);
		changed = mapping != s->last_mapping;
		if (record && changed) {
			if (!w->nr_entries)
				pgc_writer_take(w, regs);
			pgc_record_write(s, PGC_WATCH_MAPPING, s->last_mapping, mapping, w);
		}
		s->last_mapping = mapping;
		return changed;
	}
	refcount = atomic_read(&page->_refcount);
	mapcount = atomic_read(&page->_mapcount);
	changed = refcount != s->last_refcount || mapcount != s->last_mapcount;
	if (record && refcount < 0 && s->last_refcount >= 0)
		atomic64_inc(&pgc_went_negative);
	if (record && changed && !w->nr_entries)
		pgc_writer_take(w, regs);
	if (record && refcount != s->last_refcount)
		pgc_record_write(s, PGC_WATCH_REFCOUNT, (u64)(s64)s->last_refcount,
				 (u64)(s64)refcount, w);
	if (record && mapcount != s->last_mapcount)
		pgc_record_write(s, PGC_WATCH_MAPCOUNT, (u64)(s64)s->last_mapcount,
				 (u64)(s64)mapcount, w);
	s->last_refcount = refcount;
	s->last_mapcount = mapcount;
	return changed;
}

static bool pgc_is_mapping_word(const struct pgc_watch_slot *s, struct perf_event *bp)
{
	return bp->attr.bp_addr == pgc_mapping_word(READ_ONCE(s->page));
}

/* A wide breakpoint on every CPU; NULL, the failure counted and said. */
static struct perf_event * __percpu *pgc_register_bp(unsigned long addr, int len, int type,
						      perf_overflow_handler_t handler,
						      void *context)
{
	struct perf_event * __percpu *bp;
	struct perf_event_attr attr;
	int err;

	hw_breakpoint_init(&attr);
	attr.bp_addr = addr;
	attr.bp_len = len;
	attr.bp_type = type;
	bp = register_wide_hw_breakpoint(&attr, handler, context);
	if (!IS_ERR((void __force *)bp))
		return bp;
	err = PTR_ERR((void __force *)bp);
	atomic64_inc(&pgc_arm_failed);
	atomic_set(&pgc_last_error, err);
	pr_warn_ratelimited("watch: cannot arm a %s (%d)%s\n",
			    type == HW_BREAKPOINT_X ? "breakpoint" : "watchpoint", err,
			    err == -ENOSPC || err == -EBUSY ?
			    ": the debug registers are taken, by a debugger or perf" : "");
	return NULL;
}

#if !PGC_WATCH_TRAPS_BEFORE
/* The watchpoint handler: x86 traps after the write, so the words are new. */
static void notrace pgc_watch_hit(struct perf_event *bp, struct perf_sample_data *data,
				  struct pt_regs *regs)
{
	struct pgc_watch_slot *s = bp->overflow_handler_context;
	int state = PGC_SLOT_STATE(atomic_read(&s->state));
	struct pgc_writer w;

	atomic64_inc(&pgc_traps);
	/* while arming, only the values: a write then is missed, not misnamed */
	if (!pgc_recording(state) && state != PGC_SLOT_CLAIMED)
		return;
	w.nr_entries = 0;
	pgc_watch_compare(s, pgc_is_mapping_word(s, bp), pgc_recording(state), &w, regs);
}

#else
/*
 * arm64 traps before the write, and steps over it only for perf's own
 * handler. So the handler points this CPU's watchpoint at a word nothing
 * writes, takes the writer, and puts a breakpoint on the next
 * instruction: hit once the write is done, it compares the values and
 * points the watchpoint back. Each CPU has one such breakpoint.
 */
#define PGC_WATCH_AWAY_MAX	(2 * PGC_WATCH_SLOTS)

struct pgc_watch_away {
	struct perf_event *wp;		/* this CPU's, pointed away */
	struct pgc_watch_slot *s;
	int claim;			/* s's state word at the trap */
	unsigned long addr;		/* the word it watches */
};

struct pgc_watch_step {
	unsigned int nr_away;
	struct pgc_watch_away away[PGC_WATCH_AWAY_MAX];	/* [0]: the write pending */
	unsigned long sp;		/* the writer's, at its next instruction too */
	struct pgc_writer w;
};

static DEFINE_PER_CPU(struct pgc_watch_step, pgc_steps);
static struct perf_event * __percpu *pgc_step_bp;
static unsigned long pgc_nowhere __aligned(8);	/* a word nothing writes */

static noinline __used void pgc_nowhere_text(void)	/* code nothing runs */
{
	barrier();
}

static void notrace pgc_watch_hit(struct perf_event *wp, struct perf_sample_data *data,
				  struct pt_regs *regs)
{
	struct pgc_watch_step *st = this_cpu_ptr(&pgc_steps);
	struct pgc_watch_slot *s = wp->overflow_handler_context;
	int v = atomic_read(&s->state), state = PGC_SLOT_STATE(v);
	struct pgc_watch_away *a;

	atomic64_inc(&pgc_traps);
	pgc_bp_point_at(wp, (unsigned long)&pgc_nowhere);
	/* being taken back, or no room: it stays away */
	if ((!pgc_recording(state) && state != PGC_SLOT_CLAIMED) ||
	    READ_ONCE(s->closing) || st->nr_away == PGC_WATCH_AWAY_MAX)
		return;
	a = &st->away[st->nr_away++];
	a->wp = wp;
	a->s = s;
	a->claim = v;
	a->addr = wp->attr.bp_addr;
	if (st->nr_away > 1) {		/* an interrupt wrote before the step */
		atomic64_inc(&pgc_missed);
		return;
	}
	st->sp = kernel_stack_pointer(regs);
	pgc_writer_take(&st->w, regs);
	pgc_bp_point_at(*this_cpu_ptr(pgc_step_bp), instruction_pointer(regs) + PGC_INSN_SIZE);
}

/*
 * Point @a's watchpoint back, if its slot still holds the same claim;
 * with @w, the write pending here is @w's, else only the values are
 * taken (a write not named). Return: whether a write went unnamed.
 */
static bool pgc_watch_back(struct pgc_watch_away *a, struct pgc_writer *w)
{
	int v = atomic_read(&a->s->state), state = PGC_SLOT_STATE(v);
	struct pgc_writer none = { .nr_entries = 0 };
	bool changed = false;

	if (PGC_SLOT_CLAIMS(v) != PGC_SLOT_CLAIMS(a->claim))
		return false;
	if (pgc_recording(state) || state == PGC_SLOT_CLAIMED)
		changed = pgc_watch_compare(a->s, pgc_is_mapping_word(a->s, a->wp),
					    w && pgc_recording(state), w ?: &none, NULL);
	pgc_bp_point_at(a->wp, a->addr);
	return changed && !w;
}

/* The instruction after the write: compare, and point the watchpoints back. */
static void notrace pgc_watch_stepped(struct perf_event *bp, struct perf_sample_data *data,
				      struct pt_regs *regs)
{
	struct pgc_watch_step *st = this_cpu_ptr(&pgc_steps);
	/* the writer's own next instruction, or another context's first */
	bool own = task_pid_nr(current) == st->w.pid && kernel_stack_pointer(regs) == st->sp;
	unsigned int i;

	pgc_bp_point_at(bp, (unsigned long)pgc_nowhere_text);
	for (i = 0; i < st->nr_away; i++)
		if (pgc_watch_back(&st->away[i], i == 0 && own ? &st->w : NULL))
			atomic64_inc(&pgc_missed);
	st->nr_away = 0;
}

/*
 * On each CPU, with interrupts off: if a write pending here involves slot
 * @info (NULL: any), give it up, and point the other slots' watchpoints
 * back at once.
 */
static void pgc_watch_forget_on_cpu(void *info)
{
	struct pgc_watch_step *st = this_cpu_ptr(&pgc_steps);
	bool involved = false;
	unsigned int i;

	for (i = 0; i < st->nr_away; i++)
		involved |= !info || st->away[i].s == info;
	if (!involved)
		return;
	atomic64_inc(&pgc_missed);
	for (i = 0; i < st->nr_away; i++)
		if (info && st->away[i].s != info)
			pgc_watch_back(&st->away[i], NULL);
	st->nr_away = 0;
	pgc_bp_point_at(*this_cpu_ptr(pgc_step_bp), (unsigned long)pgc_nowhere_text);
}

/* Before @s's watchpoints go: no CPU may point one back after. */
static void pgc_watch_arch_forget(struct pgc_watch_slot *s)
{
	WRITE_ONCE(s->closing, true);
	on_each_cpu(pgc_watch_forget_on_cpu, s, 1);
}

static int pgc_watch_arch_start(void)
{
	if (!pgc_step_bp)
		pgc_step_bp = pgc_register_bp((unsigned long)pgc_nowhere_text, HW_BREAKPOINT_LEN_4,
					      HW_BREAKPOINT_X, pgc_watch_stepped, NULL);
	return pgc_step_bp ? 0 : -ENOSPC;
}

/* After every slot is emptied. */
static void pgc_watch_arch_stop(void)
{
	if (!pgc_step_bp)
		return;
	on_each_cpu(pgc_watch_forget_on_cpu, NULL, 1);
	unregister_wide_hw_breakpoint(pgc_step_bp);
	pgc_step_bp = NULL;
}
#endif

static struct perf_event * __percpu *pgc_register(struct pgc_watch_slot *s,
						   unsigned long addr)
{
	return pgc_register_bp(addr, HW_BREAKPOINT_LEN_8, HW_BREAKPOINT_W, pgc_watch_hit, s);
}

static void pgc_unregister(struct pgc_watch_slot *s)
{
	unsigned int i;

	if (s->bp[0] || s->bp[1])
		pgc_watch_arch_forget(s);
	for (i = 0; i < ARRAY_SIZE(s->bp); i++) {
		if (s->bp[i])
			unregister_wide_hw_breakpoint(s->bp[i]);
		s->bp[i] = NULL;
	}
	WRITE_ONCE(s->closing, false);
}
#else
static struct perf_event * __percpu *pgc_register(struct pgc_watch_slot *s,
						   unsigned long addr)
{
	return NULL;
}

static void pgc_unregister(struct pgc_watch_slot *s)
{
}
#endif

static void pgc_note_window(u64 window)
{
	u64 v = atomic64_read(&pgc_window_min);

	while (window < v && !atomic64_try_cmpxchg(&pgc_window_min, &v, window))
		;
	v = atomic64_read(&pgc_window_max);
	while (window > v && !atomic64_try_cmpxchg(&pgc_window_max, &v, window))
		;
}

/*
 * Arm a claimed slot, or take a retired one's breakpoints back. The slot
 * is ARMED only once both breakpoints are in, and only if it is still
 * the claim this work looked at.
 */
static void pgc_watch_work(struct work_struct *work)
{
	struct pgc_watch_slot *s = container_of(work, struct pgc_watch_slot, work);
	struct page *page;
	int v;

	mutex_lock(&pgc_watch_lock);
	v = atomic_read(&s->state);
	if (PGC_SLOT_STATE(v) == PGC_SLOT_CLAIMED && !s->bp[0]) {
		page = READ_ONCE(s->page);
		atomic_set(&s->nr, 0);
		atomic_set(&s->nr_stacks, 0);
		s->bp[0] = pgc_watch_arch_start() ? NULL : pgc_register(s, pgc_counts_word(page));
		s->bp[1] = s->bp[0] ? pgc_register(s, pgc_mapping_word(page)) : NULL;
		/* after the breakpoints: any later write traps */
		s->last_refcount = atomic_read(&page->_refcount);
		s->last_mapcount = atomic_read(&page->_mapcount);
		s->last_mapping = (unsigned long)READ_ONCE(page->mapping);
		s->hist.window_ns = local_clock() - s->alloc_ns;
		if (s->bp[1] &&
		    atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v, PGC_SLOT_ARMED)) == v) {
			atomic64_inc(&pgc_arms);
			pgc_note_window(s->hist.window_ns);
		} else {
			/* not armed, or freed or claimed again meanwhile */
			pgc_unregister(s);
			if (!s->bp[1] || !s->bp[0])
				atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v, PGC_SLOT_FREE));
		}
	}
	v = atomic_read(&s->state);
	if (PGC_SLOT_STATE(v) == PGC_SLOT_RETIRED) {
		pgc_unregister(s);
		atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v, PGC_SLOT_FREE));
	}
	mutex_unlock(&pgc_watch_lock);
}

static bool pgc_is_target(u32 stack)
{
	unsigned int i;

	for (i = 0; i < PGC_WATCH_TARGETS; i++)
		if (READ_ONCE(pgc_targets[i]) == stack)
			return true;
	return false;
}

/*
 * Retire @s if its state word is still @v: an armed or freed slot for the
 * work item to take its breakpoints back, a claimed one at once.
 */
static bool pgc_retire(struct pgc_watch_slot *s, int v)
{
	int st = PGC_SLOT_STATE(v);

	if (st != PGC_SLOT_ARMED && st != PGC_SLOT_FREED && st != PGC_SLOT_CLAIMED)
		return false;
	st = st == PGC_SLOT_CLAIMED ? PGC_SLOT_FREE : PGC_SLOT_RETIRED;
	if (atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v, st)) != v)
		return false;
	if (st == PGC_SLOT_RETIRED)
		schedule_work(&s->work);
	return true;
}

static bool pgc_slot_within(const struct pgc_watch_slot *s, unsigned long pfn,
			    unsigned int order)
{
	unsigned long p = page_to_pfn(READ_ONCE(s->page));

	return p >= pfn && p < pfn + (1UL << order);
}

/* The slot watching a page of the block, in one of @states (a bit mask). */
static struct pgc_watch_slot *pgc_slot_of(unsigned long pfn, unsigned int order,
					  unsigned int states, int *v)
{
	unsigned int i;

	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		struct pgc_watch_slot *s = &pgc_slots[i];

		*v = atomic_read(&s->state);
		if ((states & BIT(PGC_SLOT_STATE(*v))) && pgc_slot_within(s, pfn, order))
			return s;
	}
	return NULL;
}

/**
 * pgc_watch_function() - the range of watch_alloc='s function
 * @start: its first byte
 * @end: the byte after its last
 *
 * Return: whether watch_alloc= is on.
 */
bool notrace pgc_watch_function(unsigned long *start, unsigned long *end)
{
	if (smp_load_acquire(&pgc_mode) != PGC_WATCH_FUNCTION)
		return false;
	*start = READ_ONCE(pgc_func.start);
	*end = READ_ONCE(pgc_func.end);
	return true;
}

/**
 * pgc_watch_alloc() - an allocation: watch it if its stack is wanted
 * @page: the block's first page
 * @order: its order
 * @stack: its allocation stack's handle
 * @in_function: whether the stack runs through watch_alloc='s function
 *
 * A freed page watched until now is reused: it was freed cleanly, and its
 * history goes.
 */
void notrace pgc_watch_alloc(struct page *page, unsigned int order, u32 stack,
			     bool in_function)
{
	struct pgc_watch_slot *s;
	unsigned int i;
	int v;

	s = pgc_slot_of(page_to_pfn(page), order, BIT(PGC_SLOT_FREED), &v);
	if (s)
		pgc_retire(s, v);
	if (READ_ONCE(pgc_mode) == PGC_WATCH_FUNCTION ? !in_function :
	    !stack || !pgc_is_target(stack))
		return;
	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		s = &pgc_slots[i];
		v = atomic_read(&s->state);
		/* a new claim: its count goes up by one */
		if (PGC_SLOT_STATE(v) != PGC_SLOT_FREE ||
		    atomic_cmpxchg(&s->state, v,
				   PGC_SLOT_WITH(v + PGC_SLOT_CLAIM, PGC_SLOT_CLAIMED)) != v)
			continue;
		WRITE_ONCE(s->page, page);
		s->alloc_ns = local_clock();
		schedule_work(&s->work);
		return;
	}
	/* every slot busy: a freed page's watch ends, for the next one */
	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		v = atomic_read(&pgc_slots[i].state);
		if (PGC_SLOT_STATE(v) == PGC_SLOT_FREED && pgc_retire(&pgc_slots[i], v))
			return;
	}
}

/* A clean free: the page stays watched until it is reused. */
void notrace pgc_watch_free(struct page *page, unsigned int order)
{
	struct pgc_watch_slot *s;
	int v;

	s = pgc_slot_of(page_to_pfn(page), order,
			BIT(PGC_SLOT_CLAIMED) | BIT(PGC_SLOT_ARMED), &v);
	if (!s)
		return;
	if (PGC_SLOT_STATE(v) == PGC_SLOT_CLAIMED ? pgc_retire(s, v) :
	    atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v, PGC_SLOT_FREED)) == v)
		atomic64_inc(&pgc_dropped_clean);
}

static void pgc_add_target(u32 stack)
{
	if (!stack || pgc_is_target(stack))
		return;
	WRITE_ONCE(pgc_targets[atomic_inc_return(&pgc_target_next) % PGC_WATCH_TARGETS],
		   stack);
}

/* Copy @s's history into the ring of kept ones, for report @report_id. */
static void pgc_keep(struct pgc_watch_slot *s, u64 report_id)
{
	struct pgc_watch_kept *k;
	int seq;

	k = &pgc_kept[(atomic_inc_return(&pgc_kept_next) - 1) % PGC_WATCH_KEPT];
	seq = atomic_read(&k->seq);
	if ((seq & 1) || atomic_cmpxchg(&k->seq, seq, seq + 1) != seq) {
		atomic64_inc(&pgc_kept_busy);	/* another report writes it */
		return;
	}
	smp_mb__after_atomic();		/* odd before the copy */
	memcpy(&k->hist, &s->hist, sizeof(k->hist));
	k->hist.nr = atomic_read(&s->nr);
	k->hist.nr_stacks = atomic_read(&s->nr_stacks);
	k->hist.pfn = page_to_pfn(READ_ONCE(s->page));
	k->hist.report_id = report_id;
	atomic_set_release(&k->seq, seq + 2);
	atomic64_inc(&pgc_kept_count);
}

void notrace pgc_watch_report(u64 report_id, bool is_new, u64 fingerprint,
			      unsigned long pfn, unsigned int order, u32 alloc_stack)
{
	enum pgc_watch_mode mode = READ_ONCE(pgc_mode);
	struct pgc_watch_slot *s;
	int v;

	s = pgc_slot_of(pfn, order, BIT(PGC_SLOT_ARMED) | BIT(PGC_SLOT_FREED), &v);
	if (s && pgc_retire(s, v))
		pgc_keep(s, report_id);
	if ((mode == PGC_WATCH_AUTO && is_new) ||
	    (mode == PGC_WATCH_FINGERPRINT && fingerprint == READ_ONCE(pgc_fingerprint)))
		pgc_add_target(alloc_stack);
}

/* The latest history kept for @report_id: a duplicate report may have several. */
bool pgc_watch_history(u64 report_id, struct pgc_watch_history *out)
{
	unsigned int next = atomic_read(&pgc_kept_next), i;

	for (i = 1; report_id && i <= PGC_WATCH_KEPT; i++) {
		struct pgc_watch_kept *k = &pgc_kept[(next - i) % PGC_WATCH_KEPT];
		int seq = atomic_read_acquire(&k->seq);

		if ((seq & 1) || READ_ONCE(k->hist.report_id) != report_id)
			continue;
		memcpy(out, &k->hist, sizeof(*out));
		smp_rmb();		/* the copy before the check */
		if (atomic_read(&k->seq) == seq && out->report_id == report_id)
			return true;
	}
	return false;
}

/* Every slot emptied, every breakpoint taken back. Process context. */
static void pgc_watch_disarm_all(void)
{
	unsigned int i;

	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		struct pgc_watch_slot *s = &pgc_slots[i];

		cancel_work_sync(&s->work);
		mutex_lock(&pgc_watch_lock);
		pgc_unregister(s);
		atomic_set(&s->state, PGC_SLOT_WITH(atomic_read(&s->state), PGC_SLOT_FREE));
		mutex_unlock(&pgc_watch_lock);
	}
}

bool pgc_watch_on(void)
{
	return READ_ONCE(pgc_mode) != PGC_WATCH_OFF;
}

void pgc_watch_stop(void)
{
	unsigned int i;

	WRITE_ONCE(pgc_mode, PGC_WATCH_OFF);
	static_branch_disable(&pgc_watch_key);
	/* no probe runs pgc_watch_alloc() or pgc_watch_free() any more */
	synchronize_rcu();
	pgc_watch_disarm_all();
	mutex_lock(&pgc_watch_lock);
	pgc_watch_arch_stop();
	mutex_unlock(&pgc_watch_lock);
	for (i = 0; i < PGC_WATCH_TARGETS; i++)
		WRITE_ONCE(pgc_targets[i], 0);
}

/* -EINVAL, saying why, if this kernel cannot watch. */
static int pgc_watch_refuse(const char *param, const char *val)
{
	const char *why = pgc_watch_unsupported();

	if (why)
		pr_err("%s=%s: %s\n", param, val, why);
	return why ? -EINVAL : 0;
}

/*
 * A new mode and what it reads: off first, so that no probe sees half a
 * change, then @set, then @mode.
 */
static void pgc_watch_start(enum pgc_watch_mode mode, void (*set)(const void *arg),
			    const void *arg)
{
	WRITE_ONCE(pgc_mode, PGC_WATCH_OFF);
	synchronize_rcu();
	set(arg);
	smp_store_release(&pgc_mode, mode);
	static_branch_enable(&pgc_watch_key);
}

static void pgc_set_fingerprint(const void *arg)
{
	WRITE_ONCE(pgc_fingerprint, *(const u64 *)arg);
}

/* Return: 0, or -EINVAL with nothing changed. */
int pgc_watch_set(const char *val)
{
	enum pgc_watch_mode mode;
	u64 fingerprint = 0;
	int ret;

	if (sysfs_streq(val, "off")) {
		pgc_watch_stop();
		return 0;
	}
	if (sysfs_streq(val, "auto"))
		mode = PGC_WATCH_AUTO;
	else if (strlen(val) >= 16 && !kstrtou64(val, 16, &fingerprint))
		mode = PGC_WATCH_FINGERPRINT;
	else
		return -EINVAL;
	ret = pgc_watch_refuse("watch", val);
	if (!ret)
		pgc_watch_start(mode, pgc_set_fingerprint, &fingerprint);
	return ret;
}

/*
 * The text of function @name, from register_kprobe(): it resolves the
 * name, module functions too; disabled, the probe patches nothing. The
 * address may be past the start (x86's IBT), sprint_symbol() says where.
 */
static int pgc_symbol_range(const char *name, unsigned long *start, unsigned long *end)
{
	struct kprobe kp = { .symbol_name = name, .flags = KPROBE_FLAG_DISABLED };
	char found[KSYM_SYMBOL_LEN];
	unsigned long offset, size;
	size_t len = strlen(name);
	int ret;

	ret = register_kprobe(&kp);
	if (!ret)
		unregister_kprobe(&kp);
	if (!kp.addr)
		return ret ?: -ENOENT;
	sprint_symbol(found, (unsigned long)kp.addr);
	if (strncmp(found, name, len) || found[len] != '+' ||
	    sscanf(found + len, "+%lx/%lx", &offset, &size) != 2 || offset >= size)
		return -ENOENT;
	*start = (unsigned long)kp.addr - offset;
	*end = *start + size;
	return 0;
}

/* @name, or else the compiler's clone of it (LKRG's lesson). */
static int pgc_function_range(const char *name, unsigned long *start, unsigned long *end)
{
	static const char *const clones[] = { ".constprop.0", ".isra.0", ".part.0" };
	char clone[KSYM_NAME_LEN];
	unsigned int i;
	int ret;

	ret = pgc_symbol_range(name, start, end);
	for (i = 0; ret == -ENOENT && i < ARRAY_SIZE(clones); i++) {
		if (snprintf(clone, sizeof(clone), "%s%s", name, clones[i]) < sizeof(clone))
			ret = pgc_symbol_range(clone, start, end);
	}
	return ret;
}

static void pgc_set_function(const void *arg)
{
	const struct pgc_watch_function *f = arg;

	WRITE_ONCE(pgc_func.start, f->start);
	WRITE_ONCE(pgc_func.end, f->end);
	memcpy(pgc_func.name, f->name, sizeof(f->name));
}

/* watch_alloc=<function>. Return: 0, or -EINVAL with nothing changed. */
int pgc_watch_alloc_set(const char *function)
{
	static struct pgc_watch_function next;	/* under pgc_watch_lock */
	char *name = next.name;
	int ret;

	ret = pgc_watch_refuse("watch_alloc", function);
	if (ret)
		return ret;
	mutex_lock(&pgc_watch_lock);
	strscpy(next.name, function, sizeof(next.name));
	name = strim(next.name);
	ret = *name ? pgc_function_range(name, &next.start, &next.end) : -EINVAL;
	if (ret) {
		pr_err("watch_alloc=%s: no such function in the kernel or its modules (%d)\n",
		       name, ret);
		ret = -EINVAL;
	} else {
		memmove(next.name, name, strlen(name) + 1);
		pgc_watch_start(PGC_WATCH_FUNCTION, pgc_set_function, &next);
	}
	mutex_unlock(&pgc_watch_lock);
	return ret;
}

int pgc_watch_alloc_get(char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(pgc_mode) == PGC_WATCH_FUNCTION ?
			  pgc_func.name : "");
}

/* watch='s value as it reads: "off", "auto", the fingerprint or "alloc". */
static const char *pgc_watch_mode_text(char buf[17])
{
	switch (READ_ONCE(pgc_mode)) {
	case PGC_WATCH_AUTO:
		return "auto";
	case PGC_WATCH_FUNCTION:
		return "alloc";
	case PGC_WATCH_FINGERPRINT:
		snprintf(buf, 17, "%016llx", READ_ONCE(pgc_fingerprint));
		return buf;
	default:
		return "off";
	}
}

int pgc_watch_get(char *buf)
{
	char fp[17];

	return sysfs_emit(buf, "%s\n", pgc_watch_mode_text(fp));
}

void pgc_watch_show(struct seq_file *m)
{
	unsigned int i, armed = 0, freed = 0, targets = 0;
	char fp[17];
	u64 min = atomic64_read(&pgc_window_min);

	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		int st = PGC_SLOT_STATE(atomic_read(&pgc_slots[i].state));

		armed += st == PGC_SLOT_ARMED;
		freed += st == PGC_SLOT_FREED;
	}
	for (i = 0; i < PGC_WATCH_TARGETS; i++)
		targets += !!READ_ONCE(pgc_targets[i]);
	if (!pgc_watch_on()) {
		seq_printf(m, "watch: off%s%s\n", pgc_watch_unsupported() ? ": " : "",
			   pgc_watch_unsupported() ?: "");
		return;
	}
	seq_printf(m, "watch: %s\n", pgc_watch_mode_text(fp));
	if (READ_ONCE(pgc_mode) == PGC_WATCH_FUNCTION)
		seq_printf(m, "watch_alloc: %pS\n", (void *)pgc_func.start);
	seq_printf(m, "watch_targets: %u\nwatch_armed: %u of %u\n", targets, armed,
		   PGC_WATCH_SLOTS);
	seq_printf(m, "watch_after_free: %u (freed cleanly, watched until reused)\n", freed);
	seq_printf(m, "watch_arms: %lld\nwatch_arm_failed: %lld (last error %d)\n",
		   atomic64_read(&pgc_arms), atomic64_read(&pgc_arm_failed),
		   atomic_read(&pgc_last_error));
	seq_printf(m, "watch_traps: %lld\nwatch_histories_kept: %lld (%lld not: being written)\n",
		   atomic64_read(&pgc_traps), atomic64_read(&pgc_kept_count),
		   atomic64_read(&pgc_kept_busy));
	seq_printf(m, "watch_clean_frees: %lld\nwatch_went_negative: %lld\n",
		   atomic64_read(&pgc_dropped_clean), atomic64_read(&pgc_went_negative));
	if (PGC_WATCH_TRAPS_BEFORE)
		seq_printf(m, "watch_missed: %lld (writes not named: an interrupt's, or one whose next instruction ran first in another context)\n",
			   atomic64_read(&pgc_missed));
	seq_printf(m, "watch_window_ns: min %llu max %llu\n", min == U64_MAX ? 0 : min,
		   atomic64_read(&pgc_window_max));
}
