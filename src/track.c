// SPDX-License-Identifier: GPL-2.0
/*
 * Provenance records. Three fixed tables, allocated at load and never
 * grown: one 16-byte record per page frame present at load, and two
 * hash tables of immutable entries, the stacks and the events (a stack
 * with its task, gfp and order). Entries are claimed from a counter and
 * published with a release cmpxchg on their bucket: no lock, so any
 * context may record. A full table counts what it could not keep.
 */
#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sched/clock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "pagecheck/track.h"

/* One page frame's provenance: exactly 16 bytes. */
struct pgc_track_page {
	u32 alloc;			/* event ref of its last allocation */
	u32 free;			/* event ref of its last free, and: */
	u32 alloc_time;			/* local_clock() >> PGC_TIME_SHIFT */
	u32 free_time;
};

#define PGC_FREED		BIT(31)	/* in free: no allocation seen since */
#define PGC_TIME_SHIFT		20	/* units of 1.05 ms; wraps in 52 days */

static_assert(sizeof(struct pgc_track_page) == 16);

struct pgc_track_stack {
	u32 hash;
	u32 next;
	u32 nr;
	unsigned long entries[PGC_TRACK_DEPTH];
};

/*
 * The tables grow with memory, about 1.3 bytes per page in all: a stack
 * per 256 pages and an event per 64, within bounds.
 */
#define PGC_PAGES_PER_STACK	256
#define PGC_PAGES_PER_EVENT	64
#define PGC_STACKS_MIN		2048
#define PGC_STACKS_MAX		131072
#define PGC_EVENTS_MIN		8192
#define PGC_EVENTS_MAX		524288

bool pgc_track_enabled;

static struct pgc_track_page *pgc_pages;
static unsigned long pgc_first_pfn, pgc_end_pfn;

static u32 pgc_stacks_max, pgc_stack_buckets_nr;
static u32 pgc_events_max, pgc_event_buckets_nr;

static struct pgc_track_stack *pgc_stacks;
static u32 *pgc_stack_buckets;
static atomic_t pgc_nr_stacks = ATOMIC_INIT(0);

static struct pgc_track_event *pgc_events;
static u32 *pgc_event_buckets;
static atomic_t pgc_nr_events = ATOMIC_INIT(0);

static atomic64_t pgc_stacks_dropped, pgc_events_dropped, pgc_outside;

/* The page frames of the online nodes, holes included. */
static void pgc_track_span(unsigned long *first, unsigned long *end)
{
	int nid;

	*first = ULONG_MAX;
	*end = 0;
	for_each_online_node(nid) {
		*first = min(*first, node_start_pfn(nid));
		*end = max(*end, node_end_pfn(nid));
	}
	if (*first > *end)
		*first = *end;
}

/* Memory onlined after the load is outside the records: say so, once per block. */
static int pgc_track_memory_event(struct notifier_block *nb, unsigned long action,
				  void *data)
{
	const struct memory_notify *mn = data;

	if (action == MEM_ONLINE &&
	    (mn->start_pfn < pgc_first_pfn || mn->start_pfn + mn->nr_pages > pgc_end_pfn))
		pr_warn("track=1: memory onlined at pfns %#lx-%#lx is not tracked; reload pagecheck to track it\n",
			mn->start_pfn, mn->start_pfn + mn->nr_pages);
	return NOTIFY_OK;
}

static struct notifier_block pgc_track_memory_nb = {
	.notifier_call = pgc_track_memory_event,
};

int pgc_track_init(bool enable)
{
	unsigned long pages;

	if (!enable)
		return 0;
	pgc_track_span(&pgc_first_pfn, &pgc_end_pfn);
	pages = pgc_end_pfn - pgc_first_pfn;
	pgc_stacks_max = clamp_t(unsigned long, pages / PGC_PAGES_PER_STACK,
				 PGC_STACKS_MIN, PGC_STACKS_MAX);
	pgc_events_max = clamp_t(unsigned long, pages / PGC_PAGES_PER_EVENT,
				 PGC_EVENTS_MIN, PGC_EVENTS_MAX);
	pgc_stack_buckets_nr = pgc_stacks_max / 2;
	pgc_event_buckets_nr = pgc_events_max / 2;
	pgc_pages = vzalloc(array_size(pages, sizeof(*pgc_pages)));
	pgc_stacks = vzalloc(array_size(pgc_stacks_max, sizeof(*pgc_stacks)));
	pgc_stack_buckets = vzalloc(array_size(pgc_stack_buckets_nr, sizeof(u32)));
	pgc_events = vzalloc(array_size(pgc_events_max, sizeof(*pgc_events)));
	pgc_event_buckets = vzalloc(array_size(pgc_event_buckets_nr, sizeof(u32)));
	if (!pgc_pages || !pgc_stacks || !pgc_stack_buckets || !pgc_events ||
	    !pgc_event_buckets) {
		pr_err("track=1: cannot allocate %lu bytes of page records and %zu of tables\n",
		       pages * sizeof(*pgc_pages),
		       pgc_stacks_max * sizeof(*pgc_stacks) +
		       pgc_events_max * sizeof(*pgc_events));
		pgc_track_exit();
		return -ENOMEM;
	}
	register_memory_notifier(&pgc_track_memory_nb);
	pgc_track_enabled = true;
	return 0;
}

/* Only once no hook can call in any more. */
void pgc_track_exit(void)
{
	if (pgc_track_enabled)
		unregister_memory_notifier(&pgc_track_memory_nb);
	pgc_track_enabled = false;
	vfree(pgc_pages);
	vfree(pgc_stacks);
	vfree(pgc_stack_buckets);
	vfree(pgc_events);
	vfree(pgc_event_buckets);
	pgc_pages = NULL;
	pgc_stacks = NULL;
	pgc_stack_buckets = NULL;
	pgc_events = NULL;
	pgc_event_buckets = NULL;
}

/*
 * A multiply-xor hash of @nr words: a third of jhash2()'s instructions on
 * a stack, on the path of every allocation and free.
 */
static __always_inline u32 pgc_hash_words(const unsigned long *words,
					  unsigned int nr, u64 seed)
{
	u64 h = seed;
	unsigned int i;

	for (i = 0; i < nr; i++)
		h = (h ^ words[i]) * GOLDEN_RATIO_64;
	return h >> 32;
}

/* Publish entry @ref at the head of @bucket. */
static void pgc_publish(u32 *bucket, u32 *next, u32 ref)
{
	u32 head;

	do {
		head = READ_ONCE(*bucket);
		WRITE_ONCE(*next, head);
	} while (cmpxchg_release(bucket, head, ref) != head);
}

/* Claim a free entry: its ref, or 0 if @count reached @max. */
static u32 pgc_claim(atomic_t *count, u32 max, atomic64_t *dropped)
{
	int n = atomic_fetch_add_unless(count, 1, max);

	if (n >= max) {
		atomic64_inc(dropped);
		return 0;
	}
	return n + 1;
}

/*
 * The current stack, pagecheck's own frames skipped: its ref, or 0. The
 * probes below inline this, so theirs is the only frame to skip; from
 * elsewhere @more_own_frames skips the module's frames one by one.
 */
static __always_inline u32 pgc_save_stack(bool more_own_frames)
{
	unsigned long entries[PGC_TRACK_DEPTH];
	unsigned int nr, skip = 0;
	struct pgc_track_stack *s;
	u32 hash, ref;

	/* Unwound but not stored: the frame this is inlined into. */
	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 1);
	while (more_own_frames && skip < nr && within_module(entries[skip], THIS_MODULE))
		skip++;
	nr = min_t(unsigned int, nr - skip, PGC_TRACK_DEPTH);
	hash = pgc_hash_words(entries + skip, nr, nr);
	for (ref = smp_load_acquire(&pgc_stack_buckets[hash % pgc_stack_buckets_nr]);
	     ref; ref = READ_ONCE(s->next)) {
		s = &pgc_stacks[ref - 1];
		if (s->hash == hash && s->nr == nr &&
		    !memcmp(s->entries, entries + skip, nr * sizeof(entries[0])))
			return ref;
	}
	ref = pgc_claim(&pgc_nr_stacks, pgc_stacks_max, &pgc_stacks_dropped);
	if (!ref)
		return 0;
	s = &pgc_stacks[ref - 1];
	s->hash = hash;
	s->nr = nr;
	memcpy(s->entries, entries + skip, nr * sizeof(entries[0]));
	pgc_publish(&pgc_stack_buckets[hash % pgc_stack_buckets_nr], &s->next, ref);
	return ref;
}

static bool pgc_event_equal(const struct pgc_track_event *a,
			    const struct pgc_track_event *b)
{
	return a->hash == b->hash && a->stack == b->stack && a->pid == b->pid &&
	       a->gfp == b->gfp && a->order == b->order &&
	       a->is_free == b->is_free && !memcmp(a->comm, b->comm, sizeof(a->comm));
}

/* The event of the current task with @stack: its ref, or 0 if not kept. */
static u32 pgc_save_event(unsigned int order, gfp_t gfp, bool is_free, u32 stack)
{
	struct pgc_track_event key = {
		.stack = stack,
		.pid = task_pid_nr(current),
		.gfp = gfp,
		.order = order,
		.is_free = is_free,
	};
	unsigned long words[TASK_COMM_LEN / sizeof(unsigned long)];
	struct pgc_track_event *e;
	u32 ref;

	memcpy(key.comm, current->comm, sizeof(key.comm));
	key.comm[sizeof(key.comm) - 1] = '\0';
	memcpy(words, key.comm, sizeof(key.comm));
	key.hash = pgc_hash_words(words, ARRAY_SIZE(words),
				  ((u64)key.stack << 32 | (u32)key.pid) ^
				  ((u64)((__force u32)gfp ^ (order << 24) ^
					 ((u32)is_free << 31)) << 16));
	for (ref = smp_load_acquire(&pgc_event_buckets[key.hash % pgc_event_buckets_nr]);
	     ref; ref = READ_ONCE(e->next)) {
		e = &pgc_events[ref - 1];
		if (pgc_event_equal(e, &key))
			return ref;
	}
	ref = pgc_claim(&pgc_nr_events, pgc_events_max, &pgc_events_dropped);
	if (!ref)
		return 0;
	e = &pgc_events[ref - 1];
	*e = key;
	pgc_publish(&pgc_event_buckets[key.hash % pgc_event_buckets_nr], &e->next, ref);
	return ref;
}

/* The records of the block at @page, or NULL (counted) outside the table. */
static struct pgc_track_page *pgc_records(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);

	if (pfn < pgc_first_pfn || pfn + (1UL << order) > pgc_end_pfn) {
		atomic64_inc(&pgc_outside);
		return NULL;
	}
	return &pgc_pages[pfn - pgc_first_pfn];
}

static u32 pgc_now(void)
{
	return local_clock() >> PGC_TIME_SHIFT;
}

/* The current stack, for an allocation recorded later: its ref, or 0. */
u32 notrace pgc_track_stack_here(void)
{
	return pgc_save_stack(true);
}

/*
 * Every page of the block gets the record, so that a page freed after
 * split_page() or a folio split still finds its allocation.
 */
static __always_inline void pgc_track_alloc_record(struct page *page,
						   unsigned int order,
						   gfp_t gfp, u32 stack)
{
	struct pgc_track_page *rec = pgc_records(page, order);
	u32 ref, now, i;

	if (!rec)
		return;
	ref = pgc_save_event(order, gfp, false, stack);
	now = pgc_now();
	smp_wmb();			/* the event before the records naming it */
	for (i = 0; i < (1U << order); i++) {
		WRITE_ONCE(rec[i].alloc, ref);
		WRITE_ONCE(rec[i].alloc_time, now);
		WRITE_ONCE(rec[i].free, READ_ONCE(rec[i].free) & ~PGC_FREED);
	}
}

/**
 * pgc_track_alloc_stack() - record the allocation of a block
 * @page: its first page
 * @order: its order
 * @gfp: the allocation's flags
 * @stack: the allocating stack, from pgc_track_stack_here()
 */
void notrace pgc_track_alloc_stack(struct page *page, unsigned int order,
				   gfp_t gfp, u32 stack)
{
	pgc_track_alloc_record(page, order, gfp, stack);
}

/* kmem:mm_page_alloc: record the allocation, in the allocating context. */
void notrace pgc_track_alloc_probe(void *data, struct page *page,
				   unsigned int order, gfp_t gfp, int migratetype)
{
	if (page)			/* NULL: the allocation failed */
		pgc_track_alloc_record(page, order, gfp, pgc_save_stack(false));
}

/* kmem:mm_page_free, after the audit: record the free of the block. */
void notrace pgc_track_free_probe(void *data, struct page *page,
				  unsigned int order)
{
	struct pgc_track_page *rec = pgc_records(page, order);
	u32 ref, now, i;

	if (!rec)
		return;
	ref = pgc_save_event(order, 0, true, pgc_save_stack(false)) | PGC_FREED;
	now = pgc_now();
	smp_wmb();			/* the event before the records naming it */
	for (i = 0; i < (1U << order); i++) {
		WRITE_ONCE(rec[i].free, ref);
		WRITE_ONCE(rec[i].free_time, now);
	}
}

/**
 * pgc_track_copy() - a block migrated: its new pages take over its records
 * @to: the first new page
 * @from: the first old page
 * @order: the block's order
 *
 * As page_owner does, so that a page keeps the allocation of the data it
 * holds, whoever allocated the page migration moved it to.
 */
void notrace pgc_track_copy(struct page *to, struct page *from, unsigned int order)
{
	struct pgc_track_page *dst = pgc_records(to, order);
	struct pgc_track_page *src = pgc_records(from, order);
	unsigned int i;

	if (!dst || !src)
		return;
	for (i = 0; i < (1U << order); i++) {
		WRITE_ONCE(dst[i].alloc, READ_ONCE(src[i].alloc));
		WRITE_ONCE(dst[i].alloc_time, READ_ONCE(src[i].alloc_time));
		WRITE_ONCE(dst[i].free, READ_ONCE(src[i].free) & ~PGC_FREED);
	}
}

/* A 32-bit time stamp back to nanoseconds, in the last 52 days. */
static u64 pgc_time_ns(u32 stamp)
{
	u64 now = local_clock() >> PGC_TIME_SHIFT;
	u64 t = (now & ~(u64)U32_MAX) | stamp;

	if (t > now && t >= BIT_ULL(32))
		t -= BIT_ULL(32);
	return t << PGC_TIME_SHIFT;
}

/**
 * pgc_track_lookup() - the provenance of one page frame, as it is now
 * @pfn: the page frame
 * @prov: filled in
 *
 * Called when a bad free is reported, before that free is recorded: the
 * last free is then the one before it.
 */
void pgc_track_lookup(unsigned long pfn, struct pgc_provenance *prov)
{
	const struct pgc_track_page *rec;
	u32 free;

	memset(prov, 0, sizeof(*prov));
	if (!READ_ONCE(pgc_track_enabled)) {
		prov->state = PGC_PROV_OFF;
		return;
	}
	if (pfn < pgc_first_pfn || pfn >= pgc_end_pfn) {
		prov->state = PGC_PROV_UNTRACKED;
		return;
	}
	rec = &pgc_pages[pfn - pgc_first_pfn];
	prov->alloc = READ_ONCE(rec->alloc);
	free = READ_ONCE(rec->free);
	prov->free = free & ~PGC_FREED;
	if (prov->alloc || prov->free) {
		prov->alloc_ns = pgc_time_ns(READ_ONCE(rec->alloc_time));
		prov->free_ns = pgc_time_ns(READ_ONCE(rec->free_time));
	}
	if (!free && !prov->alloc)
		prov->state = PGC_PROV_BEFORE_LOAD;
	else
		prov->state = free & PGC_FREED ? PGC_PROV_FREED : PGC_PROV_ALLOCATED;
}

/* The event of @ref, or NULL. Valid until the module unloads. */
const struct pgc_track_event *pgc_track_event(u32 ref)
{
	if (!ref || ref > (u32)atomic_read(&pgc_nr_events) || !pgc_events)
		return NULL;
	return &pgc_events[ref - 1];
}

/* The entries of stack @ref: their number, 0 if unknown. */
unsigned int pgc_track_stack(u32 ref, const unsigned long **entries)
{
	if (!ref || ref > (u32)atomic_read(&pgc_nr_stacks) || !pgc_stacks)
		return 0;
	*entries = pgc_stacks[ref - 1].entries;
	return pgc_stacks[ref - 1].nr;
}

void pgc_track_get_stats(struct pgc_track_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->enabled = READ_ONCE(pgc_track_enabled);
	if (!st->enabled)
		return;
	st->first_pfn = pgc_first_pfn;
	st->end_pfn = pgc_end_pfn;
	st->table_bytes = (u64)(pgc_end_pfn - pgc_first_pfn) * sizeof(*pgc_pages);
	st->stacks_bytes = (u64)pgc_stacks_max * sizeof(*pgc_stacks) +
			   pgc_stack_buckets_nr * sizeof(u32);
	st->events_bytes = (u64)pgc_events_max * sizeof(*pgc_events) +
			   pgc_event_buckets_nr * sizeof(u32);
	st->stacks = min_t(u32, atomic_read(&pgc_nr_stacks), pgc_stacks_max);
	st->stacks_max = pgc_stacks_max;
	st->events = min_t(u32, atomic_read(&pgc_nr_events), pgc_events_max);
	st->events_max = pgc_events_max;
	st->stacks_dropped = atomic64_read(&pgc_stacks_dropped);
	st->events_dropped = atomic64_read(&pgc_events_dropped);
	st->outside = atomic64_read(&pgc_outside);
}
