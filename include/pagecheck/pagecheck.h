/* SPDX-License-Identifier: GPL-2.0 */
/* pagecheck core: the audit entry point, the report store and the hooks. */
#ifndef PAGECHECK_PAGECHECK_H
#define PAGECHECK_PAGECHECK_H

#include <linux/types.h>
#include <linux/sched.h>
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include "pagecheck/rules.h"

#ifndef PGC_VERSION
#error "PGC_VERSION comes from the VERSION file through Kbuild"
#endif

#define PGC_STACK_DEPTH_MAX	64
#define PGC_MAX_REPORTS_LIMIT	65536

/* --- settings (module parameters) ---------------------------------------- */

struct pgc_settings {
	bool enabled;
	bool printk;
	bool panic_on_report;
	bool hash_pointers;
	bool kernel_verdict;		/* load time */
	unsigned int max_reports;	/* load time */
	unsigned int stack_depth;	/* at most stack_capacity */
	unsigned int stack_capacity;	/* stack_depth at load time */
};

extern struct pgc_settings pgc_settings;
DECLARE_STATIC_KEY_TRUE(pgc_enabled_key);

/* --- per-cpu counters ---------------------------------------------------- */

struct pgc_cpu_stats {
	unsigned long frees;
	unsigned long calls;
	unsigned long tail_pages;	/* pages beyond the first of each free */
	unsigned long busy_drops;
	unsigned long rule[PGC_NR_REASONS];
};

DECLARE_PER_CPU(struct pgc_cpu_stats, pgc_cpu_stats);

/* --- what a bad free looks like ------------------------------------------ */

enum pgc_context {
	PGC_CTX_TASK,
	PGC_CTX_SOFTIRQ,
	PGC_CTX_HARDIRQ,
	PGC_CTX_NMI,
	PGC_NR_CONTEXTS
};

struct pgc_report {
	u64 id;
	u64 count;
	u64 first_ns;
	u64 last_ns;
	u32 reasons;
	u32 stack_hash;
	u32 hash_next;			/* slot index + 1, 0 ends the chain */
	u32 bad_subpages;		/* tail/sub-pages that broke a rule */
	u32 first_bad_index;		/* 0 if none */
	u16 nr_entries;
	u16 caller;			/* stack index named in the title */
	u8 context;
	u8 order;
	u8 last_order;
	unsigned long pfn;		/* the first free of this report */
	unsigned long last_pfn;		/* the latest */
	const void *page;
	struct pgc_page_snap head;
	struct pgc_page_snap bad_tail;
	int cpu;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	char kernel_reason[48];		/* bad_page()'s reason, with kernel_verdict=1 */
	unsigned long stack[];		/* stack_capacity entries */
};

struct pgc_store_stats {
	u64 violations;			/* since the last clear */
	u64 stored_sum;			/* sum of count over stored reports */
	u64 dropped_full;
	u64 dropped_busy;
	u32 unique;
	u32 capacity;
	size_t bytes;
};

/* audit.c */
void pgc_audit_slow(const void *probe_data, struct page *page, unsigned int order);
void pgc_audit_call(struct page *page, unsigned int order);
const char *pgc_context_name(unsigned int context);

/**
 * __pgc_audit_free() - audit one free reaching the buddy allocator
 * @page: head page, as passed to trace_mm_page_free()
 * @order: order of the block
 *
 * Inlined into each backend's probe: a clean order-0 free costs a counter
 * increment and the raw filter, with no call, lock or atomic. The
 * tracepoint backend calls it directly and implements enabled=0 by
 * unregistering its probe; the others test pgc_enabled_key first.
 */
static __always_inline void __pgc_audit_free(struct page *page, unsigned int order)
{
	this_cpu_inc(pgc_cpu_stats.frees);
	if (likely(!pgc_free_maybe_bad(page, order)))
		return;
	pgc_audit_slow(NULL, page, order);
}

static __always_inline void pgc_audit_free(struct page *page, unsigned int order)
{
	if (static_branch_likely(&pgc_enabled_key))
		__pgc_audit_free(page, order);
}

/* store.c */
int pgc_store_init(unsigned int capacity, unsigned int stack_capacity);
void pgc_store_exit(void);
size_t pgc_report_size(void);
bool pgc_store_add(struct pgc_report *rec, bool *is_new, bool *first_full);
void pgc_store_drop_busy(void);
bool pgc_store_copy(u32 index, struct pgc_report *dst);
void pgc_store_clear(void);
void pgc_store_get_stats(struct pgc_store_stats *st);
size_t pgc_scratch_bytes(void);
int pgc_audit_init(void);
void pgc_audit_exit(void);

/* report.c */
struct seq_file;
void pgc_report_text(struct seq_file *m, const struct pgc_report *r);
void pgc_report_json(struct seq_file *m, const struct pgc_report *r);
void pgc_report_printk(const struct pgc_report *r, unsigned long suppressed);
unsigned int pgc_find_caller(const unsigned long *stack, unsigned int nr,
			     char *symbol);

/* debugfs.c */
void pgc_debugfs_init(void);
void pgc_debugfs_exit(void);

/* hooks: the core does not know which backend feeds it */
struct pgc_hook {
	const char *name;
	int (*attach)(void);		/* logs why it failed */
	void (*detach)(void);
	void (*show)(struct seq_file *m);	/* "hook_target:" lines */
	void (*set_enabled)(bool on);	/* optional; else pgc_enabled_key */
};

extern const struct pgc_hook pgc_hook_tracepoint;
extern const struct pgc_hook pgc_hook_ftrace;
extern const struct pgc_hook pgc_hook_kprobe;
extern const struct pgc_hook *pgc_active_hook;

/* hook.c */
struct pgc_target;
void pgc_dispatch(const struct pgc_target *t, unsigned long arg0,
		  unsigned long arg1);
int pgc_hook_attach(const char *requested);
const char *pgc_hook_error(int err);
struct pgc_target_set;
int pgc_hook_try_sets(const char *backend,
		      int (*try_set)(const struct pgc_target_set *set));
void pgc_hook_detach(void);
void pgc_hook_set_enabled(bool on);
extern const char *const pgc_hook_names[];

/* verdict.c: the kernel's own bad_page() verdict */
struct pgc_verdict_stats {
	u64 seen;
	u64 agree;
	u64 disagree;
	u64 kernel_only;
};
int pgc_verdict_attach(void);
void pgc_verdict_detach(void);
void pgc_verdict_get_stats(struct pgc_verdict_stats *st);
bool pgc_store_kernel_verdict(unsigned long pfn, const char *reason,
			      bool *agree);

#endif /* PAGECHECK_PAGECHECK_H */
