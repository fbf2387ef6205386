// SPDX-License-Identifier: GPL-2.0
/*
 * Backend selection and the common dispatch of ftrace/kprobe targets.
 * hook=auto takes the cheapest backend that attaches: tracepoint, then
 * ftrace, then kprobe.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include "pagecheck/pagecheck.h"
#include "pagecheck/targets.h"

const char *const pgc_hook_names[] = { "auto", "tracepoint", "ftrace", "kprobe", NULL };

static const struct pgc_hook *const pgc_hooks[] = {
	&pgc_hook_tracepoint,
	&pgc_hook_ftrace,
	&pgc_hook_kprobe,
};

/* Called from the ftrace and kprobe backends with a target's first two arguments. */
void notrace pgc_dispatch(const struct pgc_target *t, unsigned long arg0,
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
const char *pgc_hook_error(int err)
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

/**
 * pgc_hook_try_sets() - attach a backend to the first target set that fits
 * @backend: name for the log
 * @try_set: attaches every required target of a set, or undoes its work
 */
int pgc_hook_try_sets(const char *backend,
		      int (*try_set)(const struct pgc_target_set *set))
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pgc_target_sets); i++)
		if (!try_set(&pgc_target_sets[i]))
			return 0;
	pr_warn("%s: no target set matches this kernel's free path\n", backend);
	return -ENOENT;
}

int pgc_hook_attach(const char *requested)
{
	bool any = !strcmp(requested, "auto");
	unsigned int i;
	int ret = -ENODEV;

	for (i = 0; i < ARRAY_SIZE(pgc_hooks); i++) {
		if (!any && strcmp(requested, pgc_hooks[i]->name))
			continue;
		ret = pgc_hooks[i]->attach();
		if (!ret) {
			pgc_active_hook = pgc_hooks[i];
			if (any)
				pr_info("hook=auto: using %s\n", pgc_hooks[i]->name);
			return 0;
		}
		if (any)
			pr_info("hook=auto: %s unavailable (%d), trying the next backend\n",
				pgc_hooks[i]->name, ret);
	}
	if (any)
		pr_err("hook=auto: no backend could attach\n");
	else
		pr_err("hook=%s: this backend cannot attach on this kernel: %s (%d)\n",
		       requested, pgc_hook_error(ret), ret);
	return ret;
}

/* Called with pgc_param_lock held. */
void pgc_hook_set_enabled(bool on)
{
	if (pgc_active_hook && pgc_active_hook->set_enabled)
		pgc_active_hook->set_enabled(on);
}

void pgc_hook_detach(void)
{
	if (!pgc_active_hook)
		return;
	pgc_active_hook->detach();
	pgc_active_hook = NULL;
}
