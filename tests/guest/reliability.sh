# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Reliability and security steps of the guest suite, sourced by suite.sh
# (which defines PC, D, P, INJ, HOOK, section, stat_value, load_pagecheck,
# setup_memcg and in_memcg). Evidence only; tests/judge.py decides.
#
#   suite.sh reliability   flood, contexts with readers, unload under fire,
#                          hostile input, file permissions, the differential
#                          test against bad_page, run-time lockdown
#   suite.sh lockdown      what loads under the boot's lockdown= level

B=/sys/kernel/debug/pagecheck_bench
FLOOD=${FLOOD:-1000000}
UNLOAD_CYCLES=${UNLOAD_CYCLES:-200}
FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-10000}

mem_snapshot() {
	awk '/^(MemFree|Slab|SUnreclaim|VmallocUsed|Percpu):/ {
		sub(":", "", $1); printf "%s=%s ", $1, $2 }' /proc/meminfo
	awk 'NR > 2 { s += $3 * $4 } END { printf "slabinfo_kB=%d", s / 1024 }' \
		/proc/slabinfo 2>/dev/null
}

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# A shell that must keep answering: one line per second while it runs.
start_alive_probe() { # FILE
	rm -f "$1.stop"
	(
		while [ ! -e "$1.stop" ]; do
			uptime_s
			sleep 1
		done
	) >"$1" &
	ALIVE_PID=$!
}

stop_alive_probe() { # FILE
	touch "$1.stop"
	wait "$ALIVE_PID" 2>/dev/null
	awk 'NR > 1 && $1 - prev > max { max = $1 - prev } { prev = $1 }
	     END { printf "ticks=%d max_gap_s=%.1f\n", NR, max }' "$1"
}

# 1. A million violations from every CPU, distinct and repeated stacks.
run_flood() {
	echo 1 >"$P/clear"
	echo "@@MEM before $(mem_snapshot)"
	echo "@@FOOTPRINT before $(stat_value footprint_bytes)"
	echo "@@FROZEN_BEFORE $(stat_value frees_audited)"
	lines0=$(dmesg | grep -c 'BUG: pagecheck:')
	start_alive_probe /tmp/alive.flood
	t0=$(uptime_s)
	echo "flood $FLOOD" >"$B/run" || echo "@@ERROR flood $FLOOD failed"
	t1=$(uptime_s)
	echo "@@ALIVE flood $(stop_alive_probe /tmp/alive.flood)"
	# the shell answers right after, too
	echo "@@ALIVE after $(date >/dev/null && echo ok)"
	echo "@@FLOOD $(cat "$B/result" | tr -d '\n') seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	echo "@@MEM after $(mem_snapshot)"
	echo "@@FOOTPRINT after $(stat_value footprint_bytes)"
	echo "@@FROZEN_AFTER $(stat_value frees_audited)"
	section flood.stats "$D/stats"
	echo "@@PRINTK_LINES $(($(dmesg | grep -c 'BUG: pagecheck:') - lines0))"
	dmesg | grep -E 'pagecheck|soft lockup|rcu.*(stall|detected)|hung task|BUG:|WARNING:' |
		grep -v 'BUG: pagecheck:' | tail -n 50 >/tmp/flood.dmesg
	section flood.dmesg /tmp/flood.dmesg
	dmesg | grep 'BUG: pagecheck:' | tail -n 5 >/tmp/flood.reports.dmesg
	section flood.printk /tmp/flood.reports.dmesg
}

# 2. Bad frees in every context, with the CPUs flooding and two readers.
reader_loop() { # N
	reads=0 torn=0
	while [ ! -e /tmp/readers.stop ]; do
		cat "$D/reports.json" >/tmp/reader.$1.json 2>/dev/null || continue
		cat "$D/reports" >/dev/null 2>&1
		bad=$(awk 'length($0) && !/^\{"id":[0-9]+,.*\}$/ { n++ } END { print n + 0 }' \
			/tmp/reader.$1.json)
		[ "$bad" -eq 0 ] || { torn=$((torn + bad)); cp /tmp/reader.$1.json /tmp/reader.$1.torn; }
		reads=$((reads + 1))
	done
	echo "@@READER $1 reads=$reads torn=$torn"
}

run_contexts() {
	echo 1 >"$P/clear"
	rm -f /tmp/readers.stop
	reader_loop 1 >/tmp/reader.1.out &
	r1=$!
	reader_loop 2 >/tmp/reader.2.out &
	r2=$!
	echo "flood 200000 8" >"$B/run" &
	fl=$!
	for ctx in task softirq hardirq locked; do
		for c in $(grep -v only:verdict "$INJ/cases" | cut -d' ' -f1); do
			echo "$c $ctx" >"$INJ/run" || echo "@@ERROR run $c $ctx failed"
			echo "@@CTXINJECT $(cat "$INJ/result")"
		done
	done
	wait "$fl"
	touch /tmp/readers.stop
	wait "$r1" "$r2"
	cat /tmp/reader.1.out /tmp/reader.2.out
	for t in /tmp/reader.*.torn; do
		[ -e "$t" ] && section "torn $t" "$t"
	done
	section contexts.json "$D/reports.json"
	section contexts.stats "$D/stats"
}

# 3. Load and unload, over and over, while everything else runs.
holder_loop() {
	opened=0 errors=0
	while [ ! -e /tmp/fire.stop ]; do
		# open, hold across whatever rmmod does meanwhile, then read;
		# a failed open (the module is between unload and load) is
		# "can't open" from the shell, anything else is a read error
		sh -c 'exec 3<"$1"; sleep 0.2; cat <&3 >/dev/null' sh \
			"$D/reports.json" 2>/tmp/holder.err
		rc=$?
		if grep -q "can't open" /tmp/holder.err; then
			:
		elif [ $rc -eq 0 ]; then
			opened=$((opened + 1))
		else
			opened=$((opened + 1)); errors=$((errors + 1))
			cp /tmp/holder.err /tmp/holder.lasterr
		fi
		sleep 0.5
	done
	echo "@@HOLDER opened=$opened read_errors=$errors last_error='$(cat /tmp/holder.lasterr 2>/dev/null)'"
}

run_unload_under_fire() {
	rm -f /tmp/fire.stop /tmp/readers.stop
	(while [ ! -e /tmp/fire.stop ]; do echo "flood 5000" >"$B/run"; done) &
	fl=$!
	in_memcg "$PC/bin/pc-workload" -t 3600 -d /tmp >/dev/null 2>&1 &
	wl=$!
	holder_loop >/tmp/holder.out 2>&1 &
	ho=$!
	reader_loop 3 >/tmp/reader.3.out 2>&1 &
	rd=$!
	ok=0 busy=0 half=0 i=0
	while [ $i -lt "$UNLOAD_CYCLES" ]; do
		i=$((i + 1))
		tries=0
		until rmmod pagecheck 2>/tmp/rmmod.err; do
			# an open debugfs file holds a module reference
			grep -qE 'in use|temporarily unavailable' /tmp/rmmod.err ||
				echo "@@UNLOAD rmmod-error $(cat /tmp/rmmod.err)"
			busy=$((busy + 1))
			[ -e "$D/stats" ] && cat "$D/stats" >/dev/null || half=$((half + 1))
			tries=$((tries + 1))
			[ $tries -lt 100 ] || break
			sleep 0.1
		done
		[ -e "$D" ] && half=$((half + 1))
		load_pagecheck && ok=$((ok + 1))
	done
	touch /tmp/fire.stop /tmp/readers.stop
	kill "$wl" 2>/dev/null
	wait "$fl" "$ho" "$rd" 2>/dev/null
	wait "$wl" 2>/dev/null
	echo "@@UNLOAD cycles=$ok/$UNLOAD_CYCLES busy_retries=$busy half_loaded=$half"
	cat /tmp/holder.out /tmp/reader.3.out
	section unload.stats "$D/stats"
}

# 4. Hostile input to every writable parameter, and who may read what.
run_hostile() {
	echo 1 >"$P/clear"
	before=$(cat "$P/enabled" "$P/stack_depth" "$P/printk" "$P/panic_on_report" \
		"$P/hash_pointers" | tr '\n' ' ')
	"$PC/bin/pc-fuzz" -n "$FUZZ_ITERATIONS" "$P" >/tmp/fuzz.out 2>&1
	echo "@@FUZZ rc=$?"
	section fuzz /tmp/fuzz.out
	after=$(cat "$P/enabled" "$P/stack_depth" "$P/printk" "$P/panic_on_report" \
		"$P/hash_pointers" | tr '\n' ' ')
	echo "@@FUZZ_STATE before='$before' after='$after'"
	# every file is root-only, whatever the debugfs mount allows
	mount -o remount,mode=0755 /sys/kernel/debug
	ls -ln "$D" >/tmp/modes
	section modes /tmp/modes
	for f in reports reports.json stats; do
		if su -s /bin/sh nobody -c "cat $D/$f" >/dev/null 2>&1; then
			echo "@@NONROOT read-ok $f"
		else
			echo "@@NONROOT refused $f"
		fi
	done
	for f in enabled clear stack_depth; do
		if su -s /bin/sh nobody -c "echo 0 > $P/$f" 2>/dev/null; then
			echo "@@NONROOT write-ok $f"
		else
			echo "@@NONROOT write-refused $f"
		fi
	done
	mount -o remount,mode=0700 /sys/kernel/debug
}

# 7. Bad frees left to the kernel's own check: each page the kernel
# rejects must be one pagecheck reported, with the kernel's reason among
# pagecheck's. Only where init_on_alloc=1 switches the checks on at free.
run_differential() {
	case $(uname -r) in
	5.*|6.1.*)
		echo "@@DIFF skip=kernel checks order-0 frees only at pcp drain on $(uname -r)"
		return ;;
	esac
	rmmod pagecheck || echo "@@ERROR rmmod pagecheck failed"
	load_pagecheck kernel_verdict=1 || return
	echo 0 >/sys/module/pagecheck_inject/parameters/restore
	for c in $(grep -v only:verdict "$INJ/cases" | cut -d' ' -f1); do
		[ "$c" = double_free ] && continue
		echo "$c task" >"$INJ/run" || echo "@@ERROR run $c task failed"
		echo "@@DIFF $(cat "$INJ/result")"
	done
	echo 1 >/sys/module/pagecheck_inject/parameters/restore
	section diff.json "$D/reports.json"
	section diff.stats "$D/stats"
	dmesg | grep -E 'Bad page state|page dumped because' >/tmp/diff.dmesg
	section diff.dmesg /tmp/diff.dmesg
}

# 5 (at run time). Raising lockdown with pagecheck loaded: it keeps
# working, unloads cleanly, and a reload is refused without leftovers.
run_lockdown_runtime() {
	mkdir -p /sys/kernel/security
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	if [ ! -w /sys/kernel/security/lockdown ]; then
		echo "@@LOCKRT skip=no lockdown LSM"
		return
	fi
	echo 1 >"$P/clear"
	echo "mapping task" >"$INJ/run"
	echo "@@LOCKRT inject $(cat "$INJ/result")"
	echo confidentiality >/sys/kernel/security/lockdown ||
		echo "@@ERROR cannot raise lockdown"
	echo "@@LOCKRT level=$(cat /sys/kernel/security/lockdown)"
	a=$(stat_value frees_audited)
	"$PC/bin/pc-workload" -t 2 -d /tmp >/dev/null 2>&1
	echo "@@LOCKRT audited_after_lockdown=$(($(stat_value frees_audited) - a))"
	if cat "$D/reports.json" >/tmp/lockrt.json 2>/tmp/lockrt.err; then
		echo "@@LOCKRT read=ok reports=$(grep -c '^{' /tmp/lockrt.json)"
	else
		echo "@@LOCKRT read=refused $(cat /tmp/lockrt.err)"
	fi
	rmmod pagecheck_inject
	if rmmod pagecheck; then echo "@@LOCKRT rmmod=ok"; else echo "@@LOCKRT rmmod=failed"; fi
	reload_under_lockdown LOCKRT
}

# insmod pagecheck with each backend under the current lockdown level.
reload_under_lockdown() { # TAG
	for hook in tracepoint ftrace kprobe; do
		# a marker, not a line count: the log buffer may have wrapped
		mark="pc-mark $1 $hook $(uptime_s)"
		echo "$mark" >/dev/kmsg
		if insmod "$PC/pagecheck.ko" hook=$hook 2>/tmp/insmod.err; then
			state=loaded
			cat "$D/stats" >/dev/null 2>&1 && state="$state stats=readable"
			rmmod pagecheck || state="$state rmmod=failed"
		else
			state="refused insmod='$(tr '\n' ' ' </tmp/insmod.err)'"
		fi
		why=$(dmesg | sed -n "/$mark/,\$p" | grep -v "$mark" |
			grep -iE 'lockdown|pagecheck' | tail -n 2 | tr '\n' ' ')
		leftover=
		[ -e /sys/module/pagecheck ] && leftover="$leftover module"
		[ -e "$D" ] && leftover="$leftover debugfs"
		echo "@@$1 hook=$hook $state leftover=[${leftover# }] dmesg='$why'"
	done
}

run_reliability() {
	echo "@@KERNEL $(uname -r)"
	echo "@@CPUS $(grep -c ^processor /proc/cpuinfo)"
	setup_memcg
	load_pagecheck || return 1
	insmod "$PC/pagecheck_inject.ko" || echo "@@ERROR insmod injector failed"
	insmod "$PC/pagecheck_bench.ko" || echo "@@ERROR insmod bench failed"
	for step in flood contexts unload_under_fire hostile differential lockdown_runtime; do
		t0=$(uptime_s)
		"run_$step"
		echo "@@PHASE $step seconds=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { print b - a }')"
	done
	dmesg >/tmp/dmesg
	section dmesg /tmp/dmesg
}

run_lockdown() {
	mkdir -p /sys/kernel/security
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	echo "@@KERNEL $(uname -r)"
	echo "@@LOCKBOOT level=$(cat /sys/kernel/security/lockdown 2>/dev/null)"
	reload_under_lockdown LOCKBOOT
	dmesg >/tmp/dmesg
	section dmesg /tmp/dmesg
}
