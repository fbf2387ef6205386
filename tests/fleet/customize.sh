#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mmdebstrap --customize-hook for the fleet box (tests/pctest/pctest_fleet.py):
#   customize.sh ROOT FLEET_DIR
# ROOT is the new system, FLEET_DIR this directory. It makes the system
# boot from a virtio disk labelled fleetroot with systemd, installs the
# step runner (pc-fleet-step), and keeps the kernel upgrade's packages (bookworm-backports)
# in /var/local/pagecheck-fleet/upgrade for an offline apt-get install.
set -eu
root=$1
fleet=$2

echo fleet >"$root/etc/hostname"
echo "LABEL=fleetroot / ext4 defaults,errors=remount-ro 0 1" >"$root/etc/fstab"
chroot "$root" passwd -d root >/dev/null

# The step runner and its unit: one step a boot, then poweroff. The step
# itself (step.sh) comes on the payload disk, so a change to it needs no
# new image.
install -m 0755 "$fleet/pc-fleet-step" "$root/usr/local/sbin/pc-fleet-step"
install -m 0644 "$fleet/pc-fleet-step.service" "$root/etc/systemd/system/"
chroot "$root" systemctl enable pc-fleet-step.service >/dev/null 2>&1

# What a test box does not need and TCG pays for at every boot.
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer \
	man-db.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1

# The upgrade's packages, and only them, for apt-get install --no-download.
mkdir -p "$root/var/local/pagecheck-fleet/upgrade"
chroot "$root" apt-get -q -o Dir::Cache::Archives=/var/local/pagecheck-fleet/upgrade \
	--download-only -y -t bookworm-backports install linux-image-amd64 linux-headers-amd64 \
	>/dev/null
rm -rf "$root/var/local/pagecheck-fleet/upgrade/partial" \
	"$root/var/local/pagecheck-fleet/upgrade/lock"
ls "$root/var/local/pagecheck-fleet/upgrade" | grep -q '^linux-image-6\.12' || {
	echo "customize.sh: no 6.12 linux-image in bookworm-backports" >&2
	exit 1
}
