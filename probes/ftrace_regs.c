// SPDX-License-Identifier: GPL-2.0
/* ftrace callbacks take struct ftrace_regs (v5.11+), not struct pt_regs. */
#include <linux/ftrace.h>
void pgc_probe_cb(unsigned long ip, unsigned long parent_ip,
		  struct ftrace_ops *op, struct ftrace_regs *fregs);
void pgc_probe_cb(unsigned long ip, unsigned long parent_ip,
		  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}
ftrace_func_t pgc_probe(void);
ftrace_func_t pgc_probe(void) { return pgc_probe_cb; }
