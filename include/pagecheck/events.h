/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagecheck's own tracepoint, pagecheck:bad_free: one event per violation,
 * stored or dropped, for perf, trace-cmd and bpftrace.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pagecheck

#if !defined(PAGECHECK_EVENTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define PAGECHECK_EVENTS_H

#include <linux/tracepoint.h>

#define PGC_EVENT_REASONS_LEN	160

/* enum pgc_store_result, spelled out for the event's text */
#define PGC_EVENT_RESULTS				\
	{ 0, "new" },					\
	{ 1, "duplicate" },				\
	{ 2, "dropped_full" },				\
	{ 3, "dropped_busy" }

TRACE_EVENT(bad_free,

	TP_PROTO(unsigned long pfn, unsigned int order, u32 reasons,
		 const char *reasons_text, u64 fingerprint, u64 id,
		 unsigned int result),

	TP_ARGS(pfn, order, reasons, reasons_text, fingerprint, id, result),

	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__field(unsigned int, order)
		__field(u32, reasons)
		__field(u64, fingerprint)
		__field(u64, id)
		__field(unsigned int, result)
		__array(char, reasons_text, PGC_EVENT_REASONS_LEN)
	),

	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->reasons = reasons;
		__entry->fingerprint = fingerprint;
		__entry->id = id;
		__entry->result = result;
		strscpy(__entry->reasons_text, reasons_text, PGC_EVENT_REASONS_LEN);
	),

	TP_printk("pfn=%#lx order=%u reasons=%#x fingerprint=%016llx id=%llu result=%s text=\"%s\"",
		  __entry->pfn, __entry->order, __entry->reasons,
		  __entry->fingerprint, __entry->id,
		  __print_symbolic(__entry->result, PGC_EVENT_RESULTS),
		  __entry->reasons_text)
);

#endif /* PAGECHECK_EVENTS_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH pagecheck
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE events
#include <trace/define_trace.h>
