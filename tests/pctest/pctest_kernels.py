# SPDX-License-Identifier: GPL-2.0
"""How to get each kernel of the matrix.

Debian distribution kernels (image, modules, headers, kbuild) are fetched
into the cache with a private apt state (pctest_apt.py), never installed
system-wide; their headers are made usable in place as an out-of-tree
KDIR. Kernels whose Debian suite is not the host's build modules in that
suite's chroot.

Cache layout (PAGECHECK_CACHE, default ~/.cache/pagecheck):
  debs/<kver>/          downloaded .debs (deleted after a good extraction
                        unless PAGECHECK_KEEP_DEBS=1)
  kernels/<kver>/root/  dpkg-deb -x of all packages
  kernels/<kver>/ready  stamp: extraction, fix-ups and test build passed
  labels/<label>.env    last resolved result for the label (offline fallback)
"""
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pctest_apt import AptState, Chroot, version_compare
from pctest_common import Error, cache, log, offline, read_text, run, utc_stamp, warn
from pctest_matrix import ARCHES, HOST_SUITE, label


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
