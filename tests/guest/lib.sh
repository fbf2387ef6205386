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

# field_to VAR KEY LINE: VAR=$(field KEY LINE), without the subshell that
# $(...) forks (under TCG each costs; inject_* call it for every case)
field_to() {
	case " $3" in
	*" $2="*) ;;
	*) eval "$1=" && return 0 ;;
	esac
	_fv=" $3"
	_fv=${_fv##* "$2"=}
	case $2 in expect|why) ;; *) _fv=${_fv%% *} ;; esac
	eval "$1=\$_fv"
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

# kmsg_since_mark FILE: the same into FILE, failing if the mark is no
# longer in the log (it wrapped): "no X in the log since the mark" must
# not pass on a log that lost what it was to look at.
kmsg_since_mark() {
	dmesg >/tmp/kmsg.all
	if ! grep -qF "$KMSG_MARK" /tmp/kmsg.all; then
		echo "pc: the kernel log no longer holds '$KMSG_MARK'" >"$1"
		return 1
	fi
	sed -n "/$KMSG_MARK/,\$p" /tmp/kmsg.all | sed 1d >"$1"
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

# in_memcg_bg CMD...: the same in the background, with $! naming CMD
# itself. "in_memcg CMD &" leaves $! the subshell that runs the function:
# kill $! then misses CMD, and a pc-workload -t 900 loads the guest on.
in_memcg_bg() { # CMD...
	sh -c 'echo $$ >/sys/fs/cgroup/workload/cgroup.procs 2>/dev/null; exec "$@"' sh "$@" &
}

# workloads_left: how many pc-workload processes still run (a worker
# whose parent was killed takes a moment to go)
workloads_left() {
	_tries=0
	while :; do
		_n=0
		for _s in /proc/[0-9]*/stat; do
			read -r _pid _comm _state _rest <"$_s" 2>/dev/null || continue
			[ "$_comm" = "(pc-workload)" ] && [ "$_state" != Z ] && _n=$((_n + 1))
		done
		[ "$_n" = 0 ] || [ "$_tries" -ge 20 ] && break
		_tries=$((_tries + 1))
		sleep 0.1
	done
	echo "$_n"
}

# reports.json is JSON lines, queried with Debian's jq. A value prints as
# the scripts compare it: a string raw, with its control characters (C0,
# DEL and C1) as \n, \t or \u00xx so that it stays on one line, a number
# as jq writes it, null as "null", an array one element per line, an
# object as compact JSON. A PATH is dotted keys (alloc.stack); an absent
# one prints nothing. A FILTER is PATH=VALUE or PATH!=VALUE on what a get
# of PATH prints: an array matches = if any element is VALUE; an absent
# PATH or an object matches neither.
PC_JQ='
def hex: "0123456789abcdef"[. : . + 1];
def ctl: . < 32 or (. > 126 and . < 160);
def text: if type != "string" then tojson
	elif any(explode[]; ctl) | not then .
	else [explode[] | if . == 10 then "\\n" elif . == 9 then "\\t"
		elif ctl then "\\u00" + ((. / 16 | floor) | hex) + (. % 16 | hex)
		else [.] | implode end] | add end;
def at($p): reduce ($p | split("."))[] as $k ([.];
	if (.[0] | type) == "object" and (.[0] | has($k)) then [.[0][$k]] else [] end);
def items($p): at($p)[] | if type == "array" then .[] | text else text end;
def pc_match($f): ($f | index("=")) as $i
	| ($i > 0 and $f[$i - 1:$i] == "!") as $ne
	| [at(if $ne then $f[:$i - 1] else $f[:$i] end)[] | select(type != "object")]
	| if length == 0 then false
	  else (any(.[0] | if type == "array" then .[] else . end | text; . == $f[$i + 1:])
		| if $ne then not else . end) end;
def keep: . as $o | all($ARGS.positional[]; . as $f | $o | pc_match($f));
'

# report_get FILE PATH [FILTER...]: PATH's value in every report of FILE
# (- for stdin) that matches every FILTER
report_get() {
	_f=$1 _p=$2
	shift 2
	jq -r --arg p "$_p" "$PC_JQ"'select(keep) | items($p)' "$_f" --args "$@"
}

# report_count FILE [FILTER...]: how many reports match every FILTER;
# nothing if a line is not JSON
report_count() {
	_f=$1
	shift
	jq -n "$PC_JQ"'[inputs | select(keep)] | length' "$_f" --args "$@"
}

# report_fields FILE PATHS [FILTER...]: for each report that matches, a
# line "PATH<tab>ITEM" for each item a get of each PATH (PATHS: separated
# by spaces) prints; one jq for several values
report_fields() {
	_f=$1 _p=$2
	shift 2
	jq -r --arg p "$_p" "$PC_JQ"'select(keep) | . as $o | $p | split(" ")[]
		| select(. != "") as $k | $o | items($k) | $k + "\t" + .' "$_f" --args "$@"
}

# field_items FILE PATH: the items of PATH in report_fields' output
field_items() {
	sed -n "s/^$2	//p" "$1"
}

# report_check FILE: how many of its non-blank lines are not a JSON
# object; fails if any is not, or FILE cannot be read
report_check() {
	_n=$(jq -nR '[inputs | select(. != "") | (try fromjson catch null)
		| select(type != "object")] | length' "$1") || return 2
	echo "$_n"
	[ "$_n" = 0 ]
}

# The reports of the store as JSON lines in FILE, checked for syntax.
reports_json() { # FILE
	cat "$D/reports.json" >"$1" 2>/tmp/reports.err && report_check "$1" >/dev/null
}

# The same unchecked, for a caller whose report_get, report_count or
# report_fields of FILE checks it: they fail on a line that is not JSON
# (a jq less).
reports_copy() { # FILE
	cat "$D/reports.json" >"$1" 2>/tmp/reports.err
}

# copy_text SRC DST: a text file copied by the shell alone. A process
# frees pages when it exits, and under the kprobe backend each free is a
# trap: a cat per injected case cost half a second on s390x.
copy_text() {
	{
		while IFS= read -r _l || [ -n "$_l" ]; do
			printf '%s\n' "$_l"
		done <"$1"
	} >"$2"
}

# has_frame FUNC: a stack on stdin, one frame a line, has FUNC or one of
# the compiler's clones of it (.isra.0, .constprop.0, .part.0, .cold)
has_frame() {
	while IFS= read -r _hl; do
		frame_is "$_hl" "$1" && return 0
	done
	return 1
}

# frame_is FRAME FUNC: FRAME ("name+off/size [mod]") is FUNC or a clone
# of it; the shell alone (every injected case asks it)
frame_is() {
	_fn=${1%%+*}
	[ "$_fn" != "$1" ] || return 1
	while [ "$_fn" != "$2" ]; do
		case $_fn in
		*.isra|*.constprop|*.part|*.cold) _fn=${_fn%.*} ;;
		*.isra.[0-9]*|*.constprop.[0-9]*|*.part.[0-9]*|*.cold.[0-9]*)
			case ${_fn##*.} in *[!0-9]*) return 1 ;; esac
			_fn=${_fn%.*} ;;
		*) return 1 ;;
		esac
	done
}

# Show at most a few lines of a file as diagnostics.
diag_file() { # FILE [LINES]
	head -n "${2:-5}" "$1" | while IFS= read -r line; do ktap_diag "$line"; done
}

# Hits the kprobe backend missed: a kprobe hit while a kprobe handler runs
# on the same CPU (a softirq on its way out of an interrupt) is counted in
# nmissed, not handled.
# kprobe_missed_to VAR: VAR=their sum, without a process. It stops after
# the hook_target lines, near the top: the shell reads a byte a system
# call, and the whole of stats costs 0.2 s on s390x under TCG.
kprobe_missed_to() {
	_kn=0 _kt=
	while IFS= read -r _kl; do
		case $_kl in
		"hook_target: "*"(kprobe, "*" missed)")
			_kt=1
			_kl=${_kl##*(kprobe, }
			_kn=$((_kn + ${_kl%% *})) ;;
		"hook_target: "*) _kt=1 ;;
		*) [ -z "$_kt" ] || break ;;
		esac
	done <"$D/stats"
	eval "$1=\$_kn"
}

# An injector case runs in two steps, so that one jq reads the reports of
# many (a jq costs about half a second under TCG):
# inject_run KEY CASE CONTEXT [RUNNER...]: one injector case, run by
# RUNNER (e.g. in_memcg) if given, into an empty store. Keeps in /tmp/inj/
# KEY.res the result line, KEY.json the store and KEY.missed the kprobe
# backend's nmissed before and after, or in KEY.verdict the SKIP or FAIL
# of a case that did not run (the injector skipped it or failed) or that
# the backend HOOK cannot see by design.
inject_run() {
	_k=$1 _run="$2 $3"
	shift 3
	mkdir -p /tmp/inj
	_m0=0
	[ "$HOOK" != kprobe ] || kprobe_missed_to _m0
	echo 1 >"$P/clear"
	if [ $# -gt 0 ]; then
		"$@" sh -c 'echo "$1" >"$2"' sh "$_run" "$INJ/run"
	else
		echo "$_run" >"$INJ/run"
	fi 2>/tmp/inject.err
	if [ $? != 0 ]; then
		echo "FAIL injector: $(cat /tmp/inject.err)" >"/tmp/inj/$_k.verdict"
		return 1
	fi
	_m1=0
	[ "$HOOK" != kprobe ] || kprobe_missed_to _m1
	echo "$_m0 $_m1" >"/tmp/inj/$_k.missed"
	read -r _res <"$INJ/result"
	echo "$_res" >"/tmp/inj/$_k.res"
	field_to _st status "$_res"
	if [ "$_st" = skipped ]; then
		field_to _why why "$_res"
		echo "SKIP $_why" >"/tmp/inj/$_k.verdict"
		return 1
	fi
	field_to _be backends "$_res"
	case ,$_be, in
	*,"$HOOK",*) ;;
	*)
		field_to _how how "$_res"
		echo "SKIP the $HOOK backend cannot see it by design; seen by $_be ($_how)" \
			>"/tmp/inj/$_k.verdict"
		return 1 ;;
	esac
	copy_text "$D/reports.json" "/tmp/inj/$_k.json" 2>/tmp/reports.err ||
		echo "reports.json unreadable: $(cat /tmp/reports.err)" >"/tmp/inj/$_k.unread"
}

# inject_fields PATHS: one jq over the store of every case inject_run
# kept, into /tmp/inj/fields: "KEY<tab>PFN<tab>PATH<tab>ITEM" for each
# item of each of PATHS (separated by spaces) of each report, and
# "KEY<tab>-<tab>invalid<tab>LINE" for a line that is not a JSON object.
inject_fields() {
	_paths=$1
	: >/tmp/inj/fields
	set -- /tmp/inj/*.json
	[ -e "$1" ] || return 0
	jq -R -r --arg p "$_paths" "$PC_JQ"'
		(input_filename | split("/") | last | rtrimstr(".json")) as $k
		| select(. != "") | . as $line | (try fromjson catch null)
		| if type != "object" then [$k, "-", "invalid", $line[:200]] | join("\t")
		  else . as $o | (.pfn | tojson) as $pfn
			| $p | split(" ")[] | select(. != "") as $q
			| $o | items($q) | [$k, $pfn, $q, .] | join("\t") end' "$@" \
		>/tmp/inj/fields 2>/tmp/inj/fields.err
	# each case's lines in KEY.fields ("PFN<tab>PATH<tab>ITEM"), for
	# inject_report; KEY.invalid for a case with a line that is not JSON
	rm -f /tmp/inj/*.fields
	awk -F '\t' '{
		f = "/tmp/inj/" $1 (($2 == "-" && $3 == "invalid") ? ".invalid" : ".fields")
		if (f != last) { if (last != "") close(last); last = f }
		print substr($0, length($1) + 2) >> f
	}' /tmp/inj/fields
}

# inject_report NAME KEY: the case KEY as seen by HOOK. A case that did
# not run, and a free the kprobe backend missed and counted, are a SKIP
# or FAIL of NAME; then it returns 1. Else it returns 0 with: res, the
# injector's result line; pfn; the store in the file case_json and its
# number of reports in case_total, the reports of pfn in /tmp/case.mine
# and their number in case_n; their fields of inject_fields in
# /tmp/case.fields, as report_fields writes them, and from those the
# reasons "|" separated in case_reasons, the fingerprint in case_fp, the
# caller in case_caller and the stack in /tmp/case.frames; and
# case_problems, what already went wrong ("; " before each). No process:
# it runs for every case.
inject_report() {
	if [ -e "/tmp/inj/$2.verdict" ]; then
		read -r _v <"/tmp/inj/$2.verdict"
		case $_v in
		SKIP*) ktap_skip "$1" "${_v#SKIP }" ;;
		*) ktap_fail "$1" "${_v#FAIL }" ;;
		esac
		return 1
	fi
	read -r res <"/tmp/inj/$2.res"
	field_to pfn pfn "$res"
	field_to _st status "$res"
	case_problems=
	[ "$_st" = done ] || case_problems="$case_problems; injector status $_st"
	case_json=/tmp/inj/$2.json
	if [ -e "/tmp/inj/$2.unread" ]; then
		read -r _v <"/tmp/inj/$2.unread"
		case_problems="$case_problems; $_v"
		: >"$case_json"
	fi
	[ ! -e "/tmp/inj/$2.invalid" ] || case_problems="$case_problems; reports.json is not valid JSON"
	[ ! -s /tmp/inj/fields.err ] || case_problems="$case_problems; jq: $(head -c 200 /tmp/inj/fields.err)"
	# the shell alone from here: it runs for every case
	case_n=0 case_total=0
	: >/tmp/case.mine
	while IFS= read -r _l || [ -n "$_l" ]; do
		case_total=$((case_total + 1))
		case $_l in
		*"\"pfn\":$pfn,"*)
			case_n=$((case_n + 1))
			printf '%s\n' "$_l" >>/tmp/case.mine ;;
		esac
	done <"$case_json"
	case_reasons= case_fp= case_caller=
	: >/tmp/case.fields
	: >/tmp/case.frames
	[ ! -e "/tmp/inj/$2.fields" ] ||
	while IFS='	' read -r _p _k _v; do
		[ "$_p" = "$pfn" ] || continue
		printf '%s\t%s\n' "$_k" "$_v" >>/tmp/case.fields
		case $_k in
		reasons) case_reasons=$case_reasons${case_reasons:+|}$_v ;;
		fingerprint) case_fp=$case_fp$_v ;;
		caller) [ -n "$case_caller" ] || case_caller=$_v ;;
		stack) printf '%s\n' "$_v" >>/tmp/case.frames ;;
		esac
	done <"/tmp/inj/$2.fields"
	read -r _m0 _m1 <"/tmp/inj/$2.missed"
	if [ "$case_n" = 0 ] && [ "$HOOK" = kprobe ] && [ "$_m1" -gt "$_m0" ]; then
		ktap_skip "$1" "the kprobe backend missed this free, and counted it: nmissed $_m0 -> $_m1"
		return 1
	fi
}

# inject_reset: forget the cases inject_run kept
inject_reset() {
	rm -rf /tmp/inj
	mkdir -p /tmp/inj
}

# module_signed KO: KO carries a module signature. Only the debug kernel's
# modules are signed, with the key its build made and trusts
# (tests/pctest/pctest_build.py); Debian's headers hold no key.
module_signed() {
	tail -c 28 "$1" | grep -q '~Module signature appended~'
}

# lockdown_expect LEVEL HOOK: what an insmod of pagecheck.ko with HOOK does
# under lockdown LEVEL on this kernel: "loads", or "refused: " and the
# reason the kernel logs. Read from the source (security_locked_down()
# callers, 5.10 to 6.12): an unsigned module is refused from integrity on
# (LOCKDOWN_MODULE_SIGNATURE). LOCKDOWN_KPROBES and LOCKDOWN_TRACEFS guard
# only what user space creates through tracefs, not register_kprobe(),
# register_ftrace_function() or tracepoint probes, so a signed module
# loads with every backend at both levels (docs/secure-boot.md).
lockdown_expect() {
	if module_signed "$PC/pagecheck.ko"; then
		echo loads
	else
		echo "refused: unsigned module loading is restricted"
	fi
}

# lockdown_hooks LEVEL TRY: under lockdown LEVEL, for each backend, TRY
# HOOK loads pagecheck with it, uses it and unloads it, and sets state to
# "works", to what went wrong, or to "refused: ERROR" if insmod failed.
# One test a backend: it does what lockdown_expect says; a refusal must
# have happened with EPERM and a "Lockdown:" line in the kernel log that
# names the reason; and no module or debugfs directory is left behind.
lockdown_hooks() { # LEVEL TRY
	# The kernel prints at most 10 "Lockdown:" lines in 5 s, and an
	# insmod that busybox retries with init_module() logs two: a new window
	sleep 5
	for hook in tracepoint ftrace kprobe; do
		kmsg_mark "lockdown-$1-$hook"
		"$2" "$hook"
		why=$(dmesg_since_mark | grep -m1 'Lockdown:')
		want=$(lockdown_expect "$1" "$hook")
		left=
		[ ! -e /sys/module/pagecheck ] || left="$left module"
		[ ! -e "$D" ] || left="$left debugfs"
		case $want in
		loads)
			name="$1: hook=$hook loads and works"
			[ "$state" = works ] ;;
		*)
			name="$1: hook=$hook is refused: ${want#refused: }"
			case $state in refused*"Operation not permitted"*) ;; *) false ;; esac &&
				case $why in *"${want#refused: }"*) ;; *) false ;; esac ;;
		esac && [ -z "$left" ]
		ktap_status $? "$name, leaving nothing" "$state; left:$left; kernel log: ${why:-no Lockdown line}"
	done
}
