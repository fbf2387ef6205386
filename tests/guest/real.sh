# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Real upstream bad-free bugs, driven through the kernel's own code by
# /pc/bin/pc-real (tests/workload/pc-real.c), sourced by suite.sh. No
# injector: pagecheck runs as a fleet would, loaded once with track=1 and
# kernel_verdict=1, and the kernel's bad_page() judges the same pages.
# Kernel modules a case needs are in /pc/kmod-real (pctest_real.py).

# real_load_kmod NAME: load a Debian module shipped for the real cases
real_load_kmod() {
	[ -e "/sys/module/$1" ] || insmod "/pc/kmod-real/$1.ko" 2>/tmp/insmod.err
}

# real_show NAME: the reports as the user reads them, for docs/real-bugs.md
real_show() {
	echo "@@BEGIN real $1 reports"
	cat "$D/reports"
	echo "@@END real $1 reports"
}

# real_case NAME RULE CALLERS ALLOC CMD...: run CMD, then judge what
# pagecheck and the kernel's bad_page() made of it: a report with RULE
# whose caller is one of CALLERS ("f|g": the buggy function, or one the
# compiler inlined it into), whose allocation stack (track=1) has ALLOC,
# with the kernel's verdict beside it, and its fingerprint.
real_case() {
	_name=$1 _rule=$2 _callers=$3 _alloc=$4
	shift 4
	ktap_suite "$_name"
	# one load for every case: the system page_pool keeps its pages
	# from one case to the next, and track=1 saw them allocated
	echo 1 >"$P/clear"
	kmsg_mark "$_name"
	t0=$(uptime_s)
	"$@" >/tmp/real.out 2>&1
	ktap_status $? "the reproducer ran: $*" "$(tail -n 3 /tmp/real.out | tr '\n' ' ')"
	ktap_figure "$_name reproducer seconds" \
		"$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { print b - a }')"
	diag_file /tmp/real.out 5
	reports_json /tmp/real.json
	n=$(report_count /tmp/real.json reasons="$_rule")
	[ "${n:-0}" -ge 1 ]
	ktap_status $? "pagecheck reported \"$_rule\"" \
		"$n such reports; reasons seen: $(report_get /tmp/real.json reasons | sort -u | tr '\n' ';')"
	caller=$(report_get /tmp/real.json caller reasons="$_rule" | head -n 1)
	# "name [module]", or a clone: name.isra.0
	fn=${caller%% *}
	fn=${fn%%.*}
	case "|$_callers|" in *"|${fn:-?}|"*) true ;; *) false ;; esac
	ktap_status $? "the report is named after the buggy code: $_callers" \
		"caller: $caller; stack: $(report_get /tmp/real.json stack reasons="$_rule" | head -n 6 | tr '\n' ' ')"
	report_get /tmp/real.json alloc.stack reasons="$_rule" >/tmp/real.alloc
	has_frame "$_alloc" </tmp/real.alloc
	ktap_status $? "track=1: the page was allocated in $_alloc" \
		"allocation stack: $(head -n 10 /tmp/real.alloc | tr '\n' ' ')"
	first=$(head -n 1 /tmp/real.alloc)
	case $first in
	''|0x*|*kprobe*|*kretprobe*|*ftrace*|*trampoline*) false ;;
	esac
	ktap_status $? "track=1: the allocation stack starts at the allocator, hook frames trimmed" \
		"first frame: ${first:-none}"
	kreason=$(report_get /tmp/real.json kernel_reason reasons="$_rule" | grep -vx null |
		sort -u | tr '\n' ';')
	bad=$(dmesg_since_mark | grep -c "BUG: Bad page state")
	count=$(report_get /tmp/real.json count reasons="$_rule" | awk '{ s += $1 } END { print s + 0 }')
	checks=$(stat_value kernel_checks)
	ktap_figure "$_name kernel checks" "$checks"
	case $checks in
	at_free*)
		[ "$kreason" = "$_rule;" ] && [ "$bad" = "$count" ]
		ktap_status $? "the kernel's bad_page() rejected the same $count pages: $_rule" \
			"kernel verdicts: ${kreason:-none}; bad_page calls $bad, pagecheck's count $count" ;;
	off*)
		[ -z "$kreason" ] && [ "$bad" = 0 ] && [ "$count" -ge 1 ]
		ktap_status $? "the kernel checks no free here: pagecheck alone saw the $count pages" \
			"kernel verdicts: ${kreason:-none}; bad_page calls $bad, pagecheck's count $count" ;;
	esac
	ktap_figure "$_name caller" "$caller"
	ktap_figure "$_name count" "$count"
	ktap_figure "$_name kernel verdict" "${kreason:-none}"
	ktap_figure "$_name kernel bad_page calls" "$bad"
	for fp in $(report_get /tmp/real.json fingerprint reasons="$_rule" | sort -u); do
		ktap_figure "$_name fingerprint" "$fp"
	done
	real_show "$_name"
	ktap_end "$_name"
}

# generic XDP with frags shrinks a page_pool fragment back to the
# allocator (skb_pp_cow_data + bpf_xdp_adjust_tail, e6d5dbdd20aa)
real_xdp_shrink() {
	if ! real_load_kmod tun; then
		ktap_suite xdp_shrink
		ktap_fail "load tun" "$(cat /tmp/insmod.err)"
		ktap_end xdp_shrink
		return
	fi
	real_case xdp_shrink "page_pool leak" \
		"bpf_xdp_shrink_data|bpf_xdp_frags_shrink_tail|bpf_xdp_adjust_tail" \
		skb_pp_cow_data pc-real xdp-shrink 8
}

# the same shrink in veth's native XDP, which copies into its own
# page_pool ("veth: update mem type in xdp_buff", Fixes 0ebab78cbcbf)
real_veth_shrink() {
	if ! real_load_kmod veth; then
		ktap_suite veth_shrink
		ktap_fail "load veth" "$(cat /tmp/insmod.err)"
		ktap_end veth_shrink
		return
	fi
	real_case veth_shrink "page_pool leak" \
		"bpf_xdp_shrink_data|bpf_xdp_frags_shrink_tail|bpf_xdp_adjust_tail" \
		veth_xdp_rcv_skb pc-real veth-shrink 8
}

# an IPsec ESP tunnel forwards page_pool-backed skbs; ESP drops their
# fragments with put_page() (the fix reverted in esp4.ko, pctest_real.py)
real_esp_forward() {
	if [ -e /pc/kmod-real/esp4.missing ]; then
		ktap_suite esp_forward
		ktap_skip "esp4.ko with the fix reverted" "$(cat /pc/kmod-real/esp4.missing)"
		ktap_end esp_forward
		return
	fi
	for m in tun xfrm_algo xfrm_user authenc crypto_null geniv echainiv; do
		real_load_kmod $m || break
	done
	if [ -e /sys/module/esp4 ] || insmod /pc/kmod-real/esp4-reverted.ko 2>>/tmp/insmod.err; then
		real_case esp_forward "page_pool leak" \
			"esp_ssg_unref|esp_output_tail|esp_output_done|esp_output" \
			skb_pp_cow_data pc-real esp-forward 8
	else
		ktap_suite esp_forward
		ktap_fail "load the xfrm and crypto modules and esp4 (reverted)" \
			"$(cat /tmp/insmod.err)"
		ktap_end esp_forward
	fi
}

run_real() {
	ktap_suite pagecheck
	ktap_figure kernel "$(uname -r) ($(sed -n 's/.*Debian \([^ )]*\).*/\1/p' /proc/version)), $(uname -m)"
	if ! load_pagecheck track=1 kernel_verdict=1; then
		ktap_fail "load pagecheck with track=1 kernel_verdict=1" "insmod: $(cat /tmp/insmod.err)"
		ktap_end pagecheck
		return
	fi
	real_xdp_shrink
	real_veth_shrink
	real_esp_forward
	unload_pagecheck
	ktap_end pagecheck
}
