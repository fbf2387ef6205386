// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoint backend: kmem:mm_page_free fires once per buddy free, in the
 * freeing context, before free_pages_prepare() normalises or checks the
 * page. It is not exported, so it is found by name.
 *
 * mm_page_free_batched is not hooked: it fires for pages that already
 * produced mm_page_free and were already normalised.
 */
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/kmem.h>
#include "pagecheck/audit.h"
#include "pagecheck/hook.h"

static struct tracepoint *pgc_tp_page_free;
static bool pgc_tp_registered;

/*
 * The probe's data is the flags mask, PGC_HEAD_CHECK_FLAGS: it arrives in
 * a register (see pgc_probe_check_flags()), and the slow paths take it
 * first, so that the probe reaches them with a plain jump.
 */
#define PGC_TP_DATA	((void *)PGC_HEAD_CHECK_FLAGS)

/*
 * enabled=0 unregisters the probe: no static key test on the hot path.
 * __noclone: the page_pool probes share this body, and GCC would split it
 * out behind a jump.
 */
static void notrace __noclone pgc_tp_probe(void *data, struct page *page,
				 unsigned int order)
{
	__pgc_audit_free(pgc_probe_check_flags(data), page, order, false);
}

/* count_frees=1: the same, with the per-cpu count of order-0 frees. */
static void notrace __noclone pgc_tp_probe_counted(void *data, struct page *page,
					 unsigned int order)
{
	__pgc_audit_free(pgc_probe_check_flags(data), page, order, true);
}

#if PGC_PAGE_POOL_OPT_IN
/* page_pool_rule=1, where the rule is opt-in: one probe per count_frees. */
static void notrace pgc_tp_probe_page_pool(void *data, struct page *page,
					   unsigned int order)
{
	pgc_audit_free_page_pool(pgc_probe_check_flags(data), page, order, false);
}

static void notrace pgc_tp_probe_page_pool_counted(void *data, struct page *page,
						   unsigned int order)
{
	pgc_audit_free_page_pool(pgc_probe_check_flags(data), page, order, true);
}
#endif

/* The probe count_frees and page_pool_rule ask for; chosen once, at load. */
static void (*pgc_tp_probe_fn)(void *data, struct page *page, unsigned int order);

static void pgc_tp_choose_probe(void)
{
	bool counted = static_key_enabled(&pgc_count_frees);

	check_trace_callback_type_mm_page_free(pgc_tp_probe);
	check_trace_callback_type_mm_page_free(pgc_tp_probe_counted);
	pgc_tp_probe_fn = counted ? pgc_tp_probe_counted : pgc_tp_probe;
#if PGC_PAGE_POOL_OPT_IN
	check_trace_callback_type_mm_page_free(pgc_tp_probe_page_pool);
	check_trace_callback_type_mm_page_free(pgc_tp_probe_page_pool_counted);
	if (pgc_page_pool_opt_in())
		pgc_tp_probe_fn = counted ? pgc_tp_probe_page_pool_counted :
					    pgc_tp_probe_page_pool;
#endif
}

static int pgc_tp_register(bool on)
{
	int ret = 0;

	if (on == pgc_tp_registered)
		return 0;
	if (on)
		ret = tracepoint_probe_register(pgc_tp_page_free, pgc_tp_probe_fn,
						PGC_TP_DATA);
	else
		WARN_ON(tracepoint_probe_unregister(pgc_tp_page_free,
						    pgc_tp_probe_fn, PGC_TP_DATA));
	if (ret)
		pr_warn("tracepoint: cannot register on kmem:mm_page_free: %d\n", ret);
	else
		pgc_tp_registered = on;
	return ret;
}

static int pgc_tp_attach(bool enabled)
{
	struct tracepoint *tp;
	int ret;

	/* The probes must match TP_PROTO(struct page *page, unsigned int order). */
	pgc_tp_choose_probe();

	tp = pgc_tracepoint_find("mm_page_free");
	if (!tp) {
		pr_warn("tracepoint: kmem:mm_page_free not found in this kernel\n");
		return -ENOENT;
	}
	pgc_tp_page_free = tp;
	ret = pgc_tp_register(enabled);
	if (ret)
		pgc_tp_page_free = NULL;
	return ret;
}

static void pgc_tp_detach(void)
{
	if (!pgc_tp_page_free)
		return;
	pgc_tp_register(false);
	tracepoint_synchronize_unregister();
	pgc_tp_page_free = NULL;
}

static void pgc_tp_show(struct seq_file *m)
{
	seq_puts(m, "hook_target: kmem:mm_page_free (tracepoint, every buddy free)\n");
	seq_puts(m, "hook_unseen: calls to __free_pages() that never reach the allocator (double free at the call)\n");
}

const struct pgc_backend pgc_backend_tracepoint = {
	.name = "tracepoint",
	.attach = pgc_tp_attach,
	.detach = pgc_tp_detach,
	.show = pgc_tp_show,
	.set_enabled = pgc_tp_register,
};
