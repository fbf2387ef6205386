# SPDX-License-Identifier: GPL-2.0
"""Real upstream bad-free bugs (make check-real): the guest's real mode
(tests/guest/real.sh) drives the kernel's own code with pc-real
(tests/workload/pc-real.c); pagecheck and the kernel's bad_page() judge
the same pages. Each label boots twice, and a report's fingerprint must
be the same in both boots."""

import re
from pathlib import Path

import pctest_build
from pctest_common import Status, Verdict, pass_or_fail

# Debian modules the real cases load (guest: /pc/kmod-real/NAME.ko)
MODULES = ["tun"]


def initramfs(kernel, base, out):
    """The real boot's initramfs: base plus the modules of MODULES that the
    kernel does not have built in."""
    d = Path(out) / "kmod-real"
    d.mkdir(parents=True, exist_ok=True)
    files = []
    for name in MODULES:
        dst = pctest_build.kernel_module(kernel, name, d / f"{name}.ko")
        if dst is not None:
            files.append(f"{dst}=pc/kmod-real/{name}.ko")
    return pctest_build.extend_initramfs(Path(out) / "initrd-real.gz", base, files)


# The kernel booted once more with its own checks off (init_on_alloc=0)
UNCHECKED_LABEL = "6.12"
_FIGURE = re.compile(r"^figure: (\S+) fingerprint: ([0-9a-f]+)$")


def fingerprints(verdicts):
    """{case: {fingerprint, ...}} from a boot's figures."""
    found = {}
    for v in verdicts:
        m = _FIGURE.match(v.name) if v.status is Status.INFO else None
        if m:
            found.setdefault(m.group(1), set()).add(m.group(2))
    return found


def judge_runs(prefix, runs):
    """PASS/FAIL Verdicts: every case reported in every boot of runs (each
    a list of Verdicts), with one fingerprint, the same in each boot."""
    seen = [fingerprints(r) for r in runs]
    cases = sorted(set().union(*seen))
    if not cases:
        return [Verdict(Status.FAIL, prefix, "a fingerprint of a real bug",
                        "no boot printed one")]
    out = []
    for case in cases:
        each = [sorted(s.get(case, ())) for s in seen]
        same = all(len(e) == 1 for e in each) and len({e[0] for e in each}) == 1
        out.append(pass_or_fail(same, prefix,
                                f"{case}: the report's fingerprint is the same in "
                                f"{len(runs)} boots" + (f": {each[0][0]}" if same else ""),
                                f"fingerprints per boot: {each}"))
    return out
