#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio.gz FILE...
#
# Build a tiny busybox initramfs (cpio newc, gzip) for the pagecheck guest.
# Layout inside the image:
#   /init                 tests/guest/init (PID 1)
#   /bin/busybox          host busybox-static, every applet symlinked in /bin
#   /sbin /usr/bin /usr/sbin -> bin
#   /dev/console          char 5:1 (everything else comes from devtmpfs)
#   /proc /sys /tmp /run /root /etc /mnt   empty mount points
#   /pc/bin/NAME          FILE arguments that are ELF executables
#                         (e.g. pc-workload); /pc/bin is on the guest PATH
#   /pc/NAME              every other FILE argument (.ko files, suite.sh,
#                         data); a directory argument is copied recursively
#   /pc/MANIFEST          list of the files above
# FILE may also be given as SRC=DEST to place SRC at /DEST exactly
# (e.g. tests/guest/lib.sh=pc/lib.sh).
# All entries are owned by 0:0 and need no root on the host; mtimes are
# clamped so the image is reproducible for the same inputs.
set -euo pipefail

PC_PROG=mkinitramfs
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || { echo "usage: $0 OUT.cpio.gz FILE..." >&2; exit 2; }
OUT=$1; shift
pc_need cpio gzip find sort

BUSYBOX=${BUSYBOX:-/bin/busybox}
INIT=${PC_INIT:-$PC_ROOT/tests/guest/init}
[ -x "$BUSYBOX" ] || pc_die "$BUSYBOX not found (apt-get install busybox-static)"
# The guest has no libc: busybox must be static.
if LC_ALL=C readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	pc_die "$BUSYBOX is dynamically linked (install busybox-static)"
fi
[ -f "$INIT" ] || pc_die "guest init $INIT not found"

is_elf_exec() {
	[ -f "$1" ] && [ -x "$1" ] && [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]
}

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/pc-initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
R=$STAGE/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,run,root,etc,mnt,pc/bin,usr}
ln -s bin "$R/sbin"; ln -s ../bin "$R/usr/bin"; ln -s ../bin "$R/usr/sbin"
chmod 1777 "$R/tmp"

cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done
install -m 0755 "$INIT" "$R/init"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/:/bin/sh' >"$R/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$R/etc/group"

for arg in "$@"; do
	if [[ $arg == *=* ]]; then
		src=${arg%%=*} dest=${arg#*=}
		dest=/${dest#/}
	else
		src=$arg
		if is_elf_exec "$src" && [[ $src != *.ko ]]; then
			dest=/pc/bin/$(basename "$src")
		else
			dest=/pc/$(basename "$src")
		fi
	fi
	[ -e "$src" ] || pc_die "input file '$src' does not exist"
	mkdir -p "$R$(dirname "$dest")"
	cp -rL "$src" "$R$dest"
	echo "$dest" >>"$R/pc/MANIFEST"
done
touch "$R/pc/MANIFEST"

# A newc entry for the /dev/console node (mknod would need root).
newc_hdr() { # name mode rdevmajor rdevminor
	local n=$1
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		"$((0x7000 + ${#n}))" "$2" 0 0 1 0 0 0 0 "$3" "$4" "$(( ${#n} + 1 ))" 0 "$n"
	# header (110) + name + NUL, padded to a multiple of 4
	local pad=$(( (4 - (110 + ${#n} + 1) % 4) % 4 ))
	head -c "$pad" /dev/zero
}

mkdir -p "$(dirname "$OUT")"
(
	cd "$R"
	find . -mindepth 1 -exec touch -h -d @0 {} + 2>/dev/null || true
	find . -mindepth 1 | LC_ALL=C sort | sed 's#^\./##' |
		cpio -o -H newc --owner=0:0 --quiet --reproducible
	newc_hdr dev/console $((8#020600)) 5 1
	newc_hdr 'TRAILER!!!' 0 0 0
) | gzip -n -9 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
pc_log "wrote $OUT ($(du -k "$OUT" | cut -f1) KiB, $# file(s) in /pc)"
