// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe backend: one kprobe per entry point of the target set that
 * resolves on the running kernel. Unlike ftrace it can also attach to
 * functions without __fentry__ (6.12's out-of-line free_pages_prepare()).
 */
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "pagecheck/pagecheck.h"
#include "pagecheck/targets.h"

#define PGC_MAX_TARGETS	8

#ifdef CONFIG_KPROBES

struct pgc_kp_target {
	struct kprobe kp;
	const struct pgc_target *target;
	char symbol[64];
	bool registered;
};

static struct pgc_kp_target pgc_kp[PGC_MAX_TARGETS];
static unsigned int pgc_kp_nr;
static const struct pgc_target_set *pgc_kp_set;

static int notrace pgc_kp_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct pgc_kp_target *kt = container_of(p, struct pgc_kp_target, kp);

	pgc_dispatch(kt->target, regs_get_kernel_argument(regs, 0),
		     regs_get_kernel_argument(regs, 1));
	return 0;
}
NOKPROBE_SYMBOL(pgc_kp_pre);

static int pgc_kp_register(struct pgc_kp_target *kt)
{
	unsigned int i;
	int ret = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(pgc_symbol_suffixes); i++) {
		snprintf(kt->symbol, sizeof(kt->symbol), "%s%s", kt->target->symbol,
			 pgc_symbol_suffixes[i]);
		memset(&kt->kp, 0, sizeof(kt->kp));
		kt->kp.symbol_name = kt->symbol;
		kt->kp.pre_handler = pgc_kp_pre;
		ret = register_kprobe(&kt->kp);
		if (!ret)
			return 0;
	}
	return ret;
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
		ret = pgc_kp_register(kt);
		if (ret) {
			if (kt->target->optional)
				continue;
			pr_info("kprobe: set %s: cannot probe %s: %s (%d)\n",
				set->name, kt->target->symbol, pgc_hook_error(ret),
				ret);
			pgc_kp_release();
			return ret;
		}
		kt->registered = true;
		pgc_kp_nr++;
	}
	pgc_kp_set = set;
	return 0;
}

static int pgc_kp_attach(void)
{
	return pgc_hook_try_sets("kprobe", pgc_kp_try_set);
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

static int pgc_kp_attach(void)
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

const struct pgc_hook pgc_hook_kprobe = {
	.name = "kprobe",
	.attach = pgc_kp_attach,
	.detach = pgc_kp_release,
	.show = pgc_kp_show,
};
