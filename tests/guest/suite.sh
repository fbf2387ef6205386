#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The in-guest test suite (busybox sh). It only collects evidence on stdout,
# framed as "@@BEGIN name" ... "@@END name" and "@@KEY value" lines; the host
# (tests/judge.py) decides what passed.
#
#   suite.sh check   rules KTAP, injector cases, no false positives, lifecycle
#   suite.sh demo    one bad free of each kind, then the reports
#   suite.sh reliability|lockdown   see reliability.sh

PC=/pc
D=/sys/kernel/debug/pagecheck
P=/sys/module/pagecheck/parameters
INJ=/sys/kernel/debug/pagecheck_inject
FP_FREES=${FP_FREES:-1200000}
CYCLES=${CYCLES:-20}
HOOK=auto
for arg in "$@"; do
	case $arg in
	hook=*) HOOK=${arg#hook=} ;;
	fp=*) FP_FREES=${arg#fp=} ;;
	flood=*) FLOOD=${arg#flood=} ;;
	cycles=*) UNLOAD_CYCLES=${arg#cycles=} ;;
	fuzz=*) FUZZ_ITERATIONS=${arg#fuzz=} ;;
	esac
done

section() {
	echo "@@BEGIN $1"
	cat "$2" 2>&1
	echo "@@END $1"
}

stat_value() {
	sed -n "s/^$1: //p" "$D/stats"
}

load_pagecheck() {
	if ! insmod "$PC/pagecheck.ko" hook="$HOOK" "$@"; then
		echo "@@ERROR insmod pagecheck.ko hook=$HOOK $* failed"
		return 1
	fi
}

run_ktap() {
	insmod "$PC/pagecheck_rules_test.ko" || echo "@@ERROR insmod rules test failed"
	rmmod pagecheck_rules_test 2>/dev/null
	dmesg | sed -n 's/^\[[^]]*\] //p' |
		sed -n '/^KTAP version 1/,/^# pagecheck_rules: pass/p' >/tmp/ktap
	section ktap /tmp/ktap
}

# Every case in every context; the store is cleared before each one so that
# its report stands alone.
run_injections() {
	for ctx in task softirq hardirq; do
		for c in $(grep -v only:verdict "$INJ/cases" | cut -d' ' -f1); do
			echo 1 >"$P/clear"
			echo "$c $ctx" >"$INJ/run" || echo "@@ERROR run $c $ctx failed"
			echo "@@INJECT $(cat "$INJ/result")"
			section "reports.json $c $ctx" "$D/reports.json"
		done
	done
	# The same bad free three times from the same stack is one report.
	echo 1 >"$P/clear"
	for i in 1 2 3; do
		echo "mapping task" >"$INJ/run"
		echo "@@DEDUP $(cat "$INJ/result")"
	done
	section dedup.json "$D/reports.json"
	section dedup.stats "$D/stats"
	section reports.txt "$D/reports"
	echo 0 >"$P/hash_pointers"
	section pointers.raw "$D/reports.json"
	echo 1 >"$P/hash_pointers"
	section pointers.hashed "$D/reports.json"
}

# Bad parameters fail insmod and leave nothing behind; bad run-time writes
# are refused and change nothing; enabled=0 stops the audit.
run_params() {
	rmmod pagecheck
	for bad in max_reports=0 max_reports=70000 max_reports=-1 stack_depth=0 \
		   stack_depth=65 enabled=maybe printk=2 clear=0 hook=bogus hook=; do
		if insmod "$PC/pagecheck.ko" "$bad" 2>/dev/null; then
			echo "@@PARAM accepted-load $bad"
			rmmod pagecheck
		else
			echo "@@PARAM refused-load $bad"
		fi
		[ -e "$D" ] && echo "@@PARAM leftover-debugfs $bad"
	done
	load_pagecheck
	for kv in enabled=2 stack_depth=17 stack_depth=0 printk=x hash_pointers= \
		  panic_on_report=on2 clear=0; do
		name=${kv%%=*}
		before=$(cat "$P/$name" 2>/dev/null)
		if echo "${kv#*=}" >"$P/$name" 2>/dev/null; then
			echo "@@PARAM accepted-runtime $kv"
		else
			echo "@@PARAM refused-runtime $kv"
		fi
		[ "$before" = "$(cat "$P/$name" 2>/dev/null)" ] ||
			echo "@@PARAM changed $kv"
	done
	echo 0 >"$P/enabled"
	a=$(stat_value frees_audited)
	"$PC/bin/pc-workload" -t 2 -d /tmp >/dev/null 2>&1
	b=$(stat_value frees_audited)
	echo 1 >"$P/enabled"
	"$PC/bin/pc-workload" -t 2 -d /tmp >/dev/null 2>&1
	c=$(stat_value frees_audited)
	echo "@@ENABLED off:$((b - a)) on:$((c - b))"
}

setup_memcg() {
	# Kernel stacks and page tables of a workload in a child memcg are
	# kmem-charged, which exercises the kmem uncharge normalisation.
	mkdir -p /sys/fs/cgroup
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	mkdir -p /sys/fs/cgroup/workload
}

in_memcg() {
	sh -c 'echo $$ >/sys/fs/cgroup/workload/cgroup.procs 2>/dev/null; exec "$@"' sh "$@"
}

run_no_false_positives() {
	echo 1 >"$P/clear"
	start=$(stat_value frees_audited)
	echo "@@FP_START $start"
	rounds=0
	while [ $(($(stat_value frees_audited) - start)) -lt "$FP_FREES" ]; do
		in_memcg "$PC/bin/pc-workload" -t 10 -d /tmp >/tmp/wl.out 2>&1
		rounds=$((rounds + 1))
		tail -n 1 /tmp/wl.out
		[ $rounds -ge 60 ] && break
	done
	echo "@@FP_ROUNDS $rounds"
	echo "@@FP_END $(stat_value frees_audited)"
	section fp.stats "$D/stats"
	section fp.json "$D/reports.json"
}

run_lifecycle() {
	in_memcg "$PC/bin/pc-workload" -t 900 -d /tmp >/tmp/wl-bg.out 2>&1 &
	wl=$!
	ok=0
	i=0
	while [ $i -lt "$CYCLES" ]; do
		i=$((i + 1))
		if rmmod pagecheck && load_pagecheck; then
			cat "$D/stats" >/dev/null && cat "$D/reports.json" >/dev/null &&
				ok=$((ok + 1))
		fi
		sleep 0.2
	done
	kill "$wl" 2>/dev/null
	wait "$wl" 2>/dev/null
	echo "@@CYCLES $ok/$CYCLES"
	section lifecycle.stats "$D/stats"
	section lifecycle.json "$D/reports.json"
}

run_check() {
	echo "@@KERNEL $(uname -r)"
	run_ktap
	load_pagecheck || return 1
	insmod "$PC/pagecheck_inject.ko" || echo "@@ERROR insmod injector failed"
	section stats.initial "$D/stats"
	run_injections
	rmmod pagecheck_inject
	run_params
	setup_memcg
	run_no_false_positives
	run_lifecycle
	dmesg >/tmp/dmesg
	section dmesg /tmp/dmesg
	run_kernel_verdict
}

# Last, because the kernel's own check rejects and leaks the page, taints
# the kernel and prints its own report.
run_kernel_verdict() {
	rmmod pagecheck || echo "@@ERROR rmmod pagecheck failed"
	load_pagecheck kernel_verdict=1 || return
	insmod "$PC/pagecheck_inject.ko" || echo "@@ERROR insmod injector failed"
	echo "kernel_mapping task" >"$INJ/run" || echo "@@ERROR run kernel_mapping failed"
	echo "@@VERDICT $(cat "$INJ/result")"
	section verdict.json "$D/reports.json"
	section verdict.stats "$D/stats"
	rmmod pagecheck_inject
	rmmod pagecheck || echo "@@ERROR rmmod pagecheck failed"
	dmesg | grep -A12 'Bad page state' >/tmp/kdmesg
	section verdict.dmesg /tmp/kdmesg
}

run_demo() {
	echo "@@KERNEL $(uname -r)"
	load_pagecheck || return 1
	insmod "$PC/pagecheck_inject.ko" || return 1
	for c in mapping refcount flags_locked memcg page_pool buddy multi \
		 tail_mapping deferred_list; do
		echo "$c task" >"$INJ/run"
	done
	echo "tail_not_tail softirq" >"$INJ/run"
	echo "mapcount hardirq" >"$INJ/run"
	section reports "$D/reports"
	section stats "$D/stats"
	rmmod pagecheck_inject
	rmmod pagecheck
}

# shellcheck source=tests/guest/reliability.sh
[ ! -f "$PC/reliability.sh" ] || . "$PC/reliability.sh"

mode=$1
shift
case "$mode" in
check) run_check ;;
demo) run_demo ;;
reliability) run_reliability ;;
lockdown) run_lockdown ;;
*) echo "usage: suite.sh check|demo|reliability|lockdown" >&2; exit 2 ;;
esac
