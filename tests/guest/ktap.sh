# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# KTAP output for the guest scripts (busybox sh), sourced by suite.sh.
# Documentation/dev-tools/ktap.rst: a plan before the results, subtests
# indented by two spaces, a parent that fails if any subtest fails.
#
#   ktap_suite NAME PLAN    open a subtest (or the top document at depth 0)
#   ktap_ok|ktap_fail|ktap_skip NAME [DETAIL]
#   ktap_test NAME DETAIL-IF-FAILED CMD...   ok if CMD succeeds
#   ktap_end NAME           close the subtest; its result is printed
#   ktap_diag LINE...       diagnostic lines, "# " in front
#   ktap_figure NAME TEXT   a measured figure: "# figure: NAME: TEXT", which
#                           the driver copies into docs/check.md

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

# ktap_suite NAME PLAN: the subtest's own version and plan lines
ktap_suite() {
	if [ "$KTAP_DEPTH" -gt 0 ] || [ -n "$KTAP_STARTED" ]; then
		KTAP_DEPTH=$((KTAP_DEPTH + 1))
		KTAP_PAD="$KTAP_PAD  "
	fi
	KTAP_STARTED=1
	eval "KTAP_N_$KTAP_DEPTH=0 KTAP_FAILED_$KTAP_DEPTH=0 KTAP_PLAN_$KTAP_DEPTH=$2"
	echo "${KTAP_PAD}KTAP version 1"
	[ "$KTAP_DEPTH" = 0 ] || echo "${KTAP_PAD}# Subtest: $1"
	echo "${KTAP_PAD}1..$2"
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

# ktap_end NAME: close the subtest and print its result in the parent
ktap_end() {
	eval "failed=\$KTAP_FAILED_$KTAP_DEPTH n=\$KTAP_N_$KTAP_DEPTH plan=\$KTAP_PLAN_$KTAP_DEPTH"
	if [ "$n" != "$plan" ]; then
		ktap_diag "$1: $n results for a plan of $plan"
		failed=1
	fi
	[ "$KTAP_DEPTH" -gt 0 ] || return 0
	KTAP_DEPTH=$((KTAP_DEPTH - 1))
	KTAP_PAD=${KTAP_PAD%  }
	if [ "$failed" = 1 ]; then ktap_fail "$1"; else ktap_ok "$1"; fi
}
