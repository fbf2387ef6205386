// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_verdict=1: a kprobe on the kernel's own bad_page(page, reason)
 * attaches the kernel's reason to pagecheck's report of the same page and
 * counts agreements. Works with every backend.
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include "pagecheck/compat_trace.h"
#include "pagecheck/rules.h"
#include "pagecheck/store.h"
#include "pagecheck/targets.h"
#include "pagecheck/verdict.h"

#ifdef CONFIG_KPROBES

static atomic64_t pgc_verdict_seen, pgc_verdict_agree, pgc_verdict_disagree,
		  pgc_verdict_kernel_only;
static bool pgc_verdict_registered;

static int notrace pgc_verdict_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct page *page = (struct page *)pgc_kprobe_arg(regs, 0);
	/* a string literal in mm/page_alloc.c */
	const char *reason = (const char *)pgc_kprobe_arg(regs, 1);
	bool agree = false;

	atomic64_inc(&pgc_verdict_seen);
	if (!pgc_store_add_verdict(page_to_pfn(page), pgc_reason_parse(reason),
				   &agree))
		atomic64_inc(&pgc_verdict_kernel_only);
	else if (agree)
		atomic64_inc(&pgc_verdict_agree);
	else
		atomic64_inc(&pgc_verdict_disagree);
	return 0;
}
NOKPROBE_SYMBOL(pgc_verdict_pre);

static struct kprobe pgc_verdict_kp = {
	.symbol_name = PGC_BAD_PAGE_SYMBOL,
	.pre_handler = pgc_verdict_pre,
};

int pgc_verdict_attach(void)
{
	int ret = register_kprobe(&pgc_verdict_kp);

	if (ret) {
		pr_err("kernel_verdict: cannot probe %s: %s (%d)\n",
		       PGC_BAD_PAGE_SYMBOL, pgc_target_error(ret), ret);
		return ret;
	}
	pgc_verdict_registered = true;
	return 0;
}

void pgc_verdict_detach(void)
{
	if (!pgc_verdict_registered)
		return;
	unregister_kprobe(&pgc_verdict_kp);
	pgc_verdict_registered = false;
	pr_info("kernel_verdict: %s probe removed, %lu hits missed\n",
		PGC_BAD_PAGE_SYMBOL, pgc_verdict_kp.nmissed);
}

void pgc_verdict_get_stats(struct pgc_verdict_stats *st)
{
	st->seen = atomic64_read(&pgc_verdict_seen);
	st->agree = atomic64_read(&pgc_verdict_agree);
	st->disagree = atomic64_read(&pgc_verdict_disagree);
	st->kernel_only = atomic64_read(&pgc_verdict_kernel_only);
}

#else

int pgc_verdict_attach(void)
{
	pr_err("kernel_verdict: this kernel has no CONFIG_KPROBES\n");
	return -EOPNOTSUPP;
}

void pgc_verdict_detach(void)
{
}

void pgc_verdict_get_stats(struct pgc_verdict_stats *st)
{
	memset(st, 0, sizeof(*st));
}

#endif
