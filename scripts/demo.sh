#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh [LABEL]: boot a Debian kernel (default 6.1) in QEMU, load
# pagecheck, provoke one bad free of each kind and print the reports.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAGECHECK_CACHE:-$HOME/.cache/pagecheck}
label=${1:-6.1}

"$top/scripts/install-deps.sh" >&2
make -s -C "$top/tests/workload" >&2
eval "$("$top/scripts/kernel-fetch.sh" "$label")"
out="$cache/demo/$KVER"
mkdir -p "$out"
mods=$("$top/scripts/build-for.sh" "$KDIR" "$out")
# shellcheck disable=SC2086
"$top/scripts/mkinitramfs.sh" "$out/initrd.gz" $mods \
	"$top/tests/guest/suite.sh" "$top/tests/guest/reliability.sh" \
	"$top/tests/workload/pc-workload" >&2
echo "demo: booting Debian $KVER in QEMU (TCG, about a minute)..." >&2
"$top/scripts/vm-run.sh" --vmlinuz "$VMLINUZ" --initrd "$out/initrd.gz" \
	--out "$out/vm" --mode demo --smp 2 --mem 1024 --timeout 600 >&2
echo "=== /sys/kernel/debug/pagecheck/reports on Debian $KVER ==="
sed -n '/^@@BEGIN reports$/,/^@@END reports$/p' "$out/vm/guest.out" | tr -d '\r' | sed '1d;$d'
echo "=== /sys/kernel/debug/pagecheck/stats ==="
sed -n '/^@@BEGIN stats$/,/^@@END stats$/p' "$out/vm/guest.out" | tr -d '\r' | sed '1d;$d'
