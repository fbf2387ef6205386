#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dkms-test.sh [LABEL...]: install pagecheck with DKMS, then as the
# pagecheck-dkms .deb, for Debian kernels (default 6.1 6.12), and remove it
# again. The kernels' headers come from the harness cache and are made
# visible as /lib/modules/<kver>/build; no kernel image is installed.
# Prints PASS/FAIL lines; exits non-zero on any failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$top/VERSION")
labels=("$@")
[ ${#labels[@]} -gt 0 ] || labels=(6.1 6.12)
failed=0
kvers=()
made_links=()
made_dirs=()

result() {
	if [ "$1" = 0 ]; then echo "PASS dkms: $2"; else echo "FAIL dkms: $2"; failed=1; fi
}

cleanup() {
	dkms remove "pagecheck/$version" --all >/dev/null 2>&1
	dpkg --purge pagecheck-dkms >/dev/null 2>&1
	rm -rf "/usr/src/pagecheck-$version"
	for link in "${made_links[@]}"; do
		rm -f "$link"
	done
	# Directories this test created hold only depmod's output: remove them.
	for dir in "${made_dirs[@]}"; do
		rm -rf "$dir"
	done
}
trap cleanup EXIT

installed_nowhere() {
	local k
	[ ! -e "/var/lib/dkms/pagecheck" ] || return 1
	for k in "${kvers[@]}"; do
		[ -z "$(find "/lib/modules/$k" -name 'pagecheck.ko*' 2>/dev/null)" ] || return 1
	done
}

installed_everywhere() {
	local k ko
	for k in "${kvers[@]}"; do
		ko=$(find "/lib/modules/$k/updates/dkms" -name 'pagecheck.ko*' 2>/dev/null | head -n 1)
		[ -n "$ko" ] || { echo "dkms-test: no module for $k" >&2; return 1; }
		[ "$(modinfo -F version "$ko")" = "$version" ] ||
			{ echo "dkms-test: $ko has version $(modinfo -F version "$ko")" >&2; return 1; }
		[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$k" ] || return 1
	done
}

# The version has one source, VERSION; everything else must agree with it.
[ "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")" = "$version" ]
result $? "dkms.conf PACKAGE_VERSION matches VERSION ($version)"
[ "$(cd "$top" && dpkg-parsechangelog -S Version)" = "$version" ]
result $? "debian/changelog version matches VERSION ($version)"

for label in "${labels[@]}"; do
	eval "$("$top/scripts/kernel-fetch.sh" "$label")" || { result 1 "fetch $label"; continue; }
	kvers+=("$KVER")
	if [ ! -e "/lib/modules/$KVER/build" ]; then
		[ -d "/lib/modules/$KVER" ] || made_dirs+=("/lib/modules/$KVER")
		mkdir -p "/lib/modules/$KVER"
		ln -s "$KDIR" "/lib/modules/$KVER/build"
		made_links+=("/lib/modules/$KVER/build")
	fi
done
cleanup_before=$(installed_nowhere && echo clean)
[ "$cleanup_before" = clean ] || { echo "dkms-test: pagecheck is already installed" >&2; exit 1; }

# 1. dkms add / build / install from the source tree, then remove --all.
mkdir -p "/usr/src/pagecheck-$version"
(cd "$top" && tar -cf - Makefile Kbuild VERSION LICENSE dkms.conf src include probes \
	scripts/feature-probes.sh) | tar -xf - -C "/usr/src/pagecheck-$version"
dkms add "pagecheck/$version" >/tmp/dkms-test.log 2>&1
result $? "dkms add pagecheck/$version"
ok=0
for k in "${kvers[@]}"; do
	dkms build "pagecheck/$version" -k "$k" >>/tmp/dkms-test.log 2>&1 || ok=1
	dkms install "pagecheck/$version" -k "$k" >>/tmp/dkms-test.log 2>&1 || ok=1
done
result $ok "dkms build and install for ${kvers[*]}"
installed_everywhere
result $? "module in /lib/modules/<kver>/updates/dkms/ with version $version"
# The build guard: a kernel without CONFIG_DEBUG_FS is refused, with a reason.
fake=0.0.0-pagecheck-no-debugfs
fake_kdir=$(mktemp -d)
cp -as "$KDIR/." "$fake_kdir/"
rm -f "$fake_kdir/.config"
grep -v '^CONFIG_DEBUG_FS=' "$KDIR/.config" >"$fake_kdir/.config"
mkdir -p "/lib/modules/$fake"
ln -sfn "$fake_kdir" "/lib/modules/$fake/build"
dkms build "pagecheck/$version" -k "$fake" >/tmp/dkms-guard.log 2>&1
guard=$?
cat /tmp/dkms-guard.log >>/tmp/dkms-test.log
[ $guard != 0 ] && grep -q 'BUILD_EXCLUSIVE' /tmp/dkms-guard.log
result $? "dkms refuses a kernel without CONFIG_DEBUG_FS and says why"
rm -rf "/lib/modules/$fake" "$fake_kdir" "/var/lib/dkms/pagecheck/$version/$fake"

dkms remove "pagecheck/$version" --all >>/tmp/dkms-test.log 2>&1
rm -rf "/usr/src/pagecheck-$version"
installed_nowhere
result $? "dkms remove --all leaves nothing behind"

# 2. The Debian package.
build=$(mktemp -d)
(cd "$top" && tar -cf - --exclude=.git --exclude=.gen . ) | tar -xf - -C "$build"
(cd "$build" && dpkg-buildpackage -b -us -uc) >>/tmp/dkms-test.log 2>&1
deb=$(ls "$(dirname "$build")"/pagecheck-dkms_"$version"_all.deb 2>/dev/null)
[ -n "$deb" ]
result $? "build pagecheck-dkms_${version}_all.deb"
if [ -n "$deb" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >>/tmp/dkms-test.log 2>&1
	result $? "apt-get install ./pagecheck-dkms_${version}_all.deb"
	installed_everywhere
	result $? "the package's DKMS build installed the module for ${kvers[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get purge -y pagecheck-dkms >>/tmp/dkms-test.log 2>&1
	result $? "apt-get purge pagecheck-dkms"
	installed_nowhere && [ ! -e "/usr/src/pagecheck-$version" ]
	result $? "purge leaves nothing behind"
	rm -f "$deb" "$(dirname "$build")"/pagecheck_"$version"_*.{buildinfo,changes}
fi
rm -rf "$build"
[ $failed = 0 ] || tail -n 30 /tmp/dkms-test.log >&2
exit $failed
