/* SPDX-License-Identifier: GPL-2.0 */
/* The module parameters every unit reads. Data only; main.c sets them. */
#ifndef PAGECHECK_SETTINGS_H
#define PAGECHECK_SETTINGS_H

#include <linux/types.h>

#define PGC_STACK_DEPTH_MAX	64
#define PGC_MAX_REPORTS_LIMIT	65536

struct pgc_settings {
	bool enabled;
	bool printk;
	bool panic_on_report;
	bool hash_pointers;
	bool kernel_verdict;		/* load time */
	bool track;			/* run time: main.c switches it */
	bool count_frees;		/* load time */
	unsigned int max_reports;	/* load time */
	unsigned int stack_depth;	/* at most stack_capacity */
	unsigned int stack_capacity;	/* stack_depth at load time */
	unsigned int panic_reports;	/* printed by the panic notifier */
	unsigned int track_events;	/* entries from the next track=1, 0: default */
	unsigned int track_stacks;
};

extern struct pgc_settings pgc_settings;

#endif /* PAGECHECK_SETTINGS_H */
