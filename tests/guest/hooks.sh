# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The tests each backend must pass, sourced by suite.sh: real bad frees in
# every context, deduplication, the report files, enabled=, no false
# positives under a workload, load/unload under load and the kernel's own
# verdict. FP_FREES and CYCLES size the workload steps.

# frames_to VAR CALLER <STACK: the caller's bare name and the next two
# frames' of a stack (one frame a line), comma separated: what a
# fingerprint hashes besides the reasons. The shell alone.
frames_to() {
	_c=${2%% *} _fr= _n=0
	while IFS= read -r _l; do
		_l=${_l%%[+ ]*}
		_l=${_l%%.*}
		[ "$_n" -gt 0 ] || [ "$_l" = "$_c" ] || continue
		_fr=$_fr${_fr:+,}$_l
		_n=$((_n + 1))
		[ "$_n" -lt 3 ] || break
	done
	eval "$1=\$_fr"
}

# same_items A B: the "|" separated lists A and B hold the same items, in
# any order. The shell alone.
same_items() {
	[ -n "$1" ] || { [ -z "$2" ]; return; }
	_b="|$2|" _rest="$1|"
	[ ${#_b} = $((${#_rest} + 1)) ] || return 1
	while [ -n "$_rest" ]; do
		_i=${_rest%%|*}
		_rest=${_rest#*|}
		case $_b in *"|$_i|"*) ;; *) return 1 ;; esac
		_b="${_b%%"|$_i|"*}|${_b#*"|$_i|"}"
	done
	[ "$_b" = "|" ]
}

# Every injection so far, each "NAME FP FRAMES REASONS": one fingerprint
# for each bug (its frames and reasons), and one bug for each fingerprint.
check_fingerprints() {
	bugs=$(cut -d' ' -f3- /tmp/fingerprints | sort -u | wc -l)
	fps=$(cut -d' ' -f2 /tmp/fingerprints | sort -u | wc -l)
	pairs=$(cut -d' ' -f2- /tmp/fingerprints | sort -u | wc -l)
	[ "$bugs" -ge 10 ] && [ "$fps" = "$bugs" ] && [ "$pairs" = "$bugs" ]
	ktap_status $? "fingerprint: one per bug (reasons and frames), distinct between bugs" \
		"$(wc -l </tmp/fingerprints) injections: $bugs bugs, $fps fingerprints, $pairs pairs"
}

# The values of a report inject_case reads.
CASE_FIELDS="reasons stack fingerprint caller"

# One case of the injector in one context, run by inject_run as KEY and
# read by inject_fields CASE_FIELDS: exactly one report, with the expected
# reasons, stack, context and order, and nothing else. A test named with
# a PREFIX is a re-run: its fingerprint is not a new bug's.
inject_case() { # CASE CONTEXT KEY [PREFIX]
	name="${4:-}$1/$2"
	inject_report "$name" "$3" || return
	problems=$case_problems n=$case_n
	others=$((case_total - n))
	[ "$others" = 0 ] || problems="$problems; $others unrelated reports"
	field_to expect expect "$res"
	field_to func func "$res"
	field_to order order "$res"
	# a state the kernel accepts: no report at all
	if [ "$expect" = none ]; then
		[ "$n" = 0 ] || problems="$problems; $n reports for a page the kernel accepts: $case_reasons"
		if [ -z "$problems" ]; then ktap_ok "$name"; else ktap_fail "$name" "${problems#; }"; fi
		return
	fi
	[ "$n" = 1 ] || problems="$problems; $n reports for pfn $pfn"
	# in the order the report lists them: the same for the same reasons
	got=$case_reasons
	same_items "$got" "$expect" || problems="$problems; reasons [$got] != [$expect]"
	has_frame "$func" </tmp/case.frames || problems="$problems; $func not in the stack"
	read -r line </tmp/case.mine
	case $line in *"\"context\":\"$2\""*) ;; *) problems="$problems; not in $2 context" ;; esac
	case $line in *"\"order\":$order,"*) ;; *) problems="$problems; not order $order" ;; esac
	for key in id count first_ns last_ns flags mapping mapcount refcount \
		   memcg_data cpu pid comm caller fingerprint stack; do
		case $line in *"\"$key\":"*) ;; *) problems="$problems; no $key" ;; esac
	done
	fp=$case_fp
	case $fp in
	????????????????) case $fp in *[!0-9a-f]*) fp_ok=no ;; *) fp_ok=yes ;; esac ;;
	*) fp_ok=no ;;
	esac
	[ "$fp_ok" = yes ] || problems="$problems; fingerprint '$fp' is not 16 hex digits"
	if [ -z "$problems" ]; then
		frames_to frames "$case_caller" </tmp/case.frames
		if [ -z "${4:-}" ]; then
			echo "$name $fp $frames $got" >>/tmp/fingerprints
			[ "$HOOK/$2" != tracepoint/task ] ||
				ktap_figure "fingerprint $name" "$fp $frames $got"
		fi
		ktap_ok "$name"
	else
		ktap_fail "$name" "${problems#; }"
		diag_file "$case_json" 2
	fi
}

# Every case first, then one jq reads all their reports, then each is
# judged: a jq a case would cost half a second each under TCG.
run_injections() {
	grep -v only: "$INJ/cases" | cut -d' ' -f1 >/tmp/cases
	ktap_suite inject
	inject_reset
	for ctx in task softirq hardirq; do
		while read -r c; do
			inject_run "$ctx-$c" "$c" "$ctx"
		done </tmp/cases
	done
	# judged from the copies, with the hook off the free path: a backend
	# slows every process the judging runs (3x for ftrace on s390x)
	echo 0 >"$P/enabled" || ktap_fail "enabled=0 for the judging" "write failed"
	inject_fields "$CASE_FIELDS"
	for ctx in task softirq hardirq; do
		while read -r c; do
			inject_case "$c" "$ctx" "$ctx-$c"
		done </tmp/cases
	done
	echo 1 >"$P/enabled" || ktap_fail "enabled=1 after the judging" "write failed"
	ktap_end inject
}

check_dedup() {
	echo 1 >"$P/clear"
	for i in 1 2 3; do
		echo "mapping task" >"$INJ/run"
	done
	pfn=$(field pfn "$(cat "$INJ/result")")
	reports_copy /tmp/dedup.json
	n=$(grep -c . /tmp/dedup.json)
	count=$(report_get /tmp/dedup.json count) || count="? (not valid JSON)"
	[ "$n" = 1 ] && [ "$count" = 3 ]
	ktap_status $? "dedup: three identical bad frees make one report with count 3" \
		"$n reports, count $count"
	# at least the three just made: 0 == 0 + 0 would prove nothing
	v=$(stat_value violations) c=$(stat_value reports_count_sum) d=$(stat_value dropped)
	[ "$v" -ge 3 ] && [ "$v" -eq $((c + d)) ]
	ktap_status $? "accounting: violations == sum(count) + dropped" "$v != $c + $d, or fewer than 3"
	cat "$D/reports" >/tmp/reports.txt
	ktap_test "reports: a text block with a stable title" \
		"$(head -n 2 /tmp/reports.txt | tail -n 1)" \
		grep -q "^BUG: pagecheck: non-NULL mapping in pgc_inject_bad_free \[pagecheck_inject\]$" /tmp/reports.txt
	echo 0 >"$P/hash_pointers"
	raw=$(report_get "$D/reports.json" page)
	echo 1 >"$P/hash_pointers"
	hashed=$(report_get "$D/reports.json" page)
	[ -n "$raw" ] && [ "$raw" != "$hashed" ] &&
		echo "$raw" | grep -Eq '^[0-9a-f]{16}$' &&
		echo "$hashed" | grep -Eq '^[0-9a-f]{16}$'
	ktap_status $? "reports: the page pointer is hashed unless hash_pointers=0" \
		"raw $raw, hashed $hashed"
}

# A bad tail shows what a healthy free leaves there; page[2] of a THP
# shows its deferred list, not a mapping.
check_subpage_text() {
	echo 1 >"$P/clear"
	echo "tail_mapping task" >"$INJ/run"
	cat "$D/reports" >/tmp/tail.txt
	# TAIL_MAPPING is POISON_POINTER_DELTA + 0x400; s390 has no delta
	case $(uname -m) in
	s390x) tail_mapping=0x400 ;;
	*) tail_mapping=0xdead000000000400 ;;
	esac
	ktap_test "reports: a bad sub-page field shows its expected value" \
		"$(grep -m1 '  mapping' /tmp/tail.txt)" \
		grep -q "^  mapping: 0x0 (expected $tail_mapping)" /tmp/tail.txt
	echo 1 >"$P/clear"
	echo "deferred_list task" >"$INJ/run"
	cat "$D/reports" >/tmp/deferred.txt
	ktap_test "reports: the deferred list is named, with the empty list expected" \
		"$(grep -m1 deferred /tmp/deferred.txt)" \
		grep -q "^folio: deferred_list.next: 0x[0-9a-f]* (expected 0x[0-9a-f]*, the empty list)" \
		/tmp/deferred.txt
	check_folio_counters
}

# A bad page[1] counter: the report shows each folio counter this kernel
# has (its rule is not n/a in stats), and no other (null in JSON).
check_folio_counters() {
	echo 1 >"$P/clear"
	echo "$(grep -Eo '^(entire|compound)_mapcount' "$INJ/cases") task" >"$INJ/run"
	grep -m1 '^folio:' "$D/reports" >/tmp/folio.txt
	reports_copy /tmp/folio.json
	problems=
	report_fields /tmp/folio.json "folio.compound_mapcount folio.entire_mapcount folio.large_mapcount folio.nr_pages_mapped folio.pincount folio.mm_mapcount" \
		>/tmp/folio.fields || problems=" reports.json is not valid JSON;"
	for pair in compound_mapcount:compound_mapcount entire_mapcount:entire_mapcount \
		    large_mapcount:large_mapcount nr_pages_mapped:nr_pages_mapped \
		    pincount:pincount "mm mapcount 0:mm_mapcount"; do
		rule=${pair%%:*} key=${pair#*:}
		json=$(field_items /tmp/folio.fields "folio.$key" | head -n 1)
		if [ "$(stat_value "rule: nonzero $rule")" = n/a ]; then
			! grep -q " $key: " /tmp/folio.txt || problems="$problems $key shown;"
			[ "$json" = null ] || problems="$problems $key=$json in JSON;"
		else
			grep -q " $key: " /tmp/folio.txt || problems="$problems $key missing;"
			[ "$json" != null ] && [ -n "$json" ] || problems="$problems $key null in JSON;"
		fi
	done
	ktap_test "reports: the folio line and JSON show just the counters this kernel has" \
		"$problems $(cat /tmp/folio.txt)" [ -z "$problems" ]
}

check_enabled() {
	echo 0 >"$P/enabled"
	off=$(armed_targets)
	a=$(stat_value frees_audited)
	pc-workload -t 2 -d /tmp >/dev/null 2>&1
	b=$(stat_value frees_audited)
	echo 1 >"$P/enabled"
	on=$(armed_targets)
	pc-workload -t 2 -d /tmp >/dev/null 2>&1
	c=$(stat_value frees_audited)
	[ $((b - a)) -eq 0 ] && [ $((c - b)) -gt 1000 ]
	ktap_status $? "enabled=0 stops auditing and enabled=1 resumes" \
		"off: $((b - a)) frees, on: $((c - b))"
	# a bad free after the switch is reported whole, named after its caller
	echo 1 >"$P/clear"
	echo "mapping task" >"$INJ/run"
	cat "$D/reports" >/tmp/enabled.txt
	name="enabled=1: the next bad free is reported and named after its caller"
	if grep -q "^BUG: pagecheck: non-NULL mapping in pgc_inject_bad_free \[pagecheck_inject\]$" /tmp/enabled.txt; then
		ktap_ok "$name"
	else
		ktap_fail "$name" "$(head -n 2 /tmp/enabled.txt | tail -n 1)"
		diag_file /tmp/enabled.txt 30
	fi
	[ "$HOOK" = tracepoint ] && return
	targets=$(grep -c '^hook_target: ' "$D/stats")
	[ "$off" = 0 ] && [ "$on" = "$targets" ] && [ "$on" -gt 0 ]
	ktap_status $? "enabled=0 takes every $HOOK hook off the free path, enabled=1 puts them back" \
		"$targets targets: $off armed with enabled=0, $on with enabled=1"
}

# armed_targets: how many of stats' hook_target functions the kernel
# calls the backend HOOK from now: an armed kprobe, or an ftrace_ops on it
armed_targets() {
	sed -n 's/^hook_target: \([^ ]*\) .*/\1/p' "$D/stats" | while read -r fn; do
		case $HOOK in
		kprobe) grep " $fn+0x[0-9a-f]* " /sys/kernel/debug/kprobes/list | grep -vq DISABLED ;;
		ftrace) grep -q "^$fn " /sys/kernel/tracing/enabled_functions ;;
		esac && echo "$fn"
	done | grep -c .
}

# The six slow-path counters of stats, as "NAME=VALUE ..."
slow_counters() {
	sed -n 's/^\(slow_path_order_[0-9a-z_]*\): /\1=/p' "$D/stats" | tr '\n' ' '
}

# slow_delta BEFORE AFTER: each counter's growth, and the clean sum
slow_delta() {
	echo "$1 $2" | tr ' ' '\n' | awk -F= '
		NF == 2 && !($1 in a) { a[$1] = $2; order[n++] = $1; next }
		NF == 2 { d[$1] = $2 - a[$1] }
		END { for (i = 0; i < n; i++) { k = order[i]; printf "%s=%d ", k, d[k]
			  if (k ~ /_clean$/) c += d[k] }
		      printf "clean=%d\n", c }'
}

check_no_false_positives() {
	echo 1 >"$P/clear"
	start=$(stat_value frees_audited)
	slow0=$(slow_counters)
	rounds=0
	while [ $(($(stat_value frees_audited) - start)) -lt "$FP_FREES" ] &&
	      [ $rounds -lt 120 ]; do
		in_memcg pc-workload -t 5 -d /tmp >/tmp/wl.out 2>&1
		rounds=$((rounds + 1))
	done
	frees=$(($(stat_value frees_audited) - start))
	delta=$(slow_delta "$slow0" "$(slow_counters)")
	clean=${delta##*clean=}
	ktap_figure "$HOOK: no-false-positive workload" \
		"$frees frees in $rounds rounds; slow path: $delta"
	ktap_test "no false positives: at least $FP_FREES frees audited" \
		"$frees frees audited" [ "$frees" -ge "$FP_FREES" ]
	v=$(stat_value violations)
	if reports_copy /tmp/fp.json && [ "$v" = 0 ] && [ "$(report_count /tmp/fp.json)" = 0 ]; then
		ktap_ok "no false positives: zero reports under the workload"
	else
		ktap_fail "no false positives: zero reports under the workload" \
			"$v violations; reports.json: $(cat /tmp/reports.err)"
		diag_file /tmp/fp.json 3
	fi
	# no slow-path counters in stats would read as 0 clean entries
	[ -n "$slow0" ] && [ $((clean * 10000)) -le "$frees" ]
	ktap_status $? "no false positives: at most 1 clean slow-path entry per 10,000 frees" \
		"$clean in $frees frees; counters: ${slow0:-none in stats}"
}

check_lifecycle() {
	in_memcg_bg pc-workload -t 900 -d /tmp >/tmp/wl-bg.out 2>&1
	wl=$!
	ok=0 i=0
	while [ $i -lt "$CYCLES" ]; do
		i=$((i + 1))
		if unload_pagecheck && load_pagecheck hook="$HOOK" &&
		   cat "$D/stats" >/dev/null && cat "$D/reports.json" >/dev/null; then
			ok=$((ok + 1))
		fi
		sleep 0.2
	done
	kill "$wl" 2>/dev/null
	wait "$wl" 2>/dev/null
	left=$(workloads_left)
	ktap_test "lifecycle: the background workload stopped, workers and all" \
		"$left pc-workload processes still run" [ "$left" = 0 ]
	ktap_test "lifecycle: $CYCLES load/unload cycles under load" \
		"$ok of $CYCLES cycles" [ "$ok" = "$CYCLES" ]
	# an unreadable reports.json (no module) holds no report either
	reports_copy /tmp/cycle.json && n=$(report_count /tmp/cycle.json) ||
		n="unreadable or invalid reports.json: $(cat /tmp/reports.err)"
	ktap_test "lifecycle: no reports while cycling under load" "$n reports" [ "$n" = 0 ]
}

# count_frees=0, the default off x86: stats leave out the totals it does
# not count, a round of the workload gives no report, and a bad free is
# still caught and reported in full. Reloads as before.
check_count_frees() {
	unload_pagecheck
	if ! load_pagecheck hook="$HOOK" count_frees=0; then
		ktap_fail "count_frees=0: load" "insmod count_frees=0: $(cat /tmp/insmod.err)"
		load_pagecheck hook="$HOOK"
		return
	fi
	cat "$D/stats" >/tmp/stats.nocount
	totals=$(grep -cE '^(frees_audited|pages_audited|frees_by_order):' /tmp/stats.nocount)
	ktap_test "count_frees=0: stats say so and omit the order-0 totals" \
		"$(grep '^count_frees:' /tmp/stats.nocount), $totals totals" \
		sh -c "grep -qx 'count_frees: 0' /tmp/stats.nocount && [ $totals = 0 ]"
	slow0=$(slow_counters)
	# no report from a workload that did not run proves nothing
	in_memcg pc-workload -t 3 -d /tmp >/tmp/wl.out 2>&1
	rc=$?
	v=$(stat_value violations)
	[ "$rc" = 0 ] && [ "$v" = 0 ]
	ktap_status $? "count_frees=0: no false positives: zero reports over a workload round" \
		"pc-workload rc $rc: $(tail -n 1 /tmp/wl.out); $v violations; slow path: $(slow_delta "$slow0" "$(slow_counters)")"
	inject_reset
	inject_run one "$(head -n 1 /tmp/cases)" task
	inject_fields "$CASE_FIELDS"
	inject_case "$(head -n 1 /tmp/cases)" task one "count_frees=0: "
	unload_pagecheck
	load_pagecheck hook="$HOOK"
}

# track=1: the report says who allocated the page and who freed it before.
check_provenance() {
	unload_pagecheck
	if ! load_pagecheck hook="$HOOK" track=1; then
		ktap_fail "provenance: load with track=1" "insmod track=1: $(cat /tmp/insmod.err)"
		load_pagecheck hook="$HOOK"
		return
	fi
	# the six cases first, then one jq for all their reports
	inject_reset
	inject_run alloc mapping task && cat "$D/reports" >/tmp/prov.txt
	inject_run double double_free task
	run_owners
	# judged from the copies, with the hook off (see run_injections)
	echo 0 >"$P/enabled" || ktap_fail "provenance: enabled=0 for the judging" "write failed"
	inject_fields "alloc.stack stack alloc.pid alloc.comm alloc.gfp alloc.order alloc.ts_ns provenance last_free.stack $OWNER_PATHS"
	name="provenance: alloc.stack names the allocating function"
	if inject_report "$name" alloc; then
		problems=$case_problems
		[ "$case_n" = 1 ] || problems="$problems; $case_n reports of pfn $pfn"
		field_items /tmp/case.fields alloc.stack | has_frame "$(field alloc_func "$res")" ||
			problems="$problems; $(field alloc_func "$res") not in alloc.stack"
		field_items /tmp/case.fields stack | has_frame "$(field func "$res")" ||
			problems="$problems; $(field func "$res") not in stack"
		for key in alloc.pid alloc.comm alloc.gfp alloc.order alloc.ts_ns; do
			[ -n "$(field_items /tmp/case.fields $key)" ] || problems="$problems; no $key"
		done
		[ "$(field_items /tmp/case.fields provenance)" = allocated ] ||
			problems="$problems; provenance $(field_items /tmp/case.fields provenance)"
		grep -q "^page allocated via order 0, mask " /tmp/prov.txt ||
			problems="$problems; no 'page allocated via' in the text report"
		if [ -z "$problems" ]; then
			ktap_ok "$name"
		else
			ktap_fail "$name" "${problems#; }"
			diag_file /tmp/case.mine 1
		fi
	fi
	name="provenance: last_free.stack names the first free of a double free"
	if inject_report "$name" double; then
		problems=$case_problems
		[ "$case_n" = 1 ] || problems="$problems; $case_n reports of pfn $pfn"
		field_items /tmp/case.fields last_free.stack >/tmp/case.stack
		has_frame "$(field first_free_func "$res")" </tmp/case.stack ||
			problems="$problems; last_free.stack [$(head -n 3 /tmp/case.stack | paste -sd' ')] has no $(field first_free_func "$res"), provenance [$(field_items /tmp/case.fields provenance)]"
		if [ -z "$problems" ]; then
			ktap_ok "$name"
		else
			ktap_fail "$name" "${problems#; }"
			diag_file "$case_json" 2
		fi
	fi
	judge_owners
	unload_pagecheck
	load_pagecheck hook="$HOOK"
}

# The owner cases, each run in the workload's memcg by run_owners and
# judged by judge_owners: "CASE TEST PATH=VALUE...", one a line.
OWNER_PATHS="owner.kind owner.name owner.ino owner.fstype owner.cgroup"
owner_cases() {
	cat <<-EOF
	owner_file a page of a tmpfs file names the file and its inode|owner.kind=file owner.name=file owner.ino=$1 owner.fstype=tmpfs
	owner_memcg a page still charged gives its cgroup's path|owner.cgroup=/workload
	owner_unmapped a mapping at an unmapped address gives kind unknown|owner.kind=unknown
	owner_garbage a garbage mapping gives kind unknown|owner.kind=unknown
	EOF
}

run_owners() {
	mkdir -p /tmp/pc-owner
	mount -t tmpfs pc-owner /tmp/pc-owner 2>/dev/null
	echo data >/tmp/pc-owner/file
	owner_cases "$(stat -c %i /tmp/pc-owner/file)" >/tmp/owner.cases
	while read -r case rest; do
		inject_run "$case" "$case" task in_memcg
	done </tmp/owner.cases
	umount /tmp/pc-owner 2>/dev/null
}

# Each owner case: exactly one report of its pfn, with each VALUE.
judge_owners() {
	while read -r case rest; do
		test=${rest%%|*}
		inject_report "owner: $test" "$case" || continue
		wrong=
		for f in ${rest#*|}; do
			[ "$(field_items /tmp/case.fields "${f%%=*}")" = "${f#*=}" ] || wrong="$wrong $f"
		done
		if [ -z "$case_problems" ] && [ "$case_n" = 1 ] && [ -z "$wrong" ]; then
			ktap_ok "owner: $test"
		else
			ktap_fail "owner: $test" \
				"${case_problems#; }; $case_n reports of pfn $pfn, not$wrong; owner $(report_get /tmp/case.mine owner)"
		fi
	done </tmp/owner.cases
}

# Last, because the kernel's own check rejects and leaks the page, taints
# the kernel and prints its own report.
check_kernel_verdict() {
	unload_pagecheck
	if ! load_pagecheck hook="$HOOK" kernel_verdict=1; then
		ktap_fail "kernel_verdict: load with kernel_verdict=1" \
			"insmod kernel_verdict=1: $(cat /tmp/insmod.err)"
		return
	fi
	kmsg_mark verdict
	echo "kernel_mapping task" >"$INJ/run"
	res=$(cat "$INJ/result")
	pfn=$(field pfn "$res")
	reports_copy /tmp/verdict.json
	got=$(report_get /tmp/verdict.json kernel_reason pfn="$pfn") || got="$got (not valid JSON)"
	ktap_test "kernel_verdict: the kernel's bad_page() reason is attached to the report" \
		"kernel_reason [$got], injector: $res" [ "$got" = "non-NULL mapping" ]
	a=$(stat_value kernel_agree) d=$(stat_value kernel_disagree) o=$(stat_value kernel_only)
	[ "$a" = 1 ] && [ "$d" = 0 ] && [ "$o" = 0 ]
	ktap_status $? "kernel_verdict: stats count one agreement and no disagreement" \
		"agree $a disagree $d kernel only $o"
	hex=$(printf '%05x' "$pfn")
	dmesg_since_mark | grep -A12 'Bad page state' >/tmp/kdmesg
	grep -q "pfn:$hex" /tmp/kdmesg && grep -q "non-NULL mapping" /tmp/kdmesg
	ktap_status $? "kernel_verdict: the kernel itself reported the same page" \
		"$(head -n 1 /tmp/kdmesg)"
	check_mlocked_verdict
}

# An order-3 block with only PG_mlocked, left to the kernel: 5.18 and later
# clear the flag before their check (unevictable_pgs_cleared counts it) and
# neither reports; 5.10 rejects it, and pagecheck gives the same reason.
check_mlocked_verdict() {
	name="kernel_verdict: a block with only PG_mlocked is judged as the kernel judges it"
	seen0=$(stat_value kernel_verdicts) agree0=$(stat_value kernel_agree)
	cleared0=$(sed -n 's/^unevictable_pgs_cleared //p' /proc/vmstat)
	echo 0 >/sys/module/pagecheck_inject/parameters/restore
	echo "mlocked_block task" >"$INJ/run"
	echo 1 >/sys/module/pagecheck_inject/parameters/restore
	res=$(cat "$INJ/result")
	pfn=$(field pfn "$res")
	reports_json /tmp/mlocked.json
	grep "\"pfn\":$pfn," /tmp/mlocked.json >/tmp/mlocked.mine
	n=$(wc -l </tmp/mlocked.mine)
	seen=$(($(stat_value kernel_verdicts) - seen0))
	agree=$(($(stat_value kernel_agree) - agree0))
	cleared=$(($(sed -n 's/^unevictable_pgs_cleared //p' /proc/vmstat) - cleared0))
	if [ "$(field expect "$res")" = none ]; then
		[ "$n" = 0 ] && [ "$seen" = 0 ] && [ "$cleared" = 1 ]
	else
		[ "$n" = 1 ] && [ "$seen" = 1 ] && [ "$agree" = 1 ] &&
			[ "$(report_get /tmp/mlocked.mine kernel_reason)" = "$(field expect "$res")" ]
	fi
	st=$? why=
	# a jq for the detail only when it is shown
	[ "$st" = 0 ] || why="($(report_get /tmp/mlocked.mine reasons | paste -sd'|'))"
	ktap_status "$st" "$name" \
		"expect [$(field expect "$res")]: $n reports $why, kernel verdicts $seen, agreements $agree, unevictable_pgs_cleared +$cleared"
}

# run_hook HOOK: every test of one backend, as one KTAP subtest
run_hook() {
	HOOK=$1
	t0=$(uptime_s)
	ktap_suite "$HOOK"
	kmsg_mark "hook-$HOOK"
	if ! load_pagecheck hook="$HOOK"; then
		ktap_fail "load with hook=$HOOK" "$(cat /tmp/insmod.err)"
		ktap_diag "$(dmesg | grep pagecheck | tail -n 3 | tr '\n' ' ')"
		ktap_end "$HOOK"
		return
	fi
	ktap_test "load with hook=$HOOK" "stats say hook $(stat_value hook)" \
		[ "$(stat_value hook)" = "$HOOK" ]
	insmod "$PC/pagecheck_inject.ko"
	timed run_injections
	check_fingerprints
	check_dedup
	check_subpage_text
	check_enabled
	timed check_no_false_positives
	timed check_lifecycle
	check_count_frees
	kmsg_since_mark /tmp/hook.dmesg
	logged=$?
	ktap_test "dmesg: rate-limited report lines printed" "none" \
		grep -q "BUG: pagecheck:" /tmp/hook.dmesg
	# no bad-page line in a log that lost the subtest's part proves nothing
	[ "$logged" = 0 ] && ! grep -q "Bad page state" /tmp/hook.dmesg
	ktap_status $? "dmesg: no bad-page report from the kernel (every injected page was repaired)" \
		"$(grep -m1 -e 'Bad page state' -e '^pc: ' /tmp/hook.dmesg)"
	timed check_provenance
	timed check_kernel_verdict
	rmmod pagecheck_inject
	unload_pagecheck
	ktap_diag "$HOOK took $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { print b - a }') s"
	ktap_end "$HOOK"
}
