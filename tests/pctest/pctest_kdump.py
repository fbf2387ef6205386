# SPDX-License-Identifier: GPL-2.0
"""The kdump round trip, with Debian's own kexec-tools and makedumpfile.

The boot's kernel has crashkernel= and crash_kexec_post_notifiers (so
pagecheck's panic notifier runs before the crash kernel starts). Its
initramfs is the label's, with a second archive appended: the kernel
image, kexec and the capture initramfs. The guest (suite.sh kdump) loads
the capture kernel with kexec -p, reads reports.json, sets
panic_on_report=1 and frees a bad page. The capture kernel (suite.sh
capture) saves a filtered dump of /proc/vmcore with makedumpfile, then
recovers the kernel log from the saved dump with makedumpfile
--dump-dmesg, which needs no debug info (VMCOREINFO has what it reads).
The host compares the JSON lines in that log with reports.json."""

import hashlib
import shutil
from pathlib import Path

import pctest_build
import pctest_panic
from pctest_common import Error, Status, Verdict, cache, log, run
from pctest_apt import AptState
from pctest_matrix import HOST_SUITE
from pctest_vm import guest_text, sections, splats

TOOLS = ["kexec-tools", "makedumpfile"]
# Libraries come from the archive too, except glibc: the guest gets the
# host's (and its ELF interpreter), which the other guest programs use.
HOST_LIBS = {"libc6", "libgcc-s1", "libcrypt1"}
CAPTURE_INITRD = "capture.gz"


def _closure(apt):
    """kexec-tools, makedumpfile and the library packages they pull in."""
    text = apt.query("depends", "--recurse", "--no-recommends", "--no-suggests",
                     "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                     *TOOLS)
    if not text:
        raise Error(f"apt-cache depends {' '.join(TOOLS)} found nothing in {apt.state}")
    names = {l.strip() for l in text.splitlines() if l and not l.startswith(" ")}
    return sorted(n for n in names
                  if n in TOOLS or (n.startswith("lib") and n not in HOST_LIBS))


def tools():
    """The tools extracted into the cache once per set of versions:
    (the extracted root, the library directories in it)."""
    apt = AptState(HOST_SUITE)
    with apt.lock():
        apt.setup()
        apt.refresh()
        if not apt.has_lists():
            raise Error(f"no apt metadata for '{apt.state}'")
        pkgs = _closure(apt)
        policy = apt.query("policy", *pkgs)
        key = hashlib.sha256(policy.encode()).hexdigest()[:10]
        dest = cache() / "kdump-tools" / key
        libdirs = [dest / "root" / d for d in ("lib/x86_64-linux-gnu",
                                               "usr/lib/x86_64-linux-gnu")]
        if (dest / "ready").exists():
            return dest / "root", libdirs
        log(f"downloading {' '.join(pkgs)}")
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "debs").mkdir(parents=True)
        apt.download(pkgs, tmp / "debs", tmp / "download.log")
        for deb in sorted((tmp / "debs").glob("*.deb")):
            run(["dpkg-deb", "-x", deb, tmp / "root"])
        shutil.rmtree(tmp / "debs")
        (tmp / "packages").write_text("".join(p + "\n" for p in pkgs))
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        (dest / "ready").touch()
        return dest / "root", libdirs


def _program(root, libdirs, name, dest):
    for sub in ("sbin", "usr/sbin", "bin", "usr/bin"):
        path = root / sub / name
        if path.is_file():
            return pctest_build.program_files(path, dest, libdirs)
    raise Error(f"{name} not found in {root}")


def initramfs(kernel, base, out):
    """The kdump boot's initramfs: base plus the kernel image, kexec and
    the capture initramfs (the guest scripts and makedumpfile)."""
    if kernel.arch != "amd64":
        raise Error(f"the kdump test supports amd64 only, not {kernel.arch}")
    root, libdirs = tools()
    out = Path(out)
    scripts = sorted(pctest_build.GUEST.glob("*.sh"))
    capture = pctest_build.mkinitramfs(
        out / CAPTURE_INITRD,
        [*scripts, *_program(root, libdirs, "makedumpfile", "pc/bin/makedumpfile")])
    return pctest_build.extend_initramfs(
        out / "initrd-kdump.gz", base,
        [f"{kernel.vmlinuz}=pc/vmlinuz", f"{capture}=pc/{CAPTURE_INITRD}",
         *_program(root, libdirs, "kexec", "pc/bin/kexec")])


def judge(prefix, result):
    """PASS/FAIL Verdicts: the first kernel panicked on the bad free, the
    capture kernel recovered the log, and its JSON lines are the reports."""
    out = []
    say = pctest_panic.sayer(out, prefix)

    console = (result.out / "console.log").read_bytes().decode("utf-8", "replace")
    console = console.replace("\r", "")
    guest = guest_text(result.out)
    found = sections(guest)
    at = console.find("Kernel panic - not syncing: pagecheck: bad page freed")
    say(at >= 0, "panic_on_report=1 panicked the first kernel",
        "" if at >= 0 else "no 'Kernel panic - not syncing: pagecheck' on the console")
    loaded = "kexec-loaded" in found
    say(loaded, "kexec -p loaded the capture kernel",
        "" if loaded else _last(guest, "KDUMP-TEST"))
    bad = splats(console[:at] if at >= 0 else console)
    say(not bad, "console: no oops, warning, lockup or sanitizer report before the panic",
        "; ".join(bad[:5]))
    dmesg = found.get("vmcore-dmesg")
    say(result.completed and result.rc == 0 and dmesg is not None,
        "the capture kernel saved the dump and makedumpfile --dump-dmesg read its log",
        result.why or _last(guest, "KDUMP-TEST") or f"capture rc={result.rc}")
    for fig in ("dump", "dmesg"):
        if fig in found:
            out.append(Verdict(Status.INFO, prefix, f"figure: {fig}: {found[fig].strip()}"))
    if dmesg is None:
        return out
    before = pctest_panic.guest_reports(guest)
    say(before is not None and len(before) == 3, "the guest read 3 reports before the panic",
        "no reports.json between @@BEGIN and @@END" if before is None else f"{len(before)}")
    if before is not None:
        out += pctest_panic.compare(pctest_panic.console_reports(dmesg), before,
                                    "the recovered log", prefix)
    return out


def _last(text, tag):
    lines = [l for l in text.splitlines() if l.startswith(tag)]
    return lines[-1] if lines else ""
