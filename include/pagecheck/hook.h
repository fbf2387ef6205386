/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backends that feed the audit, and the choice among them.
 * hook=auto takes the cheapest one that attaches: tracepoint, then
 * ftrace, then kprobe.
 */
#ifndef PAGECHECK_HOOK_H
#define PAGECHECK_HOOK_H

#include <linux/string.h>
#include <linux/tracepoint.h>
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

/* Allocation and free events for track=1, attached whatever the backend. */
int pgc_hook_track_attach(void);
void pgc_hook_track_detach(void);
void pgc_hook_track_show(struct seq_file *m);

struct pgc_tracepoint_lookup {
	const char *name;
	struct tracepoint *found;
};

static inline void pgc_tracepoint_match(struct tracepoint *tp, void *priv)
{
	struct pgc_tracepoint_lookup *l = priv;

	if (!strcmp(tp->name, l->name))
		l->found = tp;
}

/* The kernel's tracepoints are not exported: find one by name, or NULL. */
static inline struct tracepoint *pgc_tracepoint_find(const char *name)
{
	struct pgc_tracepoint_lookup l = { .name = name };

	for_each_kernel_tracepoint(pgc_tracepoint_match, &l);
	return l.found;
}

#endif /* PAGECHECK_HOOK_H */
