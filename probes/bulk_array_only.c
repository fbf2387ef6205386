// SPDX-License-Identifier: GPL-2.0
/* alloc_pages_bulk_noprof() fills an array only: no page list (v6.14+). */
#include <linux/gfp.h>
int pgc_probe(void);
int pgc_probe(void)
{
	unsigned long (*fn)(gfp_t, int, nodemask_t *, int, struct page **) =
		alloc_pages_bulk_noprof;

	return fn != NULL;
}
