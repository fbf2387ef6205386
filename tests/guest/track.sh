# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# track=1 that never runs out, sourced by suite.sh: provenance after a churn
# of thousands of tasks through a table it overflows TURNOVER times, tiny
# tables that recycle all the time, and track= switched at run time. CHURN
# is the endurance run's seconds of stress-ng, ENDURANCE its event table.

# churn SECONDS: stress-ng's fork, vm, mmap, brk and pipe stressors as
# root, and its exec stressor as nobody (it refuses root; fork as nobody
# stops early), in the workload memcg, at once. Its output is added to
# /tmp/churn.out.
churn() { # SECONDS
	cd /tmp || return
	in_memcg su nobody -s /bin/sh -c "exec stress-ng --exec 1 --timeout $1s --metrics-brief" \
		>/tmp/churn.exec 2>&1 &
	ex=$!
	in_memcg stress-ng --fork 4 --vm 1 --vm-bytes 32M --mmap 1 --mmap-bytes 16M --brk 1 \
		--pipe 1 --timeout "$1"s --metrics-brief >>/tmp/churn.out 2>&1
	wait "$ex"
	cat /tmp/churn.exec >>/tmp/churn.out
	cd / || return
}

# Churn in rounds of 30 s (SECONDS if shorter) for at least SECONDS and
# until the event table took TURNOVER times its capacity in new events (at most
# four times SECONDS: a machine busy elsewhere slows the guest).
churn_through() { # SECONDS
	: >/tmp/churn.out
	t0=$(uptime_s)
	want=$((TURNOVER * $(table_capacity track_events)))
	round=$(($1 < 30 ? $1 : 30))
	while :; do
		churn "$round"
		el=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%d", b - a }')
		[ "$el" -ge "$1" ] && [ "$(stat_value track_events_created)" -ge "$want" ] && break
		[ "$el" -lt $((4 * $1)) ] || break
	done
	CHURNED=$el
}

# The tasks stress-ng's fork and exec stressors made: their bogo ops
# ("stress-ng: metrc: [PID] fork OPS ...").
churn_tasks() {
	awk '$4 == "fork" || $4 == "exec" { n += $5 } END { print n + 0 }' /tmp/churn.out
}

# track_events: "N of M (P needed by allocated pages)": M
table_capacity() { # KEY
	stat_value "$1" | cut -d' ' -f3
}

# The report of the injection whose result line is RES, in FILE.
report_of() { # RES FILE
	reports_json /tmp/track.json
	grep "\"pfn\":$(field pfn "$1")," /tmp/track.json >"$2"
}

# CASE CONTEXT into the injector after emptying the store (identical bad
# frees would be one report), its result line on stdout.
inject() { # CASE CONTEXT
	echo 1 >"$P/clear"
	echo "$1 $2" >"$INJ/run" && cat "$INJ/result"
}

# The endurance run: a page held from before the churn, a page allocated
# after it and a double free must all still be explained.
check_endurance() {
	held=$(inject hold task)
	timed churn_through "$CHURN"
	cap=$(table_capacity track_events)
	created=$(stat_value track_events_created)
	ktap_figure "track=1 after $CHURNED s of stress-ng ($(churn_tasks) tasks forked or exec'd)" \
		"$(grep -E '^track_(events|stacks|bytes|refs)' "$D/stats" | tr '\n' ' ')"
	[ "$CHURNED" -ge "$CHURN" ] && [ "$created" -ge $((TURNOVER * cap)) ] &&
		[ "$(stat_value violations)" = 0 ]
	ktap_status $? "endurance: $CHURN s or more of churn made $TURNOVER times the event table in new (stack, task) pairs, with no report" \
		"$created events created for a table of $cap in $CHURNED s, $(churn_tasks) tasks, violations $(stat_value violations); $(tail -n 3 /tmp/churn.out | tr '\n' ' ')"
	res=$(inject held_mapping task)
	alloc_names "$res" pgc_inject_hold_alloc
	ktap_status $? "endurance: a page held through the churn, freed badly, names its allocating function" \
		"alloc: $(head -n 4 /tmp/track.stack | paste -sd' '), missing: $(field_items /tmp/track.fields alloc_missing); hold: $held"
	res=$(inject mapping task)
	alloc_names "$res" "$(field alloc_func "$res")"
	ktap_status $? "endurance: a page allocated after the churn names its allocating function" \
		"alloc: $(head -n 4 /tmp/track.stack | paste -sd' '), missing: $(field_items /tmp/track.fields alloc_missing)"
}

# alloc_names RES FUNC: the report of the injection whose result line is
# RES names FUNC in its alloc.stack; one jq, whose values stay in
# /tmp/track.fields and the stack in /tmp/track.stack for the detail
alloc_names() {
	report_of "$1" /tmp/track.mine
	report_fields /tmp/track.mine "alloc.stack alloc_missing" >/tmp/track.fields
	field_items /tmp/track.fields alloc.stack >/tmp/track.stack
	has_frame "$2" </tmp/track.stack
}

# A double free's earlier free, after churn: HOOK sees the call. A SKIP
# where the injector makes none (CONFIG_DEBUG_VM's VM_BUG_ON_PAGE).
check_double_free_after() { # NAME
	res=$(inject double_free task)
	if [ "$(field status "$res")" = skipped ]; then
		ktap_skip "$1" "$(field why "$res")"
		return
	fi
	report_of "$res" /tmp/track.mine
	report_get /tmp/track.mine last_free.stack >/tmp/track.stack
	has_frame "$(field first_free_func "$res")" </tmp/track.stack
	ktap_status $? "$1" "last_free: $(head -n 4 /tmp/track.stack | paste -sd' '); $res"
}

# Tiny tables under churn: every answer names the right one of four
# allocating sites, or says it was evicted. Never another's.
check_no_wrong_answers() {
	echo 4 >/sys/module/pagecheck_inject/parameters/alloc_sites
	: >/tmp/churn.out
	churn 15 &
	ch=$!
	# every injection first, one jq for all their reports after (a jq
	# costs half a second under TCG), as inject_case
	HOOK=tracepoint
	inject_reset
	i=0
	while [ $i -lt 10 ]; do
		i=$((i + 1))
		inject hold task >/dev/null
		for c in a:mapping b:mapping c:held_mapping; do
			inject_run "$i${c%%:*}" "${c#*:}" task
		done
	done
	wait "$ch"
	inject_fields "alloc alloc.stack alloc_missing"
	right=0 evicted=0 wrong=
	for res in /tmp/inj/*.res; do
		k=${res##*/} k=${k%.res}
		# a case that did not run is no answer (kept as before)
		[ ! -e "/tmp/inj/$k.verdict" ] || continue
		# the shell alone: inject_fields split the fields by case
		read -r res <"$res"
		field_to pf pfn "$res"
		field_to want alloc_func "$res"
		alloc= missing=
		: >/tmp/track.stack
		[ ! -e "/tmp/inj/$k.fields" ] ||
		while IFS='	' read -r p key v; do
			[ "$p" = "$pf" ] || continue
			case $key in
			alloc.stack) printf '%s\n' "$v" >>/tmp/track.stack ;;
			alloc) alloc=$alloc$v ;;
			alloc_missing) missing=$missing$v ;;
			esac
		done <"/tmp/inj/$k.fields"
		other=
		for o in pgc_inject_alloc pgc_inject_alloc_b pgc_inject_alloc_c \
			 pgc_inject_alloc_d pgc_inject_hold_alloc; do
			[ "$o" != "$want" ] || continue
			! has_frame "$o" </tmp/track.stack || other=$o
		done
		if has_frame "$want" </tmp/track.stack && [ -z "$other" ]; then
			right=$((right + 1))
		elif [ "$alloc" = null ]; then
			case $missing in
			evicted*) evicted=$((evicted + 1)) ;;
			*) wrong="$wrong [$k: want $want, alloc null, missing $missing]" ;;
			esac
		else
			field_to c case "$res"
			wrong="$wrong [$k $c: want $want, alloc $(paste -sd' ' /tmp/track.stack) missing $missing]"
		fi
	done
	grep -q '	-	invalid	' /tmp/inj/fields && wrong="$wrong [reports.json is not valid JSON]"
	[ ! -s /tmp/inj/fields.err ] || wrong="$wrong [jq: $(head -c 200 /tmp/inj/fields.err)]"
	echo 1 >/sys/module/pagecheck_inject/parameters/alloc_sites
	ktap_figure "tiny tables" "$right right, $evicted evicted; $(grep -E '^track_(events|stacks)' "$D/stats" | tr '\n' ' ')"
	[ -z "$wrong" ] && [ "$right" -gt 0 ] && [ "$evicted" -gt 0 ] &&
		[ "$(stat_value track_events_evicted)" -gt 0 ]
	ktap_status $? "tiny tables: every answer names the page's own allocating site, or says evicted" \
		"$right right, $evicted evicted, evictions $(stat_value track_events_evicted), wrong:$wrong"
}

# track= at run time: a report after switching on has provenance; a bad
# value or a failed allocation changes nothing; SWITCHES switches under
# load.
check_switch() {
	unload_pagecheck
	load_pagecheck hook=tracepoint
	res=$(inject mapping task)
	report_of "$res" /tmp/track.off
	echo 1 >"$P/track"
	res=$(inject mapping task)
	before=$(report_get /tmp/track.off provenance)
	alloc_names "$res" "$(field alloc_func "$res")" &&
		[ "$before" = off ] && [ "$(stat_value track)" = 1 ]
	ktap_status $? "switch: loaded with track=0, a report; track=1, the next report has provenance" \
		"before: $before; after: track $(stat_value track), alloc $(head -n 3 /tmp/track.stack | paste -sd' ')"
	kmsg_mark track-switch
	refused=
	echo 2 >"$P/track" 2>/dev/null && refused="$refused accepted:2"
	[ "$(cat "$P/track")" = 1 ] || refused="$refused changed"
	echo 0 >"$P/track"
	echo 16777216 >"$P/track_stacks"
	echo 1 >"$P/track" 2>/tmp/track.err && refused="$refused accepted:huge-table"
	echo 0 >"$P/track_stacks"
	[ "$(cat "$P/track")" = 0 ] && [ "$(stat_value track)" = 0 ] || refused="$refused not-off"
	dmesg_since_mark | grep -q "track=1: cannot allocate" || refused="$refused no-reason-in-dmesg"
	ktap_test "switch: a bad value or a table too big for memory is refused, says why and changes nothing" \
		"$refused; $(cat /tmp/track.err)" [ -z "$refused" ]
	in_memcg_bg pc-workload -t 30 -d /tmp >/dev/null 2>&1
	wl=$!
	i=0 failed=0
	while [ $i -lt "$SWITCHES" ]; do
		i=$((i + 1))
		echo 1 >"$P/track" || failed=$((failed + 1))
		echo "mapping task" >"$INJ/run" || failed=$((failed + 1))
		echo 0 >"$P/track" || failed=$((failed + 1))
	done
	kill "$wl" 2>/dev/null
	wait "$wl" 2>/dev/null
	# a log that lost the switches shows no splat either
	kmsg_since_mark /tmp/switch.dmesg || failed="$failed, log lost"
	splat=$(grep -E 'WARNING:|BUG:|Oops|KASAN|circular locking|RCU stall|soft lockup' /tmp/switch.dmesg |
		grep -v 'BUG: pagecheck:' | head -n 2 | tr '\n' ' ')
	kept=$(head -n 1 /tmp/track.stack)
	reports_json /tmp/track.after
	[ "$failed" = 0 ] && [ -z "$splat" ] && [ "$(stat_value track)" = 0 ] &&
		grep -q "\"pfn\":$(field pfn "$res"),.*\"provenance\":\"allocated\"" /tmp/track.after
	ktap_status $? "switch: $SWITCHES times off and on under load, no splat, and reports keep their provenance" \
		"$failed failed writes or injections; splat: $splat; track $(stat_value track); first alloc frame $kept"
}


run_track() {
	ktap_suite track
	unload_pagecheck
	if ! load_pagecheck hook=ftrace track=1 track_events="$ENDURANCE" \
		track_stacks=$((ENDURANCE / 2)); then
		ktap_fail "load with hook=ftrace track=1 track_events=$ENDURANCE" \
			"insmod: $(cat /tmp/insmod.err)"
		ktap_end track
		return
	fi
	insmod "$PC/pagecheck_inject.ko"
	timed check_endurance
	check_double_free_after "endurance: after the churn, a double free (ftrace) names the earlier free's function"
	unload_pagecheck
	# 256 events: in 64, every set can be full of needed entries after
	# churn, and the first free's entry is then honestly evicted
	load_pagecheck hook=kprobe track=1 track_events=256 track_stacks=128
	: >/tmp/churn.out
	timed churn 10
	check_double_free_after "kprobe: after churn, a double free names the earlier free's function"
	unload_pagecheck
	load_pagecheck hook=tracepoint track=1 track_events=16 track_stacks=16
	timed check_no_wrong_answers
	timed check_switch
	rmmod pagecheck_inject
	unload_pagecheck
	ktap_end track
}

# watch=auto (issue 29): a report's allocation stack becomes a target; the
# next page allocated from it is armed, and its bad free's report carries
# every write to its counts and mapping, with the writer.
run_watch() {
	ktap_suite watch
	unload_pagecheck 2>/dev/null
	kmsg_mark watch
	if ! load_pagecheck track=1 watch=auto; then
		kmsg_since_mark /tmp/watch.dmesg
		why=$(grep -m1 'watch=auto: ' /tmp/watch.dmesg)
		case $(uname -m):$why in
		aarch64:*"no LSE atomics"*)
			if grep -qw atomics /proc/cpuinfo; then
				ktap_fail "watch=auto on arm64 with LSE atomics" "refused: $why"
			else
				ktap_ok "watch=auto is refused on an arm64 CPU without LSE atomics, saying why: $why"
			fi ;;
		x86_64:* | aarch64:*) ktap_fail "load with track=1 watch=auto" "$(cat /tmp/insmod.err) $why" ;;
		*:*"not supported"*|*:*"no hardware breakpoints"*)
			ktap_ok "watch=auto is refused on $(uname -m), saying why: $why" ;;
		*) ktap_fail "watch=auto on $(uname -m) says why it is refused" "dmesg: $why" ;;
		esac
		ktap_end watch
		return
	fi
	insmod "$PC/pagecheck_inject.ko"
	echo "hold task" >"$INJ/run" && echo "held_mapping task" >"$INJ/run"
	targets=$(stat_value watch_targets)
	echo "hold task" >"$INJ/run"
	watch_armed_wait
	armed=$(stat_value watch_armed)
	echo "held_mapping task" >"$INJ/run"
	watch_history
	cat "$D/reports" >/tmp/watch.txt
	ktap_test "watch=auto: a new report's allocation stack becomes a target" \
		"watch_targets: $targets" [ "$targets" = 1 ]
	ktap_test "watch=auto: the next page allocated from it is armed" \
		"watch_armed: $armed after $_i polls; $(stat_value watch_window_ns)" [ "$armed" = "1 of 2" ]
	ktap_test "history: mapping 0x0 -> the fake mapping, written by pgc_corrupt_mapping" \
		"$(tr '\n' ' ' </tmp/watch.hist)" grep -q '^\["mapping","0x0","0x[0-9a-f]*","pgc_corrupt_mapping"\]$' /tmp/watch.hist
	ktap_test "history: refcount 1 -> 0 at the free" \
		"$(tr '\n' ' ' </tmp/watch.hist)" grep -q '^\["refcount",1,0,' /tmp/watch.hist
	ktap_test "text: the report shows the refcount history" \
		"$(grep -A3 '^refcount history' /tmp/watch.txt | tr '\n' ' ')" \
		grep -q '^refcount history of pfn 0x[0-9a-f]*: [0-9]* writes\?, ' /tmp/watch.txt
	n=$(jq -c 'select(.history != null)' /tmp/watch.json | wc -l)
	ktap_test "a history on the watched page's report only" "reports with a history: $n" [ "$n" = 1 ]
	ktap_figure "watch" "$(grep '^watch' "$D/stats" | tr '\n' ' ')"
	sed -n '/^refcount history/,/^====/p' /tmp/watch.txt | while read -r l; do
		ktap_diag "watch: $l"
	done
	# a racing reference: who took it
	echo 1 >"$P/clear"
	echo "hold task" >"$INJ/run" && watch_armed_wait &&
		echo "held_refcount task" >"$INJ/run"
	watch_history
	ktap_test "history: the racing reference, refcount 0 -> 1, names pgc_race_refcount" \
		"$(tr '\n' ' ' </tmp/watch.hist)" grep -q '^\["refcount",0,1,"pgc_race_refcount"\]$' /tmp/watch.hist
	# a healthy free of a watched page keeps nothing
	kept=$(stat_value watch_histories_kept) clean=$(stat_value watch_clean_frees)
	echo 1 >"$P/clear"
	echo "hold task" >"$INJ/run" && watch_armed_wait && echo "held_clean task" >"$INJ/run"
	sleep 0.2
	[ ! -s "$D/reports.json" ] && [ "$(stat_value watch_histories_kept)" = "$kept" ] &&
		[ "$(stat_value watch_clean_frees)" = $((clean + 1)) ] &&
		[ "$(stat_value watch_armed)" = "0 of 2" ]
	ktap_status $? "a watched page freed cleanly: no report, no history kept, counted" \
		"reports $(grep -c . "$D/reports.json"), kept $kept -> $(stat_value watch_histories_kept), clean frees $clean -> $(stat_value watch_clean_frees), armed $(stat_value watch_armed)"
	echo off >"$P/watch"
	ktap_test "watch=off turns it off" "$(grep '^watch' "$D/stats" | tr '\n' ' ')" \
		[ "$(stat_value watch)" = off ]
	rmmod pagecheck_inject
	unload_pagecheck
	watch_off_and_unload 20
	watch_extra_put
	watch_alloc_function
	ktap_end watch
}

# The extra put: A() allocates, B() takes a reference, C() drops two, and
# the owner's own put is then a double free (which ftrace sees). The first
# makes A's stack a target; the second, watched, carries the history.
watch_extra_put() {
	if ! load_pagecheck hook=ftrace track=1 watch=auto; then
		ktap_fail "extra put: load hook=ftrace track=1 watch=auto" "$(cat /tmp/insmod.err)"
		return
	fi
	insmod "$PC/pagecheck_inject.ko"
	echo "hold_a task" >"$INJ/run" && echo "held_extra_put task" >"$INJ/run"
	r=$(cat "$INJ/result")
	if [ "$(field status "$r")" = skipped ]; then
		ktap_skip "extra put: B takes a reference, C drops two; the history names both" "$(field why "$r")"
	else
		reports_json /tmp/watch.json
		first=$(jq -r '[.title, (.rules | join(","))] | join(" / ")' /tmp/watch.json)
		targets=$(stat_value watch_targets)
		echo "hold_a task" >"$INJ/run" && watch_armed_wait && echo "held_extra_put task" >"$INJ/run"
		watch_history
		refs=$(grep '^\["refcount"' /tmp/watch.hist | tr -d '[]"' | tr '\n' ' ')
		ktap_test "extra put: the first double free is reported, and A's stack becomes a target" \
			"report: $first; watch_targets: $targets" \
			sh -c "[ '$targets' = 1 ] && grep -q 'double free' /tmp/watch.json"
		ktap_test "extra put: the watched page's history names B 1 -> 2, then C 2 -> 1 and 1 -> 0, in order" \
			"refcount writes: $refs" \
			[ "$refs" = "refcount,1,2,pgc_inject_b_get refcount,2,1,pgc_inject_c_put_twice refcount,1,0,pgc_inject_c_put_twice " ]
	fi
	rmmod pagecheck_inject
	unload_pagecheck
}

# watch_alloc=<function>: the pages allocated under it, no report needed;
# a debugger holding the debug registers; and a healthy workload's pages,
# watched and freed cleanly, keep nothing.
watch_alloc_function() {
	kmsg_mark watch-alloc
	loaded=no
	load_pagecheck track=1 watch_alloc=pc_no_such_function && loaded=yes && unload_pagecheck
	kmsg_since_mark /tmp/watch.dmesg
	ktap_test "watch_alloc= of a function the kernel does not have fails insmod, saying so" \
		"loaded: $loaded; $(grep -m1 'watch_alloc=' /tmp/watch.dmesg)" \
		sh -c "[ $loaded = no ] && grep -q 'watch_alloc=pc_no_such_function: no such function' /tmp/watch.dmesg"
	load_pagecheck track=1 || return
	insmod "$PC/pagecheck_inject.ko"
	clone=$(grep -o -m1 'pgc_inject_[a-z_]*\.constprop\.0' /proc/kallsyms)
	if [ -z "$clone" ]; then
		ktap_skip "watch_alloc= of a function the compiler cloned takes the clone" "the compiler made no .constprop.0 clone in pagecheck_inject"
	else
		echo "${clone%.constprop.0}" >"$P/watch_alloc"
		ktap_test "watch_alloc=${clone%.constprop.0}: the compiler's clone, $clone, is taken" \
			"$(grep '^watch_alloc' "$D/stats")" grep -q "^watch_alloc: $clone+0x0/" "$D/stats"
	fi
	echo pgc_inject_a_alloc >"$P/watch_alloc"
	echo "hold_a task" >"$INJ/run"
	watch_armed_wait
	ktap_status $? "watch_alloc=pgc_inject_a_alloc: the next page allocated under it is armed, with no report before" \
		"watch: $(cat "$P/watch") $(cat "$P/watch_alloc"); $(grep '^watch' "$D/stats" | tr '\n' ' ')"
	echo "touch 50" >"$INJ/run"	# 100 writes from two stacks
	echo "held_mapping task" >"$INJ/run"
	watch_history
	cat "$D/reports" >/tmp/watch.txt
	ktap_test "watch_alloc=: its bad free's history names pgc_corrupt_mapping" \
		"$(tr '\n' ' ' </tmp/watch.hist)" grep -q '^\["mapping","0x0","0x[0-9a-f]*","pgc_corrupt_mapping"\]$' /tmp/watch.hist
	ktap_test "102 writes: the last 64 kept, all counted; 4 writers' stacks, each kept once" \
		"[writes, kept, stacks]: $(jq -c 'select(.history != null) | [.history_writes, (.history | length), .history_stacks]' /tmp/watch.json)" \
		sh -c "jq -e 'select(.history != null) | .history_writes == 102 and (.history | length) == 64 and .history_stacks == 4' /tmp/watch.json >/dev/null"
	ktap_test "text: a stack printed once, then \"(the stack above)\"" \
		"$(grep -c "(the stack above)" /tmp/watch.txt) of the 64 writes kept say so" [ "$(grep -c "(the stack above)" /tmp/watch.txt)" = 60 ]
	watch_debugger
	echo 1 >"$P/clear"
	arms=$(stat_value watch_arms) traps=$(stat_value watch_traps)
	kept=$(stat_value watch_histories_kept)
	echo handle_mm_fault >"$P/watch_alloc"
	pc-workload -t 4 -d /tmp >/tmp/watch.workload 2>&1
	sleep 0.2
	now_arms=$(stat_value watch_arms) now_traps=$(stat_value watch_traps)
	[ ! -s "$D/reports.json" ] && [ "$(stat_value watch_histories_kept)" = "$kept" ] &&
		[ "$now_arms" -ge $((arms + 2)) ] && [ "$now_traps" -gt "$traps" ]
	ktap_status $? "watch_alloc=handle_mm_fault under pc-workload: pages armed and written, freed cleanly, nothing kept, no report" \
		"arms $arms -> $now_arms, traps $traps -> $now_traps, kept $kept -> $(stat_value watch_histories_kept), reports $(grep -c . "$D/reports.json"); $(cat /tmp/watch.workload)"
	ktap_figure "watch under pc-workload" "$(grep '^watch' "$D/stats" | tr '\n' ' ')"
	echo off >"$P/watch"
	rmmod pagecheck_inject
	unload_pagecheck
}

# A debugger holding every debug register: arming fails, is counted, and
# pagecheck says why; once it lets go, the next page is armed.
watch_debugger() {
	kmsg_mark watch-hog
	_i=0	# a retired slot's breakpoints go back from a work item
	while echo "hog task" >"$INJ/run" && hog=$(cat "$INJ/result") &&
		[ "$(field breakpoints "$hog")" -lt 4 ] && [ $_i -lt 20 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	failed=$(stat_value watch_arm_failed)
	echo "hold_a task" >"$INJ/run"
	_i=0
	while [ "$(stat_value watch_arm_failed)" = "$failed" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kmsg_since_mark /tmp/watch.dmesg
	ktap_test "a debugger holds the debug registers: arming fails, counted, and pagecheck says why" \
		"$hog; watch_arm_failed: $failed -> $(stat_value watch_arm_failed); $(grep -m1 'watch:' /tmp/watch.dmesg)" \
		sh -c "[ '$(stat_value watch_armed)' = '0 of 2' ] && grep -q 'watch: cannot arm a watchpoint (-28): the debug registers are taken' /tmp/watch.dmesg"
	echo "held_clean task" >"$INJ/run"
	echo "unhog task" >"$INJ/run"
	echo "hold_a task" >"$INJ/run"
	watch_armed_wait
	ktap_status $? "the debugger lets go: the next page is armed" \
		"$(grep '^watch' "$D/stats" | tr '\n' ' ')"
	echo "held_clean task" >"$INJ/run"
}

# watch_history: reports.json in /tmp/watch.json, and each history write
# as [field, old, new, writer] in /tmp/watch.hist
watch_history() {
	reports_json /tmp/watch.json
	jq -c 'select(.history != null) | .history[] | [.field, .old, .new, (.stack[0] | sub("\\+.*"; ""))]' \
		/tmp/watch.json >/tmp/watch.hist 2>&1
}

# watch_armed_wait: until a slot is armed, at most 5 s; $_i polls
watch_armed_wait() {
	_i=0
	while [ "$(stat_value watch_armed)" != "1 of 2" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(stat_value watch_armed)" = "1 of 2" ]
}

# N cycles under a workload: arm a page, then watch=off (odd) or rmmod
# (even) while it is armed. The console check catches any splat.
watch_off_and_unload() { # N
	pc-workload -t 600 -d /tmp >/dev/null 2>&1 &
	_w=$!
	_armed=0 _gone=0
	_n=0
	while [ $_n -lt "$1" ]; do
		_n=$((_n + 1))
		load_pagecheck track=1 watch=auto || break
		insmod "$PC/pagecheck_inject.ko"
		echo "hold task" >"$INJ/run" && echo "held_mapping task" >"$INJ/run"
		echo "hold task" >"$INJ/run"
		watch_armed_wait && _armed=$((_armed + 1))
		if [ $((_n % 2)) = 1 ]; then
			echo off >"$P/watch"
			[ "$(stat_value watch_armed)" = "" ] && _gone=$((_gone + 1))
			rmmod pagecheck_inject
			unload_pagecheck
		else
			unload_pagecheck && _gone=$((_gone + 1))
			rmmod pagecheck_inject
		fi
	done
	kill $_w 2>/dev/null
	wait $_w 2>/dev/null
	[ "$_n" = "$1" ] && [ "$_armed" = "$1" ] && [ "$_gone" = "$1" ]
	ktap_status $? "watch=off and rmmod, each while a page is armed, under a workload: $1 cycles, each arming again (the breakpoints came back)" \
		"cycles $_n, armed $_armed, taken back $_gone"
}

# The cost of a watched page, for docs/performance.md; boot with
# -icount shift=0 (pctest.py run --icount --smp 1), where a guest
# nanosecond is an instruction. A loop of references taken and dropped on
# one page: two writes, so two traps, an iteration while it is watched.
run_watch_cost() {
	ktap_suite watch_cost
	iters=20000
	load_pagecheck track=1 || { ktap_fail "load track=1" "$(cat /tmp/insmod.err)"; ktap_end watch_cost; return; }
	insmod "$PC/pagecheck_inject.ko"
	echo pgc_inject_a_alloc >"$P/watch_alloc"
	echo "hold_a task" >"$INJ/run"
	if ! watch_armed_wait; then
		ktap_fail "watch_alloc=pgc_inject_a_alloc arms the held page" "$(grep '^watch' "$D/stats" | tr '\n' ' ')"
	else
		echo "touch 100" >"$INJ/run"		# warm
		traps=$(stat_value watch_traps)
		echo "touch $iters" >"$INJ/run"
		watched=$(field ns "$(cat "$INJ/result")")
		traps=$(($(stat_value watch_traps) - traps))
		echo off >"$P/watch"
		echo "touch 100" >"$INJ/run"
		echo "touch $iters" >"$INJ/run"
		plain=$(field ns "$(cat "$INJ/result")")
		ktap_test "every write to the watched page trapped: $((2 * iters)) writes" "traps: $traps" \
			[ "$traps" = $((2 * iters)) ]
		ktap_figure "watch cost" "iterations $iters, unwatched_ns $plain, watched_ns $watched, per_trap_ns $(((watched - plain) / (2 * iters))), slowdown_x100 $((100 * watched / plain))"
	fi
	# a workload whose pages are watched in turn, two at a time
	t0=$(uptime_s)
	pc-workload -n 2 -d /tmp >/dev/null 2>&1
	t1=$(uptime_s)
	echo handle_mm_fault >"$P/watch_alloc"
	pc-workload -n 2 -d /tmp >/dev/null 2>&1
	t2=$(uptime_s)
	ktap_figure "watch under pc-workload -n 2" "unwatched_s $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'), watch_alloc=handle_mm_fault_s $(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }'), $(grep -E '^watch_(arms|traps|clean_frees):' "$D/stats" | tr '\n' ' ')"
	echo off >"$P/watch"
	echo "held_clean task" >"$INJ/run"
	rmmod pagecheck_inject
	unload_pagecheck
	ktap_end watch_cost
}
