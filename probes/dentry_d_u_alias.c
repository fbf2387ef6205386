// SPDX-License-Identifier: GPL-2.0
/* struct dentry's alias list node inside the d_u union (up to 6.x). */
#include <linux/dcache.h>
#include <linux/stddef.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct dentry, d_u.d_alias); }
