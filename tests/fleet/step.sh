#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One step of the fleet test, run by pc-fleet-step (its service) at the
# end of a boot of the fleet box (tests/pctest/pctest_fleet.py). The step
# is pc.fleet= on the kernel command line; this file and the host's files
# are on the payload disk (label pcpayload), mounted at /mnt/payload. KTAP
# goes to /dev/ttyS1, then the box powers off (a crash step ends in
# kdump's reboot instead).
#
#   install   apt-get install the two .debs offline; DKMS builds for the
#             running kernel; the conffiles are inactive; then enabled
#   boot      loaded at boot with modprobe.d's options; bad frees reach
#             the journal and node_exporter
#   upgrade   the kernel upgrade (6.12 from bookworm-backports) builds
#             pagecheck for it
#   upgraded  loaded at boot on 6.12; kdump-tools is ready; with
#             panic_on_report=1, a bad free panics and kdump-tools saves
#   crashed   the saved crash's reports reach the journal and the
#             metrics; purge leaves no module behind

PAYLOAD=/mnt/payload
D=/sys/kernel/debug/pagecheck
P=/sys/module/pagecheck/parameters
INJ=/sys/kernel/debug/pagecheck_inject
MESSAGE_ID=2ccb4da6cbf14dd7a660c7e00be14d9b
OUT=/dev/ttyS1
export DEBIAN_FRONTEND=noninteractive

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1" >&3; }
not_ok() {
	n=$((n + 1)) failed=1
	echo "# $1: $2" | cut -c1-400 >&3
	echo "not ok $n $1" >&3
}
check() { # NAME DETAIL CMD...
	_name=$1 _detail=$2
	shift 2
	if "$@"; then ok "$_name"; else not_ok "$_name" "$_detail"; fi
}
finish() {
	echo "1..$n" >&3
	echo "PAGECHECK-GUEST-DONE rc=$failed" >&3
	sync
	systemctl poweroff
	exit 0
}

exec 3>"$OUT"
echo "KTAP version 1" >&3
step=$(sed -n 's/.*pc\.fleet=\([a-z]*\).*/\1/p' /proc/cmdline)
kver=$(uname -r)
echo "# fleet step $step on $kver" >&3

inject() { # CASE CONTEXT
	echo "$1 $2" >"$INJ/run"
}

# journal_entries FILTER...: the exporter's entries that match, as JSON lines
journal_entries() {
	journalctl -q -o json --no-pager "MESSAGE_ID=$MESSAGE_ID" "$@"
}

# figure NAME TEXT: a measured figure for the record
figure() {
	echo "# figure: $1: $2" >&3
}

# dkms_build_time KVER: from DKMS's make.log, its start to its last write
dkms_build_time() {
	_log=$(ls /var/lib/dkms/pagecheck/*/"$1"/*/log/make.log 2>/dev/null | head -n 1)
	[ -n "$_log" ] || return 0
	_start=$(date -d "$(sed -n 2p "$_log")" +%s 2>/dev/null) || return 0
	figure "DKMS build for $1" "$(($(stat -c %Y "$_log") - _start)) s"
}

# sample: stdin for the record, as KTAP comments (docs/check-fleet.md)
sample() {
	sed 's/^/# sample: /' >&3
}

# journal_fields: JSON entries as FIELD=value lines, journald's own
# addresses (__CURSOR, ...) left out
journal_fields() {
	jq -r 'to_entries[] | select(.key | startswith("__") | not) | "\(.key)=\(.value)"'
}

# export_pass: one pass of the exporter as its unit runs it
export_pass() {
	systemctl start pagecheck-exporter.service
}

loaded_at_boot() {
	# nothing else loads pagecheck: loaded before this step, with
	# systemd-modules-load done, it was loaded at boot
	check "pagecheck was loaded at boot by systemd-modules-load on $kver" \
		"$(systemctl show -p ActiveState -p Result systemd-modules-load | tr '\n' ' ')" \
		sh -c "[ -d /sys/module/pagecheck ] && [ \"\$(systemctl show -p Result --value systemd-modules-load)\" = success ]"
	check "modprobe.d's options took effect (max_reports=4096 count_frees=1)" \
		"max_reports=$(cat $P/max_reports 2>/dev/null) count_frees=$(cat $P/count_frees 2>/dev/null)" \
		sh -c "[ \"\$(cat $P/max_reports)\" = 4096 ] && [ \"\$(cat $P/count_frees)\" = 1 ]"
}

case $step in
install)
	# the box has no network device: apt can only install what is here
	t0=$(date +%s)
	apt-get install -y $PAYLOAD/debs/*.deb >/tmp/apt.log 2>&1
	check "apt-get install the .debs, offline" "$(tail -n 2 /tmp/apt.log | tr '\n' ' ')" \
		[ $? = 0 ]
	figure "apt-get install of the .debs" "$(($(date +%s) - t0)) s"
	dkms_build_time "$kver"
	cat /tmp/apt.log >/dev/console
	dkms status pagecheck >/tmp/dkms.txt 2>&1
	check "DKMS built and installed pagecheck for $kver" "$(tr '\n' ' ' </tmp/dkms.txt)" \
		sh -c "grep -q \"$kver.*installed\" /tmp/dkms.txt && modinfo -k $kver pagecheck >/dev/null"
	conffiles=$(dpkg-query -W -f '${Conffiles}' pagecheck-dkms)
	check "the modules-load.d and modprobe.d files are conffiles" "$conffiles" \
		sh -c "echo \"$conffiles\" | grep -q /etc/modules-load.d/pagecheck.conf && echo \"$conffiles\" | grep -q /etc/modprobe.d/pagecheck.conf"
	check "inactive by default: nothing uncommented, nothing loaded" \
		"$(grep -v '^#' /etc/modules-load.d/pagecheck.conf /etc/modprobe.d/pagecheck.conf | grep .)" \
		sh -c "[ -f /etc/modules-load.d/pagecheck.conf ] && [ -f /etc/modprobe.d/pagecheck.conf ] && ! grep -qv -e '^#' -e '^\$' /etc/modules-load.d/pagecheck.conf /etc/modprobe.d/pagecheck.conf && [ ! -d /sys/module/pagecheck ]"
	# what the files themselves tell an operator to do
	sed -i 's/^#pagecheck$/pagecheck/' /etc/modules-load.d/pagecheck.conf
	sed -i 's/^#options /options /' /etc/modprobe.d/pagecheck.conf
	check "enabled as the files say" "$(grep -hv '^#' /etc/modules-load.d/pagecheck.conf /etc/modprobe.d/pagecheck.conf)" \
		sh -c "grep -qx pagecheck /etc/modules-load.d/pagecheck.conf && grep -q '^options pagecheck max_reports=4096 .*count_frees=1' /etc/modprobe.d/pagecheck.conf"
	;;
boot)
	loaded_at_boot
	figure "the step started on $kver" "$(cut -d ' ' -f 1 /proc/uptime) s after the kernel"
	check "the exporter's timer is enabled and waiting" \
		"$(systemctl is-enabled pagecheck-exporter.timer) $(systemctl is-active pagecheck-exporter.timer)" \
		sh -c "systemctl -q is-enabled pagecheck-exporter.timer && systemctl -q is-active pagecheck-exporter.timer"
	# the passes below are the test's own: the count of entries is exact.
	# A pass the timer started must end first, or the next start joins it.
	systemctl stop pagecheck-exporter.timer
	while [ "$(systemctl show -p ActiveState --value pagecheck-exporter.service)" = activating ]; do
		sleep 1
	done
	insmod "$PAYLOAD/$kver/pagecheck_inject.ko"
	inject mapping task
	inject mapping task
	inject refcount task
	export_pass
	# each report as its journal entry must carry it
	jq -c '{id, fingerprint, rules: (.reasons | join(", ")), pfn, count, caller}' \
		"$D/reports.json" | sort >/tmp/want
	journal_entries | jq -c '{id: (.PAGECHECK_REPORT_ID | tonumber),
		fingerprint: .PAGECHECK_FINGERPRINT, rules: .PAGECHECK_RULES,
		pfn: (.PAGECHECK_PFN | tonumber), count: (.PAGECHECK_COUNT | tonumber),
		caller: .PAGECHECK_CALLER}' | sort >/tmp/got
	check "journald: every report reaches the journal, one entry each, with the report's fields" \
		"want $(wc -l </tmp/want), got $(wc -l </tmp/got): $(diff /tmp/want /tmp/got | grep '^[<>]' | tr '\n' ' ')" \
		sh -c '[ -s /tmp/want ] && [ "$(wc -l </tmp/want)" = 2 ] && cmp -s /tmp/want /tmp/got'
	fp=$(jq -r 'select(.reasons == ["non-NULL mapping"]) | .fingerprint' "$D/reports.json")
	got=$(journal_entries "PAGECHECK_FINGERPRINT=$fp" | jq -r '"\(.PAGECHECK_COUNT) \(.PAGECHECK_RULES) \(.PAGECHECK_CALLER)"')
	check "journald: journalctl PAGECHECK_FINGERPRINT= finds the mapping report" "[$got]" \
		[ "$got" = "2 non-NULL mapping pgc_inject_bad_free [pagecheck_inject]" ]
	journal_entries "PAGECHECK_FINGERPRINT=$fp" | journal_fields | sample
	curl -s http://localhost:9100/metrics | grep '^pagecheck_' >/tmp/metrics
	cat "$D/stats" >/tmp/stats
	sample </tmp/metrics
	stat_of() { sed -n "s/^$1: //p" /tmp/stats; }
	metric_of() { sed -n "s/^$1 //p" /tmp/metrics; }
	check "Prometheus: violations and drops equal stats (3, 0)" \
		"metrics $(metric_of pagecheck_violations_total)/$(metric_of pagecheck_dropped_total), stats $(stat_of violations)/$(stat_of dropped)" \
		sh -c "[ '$(metric_of pagecheck_violations_total)' = 3 ] && [ '$(stat_of violations)' = 3 ] && [ '$(metric_of pagecheck_dropped_total)' = '$(stat_of dropped)' ]"
	audited=$(metric_of pagecheck_frees_audited_total)
	check "Prometheus: frees audited, at most stats' count a moment later" \
		"metric [$audited], stats $(stat_of frees_audited)" \
		sh -c "[ -n '$audited' ] && [ '$audited' -gt 0 ] && [ '$audited' -le '$(stat_of frees_audited)' ]"
	check "Prometheus: kernel_checks as an info metric" "$(grep kernel_checks /tmp/metrics)" \
		grep -qxF "pagecheck_kernel_checks_info{kernel_checks=\"$(stat_of kernel_checks)\"} 1" /tmp/metrics
	# node_exporter sorts the labels
	check "Prometheus: each report's count by fingerprint and rule" \
		"$(grep reports_total /tmp/metrics | tr '\n' ' ')" \
		sh -c "grep -qxF 'pagecheck_reports_total{fingerprint=\"$fp\",rules=\"non-NULL mapping\",source=\"live\"} 2' /tmp/metrics && [ \$(grep -c '^pagecheck_reports_total{.*source=\"live\"}' /tmp/metrics) = 2 ]"
	check "Prometheus: violations by rule equal stats" \
		"$(grep rule_violations /tmp/metrics | tr '\n' ' ')" \
		sh -c "grep -qxF 'pagecheck_rule_violations_total{rule=\"non-NULL mapping\"} $(stat_of 'rule: non-NULL mapping')' /tmp/metrics && grep -qxF 'pagecheck_rule_violations_total{rule=\"nonzero _refcount\"} $(stat_of 'rule: nonzero _refcount')' /tmp/metrics"
	owner=$(stat -c %U /var/lib/pagecheck-exporter/state.json)
	caps=$(systemctl show -p CapabilityBoundingSet --value pagecheck-exporter.service)
	check "the exporter ran as its own user, with CAP_DAC_READ_SEARCH alone" "owner $owner, capabilities $caps" \
		[ "$owner $caps" = "pagecheck-exporter cap_dac_read_search" ]
	export_pass
	again=$(journal_entries | jq -s 'length')
	check "a second pass writes nothing new (its cursor)" "$again entries" [ "$again" = 2 ]
	inject mapping task
	export_pass
	grown=$(journal_entries "PAGECHECK_FINGERPRINT=$fp" "PAGECHECK_COUNT=3" | jq -r .PAGECHECK_PREVIOUS_COUNT)
	check "a count that grew is one new entry" "previous [$grown]" [ "$grown" = 2 ]
	echo 1 >"$P/clear"
	inject mapping task
	export_pass
	after=$(journal_entries "PAGECHECK_FINGERPRINT=$fp" "PAGECHECK_COUNT=1" | jq -s 'length')
	check "after a clear, a new report is a new entry" "$after entries" [ "$after" = 1 ]
	rmmod pagecheck_inject
	;;
upgrade)
	t0=$(date +%s)
	check "the kernel upgrade installs, offline" "$(tail -n 3 /tmp/upgrade.log 2>/dev/null)" \
		sh -c "apt-get install -y /var/local/pagecheck-fleet/upgrade/*.deb >/tmp/upgrade.log 2>&1"
	figure "apt-get install of the 6.12 kernel and headers" "$(($(date +%s) - t0)) s"
	new=$(ls /lib/modules | grep '^6\.12' | head -n 1)
	dkms_build_time "$new"
	check "DKMS's hook built pagecheck for the new kernel $new" "$(dkms status pagecheck 2>&1)" \
		sh -c "[ -n \"$new\" ] && ls /lib/modules/$new/updates/dkms/pagecheck.ko* >/dev/null"
	check "DKMS has pagecheck installed for both kernels" "$(dkms status pagecheck 2>&1 | tr '\n' ' ')" \
		sh -c "[ \$(dkms status pagecheck | grep -c ': installed') = 2 ]"
	;;
upgraded)
	loaded_at_boot
	figure "the step started on $kver" "$(cut -d ' ' -f 1 /proc/uptime) s after the kernel"
	check "the box runs the upgraded kernel" "$kver" sh -c "case $kver in 6.12*) ;; *) false ;; esac"
	check "kdump-tools is ready" "$(kdump-config status 2>&1 | tail -n 1)" \
		sh -c "kdump-config status | grep -q 'ready to kdump'"
	insmod "$PAYLOAD/$kver/pagecheck_inject.ko"
	echo 1 >"$P/panic_on_report"
	echo "# crashing on purpose: panic_on_report=1, kdump-tools saves the dump" >&3
	echo "1..$n" >&3
	sync
	inject mapping task
	not_ok "panic_on_report=1 panicked on the bad free" "the box is still up"
	finish
	;;
crashed)
	dmesg_file=$(ls /var/crash/*/dmesg.* 2>/dev/null | head -n 1)
	check "kdump-tools saved the crash's dmesg" "none in /var/crash" [ -n "$dmesg_file" ]
	check "the saved dmesg holds pagecheck's report" "$dmesg_file" grep -q 'pagecheck: json: ' "$dmesg_file"
	export_pass
	stamp=$(basename "$(dirname "$dmesg_file")")
	crash=$(journal_entries PAGECHECK_SOURCE=crash | jq -r '"\(.PAGECHECK_RULES) \(.PAGECHECK_CRASH) \(.PAGECHECK_CALLER)"')
	check "journald: the crash's report, from kdump's dmesg, marked with its crash" "[$crash]" \
		[ "$crash" = "non-NULL mapping $stamp pgc_inject_bad_free [pagecheck_inject]" ]
	journal_entries PAGECHECK_SOURCE=crash | journal_fields | sample
	curl -s http://localhost:9100/metrics | grep '^pagecheck_' >/tmp/metrics
	sample </tmp/metrics
	check "Prometheus: one crash dump with reports" "$(grep crash_dumps /tmp/metrics | tr '\n' ' ')" \
		grep -qxF 'pagecheck_crash_dumps_total{with_reports="yes"} 1' /tmp/metrics
	check "Prometheus: the crash's report by fingerprint and rule, source crash" \
		"$(grep 'source="crash"' /tmp/metrics)" \
		sh -c "grep -q '^pagecheck_reports_total{fingerprint=\"[0-9a-f]*\",rules=\"non-NULL mapping\",source=\"crash\"} 1\$' /tmp/metrics"
	export_pass
	once=$(journal_entries PAGECHECK_SOURCE=crash | jq -s 'length')
	check "a crash is exported once" "$once entries" [ "$once" = 1 ]
	rmmod pagecheck 2>/dev/null
	check "apt-get purge pagecheck-dkms" "$(tail -n 3 /tmp/purge.log)" \
		sh -c "apt-get purge -y pagecheck-dkms >/tmp/purge.log 2>&1"
	left=$(ls /lib/modules/*/updates/dkms/pagecheck.ko* 2>/dev/null)
	check "the purge removed every built module" "$left" [ -z "$left" ]
	;;
*)
	not_ok "a known step" "pc.fleet=$step"
	;;
esac
finish
