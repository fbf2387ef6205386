# SPDX-License-Identifier: GPL-2.0
"""Build what a guest runs: pagecheck and its test modules against a
kernel, the static guest programs, and the busybox initramfs."""
import gzip
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

from pctest_common import ROOT, Error, cache, log, run, warn
from pctest_apt import AptState, version_compare
from pctest_kernels import make_arch_args, suite_run
from pctest_matrix import ARCHES, HOST_SUITE

# What a private build copy of the tree needs (debian/changelog: the version).
TREE = ["Makefile", "Kbuild", "src", "include", "probes", "scripts", "tests",
        "debian/changelog"]
MODULES = ["pagecheck.ko", "tests/pagecheck_rules_test.ko", "tests/pagecheck_inject.ko",
           "tests/pagecheck_bench.ko"]
WORKLOADS = ROOT / "tests" / "workload"
GUEST = ROOT / "tests" / "guest"


def copy_tree(dest):
    """A clean copy of what the module build needs, in dest."""
    shutil.rmtree(dest, ignore_errors=True)
    ignore = shutil.ignore_patterns(".git", ".gen", "*.o", "*.ko", "*.cmd", "*.mod",
                                    "*.mod.c", "__pycache__")
    for part in TREE:
        src, dst = ROOT / part, Path(dest) / part
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore, symlinks=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _own_warnings(logf, src):
    """Compiler or sparse diagnostics about our own files."""
    pat = re.compile("^" + re.escape(str(src)) + r"/.*(warning|error):")
    return [l for l in Path(logf).read_text(errors="replace").splitlines() if pat.match(l)]


def build_modules(kernel, out):
    """pagecheck.ko and the test modules, W=1, in out/src, with the
    compiler of the kernel's suite. Any compiler warning in our own files
    fails the build. Signed if the kernel's tree has its signing key (then
    with an unsigned copy of pagecheck.ko). Returns the .ko paths."""
    out = Path(os.path.abspath(out))
    out.mkdir(parents=True, exist_ok=True)
    src = out / "src"
    copy_tree(src)
    logf = out / "build.log"
    cmd = ["make", "-C", src, f"KDIR={kernel.kdir}", f"PGC_GEN={out / 'gen'}", "W=1",
           *make_arch_args(kernel), "modules", "tests"]
    try:
        suite_run(kernel, cmd, logf, binds=[out])
    except Error as e:
        raise Error(f"build against {kernel.kdir} failed: {e}")
    warnings = _own_warnings(logf, src)
    if warnings:
        raise Error("compiler warnings in pagecheck sources (log: %s):\n%s"
                    % (logf, "\n".join("    " + w for w in warnings[:20])))
    mods = [src / m for m in MODULES]
    key = signing_key(kernel)
    if key:
        shutil.copy2(mods[0], src / UNSIGNED)
        for ko in mods:
            sign(kernel, key, ko, out / "sign.log")
        mods.append(src / UNSIGNED)
    return mods


# A kernel we built (the debug kernel) keeps in its tree the key its build
# generated (CONFIG_MODULE_SIG_KEY) and trusts it: its modules are signed
# with it, and an unsigned copy of pagecheck.ko goes along to be refused.
# Debian's headers hold no private key: their modules stay unsigned.
UNSIGNED = "pagecheck-unsigned.ko"


def _config(kdir):
    path = Path(kdir) / ".config"
    text = path.read_text(errors="replace") if path.is_file() else ""
    return dict(re.findall(r'^(CONFIG_\w+)=(.*)$', text, re.M))


def signing_key(kernel):
    """(hash, private key, certificate) if kernel.kdir holds the key its
    build generated and its config signs modules, else None."""
    cfg = _config(kernel.kdir)
    if cfg.get("CONFIG_MODULE_SIG") != "y":
        return None
    pem = Path(kernel.kdir) / cfg.get("CONFIG_MODULE_SIG_KEY", "").strip('"')
    x509 = Path(kernel.kdir) / "certs" / "signing_key.x509"
    if not pem.is_file() or not x509.is_file():
        return None
    return cfg.get("CONFIG_MODULE_SIG_HASH", '"sha512"').strip('"'), pem, x509


def sign(kernel, key, ko, logf):
    """Append a signature to ko with the kernel's scripts/sign-file."""
    algo, pem, x509 = key
    tool = Path(kernel.kdir) / "scripts" / "sign-file"
    try:
        suite_run(kernel, [tool, algo, pem, x509, ko], logf, binds=[Path(ko).parent])
    except Error as e:
        raise Error(f"signing {ko} with {pem} failed: {e}")
    if not Path(ko).read_bytes().endswith(b"~Module signature appended~\n"):
        raise Error(f"{ko}: no signature after sign-file (log: {logf})")


def sparse(kernel, out):
    """make sparse (C=2) in the build copy; the host's sparse, so for
    kernels of the host's suite only. Raises Error on any diagnostic."""
    if kernel.suite != HOST_SUITE:
        raise Error(f"sparse runs on {HOST_SUITE} kernels only")
    out = Path(os.path.abspath(out))
    logf = out / "sparse.log"
    try:
        run(["make", "-C", out / "src", f"KDIR={kernel.kdir}", f"PGC_GEN={out / 'gen'}",
             *make_arch_args(kernel), "sparse"], log_path=logf)
    except Error as e:
        raise Error(f"sparse (C=2) failed: {e}")
    warnings = _own_warnings(logf, out / "src")
    if warnings:
        raise Error("sparse (C=2) diagnostics (log: %s):\n%s"
                    % (logf, "\n".join("    " + w for w in warnings[:20])))


def workload_dir(arch):
    """Where the guest programs of arch are built: in the tree for amd64,
    in the cache (workload/<arch>) for the others."""
    return WORKLOADS if arch == "amd64" else cache() / "workload" / arch


def build_workloads(arch="amd64"):
    """The static guest programs (tests/workload/Makefile), built with the
    architecture's gcc (a cross gcc for a foreign one)."""
    a = ARCHES[arch]
    out = workload_dir(arch)
    cmd = ["make", "-s", "-C", WORKLOADS]
    if a.foreign:
        out.mkdir(parents=True, exist_ok=True)
        cmd += [f"CC={a.cc}", f"O={out}"]
    run(cmd, stdout=subprocess.DEVNULL)
    progs = {name: out / name for name in ("pc-workload", "pc-bench", "pc-fuzz", "pc-real")}
    for path in progs.values():
        if elf_machine(path) != a.elf_machine:
            raise Error(f"{path} is not an {arch} program (ELF machine {elf_machine(path)})")
    return progs


def elf_machine(path):
    """e_machine of an ELF file (None if it is not one)."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "big" if head[5] == 2 else "little")


def target_busybox(arch):
    """(busybox-static binary for arch, its applets). A foreign one is
    downloaded once into the cache (busybox/<arch>/); it cannot run here,
    so its applets are the host busybox's, which must be the same upstream
    version."""
    host = "/bin/busybox"
    if arch == "amd64":
        return host, None
    applets = run([host, "--list"]).stdout.split()
    host_ver = run(["dpkg-query", "-W", "-f=${Version}", "busybox-static"]).stdout.strip()
    d = cache() / "busybox" / arch
    exe = d / "root" / "bin" / "busybox"
    if not exe.is_file():
        apt = AptState(f"{HOST_SUITE}-{arch}")
        with apt.lock():
            apt.setup()
            apt.refresh()
            shutil.rmtree(d, ignore_errors=True)
            (d / "root").mkdir(parents=True)
            log(f"downloading busybox-static:{arch}")
            apt.download([f"busybox-static:{arch}"], d, d / "download.log")
            debs = sorted(d.glob(f"busybox-static_*_{arch}.deb"))
            if not debs:
                raise Error(f"no busybox-static_*_{arch}.deb after the download")
            run(["dpkg-deb", "-x", debs[0], d / "root"])
            (d / "version").write_text(run(["dpkg-deb", "-f", debs[0], "Version"]).stdout)
            debs[0].unlink()
    ver = (d / "version").read_text().strip()
    # the applet list depends on the upstream version and Debian's config
    if version_compare(re.sub(r"\+b\d+$", "", ver), re.sub(r"\+b\d+$", "", host_ver)):
        warn(f"busybox-static:{arch} {ver} is not the host's {host_ver}: "
             "its applet list may differ")
    if elf_machine(exe) != ARCHES[arch].elf_machine:
        raise Error(f"{exe} is not an {arch} program")
    return exe, applets


def kernel_module(kernel, name, dst):
    """Debian's module name of kernel, decompressed into dst: dst, or None
    if the kernel has it built in."""
    builtin = Path(kernel.moddir) / "modules.builtin"
    builtin = builtin.read_text() if builtin.is_file() else ""
    if re.search(rf"/{re.escape(name)}\.ko$", builtin, re.M):
        return None
    found = [p for p in Path(kernel.moddir).rglob(f"{name}.ko*")
             if p.name in (f"{name}.ko", f"{name}.ko.xz", f"{name}.ko.zst", f"{name}.ko.gz")]
    if not found:
        raise Error(f"{name}.ko not found in {kernel.moddir}")
    src, dst = found[0], Path(dst)
    tool = {".xz": ["xz", "-dc"], ".zst": ["zstd", "-dcq"], ".gz": ["gzip", "-dc"]}
    if src.suffix in tool:
        with open(dst, "wb") as f:
            subprocess.run([*tool[src.suffix], str(src)], stdout=f, check=True)
    else:
        shutil.copyfile(src, dst)
    return dst


def guest_modules(kernel, out):
    """SRC=DEST arguments for the kernel modules the guest init loads
    before anything else (the virtio console of a foreign architecture),
    decompressed, as /pc/kmod/NAME.ko, and /pc/kmod/order."""
    names = ARCHES[kernel.arch].guest_modules
    if not names:
        return []
    d = Path(out) / "kmod"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    files, loaded = [], []
    for name in names:
        dst = kernel_module(kernel, name, d / f"{name}.ko")
        if dst is None:
            continue        # built in (6.12: virtio_console)
        files.append(f"{dst}=pc/kmod/{name}.ko")
        loaded.append(name)
    if not loaded:
        return []
    (d / "order").write_text("".join(n + "\n" for n in loaded))
    return files + [f"{d / 'order'}=pc/kmod/order"]


def initramfs_for(kernel, out, files):
    """mkinitramfs for the kernel's architecture: its busybox and the
    modules guest_modules names."""
    busybox, applets = target_busybox(kernel.arch)
    extra = guest_modules(kernel, Path(out).parent)
    return mkinitramfs(out, [*files, *extra], busybox=busybox, applets=applets)


# ---------------------------------------------------------------------------
# The initramfs: cpio newc, written here so that every entry is owned by
# 0:0, has mtime 0 and a fixed order (reproducible), and /dev/console is a
# character node, all without root.

def _is_elf_exec(path):
    path = Path(path)
    if not path.is_file() or not os.access(path, os.X_OK):
        return False
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def _is_static(binary):
    res = run(["readelf", "-l", binary], check=False, env=dict(os.environ, LC_ALL="C"))
    return res.returncode == 0 and "Requesting program interpreter" not in res.stdout


class Cpio:
    """Entries of a newc archive, keyed by path (no leading slash)."""

    def __init__(self):
        self.entries = {}

    def dir(self, name, mode=0o755):
        self.entries[name] = (stat.S_IFDIR | mode, b"", 0, 0)

    def dirs(self, name):
        """name and every missing parent directory."""
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub not in self.entries:
                self.dir(sub)

    def file(self, name, data, mode=0o644):
        self.entries[name] = (stat.S_IFREG | mode, data, 0, 0)

    def symlink(self, name, target):
        self.entries[name] = (stat.S_IFLNK | 0o777, target.encode(), 0, 0)

    def chardev(self, name, major, minor, mode=0o600):
        self.entries[name] = (stat.S_IFCHR | mode, b"", major, minor)

    def copy(self, src, name):
        """src (a file, or a directory recursively; symlinks followed) as
        name, with its permission bits less the group and other write bits."""
        src = Path(src)
        mode = stat.S_IMODE(os.stat(src).st_mode) & ~0o022
        if src.is_dir():
            self.dir(name, mode)
            for child in sorted(os.listdir(src)):
                self.copy(src / child, f"{name}/{child}")
        else:
            self.file(name, src.read_bytes(), mode)

    def pack(self):
        out = bytearray()

        def entry(ino, name, mode, data, rmaj, rmin):
            bname = name.encode() + b"\0"
            nlink = 2 if stat.S_ISDIR(mode) else 1
            fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmaj, rmin, len(bname), 0)
            out.extend(b"070701" + b"".join(b"%08X" % v for v in fields) + bname)
            out.extend(b"\0" * (-len(out) % 4))
            out.extend(data)
            out.extend(b"\0" * (-len(out) % 4))

        for ino, name in enumerate(sorted(self.entries, key=lambda n: n.encode()), 1):
            entry(ino, name, *self.entries[name])
        entry(0, "TRAILER!!!", 0, b"", 0, 0)
        return bytes(out)


def mkinitramfs(out, files, init=GUEST / "init", busybox="/bin/busybox", applets=None):
    """Write a busybox initramfs (cpio newc, gzip) to out:
      /init            the guest init (PID 1)
      /bin/busybox     busybox-static (the host's, or applets given), every
                       applet linked in /bin
      /sbin /usr/bin /usr/sbin -> bin
      /dev/console     char 5:1 (everything else comes from devtmpfs)
      /proc /sys /tmp /run /root /etc /mnt   empty mount points
      /pc/bin/NAME     each file that is an ELF executable (not a .ko)
      /pc/NAME         each other file; a directory is copied recursively
      /pc/MANIFEST     the list of the files above
    A file given as SRC=DEST is placed at /DEST exactly."""
    if not os.access(busybox, os.X_OK):
        raise Error(f"{busybox} not found (apt-get install busybox-static)")
    if not _is_static(busybox):
        raise Error(f"{busybox} is dynamically linked (install busybox-static)")
    if not Path(init).is_file():
        raise Error(f"guest init {init} not found")
    img = Cpio()
    for d in ("bin", "dev", "proc", "sys", "run", "root", "etc", "mnt", "pc", "pc/bin", "usr"):
        img.dir(d)
    img.dir("tmp", 0o1777)
    img.symlink("sbin", "bin")
    img.symlink("usr/bin", "../bin")
    img.symlink("usr/sbin", "../bin")
    img.copy(busybox, "bin/busybox")
    if applets is None:
        applets = run([busybox, "--list"]).stdout.split()
    for applet in applets:
        if applet != "busybox":
            img.symlink(f"bin/{applet}", "busybox")
    img.file("init", Path(init).read_bytes(), 0o755)
    img.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                           b"nobody:x:65534:65534:nobody:/:/bin/sh\n")
    img.file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    img.chardev("dev/console", 5, 1)
    manifest = _add_files(img, files)
    img.file("pc/MANIFEST", "".join(m + "\n" for m in manifest).encode())
    _write_gzip(out, [], img)
    log(f"wrote {out} ({Path(out).stat().st_size // 1024} KiB, {len(manifest)} file(s) in /pc)")
    return Path(out)


def _add_files(img, files):
    """files (see mkinitramfs) into img; returns where each went."""
    placed = []
    for arg in map(str, files):
        if "=" in arg:
            src, dest = arg.split("=", 1)
            dest = "/" + dest.lstrip("/")
        else:
            src = arg
            sub = "pc/bin" if _is_elf_exec(src) and not src.endswith(".ko") else "pc"
            dest = f"/{sub}/{os.path.basename(src)}"
        if not os.path.exists(src):
            raise Error(f"initramfs input '{src}' does not exist")
        img.dirs(os.path.dirname(dest).lstrip("/"))
        img.copy(src, dest.lstrip("/"))
        placed.append(dest)
    return placed


def _write_gzip(out, head, img):
    """out: the bytes of each file in head, then img gzipped."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as f:
        for part in head:
            f.write(Path(part).read_bytes())
        f.write(gzip.compress(img.pack(), compresslevel=9, mtime=0))
    tmp.rename(out)


def extend_initramfs(out, base, files):
    """out: the initramfs base with a second archive of files appended
    (see mkinitramfs for files). The kernel unpacks concatenated archives
    in order, so this adds to base without rebuilding it."""
    img = Cpio()
    placed = _add_files(img, files)
    _write_gzip(out, [base], img)
    log(f"wrote {out} ({Path(out).stat().st_size // 1024} KiB: {Path(base).name} "
        f"and {len(placed)} more file(s))")
    return Path(out)


def program_files(binary, dest, library_path=None):
    """SRC=DEST arguments that put a dynamically linked host program in
    the guest at /DEST: the binary, its ELF interpreter and every library
    ldd lists, by soname in /lib/x86_64-linux-gnu (glibc's built-in search
    path). library_path: directories searched before the host's."""
    env = dict(os.environ, LC_ALL="C")
    if library_path:
        env["LD_LIBRARY_PATH"] = ":".join(map(str, library_path))
    head = run(["readelf", "-l", binary], env=env).stdout
    m = re.search(r"Requesting program interpreter: (.*)\]$", head, re.M)
    libs = run(["ldd", binary], env=env).stdout
    if "not found" in libs:
        raise Error(f"unresolved libraries for {binary}: "
                    + " ".join(l.strip() for l in libs.splitlines() if "not found" in l))
    files = [f"{binary}={dest}"]
    if m:
        interp = m.group(1)
        if not os.path.exists(interp):
            raise Error(f"ELF interpreter {interp} not found")
        files.append(f"{interp}={interp.lstrip('/')}")
    pairs = set()
    for line in libs.splitlines():
        w = line.split()
        if len(w) >= 3 and w[1] == "=>" and w[2].startswith("/"):
            pairs.add((w[0], w[2]))
    return files + [f"{path}=lib/x86_64-linux-gnu/{soname}" for soname, path in sorted(pairs)]


def bpftrace_files(bpftrace=None):
    """SRC=DEST arguments that put the host's bpftrace in the guest: the
    binary, its ELF interpreter, every library ldd lists (kept in
    /lib/x86_64-linux-gnu by soname) and <linux/types.h> with what it
    includes. bpftrace 0.17 does not find vmlinux BTF on 5.10 and then
    compiles tracepoint structs with its clang_workarounds.h, which
    includes <linux/types.h>. Nothing else is needed at run time: glibc's
    built-in search path covers /lib/x86_64-linux-gnu and bpftrace carries
    its clang builtin headers."""
    bpftrace = bpftrace or os.environ.get("BPFTRACE") or shutil.which("bpftrace")
    if not bpftrace:
        raise Error("bpftrace is not installed (apt-get install bpftrace)")
    if not os.access(bpftrace, os.X_OK):
        raise Error(f"BPFTRACE={bpftrace} is not an executable")
    files = program_files(bpftrace, "bin/bpftrace")
    env = dict(os.environ, LC_ALL="C")
    res = subprocess.run(["cpp", "-M", "-nostdinc", "-isystem", "/usr/include", "-isystem",
                          "/usr/include/x86_64-linux-gnu", "-"], input="#include <linux/types.h>\n",
                         capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise Error("cannot preprocess <linux/types.h> (apt-get install linux-libc-dev)")
    deps = res.stdout.replace("\\\n", " ").split(":", 1)[1].split()
    files += [f"{h}={h.lstrip('/')}" for h in deps]
    return files
