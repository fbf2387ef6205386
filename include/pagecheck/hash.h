/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one hash of stacks and keys, for the report store's deduplication
 * and track=1's tables.
 */
#ifndef PAGECHECK_HASH_H
#define PAGECHECK_HASH_H

#include <linux/hash.h>
#include <linux/types.h>

/*
 * A multiply-xor hash of @nr words: a third of jhash2()'s instructions on
 * a stack, on the path of every allocation and free with track=1.
 */
static __always_inline u32 pgc_hash_words(const unsigned long *words,
					  unsigned int nr, u64 seed)
{
	u64 h = seed;
	unsigned int i;

	for (i = 0; i < nr; i++)
		h = (h ^ words[i]) * GOLDEN_RATIO_64;
	return h >> 32;
}

#endif /* PAGECHECK_HASH_H */
