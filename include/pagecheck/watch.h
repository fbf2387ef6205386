/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch=: refcount history with hardware watchpoints. After a report, the
 * next page allocated from the report's allocation stack is watched (or,
 * with watch_alloc=, the next page allocated under a named function):
 * every write to its _refcount, _mapcount and mapping is recorded, and if
 * that page is freed badly, or freed again, its report carries the
 * history.
 */
#ifndef PAGECHECK_WATCH_H
#define PAGECHECK_WATCH_H

#include <linux/build_bug.h>
#include <linux/jump_label.h>
#include <linux/sched.h>
#include <linux/types.h>

struct page;
struct seq_file;

#define PGC_WATCH_EVENTS	64	/* per page; older ones are counted */
#define PGC_WATCH_DEPTH		8	/* stack entries per write */
#define PGC_WATCH_STACKS	16	/* distinct stacks per page, recycled */
static_assert(PGC_WATCH_STACKS <= BITS_PER_LONG);	/* a bit each when printed */

enum pgc_watch_field {
	PGC_WATCH_REFCOUNT,
	PGC_WATCH_MAPCOUNT,
	PGC_WATCH_MAPPING,
	PGC_NR_WATCH_FIELDS
};

/* A writer's stack, kept once however many writes it made. */
struct pgc_watch_stack {
	u32 hash;			/* 0 while it is written */
	u8 nr_entries;
	unsigned long entries[PGC_WATCH_DEPTH];
};

struct pgc_watch_event {
	u64 ts_ns;
	u64 old, new;
	pid_t pid;
	u32 stack_hash;			/* of stacks[stack]; another: recycled */
	u8 stack;			/* index in the history's stacks */
	u8 field;			/* enum pgc_watch_field */
	u8 context;			/* as a report's */
	char comm[TASK_COMM_LEN];
};

/* What a watched page saw, from its arming to its free. */
struct pgc_watch_history {
	u64 report_id;
	unsigned long pfn;
	u64 window_ns;			/* from its allocation to the arming */
	u32 nr;				/* writes seen; the last PGC_WATCH_EVENTS kept */
	u32 nr_stacks;			/* stacks seen; the last PGC_WATCH_STACKS kept */
	struct pgc_watch_event ev[PGC_WATCH_EVENTS];
	struct pgc_watch_stack stacks[PGC_WATCH_STACKS];
};

/* @e's stack, or NULL if its entry was recycled for another. */
static inline const struct pgc_watch_stack *
pgc_watch_event_stack(const struct pgc_watch_history *h, const struct pgc_watch_event *e)
{
	const struct pgc_watch_stack *st = &h->stacks[e->stack % PGC_WATCH_STACKS];

	return st->hash == e->stack_hash ? st : NULL;
}

DECLARE_STATIC_KEY_FALSE(pgc_watch_key);

/* Whether this kernel can watch at all; else why not. */
const char *pgc_watch_unsupported(void);

int pgc_watch_set(const char *val);	/* "off", "auto" or a fingerprint */
int pgc_watch_get(char *buf);
int pgc_watch_alloc_set(const char *function);
int pgc_watch_alloc_get(char *buf);
bool pgc_watch_on(void);
void pgc_watch_stop(void);		/* process context: disarms everything */

/* From track=1's probes, under pgc_watch_key; any context. */
bool pgc_watch_function(unsigned long *start, unsigned long *end);
void pgc_watch_alloc(struct page *page, unsigned int order, u32 stack,
		     bool in_function);
void pgc_watch_free(struct page *page, unsigned int order);

/* From a report, any context: keep the page's history, add a target. */
void pgc_watch_report(u64 report_id, bool is_new, u64 fingerprint,
		      unsigned long pfn, unsigned int order, u32 alloc_stack);

/* The history a report carries, copied out; false if none. */
bool pgc_watch_history(u64 report_id, struct pgc_watch_history *out);
const char *pgc_watch_field_name(unsigned int field);
void pgc_watch_show(struct seq_file *m);

#endif /* PAGECHECK_WATCH_H */
