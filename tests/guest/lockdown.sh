# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The signed-module lockdown boot (busybox sh), sourced by suite.sh: the
# kernel booted with lockdown=integrity, the modules signed with the key
# the kernel trusts (tests/pctest/pctest_build.py), and an unsigned copy
# of pagecheck.ko, /pc/pagecheck-unsigned.ko.

INJ_RUN=/sys/module/pagecheck_inject/parameters/run

# lockdown_hooks' TRY for the signed boot: load the signed module with
# HOOK, inject one bad free through the run parameter (debugfs run is
# refused), read the files. Sets state to "works", "refused: ..." or what
# went wrong.
signed_hook() { # HOOK
	if ! load_pagecheck "hook=$1"; then
		state="refused: $(tr '\n' ' ' </tmp/insmod.err)"
		return
	fi
	state=
	grep -q E /sys/module/pagecheck/taint && state="$state tainted E;"
	[ $(($(cat /proc/sys/kernel/tainted) >> 13 & 1)) = 0 ] || state="$state kernel tainted unsigned;"
	echo "mapping task" >"$INJ_RUN" 2>/tmp/run.err || state="$state run: $(cat /tmp/run.err);"
	pfn=$(field pfn "$(cat "$INJ/result")")
	cat "$D/reports.json" >/tmp/signed.json 2>/tmp/read.err || state="$state reports.json unreadable;"
	cat "$D/reports" >/tmp/signed.txt 2>>/tmp/read.err || state="$state reports unreadable;"
	cat "$D/stats" >/tmp/signed.stats 2>>/tmp/read.err || state="$state stats unreadable;"
	n=$(report_count /tmp/signed.json)
	[ "$n" = 1 ] && grep -q "\"pfn\":$pfn," /tmp/signed.json ||
		state="$state $n report(s), pfn $pfn not among them;"
	grep -q "non-NULL mapping" /tmp/signed.txt || state="$state reports: no non-NULL mapping;"
	[ "$(stat_value hook /tmp/signed.stats)" = "$1" ] ||
		state="$state stats: hook $(stat_value hook /tmp/signed.stats);"
	unload_pagecheck || state="$state rmmod: $(cat /tmp/rmmod.err);"
	state=${state:-works}
}

run_signed_lockdown() {
	ktap_suite signed_lockdown
	L=/sys/kernel/security/lockdown
	mkdir -p /sys/kernel/security
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	ktap_test "booted locked down at integrity" "lockdown: $(cat "$L" 2>&1)" \
		grep -q '\[integrity\]' "$L"

	# First, before anything else the kernel logs a Lockdown line for.
	kmsg_mark unsigned
	if [ ! -f "$PC/pagecheck-unsigned.ko" ]; then
		state="no unsigned copy: the modules were not signed"
	elif insmod "$PC/pagecheck-unsigned.ko" 2>/tmp/insmod.err; then
		state=loaded
		unload_pagecheck
	else
		state="refused: $(tr '\n' ' ' </tmp/insmod.err)"
	fi
	why=$(dmesg_since_mark | grep -m1 Lockdown)
	case $state in refused*"Operation not permitted"*) ;; *) false ;; esac &&
		echo "$why" | grep -q "unsigned module loading is restricted"
	ktap_status $? "integrity: the unsigned copy of pagecheck.ko is refused" \
		"$state; dmesg: $why"

	insmod "$PC/pagecheck_inject.ko" 2>/tmp/inj.err ||
		ktap_diag "insmod pagecheck_inject: $(cat /tmp/inj.err)"
	# works: loads untainted, catches a bad free, its files are readable
	lockdown_hooks integrity signed_hook

	# pagecheck's debugfs files are all 0400: its controls are parameters.
	load_pagecheck hook=tracepoint || ktap_diag "insmod pagecheck: $(cat /tmp/insmod.err)"
	modes=$(stat -c '%n %a' "$D"/* | sed 's|.*/||' | tr '\n' ' ')
	{ echo "mapping task" >"$INJ/run"; } 2>/tmp/dbg.err && dbg=accepted || dbg=$(cat /tmp/dbg.err)
	case $dbg in *"Operation not permitted"*) ;; *) false ;; esac &&
		[ "$modes" = "reports 400 reports.json 400 stats 400 " ]
	ktap_status $? "integrity: a writable debugfs file (pagecheck_inject/run) is refused with EPERM; pagecheck has none" \
		"run: $dbg; pagecheck files: $modes"
	ktap_diag "debugfs pagecheck_inject/run under integrity: $(echo "$dbg" | sed 's/.*: can/can/')"

	# Run-time parameter writes are accepted and take effect.
	echo 1 >"$P/clear" && echo 0 >"$P/enabled" && echo "mapping task" >"$INJ_RUN" &&
		off=$(report_count "$D/reports.json") &&
		echo 1 >"$P/enabled" && echo "mapping task" >"$INJ_RUN" &&
		on=$(report_count "$D/reports.json") &&
		echo 1 >"$P/clear" && cleared=$(report_count "$D/reports.json")
	[ "$off" = 0 ] && [ "$on" = 1 ] && [ "$cleared" = 0 ]
	ktap_status $? "integrity: parameter writes take effect: enabled=0 stops reports, enabled=1 resumes, clear=1 empties" \
		"reports: enabled=0 ${off:-?}, enabled=1 ${on:-?}, after clear ${cleared:-?}"
	unload_pagecheck

	echo confidentiality >"$L"
	ktap_test "confidentiality: raised at run time" "lockdown: $(cat "$L")" \
		grep -q '\[confidentiality\]' "$L"
	lockdown_hooks confidentiality signed_hook
	rmmod pagecheck_inject
	ktap_end signed_lockdown
}
