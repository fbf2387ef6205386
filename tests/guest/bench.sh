#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The in-guest benchmark (busybox sh), run as /pc/suite.sh by the guest
# init under QEMU -icount shift=0,sleep=off: a guest nanosecond is one
# guest instruction. One configuration per boot:
#
#   suite.sh bench config=NAME [size=full|ci]
#
# NAME: baseline, floor, tracepoint, ftrace, kprobe, record, bpftrace, or
# kopt-* (the host put kernel options on the command line). Output:
# "BENCH <workload> ns= ops= pages=" lines, framed sections with
# pagecheck's stats, "@@BENCH-ERROR why" on failure.

PC=/pc
D=/sys/kernel/debug/pagecheck
P=/sys/module/pagecheck/parameters
B=/sys/kernel/debug/pagecheck_bench
T=/sys/kernel/tracing
CONFIG=baseline
SIZE=full
for arg in "$@"; do
	case $arg in
	config=*) CONFIG=${arg#config=} ;;
	size=*) SIZE=${arg#size=} ;;
	esac
done

# Workload sizes: full for make bench, ci for the reduced run in make check.
if [ "$SIZE" = ci ]; then
	ANON="32 4" SMALL="64 128 16" FORK="20 8" CACHE="16 4" SLAB="32 128 16"
	KALLOC0=20000 KALLOC3=4000 KALLOC9=100 PROBES=20000 BAD=512
else
	ANON="64 8" SMALL="64 128 32" FORK="60 8" CACHE="32 8" SLAB="32 256 16"
	KALLOC0=100000 KALLOC3=20000 KALLOC9=400 PROBES=100000 BAD=1024
fi
MTHP=/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled
THP2M=/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled

fail() {
	echo "@@BENCH-ERROR $*"
	exit 1
}

section() {
	echo "@@BEGIN $1"
	cat "$2" 2>&1
	echo "@@END $1"
}

kalloc() { # ORDER COUNT
	echo "alloc $1 $2" >"$B/run" || fail "bench module: alloc $1 $2"
	echo "BENCH kalloc$1 $(cat "$B/result")"
}

# Only the __free_pages() calls timed: what the kernel's own checks add.
kfree() { # ORDER COUNT
	echo "free $1 $2" >"$B/run" || fail "bench module: free $1 $2"
	echo "BENCH kfree$1 $(cat "$B/result")"
}

# anon faults with only 64 KiB mTHP enabled (6.8+)
anon_mthp() { # MIB REPS
	[ -w "$MTHP" ] || return 0
	thp2m=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP2M")
	echo never >"$THP2M" && echo always >"$MTHP" || fail "cannot enable 64 KiB mTHP"
	pc-bench anon-default "$@" | sed 's/^BENCH anon-default /BENCH anon-mthp /' ||
		fail anon-mthp
	echo never >"$MTHP"
	echo "$thp2m" >"$THP2M"
}

# The tracepoint's registered probes called directly on one held block,
# refcount frozen at 0 as at a free: the hook's own cost, which the
# allocator's state (it makes an order-9 alloc+free 1,161 instructions
# dearer in some boots on 6.12, with no probe at all) cannot move.
probe() { # ORDER COUNT
	echo "probe $1 $2" >"$B/run" || fail "bench module: probe $1 $2"
	echo "BENCH probe$1 $(cat "$B/result")"
}

bad() { # KIND COUNT FIRST_KEY LABEL
	echo "bad $1 $2 $3" >"$B/run" || fail "bench module: bad $1 $2 $3"
	echo "BENCH $4 $(cat "$B/result")"
}

start_bpftrace() {
	ulimit -l unlimited 2>/dev/null
	# PAGE_FLAGS_CHECK_AT_FREE bits moved in 6.2 (see pagecheck.bt)
	case $(uname -r) in
	5.*|6.1.*) mask=61489 ;;
	*) mask=57635 ;;
	esac
	bpftrace "$PC/pagecheck.bt" "$mask" >/tmp/bt.out 2>&1 &
	BT_PID=$!
	i=0
	until grep -q 'Attaching' /tmp/bt.out 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$BT_PID" 2>/dev/null; then
			section bpftrace.out /tmp/bt.out
			fail "bpftrace did not attach"
		fi
		sleep 1
	done
	sleep 2
}

echo "@@KERNEL $(uname -r)"
echo "@@CONFIG $CONFIG"
echo "@@CMDLINE $(cat /proc/cmdline)"
echo "@@CPUS $(cat /sys/devices/system/cpu/possible)"
# page_owner's per-page memory, as the kernel reports it at boot
echo "@@PAGE_EXT $(dmesg | sed -n 's/.*allocated \([0-9]*\) bytes of page_ext.*/\1/p' | head -n 1)"
echo "@@MEMTOTAL_KB $(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"

bench_args=
case $CONFIG in
floor) bench_args=floor=1 ;;
esac
# Every configuration loads the same modules in the same order, so that
# every boot has the same memory layout: pagecheck is loaded with
# enabled=0 (its probe unregistered) where it is not measured.
case $CONFIG in
tracepoint|ftrace|kprobe)
	insmod "$PC/pagecheck.ko" hook="$CONFIG" || fail "insmod pagecheck hook=$CONFIG" ;;
track)
	insmod "$PC/pagecheck.ko" hook=tracepoint track=1 ||
		fail "insmod pagecheck hook=tracepoint track=1" ;;
baseline|floor|record|bpftrace|kopt-*)
	insmod "$PC/pagecheck.ko" enabled=0 || fail "insmod pagecheck enabled=0" ;;
*) fail "unknown config $CONFIG" ;;
esac
case $CONFIG in
record)
	echo 1 >"$T/events/kmem/mm_page_free/enable" || fail "enable kmem:mm_page_free"
	echo 1 >"$T/tracing_on" ;;
bpftrace)
	start_bpftrace ;;
esac
# shellcheck disable=SC2086
insmod "$PC/pagecheck_bench.ko" $bench_args || fail "insmod pagecheck_bench"

# No periodic background work inside a measurement: the vmstat refresh,
# the writeback flusher and khugepaged's scans land in some runs and not
# in others.
echo 3600 >/proc/sys/vm/stat_interval || fail "vm.stat_interval"
echo 0 >/proc/sys/vm/dirty_writeback_centisecs || fail "vm.dirty_writeback_centisecs"
for f in scan_sleep_millisecs alloc_sleep_millisecs; do
	echo 3600000 >"/sys/kernel/mm/transparent_hugepage/khugepaged/$f" ||
		fail "khugepaged/$f"
done

# First touch of most of memory: struct-page init and first-touch costs
# must not land in the first measurement.
pc-bench warm 85 || fail "warm"
pc-bench warm 85 >/dev/null

# pagecheck's frees by order so far: the host takes the difference around
# each workload of the tracepoint run. Every configuration runs it, so
# that what it leaves behind lands alike in every measurement.
orders() { # WORKLOAD
	echo "@@ORDERS $1 $(sed -n 's/^frees_by_order: //p' "$D/stats")"
}

# shellcheck disable=SC2086
{
	orders start
	pc-bench anon $ANON || fail anon
	orders anon
	pc-bench anon-thp $ANON || fail anon-thp
	orders anon-thp
	anon_mthp $ANON
	orders anon-mthp
	# its page-table frees vary from boot to boot: the cheapest of three
	for run in 1 2 3; do
		pc-bench anon-small $SMALL || fail anon-small
	done
	orders anon-small
	kalloc 0 $KALLOC0
	kalloc 3 $KALLOC3
	kalloc 9 $KALLOC9
	kfree 9 $KALLOC9
	case $CONFIG in
	tracepoint|floor)
		probe 0 $PROBES
		probe 3 $PROBES
		probe 9 $((PROBES / 64)) ;;
	esac
	orders kalloc
	pc-bench fork $FORK || fail fork
	orders fork
	pc-bench pagecache $CACHE || fail pagecache
	orders pagecache
	pc-bench slab $SLAB || fail slab
	orders slab
}

# The points targets' measurement: the floor's empty probe and pagecheck
# take turns in this one boot (floor, pagecheck, pagecheck, floor; twice),
# so both see the same memory layout. Across boots the layout alone moves
# anon-small by half a point from one build of the module to the next.
use_floor() {
	echo 0 >"$P/enabled" && echo "floor 1" >"$B/run"
}
use_pagecheck() {
	echo "floor 0" >"$B/run" && echo 1 >"$P/enabled"
}
paired() { # WORKLOAD ARGS...
	wl=$1
	shift
	for side in floor pagecheck pagecheck floor floor pagecheck pagecheck floor; do
		use_$side || fail "paired $wl: cannot switch to $side"
		# the previous run's RCU callbacks and deferred work run now
		sleep 1
		line=$(pc-bench "$wl" "$@") || fail "paired $wl"
		echo "$line" | sed "s/^BENCH $wl /BENCH pair-$side-$wl /"
	done
	use_pagecheck || fail "paired $wl: cannot switch back to pagecheck"
}

if [ "$CONFIG" = tracepoint ]; then
	# shellcheck disable=SC2086
	{
		paired anon $ANON
		paired anon-small $SMALL
		paired fork $FORK
		paired pagecache $CACHE
	}
	# The violation path: the same frees healthy, each a new report, each a
	# duplicate of one report, and each dropped because the store is full.
	max=$(cat "$P/max_reports")
	echo 1 >"$P/clear"
	bad none "$BAD" 0 bad-none
	bad unique "$BAD" 0 bad-unique
	bad dup "$BAD" 0 bad-dup
	# fill the store, then every further new stack is dropped
	[ "$max" -le "$BAD" ] || bad unique $((max - BAD)) "$BAD" bad-fill
	bad unique "$BAD" "$max" bad-full
	section violation.stats "$D/stats"
fi

case $CONFIG in
tracepoint|ftrace|kprobe|track) section stats "$D/stats" ;;
record) echo "@@RECORDED $(grep -c mm_page_free "$T/trace")" ;;
bpftrace)
	kill -INT "$BT_PID"
	wait "$BT_PID"
	section bpftrace.out /tmp/bt.out ;;
esac

if [ "$CONFIG" = tracepoint ]; then
	# Fixed memory footprint at other sizes.
	for args in "max_reports=1024 stack_depth=16" "max_reports=4096 stack_depth=16" \
		    "max_reports=16384 stack_depth=16" "max_reports=1024 stack_depth=32" \
		    "max_reports=1024 stack_depth=64" "max_reports=65536 stack_depth=64"; do
		rmmod pagecheck
		# shellcheck disable=SC2086
		insmod "$PC/pagecheck.ko" $args || fail "insmod pagecheck $args"
		echo "@@FOOTPRINT $args $(grep -E '^(store|scratch|footprint)_bytes' "$D/stats" | tr '\n' ' ')"
	done
fi
echo "@@BENCH-DONE"
