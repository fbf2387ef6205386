// SPDX-License-Identifier: GPL-2.0
/*
 * pagecheck_bench: kernel-side loops for the benchmark (tests/guest/bench.sh).
 *
 *   echo "alloc ORDER COUNT" > /sys/kernel/debug/pagecheck_bench/run
 *	COUNT alloc_pages(ORDER, compound) + __free_pages() pairs
 *   echo "bad none|unique|dup COUNT [FIRST_KEY]" > .../run
 *	COUNT order-0 frees through one of 4096 distinct call stacks
 *	(key FIRST_KEY, FIRST_KEY+1, ... for "unique", FIRST_KEY for "dup");
 *	"unique" and "dup" free the page with a non-NULL mapping, "none"
 *	frees it healthy, so (bad - none) is the cost of one violation.
 *	A probe that runs after pagecheck restores the page.
 *   echo "flood COUNT [KEYS]" > .../run
 *	COUNT bad order-0 frees spread over every online CPU at once, half
 *	through one repeated stack, half through the 4096 distinct ones
 *	(or all through the first KEYS stacks)
 *   echo "probe ORDER COUNT" > .../run
 *	COUNT direct calls of the probes registered on kmem:mm_page_free,
 *	on one held block whose refcount is frozen at 0 as at a free: the
 *	hook's cost without the allocator's
 *   echo "free ORDER COUNT" > .../run
 *	as alloc, but only the __free_pages() calls are timed: the free
 *	path's own cost, which the kernel's free-time checks add to
 *   echo "floor 0|1" > .../run
 *	detach or attach the empty probe below at run time
 *   cat .../result	"ns=N ops=N pages=N" of the last run
 *
 * Load with floor=1 to attach an empty probe to kmem:mm_page_free: the
 * cheapest possible tracepoint consumer, the floor pagecheck is judged by.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <trace/events/kmem.h>

#include "test_compat.h"

#define PGC_BENCH_RESTORE_PRIO	(TRACEPOINT_DEFAULT_PRIO - 9)
#define PGC_BENCH_HOPS		64
#define PGC_BENCH_KEYS		(PGC_BENCH_HOPS * PGC_BENCH_HOPS)
#define PGC_BENCH_MAX_ORDER	10

static bool floor_probe;
module_param_named(floor, floor_probe, bool, 0444);
MODULE_PARM_DESC(floor, "Attach an empty probe to kmem:mm_page_free (default 0)");

static struct tracepoint *pgc_bench_tp;
static struct dentry *pgc_bench_dir;
static DEFINE_MUTEX(pgc_bench_lock);
static char pgc_bench_result[96];
static struct address_space pgc_bench_mapping;
static DEFINE_PER_CPU(struct page *, pgc_bench_armed);
static bool pgc_bench_corrupt;
static atomic_long_t pgc_bench_flood_left;
static unsigned int pgc_bench_flood_keys;

static void notrace pgc_bench_empty_probe(void *data, struct page *page,
					  unsigned int order)
{
}

static void notrace pgc_bench_restore_probe(void *data, struct page *page,
					    unsigned int order)
{
	if (page == this_cpu_read(pgc_bench_armed)) {
		page->mapping = NULL;
		this_cpu_write(pgc_bench_armed, NULL);
	}
}

static void pgc_bench_set_result(u64 ns, unsigned long ops,
				 unsigned long pages)
{
	snprintf(pgc_bench_result, sizeof(pgc_bench_result),
		 "ns=%llu ops=%lu pages=%lu\n", ns, ops, pages);
}

static int pgc_bench_alloc_loop(unsigned int order, unsigned long count)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | (order ? __GFP_COMP : 0);
	unsigned long i;
	u64 start, ns;

	start = ktime_get_ns();
	for (i = 0; i < count; i++) {
		struct page *page = alloc_pages(gfp, order);

		if (!page)
			return -ENOMEM;
		__free_pages(page, order);
		if (!(i & 63))
			cond_resched();
	}
	ns = ktime_get_ns() - start;
	pgc_bench_set_result(ns, count, count << order);
	return 0;
}

static int pgc_bench_free_loop(unsigned int order, unsigned long count)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | (order ? __GFP_COMP : 0);
	unsigned long i;
	u64 ns = 0;

	for (i = 0; i < count; i++) {
		struct page *page = alloc_pages(gfp, order);
		u64 start;

		if (!page)
			return -ENOMEM;
		start = ktime_get_ns();
		__free_pages(page, order);
		ns += ktime_get_ns() - start;
		if (!(i & 63))
			cond_resched();
	}
	pgc_bench_set_result(ns, count, count << order);
	return 0;
}

typedef void (*pgc_bench_probe_fn)(void *data, struct page *page,
				   unsigned int order);

static int pgc_bench_probe_loop(unsigned int order, unsigned long count)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | (order ? __GFP_COMP : 0);
	struct tracepoint_func *funcs, *f;
	struct page *page;
	unsigned long i;
	u64 start, ns;

	page = alloc_pages(gfp, order);
	if (!page)
		return -ENOMEM;
	if (!page_ref_freeze(page, 1)) {
		__free_pages(page, order);
		return -EBUSY;
	}
	preempt_disable();
	funcs = rcu_dereference_sched(pgc_bench_tp->funcs);
	start = ktime_get_ns();
	for (i = 0; i < count; i++)
		for (f = funcs; f && f->func; f++)
			((pgc_bench_probe_fn)f->func)(f->data, page, order);
	ns = ktime_get_ns() - start;
	preempt_enable();
	page_ref_unfreeze(page, 1);
	__free_pages(page, order);
	pgc_bench_set_result(ns, count, count << order);
	return 0;
}

/* The leaf of every call chain: one order-0 free, bad or healthy. */
static noinline void pgc_bench_free_one(void)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_NOWARN);

	if (!page)
		return;
	/* the restore probe runs on this CPU, in this context */
	preempt_disable();
	if (pgc_bench_corrupt) {
		page->mapping = &pgc_bench_mapping;
		this_cpu_write(pgc_bench_armed, page);
	}
	__free_pages(page, 0);
	this_cpu_write(pgc_bench_armed, NULL);
	preempt_enable();
}

/*
 * 64 distinct functions, two levels deep: key k frees through hop[k % 64]
 * then hop[k / 64], so each key has its own stack and its own report.
 */
typedef void (*pgc_bench_hop_fn)(unsigned int key, unsigned int level);
static const pgc_bench_hop_fn pgc_bench_hops[PGC_BENCH_HOPS];

#define PGC_BENCH_HOP(n)						\
static noinline void pgc_bench_hop_##n(unsigned int key, unsigned int level) \
{									\
	if (level)							\
		pgc_bench_hops[(key / PGC_BENCH_HOPS) % PGC_BENCH_HOPS](key, 0); \
	else								\
		pgc_bench_free_one();					\
	barrier();							\
}
#define PGC_BENCH_HOP8(n)						\
	PGC_BENCH_HOP(n##0) PGC_BENCH_HOP(n##1) PGC_BENCH_HOP(n##2)	\
	PGC_BENCH_HOP(n##3) PGC_BENCH_HOP(n##4) PGC_BENCH_HOP(n##5)	\
	PGC_BENCH_HOP(n##6) PGC_BENCH_HOP(n##7)
PGC_BENCH_HOP8(0) PGC_BENCH_HOP8(1) PGC_BENCH_HOP8(2) PGC_BENCH_HOP8(3)
PGC_BENCH_HOP8(4) PGC_BENCH_HOP8(5) PGC_BENCH_HOP8(6) PGC_BENCH_HOP8(7)

#define PGC_BENCH_REF8(n)						\
	pgc_bench_hop_##n##0, pgc_bench_hop_##n##1, pgc_bench_hop_##n##2, \
	pgc_bench_hop_##n##3, pgc_bench_hop_##n##4, pgc_bench_hop_##n##5, \
	pgc_bench_hop_##n##6, pgc_bench_hop_##n##7
static const pgc_bench_hop_fn pgc_bench_hops[PGC_BENCH_HOPS] = {
	PGC_BENCH_REF8(0), PGC_BENCH_REF8(1), PGC_BENCH_REF8(2),
	PGC_BENCH_REF8(3), PGC_BENCH_REF8(4), PGC_BENCH_REF8(5),
	PGC_BENCH_REF8(6), PGC_BENCH_REF8(7),
};

static int pgc_bench_bad_loop(const char *kind, unsigned long count,
			      unsigned int first_key)
{
	bool unique = !strcmp(kind, "unique");
	unsigned long i;
	u64 start, ns;
	int ret;

	if (!unique && strcmp(kind, "dup") && strcmp(kind, "none"))
		return -EINVAL;
	if (first_key >= PGC_BENCH_KEYS ||
	    (unique && count > PGC_BENCH_KEYS - first_key))
		return -EINVAL;
	ret = tracepoint_probe_register_prio(pgc_bench_tp, pgc_bench_restore_probe,
					     NULL, PGC_BENCH_RESTORE_PRIO);
	if (ret)
		return ret;
	pgc_bench_corrupt = strcmp(kind, "none");

	start = ktime_get_ns();
	for (i = 0; i < count; i++) {
		unsigned int key = unique ? first_key + i : first_key;

		pgc_bench_hops[key % PGC_BENCH_HOPS](key, 1);
		if (!(i & 63))
			cond_resched();
	}
	ns = ktime_get_ns() - start;

	tracepoint_probe_unregister(pgc_bench_tp, pgc_bench_restore_probe, NULL);
	tracepoint_synchronize_unregister();
	pgc_bench_set_result(ns, count, count);
	return 0;
}

static void pgc_bench_flood_cpu(struct work_struct *work)
{
	unsigned long n = 0;
	long left;

	while ((left = atomic_long_dec_return(&pgc_bench_flood_left)) >= 0) {
		unsigned int keys = READ_ONCE(pgc_bench_flood_keys);
		unsigned int key = keys ? left % keys :
				   left & 1 ? 0 : (left >> 1) % PGC_BENCH_KEYS;

		pgc_bench_hops[key % PGC_BENCH_HOPS](key, 1);
		if (!(++n & 63))
			cond_resched();
	}
}

static DEFINE_PER_CPU(struct work_struct, pgc_bench_flood_work);

/*
 * The flood's workers hog their CPUs on purpose: CPU intensive, so that
 * other work on those CPUs (lru_add_drain_all()'s, say) gets a worker of
 * its own meanwhile instead of waiting for the flood to end.
 */
static struct workqueue_struct *pgc_bench_wq;

static int pgc_bench_flood(unsigned long count, unsigned int keys)
{
	u64 start, ns;
	int cpu, ret;

	ret = tracepoint_probe_register_prio(pgc_bench_tp, pgc_bench_restore_probe,
					     NULL, PGC_BENCH_RESTORE_PRIO);
	if (ret)
		return ret;
	pgc_bench_corrupt = true;
	atomic_long_set(&pgc_bench_flood_left, count);
	pgc_bench_flood_keys = keys;
	start = ktime_get_ns();
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(per_cpu_ptr(&pgc_bench_flood_work, cpu), pgc_bench_flood_cpu);
		queue_work_on(cpu, pgc_bench_wq, per_cpu_ptr(&pgc_bench_flood_work, cpu));
	}
	/* Short sleeps: a flood longer than hung_task_timeout is not a hang. */
	while (atomic_long_read(&pgc_bench_flood_left) > 0)
		msleep(10);
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(&pgc_bench_flood_work, cpu));
	cpus_read_unlock();
	ns = ktime_get_ns() - start;
	tracepoint_probe_unregister(pgc_bench_tp, pgc_bench_restore_probe, NULL);
	tracepoint_synchronize_unregister();
	pgc_bench_set_result(ns, count, count);
	return ret;
}

static bool pgc_bench_floor_attached;

static int pgc_bench_set_floor(bool on)
{
	int ret;

	if (on == pgc_bench_floor_attached)
		return 0;
	if (on) {
		ret = tracepoint_probe_register(pgc_bench_tp, pgc_bench_empty_probe,
						NULL);
		if (ret)
			return ret;
	} else {
		tracepoint_probe_unregister(pgc_bench_tp, pgc_bench_empty_probe, NULL);
		tracepoint_synchronize_unregister();
	}
	pgc_bench_floor_attached = on;
	return 0;
}

static ssize_t pgc_bench_run_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	char buf[64], kind[8];
	unsigned long count;
	unsigned int arg = 0;
	int ret = -EINVAL;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	mutex_lock(&pgc_bench_lock);
	pgc_bench_result[0] = '\0';
	if (sscanf(buf, "alloc %u %lu", &arg, &count) == 2) {
		if (arg <= PGC_BENCH_MAX_ORDER && count)
			ret = pgc_bench_alloc_loop(arg, count);
	} else if (sscanf(buf, "free %u %lu", &arg, &count) == 2) {
		if (arg <= PGC_BENCH_MAX_ORDER && count)
			ret = pgc_bench_free_loop(arg, count);
	} else if (sscanf(buf, "probe %u %lu", &arg, &count) == 2) {
		if (arg <= PGC_BENCH_MAX_ORDER && count && count <= 1000000)
			ret = pgc_bench_probe_loop(arg, count);
	} else if (sscanf(buf, "flood %lu %u", &count, &arg) >= 1) {
		if (count && count <= LONG_MAX && arg <= PGC_BENCH_KEYS)
			ret = pgc_bench_flood(count, arg);
	} else if (sscanf(buf, "bad %7s %lu %u", kind, &count, &arg) >= 2) {
		if (count)
			ret = pgc_bench_bad_loop(kind, count, arg);
	} else if (sscanf(buf, "floor %u", &arg) == 1) {
		if (arg <= 1)
			ret = pgc_bench_set_floor(arg);
	}
	mutex_unlock(&pgc_bench_lock);
	return ret ? ret : len;
}

static ssize_t pgc_bench_result_read(struct file *file, char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&pgc_bench_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, pgc_bench_result,
				      strlen(pgc_bench_result));
	mutex_unlock(&pgc_bench_lock);
	return ret;
}

static const struct file_operations pgc_bench_run_fops = {
	.owner = THIS_MODULE,
	.write = pgc_bench_run_write,
};

static const struct file_operations pgc_bench_result_fops = {
	.owner = THIS_MODULE,
	.read = pgc_bench_result_read,
};

static void pgc_bench_tp_match(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "mm_page_free"))
		*(struct tracepoint **)priv = tp;
}

static int __init pgc_bench_init(void)
{
	int ret;

	for_each_kernel_tracepoint(pgc_bench_tp_match, &pgc_bench_tp);
	if (!pgc_bench_tp)
		return -ENOENT;
	check_trace_callback_type_mm_page_free(pgc_bench_empty_probe);
	pgc_bench_wq = alloc_workqueue("pgc_bench", WQ_CPU_INTENSIVE | PGC_WQ_PERCPU, 0);
	if (!pgc_bench_wq)
		return -ENOMEM;
	ret = pgc_bench_set_floor(floor_probe);
	if (ret) {
		destroy_workqueue(pgc_bench_wq);
		return ret;
	}
	pgc_bench_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0200, pgc_bench_dir, NULL, &pgc_bench_run_fops);
	debugfs_create_file("result", 0400, pgc_bench_dir, NULL,
			    &pgc_bench_result_fops);
	return 0;
}

static void __exit pgc_bench_exit(void)
{
	debugfs_remove_recursive(pgc_bench_dir);
	pgc_bench_set_floor(false);
	destroy_workqueue(pgc_bench_wq);
}

module_init(pgc_bench_init);
module_exit(pgc_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pagecheck benchmark loops");
