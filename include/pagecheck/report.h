/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a bad free looks like: the reasons, the raw page words that were
 * judged, and the stored report. Data and its layout only: no kernel state.
 */
#ifndef PAGECHECK_REPORT_H
#define PAGECHECK_REPORT_H

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/types.h>

enum pgc_reason {
	/* page_bad_reason() */
	PGC_R_MAPCOUNT,
	PGC_R_MAPPING,
	PGC_R_REFCOUNT,
	PGC_R_FLAGS,
	PGC_R_MEMCG,
	PGC_R_PAGE_POOL,
	/* free_tail_page(s)_check() / free_tail_page_prepare() */
	PGC_R_COMPOUND_MAPCOUNT,
	PGC_R_ENTIRE_MAPCOUNT,
	PGC_R_LARGE_MAPCOUNT,
	PGC_R_NR_PAGES_MAPPED,
	PGC_R_PINCOUNT,
	PGC_R_MM_MAPCOUNT0,
	PGC_R_MM_MAPCOUNT1,
	PGC_R_DEFERRED_LIST,
	PGC_R_TAIL_MAPPING,
	PGC_R_NOT_TAIL,
	PGC_R_HEAD_MISMATCH,
	/* pagecheck's own */
	PGC_R_BUDDY,
	PGC_R_REFCOUNT_NEGATIVE,
	PGC_R_DOUBLE_FREE,
	PGC_NR_REASONS
};

#define PGC_BIT(r)	(1U << (r))

enum pgc_context {
	PGC_CTX_TASK,
	PGC_CTX_SOFTIRQ,
	PGC_CTX_HARDIRQ,
	PGC_CTX_NMI,
	PGC_NR_CONTEXTS
};

/* The raw words of one struct page, each read once. */
struct pgc_page_snap {
	unsigned long flags;
	unsigned long head_word;	/* compound_head / pp_magic / lru.next */
	unsigned long mapping;
	int mapcount;			/* raw _mapcount (page_type) */
	int refcount;
	unsigned long memcg_data;
};

/*
 * The folio fields of page[1] and page[2] that the tail rules read. Counts
 * are stored the kernel's way (-1 means none). deferred_next is the raw
 * next pointer of the deferred-split list, deferred_self the address of
 * the list head in the page: equal when the list is empty or does not
 * apply. No padding, so that a copy on the stack costs nothing to clear.
 */
struct pgc_folio_snap {
	int mm_mapcount0;
	int mm_mapcount1;
	int entire_mapcount;
	int large_mapcount;
	int nr_pages_mapped;
	int pincount;
	unsigned long deferred_next;
	unsigned long deferred_self;
};

enum pgc_provenance_state {
	PGC_PROV_OFF,			/* track=0 at the bad free */
	PGC_PROV_UNTRACKED,		/* the pfn is outside the records */
	PGC_PROV_BEFORE,		/* nothing seen since tracking began */
	PGC_PROV_ALLOCATED,		/* allocated since its last free */
	PGC_PROV_FREED,			/* freed, no allocation seen since */
};

/* Why an allocation or a free of a report's page is not known. */
enum pgc_prov_missing {
	PGC_MISSING_NONE,		/* known: the event below */
	PGC_MISSING_OFF,		/* track=0 at the bad free */
	PGC_MISSING_UNTRACKED,		/* outside the memory tracked */
	PGC_MISSING_BEFORE,		/* not seen since tracking began */
	PGC_MISSING_UNHOOKED,		/* freed since, then allocated unseen */
	PGC_MISSING_EVICTED,		/* its entry was recycled for another */
	PGC_MISSING_DROPPED,		/* not kept: its set was being written */
	PGC_NR_MISSING
};

#define PGC_PROV_DEPTH		16

/* One allocation or free of a page, copied out of track=1's tables. */
struct pgc_prov_event {
	u64 ts_ns;			/* local_clock(), to about a millisecond */
	pid_t pid;
	gfp_t gfp;			/* allocations only */
	u8 order;			/* allocations only */
	u8 missing;			/* enum pgc_prov_missing */
	u16 nr_entries;
	u32 stack_id;			/* track=1's handle of the stack */
	char comm[TASK_COMM_LEN];
	unsigned long stack[PGC_PROV_DEPTH];
};

/* What track=1 knew of the page at the bad free. */
struct pgc_provenance {
	u8 state;			/* enum pgc_provenance_state */
	struct pgc_prov_event alloc;	/* its last allocation */
	struct pgc_prov_event free;	/* the free before this one */
};

enum pgc_owner_kind {
	PGC_OWNER_NONE,			/* not decoded (track=0) */
	PGC_OWNER_UNKNOWN,		/* name says why */
	PGC_OWNER_FILE,
	PGC_OWNER_ANON,
	PGC_OWNER_KSM,
	PGC_OWNER_MOVABLE,
	PGC_OWNER_SLAB,
	PGC_OWNER_PAGE_POOL,
	PGC_OWNER_KERNEL,
	PGC_NR_OWNER_KINDS
};

/*
 * What the page belonged to, decoded from its words when the bad free was
 * reported. With track=1 it follows a report's stack (pgc_report_track()).
 */
struct pgc_owner {
	u8 kind;			/* enum pgc_owner_kind */
	bool has_file;			/* dev, ino, fstype and name are set */
	bool has_memcg;			/* cgroup_id and cgroup are set */
	u32 dev;			/* the superblock's s_dev */
	u64 ino;
	u64 cgroup_id;
	char fstype[16];
	char name[48];			/* a dentry's name, the pool's device, or why unknown */
	char cgroup[96];		/* the memcg's cgroup path */
};

/* One unique report: (reasons, stack) deduplicated, with its counts. */
struct pgc_report {
	u64 id;
	u64 count;
	u64 first_ns;			/* local_clock(): the clock of dmesg */
	u64 last_ns;
	u64 fingerprint;		/* the same bug's, on any machine */
	u32 reasons;
	u32 stack_hash;
	u32 hash_next;			/* store slot index + 1, 0 ends a chain */
	u32 bad_subpages;		/* sub-pages that broke a rule */
	u32 first_bad_index;		/* 0 if none */
	u16 nr_entries;
	u16 caller;			/* stack index named in the title */
	u8 context;			/* enum pgc_context */
	u8 order;
	u8 last_order;
	u8 kernel_reason;		/* bad_page()'s verdict: reason + 1, 0 none */
	bool compound;
	unsigned long pfn;		/* the first free of this report */
	unsigned long last_pfn;		/* the latest */
	const void *page;		/* identity only, never dereferenced */
	struct pgc_page_snap head;
	struct pgc_page_snap bad_tail;	/* first bad sub-page, if any */
	struct pgc_folio_snap folio;	/* if compound */
	int cpu;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	unsigned long stack[];		/* stack_capacity entries */
};

/*
 * What track=1 adds to a report. Readers and scratch space have room for
 * it after the stack; the store keeps it apart, allocated the first time
 * tracking is switched on (pgc_store_track_init()).
 */
struct pgc_report_track {
	struct pgc_provenance prov;
	struct pgc_owner owner;
};

/* The track=1 part of a report buffer with @stack_capacity stack entries. */
static inline struct pgc_report_track *pgc_report_track(const struct pgc_report *r,
							unsigned int stack_capacity)
{
	return (struct pgc_report_track *)ALIGN((unsigned long)(r->stack + stack_capacity),
						sizeof(u64));
}

/* The bytes of a report with @stack_capacity entries, with track=1's part or not. */
static inline size_t pgc_report_size(unsigned int stack_capacity, bool track)
{
	size_t size = ALIGN(offsetof(struct pgc_report, stack) +
			    stack_capacity * sizeof(unsigned long), sizeof(u64));

	return track ? size + sizeof(struct pgc_report_track) : size;
}

#endif /* PAGECHECK_REPORT_H */
