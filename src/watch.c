// SPDX-License-Identifier: GPL-2.0
/*
 * watch=: refcount history with hardware watchpoints.
 *
 * A report adds its allocation stack to the targets (watch=auto: every new
 * report; watch=<fingerprint>: that one's). The next page allocated from a
 * target stack takes a free slot, and a work item arms two wide
 * breakpoints on it: the word holding _mapcount and _refcount, and the
 * mapping word. Every write to them traps, and the handler records what
 * changed, from what to what, with the writer's stack. A bad free of the
 * page keeps the history for its report; a clean one drops it. Either way
 * the work item takes the breakpoints back.
 *
 * Registration sleeps, so arming lags the allocation: writes in that
 * window are not seen (stats: watch_window_ns). Only x86 for now: its
 * debug registers trap after the write. arm64's trap before it, and the
 * kernel steps over the write only for perf's own handler.
 */
#include <linux/atomic.h>
#include <linux/hw_breakpoint.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/perf_event.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include "pagecheck/compat.h"
#include "pagecheck/report.h"
#include "pagecheck/watch.h"

DEFINE_STATIC_KEY_FALSE(pgc_watch_key);

#define PGC_WATCH_SLOTS		2	/* two breakpoints a page, of x86's four */
#define PGC_WATCH_TARGETS	4
#define PGC_WATCH_KEPT		8	/* histories reports carry, recycled */

enum pgc_watch_mode { PGC_WATCH_OFF, PGC_WATCH_AUTO, PGC_WATCH_FINGERPRINT };

/*
 * A slot's life: FREE -> CLAIMED (allocation) -> ARMED (work, once both
 * breakpoints are in) -> RETIRED (free) -> FREE (work). The state word
 * also counts claims, so that the work never arms a page claimed after it
 * looked.
 */
enum { PGC_SLOT_FREE, PGC_SLOT_CLAIMED, PGC_SLOT_ARMED, PGC_SLOT_RETIRED };
#define PGC_SLOT_STATE(v)	((v) & 3)
#define PGC_SLOT_WITH(v, st)	(((v) & ~3) | (st))

struct pgc_watch_slot {
	atomic_t state;
	struct page *page;
	u64 alloc_ns;
	struct perf_event * __percpu *bp[2];	/* the counts word, the mapping word */
	int last_refcount, last_mapcount;
	unsigned long last_mapping;
	atomic_t nr;				/* writes recorded */
	struct pgc_watch_history hist;
	struct work_struct work;
};

static void pgc_watch_work(struct work_struct *work);

static struct pgc_watch_slot pgc_slots[PGC_WATCH_SLOTS] = {
	{ .work = __WORK_INITIALIZER(pgc_slots[0].work, pgc_watch_work) },
	{ .work = __WORK_INITIALIZER(pgc_slots[1].work, pgc_watch_work) },
};
static_assert(PGC_WATCH_SLOTS == 2);
static struct pgc_watch_history pgc_kept[PGC_WATCH_KEPT];
static atomic_t pgc_kept_next = ATOMIC_INIT(0);
static u32 pgc_targets[PGC_WATCH_TARGETS];	/* allocation stack handles; 0: none */
static atomic_t pgc_target_next = ATOMIC_INIT(0);
static enum pgc_watch_mode pgc_mode;
static u64 pgc_fingerprint;
static DEFINE_MUTEX(pgc_watch_lock);

static atomic64_t pgc_arms, pgc_traps, pgc_arm_failed, pgc_kept_count, pgc_dropped_clean;
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
		       "not supported on this architecture yet (x86-64 only)" :
		       "this kernel has no hardware breakpoints (CONFIG_HAVE_HW_BREAKPOINT)";
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
static u8 pgc_writer_stack(unsigned long *out, unsigned long ip)
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

static void pgc_record_write(struct pgc_watch_slot *s, unsigned int field,
			     u64 old, u64 new, struct pt_regs *regs)
{
	u32 n = atomic_inc_return(&s->nr) - 1;
	struct pgc_watch_event *e = &s->hist.ev[n % PGC_WATCH_EVENTS];

	e->ts_ns = local_clock();
	e->old = old;
	e->new = new;
	e->pid = task_pid_nr(current);
	e->field = field;
	e->context = pgc_writer_context();
	memcpy(e->comm, current->comm, sizeof(e->comm));
	e->nr_entries = pgc_writer_stack(e->stack, instruction_pointer(regs));
}

/* The breakpoint handler: x86 traps after the write, so the words are new. */
static void notrace pgc_watch_hit(struct perf_event *bp, struct perf_sample_data *data,
				  struct pt_regs *regs)
{
	struct pgc_watch_slot *s = bp->overflow_handler_context;
	const struct page *page = READ_ONCE(s->page);
	int refcount, mapcount;
	unsigned long mapping;

	int state = PGC_SLOT_STATE(atomic_read(&s->state));
	bool record = state == PGC_SLOT_ARMED;

	atomic64_inc(&pgc_traps);
	/* while arming, only the values: a write then is missed, not misnamed */
	if (!record && state != PGC_SLOT_CLAIMED)
		return;
	if (bp->attr.bp_addr == pgc_mapping_word(page)) {
		mapping = (unsigned long)READ_ONCE(page->mapping);
		if (record && mapping != s->last_mapping)
			pgc_record_write(s, PGC_WATCH_MAPPING, s->last_mapping, mapping, regs);
		s->last_mapping = mapping;
		return;
	}
	refcount = atomic_read(&page->_refcount);
	mapcount = atomic_read(&page->_mapcount);
	if (record && refcount != s->last_refcount)
		pgc_record_write(s, PGC_WATCH_REFCOUNT, (u64)(s64)s->last_refcount,
				 (u64)(s64)refcount, regs);
	if (record && mapcount != s->last_mapcount)
		pgc_record_write(s, PGC_WATCH_MAPCOUNT, (u64)(s64)s->last_mapcount,
				 (u64)(s64)mapcount, regs);
	s->last_refcount = refcount;
	s->last_mapcount = mapcount;
}

static struct perf_event * __percpu *pgc_register(struct pgc_watch_slot *s,
						   unsigned long addr)
{
	struct perf_event * __percpu *bp;
	struct perf_event_attr attr;

	hw_breakpoint_init(&attr);
	attr.bp_addr = addr;
	attr.bp_len = HW_BREAKPOINT_LEN_8;
	attr.bp_type = HW_BREAKPOINT_W;
	bp = register_wide_hw_breakpoint(&attr, pgc_watch_hit, s);
	if (IS_ERR((void __force *)bp)) {
		int err = PTR_ERR((void __force *)bp);

		atomic64_inc(&pgc_arm_failed);
		atomic_set(&pgc_last_error, err);
		pr_warn_ratelimited("watch: cannot arm a watchpoint (%d)%s\n", err,
				    err == -ENOSPC || err == -EBUSY ?
				    ": the debug registers are taken, by a debugger or perf" : "");
		return NULL;
	}
	return bp;
}

static void pgc_unregister(struct pgc_watch_slot *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->bp); i++) {
		if (s->bp[i])
			unregister_wide_hw_breakpoint(s->bp[i]);
		s->bp[i] = NULL;
	}
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
		s->bp[0] = pgc_register(s, pgc_counts_word(page));
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

void notrace pgc_watch_alloc(struct page *page, unsigned int order, u32 stack)
{
	unsigned int i;

	if (!stack || !pgc_is_target(stack))
		return;
	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		struct pgc_watch_slot *s = &pgc_slots[i];
		int v = atomic_read(&s->state);

		/* a new claim: its count goes up by one */
		if (PGC_SLOT_STATE(v) != PGC_SLOT_FREE ||
		    atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v + 4, PGC_SLOT_CLAIMED)) != v)
			continue;
		WRITE_ONCE(s->page, page);
		s->alloc_ns = local_clock();
		schedule_work(&s->work);
		return;
	}
}

static struct pgc_watch_slot *pgc_slot_of(unsigned long pfn, unsigned int order)
{
	unsigned int i;

	for (i = 0; i < PGC_WATCH_SLOTS; i++) {
		struct pgc_watch_slot *s = &pgc_slots[i];
		int state = PGC_SLOT_STATE(atomic_read(&s->state));
		unsigned long p;

		if (state != PGC_SLOT_CLAIMED && state != PGC_SLOT_ARMED)
			continue;
		p = page_to_pfn(READ_ONCE(s->page));
		if (p >= pfn && p < pfn + (1UL << order))
			return s;
	}
	return NULL;
}

/*
 * Retire @s if its state word is still @v: an armed slot for the work
 * item to take its breakpoints back, a claimed one at once.
 */
static bool pgc_retire(struct pgc_watch_slot *s, int v)
{
	int st = PGC_SLOT_STATE(v);

	if (st != PGC_SLOT_ARMED && st != PGC_SLOT_CLAIMED)
		return false;
	st = st == PGC_SLOT_ARMED ? PGC_SLOT_RETIRED : PGC_SLOT_FREE;
	if (atomic_cmpxchg(&s->state, v, PGC_SLOT_WITH(v, st)) != v)
		return false;
	if (st == PGC_SLOT_RETIRED)
		schedule_work(&s->work);
	return true;
}

/* A clean free: the history goes, the slot can take the next page. */
void notrace pgc_watch_free(struct page *page, unsigned int order)
{
	struct pgc_watch_slot *s = pgc_slot_of(page_to_pfn(page), order);

	if (s && pgc_retire(s, atomic_read(&s->state)))
		atomic64_inc(&pgc_dropped_clean);
}

static void pgc_add_target(u32 stack)
{
	if (!stack || pgc_is_target(stack))
		return;
	WRITE_ONCE(pgc_targets[atomic_inc_return(&pgc_target_next) % PGC_WATCH_TARGETS],
		   stack);
}

void notrace pgc_watch_report(u64 report_id, bool is_new, u64 fingerprint,
			      unsigned long pfn, unsigned int order, u32 alloc_stack)
{
	struct pgc_watch_slot *s = pgc_slot_of(pfn, order);
	enum pgc_watch_mode mode = READ_ONCE(pgc_mode);
	int v = s ? atomic_read(&s->state) : 0;

	if (s && PGC_SLOT_STATE(v) == PGC_SLOT_ARMED) {
		struct pgc_watch_history *h;

		h = &pgc_kept[(atomic_inc_return(&pgc_kept_next) - 1) % PGC_WATCH_KEPT];
		memcpy(h, &s->hist, sizeof(*h));
		h->nr = atomic_read(&s->nr);
		h->pfn = page_to_pfn(READ_ONCE(s->page));
		smp_wmb();		/* the history before its id */
		WRITE_ONCE(h->report_id, report_id);
		atomic64_inc(&pgc_kept_count);
		pgc_retire(s, v);
	}
	if ((mode == PGC_WATCH_AUTO && is_new) ||
	    (mode == PGC_WATCH_FINGERPRINT && fingerprint == READ_ONCE(pgc_fingerprint)))
		pgc_add_target(alloc_stack);
}

/* The latest history kept for @report_id: a duplicate report may have several. */
bool pgc_watch_history(u64 report_id, struct pgc_watch_history *out)
{
	unsigned int next = atomic_read(&pgc_kept_next), i;

	for (i = 1; report_id && i <= PGC_WATCH_KEPT; i++) {
		const struct pgc_watch_history *h = &pgc_kept[(next - i) % PGC_WATCH_KEPT];

		if (READ_ONCE(h->report_id) != report_id)
			continue;
		smp_rmb();
		memcpy(out, h, sizeof(*out));
		return out->report_id == report_id;
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
	for (i = 0; i < PGC_WATCH_TARGETS; i++)
		WRITE_ONCE(pgc_targets[i], 0);
}

/* Return: 0, or -EINVAL with nothing changed. */
int pgc_watch_set(const char *val)
{
	enum pgc_watch_mode mode;
	u64 fingerprint = 0;
	const char *why;

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
	why = pgc_watch_unsupported();
	if (why) {
		pr_err("watch=%s: %s\n", val, why);
		return -EINVAL;
	}
	WRITE_ONCE(pgc_fingerprint, fingerprint);
	WRITE_ONCE(pgc_mode, mode);
	static_branch_enable(&pgc_watch_key);
	return 0;
}

/* watch='s value as it reads: "off", "auto" or the fingerprint. */
static const char *pgc_watch_mode_text(char buf[17])
{
	switch (READ_ONCE(pgc_mode)) {
	case PGC_WATCH_AUTO:
		return "auto";
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
	unsigned int i, armed = 0, targets = 0;
	char fp[17];
	u64 min = atomic64_read(&pgc_window_min);

	for (i = 0; i < PGC_WATCH_SLOTS; i++)
		armed += PGC_SLOT_STATE(atomic_read(&pgc_slots[i].state)) == PGC_SLOT_ARMED;
	for (i = 0; i < PGC_WATCH_TARGETS; i++)
		targets += !!READ_ONCE(pgc_targets[i]);
	if (!pgc_watch_on()) {
		seq_printf(m, "watch: off%s%s\n", pgc_watch_unsupported() ? ": " : "",
			   pgc_watch_unsupported() ?: "");
		return;
	}
	seq_printf(m, "watch: %s\n", pgc_watch_mode_text(fp));
	seq_printf(m, "watch_targets: %u\nwatch_armed: %u of %u\n", targets, armed,
		   PGC_WATCH_SLOTS);
	seq_printf(m, "watch_arms: %lld\nwatch_arm_failed: %lld (last error %d)\n",
		   atomic64_read(&pgc_arms), atomic64_read(&pgc_arm_failed),
		   atomic_read(&pgc_last_error));
	seq_printf(m, "watch_traps: %lld\nwatch_histories_kept: %lld\nwatch_clean_frees: %lld\n",
		   atomic64_read(&pgc_traps), atomic64_read(&pgc_kept_count),
		   atomic64_read(&pgc_dropped_clean));
	seq_printf(m, "watch_window_ns: min %llu max %llu\n", min == U64_MAX ? 0 : min,
		   atomic64_read(&pgc_window_max));
}
