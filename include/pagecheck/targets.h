/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The functions the ftrace and kprobe backends attach to, grouped in sets:
 * a set is usable when every required symbol resolves on the running
 * kernel, and sets are tried in order, so the choice is made by symbol
 * lookup, not by version.
 */
#ifndef PAGECHECK_TARGETS_H
#define PAGECHECK_TARGETS_H

#include <linux/types.h>

#define PGC_MAX_TARGETS		8
#define PGC_SYMBOL_LEN		64
#define PGC_BAD_PAGE_SYMBOL	"bad_page"

enum pgc_target_kind {
	PGC_TK_PAGE_ORDER,	/* (struct page *, unsigned int order) */
	PGC_TK_PAGE_ORDER_PCP,	/* same; other orders go on to __free_pages_ok */
	PGC_TK_PAGE,		/* (struct page *), order 0 */
	PGC_TK_FOLIO_BATCH,	/* (struct folio_batch *) */
	PGC_TK_CALL,		/* __free_pages(page, order): the caller's call */
};

struct pgc_target {
	const char *symbol;
	enum pgc_target_kind kind;
	bool optional;		/* the set works without it */
	bool kprobe_only;	/* no __fentry__: ftrace cannot attach */
};

struct pgc_target_set {
	const char *name;
	const struct pgc_target *targets;
	unsigned int nr;
	const char *unseen_ftrace;	/* free paths ftrace cannot see, or NULL */
	const char *unseen_kprobe;
};

/* Attaches every required target of @set, or undoes its work. */
typedef int (*pgc_try_set_fn)(const struct pgc_target_set *set);
/* Attaches one target under one of its names (symbol or clone). */
typedef int (*pgc_try_name_fn)(void *backend_target, const char *name);
/* Turns the backend's hook on target @i on or off. */
typedef int (*pgc_switch_fn)(unsigned int i, bool on);

int pgc_targets_try_sets(const char *backend, pgc_try_set_fn try_set);
int pgc_target_resolve(const struct pgc_target *t, char *name,
		       pgc_try_name_fn try_name, void *backend_target);
void pgc_target_dispatch(const struct pgc_target *t, unsigned long arg0,
			 unsigned long arg1);
const char *pgc_target_error(int err);
int pgc_targets_switch(unsigned int nr, pgc_switch_fn switch_one, bool on);

#endif /* PAGECHECK_TARGETS_H */
