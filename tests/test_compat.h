/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What only the test modules need of the kernel's differences, beside the
 * module's own compat layer (include/pagecheck/compat.h).
 */
#ifndef PAGECHECK_TEST_COMPAT_H
#define PAGECHECK_TEST_COMPAT_H

#include <linux/timer.h>
#include <linux/workqueue.h>
#include "pagecheck/compat.h"

/* The flags word itself, to set or clear bits with the bit operations. */
#define pgc_flags_word(page)	(&pgc_flags_field(page))

#ifdef PGC_HAVE_TIMER_DELETE_SYNC
#define pgc_timer_delete_sync(t)	timer_delete_sync(t)
#else
#define pgc_timer_delete_sync(t)	del_timer_sync(t)
#endif

/* Per-CPU workqueues name it from 6.17 on; before, it was the default. */
#ifdef PGC_HAVE_WQ_PERCPU
#define PGC_WQ_PERCPU	WQ_PERCPU
#else
#define PGC_WQ_PERCPU	0
#endif

#endif /* PAGECHECK_TEST_COMPAT_H */
