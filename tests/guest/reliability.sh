# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Reliability and security, sourced by suite.sh: a flood of violations,
# bad frees in every context with readers running, load/unload under fire,
# hostile parameter input, the differential test against the kernel's own
# bad_page(), and lockdown raised at run time. FLOOD, UNLOAD_CYCLES and
# FUZZ_ITERATIONS size the steps.

mem_snapshot() {
	awk '/^(MemFree|Slab|SUnreclaim|VmallocUsed|Percpu):/ {
		sub(":", "", $1); printf "%s=%s ", $1, $2 }' /proc/meminfo
}

mem_of() { # KEY SNAPSHOT
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# A shell that must keep answering: one line per second while it runs.
start_alive_probe() { # FILE
	rm -f "$1.stop"
	(
		while [ ! -e "$1.stop" ]; do
			uptime_s
			sleep 1
		done
	) >"$1" &
	ALIVE_PID=$!
}

stop_alive_probe() { # FILE: prints "TICKS MAX_GAP_SECONDS"
	touch "$1.stop"
	wait "$ALIVE_PID" 2>/dev/null
	awk 'NR > 1 && $1 - prev > max { max = $1 - prev } { prev = $1 }
	     END { printf "%d %d\n", NR, max + 0.999 }' "$1"
}

# shell_answers SECONDS: a new shell must write its answer within
# SECONDS; prints "answered in N s", or "no answer in N s" and fails. The
# answer goes to a file: a pipe would wait for whatever the shell left
# running past the deadline.
shell_answers() {
	rm -f /tmp/answer
	_t0=$(uptime_s)
	timeout "$1" sh -c 'echo answered >/tmp/answer' 2>/dev/null
	_el=$(awk -v a="$_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')
	if [ "$(cat /tmp/answer 2>/dev/null)" = answered ]; then
		echo "answered in $_el s"
	else
		echo "no answer in $_el s"
		return 1
	fi
}

invariant_holds() {
	[ "$(stat_value violations)" -eq \
	  $(($(stat_value reports_count_sum) + $(stat_value dropped))) ]
}

invariant_text() {
	echo "violations $(stat_value violations) = count sum $(stat_value reports_count_sum) + dropped $(stat_value dropped)"
}

# A million violations from every CPU, distinct and repeated stacks.
run_flood() {
	echo 1 >"$P/clear"
	mem0=$(mem_snapshot) fp0=$(stat_value footprint_bytes)
	frees0=$(stat_value frees_audited)
	kmsg_mark flood
	start_alive_probe /tmp/alive.flood
	t0=$(uptime_s)
	echo "flood $FLOOD" >"$B/run" || ktap_diag "flood $FLOOD failed"
	t1=$(uptime_s)
	alive=$(stop_alive_probe /tmp/alive.flood)
	after=$(shell_answers 10)
	answered=$?
	injected=$(sed -n 's/.*ops=\([0-9]*\).*/\1/p' "$B/result")
	mem1=$(mem_snapshot) fp1=$(stat_value footprint_bytes)
	cat "$D/stats" >/tmp/flood.stats
	kmsg_since_mark /tmp/flood.dmesg
	logged=$?
	lines=$(grep -c 'BUG: pagecheck:' /tmp/flood.dmesg)
	seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", b - a + 1 }')
	ktap_figure "footprint" \
		"$(grep -E '^(store|scratch|footprint)_bytes|^scratch_slots' /tmp/flood.stats | tr '\n' ' ')"
	ktap_figure "flood" "$injected violations in $seconds s; $(invariant_text)"

	[ "$injected" -ge "$FLOOD" ] && [ "$(stat_value violations)" = "$injected" ] &&
		invariant_holds
	ktap_status $? "flood: every one of the $FLOOD injected violations is counted, stored or dropped" \
		"injected $injected; $(invariant_text)"
	[ "$(stat_value reports_unique)" = "$(stat_value max_reports)" ] &&
		[ "$(stat_value dropped_store_full)" -gt 0 ]
	ktap_status $? "flood: distinct stacks fill the store, the rest are counted as dropped" \
		"unique $(stat_value reports_unique), dropped_store_full $(stat_value dropped_store_full)"
	ktap_test "flood: frees audited grows by at least the injected frees" \
		"$frees0 -> $(stat_value frees_audited)" \
		[ $(($(stat_value frees_audited) - frees0)) -ge "$injected" ]
	vm=$(($(mem_of VmallocUsed "$mem1") - $(mem_of VmallocUsed "$mem0")))
	slab=$(($(mem_of Slab "$mem1") - $(mem_of Slab "$mem0")))
	pcpu=$(($(mem_of Percpu "$mem1") - $(mem_of Percpu "$mem0")))
	[ -n "$fp0" ] && [ "$fp0" = "$fp1" ] && [ "$vm" -le 512 ] && [ "$slab" -le 4096 ] && [ "$pcpu" -le 0 ]
	ktap_status $? "flood: memory stays at the fixed footprint" \
		"footprint $fp0 -> $fp1 bytes; growth kB: vmalloc $vm, slab $slab, percpu $pcpu"
	limit=$((10 * (seconds / 5 + 2)))
	[ "$lines" -gt 0 ] && [ "$lines" -le "$limit" ] &&
		grep -Eq 'report store full .* [0-9]+ report lines suppressed' /tmp/flood.dmesg
	ktap_status $? "flood: printk stays rate-limited and says how much it suppressed" \
		"$lines report lines in $seconds s (limit $limit)"
	set -- $alive
	[ "$1" -ge 2 ] && [ "$2" -le 10 ] && [ "$answered" = 0 ] && [ "$logged" = 0 ] &&
		! grep -Eq 'soft lockup|rcu.*(stall|detected)|hung task' /tmp/flood.dmesg
	ktap_status $? "flood: no lockup or stall, and a shell answers during and after" \
		"ticks $1, longest gap $2 s, after: $after; $(grep -Em1 'soft lockup|rcu.*stall|hung task|^pc: ' /tmp/flood.dmesg)"
}

# reader_loop N [PAUSE]: read reports.json and reports until
# /tmp/readers.stop, and pass every read of reports.json to one jq that
# counts the lines that are not a JSON object (a jq a read would cost half
# a second under TCG). Prints "READS TORN"; a read of an empty store has
# no line to tear and is no read.
reader_loop() {
	{
		reads=0
		while [ ! -e /tmp/readers.stop ]; do
			sleep "${2:-0}"
			cat "$D/reports.json" >/tmp/reader.$1.json 2>/dev/null || continue
			cat "$D/reports" >/dev/null 2>&1
			[ -s /tmp/reader.$1.json ] || continue
			# a line cut short ends here, not in the next read's first
			cat /tmp/reader.$1.json
			echo
			reads=$((reads + 1))
		done
		echo "$reads" >/tmp/reader.$1.reads
	} | report_check - >/tmp/reader.$1.torn 2>&1
	echo "$(cat /tmp/reader.$1.reads) $(cat /tmp/reader.$1.torn)"
}

# Injected pfns ("pfn expect" lines in $1) that no report in $2 accounts
# for. Deduplication keeps a report's first and latest pfn, so a pfn no
# report names is accounted for only by a report of its reason that counts
# three frees or more, and there can be no more such pfns than those
# reports' frees beyond their two. Prints the number, then which.
unexplained_pfns() {
	report_fields "$2" "pfn last_pfn count" >/tmp/up.fields
	{ field_items /tmp/up.fields pfn; field_items /tmp/up.fields last_pfn; } | sort -u >/tmp/up.seen
	: >/tmp/up.absorb
	for n in $(field_items /tmp/up.fields count | sort -un); do
		[ "$n" -ge 3 ] && report_get "$2" reasons count="$n" >>/tmp/up.absorb
	done
	spare=$(field_items /tmp/up.fields count |
		awk '$1 > 2 { s += $1 - 2 } END { print s + 0 }')
	awk -v seen=/tmp/up.seen -v absorb=/tmp/up.absorb -v spare="$spare" '
		BEGIN {
			while ((getline l < seen) > 0) named[l] = 1
			while ((getline l < absorb) > 0) deduped[l] = 1
		}
		{
			pfn = $1; $1 = ""; sub(/^ /, "")
			if (pfn in named || pfn in done)
				next
			done[pfn] = 1
			n = split($0, alt, "|")
			for (i = 1; i <= n; i++)
				if (alt[i] in deduped) { unseen++; next }
			bad++
			if (bad <= 3)
				which = which " pfn " pfn " (" $0 ")"
		}
		END {
			over = unseen > spare ? unseen - spare : 0
			print bad + over which (over ? ", " over " beyond the folded frees" : "")
		}' "$1"
}

# Bad frees in every context, with the CPUs flooding and two readers.
run_contexts() {
	echo 1 >"$P/clear"
	rm -f /tmp/readers.stop /tmp/ctx.inj
	reader_loop 1 >/tmp/reader.1.out &
	r1=$!
	reader_loop 2 >/tmp/reader.2.out &
	r2=$!
	# 200,000 whatever flood= says: the readers need the time to read
	echo "flood 200000 8" >"$B/run" &
	fl=$!
	done_n=0 contexts=
	for ctx in task softirq hardirq locked; do
		# no process an injection: the flood and readers run meanwhile
		while read -r c rest; do
			case " $rest " in *" only:"*) continue ;; esac
			echo "$c $ctx" >"$INJ/run" 2>/dev/null || continue
			read -r res <"$INJ/result"
			field_to st status "$res"
			field_to be backends "$res"
			field_to ex expect "$res"
			field_to pf pfn "$res"
			[ "$st" = done ] || continue
			# a double free's second call never reaches the tracepoint
			case ,$be, in *,tracepoint,*) ;; *) continue ;; esac
			# a state the kernel accepts is not a bad free
			[ "$ex" != none ] || continue
			done_n=$((done_n + 1))
			echo "$pf $ex" >>/tmp/ctx.inj
			case " $contexts " in *" $ctx "*) ;; *) contexts="$contexts $ctx" ;; esac
		done <"$INJ/cases"
	done
	wait "$fl"
	touch /tmp/readers.stop
	wait "$r1" "$r2"
	reports_json /tmp/ctx.json
	unexplained=$(unexplained_pfns /tmp/ctx.inj /tmp/ctx.json)
	counts=$(report_get /tmp/ctx.json count | awk '{ s += $1 } END { print s + 0 }')
	[ "$contexts" = " task softirq hardirq locked" ] && [ "$done_n" -ge 60 ] &&
		[ "${unexplained%% *}" = 0 ] && [ "$counts" -ge "$done_n" ] && invariant_holds
	ktap_status $? "contexts: bad frees in task, softirq, hardirq and under a spinlock, during a flood" \
		"$done_n injections in [$contexts ]; unaccounted for: $unexplained; counts $counts; $(invariant_text)"
	set -- $(cat /tmp/reader.1.out) $(cat /tmp/reader.2.out)
	[ "$(($2 + $4))" = 0 ] && [ "$(($1 + $3))" -gt 10 ]
	ktap_status $? "contexts: concurrent readers never see a torn JSON line" \
		"reads of a non-empty store $1 and $3, torn $2 and $4"
}

holder_loop() {
	opened=0 errors=0
	while [ ! -e /tmp/fire.stop ]; do
		# The file exists only from a load to the next unload: until
		# the first open, wait for it, so that a few slow cycles see
		# one; after, keep the slow pace, which holds rmmod up less.
		while [ "$opened" = 0 ] && [ ! -e "$D/reports.json" ] &&
		      [ ! -e /tmp/fire.stop ]; do
			sleep 0.05
		done
		# open, hold across whatever rmmod does meanwhile, then read; a
		# failed open (between unload and load) is "can't open"
		sh -c 'exec 3<"$1"; : >/tmp/holder.opened; sleep 0.2
		       cat <&3 >/dev/null' sh "$D/reports.json" 2>/tmp/holder.err
		rc=$?
		if grep -q "can't open" /tmp/holder.err; then
			:
		elif [ $rc -eq 0 ]; then
			opened=$((opened + 1))
		else
			opened=$((opened + 1)) errors=$((errors + 1))
			cp /tmp/holder.err /tmp/holder.lasterr
		fi
		sleep 1
	done
	echo "$opened $errors"
}

# Load and unload, over and over, while a flood, a workload and readers run.
run_unload_under_fire() {
	rm -f /tmp/fire.stop /tmp/readers.stop /tmp/rmmod.errors
	(while [ ! -e /tmp/fire.stop ]; do echo "flood 5000" >"$B/run"; sleep 0.5; done) &
	fl=$!
	in_memcg_bg pc-workload -t 3600 -d /tmp >/dev/null 2>&1
	wl=$!
	holder_loop >/tmp/holder.out 2>&1 &
	ho=$!
	reader_loop 3 0.5 >/tmp/reader.3.out 2>&1 &
	rd=$!
	ok=0 busy=0 half=0 i=0
	while [ $i -lt "$UNLOAD_CYCLES" ]; do
		i=$((i + 1))
		tries=0
		until unload_pagecheck; do
			# an open debugfs file holds a module reference
			grep -qE 'in use|temporarily unavailable' /tmp/rmmod.err ||
				cat /tmp/rmmod.err >>/tmp/rmmod.errors
			busy=$((busy + 1))
			{ [ -e "$D/stats" ] && cat "$D/stats" >/dev/null; } || half=$((half + 1))
			tries=$((tries + 1))
			[ $tries -lt 600 ] || break
			sleep 0.1
		done
		[ ! -e "$D" ] || half=$((half + 1))
		rm -f /tmp/holder.opened
		load_pagecheck hook=tracepoint track=1 && ok=$((ok + 1))
		# give the holder one open per load, so that rmmod meets it
		tries=0
		while [ ! -e /tmp/holder.opened ] && [ $tries -lt 100 ]; do
			tries=$((tries + 1))
			sleep 0.05
		done
	done
	touch /tmp/fire.stop /tmp/readers.stop
	kill "$wl" 2>/dev/null
	wait "$fl" "$ho" "$rd" 2>/dev/null
	wait "$wl" 2>/dev/null
	[ "$ok" = "$UNLOAD_CYCLES" ] && [ "$half" = 0 ] && [ ! -s /tmp/rmmod.errors ]
	ktap_status $? "unload under fire: $UNLOAD_CYCLES load/unload cycles with a flood, a workload and readers" \
		"$ok cycles, rmmod refused $busy times while a file was open, half-loaded $half; $(head -c 200 /tmp/rmmod.errors 2>/dev/null)"
	set -- $(cat /tmp/holder.out)
	[ "$1" -gt 0 ] && [ "$2" = 0 ]
	ktap_status $? "unload under fire: a reader holding a file open reads to a clean end" \
		"opened $1, read errors $2: $(cat /tmp/holder.lasterr 2>/dev/null)"
	# with violations to account for: 0 == 0 + 0 would prove nothing
	echo "flood 2000" >"$B/run"
	[ "$(stat_value violations)" -ge 2000 ] && invariant_holds
	ktap_status $? "unload under fire: the accounting invariant holds after the last load" \
		"after a flood of 2000: $(invariant_text)"
}

param_state() {
	cat "$P/enabled" "$P/stack_depth" "$P/printk" "$P/panic_on_report" \
		"$P/hash_pointers" | tr '\n' ' '
}

# Hostile input to every writable parameter, and who may read what.
run_hostile() {
	echo 1 >"$P/clear"
	before=$(param_state)
	pc-fuzz -n "$FUZZ_ITERATIONS" "$P" >/tmp/fuzz.out 2>&1
	rc=$?
	summary=$(grep -m1 FUZZ-SUMMARY /tmp/fuzz.out)
	writes=$(echo "$summary" | sed -n 's/.*writes=\([0-9]*\).*/\1/p')
	failures=$(echo "$summary" | sed -n 's/.*failures=\([0-9]*\).*/\1/p')
	[ "$rc" = 0 ] && [ "${writes:-0}" -ge "$FUZZ_ITERATIONS" ] && [ "$failures" = 0 ]
	ktap_status $? "hostile input: every bad parameter value is refused with EINVAL and changes nothing" \
		"rc $rc; ${summary:-no summary}; $(grep -m1 FUZZ-FAIL /tmp/fuzz.out)"
	after=$(param_state)
	# five values each: unreadable parameters would be equal too
	set -- $before
	[ $# = 5 ] && [ "$before" = "$after" ]
	ktap_status $? "hostile input: parameters end as they started" "'$before' -> '$after'"
	# every file is root-only, whatever the debugfs mount allows
	mount -o remount,mode=0755 /sys/kernel/debug
	# refusals count only if nobody can run a command and root can read
	su -s /bin/sh nobody -c 'cat /proc/version' >/dev/null 2>/tmp/su.err &&
		cat "$D/reports.json" "$D/reports" "$D/stats" >/dev/null
	control=$?
	refused=0
	for f in reports reports.json stats; do
		su -s /bin/sh nobody -c "cat $D/$f" >/dev/null 2>&1 || refused=$((refused + 1))
	done
	for f in enabled clear stack_depth; do
		su -s /bin/sh nobody -c "echo 0 > $P/$f" 2>/dev/null || refused=$((refused + 1))
	done
	ls -ln "$D" | grep '^-' >/tmp/modes
	mount -o remount,mode=0700 /sys/kernel/debug
	[ "$control" = 0 ] && [ "$refused" = 6 ]
	ktap_status $? "hostile input: an unprivileged user can neither read reports nor write controls" \
		"$refused of 6 refused; nobody runs cat /proc/version and root reads the files: rc $control $(cat /tmp/su.err)"
	[ "$(wc -l </tmp/modes)" -ge 3 ] && ! grep -v "^-r-------- .* 0 *0 " /tmp/modes
	ktap_status $? "hostile input: every debugfs file is 0400 root" \
		"$(cut -c1-10 /tmp/modes | tr '\n' ' ')"
}

# Bad frees left to the kernel's own check: each page the kernel rejects
# must be one pagecheck reported, with the kernel's reason among its own.
run_differential() {
	name="differential: every page bad_page() rejects, pagecheck reported with the kernel's reason"
	case $(uname -r) in
	5.*|6.1.*)
		ktap_skip "$name" "the kernel checks order-0 frees only at the pcp drain on $(uname -r)"
		return ;;
	esac
	unload_pagecheck
	if ! load_pagecheck hook=tracepoint kernel_verdict=1 track=1; then
		ktap_fail "$name" "insmod kernel_verdict=1: $(cat /tmp/insmod.err)"
		return
	fi
	kmsg_mark differential
	echo 0 >/sys/module/pagecheck_inject/parameters/restore
	n=0
	for c in $(grep -v only: "$INJ/cases" | cut -d' ' -f1); do
		[ "$c" = double_free ] && continue
		echo "$c task" >"$INJ/run" 2>/dev/null &&
			[ "$(field status "$(cat "$INJ/result")")" = done ] && n=$((n + 1))
	done
	echo 1 >/sys/module/pagecheck_inject/parameters/restore
	# an invalid store would list no wrong reason
	reports_json /tmp/diff.json && valid=yes || valid=no
	wrong=$(report_get /tmp/diff.json kernel_reason kernel_reason!=null | sort -u |
		while IFS= read -r r; do
			report_count /tmp/diff.json kernel_reason="$r" reasons="$r" |
				grep -qx 0 && echo "$r"
		done | head -n 3 | tr '\n' ';')
	printed=$(dmesg_since_mark | grep -c 'Bad page state')
	seen=$(stat_value kernel_verdicts)
	[ "$n" -ge 15 ] && [ "$seen" -ge 15 ] && [ "$(stat_value kernel_only)" = 0 ] &&
		[ "$(stat_value kernel_disagree)" = 0 ] && [ "$valid" = yes ] && [ -z "$wrong" ]
	ktap_status $? "$name" \
		"$n bad frees left to the kernel, $seen bad_page() calls ($printed printed), agree $(stat_value kernel_agree), disagree $(stat_value kernel_disagree), kernel only $(stat_value kernel_only), reports.json valid: $valid $wrong"
	unload_pagecheck
	load_pagecheck hook=tracepoint
}

# track=1 under the workload: no report, and the tables say what they kept.
run_track_workload() {
	echo 1 >"$P/clear"
	start=$(stat_value frees_audited)
	rounds=0
	while [ $(($(stat_value frees_audited) - start)) -lt $((FP_FREES / 4)) ] &&
	      [ $rounds -lt 40 ]; do
		in_memcg pc-workload -t 5 -d /tmp >/tmp/wl.out 2>&1
		rounds=$((rounds + 1))
	done
	frees=$(($(stat_value frees_audited) - start))
	ktap_figure "track=1 workload" "$frees frees; $(grep -E '^track_(bytes|events|stacks|outside)' "$D/stats" | tr '\n' ' ')"
	[ "$frees" -ge $((FP_FREES / 4)) ] && [ "$(stat_value violations)" = 0 ] &&
		[ "$(stat_value track_events | cut -d' ' -f1)" -gt 0 ]
	ktap_status $? "track=1: no false positives under the workload, and events recorded" \
		"$frees frees, violations $(stat_value violations), events $(stat_value track_events)"
}

# pagecheck:bad_free through tracefs: one event per violation, each with
# the outcome stats counts, and none lost by the ring buffer.
run_trace_event() {
	name="tracepoint: pagecheck:bad_free gives one event per violation, dropped ones included"
	T=/sys/kernel/tracing
	[ -d "$T/events" ] || T=/sys/kernel/debug/tracing
	E=$T/events/pagecheck/bad_free
	if [ ! -d "$E" ]; then
		ktap_fail "$name" "no $E"
		return
	fi
	unload_pagecheck
	if ! load_pagecheck hook=tracepoint track=1 max_reports=256; then
		ktap_fail "$name" "insmod max_reports=256: $(cat /tmp/insmod.err)"
		load_pagecheck hook=tracepoint track=1
		return
	fi
	echo 8192 >"$T/buffer_size_kb"
	echo >"$T/trace"
	echo 1 >"$E/enable"
	for ctx in task softirq hardirq; do
		echo "mapping $ctx" >"$INJ/run"
	done
	mine=$(field pfn "$(cat "$INJ/result")")
	echo "flood 20000" >"$B/run"
	echo 0 >"$E/enable"
	cat "$T/trace" >/tmp/trace.txt
	overrun=$(cat "$T"/per_cpu/cpu*/stats | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
	echo 1408 >"$T/buffer_size_kb"
	result() { grep -c " bad_free: .* result=$1 " /tmp/trace.txt; }
	events=$(grep -c ' bad_free: ' /tmp/trace.txt)
	new=$(result new) dup=$(result duplicate) full=$(result dropped_full) busy=$(result dropped_busy)
	unique=$(stat_value reports_unique) sum=$(stat_value reports_count_sum)
	reports_json /tmp/trace.json
	# the first report and event of that pfn: the flood may free it again
	fp=$(grep -m1 "\"pfn\":$mine," /tmp/trace.json | report_get - fingerprint)
	hex=$(printf '%#x' "$mine")
	traced=$(grep -m1 " bad_free: pfn=$hex " /tmp/trace.txt | sed -n 's/.* fingerprint=\([0-9a-f]*\) .*/\1/p')
	ktap_figure "pagecheck:bad_free" "$events events: new $new, duplicate $dup, dropped_full $full, dropped_busy $busy; overrun $overrun; $(invariant_text)"
	[ "$overrun" = 0 ] && [ "$events" -ge 20003 ] &&
		[ "$events" = "$(stat_value violations)" ] && [ "$new" = "$unique" ] &&
		[ "$dup" = $((sum - unique)) ] && [ "$full" = "$(stat_value dropped_store_full)" ] &&
		[ "$full" -gt 0 ] && [ "$busy" = "$(stat_value dropped_busy)" ] &&
		[ -n "$fp" ] && [ "$traced" = "$fp" ] && invariant_holds
	ktap_status $? "$name" \
		"events $events (new $new, duplicate $dup, full $full, busy $busy), overrun $overrun; stats: unique $unique, sum $sum, $(invariant_text); pfn $hex fingerprint: report $fp, event $traced"
	unload_pagecheck
	load_pagecheck hook=tracepoint track=1
}

# Every step runs with track=1, so provenance is under the same fire.
run_reliability() {
	ktap_suite reliability
	if ! load_pagecheck hook=tracepoint track=1; then
		ktap_fail "load with hook=tracepoint track=1" "insmod: $(cat /tmp/insmod.err)"
		ktap_end reliability
		return
	fi
	insmod "$PC/pagecheck_inject.ko"
	insmod "$PC/pagecheck_bench.ko"
	timed run_track_workload
	timed run_flood
	timed run_contexts
	timed run_trace_event
	# unloading waits for every online CPU; two keep it under fire
	online_cpus 2
	timed run_unload_under_fire
	online_cpus 64
	timed run_hostile
	timed run_differential
	rmmod pagecheck_bench pagecheck_inject
	unload_pagecheck
	ktap_end reliability
}

# lockdown_hooks' TRY for the check boot: load pagecheck with HOOK, read
# stats, unload.
reload_hook() { # HOOK
	if ! load_pagecheck hook="$1"; then
		state="refused: $(tr '\n' ' ' </tmp/insmod.err)"
		return
	fi
	state=
	cat "$D/stats" >/tmp/reload.stats 2>/dev/null || state="$state stats unreadable;"
	[ "$(stat_value hook /tmp/reload.stats)" = "$1" ] ||
		state="$state stats: hook $(stat_value hook /tmp/reload.stats);"
	unload_pagecheck || state="$state rmmod: $(cat /tmp/rmmod.err);"
	state=${state:-works}
}

run_lockdown() {
	ktap_suite lockdown
	L=/sys/kernel/security/lockdown
	mkdir -p /sys/kernel/security
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	if [ ! -w "$L" ]; then
		ktap_skip "lockdown raised at run time" "no lockdown LSM: $L is not writable"
		ktap_end lockdown
		return
	fi
	unload_pagecheck
	load_pagecheck hook=tracepoint
	insmod "$PC/pagecheck_inject.ko" 2>/dev/null
	echo 1 >"$P/clear"
	echo "mapping task" >"$INJ/run"
	echo integrity >"$L"
	ktap_test "integrity: the kernel is locked down" "$(cat "$L")" grep -q '\[integrity\]' "$L"
	a=$(stat_value frees_audited)
	pc-workload -t 2 -d /tmp >/dev/null 2>&1
	audited=$(($(stat_value frees_audited) - a))
	reports=$(report_count "$D/reports.json" 2>/dev/null)
	rmmod pagecheck_inject
	unload_pagecheck && unloaded=yes
	[ "$audited" -gt 0 ] && [ "$reports" = 1 ] && [ "$unloaded" = yes ]
	ktap_status $? "integrity raised at run time: pagecheck keeps auditing, reports stay readable, unload works" \
		"audited $audited frees after, reports $reports, unloaded ${unloaded:-no}"
	lockdown_hooks integrity reload_hook
	echo confidentiality >"$L"
	ktap_test "confidentiality: the kernel is locked down" "$(cat "$L")" \
		grep -q '\[confidentiality\]' "$L"
	lockdown_hooks confidentiality reload_hook
	ktap_end lockdown
}
