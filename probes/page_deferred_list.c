// SPDX-License-Identifier: GPL-2.0
/* struct page::deferred_list in page[2] and the THP compound destructor
 * (up to v6.1): free_transhuge_page() unlinks it with list_del().
 */
#include <linux/mm.h>
int pgc_probe(void);
int pgc_probe(void)
{
	return offsetof(struct page, deferred_list) + TRANSHUGE_PAGE_DTOR +
	       offsetof(struct page, compound_dtor);
}
