#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-fetch.sh LABEL
#
# Fetch a Debian distribution kernel (image, modules, headers, kbuild) into
# the pagecheck cache without installing anything system-wide, make the
# headers usable as an out-of-tree KDIR, and print shell-sourceable lines:
#
#   KVER=<uname -r>  VMLINUZ=<path>  KDIR=<path>  MODDIR=<path>
#   SUITE=<Debian suite whose toolchain builds modules for it>
#
# Modules for a SUITE other than bookworm (the host) must be built in that
# suite's chroot: scripts/chroot.sh SUITE, or scripts/build-in-suite.sh.
#
# Progress goes to stderr. Cache layout (${PAGECHECK_CACHE:-~/.cache/pagecheck}):
#   apt/<state>/          private apt config, sources.list, lists, stamps
#   debs/<kver>/          downloaded .debs (deleted after a good extraction
#                         unless PAGECHECK_KEEP_DEBS=1)
#   kernels/<kver>/root/  dpkg-deb -x of all packages
#   kernels/<kver>/ready  stamp: extraction, fix-ups and test build passed
#   labels/<label>.env    last resolved output for LABEL (offline fallback)
#
# Environment: PAGECHECK_CACHE, PAGECHECK_KEEP_DEBS=1,
#   PAGECHECK_APT_MAX_AGE (seconds, default 86400), PAGECHECK_OFFLINE=1
#   (never touch the network; use whatever is cached).
set -euo pipefail

PC_PROG=kernel-fetch
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------------------
# Label table: LABEL  APT-STATE  METAPACKAGE  KVER-RE  VERSION-RE  SUITE
# METAPACKAGE is "pkg" (apt candidate; backports are never candidates) or
# "pkg/suite". Its Depends names the concrete linux-image-<kver> package.
# If that kernel's KVER or version does not match the two extended regexes
# ("." = anything), the newest linux-image-*-amd64 in the state's lists that
# matches both is used instead. SUITE's compiler builds modules for it.
LABELS=(
	"6.1   bookworm      linux-image-amd64                     .         .         bookworm"
	"6.12  bookworm      linux-image-amd64/bookworm-backports  .         .         bookworm"
	"6.12-trixie  trixie  linux-image-amd64                    ^6\.12\.  .         trixie"
	"5.10  bullseye      linux-image-amd64                     ^5\.10\.  .         bullseye"
	"7     sid           linux-image-amd64/unstable            ^7\.      ^[^~]+$   sid"
	"7-rc  experimental  linux-image-amd64/experimental        ^7\.      ~rc       experimental"
)

# Apt states: sources.list contents for each APT-STATE name used above.
apt_sources() {
	local d='deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]'
	local m=http://deb.debian.org/debian s=http://deb.debian.org/debian-security
	case $1 in
	bookworm)
		echo "$d $m bookworm main"
		echo "$d $m bookworm-updates main"
		echo "$d $m bookworm-backports main"
		echo "$d $s bookworm-security main" ;;
	trixie)     # apt's candidate: the newest of the three
		echo "$d $m trixie main"
		echo "$d $m trixie-updates main"
		echo "$d $s trixie-security main" ;;
	bullseye)   # bullseye-backports is archived (404 on the mirror)
		echo "$d $m bullseye main"
		echo "$d $m bullseye-updates main"
		echo "$d $s bullseye-security main" ;;
	sid)
		echo "$d $m sid main" ;;
	experimental)   # experimental alone is not installable: sid under it
		echo "$d $m sid main"
		echo "$d $m experimental main" ;;
	*) pc_die "no sources defined for apt state '$1'" ;;
	esac
}
# ---------------------------------------------------------------------------

usage() {
	local l labels=
	for l in "${LABELS[@]}"; do labels+=" ${l%% *}"; done
	echo "usage: $0 LABEL   (labels:$labels)" >&2
	exit 2
}

[ $# -eq 1 ] || usage
LABEL=$1
STATE='' META='' KVER_RE='' VER_RE='' SUITE=''
for row in "${LABELS[@]}"; do
	read -r l s m kr vr su <<<"$row"
	if [ "$l" = "$LABEL" ]; then STATE=$s META=$m KVER_RE=$kr VER_RE=$vr SUITE=$su; fi
done
[ -n "$STATE" ] || { echo "$PC_PROG: unknown label '$LABEL'" >&2; usage; }

pc_need apt-get apt-cache dpkg-deb make gcc find
OFFLINE=${PAGECHECK_OFFLINE:-0}
MAX_AGE=${PAGECHECK_APT_MAX_AGE:-86400}
APTDIR=$PC_CACHE/apt/$STATE
LABELFILE=$PC_CACHE/labels/$LABEL.env

# Private apt configuration: nothing from /etc/apt is read (APT_CONFIG is
# parsed before the system parts dir, and we point Dir::Etc::Parts elsewhere).
setup_apt() {
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" \
		"$APTDIR/parts" "$APTDIR/prefs"
	apt_sources "$STATE" >"$APTDIR/sources.list.new"
	if ! cmp -s "$APTDIR/sources.list.new" "$APTDIR/sources.list"; then
		mv "$APTDIR/sources.list.new" "$APTDIR/sources.list"
		rm -f "$APTDIR/updated"          # sources changed: force update
	else
		rm -f "$APTDIR/sources.list.new"
	fi
	: >"$APTDIR/status"
	# Nothing is installed from this state: drop stale archives/caches.
	rm -f "$APTDIR"/cache/archives/*.deb "$APTDIR/cache/srcpkgcache.bin"
	cat >"$APTDIR/apt.conf" <<-EOF
	Dir::Etc::Parts "$APTDIR/parts";
	Dir::Etc::main "/dev/null";
	Dir::Etc::SourceList "$APTDIR/sources.list";
	Dir::Etc::SourceParts "/dev/null";
	Dir::Etc::Preferences "/dev/null";
	Dir::Etc::PreferencesParts "$APTDIR/prefs";
	Dir::State "$APTDIR";
	Dir::State::Lists "$APTDIR/lists";
	Dir::State::status "$APTDIR/status";
	Dir::Cache "$APTDIR/cache";
	Dir::Cache::srcpkgcache "";
	Acquire::Check-Valid-Until "false";
	Acquire::Languages "none";
	Acquire::GzipIndexes "true";
	APT::Sandbox::User "root";
	Acquire::Retries "1";
	Acquire::http::Timeout "30";
	EOF
	export APT_CONFIG=$APTDIR/apt.conf
	# Same settings again on the command line, as belt and braces.
	APTOPT=(-o "Dir::Etc::SourceList=$APTDIR/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$APTDIR/lists"
		-o "Dir::Cache=$APTDIR/cache"
		-o "Acquire::Check-Valid-Until=false")
}

# Refresh apt lists if older than MAX_AGE. Returns 1 if lists are unusable.
refresh_apt() {
	local age
	age=$(pc_age_seconds "$APTDIR/updated")
	if [ "$age" -lt "$MAX_AGE" ] || [ "$OFFLINE" = 1 ]; then
		return 0
	fi
	# After a failed refresh (network down) retry at most once an hour.
	if [ -f "$APTDIR/updated" ] && [ "$(pc_age_seconds "$APTDIR/update-failed")" -lt 3600 ]; then
		pc_log "apt metadata is stale (${age}s) but last refresh failed recently; using it"
		return 0
	fi
	pc_log "refreshing apt metadata for '$STATE' (age ${age}s)"
	if apt-get "${APTOPT[@]}" -q update >"$APTDIR/update.log" 2>&1 &&
		! grep -qE '^E: |^W: (Failed to fetch|Some index files)' "$APTDIR/update.log"; then
		touch "$APTDIR/updated"
		rm -f "$APTDIR/update-failed"
		return 0
	fi
	touch "$APTDIR/update-failed"
	pc_warn "apt-get update failed (see $APTDIR/update.log); using old lists"
	sed 's/^/    /' "$APTDIR/update.log" | tail -n 5 >&2
	return 0
}

# apt_field SPEC FIELD : print FIELD of the version apt selects for SPEC.
apt_field() {
	apt-cache "${APTOPT[@]}" show --no-all-versions "$1" 2>/dev/null |
		awk -v f="$2:" '$1 == f { sub(/^[^:]*: */, ""); print; exit }'
}

# One Depends alternative per line.
split_deps() { printf '%s\n' "$1" | sed 's/[,|]/\n/g'; }

# Does KVER $1 / version $2 fit the label's KVER-RE and VERSION-RE?
label_match() {
	grep -qE -- "$KVER_RE" <<<"$1" && grep -qE -- "$VER_RE" <<<"$2"
}

# Newest linux-image-<kver>-amd64 (no cloud/rt/dbg/unsigned) whose KVER and
# version match the label: sets KVER and VER.
search_newest() {
	local name k v
	KVER='' VER=''
	while read -r name; do
		k=${name#linux-image-}; k=${k%-amd64}
		case $k in *-cloud | *-rt) continue ;; esac
		while read -r v; do
			label_match "$k-amd64" "$v" || continue
			if [ -z "$VER" ] || dpkg --compare-versions "$v" gt "$VER"; then
				KVER=$k-amd64 VER=$v
			fi
		done < <(apt-cache "${APTOPT[@]}" madison "$name" 2>/dev/null |
			awk -F'|' -v n="$name" '{ gsub(/ /, "") } $1 == n { print $2 }')
	done < <(apt-cache "${APTOPT[@]}" search --names-only '^linux-image-[0-9].*-amd64$' |
		awk '{ print $1 }')
	[ -n "$KVER" ]
}

# Resolve META -> KVER, VER and the package list to download (PKGS).
resolve() {
	local dep hdeps common kbuild idep v
	KVER='' VER=''
	dep=$(apt_field "$META" Depends) || true
	# e.g. "linux-image-6.1.0-56-amd64 (= 6.1.192-2)"
	if [ -n "$dep" ] && dep=$(split_deps "$dep" | grep -m1 -E '^ *linux-image-'); then
		KVER=$(sed -E 's/^ *linux-image-([^ ]+).*/\1/' <<<"$dep")
		VER=$(sed -nE 's/.*\(= *([^)]+)\).*/\1/p' <<<"$dep")
		[ -n "$VER" ] || VER=$(apt_field "linux-image-$KVER" Version)
	fi
	if [ -z "$KVER" ] || ! label_match "$KVER" "$VER"; then
		[ "$KVER_RE$VER_RE" != .. ] || return 1
		[ -z "$KVER" ] || pc_log "$META is $KVER ($VER), not $KVER_RE / $VER_RE: searching"
		search_newest || return 1
	fi
	hdeps=$(apt_field "linux-headers-$KVER=$VER" Depends) || true
	[ -n "$hdeps" ] || { pc_warn "no linux-headers-$KVER=$VER in lists"; return 1; }
	common=$(split_deps "$hdeps" | sed -E 's/^ *([^ ]+).*/\1/' |
		grep -m1 -E '^linux-headers-.*-common') || true
	kbuild=$(split_deps "$hdeps" | sed -E 's/^ *([^ ]+).*/\1/' |
		grep -m1 -E '^linux-kbuild-') || true
	[ -n "$kbuild" ] || { pc_warn "linux-headers-$KVER has no linux-kbuild dependency"; return 1; }
	PKGS=("linux-image-$KVER=$VER" "linux-headers-$KVER=$VER")
	# 7.x: the image package is a shell; vmlinuz and modules are split out.
	idep=$(split_deps "$(apt_field "linux-image-$KVER=$VER" Depends)" |
		sed -E 's/^ *([^ ]+).*/\1/')
	for v in base binary modules; do
		if grep -qxF "linux-$v-$KVER" <<<"$idep"; then PKGS+=("linux-$v-$KVER=$VER"); fi
	done
	[ -z "$common" ] || PKGS+=("$common=$VER")
	# kbuild comes from the same source package; prefer the same version.
	if [ -n "$(apt_field "$kbuild=$VER" Version)" ]; then
		PKGS+=("$kbuild=$VER")
	else
		v=$(apt_field "$kbuild" Version)
		pc_warn "$kbuild=$VER not in lists, using $v"
		PKGS+=("$kbuild=$v")
	fi
}

emit() {
	local kd=$PC_CACHE/kernels/$1
	printf 'KVER=%s\nVMLINUZ=%s\nKDIR=%s\nMODDIR=%s\nSUITE=%s\n' "$1" \
		"$kd/root/boot/vmlinuz-$1" \
		"$kd/root/usr/src/linux-headers-$1" \
		"$kd/root/lib/modules/$1" "$SUITE"
}

is_ready() {
	local kd=$PC_CACHE/kernels/$1
	[ -f "$kd/ready" ] && [ -f "$kd/root/boot/vmlinuz-$1" ] &&
		[ -f "$kd/root/usr/src/linux-headers-$1/Makefile" ] &&
		[ -d "$kd/root/lib/modules/$1/kernel" ]
}

# Use the last good result for this label when resolution/download fails.
fallback() {
	local k
	if [ -f "$LABELFILE" ]; then
		k=$(sed -n 's/^KVER=//p' "$LABELFILE")
		if [ -n "$k" ] && is_ready "$k"; then
			pc_warn "$1; using cached kernel $k for label $LABEL"
			emit "$k"
			exit 0
		fi
	fi
	pc_die "$1 (and no cached kernel for label $LABEL)"
}

# Rewrite absolute /usr/src and /usr/lib/linux-kbuild-* references (symlinks
# and Makefiles) so the extracted headers work in place as KDIR.
fixup_headers() {
	local root=$1 l t f
	# Absolute symlinks (e.g. lib/modules/<kver>/build -> /usr/src/...)
	# -> relative links to the same path inside $root.
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		case $t in
		/*) ln -sfnr "$root$t" "$l" ;;
		esac
	done < <(find "$root" -type l -print0)
	# Makefiles that include/refer to absolute header or kbuild paths.
	while IFS= read -r -d '' f; do
		sed -i -E \
			-e "s#(^|[^A-Za-z0-9_./-])/usr/src/#\\1$root/usr/src/#g" \
			-e "s#(^|[^A-Za-z0-9_./-])/usr/lib/linux-kbuild-#\\1$root/usr/lib/linux-kbuild-#g" \
			"$f"
	done < <(grep -rlZ -E '(/usr/src/|/usr/lib/linux-kbuild-)' \
		"$root/usr/src" --include=Makefile --include='*.mk' \
		--include=Kbuild --include='Makefile.*' 2>/dev/null || true)
}

# Build a trivial module against KDIR to prove the headers work.
test_build() {
	local kdir=$1 dir=$2 log
	rm -rf "$dir"; mkdir -p "$dir"
	cat >"$dir/hello.c" <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0
	#include <linux/module.h>
	static int __init hello_init(void) { pr_info("hello\n"); return 0; }
	static void __exit hello_exit(void) { }
	module_init(hello_init);
	module_exit(hello_exit);
	MODULE_LICENSE("GPL");
	MODULE_DESCRIPTION("kernel-fetch test module");
	EOF
	echo 'obj-m := hello.o' >"$dir/Kbuild"
	log=$dir/build.log
	# Only bookworm's compiler is on the host; other suites build in a chroot.
	local run=()
	if [ "$SUITE" != bookworm ]; then
		"$PC_ROOT/scripts/chroot.sh" "$SUITE" --kdir "$kdir" >/dev/null || return 1
		run=("$PC_ROOT/scripts/chroot.sh" "$SUITE" --kdir "$kdir" --run)
	fi
	if ! "${run[@]}" make -C "$kdir" M="$dir" modules >"$log" 2>&1 || [ ! -f "$dir/hello.ko" ]; then
		tail -n 30 "$log" >&2
		return 1
	fi
	if grep -qiE 'warning|No such file' "$log"; then
		pc_warn "test build produced warnings:"; grep -iE 'warning|No such file' "$log" >&2
	fi
	# Nothing from outside the cache may be used: catch stray absolute paths.
	if grep -E '/usr/(src|lib/linux-kbuild)' "$dir"/.*.cmd 2>/dev/null |
		grep -vq "$PC_CACHE"; then
		pc_warn "test build referenced host /usr/src or kbuild paths"
		return 1
	fi
}

# --------------------------------------------------------------------------
setup_apt
# One fetch per apt state at a time (parallel CI jobs share the cache).
pc_need flock
exec 9>"$APTDIR/fetch.lock"
if ! flock -n 9; then
	pc_log "waiting for another kernel-fetch using $APTDIR"
	flock 9
fi
refresh_apt
if ! compgen -G "$APTDIR/lists/*Packages*" >/dev/null; then
	fallback "no apt metadata for '$STATE'"
fi
resolve || fallback "cannot resolve $META from apt metadata"
pc_log "label $LABEL -> $KVER ($VER)"

KD=$PC_CACHE/kernels/$KVER
if is_ready "$KVER"; then
	pc_log "cached: $KD"
	mkdir -p "$(dirname "$LABELFILE")"
	emit "$KVER" >"$LABELFILE"
	emit "$KVER"
	exit 0
fi

# ---- download ------------------------------------------------------------
DEBS=$PC_CACHE/debs/$KVER
mkdir -p "$DEBS"
[ "$OFFLINE" != 1 ] || fallback "kernel $KVER not cached and PAGECHECK_OFFLINE=1"
pc_log "downloading ${PKGS[*]}"
rm -f "$DEBS"/*.deb     # leftovers of an interrupted run may be another version
if ! (cd "$DEBS" && apt-get "${APTOPT[@]}" -q download "${PKGS[@]}") >"$DEBS/download.log" 2>&1; then
	sed 's/^/    /' "$DEBS/download.log" | tail -n 10 >&2
	fallback "download of kernel $KVER failed"
fi

# ---- extract ---------------------------------------------------------------
pc_log "extracting into $KD/root"
rm -rf "$KD.tmp"
mkdir -p "$KD.tmp/root"
for p in "${PKGS[@]}"; do
	name=${p%%=*}
	deb=$(find "$DEBS" -maxdepth 1 -name "${name}_*.deb" | head -n1)
	[ -n "$deb" ] || pc_die "downloaded .deb for $name not found in $DEBS"
	dpkg-deb -x "$deb" "$KD.tmp/root"
	echo "$p" >>"$KD.tmp/packages"
done
# Merged-/usr packages (trixie and later) ship usr/lib/modules, and from 7.x
# vmlinuz only as usr/lib/modules/<kver>/vmlinuz: provide the classic paths.
r=$KD.tmp/root
if [ ! -e "$r/lib/modules" ] && [ -e "$r/usr/lib/modules" ]; then
	mkdir -p "$r/lib"
	ln -s ../usr/lib/modules "$r/lib/modules"
fi
[ -e "$r/boot" ] || [ ! -e "$r/usr/boot" ] || ln -s usr/boot "$r/boot"
if [ ! -e "$r/boot/vmlinuz-$KVER" ] && [ -f "$r/usr/lib/modules/$KVER/vmlinuz" ]; then
	mkdir -p "$r/boot"
	ln -s "../usr/lib/modules/$KVER/vmlinuz" "$r/boot/vmlinuz-$KVER"
fi
rm -rf "$KD"
mkdir -p "$(dirname "$KD")"
mv "$KD.tmp" "$KD"
# Paths are rewritten after the final move so they point at $KD.
fixup_headers "$KD/root"

[ -f "$KD/root/boot/vmlinuz-$KVER" ] || pc_die "no vmlinuz-$KVER in packages"
[ -f "$KD/root/usr/src/linux-headers-$KVER/Makefile" ] ||
	pc_die "no headers Makefile for $KVER"

# ---- verify ----------------------------------------------------------------
pc_log "test-building a hello module against $KD/root/usr/src/linux-headers-$KVER"
test_build "$KD/root/usr/src/linux-headers-$KVER" "$KD/hello-test" ||
	pc_die "hello module failed to build against $KVER (see $KD/hello-test/build.log)"
date -u +%FT%TZ >"$KD/ready"
[ "${PAGECHECK_KEEP_DEBS:-0}" = 1 ] || rm -rf "$DEBS"

mkdir -p "$(dirname "$LABELFILE")"
emit "$KVER" >"$LABELFILE"
pc_log "ready: $KVER"
emit "$KVER"
