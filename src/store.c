// SPDX-License-Identifier: GPL-2.0
/*
 * The report store: a fixed array of max_reports slots allocated at load,
 * deduplicated by (reasons, stack) through a hash table of slot indexes,
 * and beside it, once tracking was on, each slot's provenance and owner.
 * One raw spinlock guards it; NMI only trylocks and counts a busy drop.
 *
 * Accounting: under the lock, violations == stored_sum + dropped_full, so
 * violations + dropped_busy == stored_sum + dropped_full + dropped_busy.
 */
#include <linux/atomic.h>
#include <linux/hardirq.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "pagecheck/compat.h"
#include "pagecheck/nmi_lock.h"
#include "pagecheck/store.h"

struct pgc_store {
	raw_spinlock_t lock;
	u8 *slots;
	struct pgc_report_track *track;	/* each slot's, once tracking was on */
	size_t stride;
	unsigned int stack_capacity;
	u32 *buckets;
	u32 nr_buckets;
	u32 capacity;
	u32 used;
	u64 next_id;
	u64 violations;
	u64 stored_sum;
	u64 dropped_full;
	size_t bytes;
};

static struct pgc_store pgc_store = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(pgc_store.lock),
};

/* Outside the lock: the lock is what is busy. */
static atomic64_t pgc_dropped_busy = ATOMIC64_INIT(0);

#define pgc_store_lock(flags) pgc_nmi_lock(&pgc_store.lock, flags)

/* The room a copy of a report needs: track=1's part included. */
size_t pgc_store_report_size(void)
{
	return pgc_report_size(pgc_store.stack_capacity, true);
}

static struct pgc_report *pgc_slot(u32 index)
{
	return (struct pgc_report *)(pgc_store.slots + index * pgc_store.stride);
}

int pgc_store_init(unsigned int capacity, unsigned int stack_capacity)
{
	size_t stride = pgc_report_size(stack_capacity, false);
	u32 nr_buckets = roundup_pow_of_two(capacity * 2);

	pgc_store.slots = vzalloc(array_size(capacity, stride));
	pgc_store.buckets = vzalloc(array_size(nr_buckets, sizeof(u32)));
	if (!pgc_store.slots || !pgc_store.buckets) {
		pgc_store_exit();
		return -ENOMEM;
	}
	pgc_store.stride = stride;
	pgc_store.stack_capacity = stack_capacity;
	pgc_store.capacity = capacity;
	pgc_store.nr_buckets = nr_buckets;
	pgc_store.used = 0;
	pgc_store.next_id = 1;
	pgc_store.bytes = capacity * stride + nr_buckets * sizeof(u32);
	return 0;
}

/*
 * Room for track=1's part of every report, the first time tracking is
 * switched on; kept until unload, so that reports keep their provenance.
 * Process context.
 */
int pgc_store_track_init(void)
{
	struct pgc_report_track *track;
	unsigned long flags;

	if (READ_ONCE(pgc_store.track))
		return 0;
	track = vzalloc(array_size(pgc_store.capacity, sizeof(*track)));
	if (!track)
		return -ENOMEM;
	raw_spin_lock_irqsave(&pgc_store.lock, flags);
	pgc_store.track = track;
	pgc_store.bytes += pgc_store.capacity * sizeof(*track);
	raw_spin_unlock_irqrestore(&pgc_store.lock, flags);
	return 0;
}

void pgc_store_exit(void)
{
	vfree(pgc_store.slots);
	vfree(pgc_store.buckets);
	vfree(pgc_store.track);
	pgc_store.slots = NULL;
	pgc_store.buckets = NULL;
	pgc_store.track = NULL;
}

/* A report's track=1 part into the store's, or out of it (zero: none). */
static void pgc_track_part_in(u32 index, const struct pgc_report *rec)
{
	struct pgc_store *st = &pgc_store;

	if (st->track)
		st->track[index] = *pgc_report_track(rec, st->stack_capacity);
}

static void pgc_track_part_out(u32 index, struct pgc_report *dst)
{
	struct pgc_store *st = &pgc_store;
	struct pgc_report_track *t = pgc_report_track(dst, st->stack_capacity);

	if (st->track)
		*t = st->track[index];
	else
		memset(t, 0, sizeof(*t));
}

static bool pgc_same_report(const struct pgc_report *a,
			    const struct pgc_report *b)
{
	return a->reasons == b->reasons && a->stack_hash == b->stack_hash &&
	       a->nr_entries == b->nr_entries &&
	       !memcmp(a->stack, b->stack, a->nr_entries * sizeof(a->stack[0]));
}

void pgc_store_drop_busy(void)
{
	atomic64_inc(&pgc_dropped_busy);
}

/**
 * pgc_store_add() - record one violation
 * @rec: the report; on return holds the stored id and count
 * @first_full: set on the first drop since load or clear because the
 *	store is full, so the caller can say so once
 */
enum pgc_store_result pgc_store_add(struct pgc_report *rec, bool *first_full)
{
	struct pgc_store *st = &pgc_store;
	enum pgc_store_result result;
	struct pgc_report *slot;
	unsigned long flags;
	u32 bucket, index;

	if (!pgc_store_lock(&flags)) {
		pgc_store_drop_busy();
		return PGC_DROPPED_BUSY;
	}
	st->violations++;

	bucket = rec->stack_hash & (st->nr_buckets - 1);
	for (index = st->buckets[bucket]; index; index = slot->hash_next) {
		slot = pgc_slot(index - 1);
		if (!pgc_same_report(slot, rec))
			continue;
		slot->count++;
		slot->last_ns = rec->first_ns;
		slot->last_pfn = rec->pfn;
		slot->last_order = rec->order;
		st->stored_sum++;
		rec->id = slot->id;
		rec->count = slot->count;
		result = PGC_STORED_DUPLICATE;
		goto out;
	}

	if (st->used >= st->capacity) {
		*first_full = !st->dropped_full++;
		result = PGC_DROPPED_FULL;
		goto out;
	}
	slot = pgc_slot(st->used);
	rec->id = st->next_id++;
	memcpy(slot, rec, st->stride);
	pgc_track_part_in(st->used, rec);
	slot->hash_next = st->buckets[bucket];
	st->buckets[bucket] = ++st->used;
	st->stored_sum += rec->count;
	result = PGC_STORED_NEW;
out:
	raw_spin_unlock_irqrestore(&st->lock, flags);
	return result;
}

/* Copy slot @index out under the lock, so a reader never sees a torn report. */
bool pgc_store_copy(u32 index, struct pgc_report *dst)
{
	struct pgc_store *st = &pgc_store;
	unsigned long flags;
	bool found = false;

	raw_spin_lock_irqsave(&st->lock, flags);
	if (index < st->used) {
		memcpy(dst, pgc_slot(index), st->stride);
		pgc_track_part_out(index, dst);
		found = true;
	}
	raw_spin_unlock_irqrestore(&st->lock, flags);
	return found;
}

static unsigned int pgc_store_latest_unlocked(u32 *index, unsigned int max)
{
	struct pgc_store *st = &pgc_store;
	unsigned int n = 0, k;
	u32 i, used = min(READ_ONCE(st->used), st->capacity);

	for (i = 0; i < used && max; i++) {
		u64 seen = pgc_slot(i)->last_ns;

		for (k = n; k > 0 && pgc_slot(index[k - 1])->last_ns < seen; k--)
			if (k < max)
				index[k] = index[k - 1];
		if (k < max) {
			index[k] = i;
			n = min(n + 1, max);
		}
	}
	return n;
}

/**
 * pgc_store_latest() - the reports seen most recently, newest first
 * @index: room for @max slot indexes
 * @max: how many at most
 *
 * For the panic notifier: the lock is taken only if free, since its holder
 * may be a CPU stopped for good. Returns how many indexes were written.
 */
unsigned int pgc_store_latest(u32 *index, unsigned int max)
{
	unsigned int n;

	if (raw_spin_trylock(&pgc_store.lock)) {
		n = pgc_store_latest_unlocked(index, max);
		raw_spin_unlock(&pgc_store.lock);
	} else {
		n = pgc_store_latest_unlocked(index, max);
	}
	return n;
}

static bool pgc_store_copy_unlocked(u32 index, struct pgc_report *dst)
{
	struct pgc_store *st = &pgc_store;

	if (index >= min(READ_ONCE(st->used), st->capacity))
		return false;
	memcpy(dst, pgc_slot(index), st->stride);
	pgc_track_part_out(index, dst);
	return true;
}

/* pgc_store_copy() for the panic notifier: the lock only if free. */
bool pgc_store_copy_at_panic(u32 index, struct pgc_report *dst)
{
	bool found;

	if (raw_spin_trylock(&pgc_store.lock)) {
		found = pgc_store_copy_unlocked(index, dst);
		raw_spin_unlock(&pgc_store.lock);
	} else {
		found = pgc_store_copy_unlocked(index, dst);
	}
	return found;
}

void pgc_store_clear(void)
{
	struct pgc_store *st = &pgc_store;
	unsigned long flags;

	raw_spin_lock_irqsave(&st->lock, flags);
	memset(st->buckets, 0, st->nr_buckets * sizeof(u32));
	st->used = 0;
	st->violations = 0;
	st->stored_sum = 0;
	st->dropped_full = 0;
	atomic64_set(&pgc_dropped_busy, 0);
	raw_spin_unlock_irqrestore(&st->lock, flags);
}

void pgc_store_get_stats(struct pgc_store_stats *out)
{
	struct pgc_store *st = &pgc_store;
	unsigned long flags;

	raw_spin_lock_irqsave(&st->lock, flags);
	out->violations = st->violations;
	out->stored_sum = st->stored_sum;
	out->dropped_full = st->dropped_full;
	out->unique = st->used;
	out->capacity = st->capacity;
	out->bytes = st->bytes;
	out->dropped_busy = atomic64_read(&pgc_dropped_busy);
	raw_spin_unlock_irqrestore(&st->lock, flags);
	out->violations += out->dropped_busy;
}

/* Does @r cover @pfn, in its first free (@latest false) or its latest? */
static bool pgc_report_covers(const struct pgc_report *r, unsigned long pfn,
			      bool latest)
{
	unsigned long first = latest ? r->last_pfn : r->pfn;
	unsigned int order = latest ? r->last_order : r->order;

	return pfn >= first && pfn - first < (1UL << order);
}

/**
 * pgc_store_add_verdict() - attach bad_page()'s verdict to our report
 * @pfn: the page the kernel rejected (a head or a tail)
 * @reason: the kernel's reason as an enum pgc_reason, or -1 if unknown
 * @agree: set when @reason is one of the report's reasons
 *
 * Return: false if no stored report covers @pfn.
 */
bool pgc_store_add_verdict(unsigned long pfn, int reason, bool *agree)
{
	struct pgc_store *st = &pgc_store;
	struct pgc_report *slot = NULL;
	unsigned long flags;
	unsigned int pass;
	u32 i;

	if (!pgc_store_lock(&flags))
		return false;
	/* the latest free of a deduplicated report is the likeliest match */
	for (pass = 0; pass < 2 && !slot; pass++)
		for (i = st->used; i-- > 0 && !slot;)
			if (pgc_report_covers(pgc_slot(i), pfn, !pass))
				slot = pgc_slot(i);
	if (slot) {
		slot->kernel_reason = reason < 0 ? U8_MAX : reason + 1;
		*agree = reason >= 0 && (slot->reasons & PGC_BIT(reason));
	}
	raw_spin_unlock_irqrestore(&st->lock, flags);
	return slot;
}
