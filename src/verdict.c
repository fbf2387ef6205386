// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own checks. kernel_verdict=1: a kprobe on the kernel's own
 * bad_page(page, reason) attaches the kernel's reason to pagecheck's
 * report of the same page and counts agreements; works with every
 * backend. kernel_checks: whether and where the kernel checks frees, read
 * from its state at load.
 */
#include <linux/atomic.h>
#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/string.h>
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

static const char *pgc_kernel_checks = "unknown (not read yet)";

/*
 * The address of a kernel data symbol modules cannot link to. Nothing is
 * called: register_kprobe() resolves the name into kp.addr, then refuses
 * an address outside the text with -EINVAL. The reverse lookup must name
 * the symbol exactly. NULL if absent; -errno in *err if it cannot tell.
 */
static void *pgc_data_symbol(const char *name, int *err)
{
	struct kprobe kp = { .symbol_name = name };
	char found[KSYM_SYMBOL_LEN];
	int ret;

	*err = 0;
	ret = register_kprobe(&kp);
	if (!ret) {			/* text, not data */
		unregister_kprobe(&kp);
		*err = -EINVAL;
		return NULL;
	}
	if (ret == -ENOENT)
		return NULL;
	if (ret != -EINVAL || !kp.addr) {
		*err = ret;
		return NULL;
	}
	sprint_symbol(found, (unsigned long)kp.addr);
	if (strncmp(found, name, strlen(name)) || strncmp(found + strlen(name), "+0x0/", 5)) {
		*err = -EFAULT;
		return NULL;
	}
	return kp.addr;
}

/*
 * Since 6.4 the static key check_pages_enabled gates every free-time check;
 * before, order-0 frees on the per-cpu lists were checked at the drain,
 * after free_pages_prepare() had wiped the flags, unless CONFIG_DEBUG_VM.
 */
void pgc_verdict_read_kernel_checks(void)
{
	struct static_key *key;
	int err;

	key = pgc_data_symbol("check_pages_enabled", &err);
	if (err)
		pgc_kernel_checks = "unknown (check_pages_enabled cannot be read)";
	else if (key)
		pgc_kernel_checks = static_key_enabled(key) ?
			"at_free (check_pages_enabled on)" :
			"off (check_pages_enabled off)";
	else if (IS_ENABLED(CONFIG_DEBUG_VM))
		pgc_kernel_checks = "at_free (no check_pages_enabled, CONFIG_DEBUG_VM)";
	else
		pgc_kernel_checks = "deferred (no check_pages_enabled: per-cpu frees are checked at the drain, flags wiped)";
}

const char *pgc_verdict_kernel_checks(void)
{
	return pgc_kernel_checks;
}

#else

void pgc_verdict_read_kernel_checks(void)
{
}

const char *pgc_verdict_kernel_checks(void)
{
	return "unknown (no CONFIG_KPROBES)";
}

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
