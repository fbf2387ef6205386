/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Provenance (track=1): who allocated each page and who freed it last.
 * Every page of memory present at load has a 16-byte record; the stacks
 * and the (stack, task, gfp, order) events they point at are kept once
 * each in fixed tables. Recording is lock-free and allocates nothing, so
 * it runs in any context, NMI included.
 */
#ifndef PAGECHECK_TRACK_H
#define PAGECHECK_TRACK_H

#include <linux/gfp.h>
#include <linux/sched.h>
#include <linux/types.h>
#include "pagecheck/report.h"

struct page;

#define PGC_TRACK_DEPTH		16

/* One allocation or free: deduplicated, immutable once published. */
struct pgc_track_event {
	u32 hash;
	u32 next;			/* bucket chain: event ref, 0 ends it */
	u32 stack;			/* stack ref, 0 if it was not stored */
	pid_t pid;
	gfp_t gfp;			/* allocations only */
	u8 order;
	bool is_free;
	char comm[TASK_COMM_LEN];
};

struct pgc_track_stats {
	bool enabled;
	unsigned long first_pfn, end_pfn;
	u64 table_bytes;		/* per-page records */
	u64 events_bytes, stacks_bytes;
	u32 events, events_max, stacks, stacks_max;
	u64 events_dropped, stacks_dropped, outside;
};

extern bool pgc_track_enabled;

int pgc_track_init(bool enable);
void pgc_track_exit(void);

/* The probes on kmem:mm_page_alloc and kmem:mm_page_free (hook_track.c). */
void pgc_track_alloc_probe(void *data, struct page *page, unsigned int order,
			   gfp_t gfp, int migratetype);
void pgc_track_free_probe(void *data, struct page *page, unsigned int order);
u32 pgc_track_stack_here(void);
void pgc_track_alloc_stack(struct page *page, unsigned int order, gfp_t gfp,
			   u32 stack);
void pgc_track_copy(struct page *to, struct page *from, unsigned int order);

void pgc_track_lookup(unsigned long pfn, struct pgc_provenance *prov);
const struct pgc_track_event *pgc_track_event(u32 ref);
unsigned int pgc_track_stack(u32 ref, const unsigned long **entries);
void pgc_track_get_stats(struct pgc_track_stats *st);

#endif /* PAGECHECK_TRACK_H */
