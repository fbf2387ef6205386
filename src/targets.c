// SPDX-License-Identifier: GPL-2.0
/*
 * The entry points of each kernel's free path (see include/pagecheck/
 * targets.h), the one resolver of their compiler clones, and the dispatch
 * of a hooked call to the audit.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include "pagecheck/audit.h"
#include "pagecheck/compat_trace.h"
#include "pagecheck/targets.h"

/* free_pcp_prepare() gained its order argument with high-order pcp lists. */
#ifdef PGC_HAVE_NR_PCP_LISTS
#define PGC_TK_FREE_PCP_PREPARE	PGC_TK_PAGE_ORDER
#else
#define PGC_TK_FREE_PCP_PREPARE	PGC_TK_PAGE
#endif

/* 5.10, 6.1: every pcp free passes free_pcp_prepare(), every other one __free_pages_ok(). */
static const struct pgc_target pgc_targets_pcp_prepare[] = {
	{ "free_pcp_prepare", PGC_TK_FREE_PCP_PREPARE },
	{ "__free_pages_ok", PGC_TK_PAGE_ORDER },
	{ "__free_pages", PGC_TK_CALL },
};

/*
 * 6.12: free_pages_prepare() is inlined into free_unref_page(),
 * free_unref_folios() and __free_pages_ok(); its out-of-line copy serves
 * compaction only and has no __fentry__.
 */
static const struct pgc_target pgc_targets_unref_page[] = {
	{ "free_unref_page", PGC_TK_PAGE_ORDER_PCP },
	{ "__free_pages_ok", PGC_TK_PAGE_ORDER },
	{ "free_unref_folios", PGC_TK_FOLIO_BATCH },
	{ "free_pages_prepare", PGC_TK_PAGE_ORDER, .optional = true,
	  .kprobe_only = true },
	{ "__free_pages", PGC_TK_CALL },
};

/*
 * 7.x: __free_frozen_pages() is where every single-block free ends up
 * (__free_pages, free_frozen_pages, free_pages_nolock); other orders go on
 * to __free_pages_ok(). The free_pages_prepare() wrapper serves compaction
 * and contig-range/vfree frees, which then reach __free_frozen_pages()
 * already prepared: those are audited twice, the second time clean.
 */
static const struct pgc_target pgc_targets_frozen[] = {
	{ "__free_frozen_pages", PGC_TK_PAGE_ORDER_PCP },
	{ "__free_pages_ok", PGC_TK_PAGE_ORDER },
	{ "free_unref_folios", PGC_TK_FOLIO_BATCH },
	{ "free_pages_prepare", PGC_TK_PAGE_ORDER },
	{ "__free_pages", PGC_TK_CALL },
};

static const struct pgc_target_set pgc_target_sets[] = {
	{ "free_pcp_prepare", pgc_targets_pcp_prepare,
	  ARRAY_SIZE(pgc_targets_pcp_prepare), NULL, NULL },
	{ "free_unref_page", pgc_targets_unref_page,
	  ARRAY_SIZE(pgc_targets_unref_page),
	  "compaction_free() (its free_pages_prepare() copy is notrace)", NULL },
	{ "__free_frozen_pages", pgc_targets_frozen, ARRAY_SIZE(pgc_targets_frozen),
	  NULL, NULL },
};

/* Clones the compiler may have made of a target; arguments keep their slots. */
static const char *const pgc_clone_suffixes[] = {
	"", ".constprop.0", ".isra.0", ".part.0",
};

/**
 * pgc_target_resolve() - attach @t under its own name or a clone's
 * @t: the target
 * @name: PGC_SYMBOL_LEN bytes; on success, the name attached
 * @try_name: the backend's attach of one name
 * @backend_target: passed to @try_name
 *
 * Return: 0, or the error of the last name tried.
 */
int pgc_target_resolve(const struct pgc_target *t, char *name,
		       pgc_try_name_fn try_name, void *backend_target)
{
	unsigned int i;
	int ret = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(pgc_clone_suffixes); i++) {
		snprintf(name, PGC_SYMBOL_LEN, "%s%s", t->symbol,
			 pgc_clone_suffixes[i]);
		ret = try_name(backend_target, name);
		if (!ret)
			return 0;
	}
	return ret;
}

/**
 * pgc_targets_switch() - turn a backend's hooks on or off, all or none
 * @nr: how many targets the backend attached
 * @switch_one: turns one on or off
 * @on: the state wanted
 *
 * Return: 0, or the first error; what had changed is put back.
 */
int pgc_targets_switch(unsigned int nr, pgc_switch_fn switch_one, bool on)
{
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++) {
		ret = switch_one(i, on);
		if (ret) {
			while (i--)
				switch_one(i, !on);
			return ret;
		}
	}
	return 0;
}

/**
 * pgc_targets_try_sets() - attach a backend to the first set that fits
 * @backend: name for the log
 * @try_set: the backend's attach of a whole set
 */
int pgc_targets_try_sets(const char *backend, pgc_try_set_fn try_set)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pgc_target_sets); i++)
		if (!try_set(&pgc_target_sets[i]))
			return 0;
	pr_warn("%s: no target set matches this kernel's free path\n", backend);
	return -ENOENT;
}

/* A hooked call, with its first two arguments, to the audit. */
void notrace pgc_target_dispatch(const struct pgc_target *t, unsigned long arg0,
				 unsigned long arg1)
{
#ifdef PGC_HAVE_FOLIO
	struct folio_batch *batch;
	unsigned int i, nr;
#endif

	switch (t->kind) {
	case PGC_TK_PAGE_ORDER:
		pgc_audit_free((struct page *)arg0, arg1);
		break;
	case PGC_TK_PAGE_ORDER_PCP:
		if (pgc_pcp_allowed_order(arg1))
			pgc_audit_free((struct page *)arg0, arg1);
		break;
	case PGC_TK_PAGE:
		pgc_audit_free((struct page *)arg0, 0);
		break;
	case PGC_TK_FOLIO_BATCH:
#ifdef PGC_HAVE_FOLIO
		batch = (struct folio_batch *)arg0;
		nr = min_t(unsigned int, READ_ONCE(batch->nr), ARRAY_SIZE(batch->folios));
		for (i = 0; i < nr; i++) {
			struct folio *folio = READ_ONCE(batch->folios[i]);

			pgc_audit_free(&folio->page, pgc_folio_order_raw(folio));
		}
#endif
		break;
	case PGC_TK_CALL:
		pgc_audit_call((struct page *)arg0, arg1);
		break;
	}
}

/* Why a symbol could not be hooked, from register_kprobe()/ftrace_set_filter(). */
const char *pgc_target_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "symbol not found (inlined or absent on this kernel)";
	case -EINVAL:
		return "symbol not found, inlined, notrace or blacklisted";
	case -EPERM:
	case -EACCES:
		return "refused (kernel lockdown or security policy)";
	case -EOPNOTSUPP:
		return "not supported by this kernel's configuration";
	case -EBUSY:
		return "already claimed by another user";
	default:
		return "error";
	}
}
