// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe backend: one kprobe per entry point of the first target set that
 * resolves on the running kernel. Unlike ftrace it can also attach to
 * functions without __fentry__ (6.12's out-of-line free_pages_prepare()).
 */
#include <linux/kprobes.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "pagecheck/compat_trace.h"
#include "pagecheck/hook.h"
#include "pagecheck/stack.h"
#include "pagecheck/targets.h"

#ifdef CONFIG_KPROBES

struct pgc_kp_target {
	struct kprobe kp;
	const struct pgc_target *target;
	char symbol[PGC_SYMBOL_LEN];
	bool registered;
};

static struct pgc_kp_target pgc_kp[PGC_MAX_TARGETS];
static unsigned int pgc_kp_nr;
static const struct pgc_target_set *pgc_kp_set;
static bool pgc_kp_start_enabled;

static int notrace pgc_kp_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct pgc_kp_target *kt = container_of(p, struct pgc_kp_target, kp);
	unsigned long link = pgc_kprobe_entry_link(regs);

	if (link)
		pgc_stack_entry_hint((unsigned long)p->addr, link);
	pgc_target_dispatch(kt->target, pgc_kprobe_arg(regs, 0), pgc_kprobe_arg(regs, 1));
	if (link)
		pgc_stack_entry_hint(0, 0);
	return 0;
}
NOKPROBE_SYMBOL(pgc_kp_pre);

static int pgc_kp_register(void *backend_target, const char *name)
{
	struct pgc_kp_target *kt = backend_target;

	memset(&kt->kp, 0, sizeof(kt->kp));
	kt->kp.symbol_name = name;
	kt->kp.pre_handler = pgc_kp_pre;
	if (!pgc_kp_start_enabled)
		kt->kp.flags = KPROBE_FLAG_DISABLED;
	return register_kprobe(&kt->kp);
}

static void pgc_kp_release(void)
{
	unsigned int i;

	for (i = 0; i < pgc_kp_nr; i++) {
		if (!pgc_kp[i].registered)
			continue;
		unregister_kprobe(&pgc_kp[i].kp);
		pr_info("kprobe: %s removed, %lu hits missed\n", pgc_kp[i].symbol,
			pgc_kp[i].kp.nmissed);
		pgc_kp[i].registered = false;
	}
	pgc_kp_nr = 0;
	pgc_kp_set = NULL;
}

static int pgc_kp_try_set(const struct pgc_target_set *set)
{
	unsigned int i;
	int ret;

	for (i = 0; i < set->nr && pgc_kp_nr < PGC_MAX_TARGETS; i++) {
		struct pgc_kp_target *kt = &pgc_kp[pgc_kp_nr];

		kt->target = &set->targets[i];
		ret = pgc_target_resolve(kt->target, kt->symbol, pgc_kp_register, kt);
		if (ret) {
			if (kt->target->optional)
				continue;
			pr_info("kprobe: set %s: cannot probe %s: %s (%d)\n",
				set->name, kt->target->symbol,
				pgc_target_error(ret), ret);
			pgc_kp_release();
			return ret;
		}
		kt->registered = true;
		pgc_kp_nr++;
	}
	pgc_kp_set = set;
	return 0;
}

static int pgc_kp_attach(bool enabled)
{
	pgc_kp_start_enabled = enabled;
	return pgc_targets_try_sets("kprobe", pgc_kp_try_set);
}

static int pgc_kp_enable(unsigned int i, bool on)
{
	struct pgc_kp_target *kt = &pgc_kp[i];
	int ret = on ? enable_kprobe(&kt->kp) : disable_kprobe(&kt->kp);

	if (ret)
		pr_warn("kprobe: cannot %s %s: %d\n", on ? "enable" : "disable",
			kt->symbol, ret);
	return ret;
}

/* enabled=: every kprobe armed, or none. */
static int pgc_kp_set_enabled(bool on)
{
	return pgc_targets_switch(pgc_kp_nr, pgc_kp_enable, on);
}

static void pgc_kp_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < pgc_kp_nr; i++)
		seq_printf(m, "hook_target: %s (kprobe, %lu missed)\n",
			   pgc_kp[i].symbol, READ_ONCE(pgc_kp[i].kp.nmissed));
	if (pgc_kp_set && pgc_kp_set->unseen_kprobe)
		seq_printf(m, "hook_unseen: %s\n", pgc_kp_set->unseen_kprobe);
}

#else /* !CONFIG_KPROBES */

static int pgc_kp_attach(bool enabled)
{
	pr_warn("kprobe: this kernel has no CONFIG_KPROBES\n");
	return -EOPNOTSUPP;
}

static void pgc_kp_release(void)
{
}

static void pgc_kp_show(struct seq_file *m)
{
}

#endif

const struct pgc_backend pgc_backend_kprobe = {
	.name = "kprobe",
	.attach = pgc_kp_attach,
	.detach = pgc_kp_release,
	.show = pgc_kp_show,
#ifdef CONFIG_KPROBES
	.set_enabled = pgc_kp_set_enabled,
#endif
};
