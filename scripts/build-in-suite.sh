#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-in-suite.sh SUITE KDIR OUTDIR: scripts/build-for.sh KDIR OUTDIR with
# SUITE's compiler: on the host for bookworm, else inside scripts/chroot.sh
# SUITE (SUITE is the one kernel-fetch.sh prints). Stdout is build-for.sh's
# (the .ko paths), unchanged; so is the exit status.
set -euo pipefail

PC_PROG=build-in-suite
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SUITE KDIR OUTDIR" >&2; exit 2; }
suite=$1 kdir=$2 out=$3
[ -d "$kdir" ] || pc_die "KDIR $kdir not found"
mkdir -p "$out"
# Absolute paths: they must mean the same inside the chroot.
kdir=$(realpath -s "$kdir") out=$(realpath -s "$out")

if [ "$suite" = bookworm ]; then
	exec "$PC_ROOT/scripts/build-for.sh" "$kdir" "$out"
fi
# The cache, /work and the repo are always visible inside; bind the rest
# (KDIR's parent: Debian headers include their -common sibling).
exec "$PC_ROOT/scripts/chroot.sh" "$suite" --kdir "$kdir" --bind "$(dirname "$kdir")" \
	--bind "$out" --run "$PC_ROOT/scripts/build-for.sh" "$kdir" "$out"
