#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh --vmlinuz PATH --initrd PATH --out DIR [--mode M] [--smp N]
#           [--mem MB] [--timeout S] [--append "extra cmdline"] [--quiet]
#           [--icount]
#
# Boot the guest under QEMU TCG (no KVM: nested KVM hangs here), no disks,
# no network. Files written to DIR:
#   console.log  ttyS0: kernel log + key lines from the guest init
#   guest.out    ttyS1: full suite output, ends with PAGECHECK-GUEST-DONE rc=N
#   cmdline      the kernel command line used
#   elapsed      wall-clock seconds the VM ran
#   qemu.log     QEMU's own stdout/stderr
# --icount runs QEMU with -icount shift=0,sleep=off: guest time counts guest
# instructions (1 ns each), so in-guest timings are reproducible.
# Exit: 0 if guest.out has PAGECHECK-GUEST-DONE (whatever rc the suite had;
# the caller judges guest.out), 1 otherwise (panic, hang, timeout), 2 usage.
# Env: QEMU (default qemu-system-x86_64); PC_VM_CPU (default
# qemu64,+smep,+smap: 1.5-2x faster than "max" under TCG, which adds AVX,
# PKU, LA57...); PC_VM_TUNE (extra cmdline words, e.g. "mitigations=off").
set -euo pipefail

PC_PROG=vm-run
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

VMLINUZ='' INITRD='' OUTDIR='' MODE=default SMP=2 MEM=1024 TIMEOUT=900 APPEND='' QUIET=0 ICOUNT=0
while [ $# -gt 0 ]; do
	case $1 in
	--vmlinuz) VMLINUZ=${2:?}; shift 2 ;;
	--initrd)  INITRD=${2:?}; shift 2 ;;
	--out)     OUTDIR=${2:?}; shift 2 ;;
	--mode)    MODE=${2:?}; shift 2 ;;
	--smp)     SMP=${2:?}; shift 2 ;;
	--mem)     MEM=${2:?}; shift 2 ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--append)  APPEND=${2?}; shift 2 ;;
	--quiet)   QUIET=1; shift ;;
	--icount)  ICOUNT=1; shift ;;
	-h|--help) usage ;;
	*) echo "$PC_PROG: unknown argument '$1'" >&2; usage ;;
	esac
done
{ [ -n "$VMLINUZ" ] && [ -n "$INITRD" ] && [ -n "$OUTDIR" ]; } || usage
[ -f "$VMLINUZ" ] || pc_die "kernel image '$VMLINUZ' not found"
[ -f "$INITRD" ] || pc_die "initramfs '$INITRD' not found"
[[ $SMP =~ ^[1-9][0-9]*$ && $MEM =~ ^[1-9][0-9]*$ && $TIMEOUT =~ ^[1-9][0-9]*$ ]] ||
	pc_die "--smp, --mem and --timeout need positive integers"
[[ $MODE =~ ^[A-Za-z0-9_.,:+-]+$ ]] || pc_die "--mode must be one word"

QEMU=${QEMU:-qemu-system-x86_64}
pc_need "$QEMU" timeout

mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/{console.log,guest.out,elapsed,cmdline,qemu.log}
: >"$OUTDIR/console.log"; : >"$OUTDIR/guest.out"

# panic on any WARN/oops/soft lockup/hung task and reboot at once; with
# -no-reboot QEMU then exits, so a crash never looks like a pass.
CMDLINE="console=ttyS0,115200 panic_on_warn=1 panic=-1 oops=panic"
CMDLINE+=" softlockup_panic=1 hung_task_panic=1 nmi_watchdog=0"
# TCG: the emulated TSC follows the host clock and is synchronous across
# vCPUs; without tsc=reliable the kernel may fall back to HPET, whose MMIO
# reads serialise the vCPUs (2-2.5x slower with -smp 2). RDRAND seeds the
# CRNG at boot, or %p prints "(____ptrval____)" instead of hashes.
CMDLINE+=" random.trust_cpu=on tsc=reliable rdinit=/init 8250.nr_uarts=2 audit=0 printk.time=1"
[ -z "${PC_VM_TUNE-}" ] || CMDLINE+=" $PC_VM_TUNE"
if [ "$QUIET" = 1 ]; then CMDLINE+=" loglevel=4"; else CMDLINE+=" loglevel=7"; fi
CMDLINE+=" pc.mode=$MODE"
[ -z "$APPEND" ] || CMDLINE+=" $APPEND"
echo "$CMDLINE" >"$OUTDIR/cmdline"

# Single-threaded TCG: with multi-threaded TCG a vCPU can keep running a
# stale translation of code another vCPU just patched (ftrace and static-key
# text_poke), and the int3 "breakpoint already removed" path then loops
# forever on it (seen as a soft lockup at __free_pages+0x0 on 6.1).
QARGS=(
	-accel "tcg,thread=${PC_VM_TCG_THREAD:-single}" -cpu "${PC_VM_CPU:-qemu64,+smep,+smap,+rdrand}"
	-nodefaults -no-user-config -display none -no-reboot
	-m "$MEM" -smp "$SMP"
	-kernel "$VMLINUZ" -initrd "$INITRD" -append "$CMDLINE"
	-serial "file:$OUTDIR/console.log"
	-serial "file:$OUTDIR/guest.out"
	-monitor none
)
# shellcheck disable=SC2054 # one -icount argument
[ "$ICOUNT" = 0 ] || QARGS+=(-icount shift=0,sleep=off)

pc_log "booting $(basename "$VMLINUZ") mode=$MODE smp=$SMP mem=${MEM}M timeout=${TIMEOUT}s -> $OUTDIR"
t0=$(date +%s.%N)
set +e
# In the background, so that a signal to this script stops QEMU too
# (timeout(1) runs it in a process group of its own).
timeout -k 10 "$TIMEOUT" "$QEMU" "${QARGS[@]}" </dev/null >"$OUTDIR/qemu.log" 2>&1 &
qemu_pid=$!
trap 'kill -TERM "$qemu_pid" 2>/dev/null; wait "$qemu_pid"; exit 143' INT TERM HUP
wait "$qemu_pid"
qrc=$?
trap - INT TERM HUP
set -e
t1=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "$elapsed" >"$OUTDIR/elapsed"

# Serial output may contain NULs/CRs; grep -a treats it as text.
if grep -aq 'PAGECHECK-GUEST-DONE' "$OUTDIR/guest.out"; then
	pc_log "guest done in ${elapsed}s: $(grep -a -m1 -o 'PAGECHECK-GUEST-DONE.*' "$OUTDIR/guest.out" | tr -d '\r')"
	exit 0
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	why="timed out after ${TIMEOUT}s"
else
	why="QEMU exited with status $qrc after ${elapsed}s"
fi
echo "VM did not complete ($why); last console lines:" >&2
tail -n 40 "$OUTDIR/console.log" | tr -d '\r' | sed 's/^/  | /' >&2
[ ! -s "$OUTDIR/qemu.log" ] || { echo "qemu.log:" >&2; sed 's/^/  | /' "$OUTDIR/qemu.log" | tail -n 10 >&2; }
exit 1
