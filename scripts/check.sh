#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [LABEL...]: for each Debian kernel (default 5.10 6.1 6.12
# 6.12-trixie 7) fetch the image and headers, build pagecheck and its test
# modules W=1, then for each backend in HOOKS (default "tracepoint ftrace
# kprobe") boot the kernel in QEMU TCG, run tests/guest/suite.sh with that
# hook and judge the evidence. Then (unless RELIABILITY=0) the reliability
# boot on 4 vCPUs and one boot per lockdown level. Also (unless BENCH=0) the
# reduced benchmark on 6.1 and 6.12 (its targets are PASS/FAIL lines), and
# (unless DKMS=0) install and remove pagecheck with DKMS and as a .deb
# (scripts/dkms-test.sh). Labels in CANARY (the Makefile sets 7-rc) run
# their check boots too but are only reported. Kernels, the benchmark, the
# canary and DKMS are jobs, JOBS (default 2) at a time.
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PAGECHECK_CACHE:-$HOME/.cache/pagecheck}
labels=("$@")
[ ${#labels[@]} -gt 0 ] || labels=(5.10 6.1 6.12 6.12-trixie 7)
hooks=${HOOKS:-tracepoint ftrace kprobe}
# Every job writes its own results file here; host steps write host.results.
jobdir=$(mktemp -d)
trap 'rm -rf "$jobdir"' EXIT
results=$jobdir/host.results

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

# The reduced benchmark: its cost targets gate the host-native kernels.
# -icount makes its figures instruction counts, so other jobs running at the
# same time do not change them.
run_bench() {
	local bench_labels=() label bench_out bench_rc
	for label in ${BENCH_KERNELS:-6.1 6.12}; do
		[[ " ${labels[*]} " == *" $label "* ]] && bench_labels+=("$label")
	done
	[ ${#bench_labels[@]} -gt 0 ] || return 0
	bench_out=$(mktemp)
	"$top/scripts/bench.sh" --ci "${bench_labels[@]}" >"$bench_out" 2>&1
	bench_rc=$?
	cat "$bench_out" >&2
	grep -E '^(PASS|FAIL|SKIP|INFO) ' "$bench_out" | tee -a "$results"
	if [ "$bench_rc" -ne 0 ] && ! grep -q '^FAIL ' "$bench_out"; then
		say "FAIL bench: scripts/bench.sh exited $bench_rc ($(tail -n 1 "$bench_out"))"
	fi
	rm -f "$bench_out"
}

run_dkms() {
	"$top/scripts/dkms-test.sh" 2>&1 | tee -a "$results"
}

# Jobs run JOBS at a time (default 2): a check boot keeps about one host
# core busy. Each job's output goes to $cache/runs/check-<job>.log; its
# PASS/FAIL lines are printed when it ends. Canary jobs are not counted.
declare -A job_of=()
start_job() { # NAME FUNCTION [ARG...]
	local name=$1
	shift
	(
		t0=$SECONDS
		results=$jobdir/$name.results
		: >"$results"
		"$@"
		echo "INFO $name: job finished in $((SECONDS - t0)) s (log: $cache/runs/check-$name.log)"
	) >"$cache/runs/check-$name.log" 2>&1 &
	job_of[$!]=$name
	echo "INFO $name: started"
}

finish_job() { # NAME
	local name=$1
	case $name in
	canary-*)
		sed 's/^\(PASS\|FAIL\|SKIP\) /CANARY-\1 /' "$jobdir/$name.results"
		echo "INFO $name: $(grep -c '^PASS' "$jobdir/$name.results") passed," \
			"$(grep -c '^FAIL' "$jobdir/$name.results") failed (not counted)"
		rm -f "$jobdir/$name.results" ;;
	*)
		cat "$jobdir/$name.results"
		tail -n 1 "$cache/runs/check-$name.log" ;;
	esac
}

# Stop a job and everything under it (qemu runs under timeout(1), which
# has a process group of its own).
kill_tree() { # PID
	local child
	kill -STOP "$1" 2>/dev/null || return 0
	for child in $(pgrep -P "$1"); do
		kill_tree "$child"
	done
	kill -TERM "$1" 2>/dev/null
	kill -CONT "$1" 2>/dev/null
}

stop_jobs() {
	local pid
	for pid in "${!job_of[@]}"; do
		kill_tree "$pid"
	done
	echo "INFO interrupted: stopped ${#job_of[@]} running job(s)" >&2
	exit 130
}

wait_job() {
	local pid
	wait -n -p pid
	finish_job "${job_of[$pid]}"
	unset "job_of[$pid]"
}

run_canary() { # LABEL: only the check boots (CANARY_RELIABILITY=1 adds the rest)
	RELIABILITY=${CANARY_RELIABILITY:-0} run_label "$1"
}

jobs_max=${JOBS:-2}
[[ $jobs_max =~ ^[1-9][0-9]*$ ]] || { echo "JOBS must be a positive integer" >&2; exit 2; }
mkdir -p "$cache/runs"
trap stop_jobs INT TERM HUP
queue=()
for label in "${labels[@]}"; do
	queue+=("$label run_label $label")
done
[ "${BENCH:-1}" = 1 ] && queue+=("bench run_bench")
for label in ${CANARY-}; do
	queue+=("canary-$label run_canary $label")
done
[ "${DKMS:-1}" = 1 ] && queue+=("dkms run_dkms")
for job in "${queue[@]}"; do
	[ ${#job_of[@]} -lt "$jobs_max" ] || wait_job
	# shellcheck disable=SC2086
	start_job $job
done
while [ ${#job_of[@]} -gt 0 ]; do
	wait_job
done
results=$(mktemp -p "$jobdir")
cat "$jobdir"/*.results >"$results"

pass=$(grep -c '^PASS' "$results")
fail=$(grep -c '^FAIL' "$results")
skip=$(grep -c '^SKIP' "$results")
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
