// SPDX-License-Identifier: GPL-2.0
/*
 * High-order per-cpu lists (v5.13, NR_PCP_LISTS): the same series gave
 * free_pcp_prepare() its order argument.
 */
#include <linux/mmzone.h>
int pgc_probe(void);
int pgc_probe(void) { return NR_PCP_LISTS; }
