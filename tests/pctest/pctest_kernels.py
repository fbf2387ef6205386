# SPDX-License-Identifier: GPL-2.0
"""How to get each kernel of the matrix.

Debian distribution kernels (image, modules, headers, kbuild) are fetched
into the cache with a private apt state (pctest_apt.py), never installed
system-wide; their headers are made usable in place as an out-of-tree
KDIR. Kernels whose Debian suite is not the host's build modules in that
suite's chroot. The debug kernel is Debian's linux-source-6.12 built with
KASAN, lockdep and DEBUG_VM.

Cache layout (PAGECHECK_CACHE, default ~/.cache/pagecheck):
  debs/<kver>/          downloaded .debs (deleted after a good extraction
                        unless PAGECHECK_KEEP_DEBS=1)
  kernels/<kver>/root/  dpkg-deb -x of all packages
  kernels/<kver>/ready  stamp: extraction, fix-ups and test build passed
  labels/<label>.env    last resolved result for the label (offline fallback)
  debug-kernel/         the debug kernel builds and their source tarball
"""
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pctest_apt import AptState, Chroot, version_compare
from pctest_common import ROOT, Error, Lock, cache, log, offline, read_text, run, utc_stamp, warn
from pctest_matrix import ARCHES, HOST_SUITE, OWNER_BASE_LABEL, OWNER_LABEL, label


# ---------------------------------------------------------------------------
# Resolution: label -> concrete kernel and the packages to download. Works on
# anything with query(*apt_cache_args) -> stdout, so tests feed recordings.

@dataclass
class Resolution:
    kver: str
    version: str
    packages: list


def apt_field(apt, spec, name):
    """Field name of the version apt selects for spec ('' if none)."""
    for line in apt.query("show", "--no-all-versions", spec).splitlines():
        if line.split(None, 1)[:1] == [name + ":"]:
            return line.split(":", 1)[1].strip()
    return ""


def _alternatives(depends):
    """Every alternative of a Depends value, one string each."""
    return [a.strip() for a in re.split(r"[,|]", depends) if a.strip()]


def _names(depends):
    return [a.split()[0] for a in _alternatives(depends)]


def _matches(lab, kver, version):
    return bool(re.search(lab.kver_re, kver) and re.search(lab.ver_re, version))


def search_newest(lab, apt):
    """Newest linux-image-<kver>-<arch> (no cloud or rt flavour) whose
    kver and version match the label: (kver, version) or None."""
    best = None
    suffix = "-" + lab.arch
    names = apt.query("search", "--names-only", f"^linux-image-[0-9].*{suffix}$")
    for name in (line.split()[0] for line in names.splitlines() if line.strip()):
        k = name[len("linux-image-"):-len(suffix)]
        if k.endswith("-cloud") or k.endswith("-rt"):
            continue
        for row in apt.query("madison", name).splitlines():
            cols = [c.replace(" ", "") for c in row.split("|")]
            if len(cols) < 2 or cols[0] != name:
                continue
            v = cols[1]
            if not _matches(lab, k + suffix, v):
                continue
            if best is None or version_compare(v, best[1]) > 0:
                best = (k + suffix, v)
    return best


def resolve(lab, apt):
    """The label's kernel from the apt lists, or raise Error."""
    kver = version = ""
    for dep in _alternatives(apt_field(apt, lab.meta, "Depends")):
        if dep.startswith("linux-image-"):
            kver = dep.split()[0][len("linux-image-"):]
            m = re.search(r"\(= *([^)]+)\)", dep)
            version = m.group(1).strip() if m else apt_field(apt, f"linux-image-{kver}", "Version")
            break
    if not kver or not _matches(lab, kver, version):
        if lab.kver_re + lab.ver_re == "..":
            raise Error(f"cannot resolve {lab.meta} from apt metadata")
        if kver:
            log(f"{lab.meta} is {kver} ({version}), not {lab.kver_re} / {lab.ver_re}: searching")
        found = search_newest(lab, apt)
        if found is None:
            raise Error(f"no linux-image-*-{lab.arch} in the lists matches "
                        f"{lab.kver_re} / {lab.ver_re}")
        kver, version = found
    hdeps = apt_field(apt, f"linux-headers-{kver}={version}", "Depends")
    if not hdeps:
        raise Error(f"no linux-headers-{kver}={version} in the lists")
    common = [n for n in _names(hdeps) if re.match(r"^linux-headers-.*-common", n)]
    kbuild = [n for n in _names(hdeps) if n.startswith("linux-kbuild-")]
    if not kbuild:
        raise Error(f"linux-headers-{kver} has no linux-kbuild dependency")
    packages = [f"linux-image-{kver}={version}", f"linux-headers-{kver}={version}"]
    # 7.x: the image package is a shell; vmlinuz and modules are split out.
    image_deps = _names(apt_field(apt, f"linux-image-{kver}={version}", "Depends"))
    for part in ("base", "binary", "modules"):
        if f"linux-{part}-{kver}" in image_deps:
            packages.append(f"linux-{part}-{kver}={version}")
    if common:
        packages.append(f"{common[0]}={version}")
    # kbuild comes from the same source package; prefer the same version.
    # Its programs (fixdep, modpost) run on the host: amd64 for a foreign
    # architecture's headers.
    kb = kbuild[0] if lab.arch == "amd64" else f"{kbuild[0]}:amd64"
    if apt_field(apt, f"{kb}={version}", "Version"):
        packages.append(f"{kb}={version}")
    else:
        other = apt_field(apt, kb, "Version")
        warn(f"{kb}={version} not in lists, using {other}")
        packages.append(f"{kb}={other}")
    return Resolution(kver, version, packages)


# ---------------------------------------------------------------------------
# A fetched kernel.

@dataclass
class Kernel:
    label: str
    arch: str
    kver: str
    vmlinuz: Path
    kdir: Path
    moddir: Path
    suite: str

    def describe(self):
        return (f"KVER={self.kver}\nVMLINUZ={self.vmlinuz}\nKDIR={self.kdir}\n"
                f"MODDIR={self.moddir}\nSUITE={self.suite}\nARCH={self.arch}\n")


def cached_kernel(lab, kver):
    kd = cache() / "kernels" / kver / "root"
    return Kernel(lab.name, lab.arch, kver, kd / "boot" / f"vmlinuz-{kver}",
                  kd / "usr" / "src" / f"linux-headers-{kver}", kd / "lib" / "modules" / kver,
                  lab.suite)


def is_ready(kernel):
    return ((kernel.vmlinuz.parents[2] / "ready").is_file() and kernel.vmlinuz.is_file()
            and (kernel.kdir / "Makefile").is_file() and (kernel.moddir / "kernel").is_dir())


def _label_file(lab):
    return cache() / "labels" / f"{lab.name}.env"


def _remember(lab, kernel):
    path = _label_file(lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"KVER={kernel.kver}\nVMLINUZ={kernel.vmlinuz}\nKDIR={kernel.kdir}\n"
            f"MODDIR={kernel.moddir}\nSUITE={kernel.suite}\n")
    if read_text(path) != text:
        path.write_text(text)


def fallback(lab, why):
    """The label's last good kernel, if it is still cached; else raise."""
    text = read_text(_label_file(lab)) or ""
    m = re.search(r"^KVER=(.+)$", text, re.M)
    if m:
        kernel = cached_kernel(lab, m.group(1))
        if is_ready(kernel):
            warn(f"{why}; using cached kernel {kernel.kver} for label {lab.name}")
            return kernel
    raise Error(f"{why} (and no cached kernel for label {lab.name})")


def fetch(name):
    """Fetch, extract, fix up and test the kernel of a label."""
    lab = label(name)
    if lab.arch not in ARCHES:
        raise Error(f"label {name}: architecture {lab.arch} is not supported yet")
    for tool in ("apt-get", "apt-cache", "dpkg-deb", "make", "gcc", ARCHES[lab.arch].cc):
        if not shutil.which(tool):
            raise Error(f"'{tool}' not found (run: pctest.py deps)")
    apt = AptState(lab.state)
    with apt.lock():
        apt.setup()
        apt.refresh()
        if not apt.has_lists():
            return fallback(lab, f"no apt metadata for '{lab.state}'")
        try:
            res = resolve(lab, apt)
        except Error as e:
            return fallback(lab, str(e))
        log(f"label {lab.name} -> {res.kver} ({res.version})")
        kernel = cached_kernel(lab, res.kver)
        if is_ready(kernel):
            log(f"cached: {kernel.vmlinuz.parents[2]}")
            _remember(lab, kernel)
            return kernel
        if offline():
            return fallback(lab, f"kernel {res.kver} not cached and PAGECHECK_OFFLINE=1")
        try:
            _download_and_extract(lab, apt, res)
        except Error as e:
            return fallback(lab, str(e))
        kernel = cached_kernel(lab, res.kver)
        log(f"test-building a hello module against {kernel.kdir}")
        hello_build(kernel, kernel.vmlinuz.parents[2] / "hello-test")
        (kernel.vmlinuz.parents[2] / "ready").write_text(utc_stamp() + "\n")
        if os.environ.get("PAGECHECK_KEEP_DEBS", "0") != "1":
            shutil.rmtree(cache() / "debs" / res.kver, ignore_errors=True)
        _remember(lab, kernel)
        log(f"ready: {res.kver}")
        return kernel


def _download_and_extract(lab, apt, res):
    debs = cache() / "debs" / res.kver
    debs.mkdir(parents=True, exist_ok=True)
    log(f"downloading {' '.join(res.packages)}")
    for old in debs.glob("*.deb"):      # an interrupted run's may be another version
        old.unlink()
    apt.download(res.packages, debs, debs / "download.log")
    kd = cache() / "kernels" / res.kver
    tmp = kd.with_name(kd.name + ".tmp")
    log(f"extracting into {kd}/root")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "root").mkdir(parents=True)
    for pkg in res.packages:
        name = pkg.split("=")[0].split(":")[0]
        found = sorted(debs.glob(f"{name}_*.deb"))
        if not found:
            raise Error(f"downloaded .deb for {name} not found in {debs}")
        run(["dpkg-deb", "-x", found[0], tmp / "root"])
        with open(tmp / "packages", "a") as f:
            f.write(pkg + "\n")
    _merged_usr_paths(tmp / "root", res.kver)
    shutil.rmtree(kd, ignore_errors=True)
    tmp.rename(kd)
    # Paths are rewritten after the final move so that they point at kd.
    fixup_headers(kd / "root")
    if not (kd / "root" / "boot" / f"vmlinuz-{res.kver}").is_file():
        raise Error(f"no vmlinuz-{res.kver} in the packages")
    if not (kd / "root" / "usr" / "src" / f"linux-headers-{res.kver}" / "Makefile").is_file():
        raise Error(f"no headers Makefile for {res.kver}")


def _merged_usr_paths(r, kver):
    """Merged-/usr packages (trixie and later) ship usr/lib/modules, and
    from 7.x vmlinuz only as usr/lib/modules/<kver>/vmlinuz: provide the
    classic paths."""
    if not (r / "lib" / "modules").exists() and (r / "usr" / "lib" / "modules").exists():
        (r / "lib").mkdir(exist_ok=True)
        (r / "lib" / "modules").symlink_to("../usr/lib/modules")
    if not (r / "boot").exists() and (r / "usr" / "boot").exists():
        (r / "boot").symlink_to("usr/boot")
    vmlinuz = r / "boot" / f"vmlinuz-{kver}"
    if not vmlinuz.exists() and (r / "usr" / "lib" / "modules" / kver / "vmlinuz").is_file():
        (r / "boot").mkdir(exist_ok=True)
        vmlinuz.symlink_to(f"../usr/lib/modules/{kver}/vmlinuz")


_HEADER_FILES = re.compile(r"^(Makefile|Kbuild|Makefile\..*|.*\.mk)$")
_ABS_PATHS = re.compile(r"(^|[^A-Za-z0-9_./-])(/usr/src/|/usr/lib/linux-kbuild-)", re.M)


def fixup_headers(root):
    """Rewrite absolute /usr/src and /usr/lib/linux-kbuild-* references
    (symlinks and Makefiles) so that the extracted headers work in place."""
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            link = Path(dirpath, name)
            if link.is_symlink():
                target = os.readlink(link)
                if target.startswith("/"):
                    real = os.path.realpath(str(root) + target)
                    link.unlink()
                    link.symlink_to(os.path.relpath(real, os.path.realpath(dirpath)))
    for dirpath, _, filenames in os.walk(root / "usr" / "src"):
        for name in filenames:
            path = Path(dirpath, name)
            if not _HEADER_FILES.match(name) or path.is_symlink():
                continue
            text = path.read_text(errors="surrogateescape")
            new = _ABS_PATHS.sub(lambda m: m.group(1) + str(root) + m.group(2), text)
            if new != text:
                path.write_text(new, errors="surrogateescape")


HELLO_C = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init hello_init(void) { pr_info("hello\\n"); return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pctest kernel test module");
"""


def hello_build(kernel, dirpath):
    """Build a trivial module against the kernel's headers, with its
    suite's compiler, to prove that they work."""
    dirpath = Path(dirpath)
    shutil.rmtree(dirpath, ignore_errors=True)
    dirpath.mkdir(parents=True)
    (dirpath / "hello.c").write_text(HELLO_C)
    (dirpath / "Kbuild").write_text("obj-m := hello.o\n")
    logf = dirpath / "build.log"
    cmd = ["make", "-C", kernel.kdir, f"M={dirpath}", *make_arch_args(kernel), "modules"]
    try:
        suite_run(kernel, cmd, logf, binds=[dirpath])
    except Error as e:
        raise Error(f"hello module failed to build against {kernel.kver}: {e}")
    if not (dirpath / "hello.ko").is_file():
        raise Error(f"hello module failed to build against {kernel.kver} (log: {logf})")
    noise = [l for l in read_text(logf).splitlines() if re.search(r"warning|No such file", l, re.I)]
    if noise:
        warn("test build produced warnings:\n" + "\n".join(noise))
    # Nothing from outside the cache may be used: catch stray absolute paths.
    # (the cache's kernels/ may be a symlink: either spelling is inside)
    inside = (str(cache()), os.path.realpath(cache() / "kernels"))
    for cmdfile in dirpath.glob(".*.cmd"):
        for line in read_text(cmdfile).splitlines():
            if re.search(r"/usr/(src|lib/linux-kbuild)", line) and \
                    not any(i in line for i in inside):
                raise Error(f"test build referenced host /usr/src or kbuild paths ({cmdfile})")


def make_arch_args(kernel):
    """ARCH= and CROSS_COMPILE= for make, when not building natively."""
    arch = ARCHES[kernel.arch]
    if not arch.cross_compile:
        return []
    return [f"ARCH={arch.make_arch}", f"CROSS_COMPILE={arch.cross_compile}"]


def suite_run(kernel, cmd, logf, binds=()):
    """Run cmd with the compiler of the kernel's suite: on the host for the
    host's suite, else in that suite's chroot."""
    if kernel.suite == HOST_SUITE:
        run(cmd, log_path=logf)
        return
    chroot = Chroot(kernel.suite)
    # Debian headers include their -common sibling: bind KDIR's parent.
    chroot.run(cmd, logf, kdir=kernel.kdir, binds=[kernel.kdir.parent, *binds])


# ---------------------------------------------------------------------------
# The debug kernel: Debian's linux-source-6.12 (bookworm-security or
# bookworm-backports), x86_64_defconfig plus tests/debug/debug.config (KASAN,
# PROVE_LOCKING, DEBUG_VM, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, KFENCE, all
# built in), compiled with the host's gcc. Cached as
# debug-kernel/<version>-<hash>/ (linux/ is KDIR and has the bzImage); the
# hash covers the fragment, the base config, the compiler and the recipe.
# Environment: PAGECHECK_DEBUG_SRCVER (pin the linux-source version),
# PAGECHECK_DEBUG_JOBS (make -j, default nproc), PAGECHECK_DEBUG_KEEP
# (builds kept, default 2), PAGECHECK_NICE (default 19).

DEBUG_RECIPE = 1        # bump when the steps below change the result
DEBUG_SRCPKG = "linux-source-6.12"
DEBUG_BASE = "x86_64_defconfig"
DEBUG_FRAGMENT = ROOT / "tests" / "debug" / "debug.config"


def _debug_key_hash():
    gcc = run(["gcc", "--version"]).stdout.splitlines()[0]
    text = f"recipe {DEBUG_RECIPE} base {DEBUG_BASE}\n{gcc}\n{DEBUG_FRAGMENT.read_text()}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _safe_name(version):
    return re.sub(r"[^A-Za-z0-9.+\-]", "_", version)


def check_config(fragment_text, config_text):
    """(errors, notes): every value the fragment sets must survive
    olddefconfig; an option it disables that something selects, and
    modules (=m, not in the image), are only notes."""
    want, off, have = {}, set(), {}
    for line in fragment_text.splitlines():
        m = re.match(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", line)
        if m:
            want[m.group(1)] = m.group(2)
        m = re.match(r"^# (CONFIG_[A-Za-z0-9_]+) is not set", line)
        if m:
            off.add(m.group(1))
    for line in config_text.splitlines():
        m = re.match(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", line)
        if m:
            have[m.group(1)] = m.group(2)
    errors = [f"{k}={v} requested, got {have.get(k, 'not set')}"
              for k, v in sorted(want.items()) if have.get(k, "not set") != v]
    notes = [f"{k}={have[k]} (selected elsewhere)" for k in sorted(off)
             if k in have and have[k] != "n"]
    mods = [k for k, v in have.items() if v == "m"]
    if mods:
        notes.append("modular (=m), not in the image: " + " ".join(mods))
    return errors, notes


def debug_kernel():
    """Build the debug kernel once; afterwards return it from the cache."""
    for h in ("gelf.h", "openssl/opensslv.h"):
        if not Path("/usr/include", h).is_file():
            raise Error(f"/usr/include/{h} missing (libelf-dev, libssl-dev: "
                        "run pctest.py deps check-debug)")
    if not DEBUG_FRAGMENT.is_file():
        raise Error(f"config fragment {DEBUG_FRAGMENT} not found")
    jobs = os.environ.get("PAGECHECK_DEBUG_JOBS", str(os.cpu_count() or 1))
    if not jobs.isdigit() or int(jobs) < 1:
        raise Error("PAGECHECK_DEBUG_JOBS must be a positive integer")
    dk = cache() / "debug-kernel"
    (dk / "src").mkdir(parents=True, exist_ok=True)
    key_hash = _debug_key_hash()
    with Lock(dk / "lock", "another debug kernel build"):
        # Holding the lock: any temporary build directory is a leftover.
        for left in [*dk.glob(".tmp-*"), *(dk / "src").glob(".dl-*")]:
            shutil.rmtree(left, ignore_errors=True)
        srcver = _debug_source(dk, key_hash)
        out = dk / f"{_safe_name(srcver)}-{key_hash}"
        if (out / "ready").is_file() and (out / "env").is_file():
            log(f"cached: {out}")
        else:
            _debug_build(dk, out, srcver, int(jobs))
        env = dict(line.split("=", 1) for line in (out / "env").read_text().splitlines())
    return Kernel("debug", "amd64", env["KVER"], Path(env["VMLINUZ"]), Path(env["KDIR"]),
                  Path(env["MODDIR"]), env["SUITE"])


def _tarball(dk, version):
    return dk / "src" / f"{DEBUG_SRCPKG}_{_safe_name(version)}.tar.xz"


def _debug_source(dk, key_hash):
    """The linux-source version to build, its tarball downloaded if needed."""
    pin = os.environ.get("PAGECHECK_DEBUG_SRCVER", "")
    srcver = pin
    if not offline():
        apt = AptState(HOST_SUITE)
        with apt.lock():
            apt.setup()
            apt.refresh()
            if not srcver:
                versions = [c[1].strip() for c in
                            (row.split("|") for row in apt.query("madison", DEBUG_SRCPKG)
                             .splitlines()) if len(c) > 1 and c[0].strip() == DEBUG_SRCPKG]
                for v in versions:
                    if not srcver or version_compare(v, srcver) > 0:
                        srcver = v
                if not srcver:
                    warn(f"{DEBUG_SRCPKG} not in the apt lists")
            built = srcver and (dk / f"{_safe_name(srcver)}-{key_hash}" / "ready").is_file()
            if srcver and not _tarball(dk, srcver).is_file() and not built:
                try:
                    _fetch_source(dk, apt, srcver)
                except Error as e:
                    warn(f"download of {DEBUG_SRCPKG}={srcver} failed: {e}")
                    if not pin:
                        srcver = ""
    if not srcver:
        cached = [p.read_text().strip() for p in (dk / "src").glob(f"{DEBUG_SRCPKG}_*.tar.xz.version")
                  if p.with_suffix("").is_file()]
        for v in cached:
            if not srcver or version_compare(v, srcver) > 0:
                srcver = v
        if not srcver:
            raise Error(f"no {DEBUG_SRCPKG} version from apt and none cached")
        warn(f"using cached {DEBUG_SRCPKG} {srcver}")
    return srcver


def _fetch_source(dk, apt, version):
    dl = Path(tempfile.mkdtemp(prefix=".dl-", dir=dk / "src"))
    try:
        log(f"downloading {DEBUG_SRCPKG}={version}")
        apt.download([f"{DEBUG_SRCPKG}={version}"], dl, dl / "download.log")
        debs = sorted(dl.glob(f"{DEBUG_SRCPKG}_*.deb"))
        if not debs:
            raise Error(f"no {DEBUG_SRCPKG} .deb after the download")
        run(["dpkg-deb", "-x", debs[0], dl / "x"])
        inner = dl / "x" / "usr" / "src" / f"{DEBUG_SRCPKG}.tar.xz"
        if not inner.is_file():
            raise Error(f"{debs[0]} has no usr/src/{DEBUG_SRCPKG}.tar.xz")
        tb = _tarball(dk, version)
        Path(str(tb) + ".version").write_text(version + "\n")
        inner.rename(tb)
    finally:
        shutil.rmtree(dl, ignore_errors=True)


def _debug_build(dk, out, srcver, jobs):
    tb = _tarball(dk, srcver)
    if not tb.is_file():
        raise Error(f"{DEBUG_SRCPKG} {srcver} is not cached and could not be downloaded")
    nice = ["nice", "-n", os.environ.get("PAGECHECK_NICE", "19")]
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out.name}.", dir=dk))
    tmp.chmod(0o755)
    try:
        src = tmp / "linux"
        logf = tmp / "build.log"
        log(f"unpacking {tb.name} into {tmp}")
        run([*nice, "tar", "-xJf", tb, "-C", tmp])
        (tmp / DEBUG_SRCPKG).rename(src)

        def kmake(*args):
            try:
                run([*nice, "make", "-C", src, *args], log_path=logf, append=True)
            except Error as e:
                shutil.copyfile(logf, dk / "failed-build.log")
                raise Error(f"make {' '.join(args)} failed (log: {dk / 'failed-build.log'}): {e}")

        log(f"configuring: {DEBUG_BASE} + {DEBUG_FRAGMENT.relative_to(ROOT)}")
        kmake(DEBUG_BASE)
        run(["scripts/kconfig/merge_config.sh", "-m", ".config", DEBUG_FRAGMENT], cwd=src,
            log_path=logf, append=True)
        kmake("olddefconfig")
        errors, notes = check_config(DEBUG_FRAGMENT.read_text(), (src / ".config").read_text())
        for note in notes:
            log(f"config note: {note}")
        if errors:
            raise Error("the fragment's settings did not survive olddefconfig (fix "
                        f"{DEBUG_FRAGMENT}):\n" + "\n".join("    " + e for e in errors))
        shutil.copyfile(src / ".config", tmp / "config")
        # "all" = vmlinux + bzImage + modules; with no =m entries "modules"
        # just runs modpost, which writes the Module.symvers M= builds need.
        log(f"building {DEBUG_SRCPKG} {srcver} (make -j{jobs} all, {' '.join(nice)}; log: {logf})")
        kmake(f"-j{jobs}", "all")
        kver = (src / "include" / "config" / "kernel.release").read_text().strip()
        bz = src / "arch" / "x86" / "boot" / "bzImage"
        if not bz.is_file() or not (src / "Module.symvers").is_file():
            raise Error("no bzImage or Module.symvers after the build")
        if "-pcdebug" not in kver:
            raise Error(f"unexpected kernel release '{kver}'")
        kmake(f"INSTALL_MOD_PATH={tmp / 'root'}", "DEPMOD=/sbin/depmod", "modules_install")
        # modules_install may leave links to the temporary tree
        for link in ("build", "source"):
            (tmp / "root" / "lib" / "modules" / kver / link).unlink(missing_ok=True)
        log("test-building a hello module against the tree")
        hello_build(Kernel("debug", "amd64", kver, bz, src, tmp / "root", HOST_SUITE),
                   tmp / "hello-test")
        shutil.rmtree(tmp / "hello-test")
        (tmp / "env").write_text(
            f"KVER={kver}\nVMLINUZ={out}/linux/arch/x86/boot/bzImage\nKDIR={out}/linux\n"
            f"MODDIR={out}/root/lib/modules/{kver}\nSUITE={HOST_SUITE}\nCONFIG={out}/config\n"
            f"SRCVER={srcver}\n")
        (tmp / "ready").write_text(utc_stamp() + "\n")
        old = None
        if out.exists():
            old = out.with_name(out.name + ".old")
            out.rename(old)
        tmp.rename(out)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"ready: {kver} in {out}")
    _debug_prune(dk, out, tb)


def _debug_prune(dk, out, tb):
    """Keep the newest PAGECHECK_DEBUG_KEEP builds and the current tarball."""
    keep = int(os.environ.get("PAGECHECK_DEBUG_KEEP", "2"))
    builds = sorted((r.stat().st_mtime, r.parent) for r in dk.glob("*/ready"))
    for n, (_, d) in enumerate(reversed(builds), 1):
        if n > keep and d != out:
            log(f"pruning old build {d}")
            shutil.rmtree(d, ignore_errors=True)
    for f in (dk / "src").glob(f"{DEBUG_SRCPKG}_*.tar.xz"):
        if f != tb:
            f.unlink()
            Path(str(f) + ".version").unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# The page_owner kernel: the 6.12 label's Debian kernel rebuilt from the
# same linux-source-6.12 version with its own .config, CONFIG_PAGE_OWNER=y
# and only what a rebuild outside Debian's tree needs (Debian's signing
# certificates are not in linux-source; BTF needs pahole). Only the image
# and the tree M= builds need are built. Cached as
# owner-kernel/<version>-<hash>/, with the config's diff against Debian's.
# The benchmark boots it with and without page_owner=on.

OWNER_RECIPE = 1
OWNER_LOCALVERSION = "-pcowner"
OWNER_CONFIG = ["--enable", "PAGE_OWNER",
                # Debian's module signing key is not in linux-source: the
                # kernel's default path makes the build generate one
                "--set-str", "MODULE_SIG_KEY", "certs/signing_key.pem",
                "--set-str", "SYSTEM_TRUSTED_KEYS", "",
                "--set-str", "SYSTEM_REVOCATION_KEYS", "",
                "--disable", "DEBUG_INFO_BTF",
                "--set-str", "LOCALVERSION", OWNER_LOCALVERSION]


def _debian_version(kernel):
    """The Debian version of a fetched label's kernel image."""
    pkgs = read_text(kernel.vmlinuz.parents[2] / "packages")
    m = re.search(r"^linux-image-\S+=(\S+)$", pkgs, re.M)
    if not m:
        raise Error(f"no linux-image version in {kernel.vmlinuz.parents[2] / 'packages'}")
    return m.group(1)


def config_diff(before, after):
    """'old -> new' for every option that differs between two .config texts."""
    def opts(text):
        return {m.group(1): m.group(0) for m in
                re.finditer(r"^(?:# )?(CONFIG_[A-Za-z0-9_]+)[= ].*$", text, re.M)}
    a, b = opts(before), opts(after)
    return [f"{a.get(k, '(absent)')} -> {b.get(k, '(absent)')}"
            for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def owner_kernel():
    """Build the page_owner kernel once; afterwards return it from the cache."""
    base = fetch(OWNER_BASE_LABEL)
    version = _debian_version(base)
    base_config = read_text(base.kdir / ".config")
    if not base_config:
        raise Error(f"{base.kdir}/.config missing")
    key = hashlib.sha256(f"recipe {OWNER_RECIPE} {OWNER_CONFIG}\n{base_config}"
                         .encode()).hexdigest()[:12]
    ok = cache() / "owner-kernel"
    out = ok / f"{_safe_name(version)}-{key}"
    (ok / "src").mkdir(parents=True, exist_ok=True)
    with Lock(ok / "lock", "another page_owner kernel build"):
        # Holding the lock: any temporary build directory is a leftover.
        for left in [*ok.glob(".tmp-*"), *(ok / "src").glob(".dl-*")]:
            shutil.rmtree(left, ignore_errors=True)
        if (out / "ready").is_file():
            log(f"cached: {out}")
        else:
            tb = ok / "src" / f"{DEBUG_SRCPKG}_{_safe_name(version)}.tar.xz"
            if not tb.is_file():
                apt = AptState(HOST_SUITE)
                with apt.lock():
                    apt.setup()
                    apt.refresh()
                    _fetch_source(ok, apt, version)
            _owner_build(ok, out, tb, base_config)
        env = dict(line.split("=", 1) for line in (out / "env").read_text().splitlines())
    return Kernel(OWNER_LABEL, "amd64", env["KVER"], Path(env["VMLINUZ"]),
                  Path(env["KDIR"]), Path(env["MODDIR"]), HOST_SUITE)


def _owner_build(ok, out, tb, base_config):
    jobs = os.environ.get("PAGECHECK_DEBUG_JOBS", str(os.cpu_count() or 1))
    nice = ["nice", "-n", os.environ.get("PAGECHECK_NICE", "19")]
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out.name}.", dir=ok))
    try:
        src, logf = tmp / "linux", tmp / "build.log"
        log(f"unpacking {tb.name} into {tmp}")
        run([*nice, "tar", "-xJf", tb, "-C", tmp])
        (tmp / DEBUG_SRCPKG).rename(src)
        (src / ".config").write_text(base_config)
        run(["scripts/config", "--file", ".config", *OWNER_CONFIG], cwd=src,
            log_path=logf, append=True)
        run([*nice, "make", "-C", src, "olddefconfig"], log_path=logf, append=True)
        config = (src / ".config").read_text()
        if "CONFIG_PAGE_OWNER=y" not in config:
            raise Error("CONFIG_PAGE_OWNER=y did not survive olddefconfig")
        diff = config_diff(base_config, config)
        (tmp / "config.diff").write_text("".join(d + "\n" for d in diff))
        log(f"config against Debian's: {'; '.join(diff)}")
        log(f"building bzImage (make -j{jobs}, {' '.join(nice)}; log: {logf})")
        try:
            run([*nice, "make", "-C", src, f"-j{jobs}", "bzImage", "modules_prepare"],
                log_path=logf, append=True)
        except Error as e:
            shutil.copyfile(logf, ok / "failed-build.log")
            raise Error(f"the page_owner kernel did not build (log: {ok / 'failed-build.log'}): {e}")
        shutil.copyfile(src / "vmlinux.symvers", src / "Module.symvers")
        kver = (src / "include" / "config" / "kernel.release").read_text().strip()
        bz = src / "arch" / "x86" / "boot" / "bzImage"
        (tmp / "root" / "lib" / "modules" / kver / "kernel").mkdir(parents=True)
        hello_build(Kernel(OWNER_LABEL, "amd64", kver, bz, src, tmp / "root", HOST_SUITE),
                    tmp / "hello-test")
        shutil.rmtree(tmp / "hello-test")
        (tmp / "env").write_text(
            f"KVER={kver}\nVMLINUZ={out}/linux/arch/x86/boot/bzImage\nKDIR={out}/linux\n"
            f"MODDIR={out}/root/lib/modules/{kver}\n")
        (tmp / "ready").write_text(utc_stamp() + "\n")
        tmp.rename(out)
        (ok / "failed-build.log").unlink(missing_ok=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"ready: {kver} in {out}")
