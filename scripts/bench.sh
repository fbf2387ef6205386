#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--ci] [--out FILE] [LABEL...]
#
# The deterministic benchmark. For each Debian kernel (default: the check
# matrix) and each configuration, boot a fresh QEMU TCG guest with
# -icount shift=0,sleep=off -smp 1 (a guest nanosecond is one guest
# instruction), run tests/guest/bench.sh and collect its BENCH lines.
# Then scripts/bench-report.py prints the table, writes it to FILE
# (default docs/benchmark.md; --ci: $cache/bench/ci.md) and checks the
# targets on the host-native kernels (PASS/FAIL lines).
#
# --ci: smaller workloads and only the configurations the targets need.
# Env: BENCH_CONFIGS overrides the configuration list.
set -uo pipefail

PC_PROG=bench
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci=0
out=
labels=()
while [ $# -gt 0 ]; do
	case $1 in
	--ci) ci=1; shift ;;
	--out) out=${2:?}; shift 2 ;;
	-*) pc_die "unknown option $1" ;;
	*) labels+=("$1"); shift ;;
	esac
done
[ ${#labels[@]} -gt 0 ] || labels=(5.10 6.1 6.12 6.12-trixie 7)
if [ "$ci" = 1 ]; then
	size=ci
	configs=${BENCH_CONFIGS:-baseline floor tracepoint ftrace kprobe record bpftrace}
	: "${out:=$PC_CACHE/bench/ci.md}"
else
	size=full
	configs=${BENCH_CONFIGS:-baseline floor tracepoint ftrace kprobe disabled record bpftrace kopt-init_on_free kopt-page_poison kopt-check_pages kopt-init_on_alloc0}
	: "${out:=$PC_ROOT/docs/benchmark.md}"
fi

make -s -C "$PC_ROOT/tests/workload" >&2 || pc_die "cannot build the guest workloads"
bt_files=()
if mapfile -t bt_files < <("$PC_ROOT/scripts/bpftrace-files.sh") && [ ${#bt_files[@]} -gt 0 ]; then
	:
else
	pc_warn "bpftrace is not available on the host: the bpftrace configuration will fail"
	bt_files=()
fi

dirs=()
for label in "${labels[@]}"; do
	if ! env_lines=$("$PC_ROOT/scripts/kernel-fetch.sh" "$label"); then
		echo "FAIL bench $label: fetch the Debian kernel and headers"
		continue
	fi
	SUITE=bookworm
	eval "$env_lines"
	run="$PC_CACHE/bench/$KVER"
	mkdir -p "$run"
	if ! mods=$("$PC_ROOT/scripts/build-in-suite.sh" "$SUITE" "$KDIR" "$run"); then
		echo "FAIL bench $label: build pagecheck against $KVER"
		continue
	fi
	common=()
	for m in $mods; do common+=("$m"); done
	common+=("$PC_ROOT/tests/workload/pc-bench" "$PC_ROOT/tests/guest/bench.sh=pc/suite.sh")
	"$PC_ROOT/scripts/mkinitramfs.sh" "$run/initrd.gz" "${common[@]}" >&2 ||
		pc_die "mkinitramfs failed"
	if [[ " $configs " == *" bpftrace "* ]] && [ ${#bt_files[@]} -gt 0 ]; then
		"$PC_ROOT/scripts/mkinitramfs.sh" "$run/initrd-bpftrace.gz" "${common[@]}" \
			"$PC_ROOT/tests/bench/pagecheck.bt=pc/pagecheck.bt" "${bt_files[@]}" >&2 ||
			pc_die "mkinitramfs (bpftrace) failed"
	fi
	for config in $configs; do
		initrd=$run/initrd.gz
		append="pc.args=\"config=$config size=$size\""
		case $config in
		bpftrace) initrd=$run/initrd-bpftrace.gz ;;
		kopt-init_on_free) append+=" init_on_free=1" ;;
		kopt-page_poison) append+=" page_poison=1" ;;
		kopt-check_pages) append+=" check_pages=1" ;;
		kopt-init_on_alloc0) append+=" init_on_alloc=0" ;;
		esac
		vm="$run/$size-$config"
		if [ ! -f "$initrd" ]; then
			echo "FAIL bench $label/$config: no initramfs (bpftrace missing on the host?)"
			continue
		fi
		# Same layout every boot: no KASLR, no mmap randomisation, and no
		# RDRAND, so the RNG (slab freelists, hashes) is seeded from guest
		# timings, which -icount makes deterministic.
		append+=" nokaslr norandmaps"
		if ! PC_VM_CPU=qemu64,+smep,+smap "$PC_ROOT/scripts/vm-run.sh" \
			--vmlinuz "$VMLINUZ" --initrd "$initrd" \
			--out "$vm" --mode bench --append "$append" --smp 1 --mem 2048 \
			--timeout 1800 --icount --quiet >&2; then
			echo "FAIL bench $label/$config: VM did not complete (console: $vm/console.log)"
			continue
		fi
		echo "$label" >"$vm/label"
		dirs+=("$vm")
	done
done

check=()
[ "$ci" = 0 ] || check=(--check)
python3 "$PC_ROOT/scripts/bench-report.py" --out "$out" "${check[@]}" "${dirs[@]}"
