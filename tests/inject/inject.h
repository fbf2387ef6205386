/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the injector's files share: inject.c frees pages through the real
 * free path; diff.c, the random differential, drives it.
 */
#ifndef PAGECHECK_INJECT_H
#define PAGECHECK_INJECT_H

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>

bool pgc_inject_free_raced(struct page *page, unsigned int order,
			   void (*race)(struct page *page),
			   void (*seen)(struct page *page));
struct page *pgc_inject_alloc_pages(gfp_t gfp, unsigned int order);

/* pagecheck's page_pool_rule, passed down: opt-in on 6.1. */
extern bool pgc_inject_page_pool_rule;

int pgc_diff_run_line(const char *line);
int pgc_diff_init(struct dentry *dir);
void pgc_diff_exit(void);

#endif /* PAGECHECK_INJECT_H */
