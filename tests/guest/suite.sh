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
#   signed-lockdown   booted with lockdown=integrity, signed modules: each
#           backend, parameters, debugfs, then confidentiality (lockdown.sh)
#
# Sizes: fp= frees under the workload per backend (1200000), cycles=
# load/unload cycles per backend (20), flood= (1000000), unload= cycles
# under fire (100), fuzz= parameter writes (10000), churn= seconds of
# stress-ng for track=1's endurance run (120), endurance= its event
# table (512; two minutes of churn under TCG write 100 times that on
# amd64) and turnover= how many times over the churn must fill it (100),
# switches= times track= goes off and on under load (20); diff= states of
# the random differential against bad_page() (2000; 0 leaves it out),
# diff_seed= replays one;
# track=0, reliability=0 and lockdown=0 leave those steps out.

. /pc/ktap.sh
. /pc/lib.sh
. /pc/hooks.sh
. /pc/reliability.sh
. /pc/lockdown.sh
. /pc/track.sh
. /pc/diff.sh
. /pc/real.sh

HOOKS=tracepoint,ftrace,kprobe
FP_FREES=1200000
CYCLES=20
FLOOD=1000000
UNLOAD_CYCLES=100
FUZZ_ITERATIONS=10000
RELIABILITY=1
LOCKDOWN=1
TRACK=1
CHURN=120
ENDURANCE=512
TURNOVER=100
SWITCHES=20
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
	track=*) TRACK=${arg#track=} ;;
	churn=*) CHURN=${arg#churn=} ;;
	endurance=*) ENDURANCE=${arg#endurance=} ;;
	turnover=*) TURNOVER=${arg#turnover=} ;;
	switches=*) SWITCHES=${arg#switches=} ;;
	diff=*) DIFF_STATES=${arg#diff=} ;;
	diff_seed=*) DIFF_SEED=${arg#diff_seed=} ;;
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
	if [ "${plan:-0}" -gt 0 ] && [ "$n" = "$plan" ] && ! grep -q '^not ok' /tmp/rules.ktap; then
		ktap_ok rules
	else
		ktap_fail rules "$n results for a plan of ${plan:-none}"
	fi
}

# Bad parameters fail insmod and leave nothing behind; bad run-time
# writes are refused and change nothing.
run_params() {
	ktap_suite params
	unload_pagecheck 2>/dev/null
	# refusals mean something only if the same module loads without them
	if load_pagecheck && [ -d "$D" ]; then
		plain=loads
		unload_pagecheck
	else
		plain="does not load: $(cat /tmp/insmod.err)"
	fi
	accepted= left=
	for bad in max_reports=0 max_reports=70000 max_reports=-1 stack_depth=0 \
		   stack_depth=65 enabled=maybe printk=2 clear=0 hook=bogus hook= \
		   count_frees=2; do
		if load_pagecheck "$bad"; then
			accepted="$accepted $bad"
			unload_pagecheck
		fi
		[ ! -e "$D" ] || left="$left $bad"
	done
	[ "$plain" = loads ] && [ -z "$accepted" ]
	ktap_status $? "every bad insmod parameter fails the load" \
		"accepted:$accepted; pagecheck.ko without a parameter $plain"
	[ "$plain" = loads ] && [ -z "$left" ]
	ktap_status $? "a failed load leaves no debugfs directory" \
		"left by:$left; pagecheck.ko without a parameter $plain"
	load_pagecheck
	check_kernel_checks_line
	check_cleared_at_free_line
	changed=
	for kv in enabled=2 stack_depth=17 stack_depth=0 printk=x hash_pointers= \
		  panic_on_report=on2 clear=0; do
		name=${kv%%=*}
		# a write to a parameter that is not there is refused too
		[ -e "$P/$name" ] || changed="$changed missing:$name"
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

# kernel_before MAJOR MINOR: the running kernel is older than MAJOR.MINOR,
# by uname -r (the independent witness of the feature probes)
kernel_before() {
	_v=$(uname -r)
	_major=${_v%%.*} _minor=${_v#*.}
	_minor=${_minor%%[!0-9]*}
	[ "$_major" -lt "$1" ] || { [ "$_major" = "$1" ] && [ "$_minor" -lt "$2" ]; }
}

# What page_pool_rule= can be on this kernel, by version (the witness of
# the PP_SIGNATURE and PP_MAGIC_MASK probes): none before the signature
# (5.14), opt-in before the kernel's own check (6.8), else always on.
expected_page_pool_rule() {
	if kernel_before 5 14; then
		echo none
	elif kernel_before 6 8; then
		echo opt-in
	else
		echo on
	fi
}

# page_pool_rule=: the default and the refusals each kernel gives, and,
# where the rule is opt-in, a page_pool page freed to the allocator is
# reported with it (tracepoint only) and not without it.
run_page_pool_rule() {
	ktap_suite page_pool_rule
	want=$(expected_page_pool_rule)
	unload_pagecheck 2>/dev/null
	load_pagecheck
	got=$(cat "$P/page_pool_rule" 2>/dev/null)
	unload_pagecheck
	kmsg_mark page-pool-rule
	case $want in
	on) default=1 refused=page_pool_rule=0 ;;
	*) default=0 refused=page_pool_rule=1 ;;
	esac
	[ "$want" != opt-in ] || refused="page_pool_rule=1 hook=ftrace"
	ktap_test "page_pool_rule is $default by default (the rule is $want here)" \
		"page_pool_rule: ${got:-no such parameter}" [ "$got" = "$default" ]
	# shellcheck disable=SC2086  # PARAM [PARAM]: split on purpose
	if load_pagecheck $refused; then
		unload_pagecheck
		ktap_fail "$refused is refused (the rule is $want here)" "it loaded"
	else
		kmsg_since_mark /tmp/pp.dmesg
		ktap_test "$refused is refused (the rule is $want here), saying why" \
			"$(grep -m1 page_pool_rule /tmp/pp.dmesg)" \
			grep -Eq 'page_pool_rule(=[01])?: .*(itself|no page_pool signature)|page_pool_rule=1 needs hook=tracepoint' /tmp/pp.dmesg
	fi
	if [ "$want" != opt-in ]; then
		ktap_end page_pool_rule
		return
	fi
	for rule in 1 0; do
		load_pagecheck page_pool_rule=$rule
		insmod "$PC/pagecheck_inject.ko" page_pool_rule=1
		echo "page_pool task" >"$INJ/run"
		res=$(cat "$INJ/result")
		reports_json /tmp/pp.json
		n=$(grep -c "\"pfn\":$(field pfn "$res"),.*page_pool leak" /tmp/pp.json)
		rmmod pagecheck_inject
		unload_pagecheck
		[ "$(field status "$res")" = done ] || n="not run: $res"
		if [ "$rule" = 1 ]; then
			ktap_test "page_pool_rule=1: a page freed with its page_pool signature is reported" \
				"reports of it: $n" [ "$n" = 1 ]
		else
			ktap_test "page_pool_rule=0: the same free is not reported (opt-in)" \
				"reports of it: $n" [ "$n" = 0 ]
		fi
	done
	ktap_end page_pool_rule
}

# What stats' kernel_checks line should say on this boot: deferred before
# 6.4 (the key check_pages_enabled came then), off if booted with
# init_on_alloc=0 and nothing else that turns it on, else at_free.
expected_kernel_checks() {
	case $(uname -r) in
	5.*|6.[0-3].*) echo deferred ;;
	*)
		if grep -qw init_on_alloc=0 /proc/cmdline &&
		   ! grep -Eqw 'init_on_free=1|page_poison=1|check_pages=1|debug_pagealloc=on' /proc/cmdline
		then
			echo off
		else
			echo at_free
		fi ;;
	esac
}

# Lazy munlock (5.18) lets a page reach the free mlocked, and the kernel
# clears PG_mlocked before its check: stats must list it from 5.18 on. The
# version is the independent witness of the feature probes.
check_cleared_at_free_line() {
	got=$(stat_value kernel_clears_at_free)
	v=$(uname -r)
	if kernel_before 5 18; then
		want=no
	else
		want=yes
	fi
	ktap_figure "kernel_clears_at_free" "$got"
	ktap_figure "features" "$(stat_value features)"
	case " $got " in *" mlocked "*) have=yes ;; *) have=no ;; esac
	# no such line would read as "mlocked not listed", right before 5.18
	grep -q '^kernel_clears_at_free:' "$D/stats" && [ "$have" = "$want" ]
	ktap_status $? "stats: kernel_clears_at_free lists mlocked from 5.18 on" \
		"kernel $v, kernel_clears_at_free: ${got:-no such line}; features: $(stat_value features)"
}

check_kernel_checks_line() {
	got=$(sed -n 's/^kernel_checks: //p' "$D/stats")
	want=$(expected_kernel_checks)
	ktap_test "stats: kernel_checks says $want on this boot" "kernel_checks: $got" \
		[ "${got%% *}" = "$want" ]
}

# Booted so the kernel does not check frees: stats says so, and a bad
# free is reported by pagecheck while bad_page() is never called.
run_kernel_checks() {
	ktap_suite kernel_checks
	if ! load_pagecheck hook=tracepoint kernel_verdict=1; then
		ktap_fail "load with kernel_verdict=1" "$(cat /tmp/insmod.err)"
		ktap_end kernel_checks
		return
	fi
	check_kernel_checks_line
	insmod "$PC/pagecheck_inject.ko"
	kmsg_mark kernel-checks
	# the kernel wipes the flags of a page it does not check: harmless
	echo 0 >/sys/module/pagecheck_inject/parameters/restore
	echo "flags_locked task" >"$INJ/run"
	echo 1 >/sys/module/pagecheck_inject/parameters/restore
	res=$(cat "$INJ/result")
	pfn=$(field pfn "$res")
	reports_json /tmp/kc.json
	ktap_test "a bad free the kernel does not check is reported by pagecheck" \
		"$(head -c 300 /tmp/kc.json)" \
		grep -q "\"pfn\":$pfn,.*PAGE_FLAGS_CHECK_AT_FREE" /tmp/kc.json
	# silence about a bad free that never happened, or in a log that lost
	# it, proves nothing
	kmsg_since_mark /tmp/kc.dmesg &&
		[ "$(field status "$res")" = done ] && [ "$(stat_value kernel_verdicts)" = 0 ] &&
		! grep -q 'Bad page state' /tmp/kc.dmesg
	ktap_status $? "the kernel itself did not report it: kernel_verdicts 0, no Bad page state" \
		"injector: $res; kernel_verdicts $(stat_value kernel_verdicts); $(grep -m1 -e 'Bad page state' -e '^pc: ' /tmp/kc.dmesg)"
	rmmod pagecheck_inject
	unload_pagecheck
	ktap_end kernel_checks
}

# With 255 possible CPUs: the default footprint stays within 512 KiB, and
# a bad free in each context is still reported.
run_many_cpus() {
	ktap_suite many_cpus
	possible=$(sed 's/.*-//' /sys/devices/system/cpu/possible)
	possible=$((possible + 1))
	if ! load_pagecheck; then
		ktap_fail "load" "$(cat /tmp/insmod.err)"
		ktap_end many_cpus
		return
	fi
	fp=$(stat_value footprint_bytes)
	ktap_figure "footprint with $possible possible cpus" \
		"$(grep -E '^(store|scratch|counters|footprint)_bytes|^scratch_slots' "$D/stats" | tr '\n' ' ')"
	[ "$possible" -ge 255 ] && [ "$fp" -le 524288 ]
	ktap_status $? "footprint: at most 512 KiB with at least 255 possible CPUs" \
		"$possible possible cpus, footprint_bytes $fp"
	insmod "$PC/pagecheck_inject.ko"
	seen=
	for ctx in task softirq hardirq; do
		echo "mapping $ctx" >"$INJ/run" &&
			grep -q "\"pfn\":$(field pfn "$(cat "$INJ/result")")," "$D/reports.json" &&
			seen="$seen $ctx"
	done
	ktap_test "a bad free in task, softirq and hardirq context is reported" \
		"reported in [$seen ]" [ "$seen" = " task softirq hardirq" ]
	rmmod pagecheck_inject
	unload_pagecheck
	ktap_end many_cpus
}

# panic_on_report=1 after three bad frees: the fourth panics the guest.
# The host checks that the console shows the latest reports as JSON lines
# (pctest_panic.py) against the reports.json printed here just before.
# Load pagecheck with PARAMS and the injector, make three reports and print
# reports.json for the host; TAG starts the line of a failure.
three_reports() { # TAG [PARAMS...]
	tag=$1
	shift
	load_pagecheck "$@" ||
		{ echo "$tag insmod failed: $(cat /tmp/insmod.err)"; return 1; }
	insmod "$PC/pagecheck_inject.ko" || return 1
	for c in mapping mapcount flags_lru; do
		echo "$c task" >"$INJ/run"
	done
	echo "@@BEGIN reports.json"
	cat "$D/reports.json"
	echo "@@END reports.json"
}

run_panic() {
	three_reports PANIC-TEST panic_reports=4 || return 1
	sleep 2		# tee must pass it to the serial port before the panic
	echo 1 >"$P/panic_on_report"
	echo "@@PANIC refcount task"
	echo "refcount task" >"$INJ/run"
	echo "PANIC-TEST the guest is still running: panic_on_report=1 did not panic"
	return 1
}

# For the drgn test (pctest_drgn.py): three reports, reports.json, then
# the host dumps the guest's memory while it waits.
run_drgn_dump() {
	insmod "$PC/qemu_fw_cfg.ko" 2>/tmp/insmod.err ||
		echo "DRGN-TEST insmod qemu_fw_cfg (VMCOREINFO for the dump): $(cat /tmp/insmod.err)"
	three_reports DRGN-TEST || return 1
	echo "@@DUMP-NOW"
	sleep 30	# the host pauses the guest while it dumps it
	rmmod pagecheck_inject
	unload_pagecheck
}

# The kdump round trip, first kernel (booted with crashkernel= and
# crash_kexec_post_notifiers): load the capture kernel, then as run_panic.
# The capture kernel boots this suite in mode capture.
run_kdump() {
	append="$(sed -e 's/crashkernel=[^ ]*//' -e 's/crash_kexec_post_notifiers//' \
		      -e 's/pc\.mode=[^ ]*/pc.mode=capture/' /proc/cmdline) nr_cpus=1 irqpoll reset_devices"
	if ! kexec -s -p /pc/vmlinuz --initrd="/pc/capture.gz" --append="$append" \
		2>/tmp/kexec.err; then
		echo "KDUMP-TEST kexec -s -p failed: $(tr '\n' ' ' </tmp/kexec.err)"
		return 1
	fi
	if [ "$(cat /sys/kernel/kexec_crash_loaded)" != 1 ]; then
		echo "KDUMP-TEST kexec -s -p succeeded but kexec_crash_loaded is not 1"
		return 1
	fi
	echo "@@BEGIN kexec-loaded"
	echo "$append"
	echo "@@END kexec-loaded"
	run_panic
}

# The kdump round trip, capture kernel: save a filtered dump as
# kdump-tools does, then recover the kernel log from the saved file.
run_capture() {
	if [ ! -r /proc/vmcore ]; then
		echo "KDUMP-TEST no /proc/vmcore: this is not a capture kernel"
		return 1
	fi
	if ! makedumpfile -l -d 31 /proc/vmcore /tmp/dump >/tmp/mdf.log 2>&1; then
		echo "KDUMP-TEST makedumpfile -l -d 31 failed: $(tail -n 3 /tmp/mdf.log | tr '\n' ' ')"
		return 1
	fi
	echo "@@BEGIN dump"
	echo "$(($(wc -c </tmp/dump) / 1024)) KiB (makedumpfile -l -d 31) of a $(($(wc -c </proc/vmcore) / 1048576)) MiB vmcore"
	echo "@@END dump"
	if ! makedumpfile --dump-dmesg /tmp/dump /tmp/dmesg.txt >/tmp/mdf.log 2>&1; then
		echo "KDUMP-TEST makedumpfile --dump-dmesg failed: $(tail -n 3 /tmp/mdf.log | tr '\n' ' ')"
		return 1
	fi
	echo "@@BEGIN dmesg"
	echo "$(wc -l </tmp/dmesg.txt) lines recovered from the saved dump"
	echo "@@END dmesg"
	echo "@@BEGIN vmcore-dmesg"
	cat /tmp/dmesg.txt
	echo "@@END vmcore-dmesg"
}

run_check() {
	hooks=$(echo "$HOOKS" | tr ',' ' ')
	ktap_suite pagecheck
	ktap_figure kernel "$(uname -r) ($(sed -n 's/.*Debian \([^ )]*\).*/\1/p' /proc/version)), $(uname -m), $(grep -c ^processor /proc/cpuinfo) cpus"
	setup_memcg
	run_rules
	run_params
	run_page_pool_rule
	online_cpus 2
	for hook in $hooks; do
		run_hook "$hook"
	done
	online_cpus 64
	[ "$TRACK" = 0 ] || run_track
	[ "$TRACK" = 0 ] || run_watch
	[ "$RELIABILITY" = 0 ] || run_reliability
	[ "$DIFF_STATES" = 0 ] || run_diff
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
	run_demo_watch
}

# The extra put, watched (x86-64, arm64): A() allocates, B() takes a reference,
# C() drops two, and the owner's own put is a double free, which
# hook=ftrace sees. The first report makes A's stack a target; the
# second page from it is watched, and its report carries the history.
run_demo_watch() {
	if ! load_pagecheck hook=ftrace track=1 watch=auto; then
		echo "DEMO watch=auto: not on this kernel: $(dmesg | grep -o 'watch=auto: .*' | tail -n 1)"
		return 0
	fi
	insmod "$PC/pagecheck_inject.ko" || return 1
	echo "DEMO watch=auto, hook=ftrace: B() takes a reference, C() drops two, the owner's put is a double free; then again, on a watched page"
	echo "hold_a task" >"$INJ/run" && echo "held_extra_put task" >"$INJ/run"
	echo "hold_a task" >"$INJ/run" && watch_armed_wait && echo "held_extra_put task" >"$INJ/run"
	echo "@@BEGIN watch"
	cat "$D/reports"
	echo "@@END watch"
	rmmod pagecheck_inject
	unload_pagecheck
}

case $mode in
check) run_check ;;
kernel-checks) ktap_suite pagecheck; run_kernel_checks; ktap_end pagecheck ;;
many-cpus) ktap_suite pagecheck; run_many_cpus; ktap_end pagecheck ;;
diff) ktap_suite pagecheck; setup_memcg; run_diff; ktap_end pagecheck ;;
watch) ktap_suite pagecheck; run_watch; ktap_end pagecheck ;;
watch-cost) ktap_suite pagecheck; run_watch_cost; ktap_end pagecheck ;;
signed-lockdown) ktap_suite pagecheck; run_signed_lockdown; ktap_end pagecheck ;;
panic) run_panic ;;
kdump) run_kdump ;;
capture) run_capture ;;
drgn-dump) run_drgn_dump ;;
demo) run_demo ;;
real) run_real ;;
*) echo "usage: suite.sh check|kernel-checks|many-cpus|diff|watch|watch-cost|signed-lockdown|panic|kdump|capture|drgn-dump|demo|real [KEY=VALUE...]" >&2; exit 2 ;;
esac
