// SPDX-License-Identifier: GPL-2.0
/*
 * The report store: a fixed array of max_reports slots allocated at load,
 * deduplicated by (reasons, stack) through a hash table of slot indexes.
 * One raw spinlock guards it; NMI only trylocks and counts a busy drop.
 *
 * Accounting: under the lock, violations == sum(count) + dropped_full, so
 * violations + dropped_busy == sum(count) + dropped_full + dropped_busy.
 */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/hardirq.h>
#include "pagecheck/pagecheck.h"

struct pgc_store {
	raw_spinlock_t lock;
	u8 *slots;
	size_t stride;
	u32 *buckets;
	u32 nr_buckets;
	u32 capacity;
	u32 used;
	u64 next_id;
	u64 violations;
	u64 dropped_full;
	unsigned long busy_base;	/* sum of busy_drops at the last clear */
	size_t bytes;
};

static struct pgc_store pgc_store = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(pgc_store.lock),
};

size_t pgc_report_size(void)
{
	return pgc_store.stride;
}

static struct pgc_report *pgc_slot(u32 index)
{
	return (struct pgc_report *)(pgc_store.slots + index * pgc_store.stride);
}

int pgc_store_init(unsigned int capacity, unsigned int stack_capacity)
{
	size_t stride = ALIGN(struct_size((struct pgc_report *)NULL, stack,
					  stack_capacity), sizeof(u64));
	u32 nr_buckets = roundup_pow_of_two(capacity * 2);

	pgc_store.slots = vzalloc(array_size(capacity, stride));
	pgc_store.buckets = vzalloc(array_size(nr_buckets, sizeof(u32)));
	if (!pgc_store.slots || !pgc_store.buckets) {
		vfree(pgc_store.slots);
		vfree(pgc_store.buckets);
		pgc_store.slots = NULL;
		pgc_store.buckets = NULL;
		return -ENOMEM;
	}
	pgc_store.stride = stride;
	pgc_store.capacity = capacity;
	pgc_store.nr_buckets = nr_buckets;
	pgc_store.used = 0;
	pgc_store.next_id = 1;
	pgc_store.bytes = capacity * stride + nr_buckets * sizeof(u32);
	return 0;
}

void pgc_store_exit(void)
{
	vfree(pgc_store.slots);
	vfree(pgc_store.buckets);
	pgc_store.slots = NULL;
	pgc_store.buckets = NULL;
}

static bool pgc_same_report(const struct pgc_report *a,
			    const struct pgc_report *b)
{
	return a->reasons == b->reasons && a->stack_hash == b->stack_hash &&
	       a->nr_entries == b->nr_entries &&
	       !memcmp(a->stack, b->stack, a->nr_entries * sizeof(unsigned long));
}

static unsigned long pgc_busy_drops(void)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(pgc_cpu_stats, cpu).busy_drops;
	return sum;
}

void pgc_store_drop_busy(void)
{
	this_cpu_inc(pgc_cpu_stats.busy_drops);
}

/**
 * pgc_store_add() - record one violation
 * @rec: the report; on return holds the stored id and count
 * @is_new: set when @rec created a new unique report
 * @first_full: set on the first drop since load or clear because the
 *	store is full, so the caller can say so once
 *
 * Return: false if the violation was dropped (store full or busy).
 */
bool pgc_store_add(struct pgc_report *rec, bool *is_new, bool *first_full)
{
	struct pgc_store *st = &pgc_store;
	unsigned long flags;
	struct pgc_report *slot;
	u32 bucket, index;
	bool stored = false;

	if (in_nmi()) {
		if (!raw_spin_trylock_irqsave(&st->lock, flags)) {
			pgc_store_drop_busy();
			return false;
		}
	} else {
		raw_spin_lock_irqsave(&st->lock, flags);
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
		rec->id = slot->id;
		rec->count = slot->count;
		stored = true;
		goto out;
	}

	if (st->used >= st->capacity) {
		*first_full = !st->dropped_full++;
		goto out;
	}
	slot = pgc_slot(st->used);
	rec->id = st->next_id++;
	memcpy(slot, rec, struct_size(rec, stack, rec->nr_entries));
	slot->hash_next = st->buckets[bucket];
	st->buckets[bucket] = ++st->used;
	*is_new = true;
	stored = true;
out:
	raw_spin_unlock_irqrestore(&st->lock, flags);
	return stored;
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
		found = true;
	}
	raw_spin_unlock_irqrestore(&st->lock, flags);
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
	st->dropped_full = 0;
	st->busy_base = pgc_busy_drops();
	raw_spin_unlock_irqrestore(&st->lock, flags);
}

void pgc_store_get_stats(struct pgc_store_stats *out)
{
	struct pgc_store *st = &pgc_store;
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&st->lock, flags);
	out->violations = st->violations;
	out->dropped_full = st->dropped_full;
	out->unique = st->used;
	out->capacity = st->capacity;
	out->bytes = st->bytes;
	out->stored_sum = 0;
	for (i = 0; i < st->used; i++)
		out->stored_sum += pgc_slot(i)->count;
	out->dropped_busy = pgc_busy_drops() - st->busy_base;
	raw_spin_unlock_irqrestore(&st->lock, flags);
	out->violations += out->dropped_busy;
}

/**
 * pgc_store_kernel_verdict() - attach bad_page()'s reason to our report
 * @pfn: the page the kernel rejected (a head or a tail)
 * @reason: the kernel's reason string
 * @agree: set when @reason is one of the report's reasons
 *
 * Return: false if no stored report covers @pfn.
 */
bool pgc_store_kernel_verdict(unsigned long pfn, const char *reason,
			      bool *agree)
{
	struct pgc_store *st = &pgc_store;
	struct pgc_report *slot = NULL;
	char text[sizeof(slot->kernel_reason)] = "";
	unsigned long flags;
	unsigned int r;
	u32 i;

	if (reason)		/* a string literal in mm/page_alloc.c */
		strscpy(text, reason, sizeof(text));
	if (in_nmi()) {
		if (!raw_spin_trylock_irqsave(&st->lock, flags))
			return false;
	} else {
		raw_spin_lock_irqsave(&st->lock, flags);
	}
	/* the latest free of a deduplicated report is the likeliest match */
	for (i = st->used; i-- > 0 && !slot;) {
		struct pgc_report *s = pgc_slot(i);

		if (pfn >= s->last_pfn && pfn < s->last_pfn + (1UL << s->last_order))
			slot = s;
	}
	for (i = st->used; i-- > 0 && !slot;) {
		struct pgc_report *s = pgc_slot(i);

		if (pfn >= s->pfn && pfn < s->pfn + (1UL << s->order))
			slot = s;
	}
	if (slot) {
		memcpy(slot->kernel_reason, text, sizeof(text));
		for (r = 0; r < PGC_NR_REASONS; r++)
			if ((slot->reasons & PGC_BIT(r)) &&
			    !strcmp(pgc_reason_string(r), text))
				*agree = true;
	}
	raw_spin_unlock_irqrestore(&st->lock, flags);
	return slot;
}
