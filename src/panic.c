// SPDX-License-Identifier: GPL-2.0
/*
 * On any panic, pagecheck's own (panic_on_report=1) or another's, print
 * the panic_reports most recently seen reports to the console as JSON
 * lines, for kdump's dmesg or a serial log. No allocation and no lock that
 * could deadlock: the store is read under its lock only if it is free.
 *
 * printk keeps lines under 1 KiB, so a report is printed in pieces:
 * "pagecheck: json: " starts a report's JSON line, "pagecheck: json+: "
 * continues it; joining the pieces in order gives the line back.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/notifier.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "pagecheck/compat.h"
#include "pagecheck/format.h"
#include "pagecheck/panic.h"
#include "pagecheck/settings.h"
#include "pagecheck/store.h"

#define PGC_PANIC_TEXT_BYTES	8192
#define PGC_PANIC_PIECE		768

static char *pgc_panic_text;
static struct pgc_report *pgc_panic_report;
static atomic_t pgc_panic_once = ATOMIC_INIT(0);

static void pgc_panic_print(const char *text, size_t len)
{
	size_t off, piece;

	for (off = 0; off < len; off += piece) {
		piece = min_t(size_t, len - off, PGC_PANIC_PIECE);
		pr_emerg("%s %.*s\n", off ? "json+:" : "json:", (int)piece, text + off);
	}
}

static int pgc_panic_notify(struct notifier_block *nb, unsigned long event,
			    void *msg)
{
	u32 index[PGC_PANIC_REPORTS_MAX];
	unsigned int n, i;

	if (atomic_xchg(&pgc_panic_once, 1))
		return NOTIFY_DONE;
	n = pgc_store_latest(index, min_t(unsigned int, READ_ONCE(pgc_settings.panic_reports),
					  PGC_PANIC_REPORTS_MAX));
	pr_emerg("panic: the %u reports seen last, newest first, as JSON lines\n", n);
	for (i = 0; i < n; i++) {
		struct seq_file m = {
			.buf = pgc_panic_text,
			.size = PGC_PANIC_TEXT_BYTES,
		};

		if (!pgc_store_copy_at_panic(index[i], pgc_panic_report))
			continue;
		pgc_format_json(&m, pgc_panic_report);
		if (seq_has_overflowed(&m)) {
			pr_emerg("panic: report #%llu is longer than %d bytes, not printed\n",
				 pgc_panic_report->id, PGC_PANIC_TEXT_BYTES);
			continue;
		}
		/* without its newline: printk ends each piece */
		pgc_panic_print(m.buf, m.count - 1);
	}
	pr_emerg("panic: end of reports\n");
	return NOTIFY_DONE;
}

static struct notifier_block pgc_panic_nb = {
	.notifier_call = pgc_panic_notify,
	.priority = INT_MAX,		/* before notifiers that may stop the machine */
};

int pgc_panic_init(void)
{
	pgc_panic_text = kmalloc(PGC_PANIC_TEXT_BYTES, GFP_KERNEL);
	pgc_panic_report = kmalloc(pgc_store_report_size(), GFP_KERNEL);
	if (!pgc_panic_text || !pgc_panic_report) {
		pgc_panic_exit();
		return -ENOMEM;
	}
	atomic_notifier_chain_register(&panic_notifier_list, &pgc_panic_nb);
	return 0;
}

void pgc_panic_exit(void)
{
	if (pgc_panic_text && pgc_panic_report)
		atomic_notifier_chain_unregister(&panic_notifier_list, &pgc_panic_nb);
	kfree(pgc_panic_text);
	kfree(pgc_panic_report);
	pgc_panic_text = NULL;
	pgc_panic_report = NULL;
}

size_t pgc_panic_bytes(void)
{
	return PGC_PANIC_TEXT_BYTES + pgc_store_report_size();
}
