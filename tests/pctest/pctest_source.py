# SPDX-License-Identifier: GPL-2.0
"""Kernels built here from Debian's linux-source-6.12, all by one recipe:
download the source package and keep its tarball, unpack it, configure,
build with the host's gcc, test-build a hello module, cache the build and
prune the old ones. Two kernels are built so:

* the debug kernel: the newest linux-source-6.12 (bookworm-security or
  bookworm-backports), x86_64_defconfig plus tests/debug/debug.config
  (KASAN, PROVE_LOCKING, DEBUG_VM, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS,
  KFENCE, all built in);
* the page_owner kernel: the 6.12 label's Debian kernel rebuilt from the
  same linux-source-6.12 version with its own .config, CONFIG_PAGE_OWNER=y
  and only what a rebuild outside Debian's tree needs (Debian's signing
  certificates are not in linux-source; BTF needs pahole). Only the image
  and the tree M= builds need are built. The benchmark boots it with and
  without page_owner=on.

Cache layout (<kernel> is debug-kernel or owner-kernel):
  <kernel>/<version>-<hash>/  a build: linux/ is KDIR and has the bzImage,
                              root/ the modules, env, config
  <kernel>/src/               the source tarballs
  <kernel>/failed-build.log   the log of the last failed build
The hash covers what makes the build: the recipe, the configuration and,
for the debug kernel, the compiler.

Environment: PAGECHECK_DEBUG_SRCVER (pin the debug kernel's linux-source
version), PAGECHECK_DEBUG_JOBS (make -j, default nproc),
PAGECHECK_DEBUG_KEEP (builds kept per kernel, default 2), PAGECHECK_NICE
(default 19).
"""
import functools
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pctest_apt import AptState, version_compare
from pctest_common import (ROOT, Error, Lock, cache, log, offline, read_text, run, utc_stamp,
                           warn)
from pctest_kernels import Kernel, fetch, hello_build
from pctest_matrix import DEBUG_LABEL, HOST_SUITE, OWNER_BASE_LABEL, OWNER_LABEL

SOURCE_PACKAGE = "linux-source-6.12"


@dataclass(frozen=True)
class Recipe:
    """What differs between the kernels built from source."""
    label: str                  # the kernel's label
    cache_dir: str              # its directory in the cache
    key: str                    # hash of what makes the build
    localversion: str           # its kernel release must hold this
    configure: Callable         # configure(tree): write tree.src/.config
    targets: tuple              # what make builds
    install: Callable           # install(tree, kver): the modules in tree.root


class _Tree:
    """A build in progress: the unpacked source, and its log, which is
    kept as failed-build.log when a step fails."""

    def __init__(self, tmp, failed_log):
        self.dir = tmp
        self.src = tmp / "linux"
        self.root = tmp / "root"
        self.log = tmp / "build.log"
        self.failed_log = failed_log
        self.nice = ["nice", "-n", os.environ.get("PAGECHECK_NICE", "19")]

    def run(self, *cmd):
        """cmd in the source tree, its output into the build log."""
        try:
            run(cmd, cwd=self.src, log_path=self.log, append=True)
        except Error as e:
            shutil.copyfile(self.log, self.failed_log)
            raise Error(f"{e}\n(log kept as {self.failed_log})")

    def make(self, *args):
        self.run(*self.nice, "make", *args)


def _safe_name(version):
    return re.sub(r"[^A-Za-z0-9.+\-]", "_", version)


def _tarball(top, version):
    return top / "src" / f"{SOURCE_PACKAGE}_{_safe_name(version)}.tar.xz"


def _build_dir(top, version, key):
    return top / f"{_safe_name(version)}-{key}"


def _jobs():
    jobs = os.environ.get("PAGECHECK_DEBUG_JOBS", str(os.cpu_count() or 1))
    if not jobs.isdigit() or int(jobs) < 1:
        raise Error("PAGECHECK_DEBUG_JOBS must be a positive integer")
    return int(jobs)


def build(recipe, choose_version):
    """recipe's kernel, built once from the linux-source version that
    choose_version(top) names; afterwards from the cache."""
    jobs = _jobs()
    top = cache() / recipe.cache_dir
    (top / "src").mkdir(parents=True, exist_ok=True)
    with Lock(top / "lock", f"another {recipe.label} kernel build"):
        # Holding the lock: any temporary build directory is a leftover.
        for left in [*top.glob(".tmp-*"), *(top / "src").glob(".dl-*")]:
            shutil.rmtree(left, ignore_errors=True)
        version = choose_version(top)
        out = _build_dir(top, version, recipe.key)
        if (out / "ready").is_file() and (out / "env").is_file():
            log(f"cached: {out}")
        else:
            tb = _tarball(top, version)
            if not tb.is_file():
                fetch_source(top, version)
            _build(recipe, top, out, tb, version, jobs)
            _prune(top, out, tb)
        env = dict(line.split("=", 1) for line in (out / "env").read_text().splitlines())
    return Kernel(recipe.label, "amd64", env["KVER"], Path(env["VMLINUZ"]), Path(env["KDIR"]),
                  Path(env["MODDIR"]), HOST_SUITE)


def fetch_source(top, version):
    """Download linux-source-6.12=version; keep its tarball in top/src."""
    apt = AptState(HOST_SUITE)
    with apt.lock():
        apt.setup()
        apt.refresh()
        dl = Path(tempfile.mkdtemp(prefix=".dl-", dir=top / "src"))
        try:
            log(f"downloading {SOURCE_PACKAGE}={version}")
            apt.download([f"{SOURCE_PACKAGE}={version}"], dl, dl / "download.log")
            debs = sorted(dl.glob(f"{SOURCE_PACKAGE}_*.deb"))
            if not debs:
                raise Error(f"no {SOURCE_PACKAGE} .deb after the download")
            run(["dpkg-deb", "-x", debs[0], dl / "x"])
            inner = dl / "x" / "usr" / "src" / f"{SOURCE_PACKAGE}.tar.xz"
            if not inner.is_file():
                raise Error(f"{debs[0]} has no usr/src/{SOURCE_PACKAGE}.tar.xz")
            tb = _tarball(top, version)
            Path(str(tb) + ".version").write_text(version + "\n")
            inner.rename(tb)
        finally:
            shutil.rmtree(dl, ignore_errors=True)


def _build(recipe, top, out, tb, version, jobs):
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out.name}.", dir=top))
    tmp.chmod(0o755)
    tree = _Tree(tmp, top / "failed-build.log")
    try:
        log(f"unpacking {tb.name} into {tmp}")
        run([*tree.nice, "tar", "-xJf", tb, "-C", tmp])
        (tmp / SOURCE_PACKAGE).rename(tree.src)
        recipe.configure(tree)
        shutil.copyfile(tree.src / ".config", tmp / "config")
        log(f"building {SOURCE_PACKAGE} {version} (make -j{jobs} {' '.join(recipe.targets)}, "
            f"{' '.join(tree.nice)}; log: {tree.log})")
        tree.make(f"-j{jobs}", *recipe.targets)
        kver = (tree.src / "include" / "config" / "kernel.release").read_text().strip()
        if recipe.localversion not in kver:
            raise Error(f"unexpected kernel release '{kver}'")
        recipe.install(tree, kver)
        bz = tree.src / "arch" / "x86" / "boot" / "bzImage"
        if not bz.is_file() or not (tree.src / "Module.symvers").is_file():
            raise Error("no bzImage or Module.symvers after the build")
        log("test-building a hello module against the tree")
        hello_build(Kernel(recipe.label, "amd64", kver, bz, tree.src, tree.root, HOST_SUITE),
                    tmp / "hello-test")
        shutil.rmtree(tmp / "hello-test")
        (tmp / "env").write_text(
            f"KVER={kver}\nVMLINUZ={out}/linux/arch/x86/boot/bzImage\nKDIR={out}/linux\n"
            f"MODDIR={out}/root/lib/modules/{kver}\nSUITE={HOST_SUITE}\nCONFIG={out}/config\n"
            f"SRCVER={version}\n")
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
    tree.failed_log.unlink(missing_ok=True)
    log(f"ready: {kver} in {out}")


def _prune(top, out, tb):
    """Keep the newest PAGECHECK_DEBUG_KEEP builds and the current tarball."""
    keep = int(os.environ.get("PAGECHECK_DEBUG_KEEP", "2"))
    builds = sorted((r.stat().st_mtime, r.parent) for r in top.glob("*/ready"))
    for n, (_, d) in enumerate(reversed(builds), 1):
        if n > keep and d != out:
            log(f"pruning old build {d}")
            shutil.rmtree(d, ignore_errors=True)
    for f in (top / "src").glob(f"{SOURCE_PACKAGE}_*.tar.xz"):
        if f != tb:
            f.unlink()
            Path(str(f) + ".version").unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# The debug kernel

DEBUG_RECIPE = 1        # bump when the steps of the recipe change the result
DEBUG_BASE = "x86_64_defconfig"
DEBUG_FRAGMENT = ROOT / "tests" / "debug" / "debug.config"


def _debug_key_hash():
    gcc = run(["gcc", "--version"]).stdout.splitlines()[0]
    text = f"recipe {DEBUG_RECIPE} base {DEBUG_BASE}\n{gcc}\n{DEBUG_FRAGMENT.read_text()}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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


def _debug_configure(tree):
    log(f"configuring: {DEBUG_BASE} + {DEBUG_FRAGMENT.relative_to(ROOT)}")
    tree.make(DEBUG_BASE)
    tree.run("scripts/kconfig/merge_config.sh", "-m", ".config", DEBUG_FRAGMENT)
    tree.make("olddefconfig")
    errors, notes = check_config(DEBUG_FRAGMENT.read_text(), (tree.src / ".config").read_text())
    for note in notes:
        log(f"config note: {note}")
    if errors:
        raise Error("the fragment's settings did not survive olddefconfig (fix "
                    f"{DEBUG_FRAGMENT}):\n" + "\n".join("    " + e for e in errors))


def _debug_install(tree, kver):
    tree.make(f"INSTALL_MOD_PATH={tree.root}", "DEPMOD=/sbin/depmod", "modules_install")
    # modules_install may leave links to the temporary tree
    for link in ("build", "source"):
        (tree.root / "lib" / "modules" / kver / link).unlink(missing_ok=True)


def _source_versions():
    """Every linux-source-6.12 version in the host suite's apt lists."""
    apt = AptState(HOST_SUITE)
    with apt.lock():
        apt.setup()
        apt.refresh()
        rows = apt.query("madison", SOURCE_PACKAGE)
    return [c[1].strip() for c in (row.split("|") for row in rows.splitlines())
            if len(c) > 1 and c[0].strip() == SOURCE_PACKAGE]


def _newest(versions):
    return max(versions, key=functools.cmp_to_key(version_compare)) if versions else ""


def _newest_source():
    """The newest linux-source-6.12 in the host suite's apt lists ('' if none)."""
    version = _newest(_source_versions())
    if not version:
        warn(f"{SOURCE_PACKAGE} not in the apt lists")
    return version


def _debug_version(top, key):
    """PAGECHECK_DEBUG_SRCVER, else the newest version in the apt lists,
    downloaded if it is not built yet; if that fails, the newest cached."""
    pin = os.environ.get("PAGECHECK_DEBUG_SRCVER", "")
    version = pin
    if not offline():
        version = pin or _newest_source()
        built = version and (_build_dir(top, version, key) / "ready").is_file()
        if version and not _tarball(top, version).is_file() and not built:
            try:
                fetch_source(top, version)
            except Error as e:
                if pin:
                    raise
                warn(f"download of {SOURCE_PACKAGE}={version} failed: {e}")
                version = ""
    if version:
        return version
    cached = [p.read_text().strip()
              for p in (top / "src").glob(f"{SOURCE_PACKAGE}_*.tar.xz.version")
              if p.with_suffix("").is_file()]
    if not cached:
        raise Error(f"no {SOURCE_PACKAGE} version from apt and none cached")
    version = max(cached, key=functools.cmp_to_key(version_compare))
    warn(f"using cached {SOURCE_PACKAGE} {version}")
    return version


def source_tarball(version):
    """The linux-source-6.12 tarball for a kernel image of Debian version
    version: that version's, else the newest of the same upstream version
    (6.12.118-1 takes 6.12.118-1~deb12u1), cached with the debug kernel's
    sources or downloaded."""
    upstream = version.split("-")[0]
    top = cache() / "debug-kernel"
    (top / "src").mkdir(parents=True, exist_ok=True)
    with Lock(top / "lock", "a debug kernel build"):
        cached = {p.read_text().strip(): p.with_suffix("")
                  for p in (top / "src").glob(f"{SOURCE_PACKAGE}_*.tar.xz.version")
                  if p.with_suffix("").is_file()}
        if version in cached:
            return cached[version]
        listed = _source_versions()
        pick = version if version in listed else \
            _newest([v for v in listed if v.split("-")[0] == upstream])
        if not pick:
            same = _newest([v for v in cached if v.split("-")[0] == upstream])
            if same:
                return cached[same]
            raise Error(f"no {SOURCE_PACKAGE} of {version} or of upstream {upstream} "
                        "in the apt lists or the cache")
        if pick not in cached:
            fetch_source(top, pick)
        return _tarball(top, pick)


def debian_version(kernel):
    """The Debian version of a fetched label's kernel image."""
    return _debian_version(kernel)


def debug_kernel():
    """Build the debug kernel once; afterwards return it from the cache."""
    for h in ("gelf.h", "openssl/opensslv.h"):
        if not Path("/usr/include", h).is_file():
            raise Error(f"/usr/include/{h} missing (libelf-dev, libssl-dev: "
                        "run pctest.py deps check-debug)")
    if not DEBUG_FRAGMENT.is_file():
        raise Error(f"config fragment {DEBUG_FRAGMENT} not found")
    key = _debug_key_hash()
    recipe = Recipe(DEBUG_LABEL, "debug-kernel", key, "-pcdebug", _debug_configure, ("all",),
                    _debug_install)
    return build(recipe, lambda top: _debug_version(top, key))


# ---------------------------------------------------------------------------
# The page_owner kernel

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
    m = re.search(r"^linux-image-\S+=(\S+)$", pkgs or "", re.M)
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


def _owner_configure(tree, base_config):
    (tree.src / ".config").write_text(base_config)
    tree.run("scripts/config", "--file", ".config", *OWNER_CONFIG)
    tree.make("olddefconfig")
    config = (tree.src / ".config").read_text()
    if "CONFIG_PAGE_OWNER=y" not in config:
        raise Error("CONFIG_PAGE_OWNER=y did not survive olddefconfig")
    diff = config_diff(base_config, config)
    (tree.dir / "config.diff").write_text("".join(d + "\n" for d in diff))
    log(f"config against Debian's: {'; '.join(diff)}")


def _owner_install(tree, kver):
    """Only the image was built: the tree's symbols are vmlinux's, and the
    modules directory is empty."""
    shutil.copyfile(tree.src / "vmlinux.symvers", tree.src / "Module.symvers")
    (tree.root / "lib" / "modules" / kver / "kernel").mkdir(parents=True)


def owner_kernel():
    """Build the page_owner kernel once; afterwards return it from the cache."""
    base = fetch(OWNER_BASE_LABEL)
    version = _debian_version(base)
    base_config = read_text(base.kdir / ".config")
    if not base_config:
        raise Error(f"{base.kdir}/.config missing")
    key = hashlib.sha256(f"recipe {OWNER_RECIPE} {OWNER_CONFIG}\n{base_config}"
                         .encode()).hexdigest()[:12]
    recipe = Recipe(OWNER_LABEL, "owner-kernel", key, OWNER_LOCALVERSION,
                    functools.partial(_owner_configure, base_config=base_config),
                    ("bzImage", "modules_prepare"), _owner_install)
    return build(recipe, lambda top: version)
