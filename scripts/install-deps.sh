#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-deps.sh: install (only if missing) the Debian 12 packages the
# pagecheck harness needs. Idempotent, non-interactive, no stdin needed.
# Runs apt-get update only when a package is missing and either there are no
# package lists or the first install attempt failed.
set -euo pipefail

PC_PROG=install-deps
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PKGS=(
	# build: module, workload, kernel headers' host tools
	gcc make libc6-dev binutils bc flex bison libelf-dev libssl-dev pahole
	sparse dpkg-dev
	# the debug kernel (make check-debug): module signing key, build scripts
	openssl perl
	# kernel fetch (apt-get download / dpkg-deb) and keys
	apt debian-archive-keyring ca-certificates xz-utils util-linux
	# initramfs + VM
	busybox-static cpio gzip zstd kmod qemu-system-x86
	# tests
	python3 coreutils findutils procps
	# benchmark peer: bpftrace copied into the guest
	bpftrace
	# DKMS and the Debian package
	dkms debhelper dh-dkms
	# chroots with other suites' compilers (5.10, 7.x)
	mmdebstrap
)

missing=()
for p in "${PKGS[@]}"; do
	# "install ok installed" only; half-installed counts as missing
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	pc_log "all ${#PKGS[@]} packages present"
	exit 0
fi
pc_log "missing: ${missing[*]}"

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || pc_die "not root and no sudo; install: ${missing[*]}"
	SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o Dpkg::Options::=--force-confdef
	-o Dpkg::Options::=--force-confold --no-install-recommends)

# Update first only if there are no package lists at all; otherwise try the
# install and update + retry only if it fails (stale or missing lists).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	pc_log "apt-get update (no package lists)"
	$SUDO apt-get -q update </dev/null >&2 || pc_warn "apt-get update failed"
fi
if ! $SUDO "${APT[@]}" install "${missing[@]}" </dev/null >&2; then
	pc_log "install failed; retrying after apt-get update"
	$SUDO apt-get -q update </dev/null >&2 || true
	$SUDO "${APT[@]}" install "${missing[@]}" </dev/null >&2 ||
		pc_die "apt-get install failed for: ${missing[*]}"
fi
pc_log "installed: ${missing[*]}"
