#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [LABEL...]: for each Debian kernel (default 5.10 6.1 6.12 6.12-trixie 7) fetch the
# image and headers, build pagecheck and its test modules W=1, then for each
# backend in HOOKS (default "tracepoint ftrace kprobe") boot the kernel in
# QEMU TCG, run tests/guest/suite.sh with that hook and judge the evidence.
# Then (unless RELIABILITY=0) the reliability boot on 4 vCPUs and one
# boot per lockdown level. Then (unless BENCH=0) the reduced benchmark on 6.1 and 6.12 (its targets
# are PASS/FAIL lines), and (unless DKMS=0) install and remove pagecheck
# with DKMS and as a .deb for the default kernels (scripts/dkms-test.sh). Labels in CANARY (the
# Makefile sets 7-rc) run the same way but are only reported.
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAGECHECK_CACHE:-$HOME/.cache/pagecheck}
labels=("$@")
[ ${#labels[@]} -gt 0 ] || labels=(5.10 6.1 6.12 6.12-trixie 7)
hooks=${HOOKS:-tracepoint ftrace kprobe}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

say() { echo "$@" | tee -a "$results"; }

"$top/scripts/install-deps.sh" >&2 || { say "FAIL host: install dependencies"; }
make -s -C "$top/tests/workload" >&2 || say "FAIL host: build the guest workload"

# vm_judged LABEL NAME MODE VM-ARGS...: boot the suite in MODE and judge it.
vm_judged() {
	local label=$1 name=$2 mode=$3
	shift 3
	if ! "$top/scripts/vm-run.sh" --vmlinuz "$VMLINUZ" --initrd "$out/initrd.gz" \
		--out "$out/vm-$name" --mode "$mode" --timeout 1500 "$@" >&2; then
		say "FAIL $label/$name: VM did not complete (console: $out/vm-$name/console.log)"
		return
	fi
	say "PASS $label/$name: VM completed"
	python3 "$top/tests/judge.py" --label "$label/$name" --mode "$mode" \
		"$out/vm-$name/guest.out" | tee -a "$results"
}

# run_label LABEL: everything for one kernel; results go through say().
run_label() {
	local label=$1 start=$SECONDS hook env_lines mods out
	if ! env_lines=$("$top/scripts/kernel-fetch.sh" "$label"); then
		say "FAIL $label: fetch the Debian kernel and headers"
		return
	fi
	SUITE=bookworm
	eval "$env_lines"
	out="$cache/runs/$KVER"
	mkdir -p "$out"
	if ! mods=$("$top/scripts/build-in-suite.sh" "$SUITE" "$KDIR" "$out"); then
		say "FAIL $label: build pagecheck W=1 against $KVER with $SUITE's compiler"
		return
	fi
	say "PASS $label: build pagecheck and test modules W=1 clean against $KVER with $SUITE's compiler"
	# sparse runs on the host-native kernels
	if [ "$SUITE" = bookworm ]; then
		if make -C "$out/src" KDIR="$KDIR" PGC_GEN="$out/gen" sparse >"$out/sparse.log" 2>&1 &&
			! grep -E "^$out/src/.*(warning|error):" "$out/sparse.log" >&2; then
			say "PASS $label: sparse (C=2) clean"
		else
			say "FAIL $label: sparse (C=2) clean (log: $out/sparse.log)"
		fi
	fi
	# shellcheck disable=SC2086
	"$top/scripts/mkinitramfs.sh" "$out/initrd.gz" $mods \
		"$top/tests/guest/suite.sh" "$top/tests/guest/reliability.sh" \
		"$top/tests/workload/pc-workload" "$top/tests/workload/pc-fuzz" >&2
	for hook in $hooks; do
		if ! "$top/scripts/vm-run.sh" --vmlinuz "$VMLINUZ" --initrd "$out/initrd.gz" \
			--out "$out/vm-$hook" --mode check --append "pc.args=hook=$hook" \
			--smp 2 --mem 1024 --timeout 1500 >&2; then
			say "FAIL $label/$hook: VM did not complete (console: $out/vm-$hook/console.log)"
			continue
		fi
		say "PASS $label/$hook: VM completed"
		python3 "$top/tests/judge.py" --label "$label/$hook" --hook "$hook" \
			"$out/vm-$hook/guest.out" | tee -a "$results"
	done
	# Reliability (flood, contexts, unload under fire, hostile input, the
	# differential test, lockdown at run time) on 4 vCPUs, then a boot per
	# lockdown level.
	if [ "${RELIABILITY:-1}" = 1 ]; then
		vm_judged "$label" reliability reliability --smp 4 --mem 2048 \
			--append "pc.args=hook=tracepoint"
		for level in integrity confidentiality; do
			vm_judged "$label" "lockdown-$level" lockdown --smp 1 --mem 512 \
				--append "lockdown=$level"
		done
	fi
	echo "INFO $label: finished in $((SECONDS - start)) s (evidence: $out/vm-*)"
}

for label in "${labels[@]}"; do
	run_label "$label"
done

# Canary kernels (experimental's 7.x rc): reported, never counted. Only the
# check boots, to keep CI under an hour (CANARY_RELIABILITY=1 adds the rest).
for label in ${CANARY-}; do
	main_results=$results
	results=$(mktemp)
	RELIABILITY=${CANARY_RELIABILITY:-0} run_label "$label" >/dev/null
	sed 's/^\(PASS\|FAIL\|SKIP\) /CANARY-\1 /' "$results"
	echo "INFO canary $label: $(grep -c '^PASS' "$results") passed," \
		"$(grep -c '^FAIL' "$results") failed (not counted)"
	rm -f "$results"
	results=$main_results
done

# The reduced benchmark: its cost targets gate the host-native kernels.
if [ "${BENCH:-1}" = 1 ]; then
	bench_labels=()
	for label in ${BENCH_KERNELS:-6.1 6.12}; do
		[[ " ${labels[*]} " == *" $label "* ]] && bench_labels+=("$label")
	done
	if [ ${#bench_labels[@]} -gt 0 ]; then
		bench_out=$(mktemp)
		"$top/scripts/bench.sh" --ci "${bench_labels[@]}" >"$bench_out" 2>&1
		bench_rc=$?
		grep -E '^(PASS|FAIL|SKIP|INFO) ' "$bench_out" | tee -a "$results"
		if [ "$bench_rc" -ne 0 ] && ! grep -q '^FAIL ' "$bench_out"; then
			say "FAIL bench: scripts/bench.sh exited $bench_rc ($(tail -n 1 "$bench_out"))"
		fi
		rm -f "$bench_out"
	fi
fi

if [ "${DKMS:-1}" = 1 ]; then
	"$top/scripts/dkms-test.sh" 2>&1 | tee -a "$results"
fi

pass=$(grep -c '^PASS' "$results")
fail=$(grep -c '^FAIL' "$results")
skip=$(grep -c '^SKIP' "$results")
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
