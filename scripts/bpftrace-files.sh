#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bpftrace-files.sh
#
# Print, one per line, the SRC=DEST arguments for scripts/mkinitramfs.sh
# that put the host's bpftrace into the busybox guest:
#   SRC=bin/bpftrace                         the binary (/usr/bin -> bin)
#   SRC=lib64/ld-linux-x86-64.so.2           its ELF interpreter
#   SRC=lib/x86_64-linux-gnu/SONAME          every library ldd lists (22)
#   SRC=usr/include/...                      <linux/types.h> and what it
#                                            includes (linux-libc-dev, 11
#                                            files, 10 KB), see below
# Nothing else is needed at run time: glibc's built-in search path covers
# /lib/x86_64-linux-gnu (no /etc/ld.so.cache), bpftrace carries its own
# clang builtin headers, and what it reads from the system (/proc/kallsyms,
# tracefs event formats, /sys/kernel/btf/vmlinux) comes from the guest
# kernel. Kernel headers (/lib/modules/*/build) are only needed by programs
# that #include them.
# Why <linux/types.h>: bpftrace compiles a C struct for every tracepoint's
# args. With kernel BTF it takes the types from BTF; without, its built-in
# clang_workarounds.h does #include <linux/types.h>. bpftrace 0.17 looks
# vmlinux BTF up among the kernel's loaded BTF objects by name (most likely
# why it needs 5.11+, where BTF objects got names): on 5.10 "bpftrace
# --info" says "btf: no" although /sys/kernel/btf/vmlinux exists, and
# without these headers every tracepoint program fails with
#   clang_workarounds.h:14:10: fatal error: 'linux/types.h' file not found
# (BPFTRACE_BTF=/sys/kernel/btf/vmlinux in the environment also fixes it.)
# With bookworm's bpftrace 0.17 (LLVM/clang 14) the files total 209 MB
# (libLLVM 110 MB, libicudata 31, libclang 31, libz3 23), 70 MB in the
# gzip -9 initramfs, which then takes ~27 s to build.
#
# Usage:
#   mapfile -t BT < <(scripts/bpftrace-files.sh)
#   scripts/mkinitramfs.sh out.cpio.gz ... "${BT[@]}"
# Env: BPFTRACE (default: bpftrace on PATH).
# Exit: 1 with a message on stderr if bpftrace is missing or a library
# cannot be resolved.
set -euo pipefail

PC_PROG=bpftrace-files
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BPFTRACE=${BPFTRACE:-$(command -v bpftrace 2>/dev/null || true)}
if [ -z "$BPFTRACE" ]; then
	pc_die "bpftrace is not installed (apt-get install bpftrace)"
elif [ ! -x "$BPFTRACE" ]; then
	pc_die "BPFTRACE=$BPFTRACE is not an executable"
fi
pc_need ldd readelf cpp

interp=$(LC_ALL=C readelf -l "$BPFTRACE" |
	sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')

# ldd runs the loader on the binary; any "not found" is fatal.
libs=$(LC_ALL=C ldd "$BPFTRACE") || pc_die "ldd $BPFTRACE failed"
if grep -q 'not found' <<<"$libs"; then
	pc_die "unresolved libraries for $BPFTRACE: $(grep 'not found' <<<"$libs" | tr -s ' \t\n' ' ')"
fi

echo "$BPFTRACE=bin/bpftrace"
if [ -n "$interp" ]; then
	[ -e "$interp" ] || pc_die "ELF interpreter $interp not found"
	echo "$interp=${interp#/}"
fi
# "soname => /path (addr)"; the interpreter line and vdso have no "=>".
# DEST keeps the soname in /lib/x86_64-linux-gnu whatever directory the
# host resolved it in (mkinitramfs copies with -L, so symlinks are fine).
awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$libs" | LC_ALL=C sort -u |
while read -r soname path; do
	echo "$path=lib/x86_64-linux-gnu/$soname"
done

# <linux/types.h> closure, as the host's preprocessor resolves it with the
# include path bpftrace gives clang (/usr/include, /usr/include/<triplet>).
hdrs=$(echo '#include <linux/types.h>' |
	LC_ALL=C cpp -M -nostdinc -isystem /usr/include \
		-isystem /usr/include/x86_64-linux-gnu - 2>/dev/null) ||
	pc_die "cannot preprocess <linux/types.h> (apt-get install linux-libc-dev)"
sed -e 's/^-://' -e 's/\\$//' <<<"$hdrs" | tr -s '[:blank:]' '\n' |
while read -r h; do
	if [ -n "$h" ]; then echo "$h=${h#/}"; fi
done
