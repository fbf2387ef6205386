// SPDX-License-Identifier: GPL-2.0
/* The parameters' values, with their defaults (see main.c). */
#include "pagecheck/compat.h"
#include "pagecheck/settings.h"

struct pgc_settings pgc_settings = {
	.enabled = true,
	.printk = true,
	.panic_on_report = false,
	.hash_pointers = true,
	.count_frees = PGC_COUNT_FREES_DEFAULT,
	.max_reports = 1024,
	.stack_depth = 16,
	.panic_reports = 8,
};
