# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# KTAP output for the guest scripts (busybox sh), sourced by suite.sh.
# Documentation/dev-tools/ktap.rst: subtests indented by two spaces, a
# parent that fails if any subtest fails. Nobody counts tests by hand:
# each subtest prints its plan, "1..N" with N the results it printed, when
# it ends (a trailing plan, as TAP allows). A subtest that never ends has
# no plan and no result line, and the host counts it as failed.
#
#   ktap_suite NAME         open a subtest (or the top document at depth 0)
#   ktap_ok|ktap_fail|ktap_skip NAME [DETAIL]
#   ktap_test NAME DETAIL-IF-FAILED CMD...   ok if CMD succeeds
#   ktap_end NAME           close the subtest: its plan, then its result
#   ktap_diag LINE...       diagnostic lines, "# " in front
#   ktap_figure NAME TEXT   a measured figure: "# figure: NAME: TEXT", which
#                           the driver puts in its record (docs/check.md)

KTAP_DEPTH=0
KTAP_PAD=
KTAP_N_0=0
KTAP_FAILED_0=0

ktap_diag() {
	for line in "$@"; do
		printf '%s# %s\n' "$KTAP_PAD" "$line" | cut -c1-400
	done
}

ktap_figure() {
	ktap_diag "figure: $1: $2"
}

# _ktap_result "ok|not ok" NAME [DIRECTIVE]: numbered in the current subtest
_ktap_result() {
	eval "KTAP_N_$KTAP_DEPTH=\$((KTAP_N_$KTAP_DEPTH + 1)) n=\$KTAP_N_$KTAP_DEPTH"
	echo "${KTAP_PAD}$1 $n $2${3:+ # $3}"
}

# ktap_suite NAME: the subtest's version and name lines; no plan yet
ktap_suite() {
	if [ "$KTAP_DEPTH" -gt 0 ] || [ -n "$KTAP_STARTED" ]; then
		KTAP_DEPTH=$((KTAP_DEPTH + 1))
		KTAP_PAD="$KTAP_PAD  "
	fi
	KTAP_STARTED=1
	eval "KTAP_N_$KTAP_DEPTH=0 KTAP_FAILED_$KTAP_DEPTH=0"
	echo "${KTAP_PAD}KTAP version 1"
	[ "$KTAP_DEPTH" = 0 ] || echo "${KTAP_PAD}# Subtest: $1"
}

ktap_ok() {
	_ktap_result ok "$1"
}

ktap_fail() {
	[ -z "$2" ] || ktap_diag "$1: $2"
	eval "KTAP_FAILED_$KTAP_DEPTH=1"
	_ktap_result "not ok" "$1"
}

ktap_skip() {
	_ktap_result ok "$1" "SKIP $2"
}

# ktap_test NAME DETAIL CMD...: ok if CMD succeeds, else not ok with DETAIL
ktap_test() {
	name=$1 detail=$2
	shift 2
	if "$@"; then ktap_ok "$name"; else ktap_fail "$name" "$detail"; fi
}

# ktap_status STATUS NAME DETAIL: ok if STATUS is 0. For a test of several
# conditions: "ktap_test N D [ a ] && [ b ]" would judge [ a ] alone, so
# run "[ a ] && [ b ]" first and pass its $? here.
ktap_status() {
	name=$2 detail=$3
	if [ "$1" = 0 ]; then ktap_ok "$name"; else ktap_fail "$name" "$detail"; fi
}

# ktap_end NAME: the subtest's plan (the results it printed), then its
# result in the parent. A subtest that printed no result tested nothing:
# it gets one failed test that says so.
ktap_end() {
	eval "n=\$KTAP_N_$KTAP_DEPTH"
	[ "$n" != 0 ] || ktap_fail "$1" "no test ran"
	eval "failed=\$KTAP_FAILED_$KTAP_DEPTH n=\$KTAP_N_$KTAP_DEPTH"
	echo "${KTAP_PAD}1..$n"
	[ "$KTAP_DEPTH" -gt 0 ] || return 0
	KTAP_DEPTH=$((KTAP_DEPTH - 1))
	KTAP_PAD=${KTAP_PAD%  }
	if [ "$failed" = 1 ]; then ktap_fail "$1"; else ktap_ok "$1"; fi
}
