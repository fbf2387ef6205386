// SPDX-License-Identifier: GPL-2.0
/*
 * What a badly freed page belonged to: a file, an anon or KSM mapping, a
 * slab, a page_pool or the kernel, and the memory cgroup it was charged
 * to. The page is corrupt by definition, so every pointer is read with
 * copy_from_kernel_nofault() and checked against what it must point back
 * at; a pointer that fails says "unknown" and why, never oopses. Slow
 * path only, in any context: no locks, no allocation.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "pagecheck/compat_owner.h"
#include "pagecheck/owner.h"

static bool pgc_read(void *dst, const void *src, size_t size)
{
	return !copy_from_kernel_nofault(dst, src, size);
}

#define pgc_read_ptr(dst, field_addr)	pgc_read(&(dst), (field_addr), sizeof(dst))

/*
 * A NUL-terminated string at @src, cut to @size - 1 bytes, read a page at
 * a time so that no read crosses into a page the string does not touch.
 */
static bool pgc_read_string(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (!src)
		return false;
	while (n < size - 1) {
		size_t chunk = min_t(size_t, size - 1 - n,
				     PAGE_SIZE - offset_in_page(src + n));

		if (!pgc_read(dst + n, src + n, chunk)) {
			dst[n] = '\0';
			return false;
		}
		if (memchr(dst + n, '\0', chunk))
			return true;
		n += chunk;
	}
	dst[size - 1] = '\0';
	return true;
}

static void pgc_unknown(struct pgc_owner *o, const char *why)
{
	o->kind = PGC_OWNER_UNKNOWN;
	strscpy(o->name, why, sizeof(o->name));
}

/* A file's superblock, inode number and one of its names. */
static void pgc_owner_file(struct pgc_owner *o, struct address_space *mapping)
{
	struct address_space *back;
	struct hlist_node *alias;
	struct file_system_type *type;
	const unsigned char *dname;
	struct super_block *sb;
	struct inode *host;
	typeof(mapping->host->i_ino) ino;
	const char *fstype;
	dev_t dev;

	if (!pgc_read_ptr(host, &mapping->host))
		return pgc_unknown(o, "mapping unreadable");
	if (!host || !pgc_read_ptr(back, &host->i_mapping) || back != mapping)
		return pgc_unknown(o, "mapping's host does not point back at it");
	if (!pgc_read_ptr(ino, &host->i_ino) || !pgc_read_ptr(sb, &host->i_sb) ||
	    !sb || !pgc_read_ptr(dev, &sb->s_dev) || !pgc_read_ptr(type, &sb->s_type) ||
	    !type || !pgc_read_ptr(fstype, &type->name) ||
	    !pgc_read_string(o->fstype, sizeof(o->fstype), fstype))
		return pgc_unknown(o, "inode or superblock unreadable");
	o->kind = PGC_OWNER_FILE;
	o->has_file = true;
	o->ino = ino;
	o->dev = dev;
	if (!pgc_read_ptr(alias, &host->i_dentry.first) || !alias ||
	    !pgc_read_ptr(dname, &pgc_alias_dentry(alias)->d_name.name) ||
	    !pgc_read_string(o->name, sizeof(o->name), (const char *)dname))
		strscpy(o->name, "", sizeof(o->name));
}

/* A cgroup is recognised by its own css pointing back at it. */
static bool pgc_cgroup_valid(struct cgroup *cgrp)
{
	struct cgroup *self;

	return cgrp && pgc_read_ptr(self, &cgrp->self.cgroup) && self == cgrp;
}

static struct cgroup *pgc_memcg_cgroup(struct mem_cgroup *memcg)
{
	struct cgroup *cgrp;

	if (memcg && pgc_read_ptr(cgrp, &memcg->css.cgroup) && pgc_cgroup_valid(cgrp))
		return cgrp;
	return NULL;
}

/* "/a/b" from the cgroup's kernfs node up to the root, or false. */
static bool pgc_cgroup_path(struct pgc_owner *o, struct cgroup *cgrp)
{
	char part[sizeof(o->cgroup)], *path = o->cgroup;
	size_t len = sizeof(o->cgroup) - 1, at = len;
	struct kernfs_node *kn, *parent;
	const char *name;
	unsigned int depth;
	typeof(kn->id) id;

	if (!pgc_read_ptr(kn, &cgrp->kn) || !kn || !pgc_read_ptr(id, &kn->id))
		return false;
	o->cgroup_id = id;
	path[len] = '\0';
	for (depth = 0; depth < 32; depth++) {
		size_t n;

		if (!pgc_read_ptr(parent, pgc_kn_parent_field(kn)))
			return false;
		if (!parent)
			break;			/* the root: its name is not in paths */
		if (!pgc_read_ptr(name, pgc_kn_name_field(kn)) ||
		    !pgc_read_string(part, sizeof(part), name))
			return false;
		n = strlen(part);
		if (n + 1 > at)
			return false;
		at -= n;
		memcpy(path + at, part, n);
		path[--at] = '/';
		kn = parent;
	}
	if (at == len)
		path[--at] = '/';
	memmove(path, path + at, len - at + 1);
	return true;
}

/*
 * memcg_data holds a mem_cgroup (5.10 to 6.12, LRU pages) or an
 * obj_cgroup (kmem pages, and every page on 7.x): try both, and keep the
 * one that leads to a real cgroup.
 */
static void pgc_owner_memcg(struct pgc_owner *o, unsigned long memcg_data)
{
	void *p = (void *)(memcg_data & ~3UL);
	struct mem_cgroup *memcg = p;
	struct cgroup *cgrp;

	if (!p || (memcg_data & 1))	/* none, or a slab's object vector */
		return;
	cgrp = pgc_memcg_cgroup(memcg);
	if (!cgrp && pgc_read_ptr(memcg, &((struct obj_cgroup *)p)->memcg))
		cgrp = pgc_memcg_cgroup(memcg);
	if (cgrp && pgc_cgroup_path(o, cgrp))
		o->has_memcg = true;
}

#ifdef PGC_HAVE_POOL_OWNER
static void pgc_owner_pool(struct pgc_owner *o, const struct page *page)
{
	struct page_pool *pool;
	struct device *dev;
	const char *name;

	o->kind = PGC_OWNER_PAGE_POOL;
	if (!pgc_read_ptr(pool, pgc_page_pool_field(page)) || !pool)
		return;
#ifdef PGC_HAVE_PAGE_POOL_SLOW_NETDEV
	{
		struct net_device *netdev;

		if (pgc_read_ptr(netdev, pgc_pool_netdev_field(pool)) && netdev &&
		    pgc_read_string(o->name, min(sizeof(o->name), sizeof(netdev->name)),
				    netdev->name))
			return;
	}
#endif
	if (pgc_read_ptr(dev, pgc_pool_device_field(pool)) && dev &&
	    pgc_read_ptr(name, &dev->kobj.name))
		pgc_read_string(o->name, sizeof(o->name), name);
}
#endif

/**
 * pgc_owner_decode() - what the page belonged to
 * @page: the head page, for the words the snapshot does not hold
 * @head: the head's words as judged
 * @page_pool: the head word carries the page_pool signature
 * @o: filled in
 */
void pgc_owner_decode(const struct page *page, const struct pgc_page_snap *head,
		      bool page_pool, struct pgc_owner *o)
{
	unsigned long tag = head->mapping & PGC_MAPPING_FLAGS;

	memset(o, 0, sizeof(*o));
	pgc_owner_memcg(o, head->memcg_data);
	if (page_pool) {
#ifdef PGC_HAVE_POOL_OWNER
		pgc_owner_pool(o, page);
#else
		o->kind = PGC_OWNER_PAGE_POOL;
#endif
	} else if (pgc_raw_slab(head->flags, head->mapcount)) {
		o->kind = PGC_OWNER_SLAB;
	} else if (!head->mapping) {
		o->kind = PGC_OWNER_KERNEL;
	} else if (tag == PGC_MAPPING_KSM) {
		o->kind = PGC_OWNER_KSM;
	} else if (tag == PGC_MAPPING_ANON) {
		o->kind = PGC_OWNER_ANON;
	} else if (tag && tag == PGC_MAPPING_MOVABLE) {
		o->kind = PGC_OWNER_MOVABLE;
	} else if (tag) {
		pgc_unknown(o, "mapping has an unknown tag");
	} else {
		pgc_owner_file(o, (struct address_space *)head->mapping);
	}
}

static const char *const pgc_owner_kind_names[PGC_NR_OWNER_KINDS] = {
	[PGC_OWNER_NONE]	= "none",
	[PGC_OWNER_UNKNOWN]	= "unknown",
	[PGC_OWNER_FILE]	= "file",
	[PGC_OWNER_ANON]	= "anon",
	[PGC_OWNER_KSM]		= "ksm",
	[PGC_OWNER_MOVABLE]	= "movable",
	[PGC_OWNER_SLAB]	= "slab",
	[PGC_OWNER_PAGE_POOL]	= "page_pool",
	[PGC_OWNER_KERNEL]	= "kernel",
};

const char *pgc_owner_kind_name(unsigned int kind)
{
	return kind < PGC_NR_OWNER_KINDS ? pgc_owner_kind_names[kind] : "unknown";
}
