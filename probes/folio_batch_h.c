// SPDX-License-Identifier: GPL-2.0
/* struct folio_batch moved to <linux/folio_batch.h> (pagevec.h is gone). */
#include <linux/folio_batch.h>
int pgc_probe(void);
int pgc_probe(void) { return FOLIO_BATCH_SIZE; }
