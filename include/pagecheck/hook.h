/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backends that feed the audit, and the choice among them.
 * hook=auto takes the cheapest one that attaches: tracepoint, then
 * ftrace, then kprobe.
 */
#ifndef PAGECHECK_HOOK_H
#define PAGECHECK_HOOK_H

#include <linux/types.h>

struct seq_file;

struct pgc_backend {
	const char *name;
	int (*attach)(bool enabled);	/* logs why it failed */
	void (*detach)(void);
	void (*show)(struct seq_file *m);	/* "hook_target:" lines */
	int (*set_enabled)(bool on);	/* optional; else the audit's key */
};

extern const struct pgc_backend pgc_backend_tracepoint;
extern const struct pgc_backend pgc_backend_ftrace;
extern const struct pgc_backend pgc_backend_kprobe;

/* "auto" and every backend's name, NULL-terminated. */
extern const char *const pgc_hook_names[];

int pgc_hook_attach(const char *requested, bool enabled);
void pgc_hook_detach(void);
int pgc_hook_set_enabled(bool on);
const char *pgc_hook_name(void);
void pgc_hook_show(struct seq_file *m);

#endif /* PAGECHECK_HOOK_H */
