/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stack capture for reports: the freeing context's stack with pagecheck's
 * own frames and the hook's machinery trimmed, and the index of the first
 * frame outside the kernel's free path, which names the report.
 */
#ifndef PAGECHECK_STACK_H
#define PAGECHECK_STACK_H

#include <linux/kallsyms.h>
#include "pagecheck/settings.h"

/* Room for a raw stack and one symbol name, outside the free path's stack. */
struct pgc_stack_scratch {
	unsigned long entries[PGC_STACK_DEPTH_MAX + 8];
	char symbol[KSYM_SYMBOL_LEN];
};

void pgc_stack_entry_hint(unsigned long pc, unsigned long link);
unsigned int pgc_stack_save(unsigned long *stack, unsigned int depth,
			    struct pgc_stack_scratch *scratch);
unsigned int pgc_stack_hook_frames(const unsigned long *stack, unsigned int nr,
				   char *symbol);
unsigned int pgc_stack_caller(const unsigned long *stack, unsigned int nr,
			      char *symbol);

#endif /* PAGECHECK_STACK_H */
