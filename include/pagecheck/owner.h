/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a badly freed page belonged to, decoded on the report's slow path
 * with every pointer read fault-tolerantly.
 */
#ifndef PAGECHECK_OWNER_H
#define PAGECHECK_OWNER_H

#include "pagecheck/report.h"

struct page;

void pgc_owner_decode(const struct page *page, const struct pgc_page_snap *head,
		      bool page_pool, struct pgc_owner *o);
const char *pgc_owner_kind_name(unsigned int kind);

#endif /* PAGECHECK_OWNER_H */
