# SPDX-License-Identifier: GPL-2.0
# The random differential against the kernel's own bad_page() (issue 28),
# sourced by suite.sh. pagecheck with kernel_verdict=1 and the injector
# with restore=0: SEED's random states are freed with nothing restored,
# and the injector compares, state by state, pagecheck's rules with the
# kernel's bad_page() calls (tests/inject/diff.c). DIFF_STATES states;
# DIFF_SEED, if set, replays a run.

DIFF_STATES=${DIFF_STATES:-2000}

run_diff() {
	ktap_suite diff
	unload_pagecheck 2>/dev/null
	# where the page_pool rule is opt-in (6.1), with it: its only test at volume
	pp=
	[ "$(expected_page_pool_rule)" != opt-in ] || pp=page_pool_rule=1
	if ! load_pagecheck hook=tracepoint kernel_verdict=1 printk=0 $pp; then
		ktap_fail "differential: load with kernel_verdict=1" "$(cat /tmp/insmod.err)"
		ktap_end diff
		return
	fi
	kc=$(stat_value kernel_checks)
	kc=${kc%% *}
	seed=${DIFF_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	ktap_diag "differential: seed $seed, $DIFF_STATES states, kernel_checks $kc${pp:+, $pp} (replay: diff_seed=$seed)"
	case $kc in
	at_free|deferred) ;;
	*)
		ktap_skip "differential against bad_page()" "kernel_checks is $kc: the kernel checks no free"
		unload_pagecheck
		ktap_end diff
		return ;;
	esac
	insmod "$PC/pagecheck_inject.ko" restore=0 $pp
	t0=$(uptime_s)
	in_memcg sh -c "echo 'random $seed $DIFF_STATES $kc' >$INJ/run" 2>/tmp/diff.err
	st=$?
	t1=$(uptime_s)
	cat "$INJ/diff" >/tmp/diff.txt
	sed -n '/^disagreement: /!s/^/diff: /p' /tmp/diff.txt | while read -r l; do ktap_diag "$l"; done
	sed -n 's/^disagreement: /disagreement: /p' /tmp/diff.txt | while read -r l; do ktap_diag "$l"; done
	ktap_figure "differential seconds" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	n=$(stat_value states /tmp/diff.txt) d=$(stat_value disagreements /tmp/diff.txt)
	e=$(stat_value error /tmp/diff.txt)
	[ "$st" = 0 ] && [ "$e" = 0 ] && [ "${n:-0}" -ge "$DIFF_STATES" ] && [ "$d" = 0 ]
	ktap_status $? "differential against bad_page(): seed $seed, $n states, ${d:-?} disagreements" \
		"write: $(cat /tmp/diff.err) error ${e:-none}; states ${n:-none}, disagreements ${d:-none}"
	freed=$(stat_value freed /tmp/diff.txt) rej=$(stat_value kernel_rejected /tmp/diff.txt)
	[ "${freed:-0}" -ge $((DIFF_STATES * 9 / 10)) ] && [ "${rej:-0}" -gt 0 ] &&
		[ "$(stat_value recycle_rejected_by_kernel /tmp/diff.txt)" = 0 ] &&
		[ "$(stat_value recycle_reported_by_pagecheck /tmp/diff.txt)" = 0 ] &&
		[ "$(stat_value bad_page_elsewhere /tmp/diff.txt)" = 0 ] &&
		[ "$(stat_value not_seen_at_tracepoint /tmp/diff.txt)" = 0 ]
	ktap_status $? "differential: the states were freed, some rejected, and every rejected block came back clean" \
		"$(grep -E '^(freed|kernel_rejected|recycle|bad_page_elsewhere|not_seen)' /tmp/diff.txt | tr '\n' ' ')"
	[ "$(stat_value unclean_blocks /tmp/diff.txt)" = 0 ] &&
		[ "$(stat_value kept_back_unexpected /tmp/diff.txt)" = 0 ]
	ktap_status $? "differential: every block the allocator got was clean, none freed twice" \
		"$(grep -E '^(unclean_blocks|kept_back_unexpected)' /tmp/diff.txt | tr '\n' ' ')"
	rmmod pagecheck_inject
	unload_pagecheck
	ktap_end diff
}
