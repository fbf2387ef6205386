// SPDX-License-Identifier: GPL-2.0
/*
 * ftrace backend: one ftrace_ops per entry point of the first target set
 * that resolves on the running kernel (src/targets.c), with ftrace's own
 * recursion protection. Arguments come from ftrace_regs.
 */
#include <linux/ftrace.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "pagecheck/compat_trace.h"
#include "pagecheck/hook.h"
#include "pagecheck/targets.h"

#if PGC_HAVE_FTRACE_BACKEND

struct pgc_ft_target {
	struct ftrace_ops ops;
	const struct pgc_target *target;
	char symbol[PGC_SYMBOL_LEN];
	bool registered;
};

static struct pgc_ft_target pgc_ft[PGC_MAX_TARGETS];
static unsigned int pgc_ft_nr;
static const struct pgc_target_set *pgc_ft_set;
static bool pgc_ft_start_enabled;

static void notrace pgc_ft_handler(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *op,
				   pgc_ftrace_regs_t *fregs)
{
	struct pgc_ft_target *ft = container_of(op, struct pgc_ft_target, ops);

	pgc_target_dispatch(ft->target, pgc_ftrace_arg(fregs, 0), pgc_ftrace_arg(fregs, 1));
}

static int pgc_ft_filter(void *backend_target, const char *name)
{
	struct pgc_ft_target *ft = backend_target;

	return ftrace_set_filter(&ft->ops, (unsigned char *)name, strlen(name), 1);
}

static int pgc_ft_register(unsigned int i, bool on)
{
	struct pgc_ft_target *ft = &pgc_ft[i];
	int ret;

	if (ft->registered == on)
		return 0;
	ret = on ? register_ftrace_function(&ft->ops) :
		   unregister_ftrace_function(&ft->ops);
	if (ret)
		pr_warn("ftrace: cannot %s %s: %s (%d)\n",
			on ? "register on" : "unregister from", ft->symbol,
			pgc_target_error(ret), ret);
	else
		ft->registered = on;
	return ret;
}

/* enabled= (and the attach): every ops registered, or none. */
static int pgc_ft_set_enabled(bool on)
{
	return pgc_targets_switch(pgc_ft_nr, pgc_ft_register, on);
}

static void pgc_ft_release(void)
{
	unsigned int i;

	for (i = 0; i < pgc_ft_nr; i++) {
		if (pgc_ft[i].registered)
			WARN_ON(unregister_ftrace_function(&pgc_ft[i].ops));
		pgc_ft[i].registered = false;
		pgc_ftrace_release_filter(&pgc_ft[i].ops);
	}
	pgc_ft_nr = 0;
	pgc_ft_set = NULL;
}

static int pgc_ft_try_set(const struct pgc_target_set *set)
{
	unsigned int i;
	int ret;

	for (i = 0; i < set->nr && pgc_ft_nr < PGC_MAX_TARGETS; i++) {
		const struct pgc_target *t = &set->targets[i];
		struct pgc_ft_target *ft = &pgc_ft[pgc_ft_nr];

		if (t->kprobe_only)
			continue;
		memset(ft, 0, sizeof(*ft));
		ft->ops.func = pgc_ft_handler;
		ft->ops.flags = PGC_FTRACE_OPS_FLAGS;
		ft->target = t;
		ret = pgc_target_resolve(t, ft->symbol, pgc_ft_filter, ft);
		if (ret) {
			pgc_ftrace_release_filter(&ft->ops);
			if (t->optional)
				continue;
			pr_info("ftrace: set %s: cannot trace %s: %s (%d)\n",
				set->name, t->symbol, pgc_target_error(ret), ret);
			goto fail;
		}
		pgc_ft_nr++;
	}
	pgc_ft_set = set;
	ret = pgc_ft_set_enabled(pgc_ft_start_enabled);
	if (ret)
		goto fail;
	return 0;
fail:
	pgc_ft_release();
	return ret;
}

static int pgc_ft_attach(bool enabled)
{
	pgc_ft_start_enabled = enabled;
	return pgc_targets_try_sets("ftrace", pgc_ft_try_set);
}

static void pgc_ft_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < pgc_ft_nr; i++)
		seq_printf(m, "hook_target: %s (ftrace)\n", pgc_ft[i].symbol);
	if (pgc_ft_set && pgc_ft_set->unseen_ftrace)
		seq_printf(m, "hook_unseen: %s\n", pgc_ft_set->unseen_ftrace);
}

#else /* !PGC_HAVE_FTRACE_BACKEND */

static int pgc_ft_attach(bool enabled)
{
	pr_warn("ftrace: this kernel has no CONFIG_DYNAMIC_FTRACE\n");
	return -EOPNOTSUPP;
}

static void pgc_ft_release(void)
{
}

static void pgc_ft_show(struct seq_file *m)
{
}

#endif

const struct pgc_backend pgc_backend_ftrace = {
	.name = "ftrace",
	.attach = pgc_ft_attach,
	.detach = pgc_ft_release,
	.show = pgc_ft_show,
#if PGC_HAVE_FTRACE_BACKEND
	.set_enabled = pgc_ft_set_enabled,
#endif
};
