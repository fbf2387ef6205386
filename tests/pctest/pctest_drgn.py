# SPDX-License-Identifier: GPL-2.0
"""scripts/pagecheck-drgn.py against a real dump, where Debian's debug
package of the kernel can be had (linux-image-<kver>-dbg, about 860 MB).

The guest (suite.sh drgn-dump) makes three reports and prints
reports.json; the host then dumps the guest's memory with QEMU's
dump-guest-memory (ELF, VMCOREINFO from the guest's fw_cfg
driver) and runs the script with drgn over the dump, the package's
vmlinux and the pagecheck.ko the guest loaded. Every report must come
out as reports.json showed it."""

import json
import shutil
from pathlib import Path

import pctest_build
import pctest_kernels
import pctest_matrix
import pctest_vm
from pctest_apt import AptState
from pctest_common import ROOT, Error, Status, Verdict, cache, failed, log, run
from pctest_matrix import Boot
from pctest_panic import guest_reports, sayer

SCRIPT = ROOT / "scripts" / "pagecheck-drgn.py"
BOOT = Boot("drgn", "drgn-dump", smp=2, mem=768, timeout=900)
# The keys the script prints, compared with reports.json (stack: names).
KEYS = ["id", "count", "first_ns", "last_ns", "pfn", "order", "compound", "last_pfn",
        "last_order", "reasons", "flags", "mapping", "mapcount", "refcount", "memcg_data",
        "cpu", "pid", "comm", "context", "fingerprint"]


def debug_vmlinux(kernel):
    """The kernel's vmlinux with DWARF, from its -dbg package, extracted
    once into the cache (only that file is kept)."""
    dest = cache() / "dbg" / kernel.kver / "vmlinux"
    if dest.is_file():
        return dest
    apt = AptState(pctest_matrix.label(kernel.label).state)
    pkg = f"linux-image-{kernel.kver}-dbg"
    tmp = dest.parent.with_name(dest.parent.name + ".tmp")
    with apt.lock():
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        log(f"downloading {pkg} (about 860 MB)")
        apt.download([pkg], tmp, tmp / "download.log")
        debs = sorted(tmp.glob(f"{pkg}_*.deb"))
        if not debs:
            raise Error(f"no {pkg} .deb after the download")
        member = f"./usr/lib/debug/boot/vmlinux-{kernel.kver}"
        log(f"extracting {member}")
        run(["sh", "-ec", 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "$3"', "sh",
             debs[0], tmp, member])
        (tmp / member).rename(tmp / "vmlinux")
        for deb in debs:
            deb.unlink()
        shutil.rmtree(tmp / "usr")
        shutil.rmtree(dest.parent, ignore_errors=True)
        tmp.rename(dest.parent)
    return dest


def fw_cfg_module(kernel):
    """qemu_fw_cfg.ko of the kernel's package: it hands QEMU the address of
    VMCOREINFO, which drgn needs to read a dump."""
    found = sorted(Path(kernel.moddir).rglob("qemu_fw_cfg.ko*"))
    if not found:
        raise Error(f"no qemu_fw_cfg.ko under {kernel.moddir}")
    if found[0].suffix != ".ko":
        raise Error(f"{found[0]}: compressed modules are not handled")
    return found[0]


def same_frames(found, kallsyms):
    """drgn names the function (ELF symbols with a size); kallsyms may name
    a label inside it (entry_SYSCALL_64_after_hwframe in entry_SYSCALL_64)."""
    return len(found) == len(kallsyms) and all(
        f == k or k.startswith(f + "_") for f, k in zip(found, kallsyms))


def judge(prefix, guest, dump, lines, errors):
    out = []
    say = sayer(out, prefix)
    before = guest_reports(guest)
    say(before is not None and len(before) == 3, "the guest read 3 reports before the dump",
        "no reports.json between @@BEGIN and @@END" if before is None else f"{len(before)}")
    say(dump, "QEMU dumped the guest's memory (dump-guest-memory, ELF)")
    if not dump or before is None:
        return out
    try:
        printed = [json.loads(l) for l in lines]
    except ValueError as e:
        say(False, "drgn: the script prints one JSON line per report", f"{e}; {errors[-300:]}")
        return out
    say(len(printed) == len(before), "drgn: the script prints one JSON line per report",
        f"{len(printed)} lines for {len(before)} reports; {errors[-300:]}")
    want = {r["id"]: r for r in before}
    differ = []
    for r in printed:
        w = want.get(r.get("id"), {})
        names = [f.split("+")[0] for f in w.get("stack", [])]
        if [k for k in KEYS if r.get(k) != w.get(k)] or \
                not same_frames(r.get("stack", []), names):
            differ.append(r.get("id"))
    missing = sorted(set(want) - {r.get("id") for r in printed})
    say(not differ and not missing, "drgn: every report from the dump equals reports.json "
        f"({', '.join(KEYS)}, the stack's function names)",
        f"ids that differ: {differ}, missing: {missing}")
    return out


def test(label):
    """PASS/FAIL Verdicts of the drgn test on label's kernel."""
    prefix = f"{label}/drgn"
    if not shutil.which("drgn"):
        return [Verdict(Status.FAIL, prefix, "drgn is installed (apt-get install python3-drgn)")]
    kernel = pctest_kernels.fetch(label)
    out = cache() / "runs" / f"{label}-drgn"
    vmlinux = debug_vmlinux(kernel)
    mods = pctest_build.build_modules(kernel, out)
    workloads = pctest_build.build_workloads()
    files = [*mods, *sorted(pctest_build.GUEST.glob("*.sh")), *workloads.values(),
             fw_cfg_module(kernel)]
    initrd = pctest_build.mkinitramfs(out / "initrd.gz", files)
    result = pctest_vm.boot(kernel.vmlinuz, initrd, out / "vm", BOOT, arch=kernel.arch,
                            dump_at="@@DUMP-NOW")
    dump = out / "vm" / "vmcore"
    lines, errors = [], ""
    if dump.is_file():
        symbols = [a for m in mods if m.name in ("pagecheck.ko", "pagecheck_inject.ko")
                   for a in ("-s", m)]
        res = run(["drgn", "-q", "-c", dump, "-s", vmlinux, *symbols, SCRIPT], check=False)
        lines = [l for l in res.stdout.splitlines() if l.startswith("{")]
        errors = res.stderr
        (out / "drgn.out").write_text(res.stdout + res.stderr)
    verdicts = judge(prefix, pctest_vm.guest_text(result.out), dump.is_file(), lines, errors)
    if not failed(verdicts):
        dump.unlink(missing_ok=True)        # as large as the guest's memory
    return verdicts
