# SPDX-License-Identifier: GPL-2.0
"""Install and remove pagecheck with DKMS, then as the pagecheck-dkms .deb,
for Debian kernels whose headers come from the cache (made visible as
/lib/modules/<kver>/build; no kernel image is installed).

DKMS installs from the clean source tree of "make dist"; the .deb is built
from a copy of the tracked files, which must hold no untracked or ignored
file afterwards. The version is written once, in debian/changelog.
"""
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pctest_kernels
from pctest_common import ROOT, Error, Status, Verdict, cache, log, run, tail, verdict

MODULE = "pagecheck"


class _Test:
    def __init__(self, logf):
        self.logf = logf
        self.failed = False

    def result(self, ok, what):
        verdict(Verdict(Status.of(ok), "dkms", what))
        self.failed |= not ok
        return ok

    def cmd(self, *args, env=None, cwd=None):
        """Run a command into the log; True if it succeeded."""
        with open(self.logf, "a") as f:
            f.write(f"$ {' '.join(map(str, args))}\n")
        res = run(args, log_path=self.logf, append=True, check=False, env=env, cwd=cwd)
        return res.returncode == 0


def changelog_version():
    """The upstream version in debian/changelog (the only place it is written)."""
    res = run(["dpkg-parsechangelog", "-l", ROOT / "debian" / "changelog", "-S", "Version"])
    return re.sub(r"-[^-]*$", "", res.stdout.strip())


def make_dist(outdir):
    """make dist into outdir: the tarball path."""
    res = run(["make", "-s", "--no-print-directory", "-C", ROOT, f"DISTDIR={outdir}", "dist"])
    return Path(res.stdout.strip().splitlines()[-1])


def _modules_of(kver):
    return sorted(Path("/lib/modules", kver).rglob(f"{MODULE}.ko*"))


def _nothing_left(version, kvers):
    """What an uninstall left behind, as a list of paths."""
    left = [p for p in (Path("/var/lib/dkms", MODULE), Path("/usr/src", f"{MODULE}-{version}"))
            if p.exists()]
    for k in kvers:
        left += [p for p in Path("/lib/modules", k, "updates").rglob(f"{MODULE}*")
                 if Path("/lib/modules", k, "updates").is_dir()]
    return left


def _installed_everywhere(version, kvers):
    """Problems with the installed modules ([] if none)."""
    problems = []
    for k in kvers:
        found = sorted(Path("/lib/modules", k, "updates", "dkms").glob(f"{MODULE}.ko*"))
        if not found:
            problems.append(f"no module for {k}")
            continue
        info = lambda f: run(["modinfo", "-F", f, found[0]]).stdout.strip()
        if info("version") != version:
            problems.append(f"{found[0]} has version {info('version')}")
        if info("vermagic").split()[0:1] != [k]:
            problems.append(f"{found[0]} has vermagic {info('vermagic')}")
        if not _has_debug_info(found[0]):
            problems.append(f"{found[0]} has no .debug_info (dkms.conf: STRIP[0]=\"no\")")
    return problems


def _has_debug_info(module):
    """Whether module (maybe .ko.xz or .ko.zst) kept its DWARF, which crash
    and drgn need to read pagecheck's store from a dump."""
    unpack = {".xz": ["xz", "-dc"], ".zst": ["zstd", "-dcq"], ".gz": ["gzip", "-dc"]}
    data = Path(module).read_bytes()
    if module.suffix in unpack:
        data = subprocess.run([*unpack[module.suffix], str(module)], capture_output=True,
                              check=True).stdout
    with tempfile.NamedTemporaryFile(suffix=".ko") as f:
        f.write(data)
        f.flush()
        sections = run(["readelf", "-S", "-W", f.name]).stdout
    return " .debug_info " in sections


def test(labels):
    """The whole DKMS and .deb test; 1 if anything failed."""
    logf = cache() / "runs" / "dkms-test.log"
    logf.parent.mkdir(parents=True, exist_ok=True)
    logf.write_text("")
    t = _Test(logf)
    version = changelog_version()
    made = []           # paths this test created outside its temporary directory
    kvers, kdirs = [], {}
    installing = False  # from here on, the finally clause uninstalls
    tmp = Path(tempfile.mkdtemp(prefix="pctest-dkms."))
    try:
        _version_checks(t, version)
        for name in labels:
            try:
                kernel = pctest_kernels.fetch(name)
            except Error as e:
                log(str(e))
                t.result(False, f"fetch {name}")
                continue
            kvers.append(kernel.kver)
            kdirs[kernel.kver] = kernel.kdir
            build = Path("/lib/modules", kernel.kver, "build")
            if not os.path.lexists(build):
                if not build.parent.exists():
                    made.append(build.parent)
                build.parent.mkdir(parents=True, exist_ok=True)
                build.symlink_to(kernel.kdir)
                made.append(build)
        found = _nothing_left(version, kvers)
        if found:
            # Not ours to remove: leave the machine as it is.
            t.result(False, f"{MODULE} is not installed yet ({' '.join(map(str, found))})")
        elif kvers:
            installing = True
            _dkms_from_dist(t, version, kvers, kdirs, tmp)
            _deb(t, version, kvers, tmp)
    finally:
        if installing:
            run(["dkms", "remove", f"{MODULE}/{version}", "--all"], check=False)
            run(["dpkg", "--purge", f"{MODULE}-dkms"], check=False)
            shutil.rmtree(Path("/usr/src", f"{MODULE}-{version}"), ignore_errors=True)
        for path in reversed(made):
            if path.is_symlink():
                path.unlink()
            else:       # a directory this test created: only depmod's output is in it
                shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    if t.failed:
        log(f"the DKMS test failed; end of {logf}:\n{tail(logf, 30)}")
    return 1 if t.failed else 0


def _version_checks(t, version):
    conf = (ROOT / "dkms.conf").read_text()
    t.result('PACKAGE_VERSION="#MODULE_VERSION#"' in conf,
             "dkms.conf leaves PACKAGE_VERSION to dh_dkms -V and make dist (#MODULE_VERSION#)")
    made = run(["make", "-s", "--no-print-directory", "-C", ROOT, "version"]).stdout.strip()
    t.result(made == version and not (ROOT / "VERSION").exists(),
             f"the Makefile reads the version {version} from debian/changelog "
             f"(got {made or 'nothing'}); no VERSION file in the tree")


def _dkms_from_dist(t, version, kvers, kdirs, tmp):
    tarball = make_dist(tmp)
    with tarfile.open(tarball) as tf:
        names = tf.getnames()
        top = f"{MODULE}-{version}"
        stray = [n for n in names if re.match(rf"{top}/(\.git|tests|debian)(/|$)", n)]
        conf = tf.extractfile(f"{top}/dkms.conf").read().decode()
        has_version = tf.extractfile(f"{top}/VERSION").read().decode().strip() == version
        t.result(not stray and has_version and f'PACKAGE_VERSION="{version}"' in conf,
                 f"make dist: {tarball.name} holds the DKMS tree with VERSION and dkms.conf "
                 f"at {version}, no .git, tests or debian"
                 + (f" (stray: {' '.join(stray[:5])})" if stray else ""))
        tf.extractall("/usr/src")
    t.result(t.cmd("dkms", "add", "-m", MODULE, "-v", version), f"dkms add -m {MODULE} -v {version}")
    # One kernel by hand: the package's install below builds for them all.
    k = kvers[0]
    ok = t.cmd("dkms", "build", "-m", MODULE, "-v", version, "-k", k) and \
        t.cmd("dkms", "install", "-m", MODULE, "-v", version, "-k", k)
    t.result(ok, f"dkms build/install -m {MODULE} -v {version} -k {k}")
    problems = _installed_everywhere(version, [k])
    t.result(not problems, f"module in /lib/modules/<kver>/updates/dkms/ with version {version}, "
             "the kernel's vermagic and its debug info" + (f" ({'; '.join(problems)})" if problems else ""))
    _build_guard(t, version, kdirs[kvers[-1]], tmp)
    t.cmd("dkms", "remove", "-m", MODULE, "-v", version, "--all")
    shutil.rmtree(Path("/usr/src", f"{MODULE}-{version}"), ignore_errors=True)
    left = _nothing_left(version, kvers)
    t.result(not left, f"dkms remove -m {MODULE} -v {version} --all and rm -r /usr/src/{MODULE}-"
             f"{version} leave nothing in /var/lib/dkms, /usr/src, /lib/modules/<kver>/updates"
             + (f" (left: {' '.join(map(str, left))})" if left else ""))


def _build_guard(t, version, kdir, tmp):
    """A kernel without CONFIG_DEBUG_FS is refused, with a reason."""
    fake = "0.0.0-pagecheck-no-debugfs"
    fake_kdir = tmp / "no-debugfs"
    run(["cp", "-as", f"{kdir}/.", f"{fake_kdir}/"])
    (fake_kdir / ".config").unlink()
    (fake_kdir / ".config").write_text("".join(
        l for l in (Path(kdir) / ".config").read_text().splitlines(True)
        if not l.startswith("CONFIG_DEBUG_FS=")))
    moddir = Path("/lib/modules", fake)
    moddir.mkdir(parents=True, exist_ok=True)
    (moddir / "build").symlink_to(fake_kdir)
    try:
        res = run(["dkms", "build", "-m", MODULE, "-v", version, "-k", fake], check=False)
        with open(t.logf, "a") as f:
            f.write(res.stdout + res.stderr)
        t.result(res.returncode != 0 and "BUILD_EXCLUSIVE" in res.stdout + res.stderr,
                 "dkms refuses a kernel without CONFIG_DEBUG_FS and says why")
    finally:
        shutil.rmtree(moddir, ignore_errors=True)
        shutil.rmtree(Path("/var/lib/dkms", MODULE, version, fake), ignore_errors=True)


def build_debs(out, logf=None):
    """dpkg-buildpackage -b from a copy of the tracked files (a git
    repository of its own) in out/deb/pagecheck: the .deb paths, and the
    copy's git status after the build (it must be empty)."""
    src = Path(out) / "deb" / MODULE
    shutil.rmtree(src.parent, ignore_errors=True)
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True)
    if files.returncode != 0:
        raise Error("the .deb build needs a git checkout (git ls-files failed)")
    for name in files.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    git = ["git", "-C", src, "-c", "user.name=pctest", "-c", "user.email=pctest@invalid"]
    run(["git", "init", "-q", src])
    run([*git, "add", "--force", "-A"])      # .gitignore names tracked debian/ files
    run([*git, "commit", "-q", "-m", "snapshot"])
    res = run(["dpkg-buildpackage", "-b", "-us", "-uc", "--post-clean"], cwd=src,
              log_path=logf, append=True, check=False)
    if res.returncode != 0:
        raise Error(f"dpkg-buildpackage -b failed (exit {res.returncode})")
    status = run(["git", "-C", src, "status", "--porcelain", "--ignored"]).stdout.strip()
    return sorted(src.parent.glob("*.deb")), status


def _deb(t, version, kvers, tmp):
    """Build the .debs, install pagecheck-dkms, purge it."""
    try:
        debs, status = build_debs(tmp, t.logf)
    except Error as e:
        if "git checkout" in str(e):
            verdict(Verdict(Status.SKIP, "dkms", "the .deb test needs a git checkout", str(e)))
            return
        log(str(e))
        debs, status = [], ""
    deb = Path(tmp) / "deb" / f"{MODULE}-dkms_{version}_all.deb"
    if not t.result(deb in debs, f"dpkg-buildpackage -b: {deb.name}"):
        return
    t.result(not status, "the .deb build leaves no untracked or ignored file in the source tree"
             + (f" ({' '.join(status.split())[:200]})" if status else ""))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    t.result(t.cmd("apt-get", "install", "-y", str(deb), env=env),
             f"apt-get install ./{deb.name}")
    problems = _installed_everywhere(version, kvers)
    t.result(not problems, f"the package's DKMS build installed the module, with its debug info, for "
             f"{' '.join(kvers)}"
             + (f" ({'; '.join(problems)})" if problems else ""))
    t.result(t.cmd("apt-get", "purge", "-y", f"{MODULE}-dkms", env=env),
             f"apt-get purge {MODULE}-dkms")
    left = _nothing_left(version, kvers)
    t.result(not left, "purge leaves nothing in /var/lib/dkms, /usr/src, /lib/modules/<kver>/updates"
             + (f" (left: {' '.join(map(str, left))})" if left else ""))
