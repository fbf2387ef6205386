// SPDX-License-Identifier: GPL-2.0
/*
 * Report formatting: the sanitizer-style text block, JSON lines and the
 * one-line dmesg notice. Stacks are symbolised here, at read time; only
 * the fingerprint names three frames when the report is made.
 * Timestamps are local_clock(), the clock of dmesg, printed its way.
 */
#include <linux/kernel.h>
#include <linux/irq_work.h>
#include <linux/kallsyms.h>
#include <linux/kdev_t.h>
#include <linux/math64.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include "pagecheck/format.h"
#include "pagecheck/watch.h"
#include "pagecheck/nmi_lock.h"
#include "pagecheck/owner.h"
#include "pagecheck/rules.h"
#include "pagecheck/settings.h"
#include "pagecheck/stack.h"

static const char *const pgc_context_names[PGC_NR_CONTEXTS] = {
	[PGC_CTX_TASK]		= "task",
	[PGC_CTX_SOFTIRQ]	= "softirq",
	[PGC_CTX_HARDIRQ]	= "hardirq",
	[PGC_CTX_NMI]		= "nmi",
};

const char *pgc_context_name(unsigned int context)
{
	return context < PGC_NR_CONTEXTS ? pgc_context_names[context] : "?";
}

static void *pgc_caller_addr(const struct pgc_report *r)
{
	return r->nr_entries ? (void *)r->stack[r->caller] : NULL;
}

/*
 * The caller's name for titles, "func [module]", without the compiler's
 * clone suffixes (.constprop.0, .isra.0, ...), which change between builds.
 */
static void pgc_caller_name(const struct pgc_report *r, char *buf)
{
	size_t dot;

	if (!r->nr_entries) {
		strscpy(buf, "unknown", KSYM_SYMBOL_LEN);
		return;
	}
	sprint_symbol_no_offset(buf, (unsigned long)pgc_caller_addr(r));
	dot = strcspn(buf, ". ");
	if (buf[dot] == '.') {
		size_t mod = strcspn(buf + dot, " ");

		memmove(buf + dot, buf + dot + mod, strlen(buf + dot + mod) + 1);
	}
}

#define PGC_FNV_OFFSET		0xcbf29ce484222325ULL
#define PGC_FNV_PRIME		0x100000001b3ULL
#define PGC_FINGERPRINT_FRAMES	3

static u64 pgc_fnv1a(u64 hash, const char *s)
{
	while (*s)
		hash = (hash ^ (u8)*s++) * PGC_FNV_PRIME;
	return hash;
}

/* A function's bare name: no module, offset or clone suffix; "?" if none. */
static void pgc_function_name(unsigned long addr, char *buf)
{
	sprint_symbol_no_offset(buf, addr);
	if (!strncmp(buf, "0x", 2))
		strscpy(buf, "?", KSYM_SYMBOL_LEN);
	buf[strcspn(buf, ". ")] = '\0';
}

/**
 * pgc_format_fingerprint() - a bug's signature across machines and boots
 * @r: the report, its stack saved and its caller found
 * @symbol: KSYM_SYMBOL_LEN bytes of scratch
 *
 * FNV-1a 64 of the text "R|F1|F2|F3": R is the sum of the FNV-1a 64 of
 * each reason's name, as 16 hex digits (so the order of the rules does
 * not count); F1 is the caller's bare name and F2, F3 the next two frames'.
 * No address, offset, module, CPU, pid or time goes in.
 */
u64 pgc_format_fingerprint(const struct pgc_report *r, char *symbol)
{
	u64 reasons = 0, hash;
	unsigned int i, end;
	char hex[17];

	for (i = 0; i < PGC_NR_REASONS; i++)
		if (r->reasons & PGC_BIT(i))
			reasons += pgc_fnv1a(PGC_FNV_OFFSET, pgc_reason_string(i));
	snprintf(hex, sizeof(hex), "%016llx", reasons);
	hash = pgc_fnv1a(PGC_FNV_OFFSET, hex);
	end = min_t(unsigned int, r->nr_entries, r->caller + PGC_FINGERPRINT_FRAMES);
	for (i = r->caller; i < end; i++) {
		pgc_function_name(r->stack[i], symbol);
		hash = pgc_fnv1a(pgc_fnv1a(hash, "|"), symbol);
	}
	return hash;
}

static const char *pgc_kernel_reason(const struct pgc_report *r)
{
	if (!r->kernel_reason)
		return NULL;
	if (r->kernel_reason > PGC_NR_REASONS)
		return "(a reason pagecheck has no rule for)";
	return pgc_reason_string(r->kernel_reason - 1);
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

/* "[ 1234.567890]", as dmesg prints local_clock(). */
static void pgc_print_time(struct seq_file *m, u64 ns)
{
	u32 rem;
	u64 sec = div_u64_rem(ns, NSEC_PER_SEC, &rem);

	seq_printf(m, "[%5llu.%06u]", sec, rem / 1000);
}

static void pgc_print_page_ptr(struct seq_file *m, const void *page)
{
	if (READ_ONCE(pgc_settings.hash_pointers))
		seq_printf(m, "%p", page);
	else
		seq_printf(m, "%px", page);
}

/* The fields of the head a broken rule points at. */
static unsigned int pgc_head_broken_fields(u32 reasons)
{
	unsigned int fields = 0;

	if (reasons & PGC_BIT(PGC_R_FLAGS))
		fields |= PGC_FIELD_FLAGS;
	if (reasons & PGC_BIT(PGC_R_MAPPING))
		fields |= PGC_FIELD_MAPPING;
	if (reasons & (PGC_BIT(PGC_R_MAPCOUNT) | PGC_BIT(PGC_R_BUDDY)))
		fields |= PGC_FIELD_MAPCOUNT;
	if (reasons & (PGC_BIT(PGC_R_REFCOUNT) | PGC_BIT(PGC_R_REFCOUNT_NEGATIVE)))
		fields |= PGC_FIELD_REFCOUNT;
	if (reasons & PGC_BIT(PGC_R_MEMCG))
		fields |= PGC_FIELD_MEMCG;
	if (reasons & PGC_BIT(PGC_R_PAGE_POOL))
		fields |= PGC_FIELD_HEAD_WORD;
	return fields;
}

/* The fields of a sub-page whose word is not what a healthy free leaves. */
static unsigned int pgc_sub_broken_fields(const struct pgc_page_snap *s,
					  const struct pgc_page_snap *want,
					  unsigned int checked)
{
	unsigned int fields = 0;

	if (s->flags & PAGE_FLAGS_CHECK_AT_FREE)
		fields |= PGC_FIELD_FLAGS;
	if (s->head_word != want->head_word)
		fields |= PGC_FIELD_HEAD_WORD;
	if (s->mapping != want->mapping)
		fields |= PGC_FIELD_MAPPING;
	if (s->mapcount != want->mapcount)
		fields |= PGC_FIELD_MAPCOUNT;
	if (s->refcount != want->refcount)
		fields |= PGC_FIELD_REFCOUNT;
	if (s->memcg_data != want->memcg_data)
		fields |= PGC_FIELD_MEMCG;
	return fields & checked;
}

/* Whether "%pGp" prints the value itself (5.14 on), or only the names. */
static bool pgc_pGp_has_value;

/*
 * dmesg lines wait in a small ring and an irq_work prints them: a printk()
 * on the free path could wait on console locks while the caller holds
 * zone->lock, a lock cycle. In NMI the ring is only trylocked; a line that
 * cannot go in is counted and the next line says so.
 */
#define PGC_DEFERRED_LINES	8
#define PGC_DEFERRED_LEN	384

struct pgc_deferred_line {
	bool title;		/* a report's title: no pr_fmt, KERN_ERR */
	char text[PGC_DEFERRED_LEN];
};

static struct {
	raw_spinlock_t lock;
	unsigned int head, nr;
	struct pgc_deferred_line line[PGC_DEFERRED_LINES];
} pgc_deferred = { .lock = __RAW_SPIN_LOCK_UNLOCKED(pgc_deferred.lock) };

static atomic_long_t pgc_deferred_lost = ATOMIC_LONG_INIT(0);
static struct irq_work pgc_deferred_work;

static void pgc_deferred_print(struct irq_work *work)
{
	struct pgc_deferred_line line;
	unsigned long flags;
	bool taken;

	for (;;) {
		taken = false;
		raw_spin_lock_irqsave(&pgc_deferred.lock, flags);
		if (pgc_deferred.nr) {
			line = pgc_deferred.line[pgc_deferred.head];
			pgc_deferred.head = (pgc_deferred.head + 1) % PGC_DEFERRED_LINES;
			pgc_deferred.nr--;
			taken = true;
		}
		raw_spin_unlock_irqrestore(&pgc_deferred.lock, flags);
		if (!taken)
			return;
		if (line.title)
			printk(KERN_ERR "%s\n", line.text);
		else
			pr_warn("%s\n", line.text);
	}
}

/* With the ring's lock held: false if the ring is full. */
static bool pgc_deferred_push(bool title, const char *text)
{
	struct pgc_deferred_line *line;

	if (pgc_deferred.nr == PGC_DEFERRED_LINES)
		return false;
	line = &pgc_deferred.line[(pgc_deferred.head + pgc_deferred.nr) %
				  PGC_DEFERRED_LINES];
	line->title = title;
	strscpy(line->text, text, sizeof(line->text));
	pgc_deferred.nr++;
	return true;
}

/*
 * Queue one line from any context. A line that cannot go in is counted
 * as lost, with the @suppressed ones it would have reported.
 */
static void pgc_deferred_add(bool title, const char *text, unsigned long suppressed)
{
	unsigned long flags;
	bool added;

	if (!pgc_nmi_lock(&pgc_deferred.lock, &flags)) {
		atomic_long_add(suppressed + 1, &pgc_deferred_lost);
		return;
	}
	added = pgc_deferred_push(title, text);
	raw_spin_unlock_irqrestore(&pgc_deferred.lock, flags);
	if (added)
		irq_work_queue(&pgc_deferred_work);
	else
		atomic_long_add(suppressed + 1, &pgc_deferred_lost);
}

/* What the running kernel's printk makes of "%pGp": asked once, at load. */
void pgc_format_init(void)
{
	unsigned long zero = 0;
	char probe[4];

	snprintf(probe, sizeof(probe), "%pGp", &zero);
	pgc_pGp_has_value = probe[0] == '0' && probe[1] == 'x';
	init_irq_work(&pgc_deferred_work, pgc_deferred_print);
}

/* After the hooks are gone: the lines still waiting are printed. */
void pgc_format_exit(void)
{
	irq_work_sync(&pgc_deferred_work);
	pgc_deferred_print(&pgc_deferred_work);
}

static void pgc_print_flags(struct seq_file *m, unsigned long flags)
{
	if (pgc_pGp_has_value)
		seq_printf(m, "%pGp", &flags);
	else
		seq_printf(m, "%#lx(%pGp)", flags, &flags);
}

/*
 * One page's words; each broken one is followed by what a healthy free
 * leaves there. @head_name is NULL where the head word is not shown.
 */
static void pgc_print_snap(struct seq_file *m, const char *indent,
			   const struct pgc_page_snap *s,
			   const struct pgc_page_snap *want, unsigned int broken,
			   const char *head_name, const char *mapping_name)
{
	unsigned long bad_flags = s->flags & PAGE_FLAGS_CHECK_AT_FREE;

	seq_printf(m, "%sflags: ", indent);
	pgc_print_flags(m, s->flags);
	if (broken & PGC_FIELD_FLAGS)
		seq_printf(m, ", checked at free: %#lx (expected 0)", bad_flags);
	seq_putc(m, '\n');
	if (head_name) {
		seq_printf(m, "%s%s: %#lx", indent, head_name, s->head_word);
		if ((broken & PGC_FIELD_HEAD_WORD) && want->head_word)
			seq_printf(m, " (expected %#lx)", want->head_word);
		else if (broken & PGC_FIELD_HEAD_WORD)
			seq_puts(m, " (expected no page_pool signature)");
		seq_putc(m, '\n');
	}
	seq_printf(m, "%s%s: %#lx", indent, mapping_name, s->mapping);
	if (broken & PGC_FIELD_MAPPING)
		seq_printf(m, " (expected %#lx)", want->mapping);
	seq_printf(m, "\n%smapcount: %d", indent, s->mapcount);
	if (broken & PGC_FIELD_MAPCOUNT)
		seq_printf(m, " (expected %d)", want->mapcount);
	seq_printf(m, " refcount: %d", s->refcount);
	if (broken & PGC_FIELD_REFCOUNT)
		seq_printf(m, " (expected %d)", want->refcount);
	seq_printf(m, " memcg_data: %#lx", s->memcg_data);
	if (broken & PGC_FIELD_MEMCG)
		seq_printf(m, " (expected %#lx)", want->memcg_data);
	seq_putc(m, '\n');
}

static const struct pgc_page_snap pgc_clean_head = { .mapcount = -1 };

static void pgc_print_head(struct seq_file *m, const struct pgc_report *r)
{
	unsigned int broken = pgc_head_broken_fields(r->reasons);

	pgc_print_snap(m, "", &r->head, &pgc_clean_head, broken,
		       (broken & PGC_FIELD_HEAD_WORD) ? "pp_magic" : NULL,
		       "mapping");
}

static void pgc_print_sub(struct seq_file *m, const struct pgc_report *r)
{
	unsigned int index = r->first_bad_index, checked;
	struct pgc_page_snap want;

	pgc_subpage_expected(r->page, r->order, r->compound, index, &want,
			     &checked);
	seq_printf(m, "bad sub-pages: %u, first: page[%u] pfn %#lx\n",
		   r->bad_subpages, index, r->pfn + index);
	pgc_print_snap(m, "  ", &r->bad_tail, &want,
		       pgc_sub_broken_fields(&r->bad_tail, &want, checked),
		       r->compound ? "compound_head" : NULL,
		       pgc_subpage_mapping_name(r->compound, index));
}

/* The folio counters of page[1], shown where this kernel has them. */
static const struct {
	const char *name;
	unsigned int reason;		/* its rule: enum pgc_reason */
	size_t offset;			/* in struct pgc_folio_snap */
	int expected;
} pgc_folio_counters[] = {
	{ "compound_mapcount", PGC_R_COMPOUND_MAPCOUNT,
	  offsetof(struct pgc_folio_snap, entire_mapcount), -1 },
	{ "entire_mapcount", PGC_R_ENTIRE_MAPCOUNT,
	  offsetof(struct pgc_folio_snap, entire_mapcount), -1 },
	{ "large_mapcount", PGC_R_LARGE_MAPCOUNT,
	  offsetof(struct pgc_folio_snap, large_mapcount), -1 },
	{ "nr_pages_mapped", PGC_R_NR_PAGES_MAPPED,
	  offsetof(struct pgc_folio_snap, nr_pages_mapped), 0 },
	{ "pincount", PGC_R_PINCOUNT, offsetof(struct pgc_folio_snap, pincount), 0 },
};

static int pgc_folio_counter(const struct pgc_folio_snap *f, unsigned int i)
{
	return *(const int *)((const char *)f + pgc_folio_counters[i].offset);
}

/* The folio fields behind page[1]/page[2] rules, if one of them broke. */
static void pgc_print_folio(struct seq_file *m, const struct pgc_report *r)
{
	const struct pgc_folio_snap *f = &r->folio;
	unsigned int i;

	if (!r->compound || !pgc_folio_reasons(f))
		return;
	seq_puts(m, "folio:");
	for (i = 0; i < ARRAY_SIZE(pgc_folio_counters); i++)
		if (pgc_reason_supported(pgc_folio_counters[i].reason))
			seq_printf(m, " %s: %d (expected %d)", pgc_folio_counters[i].name,
				   pgc_folio_counter(f, i), pgc_folio_counters[i].expected);
	if (pgc_reason_supported(PGC_R_MM_MAPCOUNT0))
		seq_printf(m, " mm_mapcount: %d %d (expected -1 -1)", f->mm_mapcount0,
			   f->mm_mapcount1);
	seq_putc(m, '\n');
	if (pgc_on_deferred_list(f))
		seq_printf(m, "folio: deferred_list.next: %#lx (expected %#lx, the empty list)\n",
			   f->deferred_next, f->deferred_self);
}

/* track=1's part of a report: readers' copies always have room for it. */
static const struct pgc_report_track *pgc_track_of(const struct pgc_report *r)
{
	return pgc_report_track(r, pgc_settings.stack_capacity);
}

static const struct pgc_provenance *pgc_prov(const struct pgc_report *r)
{
	return &pgc_track_of(r)->prov;
}

/*
 * Why the allocation to show is not known, or PGC_MISSING_NONE. A page
 * freed since its last allocation seen was allocated again unseen, unless
 * this free is the double free of that page.
 */
static unsigned int pgc_alloc_missing(const struct pgc_report *r)
{
	const u32 double_free = PGC_BIT(PGC_R_BUDDY) | PGC_BIT(PGC_R_DOUBLE_FREE) |
				PGC_BIT(PGC_R_REFCOUNT_NEGATIVE);
	const struct pgc_provenance *p = pgc_prov(r);

	if (p->state == PGC_PROV_FREED && !(r->reasons & double_free))
		return PGC_MISSING_UNHOOKED;
	return p->alloc.missing;
}

static const char *const pgc_alloc_missing_text[PGC_NR_MISSING] = {
	[PGC_MISSING_OFF]	= "not recorded (track=0)",
	[PGC_MISSING_UNTRACKED]	= "not recorded: the page is outside the memory tracked",
	[PGC_MISSING_BEFORE]	= "allocated before tracking began",
	[PGC_MISSING_UNHOOKED]	= "not seen since its last free: by a path pagecheck does not hook",
	[PGC_MISSING_EVICTED]	= "evicted: its entry was recycled for newer ones",
	[PGC_MISSING_DROPPED]	= "not kept: every entry of its set was being written",
};

static const char *const pgc_free_missing_text[PGC_NR_MISSING] = {
	[PGC_MISSING_OFF]	= "not recorded (track=0)",
	[PGC_MISSING_UNTRACKED]	= "not recorded: the page is outside the memory tracked",
	[PGC_MISSING_BEFORE]	= "not since tracking began",
	[PGC_MISSING_UNHOOKED]	= "not since tracking began",
	[PGC_MISSING_EVICTED]	= "evicted: its entry was recycled for newer ones",
	[PGC_MISSING_DROPPED]	= "not kept: every entry of its set was being written",
};

/* A recorded stack, the hook's frames trimmed: its first entry and count. */
static unsigned int pgc_event_stack(const struct pgc_prov_event *e,
				    const unsigned long **entries, char *symbol)
{
	unsigned int skip = pgc_stack_hook_frames(e->stack, e->nr_entries, symbol);

	*entries = e->stack + skip;
	return e->nr_entries - skip;
}

static void pgc_print_event_stack(struct seq_file *m, const struct pgc_prov_event *e,
				  char *symbol)
{
	const unsigned long *stack;
	unsigned int i, nr = pgc_event_stack(e, &stack, symbol);

	for (i = 0; i < nr; i++)
		seq_printf(m, " %pS\n", (void *)stack[i]);
}

/* page_owner's shape: "page allocated via order N, mask ..." and a stack. */
static void pgc_print_provenance(struct seq_file *m, const struct pgc_report *r,
				 char *symbol)
{
	const struct pgc_provenance *p = pgc_prov(r);
	unsigned int missing = pgc_alloc_missing(r);

	if (p->state == PGC_PROV_OFF)
		return;
	seq_puts(m, "\n");
	if (!missing) {
		gfp_t gfp = p->alloc.gfp;

		seq_printf(m, "page allocated via order %u, mask %#x(%pGg), pid %d (%.*s), ts ",
			   p->alloc.order, (__force unsigned int)gfp, &gfp, p->alloc.pid,
			   (int)sizeof(p->alloc.comm), p->alloc.comm);
		pgc_print_time(m, p->alloc.ts_ns);
		seq_puts(m, "\n");
		pgc_print_event_stack(m, &p->alloc, symbol);
	} else {
		seq_printf(m, "page allocation: %s\n", pgc_alloc_missing_text[missing]);
	}
	if (!p->free.missing) {
		seq_printf(m, "page previously freed by pid %d (%.*s), ts ", p->free.pid,
			   (int)sizeof(p->free.comm), p->free.comm);
		pgc_print_time(m, p->free.ts_ns);
		seq_puts(m, "\n");
		pgc_print_event_stack(m, &p->free, symbol);
	} else if (p->free.missing != PGC_MISSING_UNTRACKED) {
		seq_printf(m, "page previously freed: %s\n",
			   pgc_free_missing_text[p->free.missing]);
	}
}

static const struct pgc_owner *pgc_owner_of(const struct pgc_report *r)
{
	return pgc_prov(r)->state == PGC_PROV_OFF ? NULL : &pgc_track_of(r)->owner;
}

static void pgc_print_owner(struct seq_file *m, const struct pgc_report *r)
{
	const struct pgc_owner *o = pgc_owner_of(r);

	if (!o)
		return;
	seq_printf(m, "page owner: %s", pgc_owner_kind_name(o->kind));
	if (o->has_file)
		seq_printf(m, ", inode %llu \"%.*s\" on %.*s (dev %u:%u)", o->ino,
			   (int)sizeof(o->name), o->name, (int)sizeof(o->fstype),
			   o->fstype, MAJOR(o->dev), MINOR(o->dev));
	else if (o->kind == PGC_OWNER_PAGE_POOL && o->name[0])
		seq_printf(m, " of %.*s", (int)sizeof(o->name), o->name);
	else if (o->kind == PGC_OWNER_UNKNOWN)
		seq_printf(m, " (%.*s)", (int)sizeof(o->name), o->name);
	if (o->has_memcg)
		seq_printf(m, ", memcg %.*s (cgroup id %llu)", (int)sizeof(o->cgroup),
			   o->cgroup, o->cgroup_id);
	seq_putc(m, '\n');
}

/*
 * One history copied out at a time (it is large): a reader that finds it
 * busy says so rather than wait, as the panic notifier may be the one.
 */
static struct pgc_watch_history pgc_history_buf;
static DEFINE_SPINLOCK(pgc_history_lock);

static void pgc_print_history_value(struct seq_file *m, unsigned int field, u64 v,
				    bool json)
{
	if (field == PGC_WATCH_MAPPING)
		seq_printf(m, json ? "\"0x%llx\"" : "0x%llx", v);
	else
		seq_printf(m, "%lld", (s64)v);
}

/* The writes kept, oldest first: the last PGC_WATCH_EVENTS of h->nr. */
static unsigned int pgc_history_first(const struct pgc_watch_history *h)
{
	return h->nr > PGC_WATCH_EVENTS ? h->nr - PGC_WATCH_EVENTS : 0;
}

/* Each writer's stack once: a stack printed before is not printed again. */
static void pgc_print_history(struct seq_file *m, const struct pgc_report *r)
{
	struct pgc_watch_history *h = &pgc_history_buf;
	unsigned long shown = 0;
	unsigned int i, j;

	if (!spin_trylock(&pgc_history_lock))
		return;
	if (pgc_watch_history(r->id, h)) {
		seq_printf(m, "\nrefcount history of pfn %#lx: %u write%s, %u kept; armed %llu ns after its allocation\n",
			   h->pfn, h->nr, h->nr == 1 ? "" : "s",
			   min_t(u32, h->nr, PGC_WATCH_EVENTS), h->window_ns);
		for (i = pgc_history_first(h); i < h->nr; i++) {
			const struct pgc_watch_event *e = &h->ev[i % PGC_WATCH_EVENTS];
			const struct pgc_watch_stack *st = pgc_watch_event_stack(h, e);

			seq_puts(m, " ");
			pgc_print_time(m, e->ts_ns);
			seq_printf(m, " %s ", pgc_watch_field_name(e->field));
			pgc_print_history_value(m, e->field, e->old, false);
			seq_puts(m, " -> ");
			pgc_print_history_value(m, e->field, e->new, false);
			seq_printf(m, " by %pS, pid %d (%.*s), %s\n",
				   st ? (void *)st->entries[0] : NULL, e->pid,
				   (int)sizeof(e->comm), e->comm, pgc_context_name(e->context));
			if (!st) {
				seq_puts(m, "   (its stack was recycled for another)\n");
			} else if (shown & BIT(e->stack)) {
				seq_puts(m, "   (the stack above)\n");
			} else {
				for (j = 1; j < st->nr_entries; j++)
					seq_printf(m, "   %pS\n", (void *)st->entries[j]);
				shown |= BIT(e->stack);
			}
		}
	}
	spin_unlock(&pgc_history_lock);
}

void pgc_format_text(struct seq_file *m, const struct pgc_report *r)
{
	const char *verdict = pgc_kernel_reason(r);
	char name[KSYM_SYMBOL_LEN];
	unsigned int i;

	seq_puts(m, "==================================================================\n");
	seq_puts(m, "BUG: pagecheck: ");
	pgc_print_reasons(m, r->reasons, ", ", false);
	pgc_caller_name(r, name);
	seq_printf(m, " in %s", name);
	seq_printf(m, "\n\nreport #%llu: %llu time%s, fingerprint %016llx, first ",
		   r->id, r->count, r->count == 1 ? "" : "s", r->fingerprint);
	pgc_print_time(m, r->first_ns);
	seq_puts(m, ", last ");
	pgc_print_time(m, r->last_ns);
	seq_printf(m, "\npfn: %#lx order: %u%s page: ", r->pfn, r->order,
		   r->compound ? " compound" : "");
	pgc_print_page_ptr(m, r->page);
	if (r->count > 1)
		seq_printf(m, " (latest: pfn %#lx order %u)", r->last_pfn, r->last_order);
	seq_printf(m, "\ncpu: %d pid: %d comm: %.*s context: %s\n", r->cpu, r->pid,
		   (int)sizeof(r->comm), r->comm, pgc_context_name(r->context));
	pgc_print_head(m, r);
	pgc_print_folio(m, r);
	if (r->bad_subpages)
		pgc_print_sub(m, r);
	if (verdict)
		seq_printf(m, "kernel verdict: bad_page: %s\n", verdict);
	seq_puts(m, "\n");
	for (i = 0; i < r->nr_entries; i++)
		seq_printf(m, " %pS\n", (void *)r->stack[i]);
	pgc_print_provenance(m, r, name);
	pgc_print_owner(m, r);
	pgc_print_history(m, r);
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

static void pgc_json_sub(struct seq_file *m, const struct pgc_report *r)
{
	unsigned int index = r->first_bad_index, checked;
	struct pgc_page_snap want;

	pgc_subpage_expected(r->page, r->order, r->compound, index, &want,
			     &checked);
	seq_printf(m, ",\"first_bad_subpage\":{\"index\":%u,\"pfn\":%lu,",
		   index, r->pfn + index);
	pgc_json_snap(m, &r->bad_tail);
	seq_printf(m, ",\"compound_head\":\"%#lx\",\"mapping_holds\":\"%s\",\"expected\":{",
		   r->bad_tail.head_word,
		   pgc_subpage_mapping_name(r->compound, index));
	seq_printf(m, "\"mapcount\":%d,\"refcount\":%d,\"memcg_data\":\"%#lx\"",
		   want.mapcount, want.refcount, want.memcg_data);
	if (checked & PGC_FIELD_MAPPING)
		seq_printf(m, ",\"mapping\":\"%#lx\"", want.mapping);
	if (checked & PGC_FIELD_HEAD_WORD)
		seq_printf(m, ",\"compound_head\":\"%#lx\"", want.head_word);
	seq_puts(m, "}}");
}

/* Each folio counter, null where this kernel has none. */
static void pgc_json_folio(struct seq_file *m, const struct pgc_report *r)
{
	const struct pgc_folio_snap *f = &r->folio;
	unsigned int i;

	if (!r->compound) {
		seq_puts(m, ",\"folio\":null");
		return;
	}
	seq_puts(m, ",\"folio\":{");
	for (i = 0; i < ARRAY_SIZE(pgc_folio_counters); i++) {
		seq_printf(m, "\"%s\":", pgc_folio_counters[i].name);
		if (pgc_reason_supported(pgc_folio_counters[i].reason))
			seq_printf(m, "%d,", pgc_folio_counter(f, i));
		else
			seq_puts(m, "null,");
	}
	if (pgc_reason_supported(PGC_R_MM_MAPCOUNT0))
		seq_printf(m, "\"mm_mapcount\":[%d,%d],", f->mm_mapcount0, f->mm_mapcount1);
	else
		seq_puts(m, "\"mm_mapcount\":null,");
	seq_printf(m, "\"on_deferred_list\":%s}", pgc_on_deferred_list(f) ? "true" : "false");
}

static void pgc_json_stack(struct seq_file *m, const unsigned long *stack,
			   unsigned int nr, char *buf)
{
	unsigned int i;

	seq_puts(m, "\"stack\":[");
	for (i = 0; i < nr; i++) {
		snprintf(buf, KSYM_SYMBOL_LEN, "%pS", (void *)stack[i]);
		if (i)
			seq_putc(m, ',');
		pgc_json_string(m, buf, KSYM_SYMBOL_LEN);
	}
	seq_putc(m, ']');
}

static void pgc_json_event(struct seq_file *m, const char *key,
			   const struct pgc_prov_event *e, bool is_free, char *buf)
{
	const unsigned long *stack;
	unsigned int nr;

	seq_printf(m, ",\"%s\":", key);
	if (e->missing) {
		seq_puts(m, "null");
		return;
	}
	nr = pgc_event_stack(e, &stack, buf);
	seq_putc(m, '{');
	pgc_json_stack(m, stack, nr, buf);
	seq_printf(m, ",\"pid\":%d,\"comm\":", e->pid);
	pgc_json_string(m, e->comm, sizeof(e->comm));
	if (!is_free) {
		gfp_t gfp = e->gfp;

		snprintf(buf, KSYM_SYMBOL_LEN, "%#x(%pGg)", (__force unsigned int)gfp, &gfp);
		seq_puts(m, ",\"gfp\":");
		pgc_json_string(m, buf, KSYM_SYMBOL_LEN);
		seq_printf(m, ",\"order\":%u", e->order);
	}
	seq_printf(m, ",\"ts_ns\":%llu}", e->ts_ns);
}

static const char *const pgc_prov_state_names[] = {
	[PGC_PROV_OFF]		= "off",
	[PGC_PROV_UNTRACKED]	= "untracked",
	[PGC_PROV_BEFORE]	= "before_tracking",
	[PGC_PROV_ALLOCATED]	= "allocated",
	[PGC_PROV_FREED]	= "freed",
};

static void pgc_json_provenance(struct seq_file *m, const struct pgc_report *r,
				char *buf)
{
	const struct pgc_provenance *p = pgc_prov(r);
	unsigned int missing = pgc_alloc_missing(r);
	static const struct pgc_prov_event none = { .missing = PGC_MISSING_OFF };

	seq_printf(m, ",\"provenance\":\"%s\"", pgc_prov_state_names[p->state]);
	pgc_json_event(m, "alloc", missing ? &none : &p->alloc, false, buf);
	seq_puts(m, ",\"alloc_missing\":");
	if (missing)
		pgc_json_string(m, pgc_alloc_missing_text[missing],
				strlen(pgc_alloc_missing_text[missing]));
	else
		seq_puts(m, "null");
	pgc_json_event(m, "last_free", &p->free, true, buf);
}

static void pgc_json_owner(struct seq_file *m, const struct pgc_report *r)
{
	const struct pgc_owner *o = pgc_owner_of(r);

	seq_puts(m, ",\"owner\":");
	if (!o) {
		seq_puts(m, "null");
		return;
	}
	seq_printf(m, "{\"kind\":\"%s\"", pgc_owner_kind_name(o->kind));
	if (o->has_file) {
		seq_printf(m, ",\"dev\":\"%u:%u\",\"ino\":%llu,\"fstype\":",
			   MAJOR(o->dev), MINOR(o->dev), o->ino);
		pgc_json_string(m, o->fstype, sizeof(o->fstype));
		seq_puts(m, ",\"name\":");
		pgc_json_string(m, o->name, sizeof(o->name));
	} else if (o->kind == PGC_OWNER_PAGE_POOL) {
		seq_puts(m, ",\"device\":");
		pgc_json_string(m, o->name, sizeof(o->name));
	} else if (o->kind == PGC_OWNER_UNKNOWN) {
		seq_puts(m, ",\"why\":");
		pgc_json_string(m, o->name, sizeof(o->name));
	}
	if (o->has_memcg) {
		seq_printf(m, ",\"cgroup_id\":%llu,\"cgroup\":", o->cgroup_id);
		pgc_json_string(m, o->cgroup, sizeof(o->cgroup));
	}
	seq_putc(m, '}');
}

static void pgc_json_history(struct seq_file *m, const struct pgc_report *r,
			     char *buf)
{
	struct pgc_watch_history *h = &pgc_history_buf;
	unsigned int i;

	seq_puts(m, ",\"history\":");
	if (!spin_trylock(&pgc_history_lock)) {
		seq_puts(m, "\"busy\"");
		return;
	}
	if (!pgc_watch_history(r->id, h)) {
		seq_puts(m, "null");
		spin_unlock(&pgc_history_lock);
		return;
	}
	seq_putc(m, '[');
	for (i = pgc_history_first(h); i < h->nr; i++) {
		const struct pgc_watch_event *e = &h->ev[i % PGC_WATCH_EVENTS];
		const struct pgc_watch_stack *st = pgc_watch_event_stack(h, e);

		if (i != pgc_history_first(h))
			seq_putc(m, ',');
		seq_printf(m, "{\"field\":\"%s\",\"old\":", pgc_watch_field_name(e->field));
		pgc_print_history_value(m, e->field, e->old, true);
		seq_puts(m, ",\"new\":");
		pgc_print_history_value(m, e->field, e->new, true);
		seq_putc(m, ',');
		pgc_json_stack(m, st ? st->entries : NULL, st ? st->nr_entries : 0, buf);
		seq_printf(m, ",\"pid\":%d,\"comm\":", e->pid);
		pgc_json_string(m, e->comm, sizeof(e->comm));
		seq_printf(m, ",\"context\":\"%s\",\"ts_ns\":%llu}",
			   pgc_context_name(e->context), e->ts_ns);
	}
	seq_printf(m, "],\"history_writes\":%u,\"history_stacks\":%u,\"history_window_ns\":%llu",
		   h->nr, h->nr_stacks, h->window_ns);
	spin_unlock(&pgc_history_lock);
}

void pgc_format_json(struct seq_file *m, const struct pgc_report *r)
{
	const char *verdict = pgc_kernel_reason(r);
	char buf[KSYM_SYMBOL_LEN];

	seq_printf(m, "{\"id\":%llu,\"count\":%llu,\"first_ns\":%llu,\"last_ns\":%llu",
		   r->id, r->count, r->first_ns, r->last_ns);
	seq_printf(m, ",\"pfn\":%lu,\"order\":%u,\"compound\":%s,\"last_pfn\":%lu,\"last_order\":%u,\"page\":\"",
		   r->pfn, r->order, r->compound ? "true" : "false", r->last_pfn,
		   r->last_order);
	pgc_print_page_ptr(m, r->page);
	seq_puts(m, "\",\"reasons\":[");
	pgc_print_reasons(m, r->reasons, ",", true);
	seq_puts(m, "],");
	pgc_json_snap(m, &r->head);
	seq_printf(m, ",\"pp_magic\":\"%#lx\",\"cpu\":%d,\"pid\":%d,\"comm\":",
		   r->head.head_word, r->cpu, r->pid);
	pgc_json_string(m, r->comm, sizeof(r->comm));
	seq_printf(m, ",\"context\":\"%s\",\"caller\":", pgc_context_name(r->context));
	pgc_caller_name(r, buf);
	pgc_json_string(m, buf, sizeof(buf));
	seq_printf(m, ",\"fingerprint\":\"%016llx\",\"kernel_reason\":", r->fingerprint);
	if (verdict)
		pgc_json_string(m, verdict, strlen(verdict));
	else
		seq_puts(m, "null");
	pgc_json_folio(m, r);
	seq_printf(m, ",\"bad_subpages\":%u", r->bad_subpages);
	if (r->bad_subpages)
		pgc_json_sub(m, r);
	pgc_json_provenance(m, r, buf);
	pgc_json_owner(m, r);
	pgc_json_history(m, r, buf);
	seq_putc(m, ',');
	pgc_json_stack(m, r->stack, r->nr_entries, buf);
	seq_puts(m, "}\n");
}

/* The reasons' names, ", " separated, as the dmesg line shows them. */
void pgc_format_reasons(u32 reasons, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < PGC_NR_REASONS; i++)
		if (reasons & PGC_BIT(i))
			len += scnprintf(buf + len, size - len, "%s%s",
					 len ? ", " : "", pgc_reason_string(i));
}

void pgc_format_printk(const struct pgc_report *r, unsigned long suppressed)
{
	char reasons[160], note[48] = "", name[KSYM_SYMBOL_LEN];
	char line[PGC_DEFERRED_LEN];

	suppressed += atomic_long_xchg(&pgc_deferred_lost, 0);
	pgc_format_reasons(r->reasons, reasons, sizeof(reasons));
	if (suppressed)
		snprintf(note, sizeof(note), " [%lu lines suppressed]", suppressed);
	/* The sanitizer-style title names the module itself: no pr_fmt. */
	pgc_caller_name(r, name);
	/* a name too long for the line is cut, as printk() would */
	scnprintf(line, sizeof(line), "BUG: pagecheck: %s in %s (pfn %#lx order %u comm %.*s pid %d %s, report #%llu, fingerprint %016llx)%s",
		  reasons, name, r->pfn, r->order,
		  (int)sizeof(r->comm), r->comm, r->pid,
		  pgc_context_name(r->context), r->id, r->fingerprint, note);
	pgc_deferred_add(true, line, suppressed);
}

void pgc_format_store_full(unsigned int max_reports, unsigned long suppressed)
{
	char line[PGC_DEFERRED_LEN];

	suppressed += atomic_long_xchg(&pgc_deferred_lost, 0);
	scnprintf(line, sizeof(line), "report store full (max_reports=%u): new reports are counted in stats dropped_store_full, not kept; %lu report lines suppressed",
		  max_reports, suppressed);
	pgc_deferred_add(false, line, suppressed);
}
