/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch=: refcount history with hardware watchpoints. After a report, the
 * next page allocated from the report's allocation stack is watched: every
 * write to its _refcount, _mapcount and mapping is recorded, and if that
 * page is freed badly its report carries the history.
 */
#ifndef PAGECHECK_WATCH_H
#define PAGECHECK_WATCH_H

#include <linux/jump_label.h>
#include <linux/sched.h>
#include <linux/types.h>

struct page;
struct seq_file;

#define PGC_WATCH_EVENTS	64	/* per page; older ones are counted */
#define PGC_WATCH_DEPTH		8	/* stack entries per write */

enum pgc_watch_field {
	PGC_WATCH_REFCOUNT,
	PGC_WATCH_MAPCOUNT,
	PGC_WATCH_MAPPING,
	PGC_NR_WATCH_FIELDS
};

struct pgc_watch_event {
	u64 ts_ns;
	u64 old, new;
	pid_t pid;
	u8 field;			/* enum pgc_watch_field */
	u8 context;			/* as a report's */
	u8 nr_entries;
	char comm[TASK_COMM_LEN];
	unsigned long stack[PGC_WATCH_DEPTH];
};

/* What a watched page saw, from its arming to its free. */
struct pgc_watch_history {
	u64 report_id;
	unsigned long pfn;
	u64 window_ns;			/* from its allocation to the arming */
	u32 nr;				/* writes seen; the last PGC_WATCH_EVENTS kept */
	struct pgc_watch_event ev[PGC_WATCH_EVENTS];
};

DECLARE_STATIC_KEY_FALSE(pgc_watch_key);

/* Whether this kernel can watch at all; else why not. */
const char *pgc_watch_unsupported(void);

int pgc_watch_set(const char *val);	/* "off", "auto" or a fingerprint */
int pgc_watch_get(char *buf);
bool pgc_watch_on(void);
void pgc_watch_stop(void);		/* process context: disarms everything */

/* From track=1's probes, under pgc_watch_key; any context. */
void pgc_watch_alloc(struct page *page, unsigned int order, u32 stack);
void pgc_watch_free(struct page *page, unsigned int order);

/* From a report, any context: keep the page's history, add a target. */
void pgc_watch_report(u64 report_id, bool is_new, u64 fingerprint,
		      unsigned long pfn, unsigned int order, u32 alloc_stack);

/* The history a report carries, copied out; false if none. */
bool pgc_watch_history(u64 report_id, struct pgc_watch_history *out);
const char *pgc_watch_field_name(unsigned int field);
void pgc_watch_show(struct seq_file *m);

#endif /* PAGECHECK_WATCH_H */
