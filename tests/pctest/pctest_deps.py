# SPDX-License-Identifier: GPL-2.0
"""The Debian packages each target needs, installed only if missing.

apt-get runs quietly: its output is shown only if it fails. It runs
apt-get update only when there are no package lists at all or the first
install attempt failed. Non-interactive; needs root (or sudo -n).
"""
import os
import subprocess

from pctest_common import Error, log, run
from pctest_matrix import (ARCHES, BENCH_KERNELS, CANARY_KERNELS, DEBUG_LABEL, DEFAULT_KERNELS,
                           DKMS_KERNELS, HOST_SUITE, REAL_KERNELS, arch_of, benchmarked,
                           suite_of)

# Building modules against fetched headers, the static guest programs and
# the initramfs.
BUILD = ["gcc", "make", "libc6-dev", "binutils", "bc", "flex", "bison", "libelf-dev",
         "libssl-dev", "pahole", "dpkg-dev", "apt", "debian-archive-keyring",
         "ca-certificates", "xz-utils", "util-linux", "busybox-static", "gzip", "zstd",
         "kmod", "coreutils", "findutils", "procps"]
CHROOTS = ["mmdebstrap"]            # other suites' compilers (5.10, 7.x)
BENCH = ["bpftrace"]                # the benchmark's peer, copied into the guest
DKMS = ["dkms", "debhelper", "dh-dkms"]
FLEET = ["mmdebstrap", "e2fsprogs", "qemu-system-x86"]     # the fleet box
BENCH_STEP, DKMS_STEP = "the reduced benchmark", "the DKMS test"
FLEET_STEP = "the fleet box's install and boot"
# What each command needs whatever its kernels: (why, packages).
TARGETS = {
    "check": [("build", BUILD), ("sparse", ["sparse"]), (BENCH_STEP, BENCH), (DKMS_STEP, DKMS),
              (FLEET_STEP, DKMS + FLEET)],
    # module signing key, build scripts; drgn for scripts/pagecheck-drgn.py
    "check-debug": [("build", BUILD), ("the debug kernel and drgn",
                                       ["openssl", "perl", "python3-drgn"])],
    "bench": [("build", BUILD), ("the benchmark", BENCH)],
    "demo": [("build", BUILD)],
    "real": [("build", BUILD)],
    "dkms": [("build", BUILD), ("the DKMS test", DKMS)],
    "fleet": [("build", BUILD), ("the packages", DKMS),
              ("the fleet box", FLEET)],
    "test-harness": [("the driver's unit tests", ["python3-pytest"]),
                     ("the tests of the guest's reports.json helpers", ["jq"]),
                     ("the tests of pagecheck-exporter", ["jq"])],
}
# The commands that boot their kernels in QEMU.
BOOTS = {"check", "check-debug", "bench", "demo", "real"}


def default_labels(target):
    """The kernels a command takes when given none."""
    kernels = os.environ.get("KERNELS")
    kernels = DEFAULT_KERNELS if kernels is None else kernels.split()
    canaries = os.environ.get("CANARY")
    canaries = CANARY_KERNELS if canaries is None else canaries.split()
    return {"check": kernels + canaries, "check-debug": [DEBUG_LABEL, "6.1"],
            "bench": [l for l in kernels if benchmarked(l)], "demo": ["6.1"],
            "real": REAL_KERNELS,
            "dkms": DKMS_KERNELS, "test-harness": []}[target]


def label_needs(name, boots):
    """(why, packages) a kernel of the matrix needs: a cross compiler for a
    foreign architecture, a chroot for another suite than the host's, and
    the architecture's QEMU if it boots."""
    arch = ARCHES[arch_of(name)]
    needs = []
    if arch.foreign:
        needs.append((f"build for {arch.name}", list(arch.cross_packages)))
    if suite_of(name) != HOST_SUITE:
        needs.append(("build in other suites' chroots", CHROOTS))
    if boots:
        needs.append((f"boot {arch.name}", [arch.qemu_package]))
    return needs


def needs(target, labels=None):
    """(why, packages) of a command on its kernels (default_labels()),
    each package once; check leaves out what BENCH=0, DKMS=0 or FLEET=0
    skip."""
    if labels is None:
        labels = default_labels(target)
    skipped = set()        # the steps of check that BENCH=0, DKMS=0, FLEET=0 skip
    if target == "check":
        if os.environ.get("BENCH", "1") == "0" or not set(BENCH_KERNELS) & set(labels):
            skipped.add(BENCH_STEP)
        if os.environ.get("DKMS", "1") == "0":
            skipped.add(DKMS_STEP)
        if os.environ.get("FLEET", "1") == "0":
            skipped.add(FLEET_STEP)
    grouped = {}        # why -> (packages, labels)
    for why, pkgs in TARGETS[target]:
        if why not in skipped:
            grouped[why] = (pkgs, [])
    for name in labels:
        for why, pkgs in label_needs(name, target in BOOTS):
            grouped.setdefault(why, (pkgs, []))[1].append(name)
    seen, out = set(), []
    for why, (pkgs, names) in grouped.items():
        fresh = [p for p in pkgs if p not in seen]
        seen.update(fresh)
        if fresh:
            out.append((f"{why} ({', '.join(names)})" if names else why, fresh))
    return out


def wanted(target, labels=None):
    """The packages of needs(), in order."""
    return [p for _, pkgs in needs(target, labels) for p in pkgs]


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
    """Install what target needs on labels and is missing, saying in one
    line which packages and why."""
    reasons = needs(target, labels)
    pkgs = [p for _, group in reasons for p in group]
    todo = missing(pkgs)
    if not todo:
        log(f"all {len(pkgs)} package{'s' if len(pkgs) != 1 else ''} for {target} present")
        return
    log(f"installing for {target}: " + "; ".join(
        f"{why}: {' '.join(p for p in group if p in todo)}"
        for why, group in reasons if set(group) & set(todo)))
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
