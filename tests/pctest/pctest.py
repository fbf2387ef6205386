#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pctest: the pagecheck test driver (host side).

  pctest.py check [LABEL...]     every kernel of the matrix in QEMU, the
                                 reduced benchmark, the canary, DKMS
  pctest.py check-debug          the guest suite on the debug kernel
  pctest.py bench [--ci] [LABEL...]   the deterministic benchmark
  pctest.py demo [LABEL]         provoke one bad free of each kind, show reports
  pctest.py fetch LABEL          fetch a kernel; print KVER=, KDIR=, ... lines
  pctest.py build LABEL          build pagecheck and the initramfs for it
  pctest.py run LABEL --mode M [--args "k=v ..."]   boot once, print verdicts
  pctest.py dkms [LABEL...]      DKMS and .deb install/remove test
  pctest.py fleet [--check] [--after-install]
                                 the fleet box: .deb, DKMS, boot, upgrade, kdump
  pctest.py deps TARGET [LABEL...]   install the Debian packages TARGET needs
  pctest.py record               copy the last runs' records from the cache
                                 into docs/

Verdicts (PASS/FAIL/SKIP/INFO lines) go to stdout, progress to stderr.
check and check-debug end with "N passed, N failed, N skipped" and exit
non-zero on any failure or if nothing passed. Their records, and bench
--ci's table, go to the cache's records/; only record and bench (without
--ci) write into docs/.
Environment: KERNELS, JOBS (2), CANARY (7-rc), BENCH=0, DKMS=0,
PAGECHECK_CACHE, PAGECHECK_OFFLINE=1, PAGECHECK_KEEP_DEBS=1,
PAGECHECK_APT_MAX_AGE, PAGECHECK_MIRROR, PAGECHECK_SECURITY_MIRROR, PC_VM_CPU,
PC_VM_TUNE.
"""
import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pctest_bench      # noqa: E402
import pctest_build      # noqa: E402
import pctest_deps       # noqa: E402
import pctest_dkms       # noqa: E402
import pctest_fleet      # noqa: E402
import pctest_drgn       # noqa: E402
import pctest_fingerprint  # noqa: E402
import pctest_jobs       # noqa: E402
import pctest_kdump      # noqa: E402
import pctest_kernels    # noqa: E402
import pctest_layers     # noqa: E402
import pctest_matrix     # noqa: E402
import pctest_panic      # noqa: E402
import pctest_programs   # noqa: E402
import pctest_readme     # noqa: E402
import pctest_real       # noqa: E402
import pctest_source     # noqa: E402
import pctest_vm         # noqa: E402
from pctest_common import (ROOT, Error, Interrupted, Status, Stopwatch, Verdict,  # noqa: E402
                           cache, catch_signals, failed, log, records_dir, set_prog,
                           verdict)
from pctest_matrix import (BENCH_KERNELS, BOOT_PLAN, CANARY_KERNELS, DEBUG_LABEL,  # noqa: E402
                           DEFAULT_KERNELS, DKMS_KERNELS, REAL_BOOT, REAL_KERNELS, Boot,
                           find_boot, plan)

SELF = Path(__file__).resolve()


def env_list(name, default):
    value = os.environ.get(name)
    return default if value is None else value.split()


def env_flag(name):
    return os.environ.get(name, "1") != "0"


def jobs_max():
    value = os.environ.get("JOBS", "2")
    if not value.isdigit() or int(value) < 1:
        raise Error(f"JOBS must be a positive integer, not '{value}'")
    return int(value)


def get_kernel(label):
    if label == DEBUG_LABEL:
        return pctest_source.debug_kernel()
    return pctest_kernels.fetch(label)


def run_dir(label):
    return cache() / "runs" / label


# The records a run writes in records_dir(), which make record copies
# into docs/.
RECORDS = ["check.md", "check-debug.md", "benchmark-check.md", "check-fleet.md",
           "check-real.md"]


# Debian's programs the guest suite runs: (package, path in it). jq reads
# reports.json (tests/guest/lib.sh).
GUEST_PROGRAMS = [("stress-ng", "/usr/bin/stress-ng"), ("jq", "/usr/bin/jq")]


def guest_files(workloads, arch):
    """What the check initramfs holds besides the modules: every guest
    script, every static guest program and Debian's programs for arch."""
    scripts = sorted(p for p in pctest_build.GUEST.glob("*.sh"))
    programs = [f for pkg, path in GUEST_PROGRAMS
                for f in pctest_programs.program_files(arch, pkg, path)]
    return [*scripts, *workloads.values(), *programs]


def prepare(label, kernel, out, with_sparse):
    """Build the modules and the initramfs for label: (the initramfs, or
    None if the build failed; the build's Verdicts)."""
    what = f"build pagecheck and test modules W=1 against {kernel.kver} with " \
        f"{kernel.suite}'s compiler"
    try:
        mods = pctest_build.build_modules(kernel, out)
    except Error as e:
        log(str(e))
        return None, [Verdict(Status.FAIL, label, what)]
    verdicts = [Verdict(Status.PASS, label, what)]
    if with_sparse:
        verdicts += pctest_layers.check(out / "src", label)
    if with_sparse and kernel.suite == pctest_matrix.HOST_SUITE:
        try:
            pctest_build.sparse(kernel, out)
            verdicts.append(Verdict(Status.PASS, label, "sparse (C=2) clean"))
        except Error as e:
            log(str(e))
            verdicts.append(Verdict(Status.FAIL, label, "sparse (C=2) clean",
                                    f"log: {out / 'sparse.log'}"))
    workloads = pctest_build.build_workloads(kernel.arch)
    initrd = pctest_build.initramfs_for(kernel, out / "initrd.gz",
                                        [*mods, *guest_files(workloads, kernel.arch)])
    return initrd, verdicts


def judge_boot(prefix, boot, result):
    """A panic boot must end in pagecheck's panic, a kdump boot in the
    capture kernel; any other must not panic."""
    if boot.mode == "kdump":
        return pctest_kdump.judge(prefix, result)
    if boot.mode == "demo":
        if not result.completed:
            return [Verdict(Status.FAIL, prefix, "VM did not complete", result.why)]
        return pctest_readme.judge(prefix, result.out)
    if boot.mode != "panic":
        return pctest_vm.judge(prefix, result)
    console = (result.out / "console.log").read_bytes().decode("utf-8", "replace")
    return pctest_panic.judge(prefix, console, pctest_vm.guest_text(result.out))


def boot_initrd(kernel, boot, initrd, out):
    """The initramfs of one boot: the label's, or for kdump the label's
    with the kdump tools added."""
    if boot.mode == "kdump":
        return pctest_kdump.initramfs(kernel, initrd, out)
    if boot.mode == "real":
        return pctest_real.initramfs(kernel, initrd, out)
    return initrd


def boot_and_judge(label, kernel, initrd, out, boot):
    try:
        initrd = boot_initrd(kernel, boot, initrd, out)
    except Error as e:
        log(str(e))
        verdict(Verdict(Status.FAIL, f"{label}/{boot.name}", "build the initramfs of the boot"))
        return
    result = pctest_vm.boot(kernel.vmlinuz, initrd, out / f"vm-{boot.name}", boot,
                            arch=kernel.arch)
    for v in judge_boot(f"{label}/{boot.name}", boot, result):
        verdict(v)


# ---------------------------------------------------------------------------
# Subcommands

def cmd_fetch(args):
    kernel = get_kernel(args.label)
    sys.stdout.write(kernel.describe())
    return 0


def cmd_owner_kernel(args):
    kernel = pctest_source.owner_kernel()
    sys.stdout.write(kernel.describe())
    return 0


def cmd_build(args):
    kernel = get_kernel(args.label)
    initrd, verdicts = prepare(args.label, kernel, run_dir(args.label), with_sparse=True)
    for v in verdicts:
        verdict(v)
    if initrd is None:
        return 1
    print(f"INITRD={initrd}")
    return 0


def cmd_run(args):
    kernel = get_kernel(args.label)
    out = run_dir(args.label)
    if args.boot:
        boot = find_boot(args.label, args.boot)
    else:
        boot = Boot(args.mode, args.mode, args=args.args, smp=args.smp, mem=args.mem,
                    timeout=args.timeout, cmdline=args.cmdline)
    initrd = out / "initrd.gz"
    if not args.no_build:
        initrd, verdicts = prepare(args.label, kernel, out, with_sparse=False)
        for v in verdicts:
            verdict(v)
        if initrd is None:
            return 1
    elif not initrd.is_file():
        raise Error(f"--no-build: {initrd} does not exist (run: pctest.py build {args.label})")
    initrd = boot_initrd(kernel, boot, initrd, out)
    result = pctest_vm.boot(kernel.vmlinuz, initrd, out / f"vm-{boot.name}", boot,
                            arch=kernel.arch, quiet=args.quiet, icount=args.icount)
    verdicts = judge_boot(f"{args.label}/{boot.name}", boot, result)
    for v in verdicts:
        verdict(v)
    return 1 if failed(verdicts) else 0


def cmd_check_label(args):
    """Everything for one kernel of the matrix (a job of check)."""
    label, clock = args.label, Stopwatch()
    try:
        kernel = get_kernel(label)
    except Error as e:
        log(str(e))
        verdict(Verdict(Status.FAIL, label, "fetch the Debian kernel and headers"))
        return 1
    out = run_dir(label)
    initrd, verdicts = prepare(label, kernel, out, with_sparse=True)
    for v in verdicts:
        verdict(v)
    if initrd is None:
        return 1
    for boot in plan(label, canary=args.canary):
        boot_and_judge(label, kernel, initrd, out, boot)
    verdict(Verdict(Status.INFO, label, f"finished in {clock.seconds():.0f} s",
                    f"evidence: {out}/vm-*"))
    return 0


def host_steps(target, labels):
    """What target needs on the host for labels: the Debian packages and the
    guest programs. FAIL host Verdicts if they fail."""
    verdicts = []
    try:
        pctest_deps.install(target, labels)
    except Error as e:
        log(str(e))
        verdicts.append(Verdict(Status.FAIL, "host", "install dependencies"))
    arches = {"amd64", *map(pctest_matrix.arch_of, labels)}
    for arch in sorted(arches):
        try:
            pctest_build.build_workloads(arch)
        except Error as e:
            log(str(e))
            verdicts.append(Verdict(Status.FAIL, "host", "build the guest workloads", arch))
    for v in verdicts:
        print(v, flush=True)
    return verdicts


def finish(verdicts):
    text, status = pctest_jobs.summary(verdicts)
    print(text, flush=True)
    return status


def write_record(name, command, verdicts, shown, clock):
    """The record of this run, NAME.md in the cache's records/ (make record
    copies it into docs/). verdicts: the host's own verdicts; shown: every
    Verdict the jobs showed."""
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "describe", "--always", "--dirty"], text=True,
                            capture_output=True).stdout.strip() or "unknown"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = pctest_jobs.record(f"Last `{command}`", command, verdicts + shown,
                              clock.seconds(), commit, when)
    path = records_dir() / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    log(f"the record of this run: {path} (make record copies it into docs/)")


def run_recorded(name, command, jobs, verdicts, clock, gates=None):
    """Run the jobs, then gates(every Verdict shown), if given, over what they
    all printed; write the record NAME.md; return the counted Verdicts."""
    pool = pctest_jobs.Pool(jobs_max(), cache() / "runs")
    shown = []
    counted = pool.run(jobs, emit=lambda v: (shown.append(v), print(v, flush=True)))
    for v in gates(shown) if gates else []:
        print(v, flush=True)
        shown.append(v)
        counted.append(v)
    write_record(name, command, verdicts, shown, clock)
    return counted


def cmd_check(args):
    clock = Stopwatch()
    labels = args.labels or env_list("KERNELS", DEFAULT_KERNELS)
    canaries = env_list("CANARY", CANARY_KERNELS)
    for name in labels + canaries:
        pctest_matrix.label(name)
    verdicts = host_steps("check", labels + canaries)
    me = [sys.executable, str(SELF)]
    # Longest first, so that the last jobs to start are short ones: the
    # fleet box (image, install, boot) first.
    jobs = []
    if env_flag("FLEET"):
        jobs.append(pctest_jobs.Job("fleet", [*me, "fleet", "--check"]))
    full = [l for l in labels if l in BOOT_PLAN]
    jobs += [pctest_jobs.Job(l, [*me, "check-label", l]) for l in full]
    bench = [l for l in BENCH_KERNELS if l in labels]
    if env_flag("BENCH") and bench:
        jobs.append(pctest_jobs.Job("bench", [*me, "bench", "--ci", *bench]))
    rank = {"s390x": 0, "arm64": 1}
    rest = sorted((l for l in labels if l not in full),
                  key=lambda l: rank.get(pctest_matrix.label(l).arch, 2))
    jobs += [pctest_jobs.Job(l, [*me, "check-label", l]) for l in rest]
    for l in canaries:
        jobs.append(pctest_jobs.Job(f"canary-{l}", [*me, "check-label", "--canary", l],
                                    counted=False))
    # The shortest job last.
    if env_flag("DKMS"):
        foreign = [l for l in labels if pctest_matrix.label(l).arch != "amd64"]
        jobs.append(pctest_jobs.Job("dkms", [*me, "dkms", *DKMS_KERNELS, *foreign]))
    verdicts += run_recorded("check", "make check", jobs, verdicts, clock,
                          gates=lambda shown: pctest_fingerprint.gates(shown, canaries))
    return finish(verdicts)


def cmd_check_debug(args):
    clock = Stopwatch()
    verdicts = host_steps("check-debug", pctest_deps.default_labels("check-debug"))
    try:
        kernel = get_kernel(DEBUG_LABEL)
    except Error as e:
        log(str(e))
        verdicts.append(Verdict(Status.FAIL, "debug", "build the debug kernel"))
        print(verdicts[-1], flush=True)
        return finish(verdicts)
    label = DEBUG_LABEL
    print(Verdict(Status.INFO, label, f"kernel {kernel.kver} ready after "
                  f"{clock.seconds():.0f} s"), flush=True)
    initrd, built = prepare(label, kernel, run_dir(label), with_sparse=False)
    for v in built:
        print(v, flush=True)
    verdicts += built
    if initrd is not None:
        me = [sys.executable, str(SELF)]
        jobs = [pctest_jobs.Job(f"debug-{b.name}", [*me, "run", label, "--boot", b.name,
                                                    "--no-build"]) for b in plan(label)]
        # Debian's debug package has the DWARF drgn needs: a stock kernel
        jobs.append(pctest_jobs.Job("6.1-drgn", [*me, "drgn", "6.1"]))
        verdicts += run_recorded("check-debug", "make check-debug", jobs, verdicts, clock)
    print(Verdict(Status.INFO, "debug", f"finished in {clock.seconds():.0f} s"), flush=True)
    return finish(verdicts)


def cmd_bench(args):
    # In make check (--ci) the check job did the host steps.
    labels = args.labels or env_list("KERNELS", DEFAULT_KERNELS)
    host_failed = [] if args.ci else \
        host_steps("bench", [l for l in labels if pctest_matrix.benchmarked(l)])
    command = None
    # the table names the command that wrote it (make check's job passes labels)
    if args.out or (args.labels and not args.ci):
        command = " ".join(["tests/pctest/pctest.py bench", *(["--ci"] if args.ci else []),
                            *args.labels, *(["--out", args.out] if args.out else [])])
    status = pctest_bench.run(labels, ci=args.ci, out=args.out, command=command)
    return status or (1 if host_failed else 0)


def demo_line(line):
    """A guest's DEMO line with the reasons it expects ("expect A|B", every
    one of them due in the report) written out: "expect: A and B"."""
    head, sep, expected = line.partition(": expect ")
    if not sep:
        return line
    *most, last = expected.split("|")
    return f"{head}: expect: {', '.join(most) + ' and ' if most else ''}{last}"


def cmd_demo(args):
    pctest_deps.install("demo", [args.label])
    kernel = get_kernel(args.label)
    workloads = pctest_build.build_workloads(kernel.arch)
    out = cache() / "demo" / kernel.kver
    mods = pctest_build.build_modules(kernel, out)
    initrd = pctest_build.initramfs_for(kernel, out / "initrd.gz",
                                        [*mods, *guest_files(workloads, kernel.arch)])
    log(f"booting Debian {kernel.kver} in QEMU (TCG, no KVM)...")
    result = pctest_vm.boot(kernel.vmlinuz, initrd, out / "vm",
                            Boot("demo", "demo", smp=2, mem=1024, timeout=600), arch=kernel.arch)
    if not result.completed:
        raise Error(f"the demo VM did not complete ({result.why}); "
                    f"console: {out / 'vm' / 'console.log'}")
    text = pctest_vm.guest_text(out / "vm")
    found = pctest_vm.sections(text)
    for line in text.splitlines():
        if line.startswith("DEMO "):
            print(demo_line(line))
    print(f"=== /sys/kernel/debug/pagecheck/reports on Debian {kernel.kver} ===")
    print(found.get("reports", "(no reports section in the guest output)"))
    print("=== /sys/kernel/debug/pagecheck/stats ===")
    print(found.get("stats", "(no stats section in the guest output)"))
    if "watch" in found:
        print("=== reports with hook=ftrace track=1 watch=auto: the watched page's history ===")
        print(found["watch"])
    return 0


def cmd_record(args):
    """Copy the latest records from the cache into docs/."""
    found = [name for name in RECORDS if (records_dir() / name).is_file()]
    if not found:
        raise Error(f"no record in {records_dir()}: run make check, make check-debug "
                    "or pctest.py bench --ci first")
    for name in found:
        shutil.copyfile(records_dir() / name, ROOT / "docs" / name)
        log(f"copied {records_dir() / name} to {ROOT / 'docs' / name}")
    return 0


def cmd_real(args):
    """make check-real: each kernel that still has the real bugs, booted
    twice; a report's fingerprint must not change between the boots."""
    clock = Stopwatch()
    labels = args.labels or REAL_KERNELS
    verdicts = host_steps("real", labels)
    shown = []

    def show(v):
        print(v, flush=True)
        shown.append(v)
    for label in labels:
        kernel = get_kernel(label)
        out = run_dir(label)
        initrd, built = prepare(label, kernel, out, with_sparse=False)
        for v in built:
            show(v)
        if initrd is None:
            continue
        runs = []
        boots = [dataclasses.replace(REAL_BOOT, name=f"real-{i}") for i in (1, 2)]
        if label == pctest_real.UNCHECKED_LABEL:
            # the kernel's own checks off, as without init_on_alloc
            boots.append(dataclasses.replace(REAL_BOOT, name="real-unchecked",
                                             cmdline="init_on_alloc=0"))
        for boot in boots:
            result = pctest_vm.boot(kernel.vmlinuz, boot_initrd(kernel, boot, initrd, out),
                                    out / f"vm-{boot.name}", boot, arch=kernel.arch)
            runs.append(judge_boot(f"{label}/{boot.name}", boot, result))
            for v in runs[-1]:
                show(v)
        for v in pctest_real.judge_runs(label, runs[:2]):
            show(v)
    write_record("check-real", "make check-real", verdicts, shown, clock)
    return finish(verdicts + shown)


def cmd_dkms(args):
    return pctest_dkms.test(args.labels or DKMS_KERNELS)


def cmd_fleet(args):
    pctest_deps.install("fleet", [])
    return pctest_fleet.test(all_steps=not args.check, after_install=args.after_install)


def cmd_drgn(args):
    verdicts = pctest_drgn.test(args.label)
    for v in verdicts:
        verdict(v)
    return 1 if failed(verdicts) else 0


def cmd_deps(args):
    pctest_deps.install(args.target, args.labels or None)
    return 0


def parser():
    ap = argparse.ArgumentParser(prog="pctest.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="the test suite over the kernel matrix")
    p.add_argument("labels", nargs="*", metavar="LABEL")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("check-debug", help="the guest suite on the debug kernel")
    p.set_defaults(func=cmd_check_debug)
    p = sub.add_parser("bench", help="the deterministic benchmark")
    p.add_argument("--ci", action="store_true", help="smaller workloads, the gated configurations")
    p.add_argument("--out", help="where to write the table (default docs/benchmark.md, "
                   "--ci: the record benchmark-check.md in the cache)")
    p.add_argument("labels", nargs="*", metavar="LABEL")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("demo", help="one bad free of each kind, then the reports")
    p.add_argument("label", nargs="?", default="6.1")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("fetch", help="fetch a kernel, print its paths")
    p.add_argument("label")
    p.set_defaults(func=cmd_fetch)
    p = sub.add_parser("owner-kernel", help="build (once) the 6.12 kernel with "
                       "CONFIG_PAGE_OWNER=y, print its paths")
    p.set_defaults(func=cmd_owner_kernel)
    p = sub.add_parser("build", help="build the modules and the initramfs for a kernel")
    p.add_argument("label")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("run", help="boot one VM and print its verdicts")
    p.add_argument("label")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--mode", help="guest suite mode (pc.mode)")
    how.add_argument("--boot", help="a boot of the label's plan, by name")
    p.add_argument("--args", default="", help='guest suite arguments (pc.args), "k=v k=v"')
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--mem", type=int, default=2048, help="MiB")
    p.add_argument("--timeout", type=int, default=3000, help="seconds")
    p.add_argument("--cmdline", default="", help="extra kernel options")
    p.add_argument("--icount", action="store_true", help="-icount shift=0,sleep=off")
    p.add_argument("--quiet", action="store_true", help="loglevel=4")
    p.add_argument("--no-build", action="store_true", help="boot the initramfs built last")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("record", help="copy the latest run records from the cache into docs/")
    p.set_defaults(func=cmd_record)
    p = sub.add_parser("fleet", help="the fleet box, end to end (make check-fleet)")
    p.add_argument("--check", action="store_true",
                   help="make check's part: install, then loaded at boot on 6.1")
    p.add_argument("--after-install", action="store_true",
                   help="start from the disk the last passed install step left")
    p.set_defaults(func=cmd_fleet)
    p = sub.add_parser("real", help="real upstream bugs through the kernel's own code, "
                       "each kernel booted twice (make check-real)")
    p.add_argument("labels", nargs="*", metavar="LABEL")
    p.set_defaults(func=cmd_real)
    p = sub.add_parser("dkms", help="install and remove with DKMS and as a .deb")
    p.add_argument("labels", nargs="*", metavar="LABEL")
    p.set_defaults(func=cmd_dkms)
    p = sub.add_parser("drgn", help="scripts/pagecheck-drgn.py over a dump of a guest, "
                       "with the kernel's -dbg package")
    p.add_argument("label", nargs="?", default="6.1")
    p.set_defaults(func=cmd_drgn)
    p = sub.add_parser("deps", help="install the Debian packages a target needs")
    p.add_argument("target", choices=sorted(pctest_deps.TARGETS))
    p.add_argument("labels", nargs="*", metavar="LABEL",
                   help="the kernels it is for (default: those the command takes)")
    p.set_defaults(func=cmd_deps)
    p = sub.add_parser("check-label", help="everything for one kernel (a job of check)")
    p.add_argument("--canary", action="store_true")
    p.add_argument("label")
    p.set_defaults(func=cmd_check_label)
    return ap


def main(argv=None):
    args = parser().parse_args(argv)
    set_prog(f"pctest {args.command}")
    catch_signals()
    try:
        return args.func(args)
    except Error as e:
        log(f"error: {e}")
        return 1
    except Interrupted as e:
        log(f"interrupted by {e}")
        return 128 + e.signum


if __name__ == "__main__":
    sys.exit(main())
