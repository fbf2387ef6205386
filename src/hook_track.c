// SPDX-License-Identifier: GPL-2.0
/*
 * The events track=1 records, whatever the free backend: kmem:mm_page_alloc
 * for allocations, and kmem:mm_page_free at a lower priority than the
 * audit's own probe, so that a report sees the free before the bad one.
 * The ftrace and kprobe backends audit at the entry of the function that
 * fires mm_page_free, so for them too the audit comes first.
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <trace/events/kmem.h>
#include "pagecheck/compat_trace.h"
#include "pagecheck/hook.h"
#include "pagecheck/track.h"

/* Below TRACEPOINT_DEFAULT_PRIO, where the audit's probe runs. */
#define PGC_TRACK_FREE_PRIO	(TRACEPOINT_DEFAULT_PRIO - 1)

static struct tracepoint *pgc_tp_alloc, *pgc_tp_free;

/*
 * The bulk allocator: a kretprobe whose entry saves the page array and the
 * allocating stack, and whose return records the pages the array got. A
 * call that fills a list instead is counted, not recorded.
 */
struct pgc_bulk_call {
	struct page **array;
	gfp_t gfp;
	u32 stack;
};

static atomic64_t pgc_bulk_list_calls;

#ifdef CONFIG_KRETPROBES
static int notrace pgc_bulk_entry(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	struct pgc_bulk_call *call = (void *)ri->data;

	call->array = (struct page **)pgc_kprobe_arg(regs, PGC_BULK_ARRAY_ARG);
	if (!call->array) {
		atomic64_inc(&pgc_bulk_list_calls);
		return 1;			/* no return handler */
	}
	call->gfp = (__force gfp_t)(u32)pgc_kprobe_arg(regs, 0);
	call->stack = pgc_track_stack_here();
	return 0;
}
NOKPROBE_SYMBOL(pgc_bulk_entry);

static int notrace pgc_bulk_return(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct pgc_bulk_call *call = (void *)ri->data;
	unsigned long nr = regs_return_value(regs), i;

	for (i = 0; i < nr; i++) {
		struct page *page = READ_ONCE(call->array[i]);

		if (page)
			pgc_track_alloc_stack(page, 0, call->gfp, call->stack);
	}
	return 0;
}
NOKPROBE_SYMBOL(pgc_bulk_return);

static struct kretprobe pgc_bulk_probe = {
	.entry_handler = pgc_bulk_entry,
	.handler = pgc_bulk_return,
	.data_size = sizeof(struct pgc_bulk_call),
};
static bool pgc_bulk_registered;

/* The bulk allocator where the kernel has one: not having it is fine. */
static void pgc_bulk_attach(void)
{
	static const char *const names[] = PGC_BULK_SYMBOLS;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names) && !pgc_bulk_registered; i++) {
		pgc_bulk_probe.kp.symbol_name = names[i];
		pgc_bulk_probe.kp.addr = NULL;
		pgc_bulk_registered = !register_kretprobe(&pgc_bulk_probe);
	}
}

static void pgc_bulk_detach(void)
{
	if (pgc_bulk_registered)
		unregister_kretprobe(&pgc_bulk_probe);
	pgc_bulk_registered = false;
}
#else
static void pgc_bulk_attach(void)
{
}

static void pgc_bulk_detach(void)
{
}
#endif

#ifdef CONFIG_KPROBES
/* Migration: the new page takes over the old one's records. */
static int notrace pgc_migrate_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long to = pgc_kprobe_arg(regs, 0), from = pgc_kprobe_arg(regs, 1);

	pgc_track_copy((struct page *)to, (struct page *)from, pgc_migrated_order(from));
	return 0;
}
NOKPROBE_SYMBOL(pgc_migrate_pre);

static struct kprobe pgc_migrate_probe = {
	.symbol_name = PGC_MIGRATE_SYMBOL,
	.pre_handler = pgc_migrate_pre,
};
static bool pgc_migrate_registered;

static void pgc_migrate_attach(void)
{
	pgc_migrate_registered = !register_kprobe(&pgc_migrate_probe);
}

static void pgc_migrate_detach(void)
{
	if (pgc_migrate_registered)
		unregister_kprobe(&pgc_migrate_probe);
	pgc_migrate_registered = false;
}
#else
static void pgc_migrate_attach(void)
{
}

static void pgc_migrate_detach(void)
{
}
#endif

void pgc_hook_track_show(struct seq_file *m)
{
	if (!pgc_tp_alloc)
		return;
	seq_puts(m, "track_hook: kmem:mm_page_alloc (tracepoint)\n");
	seq_puts(m, "track_hook: kmem:mm_page_free (tracepoint, after the audit)\n");
#ifdef CONFIG_KPROBES
	if (pgc_migrate_registered)
		seq_printf(m, "track_hook: %s (kprobe, migration keeps the records, %lu missed)\n",
			   PGC_MIGRATE_SYMBOL, READ_ONCE(pgc_migrate_probe.nmissed));
#endif
#ifdef CONFIG_KRETPROBES
	if (pgc_bulk_registered)
		seq_printf(m, "track_hook: %s (kretprobe, bulk allocations, %d missed, %lld filling a list not recorded)\n",
			   pgc_bulk_probe.kp.symbol_name, READ_ONCE(pgc_bulk_probe.nmissed),
			   (long long)atomic64_read(&pgc_bulk_list_calls));
#endif
}

int pgc_hook_track_attach(void)
{
	int ret;

	check_trace_callback_type_mm_page_alloc(pgc_track_alloc_probe);
	check_trace_callback_type_mm_page_free(pgc_track_free_probe);
	if (!pgc_track_enabled)
		return 0;
	pgc_tp_alloc = pgc_tracepoint_find("mm_page_alloc");
	pgc_tp_free = pgc_tracepoint_find("mm_page_free");
	if (!pgc_tp_alloc || !pgc_tp_free) {
		pr_err("track=1: kmem:mm_page_alloc or kmem:mm_page_free not found in this kernel\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register_prio(pgc_tp_free, pgc_track_free_probe,
					     NULL, PGC_TRACK_FREE_PRIO);
	if (ret)
		goto fail;
	ret = tracepoint_probe_register(pgc_tp_alloc, pgc_track_alloc_probe, NULL);
	if (!ret) {
		pgc_bulk_attach();
		pgc_migrate_attach();
		return 0;
	}
	tracepoint_probe_unregister(pgc_tp_free, pgc_track_free_probe, NULL);
	tracepoint_synchronize_unregister();
fail:
	pr_err("track=1: cannot register on the kmem tracepoints: %d\n", ret);
	pgc_tp_alloc = NULL;
	pgc_tp_free = NULL;
	return ret;
}

void pgc_hook_track_detach(void)
{
	if (!pgc_tp_alloc)
		return;
	pgc_migrate_detach();
	pgc_bulk_detach();
	WARN_ON(tracepoint_probe_unregister(pgc_tp_alloc, pgc_track_alloc_probe, NULL));
	WARN_ON(tracepoint_probe_unregister(pgc_tp_free, pgc_track_free_probe, NULL));
	tracepoint_synchronize_unregister();
	pgc_tp_alloc = NULL;
	pgc_tp_free = NULL;
}
