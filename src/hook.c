// SPDX-License-Identifier: GPL-2.0
/*
 * The choice of backend. Called with main.c's parameter lock held, so
 * attach, detach and enabled= writes never overlap.
 */
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "pagecheck/audit.h"
#include "pagecheck/hook.h"
#include "pagecheck/targets.h"

const char *const pgc_hook_names[] = { "auto", "tracepoint", "ftrace", "kprobe", NULL };

static const struct pgc_backend *const pgc_backends[] = {
	&pgc_backend_tracepoint,
	&pgc_backend_ftrace,
	&pgc_backend_kprobe,
};

static const struct pgc_backend *pgc_active;

int pgc_hook_attach(const char *requested, bool enabled)
{
	bool any = !strcmp(requested, "auto");
	unsigned int i;
	int ret = -ENODEV;

	pgc_audit_set_enabled(enabled);
	for (i = 0; i < ARRAY_SIZE(pgc_backends); i++) {
		if (!any && strcmp(requested, pgc_backends[i]->name))
			continue;
		ret = pgc_backends[i]->attach(enabled);
		if (!ret) {
			pgc_active = pgc_backends[i];
			if (any)
				pr_info("hook=auto: using %s\n", pgc_active->name);
			return 0;
		}
		if (any)
			pr_info("hook=auto: %s unavailable (%d), trying the next backend\n",
				pgc_backends[i]->name, ret);
	}
	if (any)
		pr_err("hook=auto: no backend could attach\n");
	else
		pr_err("hook=%s: this backend cannot attach on this kernel: %s (%d)\n",
		       requested, pgc_target_error(ret), ret);
	return ret;
}

/* Return: 0, or why the backend could not re-attach (nothing changed). */
int pgc_hook_set_enabled(bool on)
{
	int ret;

	if (!pgc_active)
		return 0;
	if (pgc_active->set_enabled) {
		ret = pgc_active->set_enabled(on);
		if (ret)
			return ret;
	}
	pgc_audit_set_enabled(on);
	return 0;
}

void pgc_hook_detach(void)
{
	pgc_audit_set_enabled(false);
	if (!pgc_active)
		return;
	pgc_active->detach();
	pgc_active = NULL;
}

const char *pgc_hook_name(void)
{
	return pgc_active ? pgc_active->name : "none";
}

void pgc_hook_show(struct seq_file *m)
{
	if (pgc_active)
		pgc_active->show(m);
}
