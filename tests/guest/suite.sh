#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest test suite (busybox sh), run by the guest's init as
#   /pc/suite.sh MODE [KEY=VALUE...]
# It prints KTAP; the host driver (tests/pctest) parses it.
#
#   check   the rules' KTAP tests, bad parameters, then every backend in
#           hooks= (default tracepoint,ftrace,kprobe), then reliability
#           and lockdown raised at run time (last: it cannot be undone)
#   demo    one bad free of each kind, then the reports
#
# Sizes: fp= frees under the workload per backend (1200000), cycles=
# load/unload cycles per backend (20), flood= (1000000), unload= cycles
# under fire (200), fuzz= parameter writes (10000); reliability=0 and
# lockdown=0 leave those steps out.

. /pc/ktap.sh
. /pc/lib.sh
. /pc/hooks.sh
. /pc/reliability.sh

HOOKS=tracepoint,ftrace,kprobe
FP_FREES=1200000
CYCLES=20
FLOOD=1000000
UNLOAD_CYCLES=200
FUZZ_ITERATIONS=10000
RELIABILITY=1
LOCKDOWN=1
mode=$1
shift
for arg in "$@"; do
	case $arg in
	hooks=*) HOOKS=${arg#hooks=} ;;
	fp=*) FP_FREES=${arg#fp=} ;;
	cycles=*) CYCLES=${arg#cycles=} ;;
	flood=*) FLOOD=${arg#flood=} ;;
	unload=*) UNLOAD_CYCLES=${arg#unload=} ;;
	fuzz=*) FUZZ_ITERATIONS=${arg#fuzz=} ;;
	reliability=*) RELIABILITY=${arg#reliability=} ;;
	lockdown=*) LOCKDOWN=${arg#lockdown=} ;;
	*) echo "suite.sh: unknown argument $arg" >&2; exit 2 ;;
	esac
done

# The module's own KTAP, from the kernel log, as one subtest.
run_rules() {
	kmsg_mark rules
	if ! insmod "$PC/pagecheck_rules_test.ko" 2>/tmp/insmod.err; then
		ktap_fail rules "insmod pagecheck_rules_test: $(cat /tmp/insmod.err)"
		return
	fi
	rmmod pagecheck_rules_test
	dmesg_since_mark | sed -n 's/^\[[^]]*\] //p' |
		sed -n '/^KTAP version 1/,/^# pagecheck_rules: pass/p' >/tmp/rules.ktap
	sed "s/^/$KTAP_PAD  /" /tmp/rules.ktap
	plan=$(sed -n 's/^1\.\.//p' /tmp/rules.ktap)
	n=$(grep -Ec '^(ok|not ok) ' /tmp/rules.ktap)
	if [ -n "$plan" ] && [ "$n" = "$plan" ] && ! grep -q '^not ok' /tmp/rules.ktap; then
		ktap_ok rules
	else
		ktap_fail rules "$n results for a plan of ${plan:-none}"
	fi
}

# Bad parameters fail insmod and leave nothing behind; bad run-time
# writes are refused and change nothing.
run_params() {
	ktap_suite params 4
	unload_pagecheck 2>/dev/null
	accepted= left=
	for bad in max_reports=0 max_reports=70000 max_reports=-1 stack_depth=0 \
		   stack_depth=65 enabled=maybe printk=2 clear=0 hook=bogus hook=; do
		if load_pagecheck "$bad"; then
			accepted="$accepted $bad"
			unload_pagecheck
		fi
		[ ! -e "$D" ] || left="$left $bad"
	done
	ktap_test "every bad insmod parameter fails the load" "accepted:$accepted" \
		[ -z "$accepted" ]
	ktap_test "a failed load leaves no debugfs directory" "left by:$left" [ -z "$left" ]
	load_pagecheck
	changed=
	for kv in enabled=2 stack_depth=17 stack_depth=0 printk=x hash_pointers= \
		  panic_on_report=on2 clear=0; do
		name=${kv%%=*}
		before=$(cat "$P/$name" 2>/dev/null)
		if echo "${kv#*=}" >"$P/$name" 2>/dev/null; then
			changed="$changed accepted:$kv"
		fi
		[ "$before" = "$(cat "$P/$name" 2>/dev/null)" ] || changed="$changed changed:$kv"
	done
	ktap_test "bad run-time writes are refused and change nothing" "$changed" \
		[ -z "$changed" ]
	ktap_test "the refusal says what is expected" "$(dmesg | grep -m1 max_reports)" \
		sh -c "dmesg | grep -q \"max_reports: expected a decimal integer from 1 to 65536, got '0'\""
	unload_pagecheck
	ktap_end params
}

run_check() {
	hooks=$(echo "$HOOKS" | tr ',' ' ')
	set -- $hooks
	plan=$((2 + $# + RELIABILITY + LOCKDOWN))
	ktap_suite pagecheck "$plan"
	ktap_figure kernel "$(uname -r) ($(sed -n 's/.*Debian \([^ )]*\).*/\1/p' /proc/version)), $(uname -m), $(grep -c ^processor /proc/cpuinfo) cpus"
	setup_memcg
	run_rules
	run_params
	online_cpus 2
	for hook in $hooks; do
		run_hook "$hook"
	done
	online_cpus 64
	[ "$RELIABILITY" = 0 ] || run_reliability
	[ "$LOCKDOWN" = 0 ] || run_lockdown
	ktap_end pagecheck
}

# One deliberate bad free of each kind, then what pagecheck made of them.
run_demo() {
	load_pagecheck track=1 ||
		{ echo "DEMO insmod pagecheck failed: $(cat /tmp/insmod.err)"; return 1; }
	insmod "$PC/pagecheck_inject.ko" || return 1
	setup_memcg
	mkdir -p /tmp/pc-owner
	mount -t tmpfs pc-owner /tmp/pc-owner && echo data >/tmp/pc-owner/file
	echo "DEMO kernel $(uname -r): freeing pages in bad states on purpose (pagecheck_inject), with track=1"
	for c in "owner_file task" "refcount task" "flags_locked task" \
		 "owner_memcg task" "page_pool task" "buddy task" "multi task" \
		 "tail_mapping task" "deferred_list task" "tail_not_tail softirq" \
		 "mapcount hardirq"; do
		in_memcg sh -c "echo '$c' >$INJ/run" 2>/dev/null
		res=$(cat "$INJ/result")
		if [ "$(field status "$res")" = skipped ]; then
			echo "DEMO skipped $c: $(field why "$res")"
		else
			echo "DEMO freed one ${c%% *} page from ${c#* } context (order $(field order "$res")): expect $(field expect "$res")"
		fi
	done
	echo "@@BEGIN reports"
	cat "$D/reports"
	echo "@@END reports"
	echo "@@BEGIN stats"
	cat "$D/stats"
	echo "@@END stats"
	rmmod pagecheck_inject
	unload_pagecheck
}

case $mode in
check) run_check ;;
demo) run_demo ;;
*) echo "usage: suite.sh check|demo [KEY=VALUE...]" >&2; exit 2 ;;
esac
