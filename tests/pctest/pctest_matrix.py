# SPDX-License-Identifier: GPL-2.0
"""The kernel matrix, as data: the architectures, the kernel labels and
the apt suites they come from, each label's boot plan, and the labels the
benchmark, the canary and the DKMS test take. Every other module reads
the matrix from here."""
import dataclasses
from dataclasses import dataclass

from pctest_common import Error

HOST_SUITE = "bookworm"


@dataclass(frozen=True)
class Arch:
    """How to build for and boot one Debian architecture. Foreign ones
    (arm64, s390x) are built with Debian's cross gcc against their own
    headers and the amd64 linux-kbuild, and use a virtio console
    (/dev/hvc0) as the out-of-band channel: its modules, from the image
    package, are loaded by the guest init in the order of guest_modules."""
    name: str               # Debian architecture, also the kernel flavour
    make_arch: str          # ARCH= for Kbuild
    cross_compile: str      # CROSS_COMPILE= prefix; empty when native
    qemu: str               # QEMU binary
    qemu_package: str       # the Debian package that has it
    machine: tuple          # QEMU arguments choosing the machine
    cpu: str                # default -cpu (PC_VM_CPU overrides it)
    console: str            # the kernel's console= value
    console_qemu: tuple     # QEMU arguments for the console ({path})
    oob_device: str         # the guest's device of the out-of-band channel
    oob_qemu: tuple         # QEMU arguments that connect it to guest.out ({path})
    cmdline: tuple          # kernel options this machine needs
    gnu_type: str = "x86_64-linux-gnu"  # the GNU triplet (cross gcc, libc)
    elf_machine: int = 62   # e_machine of its objects (EM_X86_64)
    guest_modules: tuple = ()   # modules the guest loads first (by name)
    cross_packages: tuple = ()  # host packages that build for it

    @property
    def foreign(self):
        return bool(self.cross_compile)

    @property
    def cc(self):
        """The C compiler of static guest programs."""
        return f"{self.cross_compile}gcc"


ARCHES = {
    "amd64": Arch(
        name="amd64", make_arch="x86", cross_compile="",
        qemu="qemu-system-x86_64", qemu_package="qemu-system-x86", machine=(),
        cpu="qemu64,+smep,+smap,+rdrand",
        console="ttyS0,115200",
        console_qemu=("-serial", "file:{path}"),
        oob_device="/dev/ttyS1", oob_qemu=("-serial", "file:{path}"),
        # TCG: the emulated TSC follows the host clock and is synchronous
        # across vCPUs; without tsc=reliable the kernel may fall back to
        # HPET, whose MMIO reads serialise the vCPUs (2-2.5x slower).
        cmdline=("tsc=reliable", "8250.nr_uarts=2")),
    # pauth-impdef=on: QARMA pointer authentication in full is ~4x slower
    "arm64": Arch(
        name="arm64", make_arch="arm64", cross_compile="aarch64-linux-gnu-",
        qemu="qemu-system-aarch64", qemu_package="qemu-system-arm", machine=("-M", "virt"),
        cpu="max,pauth-impdef=on", console="ttyAMA0",
        console_qemu=("-serial", "file:{path}"),
        oob_device="/dev/hvc0",
        oob_qemu=("-device", "virtio-serial-device", "-chardev", "file,id=pcoob,path={path}",
                  "-device", "virtconsole,chardev=pcoob"),
        cmdline=(), gnu_type="aarch64-linux-gnu", elf_machine=183,
        guest_modules=("virtio_mmio", "virtio_console"),
        cross_packages=("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross")),
    "s390x": Arch(
        name="s390x", make_arch="s390", cross_compile="s390x-linux-gnu-",
        qemu="qemu-system-s390x", qemu_package="qemu-system-misc",
        machine=("-M", "s390-ccw-virtio"), cpu="max", console="ttysclp0",
        console_qemu=("-serial", "file:{path}"),
        oob_device="/dev/hvc0",
        oob_qemu=("-device", "virtio-serial-ccw", "-chardev", "file,id=pcoob,path={path}",
                  "-device", "virtconsole,chardev=pcoob"),
        cmdline=(), gnu_type="s390x-linux-gnu", elf_machine=22,
        guest_modules=("virtio_console",),
        cross_packages=("gcc-s390x-linux-gnu", "libc6-dev-s390x-cross")),
}


@dataclass(frozen=True)
class Label:
    """One kernel of the matrix. release is the apt target release of the
    metapackage linux-image-<arch> ('' = apt's candidate; backports are
    never candidates). Its Depends names the concrete image package. If
    that kernel's uname -r or Debian version does not match kver_re and
    ver_re (Python regexes searched, "." = anything), the newest
    linux-image-<kver>-<arch> in the state's lists that matches both is
    used instead. suite is the Debian suite whose compiler builds modules
    for it."""
    name: str
    arch: str
    state: str
    release: str
    kver_re: str
    ver_re: str
    suite: str

    @property
    def meta(self):
        meta = f"linux-image-{self.arch}"
        return f"{meta}/{self.release}" if self.release else meta


LABELS = [
    Label("6.1", "amd64", "bookworm", "", ".", ".", "bookworm"),
    Label("6.12", "amd64", "bookworm", "bookworm-backports", ".", ".", "bookworm"),
    Label("6.12-trixie", "amd64", "trixie", "", r"^6\.12\.", ".", "trixie"),
    Label("5.10", "amd64", "bullseye", "", r"^5\.10\.", ".", "bullseye"),
    Label("7", "amd64", "sid", "unstable", r"^7\.", r"^[^~]+$", "sid"),
    Label("7-rc", "amd64", "experimental", "experimental", r"^7\.", r"~rc", "experimental"),
    Label("6.1-arm64", "arm64", "bookworm-arm64", "", ".", ".", "bookworm"),
    Label("6.12-arm64", "arm64", "bookworm-arm64", "bookworm-backports", ".", ".", "bookworm"),
    Label("6.1-s390x", "s390x", "bookworm-s390x", "", ".", ".", "bookworm"),
    Label("6.12-s390x", "s390x", "bookworm-s390x", "bookworm-backports", ".", ".", "bookworm"),
]
DEFAULT_KERNELS = ["5.10", "6.1", "6.12", "6.12-trixie", "7",
                   "6.1-arm64", "6.12-arm64", "6.1-s390x", "6.12-s390x"]
CANARY_KERNELS = ["7-rc"]
# Kernels built here from Debian's linux-source (pctest_source.py), for
# the host's architecture and with the host's compiler.
DEBUG_LABEL = "debug"
OWNER_LABEL = "6.12-page_owner"
OWNER_BASE_LABEL = "6.12"       # the Debian kernel it rebuilds

# The suites of each apt state, as (archive, suite): archive "debian" is
# the Debian archive mirror, "security" the security mirror.
APT_STATES = {
    "bookworm": [("debian", "bookworm"), ("debian", "bookworm-updates"),
                 ("debian", "bookworm-backports"), ("security", "bookworm-security")],
    # apt's candidate: the newest of the three
    "trixie": [("debian", "trixie"), ("debian", "trixie-updates"),
               ("security", "trixie-security")],
    # bullseye-backports is archived (404 on the mirror)
    "bullseye": [("debian", "bullseye"), ("debian", "bullseye-updates"),
                 ("security", "bullseye-security")],
    "sid": [("debian", "sid")],
    # experimental alone is not installable: sid under it
    "experimental": [("debian", "sid"), ("debian", "experimental")],
}
# Foreign architectures: "<state>-<arch>" is <state>'s sources for <arch>,
# with amd64 beside it for linux-kbuild (its tools run on the host).
for _state in ("bookworm",):
    for _arch in ("arm64", "s390x"):
        APT_STATES[f"{_state}-{_arch}"] = APT_STATES[_state]


@dataclass(frozen=True)
class ChrootSuite:
    """A suite chroot: the distribution mmdebstrap installs, its sources
    as (archive, suite), and the headers metapackages whose compiler it
    gets."""
    dist: str
    sources: tuple
    hdr_meta: str


def _stable_chroot(suite):
    return ChrootSuite(suite, (("debian", suite), ("debian", f"{suite}-updates"),
                               ("security", f"{suite}-security")), "linux-headers-amd64")


CHROOT_SUITES = {
    **{s: _stable_chroot(s) for s in ("bullseye", "bookworm", "trixie")},
    "sid": ChrootSuite("sid", (("debian", "sid"),), "linux-headers-amd64"),
    "experimental": ChrootSuite("sid", (("debian", "sid"), ("debian", "experimental")),
                                "linux-headers-amd64/experimental linux-headers-amd64"),
}


def state_arch(state):
    """The architecture an apt state's lists are for."""
    for arch in ARCHES:
        if state.endswith("-" + arch):
            return arch
    return "amd64"


def label(name):
    for entry in LABELS:
        if entry.name == name:
            return entry
    raise Error(f"unknown kernel label '{name}' (labels: {' '.join(l.name for l in LABELS)})")


def arch_of(name):
    """The architecture of a label, or of a kernel built from source."""
    return "amd64" if name in (DEBUG_LABEL, OWNER_LABEL) else label(name).arch


def suite_of(name):
    """The Debian suite whose compiler builds modules for a label."""
    return HOST_SUITE if name in (DEBUG_LABEL, OWNER_LABEL) else label(name).suite


def suite_of(name):
    """The Debian suite whose compiler builds modules for a label."""
    return HOST_SUITE if name in (DEBUG_LABEL, OWNER_LABEL) else label(name).suite


# ---------------------------------------------------------------------------
# Boot plans: the boots of each kernel, in order. The guest runs
# /pc/suite.sh MODE ARGS... (tests/guest).

@dataclass(frozen=True)
class Boot:
    """One boot of a plan: the guest runs /pc/suite.sh MODE ARGS..."""
    name: str
    mode: str
    args: str = ""          # pc.args, words "k=v k=v"
    smp: int = 4
    mem: int = 2048         # MiB
    timeout: int = 3000     # seconds
    cmdline: str = ""       # extra kernel options
    maxcpus: int = 0        # possible CPUs, hot-pluggable beyond smp; 0: smp


# To fit CI's hour on two cores, only 6.1 and 6.12 on amd64 (the fleet's
# kernels) take FLEET_LOADS, the suite's full frees with fewer repeated
# cycles; every other label runs the same checks with
# SMALL_LOADS. The canary runs only its "check" mode boots.
CHECK_ARGS = "hooks=tracepoint,ftrace,kprobe"
# track=1's endurance run: the fleet's kernels churn at least two minutes
# through a table of 512 events, the others 30 s through 256 (about twice
# what allocated pages hold after the churn: a smaller table can evict
# even the held page's); the churn goes on until it wrote 100 times the
# table (about 500 events a second on amd64 and s390x) on 6.1 and 6.12,
# 25 times elsewhere (turnover=): the same check, less repetition.
# Repeated cycles (load/unload, unload under fire, fuzz writes) are the
# loads cut to fit the hour; every check still runs.
FLEET_LOADS = "fp=600000 cycles=5 flood=200000 fuzz=1000 unload=5 churn=120 endurance=512"
SMALL_LOADS = "fp=200000 cycles=3 flood=100000 fuzz=1000 unload=3 churn=30 endurance=256 turnover=25"
FULL_PLAN = [
    Boot("check", "check", f"{CHECK_ARGS} {FLEET_LOADS}", smp=4, mem=2048, timeout=3000),
]
# A label without an entry in BOOT_PLAN or FOREIGN_PLAN.
DEFAULT_PLAN = [
    Boot("check", "check", f"{CHECK_ARGS} {SMALL_LOADS}", smp=4, mem=2048, timeout=3000),
]
# Real upstream bugs through the kernel's own code (tests/guest/real.sh).
REAL_BOOT = Boot("real", "real", smp=2, mem=1024, timeout=900)
# The kdump boot's memory for the capture kernel.
CRASHKERNEL = "256M"
# 6.12 also boots with init_on_alloc=0: the kernel then checks no free.
# 6.1 also boots with 255 possible CPUs (6.12's topology code does not count
# QEMU's hot-pluggable ones): memory must not grow with them; once to
# panic on a bad free, judged by pctest_panic; once more to panic into a
# kdump capture kernel, judged by pctest_kdump; and as make demo does,
# whose report README.md shows (pctest_readme).
BOOT_PLAN = {
    "6.1": FULL_PLAN + [Boot("many-cpus", "many-cpus", smp=2, maxcpus=255, mem=1024,
                             timeout=600),
                        Boot("panic", "panic", smp=2, mem=1024, timeout=600),
                        Boot("kdump", "kdump", smp=2, mem=1024, timeout=600,
                             cmdline=f"crashkernel={CRASHKERNEL} "
                             "crash_kexec_post_notifiers"),
                        Boot("demo", "demo", smp=2, mem=1024, timeout=600)],
    "6.12": FULL_PLAN + [Boot("kernel-checks", "kernel-checks", smp=2, mem=1024,
                              timeout=600, cmdline="init_on_alloc=0"),
                         REAL_BOOT],
}
# arm64 and s390x: TCG translates another instruction set, several times
# slower, so two vCPUs. Each runs the 20 track= switches under load of
# every label (25 s a switch on s390x was a background workload the suite
# failed to stop, not s390x).
FOREIGN_PLAN = {
    "arm64": [dataclasses.replace(DEFAULT_PLAN[0], smp=2)],
    "s390x": [dataclasses.replace(DEFAULT_PLAN[0], smp=2)],
}
# The debug kernel (KASAN, lockdep, DEBUG_VM) makes TCG several times
# slower: smaller loads (one unload cycle takes about 20 s under KASAN).
# signed-lockdown: booted locked down, the modules signed with the key the
# debug kernel's build made (pctest_build.signing_key).
DEBUG_PLAN = [
    Boot("check", "check",
         "hooks=tracepoint,ftrace,kprobe fp=300000 flood=200000 unload=50 churn=120 "
         "endurance=256 diff=10000", smp=4, mem=2048, timeout=7200),
    Boot("signed-lockdown", "signed-lockdown", smp=2, mem=1024, timeout=900,
         cmdline="lockdown=integrity"),
]
# A canary runs the backend steps only: its results are never counted.
CANARY_ARGS = "track=0 reliability=0 lockdown=0"
# DKMS and the .deb: these, and every foreign label checked.
DKMS_KERNELS = ["6.1", "6.12"]
# make check-real: Debian's kernels that still have the real bugs
# (tests/guest/real.sh), each booted twice.
REAL_KERNELS = ["6.12", "6.12-trixie", "7"]


def plan(name, canary=False):
    if name == DEBUG_LABEL:
        boots = DEBUG_PLAN
    elif name in BOOT_PLAN:
        boots = BOOT_PLAN[name]
    else:
        boots = FOREIGN_PLAN.get(label(name).arch, DEFAULT_PLAN)
    if canary:
        return [dataclasses.replace(b, args=f"{b.args} {CANARY_ARGS}".strip())
                for b in boots if b.mode == "check"]
    return boots


def find_boot(name, boot):
    for b in plan(name):
        if b.name == boot:
            return b
    raise Error(f"no boot '{boot}' in the plan of {name} "
                f"({' '.join(b.name for b in plan(name))})")


# ---------------------------------------------------------------------------
# The benchmark's kernels (pctest_bench.py).

BENCH_KERNELS = ["6.1", "6.12", "7", "6.12-arm64"]
# make check's reduced run: the configurations its gates need, per kernel.
# 6.12 and 7.x also compare pagecheck's cost per tail page with the
# kernel's own checks, which init_on_alloc=0 turns off there.
GATED = ["baseline", "floor", "tracepoint", "ftrace", "kprobe", "record", "bpftrace"]
CI_PLAN = {"6.1": GATED, "6.12": GATED + ["kopt-init_on_alloc0", "track"],
           "7": ["floor", "tracepoint", "kopt-init_on_alloc0", "kopt-checks_only"],
           # arm64: the order-0, fixed-cost and points targets (make bench
           # has the backends and peers, docs/benchmark-arm64.md).
           "6.12-arm64": ["floor", "tracepoint"]}
# The guest CPU of every boot, per architecture: no hardware RNG (RDRAND,
# RNDR), so the RNG is seeded from guest timings, which -icount makes
# deterministic; cortex-a72 also has no pointer authentication. s390x is
# not benchmarked yet.
BENCH_CPU = {"amd64": "qemu64,+smep,+smap", "arm64": "cortex-a72"}


def benchmarked(name):
    """Whether the benchmark boots a label (its architecture has a CPU)."""
    return arch_of(name) in BENCH_CPU
