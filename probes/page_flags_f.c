// SPDX-License-Identifier: GPL-2.0
/* struct page::flags is a memdesc_flags_t with the word in .f (v6.18+). */
#include <linux/mm_types.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct page, flags.f); }
