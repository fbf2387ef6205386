#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--rebuild | --config-only]
#
# Build once, and then reuse from the cache, a debug kernel for the QEMU TCG
# tests: Debian's linux-source-6.12 (bookworm-security / bookworm-backports),
# "make x86_64_defconfig" plus tests/debug/debug.config (KASAN, PROVE_LOCKING,
# DEBUG_VM, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, KFENCE; everything built in),
# compiled with the host's gcc-12. Prints shell-sourceable lines like
# kernel-fetch.sh:
#
#   KVER=<uname -r>  VMLINUZ=<bzImage>  KDIR=<built tree, for M= builds>
#   MODDIR=<lib/modules/KVER>  SUITE=bookworm  CONFIG=<.config>
#   SRCVER=<Debian version of linux-source-6.12>
#
#   --rebuild      build again even if the cache has this kernel
#   --config-only  only generate and check the .config; prints CONFIG=<path>
#
# The cache key is the linux-source version plus a hash of the fragment, the
# base defconfig, the compiler and this script's build recipe, so changing
# any of them builds a new kernel. The build runs in a temporary directory
# that is renamed into place only after the kernel built and a test module
# built against it. Progress goes to stderr; heavy steps run under nice.
#
# Cache layout (${PAGECHECK_CACHE:-~/.cache/pagecheck}):
#   apt/bookworm/                 kernel-fetch.sh's apt state (its lists and
#                                 lock are shared; it creates the state)
#   debug-kernel/src/*.tar.xz     the linux-source tarball (current version)
#   debug-kernel/<ver>-<hash>/    linux/ (KDIR, bzImage), root/lib/modules,
#                                 config, build.log, env, ready
#   debug-kernel/.tmp-*           a build in progress
#
# Environment: PAGECHECK_CACHE, PAGECHECK_OFFLINE=1 (no network: use a cached
#   build or tarball), PAGECHECK_APT_MAX_AGE (seconds, default 86400),
#   PAGECHECK_DEBUG_SRCVER (pin the linux-source-6.12 version),
#   PAGECHECK_DEBUG_JOBS (make -j, default nproc), PAGECHECK_DEBUG_KEEP
#   (builds kept in the cache, default 2), PAGECHECK_NICE (default 19).
set -euo pipefail

PC_PROG=debug-kernel
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '4p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

MODE=build
case ${1-} in
'') ;;
--rebuild) MODE=rebuild ;;
--config-only) MODE=config ;;
*) usage ;;
esac
[ $# -le 1 ] || usage

# Bump when the build steps below change in a way that changes the result.
RECIPE=1
SRCPKG=linux-source-6.12
BASE=x86_64_defconfig
FRAG=$PC_ROOT/tests/debug/debug.config
SUITE=bookworm

OFFLINE=${PAGECHECK_OFFLINE:-0}
MAX_AGE=${PAGECHECK_APT_MAX_AGE:-86400}
JOBS=${PAGECHECK_DEBUG_JOBS:-$(nproc)}
KEEP=${PAGECHECK_DEBUG_KEEP:-2}
NICE=(nice -n "${PAGECHECK_NICE:-19}")
DK=$PC_CACHE/debug-kernel
APTDIR=$PC_CACHE/apt/bookworm

pc_need apt-get apt-cache dpkg dpkg-deb flock tar xz make gcc bc bison flex \
	openssl perl sha256sum awk
for h in gelf.h openssl/opensslv.h; do
	[ -f "/usr/include/$h" ] ||
		pc_die "/usr/include/$h missing (libelf-dev, libssl-dev: run scripts/install-deps.sh)"
done
[ -f "$FRAG" ] || pc_die "config fragment $FRAG not found"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || pc_die "PAGECHECK_DEBUG_JOBS must be a positive integer"

# The part of the cache key that is not the source version.
HASH=$({
	echo "recipe $RECIPE base $BASE"
	gcc --version | head -n1
	cat "$FRAG"
} | sha256sum | cut -c1-12)

mkdir -p "$DK/src"
exec 8>"$DK/lock"
if ! flock -n 8; then
	pc_log "waiting for another debug-kernel build"
	flock 8
fi
# Holding the lock: any temporary build directory is a leftover.
rm -rf "$DK"/.tmp-* "$DK"/src/.dl-*

# ---- which linux-source version ---------------------------------------------
# Newest version in the cached tarballs (offline fallback).
cached_srcver() {
	local f v best=''
	for f in "$DK/src/$SRCPKG"_*.tar.xz; do
		if [ ! -f "$f" ] || [ ! -f "$f.version" ]; then continue; fi
		v=$(<"$f.version")
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	[ -n "$best" ] && echo "$best"
}

# kernel-fetch.sh creates its bookworm apt state (which has bookworm-backports
# and bookworm-security) the first time; it takes the state's lock itself.
apt_bootstrap() {
	if [ ! -f "$APTDIR/apt.conf" ] || ! compgen -G "$APTDIR/lists/*Packages*" >/dev/null; then
		pc_log "no bookworm apt state yet: creating it with kernel-fetch.sh 6.12"
		"$PC_ROOT/scripts/kernel-fetch.sh" 6.12 >/dev/null || return 1
	fi
	[ -f "$APTDIR/apt.conf" ]
}

# Use that state; refresh it if it is older than MAX_AGE. Call with the
# state's lock held.
apt_refresh() {
	local age
	export APT_CONFIG=$APTDIR/apt.conf
	APTOPT=(-o "Dir::Etc::SourceList=$APTDIR/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$APTDIR/lists"
		-o "Dir::Cache=$APTDIR/cache"
		-o "Acquire::Check-Valid-Until=false")
	age=$(pc_age_seconds "$APTDIR/updated")
	[ "$age" -ge "$MAX_AGE" ] || return 0
	[ "$(pc_age_seconds "$APTDIR/update-failed")" -ge 3600 ] || return 0
	pc_log "refreshing apt metadata for bookworm (age ${age}s)"
	if apt-get "${APTOPT[@]}" -q update >"$APTDIR/update.log" 2>&1 &&
		! grep -qE '^E: |^W: (Failed to fetch|Some index files)' "$APTDIR/update.log"; then
		touch "$APTDIR/updated"
		rm -f "$APTDIR/update-failed"
	else
		touch "$APTDIR/update-failed"
		pc_warn "apt-get update failed (see $APTDIR/update.log); using old lists"
	fi
}

# Newest linux-source-6.12 in the lists (security, backports or main).
apt_srcver() {
	local v best=''
	while read -r v; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done < <(apt-cache "${APTOPT[@]}" madison "$SRCPKG" 2>/dev/null |
		awk -F'|' -v n="$SRCPKG" '{ gsub(/ /, "") } $1 == n { print $2 }')
	[ -n "$best" ] && echo "$best"
}

tarball() { echo "$DK/src/${SRCPKG}_$(tr -c 'A-Za-z0-9.+\n-' '_' <<<"$1").tar.xz"; }

# Download linux-source-6.12=$1 and keep only its tarball.
fetch_source() {
	local ver=$1 dl deb tb
	tb=$(tarball "$ver")
	dl=$(mktemp -d "$DK/src/.dl-XXXXXX")
	pc_log "downloading $SRCPKG=$ver"
	if ! (cd "$dl" && apt-get "${APTOPT[@]}" -q download "$SRCPKG=$ver") >"$dl/download.log" 2>&1; then
		sed 's/^/    /' "$dl/download.log" | tail -n 10 >&2
		rm -rf "$dl"
		return 1
	fi
	deb=$(find "$dl" -maxdepth 1 -name "${SRCPKG}_*.deb" | head -n1)
	[ -n "$deb" ] || { rm -rf "$dl"; return 1; }
	dpkg-deb -x "$deb" "$dl/x"
	[ -f "$dl/x/usr/src/$SRCPKG.tar.xz" ] ||
		pc_die "$deb has no usr/src/$SRCPKG.tar.xz"
	echo "$ver" >"$tb.version"
	mv "$dl/x/usr/src/$SRCPKG.tar.xz" "$tb"
	rm -rf "$dl"
}

PIN=${PAGECHECK_DEBUG_SRCVER:-}
SRCVER=$PIN
APTOPT=()
if [ "$OFFLINE" != 1 ] && { apt_bootstrap || { pc_warn "no usable apt state"; false; }; }; then
	# Share kernel-fetch.sh's lock while apt's lists and cache are in use.
	exec 9>"$APTDIR/fetch.lock"
	flock 9
	apt_refresh
	[ -n "$SRCVER" ] || SRCVER=$(apt_srcver) || pc_warn "$SRCPKG not in the apt lists"
	if [ -n "$SRCVER" ] && [ ! -f "$(tarball "$SRCVER")" ] && { [ "$MODE" != build ] ||
		[ ! -f "$DK/$(tr -c 'A-Za-z0-9.+\n-' '_' <<<"$SRCVER")-$HASH/ready" ]; }; then
		if ! fetch_source "$SRCVER"; then
			pc_warn "download of $SRCPKG=$SRCVER failed"
			[ -n "$PIN" ] || SRCVER=''
		fi
	fi
	exec 9>&-
fi
if [ -z "$SRCVER" ]; then
	SRCVER=$(cached_srcver) || pc_die "no $SRCPKG version from apt and none cached"
	pc_warn "using cached $SRCPKG $SRCVER"
fi
KEY=$(tr -c 'A-Za-z0-9.+\n-' '_' <<<"$SRCVER")-$HASH
OUT=$DK/$KEY

emit() {
	cat "$OUT/env"
}

if [ "$MODE" = build ] && [ -f "$OUT/ready" ] && [ -f "$OUT/env" ]; then
	pc_log "cached: $OUT"
	emit
	exit 0
fi
TB=$(tarball "$SRCVER")
[ -f "$TB" ] || pc_die "$SRCPKG $SRCVER is not cached and could not be downloaded"

# ---- configure ---------------------------------------------------------------
T=$(mktemp -d "$DK/.tmp-$KEY.XXXXXX")
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
S=$T/linux
pc_log "unpacking $(basename "$TB") into $T"
"${NICE[@]}" tar -xJf "$TB" -C "$T"
mv "$T/$SRCPKG" "$S"
LOG=$T/build.log
: >"$LOG"

kmake() {
	"${NICE[@]}" make -C "$S" "$@" >>"$LOG" 2>&1 || {
		tail -n 40 "$LOG" >&2
		cp -f "$LOG" "$DK/failed-build.log"
		pc_die "make $* failed (log: $DK/failed-build.log)"
	}
}

pc_log "configuring: $BASE + ${FRAG#"$PC_ROOT"/}"
kmake "$BASE"
(cd "$S" && scripts/kconfig/merge_config.sh -m .config "$FRAG") >>"$LOG" 2>&1 || {
	cp -f "$LOG" "$DK/failed-build.log"
	pc_die "merge_config.sh failed (log: $DK/failed-build.log)"
}
kmake olddefconfig

# Every value the fragment sets must have survived olddefconfig; an option
# it disables that something else selects is only worth a warning.
check_config() {
	awk '
	FNR == NR {
		if (match($0, /^CONFIG_[A-Za-z0-9_]+=/)) {
			k = substr($0, 1, RLENGTH - 1); want[k] = substr($0, RLENGTH + 1)
		} else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set/) {
			off[$2] = 1
		}
		next
	}
	match($0, /^CONFIG_[A-Za-z0-9_]+=/) {
		k = substr($0, 1, RLENGTH - 1); have[k] = substr($0, RLENGTH + 1)
		if (have[k] == "m") mods = mods " " k
	}
	END {
		for (k in want) {
			v = (k in have) ? have[k] : "not set"
			if (v != want[k]) print "error " k "=" want[k] " requested, got " v
		}
		for (k in off)
			if (k in have && have[k] != "n") print "warn " k "=" have[k] " (selected elsewhere)"
		if (mods != "") print "warn modular (=m), not in the image:" mods
	}' "$FRAG" "$S/.config"
}
bad=0
while read -r level msg; do
	if [ "$level" = error ]; then pc_warn "config: $msg"; bad=1; else pc_log "config note: $msg"; fi
done < <(check_config)
[ "$bad" = 0 ] || pc_die "the fragment's settings did not survive olddefconfig (fix $FRAG)"
cp "$S/.config" "$T/config"

if [ "$MODE" = config ]; then
	mkdir -p "$DK/config-only"
	cp "$T/config" "$DK/config-only/$KEY.config"
	pc_log "config checked: $DK/config-only/$KEY.config"
	echo "CONFIG=$DK/config-only/$KEY.config"
	exit 0
fi

# ---- build ---------------------------------------------------------------------
# "all" = vmlinux + bzImage + modules; with no =m entries "modules" just runs
# modpost, which writes the Module.symvers that M= builds need.
pc_log "building $SRCPKG $SRCVER (make -j$JOBS all, ${NICE[*]}; log: $LOG)"
t0=$SECONDS
kmake -j"$JOBS" all
pc_log "built in $(( (SECONDS - t0) / 60 ))m$(( (SECONDS - t0) % 60 ))s"
KVER=$(cat "$S/include/config/kernel.release")
BZ=$S/arch/x86/boot/bzImage
[ -f "$BZ" ] || pc_die "no bzImage after the build"
[ -f "$S/Module.symvers" ] || pc_die "no Module.symvers after the build"
[[ $KVER == *-pcdebug* ]] || pc_die "unexpected kernel release '$KVER'"
kmake INSTALL_MOD_PATH="$T/root" DEPMOD=/sbin/depmod modules_install
# modules_install may leave a link to the temporary tree
rm -f "$T/root/lib/modules/$KVER/build" "$T/root/lib/modules/$KVER/source"

# ---- verify: a trivial module builds against the tree, without warnings --------
pc_log "test-building a hello module against the tree"
h=$T/hello-test
mkdir -p "$h"
cat >"$h/hello.c" <<-'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init hello_init(void) { pr_info("hello\n"); return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("debug-kernel test module");
EOF
echo 'obj-m := hello.o' >"$h/Kbuild"
if ! "${NICE[@]}" make -C "$S" M="$h" modules >"$h/build.log" 2>&1 || [ ! -f "$h/hello.ko" ]; then
	tail -n 30 "$h/build.log" >&2
	pc_die "hello module failed to build against the debug kernel"
fi
if grep -qiE 'warning|No such file' "$h/build.log"; then
	pc_warn "test build produced warnings:"
	grep -iE 'warning|No such file' "$h/build.log" >&2
fi
rm -rf "$h"

# ---- publish -----------------------------------------------------------------
{
	echo "KVER=$KVER"
	echo "VMLINUZ=$OUT/linux/arch/x86/boot/bzImage"
	echo "KDIR=$OUT/linux"
	echo "MODDIR=$OUT/root/lib/modules/$KVER"
	echo "SUITE=$SUITE"
	echo "CONFIG=$OUT/config"
	echo "SRCVER=$SRCVER"
} >"$T/env"
date -u +%FT%TZ >"$T/ready"
# An unfinished or --rebuild'ed one is moved aside (a leftover .tmp-* is
# removed by the next run), so $OUT is complete whenever it exists.
[ ! -e "$OUT" ] || mv "$OUT" "$T.old"
mv "$T" "$OUT"
trap - EXIT
rm -rf "$T.old"
pc_log "ready: $KVER in $OUT (bzImage $(du -h "$OUT/linux/arch/x86/boot/bzImage" | cut -f1), tree $(du -sh "$OUT" | cut -f1))"

# ---- prune: keep the newest KEEP builds and the current tarball -------------------
n=0
while read -r d; do
	n=$((n + 1))
	if [ "$n" -gt "$KEEP" ] && [ "$d" != "$OUT" ]; then
		pc_log "pruning old build $d"
		rm -rf "$d"
	fi
done < <(for r in "$DK"/*/ready; do
	[ -f "$r" ] && echo "$(stat -c %Y "$r") ${r%/ready}"
done | sort -rn | cut -d' ' -f2-)
for f in "$DK/src/$SRCPKG"_*.tar.xz; do
	[ -f "$f" ] && [ "$f" != "$TB" ] && rm -f "$f" "$f.version"
done
rm -rf "$DK/config-only"

emit
