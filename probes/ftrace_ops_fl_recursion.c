// SPDX-License-Identifier: GPL-2.0
/*
 * FTRACE_OPS_FL_RECURSION (v5.11): ftrace provides the recursion
 * protection; before, FTRACE_OPS_FL_RECURSION_SAFE meant "callback is safe".
 */
#include <linux/ftrace.h>
int pgc_probe(void);
int pgc_probe(void) { return FTRACE_OPS_FL_RECURSION; }
