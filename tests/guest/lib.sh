# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Helpers shared by the guest scripts (busybox sh), sourced by suite.sh.

PC=/pc
D=/sys/kernel/debug/pagecheck
P=/sys/module/pagecheck/parameters
INJ=/sys/kernel/debug/pagecheck_inject
B=/sys/kernel/debug/pagecheck_bench

stat_value() { # KEY [FILE]
	sed -n "s/^$1: //p" "${2:-$D/stats}"
}

# field KEY LINE: the value of KEY=VALUE in an injector result line;
# expect= and why= run to the end of the line. Shell only: no process
# (the injection tests call it about ten times a case).
field() {
	case " $2" in
	*" $1="*) ;;
	*) return 0 ;;
	esac
	set -- "$1" " $2"
	set -- "$1" "${2##* "$1"=}"
	case $1 in
	expect|why) echo "$2" ;;
	*) echo "${2%% *}" ;;
	esac
}

# count_frees=1 on every architecture: the tests read frees_audited. A
# later count_frees= in PARAM wins.
load_pagecheck() { # [PARAM...]
	insmod "$PC/pagecheck.ko" count_frees=1 "$@" 2>/tmp/insmod.err
}

unload_pagecheck() {
	rmmod pagecheck 2>/tmp/rmmod.err
}

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# timed CMD...: run CMD, then say in a diagnostic line how long it took
timed() {
	_t0=$(uptime_s)
	"$@"
	ktap_diag "$1 took $(awk -v a="$_t0" -v b="$(uptime_s)" 'BEGIN { print b - a }') s"
}

# online_cpus N: bring CPUs 0..N-1 online and take the rest offline.
# Registering ftrace and kprobe hooks waits for every online CPU under
# TCG: the backend steps run on fewer CPUs than the flood.
online_cpus() {
	for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
		n=${f#/sys/devices/system/cpu/cpu}
		n=${n%/online}
		if [ "$n" -lt "$1" ]; then echo 1 >"$f"; else echo 0 >"$f"; fi
	done 2>/dev/null
}

# A line in the kernel log to read what follows it (the log may wrap).
kmsg_mark() { # NAME
	KMSG_MARK="pc-mark $1 $(uptime_s)"
	echo "$KMSG_MARK" >/dev/kmsg
}

dmesg_since_mark() {
	dmesg | sed -n "/$KMSG_MARK/,\$p" | sed 1d
}

# Kernel stacks and page tables of a workload in a child memcg are kmem
# charged, which exercises the kmem uncharge normalisation.
setup_memcg() {
	mkdir -p /sys/fs/cgroup
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	mkdir -p /sys/fs/cgroup/workload
}

in_memcg() { # CMD...
	sh -c 'echo $$ >/sys/fs/cgroup/workload/cgroup.procs 2>/dev/null; exec "$@"' sh "$@"
}

# The reports of the store as JSON lines in FILE, checked for syntax.
reports_json() { # FILE
	cat "$D/reports.json" >"$1" 2>/tmp/reports.err && pc-report check "$1" >/dev/null
}

# Show at most a few lines of a file as diagnostics.
diag_file() { # FILE [LINES]
	head -n "${2:-5}" "$1" | while IFS= read -r line; do ktap_diag "$line"; done
}
