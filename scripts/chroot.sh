#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chroot.sh SUITE [--kdir KDIR] [--bind DIR]... [--run CMD [ARG...]]
#
# Create once (mmdebstrap) and cache a minimal Debian SUITE chroot (bullseye,
# bookworm, trixie, sid or experimental) holding the compiler that the suite's
# kernel headers depend on and what their linux-kbuild needs, then:
#   without --run  print the chroot's root directory on stdout;
#   --run CMD      run CMD in it as root, in a private mount namespace with
#                  /proc, /dev, the cache, /work, the repo and each --bind DIR
#                  mounted at the same paths (absolute KDIR and build paths
#                  work unchanged); cwd is kept if visible inside, else /.
#                  Exit status and stdout are CMD's.
#   --kdir KDIR    also make sure the compiler named in KDIR/.kernelvariables
#                  is installed in the chroot (apt-get inside if it is not).
#
# Cache (${PAGECHECK_CACHE:-~/.cache/pagecheck}/chroots/):
#   <suite>-<hash>/root     the tree; <hash> covers mirrors and package list,
#                           so changing them makes a new chroot (older ones
#                           of the suite are then deleted)
#   <suite>-<hash>/ready    stamp; create.log, create.seconds, packages
#   <suite>.lock            shared while running, exclusive while changing
# Needs root (mounts, chroot). Never reads stdin; progress on stderr.
# shellcheck disable=SC2016,SC2317  # single-quoted code runs elsewhere
set -euo pipefail

PC_PROG=chroot
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '4p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
SUITE=$1; shift
KDIR='' RUN=0 BINDS=()
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) KDIR=${2:?}; shift 2 ;;
	--bind) BINDS+=("${2:?}"); shift 2 ;;
	--run)  RUN=1; shift; break ;;
	-h|--help) usage ;;
	*) echo "$PC_PROG: unknown argument '$1'" >&2; usage ;;
	esac
done
[ "$RUN" = 0 ] || [ $# -gt 0 ] || pc_die "--run needs a command"

# ---------------------------------------------------------------------------
# Per suite: distribution name for mmdebstrap, mirror lines, and packages
# besides the compiler (which is resolved from the suite's kernel headers).
M=http://deb.debian.org/debian S=http://deb.debian.org/debian-security
case $SUITE in
bullseye|bookworm|trixie)
	DIST=$SUITE
	MIRRORS=("deb $M $SUITE main" "deb $M $SUITE-updates main" "deb $S $SUITE-security main")
	HDR_META="linux-headers-amd64" ;;
sid)
	DIST=sid
	MIRRORS=("deb $M sid main")
	HDR_META="linux-headers-amd64" ;;
experimental)
	DIST=sid
	MIRRORS=("deb $M sid main" "deb $M experimental main")
	HDR_META="linux-headers-amd64/experimental linux-headers-amd64" ;;
*) pc_die "unknown suite '$SUITE' (bullseye, bookworm, trixie, sid, experimental)" ;;
esac
PKGS=(debian-archive-keyring make libc6-dev bc flex bison libelf-dev libssl-dev
	kmod python3 sparse)
# BTF for modules (pahole was called dwarves up to bullseye).
if [ "$SUITE" = bullseye ]; then PKGS+=(dwarves); else PKGS+=(pahole); fi
# ---------------------------------------------------------------------------

# Runs inside the new chroot (bash): install what the suite's current
# linux-headers-<flavour> depends on to build: linux-compiler-gcc-N-x86 or
# gcc-N(-for-host), and the Depends of its linux-kbuild-*.
SETUP_SCRIPT='
set -euo pipefail
field() {
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		awk -v f="$2:" '\''$1 == f { sub(/^[^:]*: */, ""); print; exit }'\''
}
names() { sed "s/[,|]/\n/g" | sed -nE "s/^ *([^ (]+).*/\1/p"; }
dep=
for m in $PC_HDR_META; do
	dep=$(field "$m" Depends | sed "s/,/\n/g" | grep -m1 -E "^ *linux-headers-[0-9]") && break
done
[ -n "$dep" ] || { echo "no linux-headers metapackage ($PC_HDR_META)" >&2; exit 1; }
hdr=$(sed -E "s/^ *([^ ]+).*/\1/" <<<"$dep")
ver=$(sed -nE "s/.*\(= *([^)]+)\).*/\1/p" <<<"$dep")
hdeps=$(field "$hdr${ver:+=$ver}" Depends)
pkgs=$(names <<<"$hdeps" | grep -E "^(linux-compiler-gcc-|gcc-[0-9]+(-for-host)?$)" || true)
kb=$(names <<<"$hdeps" | grep -m1 "^linux-kbuild-" || true)
[ -z "$kb" ] || pkgs+=" $(field "$kb" Depends | names | grep -vx libc6 || true)"
[ -n "${pkgs// /}" ] || { echo "$hdr $ver names no compiler" >&2; exit 1; }
echo "$hdr $ver wants:" $pkgs | tee /etc/pagecheck-chroot
apt-get install -y -q --no-install-recommends $pkgs
'

pc_need unshare chroot flock sha256sum make
[ "$(id -u)" -eq 0 ] || pc_die "needs root (mounts and chroot)"

CDIR=$PC_CACHE/chroots
HASH=$( { echo v1 "$DIST" "$HDR_META"; printf '%s\n' "${MIRRORS[@]}" "${PKGS[@]}" \
	"$SETUP_SCRIPT"; } | sha256sum | cut -c1-10)
DIR=$CDIR/$SUITE-$HASH
ROOT=$DIR/root
mkdir -p "$CDIR"

# True if anything is mounted at or below $1 (in this mount namespace).
has_mounts() {
	awk -v p="$1" '$2 == p || index($2, p "/") == 1 { f = 1 } END { exit !f }' /proc/self/mounts
}
# rm -rf that refuses to cross into mounts.
safe_rm() {
	[ -e "$1" ] || return 0
	has_mounts "$1" && pc_die "refusing to delete $1: something is mounted below it"
	rm -rf --one-file-system "$1"
}

# The compiler KDIR's Debian .kernelvariables sets CC to, evaluated by make
# as kbuild would: "gcc-10" (5.10), "x86_64-linux-gnu-gcc-16" (7.x).
kdir_cc() {
	local kv=$1/.kernelvariables
	[ -f "$kv" ] || return 1
	printf 'pc-cc:\n\t@echo $(CC)\n' |
		make --no-print-directory -s -f "$kv" -f - pc-cc 2>/dev/null | awk '{ print $NF }'
}

cc_missing() {
	[ -n "$KDIR" ] && [ -n "$NEED_CC" ] &&
		! chroot "$ROOT" /bin/sh -c 'command -v "$1"' sh "$NEED_CC" >/dev/null
}

# in_ns ROOT CWD BIND... -- CMD... : body of the private mount namespace.
in_ns() {
	local root=$1 cwd=$2 d child rc
	shift 2
	local binds=()
	mounted=()      # global: the EXIT trap runs after in_ns returned
	while [ "$1" != -- ]; do binds+=("$1"); shift; done
	shift
	undo() {
		local i
		for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
			umount -R -l "${mounted[i]}" 2>/dev/null || true
		done
	}
	trap undo EXIT
	mount -t proc proc "$root/proc"; mounted+=("$root/proc")
	mount --rbind /dev "$root/dev"; mounted+=("$root/dev")
	for d in "${binds[@]}"; do
		mkdir -p "$root$d"
		mount --bind "$d" "$root$d"; mounted+=("$root$d")
	done
	local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		HOME=/root LC_ALL=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive)
	while IFS= read -r d; do envs+=("$d"); done < <(env |
		grep -E '^(PAGECHECK_[A-Z_]*|CI|MAKEFLAGS|KBUILD_[A-Z_]*|SOURCE_DATE_EPOCH|W|V)=' || true)
	# In the background so that signals reach CMD (and the EXIT trap still
	# runs); stdin passed on explicitly, a background job would get /dev/null.
	exec 3<&0
	chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/sh -c \
		'cd "$1" || exit; shift; exec "$@"' sh "$cwd" "$@" <&3 3<&- &
	child=$!
	exec 3<&-
	# shellcheck disable=SC2064  # expand now: $child is local
	for d in TERM INT HUP; do trap "kill -$d $child 2>/dev/null" "$d"; done
	while :; do
		wait "$child" && rc=0 || rc=$?
		kill -0 "$child" 2>/dev/null || break     # else a signal woke us
	done
	exit "$rc"
}

# run_in CWD BIND... -- CMD... : run CMD in the chroot; nothing mounted
# outlives it. Children inherit the lock on fd 8. PC_EXEC=exec: replace
# this shell (signals sent to chroot.sh then reach CMD).
run_in() {
	${PC_EXEC:-} unshare --mount --propagation private -- bash -c \
		"set -euo pipefail; $(declare -f in_ns); in_ns \"\$@\"" in_ns "$ROOT" "$@"
}

create() {
	local tmp=$DIR.tmp t0=$SECONDS inc
	if ! command -v mmdebstrap >/dev/null; then
		pc_log "installing mmdebstrap on the host"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q --no-install-recommends mmdebstrap </dev/null >&2 ||
			{ apt-get -q update </dev/null >&2 &&
			apt-get install -y -q --no-install-recommends mmdebstrap </dev/null >&2; } ||
			pc_die "cannot install mmdebstrap"
	fi
	safe_rm "$tmp"
	mkdir -p "$tmp"
	inc=$(IFS=,; echo "${PKGS[*]}")
	pc_log "creating $SUITE chroot in $DIR (log: $tmp/create.log)"
	# Own mount namespace: nothing mmdebstrap mounts can outlive it.
	if ! PC_HDR_META=$HDR_META PC_SETUP=$SETUP_SCRIPT \
		unshare --mount --propagation private -- \
		mmdebstrap --mode=root --variant=required --format=directory \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='Acquire::Languages "none"' \
		--aptopt='Acquire::Retries "2"' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--include="$inc" \
		--customize-hook='chroot "$1" /bin/bash -c "$PC_SETUP"' \
		--customize-hook='chroot "$1" dpkg-query -W >"$1/../packages"' \
		"$DIST" "$tmp/root" "${MIRRORS[@]}" </dev/null >"$tmp/create.log" 2>&1; then
		tail -n 25 "$tmp/create.log" >&2
		pc_die "mmdebstrap failed for $SUITE (log: $tmp/create.log)"
	fi
	echo $((SECONDS - t0)) >"$tmp/create.seconds"
	safe_rm "$DIR"
	mv "$tmp" "$DIR"
	date -u +%FT%TZ >"$DIR/ready"
	pc_log "created $SUITE chroot in $((SECONDS - t0))s ($(du -sh "$DIR" | cut -f1)):" \
		"$(cat "$ROOT/etc/pagecheck-chroot")"
	# Older chroots of this suite (other hash) are no longer used.
	local old
	for old in "$CDIR/$SUITE"-*; do
		if [ ! -d "$old" ] || [ "$old" = "$DIR" ]; then continue; fi
		pc_log "deleting outdated $old"
		safe_rm "$old"
	done
}

# Install the gcc-N that KDIR asks for (sid moves to a new gcc now and then).
add_cc() {
	local n
	n=$(grep -oE 'gcc-[0-9]+$' <<<"$NEED_CC") || pc_die "cannot map $NEED_CC to a package"
	pc_log "$SUITE chroot lacks $NEED_CC (for $KDIR): installing $n"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	run_in / -- /bin/sh -c 'apt-get -q update && apt-get install -y -q --no-install-recommends "$1" &&
		apt-get clean && rm -rf /var/lib/apt/lists/*' \
		sh "$n" </dev/null >>"$DIR/create.log" 2>&1 ||
		{ tail -n 15 "$DIR/create.log" >&2; pc_die "could not install $n in $ROOT"; }
}

# ---------------------------------------------------------------------------
NEED_CC=''
if [ -n "$KDIR" ]; then
	[ -d "$KDIR" ] || pc_die "KDIR $KDIR not found"
	NEED_CC=$(kdir_cc "$KDIR") || true
	[ -n "$NEED_CC" ] || pc_warn "no CC in $KDIR/.kernelvariables: not checking the compiler"
fi

exec 8>"$CDIR/$SUITE.lock"
if [ ! -f "$DIR/ready" ] || cc_missing; then
	if ! flock -n -x 8; then
		pc_log "waiting for other users of the $SUITE chroot"
		flock -x 8
	fi
	[ -f "$DIR/ready" ] || create
	if cc_missing; then add_cc; fi
	if cc_missing; then pc_die "$NEED_CC still missing in $ROOT"; fi
fi
flock -s 8     # shared from here on: runs may overlap, changes wait

if [ "$RUN" = 0 ]; then
	echo "$ROOT"
	exit 0
fi
pc_log "running in $ROOT: $*"

# Same paths inside as outside; skip any already below an earlier bind.
mounts=()
for d in "$PC_CACHE" /work "$PC_ROOT" "${BINDS[@]}"; do
	[ -d "$d" ] || { [ "$d" = /work ] && continue; pc_die "--bind $d: no such directory"; }
	d=$(realpath -s "$d")     # absolute, symlinks kept as the caller spells them
	case $d in /|/proc|/proc/*|/dev|/dev/*) pc_die "will not bind $d" ;; esac
	dup=0
	for m in "${mounts[@]}"; do
		case $d/ in "$m"/*) dup=1 ;; esac
	done
	[ "$dup" = 1 ] || mounts+=("$d")
done
# Keep the working directory only if it is the same one inside.
cwd=/
for m in "${mounts[@]}"; do
	case $PWD/ in "$m"/*) cwd=$PWD ;; esac
done
PC_EXEC="exec" run_in "$cwd" "${mounts[@]}" -- "$@"
