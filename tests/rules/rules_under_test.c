// SPDX-License-Identifier: GPL-2.0
/* The rule engine under test: the very source the module's hook runs. */
#define pr_fmt(fmt) fmt
#include "../../src/rules.c"
