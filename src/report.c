// SPDX-License-Identifier: GPL-2.0
/*
 * Report formatting: the sanitizer-style text block, JSON lines and the
 * one-line dmesg notice. Stacks are symbolised here, at read time.
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/math64.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include "pagecheck/pagecheck.h"

/* Free-path internals: the title names the first frame that is none of these. */
static const char *const pgc_free_path_symbols[] = {
	"__free_pages", "free_pages", "__free_pages_ok", "__free_pages_core",
	"free_unref_page", "free_unref_page_list", "free_unref_page_commit",
	"free_unref_folios", "folios_put_refs", "folios_put", "release_pages",
	"__folio_put", "__folio_put_small", "__folio_put_large", "folio_put",
	"__put_page", "put_page", "put_pages_list", "free_the_page",
	"free_pcp_prepare", "free_compound_page", "free_transhuge_page",
	"destroy_large_folio", "free_frozen_pages", "__free_frozen_pages",
	"___free_pages", "free_pages_nolock", "free_pages_exact",
	"free_pages_prepare", "free_one_page", "free_pages_bulk",
	"__free_contig_range", "free_contig_range", "__pagevec_release",
	"__traceiter_mm_page_free",
};

static bool pgc_is_free_path(unsigned long addr, char *name)
{
	size_t len;
	unsigned int i;
	char *dot;

	sprint_symbol_no_offset(name, addr);
	/* "sym [module]" and "sym.isra.0" / "sym.constprop.0" clones */
	len = strcspn(name, " .");
	dot = name + len;
	*dot = '\0';
	for (i = 0; i < ARRAY_SIZE(pgc_free_path_symbols); i++)
		if (!strcmp(name, pgc_free_path_symbols[i]))
			return true;
	return false;
}

/**
 * pgc_find_caller() - index of the first frame outside the free path
 * @stack: trimmed stack
 * @nr: entries in @stack
 * @symbol: scratch buffer of KSYM_SYMBOL_LEN bytes
 */
unsigned int pgc_find_caller(const unsigned long *stack, unsigned int nr,
			     char *symbol)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!pgc_is_free_path(stack[i], symbol))
			return i;
	return 0;
}

static void *pgc_caller_addr(const struct pgc_report *r)
{
	return r->nr_entries ? (void *)r->stack[r->caller] : NULL;
}

static void pgc_print_caller(struct seq_file *m, const struct pgc_report *r)
{
	if (!r->nr_entries) {
		seq_puts(m, "unknown");
		return;
	}
	seq_printf(m, "%ps", pgc_caller_addr(r));
}

static void pgc_print_reasons(struct seq_file *m, u32 reasons, const char *sep,
			      bool quoted)
{
	const char *q = quoted ? "\"" : "";
	bool first = true;
	unsigned int i;

	for (i = 0; i < PGC_NR_REASONS; i++) {
		if (!(reasons & PGC_BIT(i)))
			continue;
		seq_printf(m, "%s%s%s%s", first ? "" : sep, q,
			   pgc_reason_string(i), q);
		first = false;
	}
}

static void pgc_print_ns(struct seq_file *m, u64 ns)
{
	u32 rem;
	u64 sec = div_u64_rem(ns, NSEC_PER_SEC, &rem);

	seq_printf(m, "%llu.%06u", sec, rem / 1000);
}

static void pgc_print_page_ptr(struct seq_file *m, const void *page)
{
	if (READ_ONCE(pgc_settings.hash_pointers))
		seq_printf(m, "%p", page);
	else
		seq_printf(m, "%px", page);
}

static void pgc_print_snap(struct seq_file *m, const char *indent,
			   const struct pgc_page_snap *s)
{
	seq_printf(m, "%sflags: %pGp\n", indent, &s->flags);
	seq_printf(m, "%smapping: %#lx mapcount: %d refcount: %d memcg_data: %#lx\n",
		   indent, s->mapping, s->mapcount, s->refcount, s->memcg_data);
}

void pgc_report_text(struct seq_file *m, const struct pgc_report *r)
{
	unsigned int i;

	seq_puts(m, "==================================================================\n");
	seq_puts(m, "BUG: pagecheck: ");
	pgc_print_reasons(m, r->reasons, ", ", false);
	seq_puts(m, " in ");
	pgc_print_caller(m, r);
	seq_printf(m, "\n\nreport #%llu: %llu time%s, first ", r->id, r->count,
		   r->count == 1 ? "" : "s");
	pgc_print_ns(m, r->first_ns);
	seq_puts(m, "s, last ");
	pgc_print_ns(m, r->last_ns);
	seq_puts(m, "s\n");
	seq_printf(m, "pfn: %#lx order: %u page: ", r->pfn, r->order);
	pgc_print_page_ptr(m, r->page);
	if (r->count > 1)
		seq_printf(m, " (latest: pfn %#lx order %u)", r->last_pfn, r->last_order);
	seq_printf(m, "\ncpu: %d pid: %d comm: %.*s context: %s\n", r->cpu, r->pid,
		   (int)sizeof(r->comm), r->comm, pgc_context_name(r->context));
	pgc_print_snap(m, "", &r->head);
	if (r->bad_subpages) {
		seq_printf(m, "bad sub-pages: %u, first: page[%u] pfn %#lx\n",
			   r->bad_subpages, r->first_bad_index,
			   r->pfn + r->first_bad_index);
		pgc_print_snap(m, "  ", &r->bad_tail);
		seq_printf(m, "  compound_head: %#lx\n", r->bad_tail.head_word);
	}
	if (r->kernel_reason[0])
		seq_printf(m, "kernel verdict: bad_page: %s\n", r->kernel_reason);
	seq_puts(m, "\n");
	for (i = 0; i < r->nr_entries; i++)
		seq_printf(m, " %pS\n", (void *)r->stack[i]);
	seq_puts(m, "==================================================================\n");
}

/* JSON string body: escapes quotes, backslashes, controls and non-ASCII. */
static void pgc_json_string(struct seq_file *m, const char *s, size_t max)
{
	size_t i;

	seq_putc(m, '"');
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			seq_printf(m, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			seq_printf(m, "\\u%04x", c);
		else
			seq_putc(m, c);
	}
	seq_putc(m, '"');
}

static void pgc_json_snap(struct seq_file *m, const struct pgc_page_snap *s)
{
	char decoded[160];

	snprintf(decoded, sizeof(decoded), "%pGp", &s->flags);
	seq_printf(m, "\"flags\":\"%#lx\",\"flags_decoded\":", s->flags);
	pgc_json_string(m, decoded, sizeof(decoded));
	seq_printf(m, ",\"mapping\":\"%#lx\",\"mapcount\":%d,\"refcount\":%d,\"memcg_data\":\"%#lx\"",
		   s->mapping, s->mapcount, s->refcount, s->memcg_data);
}

void pgc_report_json(struct seq_file *m, const struct pgc_report *r)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned int i;

	seq_printf(m, "{\"id\":%llu,\"count\":%llu,\"first_ns\":%llu,\"last_ns\":%llu",
		   r->id, r->count, r->first_ns, r->last_ns);
	seq_printf(m, ",\"pfn\":%lu,\"order\":%u,\"last_pfn\":%lu,\"last_order\":%u,\"page\":\"",
		   r->pfn, r->order, r->last_pfn, r->last_order);
	pgc_print_page_ptr(m, r->page);
	seq_puts(m, "\",\"reasons\":[");
	pgc_print_reasons(m, r->reasons, ",", true);
	seq_puts(m, "],");
	pgc_json_snap(m, &r->head);
	seq_printf(m, ",\"cpu\":%d,\"pid\":%d,\"comm\":", r->cpu, r->pid);
	pgc_json_string(m, r->comm, sizeof(r->comm));
	seq_printf(m, ",\"context\":\"%s\",\"caller\":", pgc_context_name(r->context));
	if (r->nr_entries)
		snprintf(buf, sizeof(buf), "%ps", pgc_caller_addr(r));
	else
		strscpy(buf, "unknown", sizeof(buf));
	pgc_json_string(m, buf, sizeof(buf));
	seq_puts(m, ",\"kernel_reason\":");
	if (r->kernel_reason[0])
		pgc_json_string(m, r->kernel_reason, sizeof(r->kernel_reason));
	else
		seq_puts(m, "null");
	seq_printf(m, ",\"bad_subpages\":%u", r->bad_subpages);
	if (r->bad_subpages) {
		seq_printf(m, ",\"first_bad_subpage\":{\"index\":%u,\"pfn\":%lu,",
			   r->first_bad_index, r->pfn + r->first_bad_index);
		pgc_json_snap(m, &r->bad_tail);
		seq_printf(m, ",\"compound_head\":\"%#lx\"}", r->bad_tail.head_word);
	}
	seq_puts(m, ",\"stack\":[");
	for (i = 0; i < r->nr_entries; i++) {
		snprintf(buf, sizeof(buf), "%pS", (void *)r->stack[i]);
		if (i)
			seq_putc(m, ',');
		pgc_json_string(m, buf, sizeof(buf));
	}
	seq_puts(m, "]}\n");
}

void pgc_report_printk(const struct pgc_report *r, unsigned long suppressed)
{
	char reasons[160], note[48] = "";
	size_t len = 0;
	unsigned int i;

	reasons[0] = '\0';
	for (i = 0; i < PGC_NR_REASONS; i++)
		if (r->reasons & PGC_BIT(i))
			len += scnprintf(reasons + len, sizeof(reasons) - len,
					 "%s%s", len ? ", " : "",
					 pgc_reason_string(i));
	if (suppressed)
		snprintf(note, sizeof(note), " [%lu lines suppressed]", suppressed);
	/* The sanitizer-style title names the module itself: no pr_fmt. */
	printk(KERN_ERR "BUG: pagecheck: %s in %ps (pfn %#lx order %u comm %.*s pid %d %s, report #%llu)%s\n",
	       reasons, pgc_caller_addr(r), r->pfn, r->order,
	       (int)sizeof(r->comm), r->comm, r->pid,
	       pgc_context_name(r->context), r->id, note);
}
