# SPDX-License-Identifier: GPL-2.0
"""Real upstream bad-free bugs (make check-real): the guest's real mode
(tests/guest/real.sh) drives the kernel's own code with pc-real
(tests/workload/pc-real.c); pagecheck and the kernel's bad_page() judge
the same pages. Each label boots twice, and a report's fingerprint must
be the same in both boots."""

import re
import shutil
import subprocess
from pathlib import Path

import pctest_build
import pctest_kernels
import pctest_source
from pctest_common import Error, Status, Verdict, log, pass_or_fail

# Debian modules the real cases load (guest: /pc/kmod-real/NAME.ko)
MODULES = ["tun", "veth", "xfrm_algo", "xfrm_user", "authenc", "crypto_null", "geniv",
           "echainiv"]

# esp_ssg_unref() with "net: esp: fix bad handling of pages from page_pool"
# (Debian 6.7.9's changelog) and as it was before: a plain put_page().
ESP_FIX = "skb_page_unref(page_to_netmem(sg_page(sg)),\n\t\t\t\t       skb->pp_recycle);"
ESP_BUG = "put_page(sg_page(sg));"


def esp4_reverted(kernel, out):
    """esp4.ko from Debian's linux-source-6.12 of the kernel's version
    with the ESP page_pool fix reverted, built against its headers: (the
    path, "") or (None, why) if no such source is at hand."""
    try:
        tarball = pctest_source.source_tarball(pctest_source.debian_version(kernel))
    except Error as e:
        return None, str(e)
    d = Path(out) / "esp4-reverted"
    stamp = f"{tarball.name} {ESP_BUG}\n"
    if (d / "esp4.ko").is_file() and (d / "stamp").is_file() and \
            (d / "stamp").read_text() == stamp:
        return d / "esp4.ko", ""
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    member = "linux-source-6.12/net/ipv4/esp4.c"
    with open(d / "esp4.c", "wb") as f:
        subprocess.run(["tar", "-xJOf", str(tarball), member], stdout=f, check=True)
    text = (d / "esp4.c").read_text()
    if text.count(ESP_FIX) != 1:
        raise Error(f"{tarball}: {member} does not have the ESP fix where expected")
    (d / "esp4.c").write_text(text.replace(ESP_FIX, ESP_BUG))
    (d / "Kbuild").write_text("obj-m := esp4.o\n")
    pctest_kernels.suite_run(kernel, ["make", "-C", str(kernel.kdir), f"M={d}",
                                      *pctest_kernels.make_arch_args(kernel), "modules"],
                             Path(out) / "esp4-reverted.log", binds=[Path(out)])
    (d / "stamp").write_text(stamp)
    log(f"built {d / 'esp4.ko'}: {member} of {tarball.name}, the ESP fix reverted")
    return d / "esp4.ko", ""


def initramfs(kernel, base, out):
    """The real boot's initramfs: base plus the modules of MODULES that the
    kernel does not have built in, and esp4.ko with the ESP fix reverted
    (or the reason it is missing, in /pc/kmod-real/esp4.missing)."""
    d = Path(out) / "kmod-real"
    d.mkdir(parents=True, exist_ok=True)
    files = []
    for name in MODULES:
        dst = pctest_build.kernel_module(kernel, name, d / f"{name}.ko")
        if dst is not None:
            files.append(f"{dst}=pc/kmod-real/{name}.ko")
    esp4, why = esp4_reverted(kernel, out)
    if esp4:
        files.append(f"{esp4}=pc/kmod-real/esp4-reverted.ko")
    else:
        (d / "esp4.missing").write_text(why + "\n")
        files.append(f"{d / 'esp4.missing'}=pc/kmod-real/esp4.missing")
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
