// SPDX-License-Identifier: GPL-2.0
/* hugetlb fields live in page[3]: free_tail_page_prepare() then skips the
 * TAIL_MAPPING test on page[3] when CONFIG_HUGETLB_PAGE is set.
 */
#include <linux/mm_types.h>
#include <linux/build_bug.h>
int pgc_probe(void);
int pgc_probe(void)
{
	BUILD_BUG_ON(offsetof(struct folio, _hugetlb_subpool) < 3 * sizeof(struct page));
	return 0;
}
