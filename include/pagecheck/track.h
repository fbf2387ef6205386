/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Provenance (track=1): who allocated each page and who freed it last.
 * Every page frame present when tracking began has a 16-byte record that
 * names two events, each a stack with its task, gfp and order. Events and
 * stacks live in tables that recycle their least recently used entries,
 * so recording never stops; an entry that pages still allocated need is
 * recycled last. Recording is lock-free and allocates nothing, so it runs
 * in any context, NMI included.
 */
#ifndef PAGECHECK_TRACK_H
#define PAGECHECK_TRACK_H

#include <linux/gfp.h>
#include <linux/types.h>
#include "pagecheck/report.h"

struct page;

/* One table's fill and what it had to give up. */
struct pgc_track_table_stats {
	u32 used, capacity;		/* entries written at least once, of all */
	u32 pinned;			/* needed by pages still allocated */
	u64 created;			/* entries written: keys not in the table */
	u64 recycled;			/* written over an entry nothing needed */
	u64 evicted;			/* written over an entry still needed */
	u64 busy;			/* not kept: every way was being written */
	u64 oldest_ns;			/* local_clock() of the oldest entry kept */
	u64 bytes;
};

struct pgc_track_stats {
	bool enabled;
	u64 since_ns;			/* local_clock() when tracking began */
	unsigned long first_pfn, end_pfn;
	u64 table_bytes;		/* per-page records */
	struct pgc_track_table_stats events, stacks;
	u64 outside;			/* frees and allocations outside the records */
	u64 refs_lost;			/* frees of pages their event had not counted */
};

extern bool pgc_track_enabled;

int pgc_track_init(unsigned int events, unsigned int stacks);
void pgc_track_exit(void);
unsigned int pgc_track_default_events(void);
unsigned int pgc_track_table_size(unsigned int entries);

/* The probes on kmem:mm_page_alloc and kmem:mm_page_free (hook_track.c). */
void pgc_track_alloc_probe(void *data, struct page *page, unsigned int order,
			   gfp_t gfp, int migratetype);
void pgc_track_free_probe(void *data, struct page *page, unsigned int order);
u32 pgc_track_stack_here(void);
void pgc_track_alloc_stack(struct page *page, unsigned int order, gfp_t gfp,
			   u32 stack);
void pgc_track_copy(struct page *to, struct page *from, unsigned int order);

void pgc_track_lookup(unsigned long pfn, struct pgc_provenance *prov);
void pgc_track_get_stats(struct pgc_track_stats *st);

#endif /* PAGECHECK_TRACK_H */
