// SPDX-License-Identifier: GPL-2.0
/*
 * Stacks of bad frees, trimmed like KFENCE's: the first frame kept is the
 * kernel's free path, and the report is named after the first frame
 * outside it. Runs on the slow path only, in any context.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include "pagecheck/stack.h"

/*
 * Hook machinery between the free and pagecheck, by prefix or, for the
 * int3 exception entry points, by substring. trace_mm_page_free() itself
 * is out of line in some builds (KASAN). A kprobe's breakpoint exception
 * path is per architecture: int3 on x86, BRK on arm64 (el1h_64_sync,
 * el1_dbg, do_debug_exception, brk_handler, call_break_hook). s390 probes
 * a function's entry through ftrace (KPROBES_ON_FTRACE): no exception.
 */
static const char *const pgc_hook_frame_prefixes[] = {
	"__traceiter_", "trace_mm_page_free", "ftrace_", "arch_ftrace", "kprobe_",
	"aggr_pre_handler", "opt_pre_handler", "optimized_callback",
	"pre_handler_kretprobe",
	"do_int3", "fprobe_", "0x",
#ifdef CONFIG_ARM64
	"call_break_hook", "brk_handler", "do_debug_exception", "el1_dbg",
	"el1h_64_sync", "do_el1_brk64", "el1_brk64",
#endif
};
static const char *const pgc_hook_frame_parts[] = { "exc_int3" };

/* The kernel's free path: a report is named after the first frame not here. */
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

/* Frames that belong to pagecheck or to the hook that called it. */
static bool pgc_hook_frame(unsigned long addr, char *symbol)
{
	unsigned int i;

	if (within_module(addr, THIS_MODULE))
		return true;
	sprint_symbol_no_offset(symbol, addr);
	for (i = 0; i < ARRAY_SIZE(pgc_hook_frame_prefixes); i++)
		if (!strncmp(symbol, pgc_hook_frame_prefixes[i],
			     strlen(pgc_hook_frame_prefixes[i])))
			return true;
	for (i = 0; i < ARRAY_SIZE(pgc_hook_frame_parts); i++)
		if (strstr(symbol, pgc_hook_frame_parts[i]))
			return true;
	return false;
}

/* Whether @name ("sym+off/size [module]" or bare "sym") is a free-path function. */
static bool pgc_free_path_name(char *name)
{
	unsigned int i;

	/* "sym [module]", "sym+0x9/0x5a0" and "sym.isra.0" / "sym.constprop.0" clones */
	name[strcspn(name, " .+")] = '\0';
	for (i = 0; i < ARRAY_SIZE(pgc_free_path_symbols); i++)
		if (!strcmp(name, pgc_free_path_symbols[i]))
			return true;
	return false;
}

static bool pgc_free_path_frame(unsigned long addr, char *name)
{
	sprint_symbol_no_offset(name, addr);
	return pgc_free_path_name(name);
}

/*
 * A return address at most this far into a free-path function was pushed
 * by the call at its entry that ftrace patches in (__fentry__, mcount, or
 * the call after arm64's patchable NOPs and BTI): the frame before it is a
 * trampoline. Its address does not always resolve to an ftrace_ prefix: a
 * trampoline allocated where a module's freed init text was is named after
 * that module's init function.
 */
#define PGC_ENTRY_CALL_MAX	16

static bool pgc_entry_call_frame(unsigned long addr, char *symbol)
{
	unsigned long offset;
	char *plus;

	sprint_symbol(symbol, addr);
	plus = strchr(symbol, '+');
	if (!plus || sscanf(plus, "+0x%lx/", &offset) != 1 || offset > PGC_ENTRY_CALL_MAX)
		return false;
	return pgc_free_path_name(symbol);
}

/* How many leading entries belong to pagecheck and the hook that called it. */
static unsigned int pgc_hook_frames(const unsigned long *entries, unsigned int nr,
				    char *symbol)
{
	unsigned int skip = 0;

	while (skip < nr && pgc_hook_frame(entries[skip], symbol))
		skip++;
	while (skip + 1 < nr && !pgc_free_path_frame(entries[skip], symbol) &&
	       pgc_entry_call_frame(entries[skip + 1], symbol))
		skip++;
	return skip;
}

/*
 * A kprobe at a function's entry on arm64 stops (BRK) before the function
 * saved its link register: the unwinder goes from the probed function to
 * its caller's caller. The kprobe backend names the missing return address
 * for the free it dispatches (pgc_stack_entry_hint()).
 */
static DEFINE_PER_CPU(unsigned long, pgc_stack_entry_pc);
static DEFINE_PER_CPU(unsigned long, pgc_stack_entry_link);

/**
 * pgc_stack_entry_hint() - the return address of a probed function's entry
 * @pc: the probed address, or 0 to clear the hint
 * @link: the return address, still in a register at @pc
 *
 * Call with preemption disabled, and clear it before enabling it again.
 */
void pgc_stack_entry_hint(unsigned long pc, unsigned long link)
{
	__this_cpu_write(pgc_stack_entry_pc, pc);
	__this_cpu_write(pgc_stack_entry_link, link);
}

/**
 * pgc_stack_save() - the current stack, hook frames trimmed
 * @stack: where to store it
 * @depth: at most this many entries
 * @scratch: room for the raw stack and a symbol name
 *
 * Return: the number of entries stored.
 */
unsigned int pgc_stack_save(unsigned long *stack, unsigned int depth,
			    struct pgc_stack_scratch *scratch)
{
	unsigned long pc = this_cpu_read(pgc_stack_entry_pc);
	unsigned long link = this_cpu_read(pgc_stack_entry_link);
	unsigned int nr, i, out = 0, skip;

	nr = stack_trace_save(scratch->entries, ARRAY_SIZE(scratch->entries), 0);
	skip = pgc_hook_frames(scratch->entries, nr, scratch->symbol);
	for (i = skip; i < nr && out < depth; i++) {
		stack[out++] = scratch->entries[i];
		if (i == skip && pc && scratch->entries[i] == pc && out < depth &&
		    (i + 1 == nr || scratch->entries[i + 1] != link))
			stack[out++] = link;
	}
	return out;
}

/**
 * pgc_stack_hook_frames() - how many leading frames of a stored stack
 * belong to the hook that recorded it
 * @stack: the stack
 * @nr: entries in @stack
 * @symbol: scratch buffer of KSYM_SYMBOL_LEN bytes
 */
unsigned int pgc_stack_hook_frames(const unsigned long *stack, unsigned int nr,
				   char *symbol)
{
	return pgc_hook_frames(stack, nr, symbol);
}


/**
 * pgc_stack_caller() - index of the first frame outside the free path
 * @stack: trimmed stack
 * @nr: entries in @stack
 * @symbol: scratch buffer of KSYM_SYMBOL_LEN bytes
 *
 * Return: that index, or 0 if every frame is in the free path.
 */
unsigned int pgc_stack_caller(const unsigned long *stack, unsigned int nr,
			      char *symbol)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!pgc_free_path_frame(stack[i], symbol))
			return i;
	return 0;
}
