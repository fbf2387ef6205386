// SPDX-License-Identifier: GPL-2.0
/* The stack trimming under test: the very source the module runs. */
#define pr_fmt(fmt) fmt
#include "../../src/stack.c"
