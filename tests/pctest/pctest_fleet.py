# SPDX-License-Identifier: GPL-2.0
"""The fleet box (make check-fleet): what an operator does, end to end.

A bookworm system with systemd as init, Debian's linux-image-amd64 and
headers, gcc, dkms, kdump-tools and prometheus-node-exporter, built by
mmdebstrap from Debian packages alone and cached as fleet/image-<hash>/
(the hash covers the recipe: mirrors, packages and tests/fleet/ but
step.sh). Each run copies it (sparse) and boots the copy in QEMU TCG, one
step a boot, with the host in the boot loader's place: it boots the newest
kernel and initrd in the disk's /boot, as GRUB's default entry would. The
step (tests/fleet/step.sh), the pagecheck .debs and the injector module of
each kernel come on a second, read-only disk.

  install   the .debs, offline; DKMS builds for 6.1; conffiles inactive
  boot      loaded at boot with modprobe.d's options; journald and
            node_exporter
  upgrade   the kernel upgrade builds pagecheck for 6.12
  upgraded  loaded at boot on 6.12; kdump-tools ready; panic_on_report=1
            and a bad free: the same boot goes on in the crash kernel,
            where kdump-tools saves the dmesg and reboots
  crashed   the crash's reports in the journal and the metrics; purge
            leaves nothing

make check runs install and boot. After a passed install the disk is kept
(runs/fleet/after-install.raw): --after-install starts the other steps from
it, to try a change to them without the install's nine minutes.
"""
import hashlib
import shutil
import subprocess
import time
from pathlib import Path

import pctest_apt
import pctest_build
import pctest_jobs
import pctest_kernels
import pctest_ktap
from pctest_common import (ROOT, Error, Status, Stopwatch, Verdict, cache, log, records_dir,
                           run, tail, verdict)
from pctest_matrix import ARCHES

FLEET = ROOT / "tests" / "fleet"
STEP = FLEET / "step.sh"        # on the payload disk, not in the image
SUITE = "bookworm"
PACKAGES = ["systemd-sysv", "udev", "kmod", "initramfs-tools", "linux-image-amd64",
            "linux-headers-amd64", "gcc", "make", "dkms", "kdump-tools", "makedumpfile",
            "prometheus-node-exporter", "jq", "curl", "bsdutils", "procps"]
DISK_SIZE = "8G"
# step: (the kernel series it boots, also its pctest label; minutes it may take)
STEPS = [("install", "6.1", 30), ("boot", "6.1", 15), ("upgrade", "6.1", 90),
         ("upgraded", "6.12", 20), ("crashed", "6.12", 15)]
# make check runs the first two: install, then loaded at boot on 6.1.
CHECK_STEPS = 2
CRASHING = "crashing on purpose"
# step.sh's lines for the record: a journal entry and the metrics, as printed
SAMPLE = "# sample: "


def _recipe():
    mirror, security = pctest_apt.mirror("debian"), pctest_apt.mirror("security")
    # the security suite has bookworm's current kernel, which the 6.1 label is
    sources = [f"deb {mirror} {SUITE} main", f"deb {mirror} {SUITE}-updates main",
               f"deb {security} {SUITE}-security main", f"deb {mirror} {SUITE}-backports main"]
    files = sorted(p for p in FLEET.iterdir() if p.is_file() and p.name != STEP.name)
    key = "\n".join(["v1", *sources, *PACKAGES] +
                    [f"{p.name} {hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files])
    return sources, hashlib.sha256(key.encode()).hexdigest()[:12]


def image():
    """The cached disk image (raw ext4, label fleetroot), built if needed,
    and its figures (size, build time)."""
    sources, key = _recipe()
    top = cache() / "fleet"
    d = top / f"image-{key}"
    disk = d / "disk.raw"
    if (d / "ready").is_file():
        return disk, (d / "figures").read_text().strip()
    for old in top.glob("image-*"):
        shutil.rmtree(old, ignore_errors=True)
    d.mkdir(parents=True, exist_ok=True)
    root = d / "root"
    logf = d / "mmdebstrap.log"
    log(f"building the fleet box with mmdebstrap (log: {logf})")
    t0 = time.monotonic()
    try:
        run(["mmdebstrap", "--mode=root", "--variant=important",
             "--include=" + ",".join(PACKAGES),
             "--aptopt=Acquire::Check-Valid-Until \"false\"",
             f"--customize-hook={FLEET / 'customize.sh'} \"$1\" {FLEET}",
             SUITE, str(root), *sources], log_path=logf)
        run(["mkfs.ext4", "-q", "-L", "fleetroot", "-d", str(root), str(disk), DISK_SIZE],
            log_path=logf, append=True)
    except Error as e:
        raise Error(f"the fleet box did not build: {e}; end of {logf}:\n{tail(logf, 20)}")
    took = time.monotonic() - t0
    shutil.rmtree(root)
    used = int(run(["du", "--block-size=1M", str(disk)]).stdout.split()[0])
    figures = f"image {used} MiB used of {DISK_SIZE}, built in {took:.0f} s"
    (d / "figures").write_text(figures + "\n")
    (d / "ready").write_text(key + "\n")
    return disk, figures


def _payload(out, debs, kernels):
    """The read-only second disk: step.sh, debs/ and
    <kver>/pagecheck_inject.ko."""
    top = out / "payload"
    shutil.rmtree(top, ignore_errors=True)
    (top / "debs").mkdir(parents=True)
    shutil.copy2(STEP, top)
    for deb in debs:
        shutil.copy2(deb, top / "debs")
    for kernel in kernels:
        built = out / "build" / kernel.kver
        mods = pctest_build.build_modules(kernel, built)
        inject = next(m for m in map(Path, mods) if m.name == "pagecheck_inject.ko")
        (top / kernel.kver).mkdir()
        shutil.copy2(inject, top / kernel.kver)
    disk = out / "payload.raw"
    disk.unlink(missing_ok=True)
    run(["mkfs.ext4", "-q", "-L", "pcpayload", "-d", str(top), str(disk), "256M"])
    return disk


def _newest_boot_files(disk, series, out):
    """The disk's newest vmlinuz and initrd of a kernel series, read with
    debugfs (no mount), as the boot loader would pick them."""
    listing = run(["debugfs", "-R", "ls -p /boot", str(disk)]).stdout
    names = [line.split("/")[5] for line in listing.splitlines() if line.count("/") >= 6]
    kvers = sorted((n[len("vmlinuz-"):] for n in names
                    if n.startswith(f"vmlinuz-{series}.")),
                   key=lambda k: [int(x) if x.isdigit() else x for x in k.replace("-", ".").split(".")])
    if not kvers:
        raise Error(f"no vmlinuz-{series}.* in the fleet box's /boot ({' '.join(names)})")
    kver = kvers[-1]
    files = {}
    for kind in ("vmlinuz", "initrd.img"):
        dest = out / f"{kind}-{kver}"
        dest.unlink(missing_ok=True)
        run(["debugfs", "-R", f"dump /boot/{kind}-{kver} {dest}", str(disk)])
        if not dest.is_file() or dest.stat().st_size == 0:
            raise Error(f"cannot read /boot/{kind}-{kver} from the fleet box")
        files[kind] = dest
    return kver, files["vmlinuz"], files["initrd.img"]


def _boot(disk, payload, step, series, minutes, out):
    """One boot of the box for one step: (Verdicts, completed)."""
    vm = out / step
    shutil.rmtree(vm, ignore_errors=True)
    vm.mkdir(parents=True)
    kver, vmlinuz, initrd = _newest_boot_files(disk, series, vm)
    arch = ARCHES["amd64"]
    append = " ".join(["root=LABEL=fleetroot", "rw", f"console={arch.console}", *arch.cmdline,
                       "crashkernel=256M", "crash_kexec_post_notifiers", "panic=-1",
                       f"pc.fleet={step}"])
    cmd = [arch.qemu, "-accel", "tcg,thread=single", "-cpu", arch.cpu, "-nodefaults",
           "-no-user-config", "-display", "none", "-no-reboot", "-m", "2048", "-smp", "2",
           "-kernel", str(vmlinuz), "-initrd", str(initrd), "-append", append,
           "-drive", f"file={disk},format=raw,if=virtio",
           "-drive", f"file={payload},format=raw,if=virtio,readonly=on",
           "-serial", f"file:{vm / 'console.log'}", "-serial", f"file:{vm / 'guest.out'}",
           "-monitor", "none"]
    log(f"fleet: booting {kver} for step {step} -> {vm}")
    t0 = time.monotonic()
    with open(vm / "qemu.log", "w") as qlog:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                                stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=minutes * 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    took = time.monotonic() - t0
    text = (vm / "guest.out").read_text(errors="replace")
    where = f"fleet/{step}"
    done = "PAGECHECK-GUEST-DONE" in text or (step == "upgraded" and CRASHING in text)
    verdicts = [Verdict(Status.INFO, where, f"figure: {step}: {kver}, {took:.0f} s")]
    verdicts.append(Verdict(Status.of(done), where, "the step completed",
                            "" if done else f"console: {vm / 'console.log'}"))
    verdicts += [r.verdict(where) for r in pctest_ktap.parse(text)]
    verdicts += [Verdict(Status.INFO, where, f"figure: {f}") for f in pctest_ktap.figures(text)]
    samples = [line[len(SAMPLE):] for line in text.splitlines() if line.startswith(SAMPLE)]
    return verdicts, done, samples


def _debs(out):
    """pagecheck-dkms and pagecheck-exporter, built from the tracked files."""
    import pctest_dkms
    debs, _ = pctest_dkms.build_debs(out, out / "debs.log")
    names = sorted(d.name.split("_")[0] for d in debs)
    if names != ["pagecheck-dkms", "pagecheck-exporter"]:
        raise Error(f"the .deb build made {names}, not pagecheck-dkms and pagecheck-exporter")
    return debs


def _commit():
    git = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    return subprocess.run(git, text=True, capture_output=True).stdout.strip() or "unknown"


def _record(verdicts, samples, clock, commit):
    """check-fleet.md in the records (make record copies it into docs/);
    commit: the tree's as the run started."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = pctest_jobs.record("Last `make check-fleet`", "make check-fleet", verdicts,
                              clock.seconds(), commit, when)
    for step, lines in samples.items():
        if lines:
            text += f"\n## As the guest printed them: {step}\n\n```\n" + "\n".join(lines) + "\n```\n"
    path = records_dir() / "check-fleet.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    log(f"the record of this run: {path} (make record copies it into docs/)")


def test(all_steps=True, after_install=False):
    """The fleet test; 1 if anything failed."""
    clock, commit = Stopwatch(), _commit()
    out = cache() / "runs" / "fleet"
    out.mkdir(parents=True, exist_ok=True)
    kept = out / "after-install.raw"
    steps = STEPS if all_steps else STEPS[:CHECK_STEPS]
    if after_install:
        steps = steps[1:]
    shown, samples = [], {}
    try:
        if after_install and not kept.is_file():
            raise Error(f"--after-install: no {kept}; run the install step first")
        if after_install:
            base = kept
        else:
            base, figures = image()
            shown.append(Verdict(Status.INFO, "fleet", f"figure: {figures}"))
            verdict(shown[-1])
        debs = _debs(out)
        labels = sorted({series for _, series, _ in steps})
        kernels = [pctest_kernels.fetch(label) for label in labels]
        payload = _payload(out, debs, kernels)
        disk = out / "disk.raw"
        disk.unlink(missing_ok=True)
        run(["cp", "--sparse=always", str(base), str(disk)])
    except Error as e:
        log(str(e))
        verdict(Verdict(Status.FAIL, "fleet", "build the box, the packages and the payload"))
        return 1
    for step, series, minutes in steps:
        verdicts, done, samples[step] = _boot(disk, payload, step, series, minutes, out)
        for v in verdicts:
            verdict(v)
        shown += verdicts
        if step == "install" and not any(v.status is Status.FAIL for v in verdicts):
            run(["cp", "--sparse=always", str(disk), str(kept)])
        if not done:
            break
    disk.unlink(missing_ok=True)
    if all_steps and not after_install:
        _record(shown, samples, clock, commit)
    return 1 if any(v.status is Status.FAIL for v in shown) else 0
