// SPDX-License-Identifier: GPL-2.0
/* system_uses_lse_atomics(): arm64 asks whether the CPUs have LSE atomics (until v6.2). */
#include <linux/atomic.h>
int pgc_probe(void);
int pgc_probe(void) { return system_uses_lse_atomics(); }
