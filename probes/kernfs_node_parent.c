// SPDX-License-Identifier: GPL-2.0
/* struct kernfs_node::parent, a plain pointer (renamed __parent in 7.x). */
#include <linux/kernfs.h>
#include <linux/stddef.h>
int pgc_probe(void);
int pgc_probe(void) { return offsetof(struct kernfs_node, parent); }
