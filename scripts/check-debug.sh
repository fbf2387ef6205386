#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-debug.sh: the guest suite on a debug kernel (scripts/debug-kernel.sh:
# Debian's linux-source-6.12 with KASAN, PROVE_LOCKING, DEBUG_VM,
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS and KFENCE), built once and cached.
# Boots, each with panic_on_warn=1: the check suite once per backend in
# HOOKS, the reliability boot, and one boot per lockdown level. Any splat
# fails (tests/judge.py). The reliability boot's differential step compares
# pagecheck with the kernel's own DEBUG_VM bad_page() on every injected case.
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
# shellcheck disable=SC2030,SC2031 # the reliability job's own results file
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAGECHECK_CACHE:-$HOME/.cache/pagecheck}
hooks=${HOOKS:-tracepoint ftrace kprobe}
# Under KASAN and lockdep one unload/load cycle takes about 15 s (4 vCPUs,
# TCG) and a flood violation about 0.25 ms: smaller loads than make check
# (1,000,000 and 200), so that the boot ends within the hour.
flood=${DEBUG_FLOOD:-200000}
cycles=${DEBUG_CYCLES:-50}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
say() { echo "$@" | tee -a "$results"; }
start=$SECONDS

"$top/scripts/install-deps.sh" >&2 || say "FAIL host: install dependencies"
make -s -C "$top/tests/workload" >&2 || say "FAIL host: build the guest workloads"

if ! env_lines=$("$top/scripts/debug-kernel.sh"); then
	say "FAIL debug: build the debug kernel (scripts/debug-kernel.sh)"
else
	eval "$env_lines"
	label="debug-$KVER"
	out="$cache/runs/$KVER"
	mkdir -p "$out"
	say "INFO debug: kernel $KVER ready after $((SECONDS - start)) s"
	if ! mods=$("$top/scripts/build-for.sh" "$KDIR" "$out"); then
		say "FAIL $label: build pagecheck W=1 against the debug kernel"
	else
		say "PASS $label: build pagecheck and test modules W=1 clean"
		# shellcheck disable=SC2086
		"$top/scripts/mkinitramfs.sh" "$out/initrd.gz" $mods \
			"$top/tests/guest/suite.sh" "$top/tests/guest/reliability.sh" \
			"$top/tests/workload/pc-workload" "$top/tests/workload/pc-fuzz" >&2
		run() { # NAME MODE JUDGE-ARGS -- VM-ARGS...
			local name=$1 mode=$2 jargs=()
			shift 2
			while [ "$1" != -- ]; do jargs+=("$1"); shift; done
			shift
			if ! "$top/scripts/vm-run.sh" --vmlinuz "$VMLINUZ" --initrd "$out/initrd.gz" \
				--out "$out/vm-$name" --mode "$mode" --timeout "${vm_timeout:-3600}" "$@" >&2; then
				say "FAIL $label/$name: VM did not complete (console: $out/vm-$name/console.log)"
				return
			fi
			say "PASS $label/$name: VM completed"
			python3 "$top/tests/judge.py" --label "$label/$name" --mode "$mode" \
				"${jargs[@]}" "$out/vm-$name/guest.out" | tee -a "$results"
		}
		# The reliability boot is the longest by far: it runs alongside the
		# others, with its own results file so that no line is torn.
		rel_results=$(mktemp)
		(
			results=$rel_results
			vm_timeout=3600 run reliability reliability --min-flood "$flood" --min-cycles "$cycles" -- \
				--smp 4 --mem 2048 \
				--append "pc.args=\"hook=tracepoint flood=$flood cycles=$cycles\""
		) >"$out/check-debug-reliability.log" 2>&1 &
		rel_pid=$!
		# KASAN and lockdep make TCG several times slower: smaller loads.
		for hook in $hooks; do
			run "$hook" check --hook "$hook" --min-fp 300000 -- --smp 2 --mem 2048 \
				--append "pc.args=\"hook=$hook fp=300000\""
		done
		for level in integrity confidentiality; do
			run "lockdown-$level" lockdown -- --smp 1 --mem 1024 --append "lockdown=$level"
		done
		wait "$rel_pid"
		tee -a "$results" <"$rel_results"
		rm -f "$rel_results"
	fi
fi

echo "INFO debug: finished in $((SECONDS - start)) s"
pass=$(grep -c '^PASS' "$results")
fail=$(grep -c '^FAIL' "$results")
skip=$(grep -c '^SKIP' "$results")
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
