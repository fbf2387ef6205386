#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-for.sh KDIR OUTDIR: build pagecheck.ko and the test modules against
# KDIR in a private copy of the tree (OUTDIR/src), W=1. The build log goes to
# OUTDIR/build.log; compiler warnings in our own files fail the build.
set -euo pipefail

kdir=${1:?usage: build-for.sh KDIR OUTDIR}
out=${2:?usage: build-for.sh KDIR OUTDIR}
top=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$out/src"
mkdir -p "$out/src"
(cd "$top" && tar --exclude=.git --exclude=.gen --exclude='*.o' --exclude='*.ko' \
	-cf - Makefile Kbuild VERSION src include probes scripts tests) | tar -xf - -C "$out/src"

if ! make -C "$out/src" KDIR="$kdir" PGC_GEN="$out/gen" W=1 modules tests \
	>"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-for: build against $kdir failed (log: $out/build.log)" >&2
	exit 1
fi
if grep -E "^$out/src/.*(warning|error):" "$out/build.log" >&2; then
	echo "build-for: compiler warnings in pagecheck sources" >&2
	exit 1
fi
echo "$out/src/pagecheck.ko $out/src/tests/pagecheck_rules_test.ko $out/src/tests/pagecheck_inject.ko $out/src/tests/pagecheck_bench.ko"
