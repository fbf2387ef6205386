# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the pagecheck harness scripts. Source it, don't run it.
# shellcheck shell=bash disable=SC2034

# Repo root (this file lives in <root>/scripts/).
PC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Per-user cache for apt state, downloaded kernels, etc.
PC_CACHE=${PAGECHECK_CACHE:-${HOME:-/root}/.cache/pagecheck}

# Progress and errors always go to stderr so stdout stays machine-readable.
pc_log()  { printf '%s: %s\n' "${PC_PROG:-${0##*/}}" "$*" >&2; }
pc_warn() { printf '%s: warning: %s\n' "${PC_PROG:-${0##*/}}" "$*" >&2; }
pc_die()  { printf '%s: error: %s\n' "${PC_PROG:-${0##*/}}" "$*" >&2; exit 1; }

# pc_need CMD... : fail with a hint if a command is missing.
pc_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			pc_die "'$c' not found (run scripts/install-deps.sh)"
	done
}

# pc_age_seconds FILE : seconds since FILE was modified (huge if missing).
pc_age_seconds() {
	local m
	m=$(stat -c %Y "$1" 2>/dev/null) || { echo 999999999; return; }
	echo $(( $(date +%s) - m ))
}
