/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report store: max_reports slots allocated at load, deduplicated by
 * (reasons, stack). Safe in any context; NMI only trylocks.
 */
#ifndef PAGECHECK_STORE_H
#define PAGECHECK_STORE_H

#include <linux/types.h>
#include "pagecheck/report.h"

struct pgc_store_stats {
	u64 violations;			/* since the last clear, busy drops included */
	u64 stored_sum;			/* sum of count over stored reports */
	u64 dropped_full;
	u64 dropped_busy;
	u32 unique;
	u32 capacity;
	size_t bytes;
};

/* What pgc_store_add() did with a violation. */
enum pgc_store_result {
	PGC_STORED_NEW,
	PGC_STORED_DUPLICATE,
	PGC_DROPPED_FULL,
	PGC_DROPPED_BUSY,
};

int pgc_store_init(unsigned int capacity, unsigned int stack_capacity);
int pgc_store_track_init(void);
void pgc_store_exit(void);
size_t pgc_store_report_size(void);
enum pgc_store_result pgc_store_add(struct pgc_report *rec, bool *first_full);
void pgc_store_drop_busy(void);
bool pgc_store_copy(u32 index, struct pgc_report *dst);
unsigned int pgc_store_latest(u32 *index, unsigned int max);
bool pgc_store_copy_at_panic(u32 index, struct pgc_report *dst);
void pgc_store_clear(void);
void pgc_store_get_stats(struct pgc_store_stats *st);
bool pgc_store_add_verdict(unsigned long pfn, int reason, bool *agree);

#endif /* PAGECHECK_STORE_H */
