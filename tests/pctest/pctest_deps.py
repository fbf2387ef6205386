# SPDX-License-Identifier: GPL-2.0
"""The Debian packages each target needs, installed only if missing.

apt-get runs quietly: its output is shown only if it fails. It runs
apt-get update only when there are no package lists at all or the first
install attempt failed. Non-interactive; needs root (or sudo -n).
"""
import os
import subprocess

from pctest_common import Error, log, run
from pctest_matrix import ARCHES, DEFAULT_KERNELS, LABELS

# Building modules against fetched headers, the static guest programs and
# the initramfs, and booting it.
BASE = ["gcc", "make", "libc6-dev", "binutils", "bc", "flex", "bison", "libelf-dev",
        "libssl-dev", "pahole", "dpkg-dev", "apt", "debian-archive-keyring",
        "ca-certificates", "xz-utils", "util-linux", "busybox-static", "gzip", "zstd",
        "kmod", "coreutils", "findutils", "procps", ARCHES["amd64"].qemu_package]
CHROOTS = ["mmdebstrap"]            # other suites' compilers (5.10, 7.x)
BENCH = ["bpftrace"]                # the benchmark's peer, copied into the guest
DKMS = ["dkms", "debhelper", "dh-dkms"]
TARGETS = {
    "check": BASE + ["sparse"] + CHROOTS + BENCH + DKMS,
    # module signing key, build scripts; drgn for scripts/pagecheck-drgn.py
    "check-debug": BASE + ["openssl", "perl", "python3-drgn"],
    "bench": BASE + CHROOTS + BENCH,
    "demo": BASE,
    "dkms": BASE + DKMS,
    "test-harness": ["python3-pytest"],
}


def arch_packages(labels):
    """Cross compilers and emulators for the foreign labels among labels."""
    pkgs = []
    for name in labels:
        lab = next((l for l in LABELS if l.name == name), None)
        arch = ARCHES.get(lab.arch) if lab else None
        if arch and arch.foreign:
            pkgs += [p for p in (*arch.cross_packages, arch.qemu_package) if p not in pkgs]
    return pkgs


def wanted(target, labels=None):
    """The packages of target; check leaves out what BENCH=0 or DKMS=0 skip.
    labels (default: KERNELS, else the default matrix) add what foreign
    architectures need."""
    pkgs = list(TARGETS[target])
    if labels is None:
        labels = os.environ.get("KERNELS", " ".join(DEFAULT_KERNELS)).split()
    pkgs += [p for p in arch_packages(labels) if p not in pkgs]
    if target == "check":
        if os.environ.get("BENCH", "1") == "0":
            pkgs = [p for p in pkgs if p not in BENCH]
        if os.environ.get("DKMS", "1") == "0":
            pkgs = [p for p in pkgs if p not in DKMS]
    return pkgs


def missing(pkgs):
    """Packages not fully installed ("install ok installed")."""
    res = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\\n", *pkgs],
                         capture_output=True, text=True)
    ok = {line.split()[0] for line in res.stdout.splitlines()
          if line.endswith(" install ok installed")}
    return [p for p in pkgs if p not in ok]


def _apt(args, sudo):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return run([*sudo, "apt-get", *args], env=env, check=False)


def install(target, labels=None):
    pkgs = wanted(target, labels)
    todo = missing(pkgs)
    if not todo:
        log(f"all {len(pkgs)} packages for {target} present")
        return
    log(f"installing for {target}: {' '.join(todo)}")
    sudo = []
    if os.geteuid() != 0:
        if not subprocess.run(["sh", "-c", "command -v sudo"], capture_output=True).returncode:
            sudo = ["sudo", "-n"]
        else:
            raise Error(f"not root and no sudo; install: {' '.join(todo)}")
    get = ["-y", "-q", "-o", "Dpkg::Options::=--force-confdef",
           "-o", "Dpkg::Options::=--force-confold", "--no-install-recommends", "install", *todo]
    output = []
    if not any(n.endswith("_Packages") or "_Packages." in n
               for n in os.listdir("/var/lib/apt/lists")):
        res = _apt(["-q", "update"], sudo)
        output.append(res.stdout + res.stderr)
    res = _apt(get, sudo)
    if res.returncode != 0:
        output.append(res.stdout + res.stderr)
        upd = _apt(["-q", "update"], sudo)
        output.append(upd.stdout + upd.stderr)
        res = _apt(get, sudo)
        if res.returncode != 0:
            output.append(res.stdout + res.stderr)
            raise Error("apt-get install failed for: %s\n%s"
                        % (" ".join(todo), "".join(output)[-4000:]))
    log(f"installed: {' '.join(todo)}")
