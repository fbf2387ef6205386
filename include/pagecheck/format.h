/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reports as text: the sanitizer-style block of the reports file, one
 * JSON object per line for reports.json, and the dmesg line.
 */
#ifndef PAGECHECK_FORMAT_H
#define PAGECHECK_FORMAT_H

#include "pagecheck/report.h"

struct seq_file;

void pgc_format_init(void);
void pgc_format_exit(void);
void pgc_format_text(struct seq_file *m, const struct pgc_report *r);
void pgc_format_json(struct seq_file *m, const struct pgc_report *r);
/* dmesg lines, printed from an irq_work: safe under any lock, in NMI */
void pgc_format_printk(const struct pgc_report *r, unsigned long suppressed);
void pgc_format_store_full(unsigned int max_reports, unsigned long suppressed);
const char *pgc_context_name(unsigned int context);
u64 pgc_format_fingerprint(const struct pgc_report *r, char *symbol);
void pgc_format_reasons(u32 reasons, char *buf, size_t size);

#endif /* PAGECHECK_FORMAT_H */
