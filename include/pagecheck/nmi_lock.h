/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw spinlock taken from any context, NMI included: with interrupts
 * off, and in NMI only if it is free, since it may be held under us.
 */
#ifndef PAGECHECK_NMI_LOCK_H
#define PAGECHECK_NMI_LOCK_H

#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/spinlock.h>

/*
 * False: not taken, interrupts as they were. Not
 * raw_spin_trylock_irqsave(): sparse loses its context on arm64. For
 * sparse, pgc_nmi_lock()'s __cond_lock() takes the lock.
 */
static __always_inline bool pgc_nmi_lock_irqsave(raw_spinlock_t *lock,
						 unsigned long *flags)
{
	local_irq_save(*flags);
	if (!in_nmi()) {
		raw_spin_lock(lock);
	} else if (!raw_spin_trylock(lock)) {
		local_irq_restore(*flags);
		return false;
	}
	__release(lock);
	return true;
}

/* Unlock with raw_spin_unlock_irqrestore(). */
#define pgc_nmi_lock(lock, flags) \
	__cond_lock(lock, pgc_nmi_lock_irqsave(lock, flags))

#endif /* PAGECHECK_NMI_LOCK_H */
