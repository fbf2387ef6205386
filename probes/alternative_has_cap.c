// SPDX-License-Identifier: GPL-2.0
/* alternative_has_cap_likely(): arm64 asks for a CPU capability, LSE atomics here (v6.3+). */
#include <linux/atomic.h>
int pgc_probe(void);
int pgc_probe(void) { return alternative_has_cap_likely(ARM64_HAS_LSE_ATOMICS); }
