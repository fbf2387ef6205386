// SPDX-License-Identifier: GPL-2.0
/*
 * pagecheck: audit every page freed to the buddy allocator against the
 * running kernel's free-time rules, in the freeing context, and report
 * every violation with the culprit's stack.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include "pagecheck/audit.h"
#include "pagecheck/debugfs.h"
#include "pagecheck/format.h"
#include "pagecheck/hook.h"
#include "pagecheck/settings.h"
#include "pagecheck/store.h"
#include "pagecheck/track.h"
#include "pagecheck/panic.h"
#include "pagecheck/rules.h"
#include "pagecheck/verdict.h"
#include "pagecheck/watch.h"

#ifndef PGC_VERSION
#error "PGC_VERSION comes from Kbuild"
#endif

static char pgc_hook_param[16] = "auto";

static DEFINE_MUTEX(pgc_param_lock);
static bool pgc_loaded;

/* --- parameters ---------------------------------------------------------- */

/*
 * Refused values are echoed escaped and cut short (they come from the user
 * and may hold control bytes), and rate-limited: a script that keeps
 * writing bad values must not flood the log.
 */
#define PGC_ECHO_MAX	32
#define pgc_param_err(fmt, name, val, ...)				\
	pr_err_ratelimited("%s: " fmt ", got '%*pE'%s\n", name,	\
			   ##__VA_ARGS__,				\
			   (int)min_t(size_t, strlen(val ?: ""), PGC_ECHO_MAX), \
			   val ?: "", strlen(val ?: "") > PGC_ECHO_MAX ? "..." : "")

/* Stricter than kstrtobool(): "on2" or "yes-please" are refused. */
static int pgc_parse_bool(const char *val, const char *name, bool *out)
{
	static const char *const yes[] = { "1", "y", "Y", "yes", "on", "true" };
	static const char *const no[] = { "0", "n", "N", "no", "off", "false" };
	unsigned int i;

	if (!val) {			/* a bare "name" on the insmod line */
		*out = true;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (sysfs_streq(val, yes[i])) {
			*out = true;
			return 0;
		}
		if (sysfs_streq(val, no[i])) {
			*out = false;
			return 0;
		}
	}
	pgc_param_err("expected 0 or 1", name, val);
	return -EINVAL;
}

/*
 * enabled=1 re-attaches the backend's probe; if that fails the write
 * fails and nothing changes.
 */
static int pgc_set_enabled(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = pgc_parse_bool(val, "enabled", &on);

	if (ret)
		return ret;
	mutex_lock(&pgc_param_lock);
	if (pgc_loaded)
		ret = pgc_hook_set_enabled(on);
	if (!ret)
		WRITE_ONCE(pgc_settings.enabled, on);
	mutex_unlock(&pgc_param_lock);
	return ret;
}

static int pgc_set_bool(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = pgc_parse_bool(val, kp->name, &on);

	if (ret)
		return ret;
	WRITE_ONCE(*(bool *)kp->arg, on);
	return 0;
}

static int pgc_get_bool(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(*(bool *)kp->arg));
}

static int pgc_parse_uint(const char *val, const char *name, unsigned int min,
			  unsigned int max, unsigned int *out)
{
	unsigned int v;

	if (!val || kstrtouint(val, 10, &v) || v < min || v > max) {
		pgc_param_err("expected a decimal integer from %u to %u", name, val,
			      min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int pgc_set_max_reports(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	if (pgc_loaded) {
		pr_err("max_reports can only be set at load time\n");
		return -EINVAL;
	}
	ret = pgc_parse_uint(val, "max_reports", 1, PGC_MAX_REPORTS_LIMIT, &v);
	if (!ret)
		pgc_settings.max_reports = v;
	return ret;
}

static int pgc_set_stack_depth(const char *val, const struct kernel_param *kp)
{
	unsigned int max = pgc_loaded ? pgc_settings.stack_capacity :
					PGC_STACK_DEPTH_MAX;
	unsigned int v;
	int ret = pgc_parse_uint(val, "stack_depth", 1, max, &v);

	if (!ret)
		WRITE_ONCE(pgc_settings.stack_depth, v);
	return ret;
}

static int pgc_set_panic_reports(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = pgc_parse_uint(val, "panic_reports", 0, PGC_PANIC_REPORTS_MAX, &v);

	if (!ret)
		WRITE_ONCE(pgc_settings.panic_reports, v);
	return ret;
}

static int pgc_get_uint(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(*(unsigned int *)kp->arg));
}

static int pgc_set_clear(const char *val, const struct kernel_param *kp)
{
	if (!val || !sysfs_streq(val, "1")) {
		pgc_param_err("write 1 to clear the report store", "clear", val);
		return -EINVAL;
	}
	if (pgc_loaded)
		pgc_store_clear();
	return 0;
}

static int pgc_set_hook(const char *val, const struct kernel_param *kp)
{
	unsigned int i;

	for (i = 0; val && pgc_hook_names[i]; i++) {
		if (sysfs_streq(val, pgc_hook_names[i])) {
			strscpy(pgc_hook_param, pgc_hook_names[i], sizeof(pgc_hook_param));
			return 0;
		}
	}
	pgc_param_err("expected auto, tracepoint, ftrace or kprobe", "hook", val);
	return -EINVAL;
}

/*
 * track=1 allocates the records and tables and attaches the probes; the
 * first time, also room for every report's provenance, kept until unload.
 */
static int pgc_track_start(void)
{
	int ret = pgc_store_track_init();

	if (ret) {
		pr_err("track=1: cannot allocate the provenance of %u reports\n",
		       pgc_settings.max_reports);
		return ret;
	}
	ret = pgc_track_init(pgc_settings.track_events, pgc_settings.track_stacks);
	if (ret)
		return ret;
	ret = pgc_hook_track_attach();
	if (ret)
		pgc_track_exit();
	return ret;
}

/* track=0: detach the probes, then free the tables. Reports keep theirs. */
static void pgc_track_stop(void)
{
	pgc_watch_stop();		/* it arms on track=1's allocations */
	pgc_hook_track_detach();
	pgc_track_exit();
}

/* track= at run time; if tracking cannot start, nothing changes. */
static int pgc_set_track(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = pgc_parse_bool(val, "track", &on);

	if (ret)
		return ret;
	mutex_lock(&pgc_param_lock);
	if (pgc_loaded && on && !pgc_settings.track)
		ret = pgc_track_start();
	else if (pgc_loaded && !on && pgc_settings.track)
		pgc_track_stop();
	if (!ret)
		WRITE_ONCE(pgc_settings.track, on);
	mutex_unlock(&pgc_param_lock);
	return ret;
}

/*
 * watch=off, auto or a fingerprint; needs track=1, whose allocation
 * stacks it arms on. At load time track= is checked by pgc_init().
 */
static int pgc_set_watch(const char *val, const struct kernel_param *kp)
{
	int ret;

	mutex_lock(&pgc_param_lock);
	if (pgc_loaded && !pgc_settings.track && !sysfs_streq(val, "off")) {
		pr_err("watch=%s needs track=1: it watches pages allocated from a report's allocation stack\n",
		       val);
		ret = -EINVAL;
	} else {
		ret = pgc_watch_set(val);
		if (ret == -EINVAL && !pgc_watch_unsupported())
			pgc_param_err("expected off, auto or a 16-digit fingerprint", "watch", val);
	}
	mutex_unlock(&pgc_param_lock);
	return ret;
}

static int pgc_get_watch(char *buf, const struct kernel_param *kp)
{
	return pgc_watch_get(buf);
}

/* watch_alloc=<function>: watch pages allocated under it; needs track=1. */
static int pgc_set_watch_alloc(const char *val, const struct kernel_param *kp)
{
	int ret;

	mutex_lock(&pgc_param_lock);
	if (pgc_loaded && !pgc_settings.track) {
		pr_err("watch_alloc=%s needs track=1: it reads track=1's allocation stacks\n",
		       val);
		ret = -EINVAL;
	} else {
		ret = pgc_watch_alloc_set(val);
	}
	mutex_unlock(&pgc_param_lock);
	return ret;
}

static int pgc_get_watch_alloc(char *buf, const struct kernel_param *kp)
{
	return pgc_watch_alloc_get(buf);
}

/* track_events= and track_stacks=: 0 (the default size) or 16 to 2^20. */
static int pgc_set_track_size(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = pgc_parse_uint(val, kp->name, 0, pgc_track_table_size(UINT_MAX), &v);

	if (!ret && v && v < pgc_track_table_size(0)) {
		pgc_param_err("expected 0 (the default) or at least %u", kp->name, val,
			      pgc_track_table_size(0));
		ret = -EINVAL;
	}
	if (!ret)
		WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return ret;
}

static int pgc_get_hook(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", pgc_hook_param);
}

static int pgc_set_load_bool(const char *val, const struct kernel_param *kp)
{
	if (pgc_loaded) {
		pr_err("%s can only be set at load time\n", kp->name);
		return -EINVAL;
	}
	return pgc_set_bool(val, kp);
}

/*
 * page_pool_rule=: where the kernel checks page_pool pages itself the rule
 * is always on; on 6.1 it is opt-in; 5.10 has no signature to test.
 */
static int pgc_set_page_pool_rule(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	if (pgc_loaded) {
		pr_err("page_pool_rule can only be set at load time\n");
		return -EINVAL;
	}
	ret = pgc_parse_bool(val, "page_pool_rule", &on);
	if (ret)
		return ret;
	if (on != PGC_RULE_PAGE_POOL && !PGC_PAGE_POOL_OPT_IN) {
		pr_err("page_pool_rule=%d: %s\n", on, PGC_RULE_PAGE_POOL ?
		       "this kernel checks page_pool pages itself, so the rule stays on" :
		       "this kernel has no page_pool signature to test");
		return -EINVAL;
	}
	pgc_page_pool_rule = on;
	return 0;
}

static const struct kernel_param_ops pgc_hook_ops = {
	.set = pgc_set_hook, .get = pgc_get_hook,
};
static const struct kernel_param_ops pgc_load_bool_ops = {
	.set = pgc_set_load_bool, .get = pgc_get_bool,
};
static const struct kernel_param_ops pgc_enabled_ops = {
	.set = pgc_set_enabled, .get = pgc_get_bool,
};
static const struct kernel_param_ops pgc_bool_ops = {
	.set = pgc_set_bool, .get = pgc_get_bool,
};
static const struct kernel_param_ops pgc_max_reports_ops = {
	.set = pgc_set_max_reports, .get = pgc_get_uint,
};
static const struct kernel_param_ops pgc_stack_depth_ops = {
	.set = pgc_set_stack_depth, .get = pgc_get_uint,
};
static const struct kernel_param_ops pgc_panic_reports_ops = {
	.set = pgc_set_panic_reports, .get = pgc_get_uint,
};
static const struct kernel_param_ops pgc_track_ops = {
	.set = pgc_set_track, .get = pgc_get_bool,
};
static const struct kernel_param_ops pgc_track_size_ops = {
	.set = pgc_set_track_size, .get = pgc_get_uint,
};
static const struct kernel_param_ops pgc_clear_ops = {
	.set = pgc_set_clear,
};
static const struct kernel_param_ops pgc_watch_ops = {
	.set = pgc_set_watch, .get = pgc_get_watch,
};
static const struct kernel_param_ops pgc_watch_alloc_ops = {
	.set = pgc_set_watch_alloc, .get = pgc_get_watch_alloc,
};
static const struct kernel_param_ops pgc_page_pool_rule_ops = {
	.set = pgc_set_page_pool_rule, .get = pgc_get_bool,
};

module_param_cb(hook, &pgc_hook_ops, NULL, 0444);
MODULE_PARM_DESC(hook, "Backend: auto (default), tracepoint, ftrace or kprobe; load time only");
module_param_cb(kernel_verdict, &pgc_load_bool_ops, &pgc_settings.kernel_verdict, 0444);
MODULE_PARM_DESC(kernel_verdict, "Also record the kernel's own bad_page() verdict per report (default 0)");
module_param_cb(track, &pgc_track_ops, &pgc_settings.track, 0644);
MODULE_PARM_DESC(track, "Record who allocated and who last freed every page, for reports; at run time too (default 0)");
module_param_cb(watch, &pgc_watch_ops, NULL, 0644);
MODULE_PARM_DESC(watch, "Refcount history with hardware watchpoints, x86-64 and arm64: off (default), auto (pages allocated where reported ones were) or a report's fingerprint; needs track=1");
module_param_cb(watch_alloc, &pgc_watch_alloc_ops, NULL, 0644);
MODULE_PARM_DESC(watch_alloc, "Watch, as watch= does, the pages allocated under this function (watch=off stops it); needs track=1");
module_param_cb(track_events, &pgc_track_size_ops, &pgc_settings.track_events, 0644);
MODULE_PARM_DESC(track_events, "track=1's event table entries, 16 to 1048576, from the next track=1 (default 0: one per 64 pages, at least 8192)");
module_param_cb(track_stacks, &pgc_track_size_ops, &pgc_settings.track_stacks, 0644);
MODULE_PARM_DESC(track_stacks, "track=1's stack table entries, 16 to 1048576, from the next track=1 (default 0: a quarter of the events)");
module_param_cb(page_pool_rule, &pgc_page_pool_rule_ops, &pgc_page_pool_rule, 0444);
MODULE_PARM_DESC(page_pool_rule, "Report page_pool pages freed to the allocator: always on where the kernel checks them too (6.12+), opt-in on 6.1 with the tracepoint hook (2 instructions a free); load time only");
module_param_cb(count_frees, &pgc_load_bool_ops, &pgc_settings.count_frees, 0444);
MODULE_PARM_DESC(count_frees, "Count every free by order in stats (default 1 on x86, 0 elsewhere); load time only");
module_param_cb(enabled, &pgc_enabled_ops, &pgc_settings.enabled, 0644);
MODULE_PARM_DESC(enabled, "Audit page frees (default 1)");
module_param_cb(max_reports, &pgc_max_reports_ops, &pgc_settings.max_reports, 0444);
MODULE_PARM_DESC(max_reports, "Unique reports kept, 1..65536, load time only (default 1024)");
module_param_cb(stack_depth, &pgc_stack_depth_ops, &pgc_settings.stack_depth, 0644);
MODULE_PARM_DESC(stack_depth, "Stack entries per report, 1..64; at run time at most the load-time value (default 16)");
module_param_cb(printk, &pgc_bool_ops, &pgc_settings.printk, 0644);
MODULE_PARM_DESC(printk, "Print a rate-limited dmesg line per new unique report (default 1)");
module_param_cb(panic_on_report, &pgc_bool_ops, &pgc_settings.panic_on_report, 0644);
MODULE_PARM_DESC(panic_on_report, "Panic on the first violation, for kdump (default 0)");
module_param_cb(hash_pointers, &pgc_bool_ops, &pgc_settings.hash_pointers, 0644);
MODULE_PARM_DESC(hash_pointers, "Hash page pointers in reports like %p (default 1)");
module_param_cb(panic_reports, &pgc_panic_reports_ops, &pgc_settings.panic_reports, 0644);
MODULE_PARM_DESC(panic_reports, "On any panic, print this many latest reports as JSON lines, 0 to 64 (default 8)");
module_param_cb(clear, &pgc_clear_ops, NULL, 0200);
MODULE_PARM_DESC(clear, "Write 1 to empty the report store and its counters");

/* --- load and unload ----------------------------------------------------- */

/* After this, no enabled= write can re-attach the hook. */
static void pgc_stop_hook(void)
{
	mutex_lock(&pgc_param_lock);
	pgc_loaded = false;
	pgc_hook_detach();
	mutex_unlock(&pgc_param_lock);
}

static int __init pgc_init(void)
{
	int ret;

	pgc_format_init();
	pgc_settings.stack_capacity = pgc_settings.stack_depth;
	ret = pgc_store_init(pgc_settings.max_reports, pgc_settings.stack_capacity);
	if (ret) {
		pr_err("cannot allocate the report store for %u reports\n",
		       pgc_settings.max_reports);
		return ret;
	}
	ret = pgc_panic_init();
	if (ret) {
		pr_err("cannot allocate the panic notifier's buffers\n");
		goto err_store;
	}
	ret = pgc_audit_init();
	if (ret) {
		pr_err("cannot allocate the audit's scratch space\n");
		goto err_panic;
	}

	/* enabled= and track= may be written from sysfs while this runs. */
	mutex_lock(&pgc_param_lock);
	ret = pgc_hook_attach(pgc_hook_param, pgc_settings.enabled);
	if (!ret && pgc_settings.track) {
		ret = pgc_track_start();
		if (ret)
			pgc_hook_detach();
	}
	if (!ret && pgc_watch_on() && !pgc_settings.track) {
		pr_err("watch needs track=1: it watches pages allocated from a report's allocation stack\n");
		pgc_hook_detach();
		ret = -EINVAL;
	}
	if (!ret && pgc_page_pool_opt_in() && strcmp(pgc_hook_name(), "tracepoint")) {
		pr_err("page_pool_rule=1 needs hook=tracepoint on this kernel, not %s\n",
		       pgc_hook_name());
		pgc_track_stop();
		pgc_hook_detach();
		ret = -EINVAL;
	}
	pgc_loaded = !ret;
	mutex_unlock(&pgc_param_lock);
	if (ret)
		goto err_audit;
	if (pgc_settings.kernel_verdict) {
		ret = pgc_verdict_attach();
		if (ret)
			goto err_hook;
	}

	pgc_verdict_read_kernel_checks();
	pgc_debugfs_init();
	pr_info("version %s loaded: hook %s, max_reports %u, stack_depth %u%s%s\n",
		PGC_VERSION, pgc_hook_name(), pgc_settings.max_reports,
		pgc_settings.stack_depth,
		pgc_settings.kernel_verdict ? ", kernel_verdict" : "",
		pgc_settings.track ? ", track" : "");
	return 0;

err_hook:
	pgc_stop_hook();
	pgc_track_stop();
err_audit:
	pgc_format_exit();
	pgc_audit_exit();
err_panic:
	pgc_panic_exit();
err_store:
	pgc_store_exit();
	return ret;
}

static void __exit pgc_exit(void)
{
	pgc_debugfs_exit();
	pgc_verdict_detach();
	pgc_stop_hook();
	pgc_track_stop();
	pgc_format_exit();
	pgc_audit_exit();
	pgc_panic_exit();
	pgc_store_exit();
	pr_info("unloaded\n");
}

module_init(pgc_init);
module_exit(pgc_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The pagecheck developers");
MODULE_DESCRIPTION("Audit freed pages against the kernel's free-time rules");
MODULE_VERSION(PGC_VERSION);
