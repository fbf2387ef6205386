// SPDX-License-Identifier: GPL-2.0
/* The hot path of high-order frees under test: the very source the module runs. */
#define pr_fmt(fmt) fmt
#include "../../src/audit_large.c"
