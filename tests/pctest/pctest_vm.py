# SPDX-License-Identifier: GPL-2.0
"""Boot one QEMU TCG guest and judge what it printed.

No KVM (nested KVM hangs here), no disks, no network. Files in the output
directory:
  console.log  the console (ttyS0 on x86): kernel log, key guest lines
  guest.out    the out-of-band channel (ttyS1 on x86): the suite's output,
               ending with PAGECHECK-GUEST-DONE rc=N
  cmdline      the kernel command line
  elapsed      wall-clock seconds the VM ran
  qemu.log     QEMU's own output
Environment: PC_VM_CPU (QEMU -cpu; x86 default qemu64,+smep,+smap,+rdrand,
1.5-2x faster than "max" under TCG), PC_VM_TUNE (extra kernel options),
PC_VM_TCG_THREAD (default single).
"""
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pctest_common import Error, Status, Verdict, log, pass_or_fail, stop, tail
from pctest_ktap import figures, parse
from pctest_matrix import ARCHES

DONE = re.compile(rb"PAGECHECK-GUEST-DONE rc=(\d+)")
# Kernel splats on the console. The kernel's own bad-page report and
# pagecheck's BUG lines are what some tests provoke on purpose.
SPLAT = re.compile(r"WARNING:|Oops|BUG: (?!pagecheck|Bad page state)|"
                   r"general protection|RIP: 0010|soft lockup|rcu.*stall|"
                   r"KASAN|UBSAN|possible circular|lockdep is turned off|sleeping function")


@dataclass
class VmResult:
    out: Path
    completed: bool
    rc: int                 # the guest suite's exit status, None if not done
    why: str                # why it did not complete
    elapsed: float


def cmdline(arch, boot, quiet=False):
    """The kernel command line. The guest panics on any WARN, oops, soft
    lockup or hung task and reboots at once; with -no-reboot QEMU then
    exits, so a crash never looks like a pass. RDRAND seeds the CRNG at
    boot, or %p prints "(____ptrval____)" instead of hashes."""
    words = [f"console={arch.console}", "panic_on_warn=1", "panic=-1", "oops=panic",
             "softlockup_panic=1", "hung_task_panic=1", "nmi_watchdog=0",
             "random.trust_cpu=on", "rdinit=/init", *arch.cmdline, "audit=0", "printk.time=1"]
    if arch.oob_device != "/dev/ttyS1":
        words.append(f"pc.oob={arch.oob_device}")
    if os.environ.get("PC_VM_TUNE"):
        words.append(os.environ["PC_VM_TUNE"])
    words.append("loglevel=4" if quiet else "loglevel=7")
    words.append(f"pc.mode={boot.mode}")
    if boot.args:
        words.append(f'pc.args="{boot.args}"' if " " in boot.args else f"pc.args={boot.args}")
    if boot.cmdline:
        words.append(boot.cmdline)
    return " ".join(words)


def qmp_dump(sock_path, dump_path, timeout=120):
    """dump-guest-memory through QEMU's QMP socket: an ELF
    vmcore of the whole guest (the VM is paused while it is written)."""
    import json
    import socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        f = s.makefile("rw")

        def command(name, **arguments):
            f.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
            f.flush()
            for line in f:
                reply = json.loads(line)
                if "error" in reply:
                    raise Error(f"QMP {name}: {reply['error'].get('desc')}")
                if "return" in reply:
                    return reply["return"]
            raise Error(f"QMP {name}: the connection closed")

        f.readline()                # the greeting
        command("qmp_capabilities")
        command("dump-guest-memory", paging=True, protocol=f"file:{dump_path}",
                format="elf")


def qemu_command(arch, vmlinuz, initrd, out, boot, append, icount, cpu=None):
    """Single-threaded TCG: with multi-threaded TCG a vCPU can keep running
    a stale translation of code another vCPU just patched (ftrace and
    static-key text_poke), and the int3 "breakpoint already removed" path
    then loops forever on it (seen as a soft lockup on 6.1). -icount
    shift=0,sleep=off makes guest time count guest instructions (1 ns
    each), so in-guest timings are reproducible."""
    fill = lambda args, path: [a.replace("{path}", str(path)) for a in args]
    cmd = [arch.qemu,
           "-accel", f"tcg,thread={os.environ.get('PC_VM_TCG_THREAD', 'single')}",
           "-cpu", cpu or os.environ.get("PC_VM_CPU") or arch.cpu, *arch.machine,
           "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-m", str(boot.mem),
           "-smp", f"{boot.smp},maxcpus={boot.maxcpus}" if boot.maxcpus else str(boot.smp),
           "-kernel", str(vmlinuz), "-initrd", str(initrd), "-append", append,
           *fill(arch.console_qemu, out / "console.log"),
           *fill(arch.oob_qemu, out / "guest.out"),
           "-monitor", "none"]
    if icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    return cmd


def boot(vmlinuz, initrd, out, spec, arch="amd64", quiet=False, icount=False, cpu=None,
         dump_at=None):
    """Boot the guest once as spec (a Boot) says; wait for it, at most
    spec.timeout seconds. cpu overrides PC_VM_CPU. Whatever interrupts the
    wait stops QEMU first. dump_at: a line the guest prints on its channel
    when the host should dump its memory to out/vmcore (qmp_dump)."""
    arch = ARCHES[arch]
    out = Path(out)
    for path, what in ((vmlinuz, "kernel image"), (initrd, "initramfs")):
        if not Path(path).is_file():
            raise Error(f"{what} '{path}' not found")
    if not re.fullmatch(r"[A-Za-z0-9_.,:+-]+", spec.mode):
        raise Error(f"mode must be one word, not '{spec.mode}'")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("console.log", "guest.out", "elapsed", "cmdline", "qemu.log", "vmcore",
                 "qmp.sock"):
        (out / name).unlink(missing_ok=True)
    (out / "console.log").touch()
    (out / "guest.out").touch()
    append = cmdline(arch, spec, quiet)
    (out / "cmdline").write_text(append + "\n")
    cmd = qemu_command(arch, vmlinuz, initrd, out, spec, append, icount, cpu)
    if dump_at:
        # vmcoreinfo: the guest's fw_cfg driver tells QEMU where VMCOREINFO is
        cmd += ["-device", "vmcoreinfo", "-qmp", f"unix:{out / 'qmp.sock'},server=on,wait=off"]
    log(f"booting {Path(vmlinuz).name} mode={spec.mode} smp={spec.smp} mem={spec.mem}M "
        f"timeout={spec.timeout}s -> {out}")
    t0 = time.monotonic()
    timed_out = False
    with open(out / "qemu.log", "w") as qlog:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                                stderr=subprocess.STDOUT)
        try:
            if dump_at:
                _dump_when(proc, out, dump_at, t0 + spec.timeout)
            proc.wait(timeout=max(1, t0 + spec.timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            stop(proc)
        except BaseException:
            stop(proc)
            raise
    elapsed = time.monotonic() - t0
    (out / "elapsed").write_text(f"{elapsed:.1f}\n")
    m = DONE.search((out / "guest.out").read_bytes())
    if m:
        log(f"guest done in {elapsed:.1f}s: {m.group(0).decode()}")
        return VmResult(out, True, int(m.group(1)), "", elapsed)
    why = f"timed out after {spec.timeout}s" if timed_out else \
        f"QEMU exited with status {proc.returncode} after {elapsed:.1f}s"
    why += f", no PAGECHECK-GUEST-DONE on {arch.oob_device}"
    msg = f"VM did not complete ({why}); last console lines:\n" + \
        tail(out / "console.log", 40, "  | ").replace("\r", "")
    if (out / "qemu.log").stat().st_size:
        msg += "\nqemu.log:\n" + tail(out / "qemu.log", 10, "  | ")
    log(msg)
    return VmResult(out, False, None, why, elapsed)


def _dump_when(proc, out, marker, deadline):
    """Wait for marker on the guest's channel, then dump the guest."""
    marker = marker.encode()
    while proc.poll() is None and time.monotonic() < deadline:
        if marker in (out / "guest.out").read_bytes():
            log(f"dumping the guest's memory to {out / 'vmcore'}")
            try:
                qmp_dump(out / "qmp.sock", out / "vmcore")
            except (OSError, ValueError, Error) as e:
                log(f"dump-guest-memory failed: {e}")
            return
        time.sleep(0.2)


def guest_text(out):
    return (Path(out) / "guest.out").read_bytes().decode("utf-8", "replace").replace("\r", "")


def sections(text):
    """The @@BEGIN name ... @@END name sections of a guest's output."""
    found, current, buf = {}, None, []
    for line in text.splitlines():
        if current is not None:
            if line == f"@@END {current}":
                found[current] = "\n".join(buf)
                current, buf = None, []
            else:
                buf.append(line)
        elif line.startswith("@@BEGIN "):
            current = line[len("@@BEGIN "):]
    return found


def ktap_text(text):
    """The guest's output less its evidence sections (a copy of dmesg
    would repeat every KTAP line the kernel logged)."""
    keep, current = [], None
    for line in text.splitlines():
        if current is not None:
            if line == f"@@END {current}":
                current = None
        elif line.startswith("@@BEGIN "):
            current = line[len("@@BEGIN "):]
        else:
            keep.append(line)
    return "\n".join(keep)


def splats(console_text):
    return [l for l in console_text.splitlines() if SPLAT.search(l)]


def judge(prefix, result):
    """The Verdicts of one boot: it completed, every KTAP result, and no
    kernel splat on the console."""
    where = f"console: {result.out / 'console.log'}"
    if not result.completed:
        return [Verdict(Status.FAIL, prefix, "VM did not complete", f"{result.why}; {where}")]
    verdicts = [Verdict(Status.of(result.rc == 0), prefix, "VM completed",
                        f"guest suite rc={result.rc}")]
    text = ktap_text(guest_text(result.out))
    verdicts += [r.verdict(prefix) for r in parse(text)]
    verdicts += [Verdict(Status.INFO, prefix, f"figure: {f}") for f in figures(text)]
    console = (result.out / "console.log").read_bytes().decode("utf-8", "replace")
    bad = splats(console.replace("\r", ""))
    verdicts.append(pass_or_fail(not bad, prefix,
                                 "console: no oops, warning, lockup or sanitizer report",
                                 "; ".join(bad[:5])))
    return verdicts
