// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/pagecheck/{reports,reports.json,stats}, all 0400 so that
 * they stay readable under lockdown. Each reader copies one report at a time
 * out of the store into its own buffer.
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include "pagecheck/audit.h"
#include "pagecheck/debugfs.h"
#include "pagecheck/format.h"
#include "pagecheck/hook.h"
#include "pagecheck/panic.h"
#include "pagecheck/rules.h"
#include "pagecheck/settings.h"
#include "pagecheck/store.h"
#include "pagecheck/track.h"
#include "pagecheck/watch.h"
#include "pagecheck/verdict.h"

static struct dentry *pgc_debugfs_dir;
/*
 * local_clock() when the files were created, at load: with the boot, it
 * names this load of the module, so that a reader of reports.json can tell
 * a reload (report ids start again at 1) from a clear (they go on).
 */
static u64 pgc_debugfs_loaded_ns;

struct pgc_reader {
	void (*show)(struct seq_file *m, const struct pgc_report *r);
	struct pgc_report *report;
};

static void *pgc_reports_start(struct seq_file *m, loff_t *pos)
{
	struct pgc_reader *rd = m->private;

	if (*pos >= PGC_MAX_REPORTS_LIMIT)
		return NULL;
	return pgc_store_copy(*pos, rd->report) ? rd->report : NULL;
}

static void *pgc_reports_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return pgc_reports_start(m, pos);
}

static void pgc_reports_stop(struct seq_file *m, void *v)
{
}

static int pgc_reports_show(struct seq_file *m, void *v)
{
	struct pgc_reader *rd = m->private;

	rd->show(m, v);
	return 0;
}

static const struct seq_operations pgc_reports_seq_ops = {
	.start = pgc_reports_start,
	.next = pgc_reports_next,
	.stop = pgc_reports_stop,
	.show = pgc_reports_show,
};

static int pgc_reports_open_with(struct file *file,
				 void (*show)(struct seq_file *,
					      const struct pgc_report *))
{
	struct pgc_reader *rd;

	rd = __seq_open_private(file, &pgc_reports_seq_ops, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->show = show;
	rd->report = kvzalloc(pgc_store_report_size(), GFP_KERNEL);
	if (!rd->report) {
		seq_release_private(file->f_inode, file);
		return -ENOMEM;
	}
	return 0;
}

static int pgc_reports_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct pgc_reader *rd = m->private;

	kvfree(rd->report);
	return seq_release_private(inode, file);
}

static int pgc_reports_text_open(struct inode *inode, struct file *file)
{
	return pgc_reports_open_with(file, pgc_format_text);
}

static int pgc_reports_json_open(struct inode *inode, struct file *file)
{
	return pgc_reports_open_with(file, pgc_format_json);
}

static const struct file_operations pgc_reports_text_fops = {
	.owner = THIS_MODULE,
	.open = pgc_reports_text_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = pgc_reports_release,
};

static const struct file_operations pgc_reports_json_fops = {
	.owner = THIS_MODULE,
	.open = pgc_reports_json_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = pgc_reports_release,
};

static const char *const pgc_bucket_names[PGC_NR_ORDER_BUCKETS] = {
	[PGC_ORDER_0] = "0", [PGC_ORDER_1_3] = "1_3", [PGC_ORDER_4_UP] = "4_up",
};

/* Seconds, with a tenth, from local_clock() @then to now. */
static void pgc_age_show(struct seq_file *m, u64 then)
{
	u64 age = then ? local_clock() - then : 0;

	seq_printf(m, "%llu.%01llu\n", age / NSEC_PER_SEC,
		   age % NSEC_PER_SEC / (NSEC_PER_SEC / 10));
}

static void pgc_track_table_show(struct seq_file *m, const char *name,
				 const struct pgc_track_table_stats *t)
{
	seq_printf(m, "track_%s: %u of %u (%u needed by allocated pages)\n", name,
		   t->used, t->capacity, t->pinned);
	seq_printf(m, "track_%s_created: %llu\n", name, t->created);
	seq_printf(m, "track_%s_recycled: %llu\n", name, t->recycled);
	seq_printf(m, "track_%s_evicted: %llu\n", name, t->evicted);
	seq_printf(m, "track_%s_dropped: %llu\n", name, t->busy);
	seq_printf(m, "track_%s_oldest_s: ", name);
	pgc_age_show(m, t->oldest_ns);
}

static void pgc_track_show(struct seq_file *m)
{
	struct pgc_track_stats t;

	pgc_track_get_stats(&t);
	seq_printf(m, "track: %d\n", t.enabled);
	pgc_watch_show(m);
	if (!t.enabled)
		return;
	pgc_hook_track_show(m);
	seq_puts(m, "track_since_s: ");
	pgc_age_show(m, t.since_ns);
	seq_printf(m, "track_pfns: %#lx-%#lx\n", t.first_pfn, t.end_pfn);
	seq_printf(m, "track_bytes: %llu (page records %llu, events %llu, stacks %llu)\n",
		   t.table_bytes + t.events.bytes + t.stacks.bytes, t.table_bytes,
		   t.events.bytes, t.stacks.bytes);
	pgc_track_table_show(m, "events", &t.events);
	pgc_track_table_show(m, "stacks", &t.stacks);
	seq_printf(m, "track_outside: %llu\n", t.outside);
	seq_printf(m, "track_refs_lost: %llu\n", t.refs_lost);
}

/* What free_pages_prepare() clears before its check, as pagecheck mirrors it. */
static void pgc_cleared_at_free_show(struct seq_file *m)
{
	seq_puts(m, "kernel_clears_at_free: kmem_charge");
	seq_puts(m, PGC_MAPPING_CLEARED_BITS & ~PGC_MAPPING_ANON ?
		 " anon_movable_mapping" : " anon_mapping");
	if (PGC_HEAD_FLAGS_CLEARED_AT_FREE)
		seq_puts(m, " mlocked");
	if (PGC_HEAD_TYPE_RESET_AT_FREE)
		seq_puts(m, " page_type");
	if (PGC_SECOND_FLAGS_CLEARED_AT_FREE)
		seq_puts(m, " second_page_flags");
	if (PGC_SECOND_MEMCG_CLEARED_AT_FREE)
		seq_puts(m, " nr_pages");
	seq_putc(m, '\n');
}

static int pgc_stats_show(struct seq_file *m, void *v)
{
	struct pgc_audit_stats as;
	struct pgc_store_stats st;
	struct pgc_verdict_stats vs;
	unsigned int r, b, o;

	pgc_audit_get_stats(&as);
	pgc_store_get_stats(&st);

	seq_printf(m, "version: %s\n", PGC_VERSION);
	seq_printf(m, "kernel: %s\n", init_utsname()->release);
	seq_printf(m, "loaded_ns: %llu\n", pgc_debugfs_loaded_ns);
	seq_printf(m, "enabled: %d\n", READ_ONCE(pgc_settings.enabled));
	seq_printf(m, "hook: %s\n", pgc_hook_name());
	pgc_hook_show(m);
	seq_printf(m, "count_frees: %d\n", pgc_settings.count_frees);
	/* count_frees=0 counts no clean free: these totals are left out. */
	if (pgc_settings.count_frees)
		seq_printf(m, "frees_audited: %llu\n", as.frees);
	seq_printf(m, "calls_audited: %llu\n", as.calls);
	if (pgc_settings.count_frees) {
		seq_printf(m, "pages_audited: %llu\n", as.pages);
		seq_puts(m, "frees_by_order:");
		for (o = 0; o < PGC_NR_PAGE_ORDERS; o++)
			seq_printf(m, " %llu", as.by_order[o]);
		seq_putc(m, '\n');
	}
	for (b = 0; b < PGC_NR_ORDER_BUCKETS; b++) {
		seq_printf(m, "slow_path_order_%s: %llu\n", pgc_bucket_names[b],
			   as.slow[b]);
		seq_printf(m, "slow_path_order_%s_clean: %llu\n",
			   pgc_bucket_names[b], as.slow_clean[b]);
	}
	seq_printf(m, "violations: %llu\n", st.violations);
	seq_printf(m, "reports_unique: %u\n", st.unique);
	seq_printf(m, "reports_count_sum: %llu\n", st.stored_sum);
	seq_printf(m, "dropped: %llu\n", st.dropped_full + st.dropped_busy);
	seq_printf(m, "dropped_store_full: %llu\n", st.dropped_full);
	seq_printf(m, "dropped_busy: %llu\n", st.dropped_busy);
	seq_printf(m, "max_reports: %u\n", st.capacity);
	seq_printf(m, "stack_depth: %u\n", READ_ONCE(pgc_settings.stack_depth));
	seq_printf(m, "store_bytes: %zu\n", st.bytes);
	seq_printf(m, "scratch_slots: %u\n", as.scratch_slots);
	seq_printf(m, "scratch_bytes: %zu\n", as.scratch_bytes);
	seq_printf(m, "counters_bytes: %zu (%u possible cpus)\n", as.counters_bytes,
		   num_possible_cpus());
	seq_printf(m, "panic_bytes: %zu\n", pgc_panic_bytes());
	seq_printf(m, "footprint_bytes: %zu\n",
		   st.bytes + as.scratch_bytes + as.counters_bytes + pgc_panic_bytes());
	pgc_track_show(m);
	seq_printf(m, "features: %s\n", PGC_FEATURES);
	pgc_cleared_at_free_show(m);
	seq_printf(m, "kernel_checks: %s\n", pgc_verdict_kernel_checks());
	seq_printf(m, "kernel_verdict: %d\n", pgc_settings.kernel_verdict);
	if (pgc_settings.kernel_verdict) {
		pgc_verdict_get_stats(&vs);
		seq_printf(m, "kernel_verdicts: %llu\n", vs.seen);
		seq_printf(m, "kernel_agree: %llu\n", vs.agree);
		seq_printf(m, "kernel_disagree: %llu\n", vs.disagree);
		seq_printf(m, "kernel_only: %llu\n", vs.kernel_only);
	}
	for (r = 0; r < PGC_NR_REASONS; r++) {
		seq_printf(m, "rule: %s: ", pgc_reason_string(r));
		if (pgc_reason_supported(r))
			seq_printf(m, "%llu\n", as.rule[r]);
		else
			seq_puts(m, "n/a\n");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pgc_stats);

void pgc_debugfs_init(void)
{
	pgc_debugfs_loaded_ns = local_clock();
	pgc_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("reports", 0400, pgc_debugfs_dir, NULL,
			    &pgc_reports_text_fops);
	debugfs_create_file("reports.json", 0400, pgc_debugfs_dir, NULL,
			    &pgc_reports_json_fops);
	debugfs_create_file("stats", 0400, pgc_debugfs_dir, NULL,
			    &pgc_stats_fops);
}

void pgc_debugfs_exit(void)
{
	debugfs_remove_recursive(pgc_debugfs_dir);
	pgc_debugfs_dir = NULL;
}
