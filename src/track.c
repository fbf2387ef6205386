// SPDX-License-Identifier: GPL-2.0
/*
 * Provenance records: a 16-byte record per page frame present when
 * tracking began, and two tables, events and stacks, that never fill up.
 *
 * Each table is set-associative: a key's hash picks a set of PGC_WAYS
 * entries, and a key not found there takes the way used least recently,
 * preferring one that no allocated page needs. An entry is written under
 * its sequence number, odd while it is written, which readers check as a
 * seqlock does; a handle to an entry carries the low bits of that number,
 * so a handle to an entry written again since reads as evicted, never as
 * the new entry's. No lock: a writer claims a way with one cmpxchg and
 * skips a way being written. Nothing allocates, so any context records,
 * NMI included.
 *
 * The count in an event's state is the pages allocated through it and not
 * freed since; in a stack's, the allocations' events in the table that name
 * it. A record whose free handle lacks PGC_FREED is counted in its
 * allocation's event: an allocation adds its pages, a free takes them back.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/vmalloc.h>
#include "pagecheck/compat.h"
#include "pagecheck/hash.h"
#include "pagecheck/track.h"
#include "pagecheck/watch.h"

/* One page frame's provenance: exactly 16 bytes. */
struct pgc_track_page {
	u32 alloc;			/* event handle of its last allocation */
	u32 free;			/* event handle of its last free, and: */
	u32 alloc_time;			/* pgc_now() */
	u32 free_time;
};

#define PGC_FREED		BIT(31)	/* in free: not allocated (nor counted) since */
#define PGC_DROPPED		(PGC_FREED - 1)	/* a handle: the event was not kept */
#define PGC_TIME_SHIFT		20	/* units of 1.05 ms; wraps in 52 days */

static_assert(sizeof(struct pgc_track_page) == 16);

/* The head of every table entry. */
struct pgc_entry {
	atomic64_t state;		/* sequence | (s32)count << 32 */
	u32 created;			/* pgc_now() when written */
	u32 used;			/* pgc_now() when last found */
};

/* An allocation or a free: a stack and the task, gfp and order. */
struct pgc_track_event {
	struct pgc_entry head;		/* count: its pages still allocated */
	u32 stack;			/* stack handle */
	pid_t pid;
	gfp_t gfp;
	u8 order;
	bool is_free;
	char comm[TASK_COMM_LEN];
};

struct pgc_track_stack {
	struct pgc_entry head;		/* count: allocations' events that name it */
	u32 nr;
	unsigned long entries[PGC_PROV_DEPTH];
};

#define PGC_WAYS		8
#define PGC_TABLE_MIN		(2 * PGC_WAYS)
#define PGC_TABLE_MAX		(1U << 24)	/* handles keep 7 bits of tag */

struct pgc_table {
	void *entries;
	u32 *hashes;			/* the key hash of each way */
	size_t size;			/* bytes per entry */
	u32 nr;				/* entries: a power of two */
	u32 shift;			/* ilog2(nr): a handle's tag is above it */
	atomic64_t created, filled, recycled, evicted, busy;
};

/* A run of records counted in one event, taken back or added in one step. */
struct pgc_run {
	u32 handle;
	u32 pages;
};

/*
 * Events: one per 64 pages, a stack per four events: about 1.4 bytes per
 * page with the ways' hashes, on top of the 16 of the records.
 */
#define PGC_PAGES_PER_EVENT	64
#define PGC_EVENTS_PER_STACK	4
#define PGC_EVENTS_MIN		8192
#define PGC_EVENTS_MAX		524288

bool pgc_track_enabled;
/* Init, exit and stats: a stats reader never sees the tables go. */
static DEFINE_MUTEX(pgc_track_lock);

static struct pgc_track_page *pgc_pages;
static unsigned long pgc_first_pfn, pgc_end_pfn;
static u64 pgc_since_ns;
static struct pgc_table pgc_events, pgc_stacks;
static atomic64_t pgc_outside, pgc_refs_lost;

static u32 pgc_now(void)
{
	return local_clock() >> PGC_TIME_SHIFT;
}

/* --- the tables ----------------------------------------------------------- */

static __always_inline struct pgc_entry *pgc_entry(const struct pgc_table *t,
						   u32 index)
{
	return t->entries + (size_t)index * t->size;
}

/* The low bits of an entry's generation that its handles carry. */
static __always_inline u32 pgc_tag(const struct pgc_table *t, u32 seq)
{
	return (seq >> 1) & (BIT(31 - t->shift) - 1);
}

static __always_inline u32 pgc_handle(const struct pgc_table *t, u32 index, u32 seq)
{
	return pgc_tag(t, seq) << t->shift | index;
}

/* Is @seq that of a written entry, the one @handle names? */
static __always_inline bool pgc_seq_named(const struct pgc_table *t, u32 seq,
					  u32 handle)
{
	return seq && !(seq & 1) && pgc_tag(t, seq) == handle >> t->shift;
}

static __always_inline u32 pgc_set(const struct pgc_table *t, u32 hash)
{
	return hash & (t->nr - 1) & ~(PGC_WAYS - 1);
}

static __always_inline s32 pgc_count(s64 state)
{
	return (s32)((u64)state >> 32);
}

typedef bool (*pgc_match_fn)(const struct pgc_entry *e, const void *key);

/* The handle of the entry with @key in its set, or 0. */
static __always_inline u32 pgc_find(struct pgc_table *t, u32 hash, pgc_match_fn match,
				    const void *key, u32 now)
{
	u32 set = pgc_set(t, hash), i;

	for (i = set; i < set + PGC_WAYS; i++) {
		struct pgc_entry *e;
		u32 seq;

		if (READ_ONCE(t->hashes[i]) != hash)
			continue;
		e = pgc_entry(t, i);
		seq = (u32)atomic64_read_acquire(&e->state);
		if (!seq || (seq & 1) || !match(e, key))
			continue;
		smp_rmb();		/* the key before the sequence again */
		if ((u32)atomic64_read(&e->state) != seq)
			continue;
		if (READ_ONCE(e->used) != now)
			WRITE_ONCE(e->used, now);
		return pgc_handle(t, i, seq);
	}
	return 0;
}

/*
 * A way of @hash's set to write: an empty one, else the one found least
 * recently among those no page needs, else the newest of all: an entry
 * that pages allocated long ago need goes last. Returns its index, marked
 * odd (being written) with its count cleared, and its state before in
 * @old; or -1 (counted) if every way was being written.
 */
static int pgc_claim(struct pgc_table *t, u32 hash, u32 now, s64 *old)
{
	u32 set = pgc_set(t, hash), tries, i;

	for (tries = 0; tries < 3; tries++) {
		int best = -1;
		s64 best_state = 0;
		u32 best_rank = 0;
		bool best_needed = true;

		for (i = set; i < set + PGC_WAYS; i++) {
			struct pgc_entry *e = pgc_entry(t, i);
			s64 s = atomic64_read(&e->state);
			bool needed = pgc_count(s) > 0;
			u32 seq = (u32)s, rank;

			if (seq & 1)
				continue;
			if (!seq) {
				best = i;
				best_state = s;
				break;
			}
			/* unneeded: the longest unused; needed: the youngest */
			rank = needed ? ~(now - READ_ONCE(e->created)) :
					now - READ_ONCE(e->used);
			if (best < 0 || (best_needed && !needed) ||
			    (best_needed == needed && rank > best_rank)) {
				best = i;
				best_state = s;
				best_rank = rank;
				best_needed = needed;
			}
		}
		if (best < 0)
			break;
		if (atomic64_try_cmpxchg(&pgc_entry(t, best)->state, &best_state,
					 (u32)best_state + 1)) {
			if (!(u32)best_state)
				atomic64_inc(&t->filled);
			else if (pgc_count(best_state) > 0)
				atomic64_inc(&t->evicted);
			else
				atomic64_inc(&t->recycled);
			atomic64_inc(&t->created);
			*old = best_state;
			return best;
		}
	}
	atomic64_inc(&t->busy);
	return -1;
}

/* Publish way @index, claimed with state @old, with @count: its handle. */
static __always_inline u32 pgc_publish(struct pgc_table *t, u32 index, u32 hash,
				       s64 old, s32 count, u32 now)
{
	struct pgc_entry *e = pgc_entry(t, index);
	u32 seq = (u32)old + 2;

	/* no handle is 0, none is PGC_DROPPED */
	while (!pgc_tag(t, seq) || pgc_tag(t, seq) == pgc_tag(t, U32_MAX))
		seq += 2;
	e->created = now;
	e->used = now;
	WRITE_ONCE(t->hashes[index], hash);
	atomic64_set_release(&e->state, (s64)((u64)(u32)count << 32 | seq));
	return pgc_handle(t, index, seq);
}

/*
 * Add @delta to the count of the entry @handle names, if it still names
 * it; with @floor the count stops at 0. Returns the count before, or
 * S32_MIN if the entry was written again.
 */
static __always_inline s32 pgc_count_add(struct pgc_table *t, u32 handle,
					 s32 delta, bool floor)
{
	struct pgc_entry *e = pgc_entry(t, handle & (t->nr - 1));
	s64 s = atomic64_read(&e->state);
	s32 count, next;

	do {
		if (!pgc_seq_named(t, (u32)s, handle))
			return S32_MIN;
		count = pgc_count(s);
		next = count + delta;
		if (floor && next < 0)
			next = 0;
	} while (!atomic64_try_cmpxchg(&e->state, &s,
				       (s64)((u64)(u32)next << 32 | (u32)s)));
	return count;
}

/* The entry @handle names and its sequence, or NULL if it was written again. */
static struct pgc_entry *pgc_get(const struct pgc_table *t, u32 handle, u32 *seq)
{
	struct pgc_entry *e;

	if (!handle)
		return NULL;
	e = pgc_entry(t, handle & (t->nr - 1));
	*seq = (u32)atomic64_read_acquire(&e->state);
	return pgc_seq_named(t, *seq, handle) ? e : NULL;
}

/* After reading @e: did it stay the entry of sequence @seq? */
static bool pgc_unchanged(const struct pgc_entry *e, u32 seq)
{
	smp_rmb();			/* the fields before the sequence again */
	return (u32)atomic64_read(&e->state) == seq;
}

/* Zeroed, and quiet if it fails: track=1 says why itself. */
static void *pgc_vzalloc(size_t size)
{
	return __vmalloc(size, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
}

static int pgc_table_alloc(struct pgc_table *t, u32 nr, size_t size)
{
	memset(t, 0, sizeof(*t));
	t->nr = nr;
	t->shift = ilog2(nr);
	t->size = size;
	t->entries = pgc_vzalloc(array_size(nr, size));
	t->hashes = pgc_vzalloc(array_size(nr, sizeof(u32)));
	return t->entries && t->hashes ? 0 : -ENOMEM;
}

static void pgc_table_free(struct pgc_table *t)
{
	vfree(t->entries);
	vfree(t->hashes);
	t->entries = NULL;
	t->hashes = NULL;
}

static u64 pgc_table_bytes(const struct pgc_table *t)
{
	return (u64)t->nr * (t->size + sizeof(u32));
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

static void pgc_table_stats(const struct pgc_table *t,
			    struct pgc_track_table_stats *st)
{
	u32 i, now = pgc_now(), oldest_age = 0;
	bool any = false;

	st->capacity = t->nr;
	st->created = atomic64_read(&t->created);
	st->recycled = atomic64_read(&t->recycled);
	st->evicted = atomic64_read(&t->evicted);
	st->busy = atomic64_read(&t->busy);
	st->used = min_t(u64, atomic64_read(&t->filled), t->nr);
	st->bytes = pgc_table_bytes(t);
	for (i = 0; i < t->nr; i++) {
		const struct pgc_entry *e = pgc_entry(t, i);
		s64 s = atomic64_read(&e->state);

		if (!(u32)s)
			continue;
		if (pgc_count(s) > 0)
			st->pinned++;
		if (!any || now - READ_ONCE(e->created) > oldest_age) {
			oldest_age = now - READ_ONCE(e->created);
			any = true;
		}
	}
	st->oldest_ns = any ? pgc_time_ns(now - oldest_age) : 0;
}

/* --- stacks and events ---------------------------------------------------- */

struct pgc_stack_key {
	const unsigned long *entries;
	u32 nr;
};

static __always_inline bool pgc_stack_match(const struct pgc_entry *head, const void *k)
{
	const struct pgc_track_stack *s = container_of(head, struct pgc_track_stack, head);
	const struct pgc_stack_key *key = k;

	return data_race(s->nr == key->nr &&
			 !memcmp(s->entries, key->entries, key->nr * sizeof(key->entries[0])));
}

struct pgc_event_key {
	u32 stack;
	pid_t pid;
	gfp_t gfp;
	u8 order;
	bool is_free;
	char comm[TASK_COMM_LEN];
};

static __always_inline bool pgc_event_match(const struct pgc_entry *head, const void *k)
{
	const struct pgc_track_event *e = container_of(head, struct pgc_track_event, head);
	const struct pgc_event_key *key = k;

	return data_race(e->stack == key->stack && e->pid == key->pid &&
			 e->gfp == key->gfp && e->order == key->order &&
			 e->is_free == key->is_free &&
			 !memcmp(e->comm, key->comm, sizeof(e->comm)));
}

/*
 * The current stack, pagecheck's own frames skipped: its handle, or 0. The
 * probes below inline this, so theirs is the only frame to skip; from
 * elsewhere @more_own_frames skips the module's frames one by one.
 */
static __always_inline u32 pgc_save_stack(bool more_own_frames, u32 now)
{
	unsigned long entries[PGC_PROV_DEPTH] __uninitialized;
	struct pgc_stack_key key;
	struct pgc_track_stack *s;
	unsigned int nr, skip = 0;
	u32 hash, handle;
	s64 old;
	int way;

	/* Unwound but not stored: the frame this is inlined into. */
	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 1);
	while (more_own_frames && skip < nr && within_module(entries[skip], THIS_MODULE))
		skip++;
	key.entries = entries + skip;
	key.nr = nr - skip;
	hash = pgc_hash_words(key.entries, key.nr, key.nr);
	handle = pgc_find(&pgc_stacks, hash, pgc_stack_match, &key, now);
	if (handle)
		return handle;
	way = pgc_claim(&pgc_stacks, hash, now, &old);
	if (way < 0)
		return PGC_DROPPED;
	s = container_of(pgc_entry(&pgc_stacks, way), struct pgc_track_stack, head);
	s->nr = key.nr;
	memcpy(s->entries, key.entries, key.nr * sizeof(key.entries[0]));
	return pgc_publish(&pgc_stacks, way, hash, old, 0, now);
}

/* Add @pages to the count of event @handle; false if it was written again. */
static __always_inline bool pgc_event_count(u32 handle, s32 pages)
{
	s32 before = pgc_count_add(&pgc_events, handle, pages, true);

	if (before == S32_MIN)
		return false;
	if (pages < 0 && before < -pages)
		atomic64_inc(&pgc_refs_lost);
	return true;
}

/* Take back a run of counted records, and start one at @handle. */
static __always_inline void pgc_run_next(struct pgc_run *run, u32 handle)
{
	if (run->pages && run->handle != handle) {
		pgc_event_count(run->handle, -(s32)run->pages);
		run->pages = 0;
	}
	run->handle = handle;
}

/* A record whose free handle is @free joins the run if it was counted. */
static __always_inline void pgc_run_uncount(struct pgc_run *run,
					    const struct pgc_track_page *rec, u32 free)
{
	u32 alloc = READ_ONCE(rec->alloc);

	if (!alloc || (free & PGC_FREED))
		return;
	if (alloc != run->handle)
		pgc_run_next(run, alloc);
	run->pages++;
}

static __always_inline void pgc_run_end(struct pgc_run *run)
{
	pgc_run_next(run, 0);
}

/*
 * The event of the current task with @stack, with @pages more allocated
 * through it: its handle, or 0 if it was not kept.
 */
static __always_inline u32 pgc_save_event(unsigned int order, gfp_t gfp,
					  bool is_free, u32 stack, u32 pages,
					  u32 now)
{
	struct pgc_event_key key __uninitialized;
	unsigned long words[TASK_COMM_LEN / sizeof(unsigned long)] __uninitialized;
	struct pgc_track_event *e;
	u32 hash, handle, old_stack = 0;
	s64 old;
	int way;

	key.stack = stack;
	key.pid = task_pid_nr(current);
	key.gfp = gfp;
	key.order = order;
	key.is_free = is_free;
	memcpy(key.comm, current->comm, sizeof(key.comm));
	key.comm[sizeof(key.comm) - 1] = '\0';
	memcpy(words, key.comm, sizeof(key.comm));
	hash = pgc_hash_words(words, ARRAY_SIZE(words),
			      ((u64)key.stack << 32 | (u32)key.pid) ^
			      ((u64)((__force u32)gfp ^ (order << 24) ^
				     ((u32)is_free << 31)) << 16));
	handle = pgc_find(&pgc_events, hash, pgc_event_match, &key, now);
	if (handle && (!pages || pgc_event_count(handle, pages)))
		return handle;
	way = pgc_claim(&pgc_events, hash, now, &old);
	if (way < 0)
		return PGC_DROPPED;
	e = container_of(pgc_entry(&pgc_events, way), struct pgc_track_event, head);
	if ((u32)old && !e->is_free)	/* the stack no longer needed by this event */
		old_stack = e->stack;
	e->stack = key.stack;
	e->pid = key.pid;
	e->gfp = key.gfp;
	e->order = key.order;
	e->is_free = key.is_free;
	memcpy(e->comm, key.comm, sizeof(e->comm));
	handle = pgc_publish(&pgc_events, way, hash, old, pages, now);
	if (old_stack)
		pgc_count_add(&pgc_stacks, old_stack, -1, false);
	if (!is_free)
		pgc_count_add(&pgc_stacks, stack, 1, false);
	return handle;
}

/* --- records -------------------------------------------------------------- */

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

/* The current stack, for an allocation recorded later: its handle, or 0. */
u32 notrace pgc_track_stack_here(void)
{
	return pgc_save_stack(true, pgc_now());
}

/*
 * Every page of the block gets the record, so that a page freed after
 * split_page() or a folio split still finds its allocation. A page still
 * counted in another event (its free was not seen) is taken back from it.
 */
static __always_inline void pgc_track_alloc_record(struct page *page,
						   unsigned int order,
						   gfp_t gfp, u32 stack, u32 now)
{
	struct pgc_track_page *rec = pgc_records(page, order);
	struct pgc_run run = { 0 };
	u32 handle, i;

	if (!rec)
		return;
	handle = pgc_save_event(order, gfp, false, stack, 1U << order, now);
	smp_wmb();			/* the event before the records naming it */
	for (i = 0; i < (1U << order); i++) {
		u32 free = READ_ONCE(rec[i].free);

		pgc_run_uncount(&run, &rec[i], free);
		WRITE_ONCE(rec[i].alloc, handle);
		WRITE_ONCE(rec[i].alloc_time, now);
		WRITE_ONCE(rec[i].free, free & ~PGC_FREED);
	}
	pgc_run_end(&run);
}

/* Whether stack @handle has a frame in [@start, @end); false if recycled. */
static bool notrace pgc_stack_within(u32 handle, unsigned long start, unsigned long end)
{
	const struct pgc_track_stack *s;
	struct pgc_entry *head;
	unsigned int nr, i;
	bool within = false;
	u32 seq;

	head = pgc_get(&pgc_stacks, handle, &seq);
	if (!head)
		return false;
	s = container_of(head, struct pgc_track_stack, head);
	nr = min_t(u32, READ_ONCE(s->nr), PGC_PROV_DEPTH);
	for (i = 0; i < nr && !within; i++) {
		unsigned long ip = data_race(s->entries[i]);

		within = ip >= start && ip < end;
	}
	return within && pgc_unchanged(head, seq);
}

/* watch=: the allocation, and whether watch_alloc='s function made it. */
static void notrace pgc_track_watch_alloc(struct page *page, unsigned int order, u32 stack)
{
	unsigned long start, end;

	pgc_watch_alloc(page, order, stack, pgc_watch_function(&start, &end) &&
			pgc_stack_within(stack, start, end));
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
	pgc_track_alloc_record(page, order, gfp, stack, pgc_now());
	if (static_branch_unlikely(&pgc_watch_key))
		pgc_track_watch_alloc(page, order, stack);
}

/* kmem:mm_page_alloc: record the allocation, in the allocating context. */
void notrace pgc_track_alloc_probe(void *data, struct page *page,
				   unsigned int order, gfp_t gfp, int migratetype)
{
	u32 now, stack;

	if (!page)			/* the allocation failed */
		return;
	now = pgc_now();
	stack = pgc_save_stack(false, now);
	pgc_track_alloc_record(page, order, gfp, stack, now);
	if (static_branch_unlikely(&pgc_watch_key))
		pgc_track_watch_alloc(page, order, stack);
}

/* kmem:mm_page_free, after the audit: record the free of the block. */
void notrace pgc_track_free_probe(void *data, struct page *page,
				  unsigned int order)
{
	struct pgc_track_page *rec = pgc_records(page, order);
	struct pgc_run run = { 0 };
	u32 handle, now, i;

	if (static_branch_unlikely(&pgc_watch_key))
		pgc_watch_free(page, order);
	if (!rec)
		return;
	now = pgc_now();
	handle = pgc_save_event(order, 0, true, pgc_save_stack(false, now), 0, now);
	smp_wmb();			/* the event before the records naming it */
	for (i = 0; i < (1U << order); i++) {
		pgc_run_uncount(&run, &rec[i], READ_ONCE(rec[i].free));
		WRITE_ONCE(rec[i].free, handle | PGC_FREED);
		WRITE_ONCE(rec[i].free_time, now);
	}
	pgc_run_end(&run);
}

/**
 * pgc_track_copy() - a block migrated: its new pages take over its records
 * @to: the first new page
 * @from: the first old page
 * @order: the block's order
 *
 * As page_owner does, so that a page keeps the allocation of the data it
 * holds, whoever allocated the page migration moved it to. The old pages
 * stay counted until they are freed.
 */
void notrace pgc_track_copy(struct page *to, struct page *from, unsigned int order)
{
	struct pgc_track_page *dst = pgc_records(to, order);
	struct pgc_track_page *src = pgc_records(from, order);
	struct pgc_run old = { 0 }, new = { 0 };
	unsigned int i;

	if (!dst || !src)
		return;
	for (i = 0; i < (1U << order); i++) {
		u32 alloc = READ_ONCE(src[i].alloc);

		pgc_run_uncount(&old, &dst[i], READ_ONCE(dst[i].free));
		if (alloc && alloc != new.handle) {
			if (new.pages)
				pgc_event_count(new.handle, new.pages);
			new.handle = alloc;
			new.pages = 0;
		}
		new.pages += !!alloc;
		WRITE_ONCE(dst[i].alloc, alloc);
		WRITE_ONCE(dst[i].alloc_time, READ_ONCE(src[i].alloc_time));
		WRITE_ONCE(dst[i].free, READ_ONCE(src[i].free) & ~PGC_FREED);
	}
	if (new.pages)
		pgc_event_count(new.handle, new.pages);
	pgc_run_end(&old);
}

/* --- reports -------------------------------------------------------------- */

/*
 * Copy event @handle, recorded for a page at @time, into @out; or say
 * why not. A handle to an entry written again since, or an entry written
 * after @time, is evicted: never shown as another page's event.
 */
static void pgc_copy_event(u32 handle, u32 time, struct pgc_prov_event *out)
{
	const struct pgc_track_event *e;
	const struct pgc_track_stack *s;
	struct pgc_entry *head;
	u32 seq, stack_seq, stack, created;
	unsigned int nr;

	memset(out, 0, sizeof(*out));
	out->missing = PGC_MISSING_DROPPED;
	if (handle == PGC_DROPPED)
		return;
	out->missing = PGC_MISSING_EVICTED;
	head = pgc_get(&pgc_events, handle, &seq);
	if (!head)
		return;
	e = container_of(head, struct pgc_track_event, head);
	stack = READ_ONCE(e->stack);
	created = READ_ONCE(head->created);
	out->pid = READ_ONCE(e->pid);
	out->gfp = READ_ONCE(e->gfp);
	out->order = READ_ONCE(e->order);
	memcpy(out->comm, e->comm, sizeof(out->comm));
	if (!pgc_unchanged(head, seq) || (s32)(created - time) > 0)
		return;
	if (stack == PGC_DROPPED)
		out->missing = PGC_MISSING_DROPPED;
	head = pgc_get(&pgc_stacks, stack, &stack_seq);
	if (!head)
		return;
	s = container_of(head, struct pgc_track_stack, head);
	nr = min_t(u32, READ_ONCE(s->nr), PGC_PROV_DEPTH);
	memcpy(out->stack, s->entries, nr * sizeof(out->stack[0]));
	if (!pgc_unchanged(head, stack_seq) ||
	    (s32)(READ_ONCE(head->created) - created) > 0)
		return;
	out->comm[sizeof(out->comm) - 1] = '\0';
	out->nr_entries = nr;
	out->stack_id = stack;
	out->ts_ns = pgc_time_ns(time);
	out->missing = PGC_MISSING_NONE;
}

/**
 * pgc_track_lookup() - the provenance of one page frame, as it is now
 * @pfn: the page frame
 * @prov: filled in
 *
 * Called when a bad free is reported, before that free is recorded: the
 * last free is then the one before it. Any context.
 */
void pgc_track_lookup(unsigned long pfn, struct pgc_provenance *prov)
{
	const struct pgc_track_page *rec;
	u32 alloc, free;

	memset(prov, 0, sizeof(*prov));
	if (!smp_load_acquire(&pgc_track_enabled)) {
		prov->state = PGC_PROV_OFF;
		prov->alloc.missing = PGC_MISSING_OFF;
		prov->free.missing = PGC_MISSING_OFF;
		return;
	}
	if (pfn < pgc_first_pfn || pfn >= pgc_end_pfn) {
		prov->state = PGC_PROV_UNTRACKED;
		prov->alloc.missing = PGC_MISSING_UNTRACKED;
		prov->free.missing = PGC_MISSING_UNTRACKED;
		return;
	}
	rec = &pgc_pages[pfn - pgc_first_pfn];
	alloc = READ_ONCE(rec->alloc);
	free = READ_ONCE(rec->free);
	smp_rmb();			/* the records before the events they name */
	if (!alloc && !free) {
		prov->state = PGC_PROV_BEFORE;
		prov->alloc.missing = PGC_MISSING_BEFORE;
		prov->free.missing = PGC_MISSING_BEFORE;
		return;
	}
	prov->state = free & PGC_FREED ? PGC_PROV_FREED : PGC_PROV_ALLOCATED;
	if (alloc)
		pgc_copy_event(alloc, READ_ONCE(rec->alloc_time), &prov->alloc);
	else
		prov->alloc.missing = PGC_MISSING_UNHOOKED;
	if (free & ~PGC_FREED)
		pgc_copy_event(free & ~PGC_FREED, READ_ONCE(rec->free_time), &prov->free);
	else
		prov->free.missing = PGC_MISSING_BEFORE;
}

/* --- set-up --------------------------------------------------------------- */

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

/* The entries of a table asked for: a power of two within the bounds. */
unsigned int pgc_track_table_size(unsigned int entries)
{
	return roundup_pow_of_two(clamp_t(unsigned int, entries, PGC_TABLE_MIN,
					  PGC_TABLE_MAX));
}

/* Events for the memory present now: one per 64 pages, within bounds. */
unsigned int pgc_track_default_events(void)
{
	unsigned long first, end;

	pgc_track_span(&first, &end);
	return rounddown_pow_of_two(clamp_t(unsigned long, (end - first) / PGC_PAGES_PER_EVENT,
					    PGC_EVENTS_MIN, PGC_EVENTS_MAX));
}

/* Memory onlined after tracking began is outside the records: say so, once per block. */
static int pgc_track_memory_event(struct notifier_block *nb, unsigned long action,
				  void *data)
{
	const struct memory_notify *mn = data;

	if (action == MEM_ONLINE &&
	    (mn->start_pfn < pgc_first_pfn || mn->start_pfn + mn->nr_pages > pgc_end_pfn))
		pr_warn("track=1: memory onlined at pfns %#lx-%#lx is not tracked; switch track off and on to track it\n",
			mn->start_pfn, mn->start_pfn + mn->nr_pages);
	return NOTIFY_OK;
}

static struct notifier_block pgc_track_memory_nb = {
	.notifier_call = pgc_track_memory_event,
};

static void pgc_track_free_tables(void)
{
	vfree(pgc_pages);
	pgc_pages = NULL;
	pgc_table_free(&pgc_events);
	pgc_table_free(&pgc_stacks);
}

/**
 * pgc_track_init() - allocate the records and tables, and start answering
 * @events: entries of the event table, 0 for the default
 * @stacks: entries of the stack table, 0 for a quarter of @events
 *
 * Process context. The probes are attached after (hook_track.c).
 */
int pgc_track_init(unsigned int events, unsigned int stacks)
{
	unsigned long pages;
	int ret = 0;

	mutex_lock(&pgc_track_lock);
	pgc_track_span(&pgc_first_pfn, &pgc_end_pfn);
	pages = pgc_end_pfn - pgc_first_pfn;
	events = pgc_track_table_size(events ?: pgc_track_default_events());
	stacks = pgc_track_table_size(stacks ?: events / PGC_EVENTS_PER_STACK);
	pgc_pages = pgc_vzalloc(array_size(pages, sizeof(*pgc_pages)));
	if (!pgc_pages ||
	    pgc_table_alloc(&pgc_events, events, sizeof(struct pgc_track_event)) ||
	    pgc_table_alloc(&pgc_stacks, stacks, sizeof(struct pgc_track_stack))) {
		pr_err("track=1: cannot allocate %lu bytes of page records and %llu of tables\n",
		       pages * sizeof(*pgc_pages),
		       (u64)events * (sizeof(struct pgc_track_event) + sizeof(u32)) +
		       (u64)stacks * (sizeof(struct pgc_track_stack) + sizeof(u32)));
		pgc_track_free_tables();
		ret = -ENOMEM;
		goto out;
	}
	atomic64_set(&pgc_outside, 0);
	atomic64_set(&pgc_refs_lost, 0);
	pgc_since_ns = local_clock();
	register_memory_notifier(&pgc_track_memory_nb);
	smp_store_release(&pgc_track_enabled, true);
out:
	mutex_unlock(&pgc_track_lock);
	return ret;
}

/*
 * Stop answering and free everything; once the probes are detached. A
 * report being built may still read the tables: wait for it, in any
 * backend (tracepoint probes run under SRCU on 7.x, the others with
 * preemption off).
 */
void pgc_track_exit(void)
{
	mutex_lock(&pgc_track_lock);
	if (pgc_pages) {
		unregister_memory_notifier(&pgc_track_memory_nb);
		WRITE_ONCE(pgc_track_enabled, false);
		tracepoint_synchronize_unregister();
		synchronize_rcu();
		pgc_track_free_tables();
	}
	mutex_unlock(&pgc_track_lock);
}

static void pgc_track_read_stats(struct pgc_track_stats *st)
{
	st->since_ns = pgc_since_ns;
	st->first_pfn = pgc_first_pfn;
	st->end_pfn = pgc_end_pfn;
	st->table_bytes = (u64)(pgc_end_pfn - pgc_first_pfn) * sizeof(*pgc_pages);
	pgc_table_stats(&pgc_events, &st->events);
	pgc_table_stats(&pgc_stacks, &st->stacks);
	st->outside = atomic64_read(&pgc_outside);
	st->refs_lost = atomic64_read(&pgc_refs_lost);
}

void pgc_track_get_stats(struct pgc_track_stats *st)
{
	memset(st, 0, sizeof(*st));
	mutex_lock(&pgc_track_lock);
	st->enabled = READ_ONCE(pgc_track_enabled);
	if (st->enabled)
		pgc_track_read_stats(st);
	mutex_unlock(&pgc_track_lock);
}
