# SPDX-License-Identifier: GPL-2.0
"""Apt and chroot state of the cache: a private apt configuration per apt
state, and a chroot per Debian suite holding that suite's compiler.

Cache layout (PAGECHECK_CACHE, default ~/.cache/pagecheck):
  apt/<state>/          private apt config, sources.list, lists, stamps
  chroots/<suite>-<hash>/root, ready; chroots/<suite>.lock
"""
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pctest_common import (ROOT, Error, Lock, age_seconds, cache, log, offline, read_text,
                           run, tail, utc_stamp, warn)
from pctest_matrix import APT_STATES, CHROOT_SUITES, state_arch

_SIGNED = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"


def version_compare(a, b):
    """<0, 0 or >0 as Debian version a sorts before, with or after b, in
    dpkg's own order (dpkg --compare-versions)."""
    for op, sign in (("lt", -1), ("gt", 1)):
        res = run(["dpkg", "--compare-versions", a, op, b], check=False)
        if res.returncode > 1:
            raise Error(f"cannot compare Debian versions '{a}' and '{b}': {res.stderr.strip()}")
        if res.returncode == 0:
            return sign
    return 0


# ---------------------------------------------------------------------------
# The mirrors: the host's. Its apt sources name the Debian archive mirror
# (a source of a Debian suite's main component) and the security mirror
# (a source of a *-security suite); PAGECHECK_MIRROR and
# PAGECHECK_SECURITY_MIRROR override them.

APT_ETC = Path("/etc/apt")
MIRROR_ENV = {"debian": "PAGECHECK_MIRROR", "security": "PAGECHECK_SECURITY_MIRROR"}
_DEBIAN_SUITES = {"jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky",
                  "duke", "sid", "experimental", "oldoldstable", "oldstable", "stable",
                  "testing", "unstable"}
_SUITE_PARTS = re.compile(r"(-updates|-backports(-sloppy)?|-proposed-updates|-security|/updates)$")


@dataclass(frozen=True)
class Source:
    """One enabled deb source of the host: a URI serving a suite."""
    uri: str
    suite: str
    components: tuple


def one_line_sources(text):
    """The deb sources of a sources.list in the one-line format:
    deb [options] URI SUITE COMPONENT..."""
    found = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = words[1:]
        if len(words) >= 2:
            found.append(Source(words[0], words[1], tuple(words[2:])))
    return found


def deb822_sources(text):
    """The deb sources of a .sources file (deb822 stanzas: Types, URIs,
    Suites, Components; Enabled: no turns a stanza off)."""
    found = []
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields, name = {}, None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and name:
                fields[name] += " " + line.strip()
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            fields[name] = value.strip()
        if "deb" not in fields.get("types", "").split() or \
                fields.get("enabled", "yes").lower() == "no":
            continue
        components = tuple(fields.get("components", "").split())
        found += [Source(uri, suite, components) for uri in fields.get("uris", "").split()
                  for suite in fields.get("suites", "").split()]
    return found


def host_sources(etc):
    """Every enabled deb source in etc/sources.list and etc/sources.list.d/
    (*.list, *.sources), in apt's order."""
    files = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list")),
             *sorted((etc / "sources.list.d").glob("*.sources"))]
    found = []
    for path in files:
        text = read_text(path) or ""
        found += deb822_sources(text) if path.suffix == ".sources" else one_line_sources(text)
    return found


def pick_mirror(sources, archive):
    """The URI of the first source of archive: "security" serves a
    *-security suite, "debian" another Debian suite's main component."""
    for src in sources:
        security = src.suite.endswith(("-security", "/updates"))
        debian = _SUITE_PARTS.sub("", src.suite) in _DEBIAN_SUITES and "main" in src.components
        if debian and security == (archive == "security") and not src.uri.startswith("cdrom:"):
            return src.uri.rstrip("/")
    return None


def mirror(archive):
    """The mirror of archive ("debian" or "security"): its environment
    variable, else the host's apt sources."""
    env = MIRROR_ENV[archive]
    if os.environ.get(env):
        return os.environ[env].rstrip("/")
    found = pick_mirror(host_sources(APT_ETC), archive)
    if found is None:
        what = "Debian archive mirror (a source of a Debian suite's main component)" \
            if archive == "debian" else "Debian security mirror (a source of a *-security suite)"
        raise Error(f"no {what} in {APT_ETC}/sources.list or {APT_ETC}/sources.list.d/: "
                    f"set {env} to its URI, as a sources.list line names it")
    return found


# ---------------------------------------------------------------------------
# Apt: a private state per apt state name.

class AptState:
    """One private apt configuration: apt/<state>/ in the cache, with the
    host's mirrors (mirror()). apt reads nothing in /etc/apt (APT_CONFIG
    is parsed first, and it points Dir::Etc::Parts and the rest elsewhere)."""

    def __init__(self, state):
        if state not in APT_STATES:
            raise Error(f"no sources defined for apt state '{state}'")
        self.state = state
        self.dir = cache() / "apt" / state
        self.opts = ["-o", f"Dir::Etc::SourceList={self.dir}/sources.list",
                     "-o", "Dir::Etc::SourceParts=/dev/null",
                     "-o", f"Dir::State::Lists={self.dir}/lists",
                     "-o", f"Dir::Cache={self.dir}/cache",
                     "-o", "Acquire::Check-Valid-Until=false"]

    def lock(self):
        """One user of the state at a time (parallel jobs share the cache)."""
        return Lock(self.dir / "fetch.lock", f"another kernel fetch using {self.dir}")

    def sources(self):
        return "".join(f"{_SIGNED} {mirror(a)} {s} main\n" for a, s in APT_STATES[self.state])

    def config(self):
        d = self.dir
        return (f'Dir::Etc::Parts "{d}/parts";\n'
                'Dir::Etc::main "/dev/null";\n'
                f'Dir::Etc::SourceList "{d}/sources.list";\n'
                'Dir::Etc::SourceParts "/dev/null";\n'
                'Dir::Etc::Preferences "/dev/null";\n'
                f'Dir::Etc::PreferencesParts "{d}/prefs";\n'
                f'Dir::State "{d}";\n'
                f'Dir::State::Lists "{d}/lists";\n'
                f'Dir::State::status "{d}/status";\n'
                f'Dir::Cache "{d}/cache";\n'
                'Dir::Cache::srcpkgcache "";\n'
                'Acquire::Check-Valid-Until "false";\n'
                'Acquire::Languages "none";\n'
                'Acquire::GzipIndexes "true";\n'
                'APT::Sandbox::User "root";\n'
                'Acquire::Retries "1";\n'
                'Acquire::http::Timeout "30";\n' + self.arch_config())

    def arch_config(self):
        arch = state_arch(self.state)
        if arch == "amd64":
            return ""
        return (f'APT::Architecture "{arch}";\n'
                f'APT::Architectures {{ "{arch}"; "amd64"; }};\n')

    def setup(self):
        """Write the configuration; a changed sources.list forces an update.
        Call with the lock held."""
        d = self.dir
        for sub in ("lists/partial", "cache/archives/partial", "parts", "prefs"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        sources = self.sources()
        if read_text(d / "sources.list") != sources:
            (d / "sources.list").write_text(sources)
            (d / "updated").unlink(missing_ok=True)
        status = d / "status"
        if not status.exists() or status.stat().st_size:
            status.write_text("")
        # Nothing is installed from this state: drop stale archives and caches.
        for deb in (d / "cache" / "archives").glob("*.deb"):
            deb.unlink()
        (d / "cache" / "srcpkgcache.bin").unlink(missing_ok=True)
        if read_text(d / "apt.conf") != self.config():
            (d / "apt.conf").write_text(self.config())

    def env(self):
        return dict(os.environ, APT_CONFIG=str(self.dir / "apt.conf"))

    def has_lists(self):
        return any((self.dir / "lists").glob("*Packages*"))

    def refresh(self, max_age=None):
        """apt-get update if the lists are older than PAGECHECK_APT_MAX_AGE
        (default a day); after a failed refresh retry at most once an hour.
        A failure is a warning: the old lists are used."""
        if max_age is None:
            max_age = int(os.environ.get("PAGECHECK_APT_MAX_AGE", "86400"))
        age = age_seconds(self.dir / "updated")
        if age < max_age or offline():
            return
        if (self.dir / "updated").exists() and age_seconds(self.dir / "update-failed") < 3600:
            log(f"apt metadata is stale ({age:.0f}s) but the last refresh failed recently; using it")
            return
        if not self.has_lists():
            log(f"fetching apt metadata for '{self.state}' for the first time")
        elif not (self.dir / "updated").exists():
            log(f"refreshing apt metadata for '{self.state}' (no refresh of its current "
                "sources has succeeded)")
        else:
            log(f"refreshing apt metadata for '{self.state}' (age {age:.0f}s)")
        logf = self.dir / "update.log"
        res = run(["apt-get", *self.opts, "-q", "update"], log_path=logf, env=self.env(),
                  check=False)
        text = read_text(logf)
        if res.returncode == 0 and not re.search(r"^E: |^W: (Failed to fetch|Some index files)",
                                                 text, re.M):
            (self.dir / "updated").touch()
            (self.dir / "update-failed").unlink(missing_ok=True)
            return
        (self.dir / "update-failed").touch()
        warn(f"apt-get update failed (see {logf}); using old lists\n{tail(logf, 5)}")

    def query(self, *args):
        """apt-cache ARGS on this state; its stdout ('' if it failed)."""
        res = run(["apt-cache", *self.opts, *args], env=self.env(), check=False)
        return res.stdout if res.returncode == 0 else ""

    def download(self, packages, dest, logf):
        run(["apt-get", *self.opts, "-q", "download", *packages], cwd=dest,
            log_path=logf, env=self.env())



# ---------------------------------------------------------------------------
# Suite chroots (mmdebstrap), for the compilers of other Debian suites.

# Runs inside the new chroot (bash): install what the suite's current
# linux-headers-<flavour> depends on to build: linux-compiler-gcc-N-x86 or
# gcc-N(-for-host), and the Depends of its linux-kbuild-*. Its text is part
# of the chroot's cache key: keep it byte for byte unless it must change.
CHROOT_SETUP = r'''
set -euo pipefail
field() {
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		awk -v f="$2:" '$1 == f { sub(/^[^:]*: */, ""); print; exit }'
}
names() { sed "s/[,|]/\n/g" | sed -nE "s/^ *([^ (]+).*/\1/p"; }
dep=
for m in $PC_HDR_META; do
	dep=$(field "$m" Depends | sed "s/,/\n/g" | grep -m1 -E "^ *linux-headers-[0-9]") && break
done
[ -n "$dep" ] || { echo "no linux-headers metapackage ($PC_HDR_META)" >&2; exit 1; }
hdr=$(sed -E "s/^ *([^ ]+).*/\1/" <<<"$dep")
ver=$(sed -nE "s/.*\(= *([^)]+)\).*/\1/p" <<<"$dep")
hdeps=$(field "$hdr${ver:+=$ver}" Depends)
pkgs=$(names <<<"$hdeps" | grep -E "^(linux-compiler-gcc-|gcc-[0-9]+(-for-host)?$)" || true)
kb=$(names <<<"$hdeps" | grep -m1 "^linux-kbuild-" || true)
[ -z "$kb" ] || pkgs+=" $(field "$kb" Depends | names | grep -vx libc6 || true)"
[ -n "${pkgs// /}" ] || { echo "$hdr $ver names no compiler" >&2; exit 1; }
echo "$hdr $ver wants:" $pkgs | tee /etc/pagecheck-chroot
apt-get install -y -q --no-install-recommends $pkgs
'''

# Environment passed into the chroot besides a clean base.
_CHROOT_ENV = re.compile(r"^(PAGECHECK_[A-Z_]*|CI|MAKEFLAGS|KBUILD_[A-Z_]*|SOURCE_DATE_EPOCH|W|V)$")


class Chroot:
    """A minimal Debian chroot of one suite holding the compiler that the
    suite's kernel headers depend on, cached as chroots/<suite>-<hash>/
    (the hash covers mirrors, packages and the setup script, so changing
    them makes a new chroot and deletes the suite's older ones). The lock
    chroots/<suite>.lock is shared while running, exclusive while changing."""

    def __init__(self, suite):
        if suite not in CHROOT_SUITES:
            raise Error(f"unknown suite '{suite}' ({', '.join(CHROOT_SUITES)})")
        spec = CHROOT_SUITES[suite]
        self.dist, self.hdr_meta = spec.dist, spec.hdr_meta
        self.mirrors = [f"deb {mirror(a)} {s} main" for a, s in spec.sources]
        self.suite = suite
        self.packages = ["debian-archive-keyring", "make", "libc6-dev", "bc", "flex", "bison",
                         "libelf-dev", "libssl-dev", "kmod", "python3", "sparse",
                         # BTF for modules (pahole was called dwarves up to bullseye)
                         "dwarves" if suite == "bullseye" else "pahole"]
        key = f"v1 {self.dist} {self.hdr_meta}\n" + "".join(
            line + "\n" for line in [*self.mirrors, *self.packages, CHROOT_SETUP])
        self.cdir = cache() / "chroots"
        self.dir = self.cdir / f"{suite}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
        self.root = self.dir / "root"

    def lock(self):
        return Lock(self.cdir / f"{self.suite}.lock", f"other users of the {self.suite} chroot",
                    shared=True)

    def ensure(self, lock, kdir=None):
        """Create the chroot if needed and make sure it has the compiler
        that kdir's .kernelvariables names. Leaves lock shared."""
        if os.geteuid() != 0:
            raise Error("suite chroots need root (mounts and chroot)")
        need_cc = kdir_cc(kdir) if kdir else ""
        if kdir and not need_cc:
            warn(f"no CC in {kdir}/.kernelvariables: not checking the compiler")
        if (self.dir / "ready").is_file() and not self._cc_missing(need_cc):
            return
        lock.relock(shared=False)
        if not (self.dir / "ready").is_file():
            self._create()
        if self._cc_missing(need_cc):
            self._add_cc(need_cc, kdir)
            if self._cc_missing(need_cc):
                raise Error(f"{need_cc} still missing in {self.root}")
        lock.relock(shared=True)

    def _cc_missing(self, cc):
        if not cc:
            return False
        res = run(["chroot", self.root, "/bin/sh", "-c", 'command -v "$1"', "sh", cc], check=False)
        return res.returncode != 0

    def _create(self):
        if not shutil.which("mmdebstrap"):
            raise Error("mmdebstrap is not installed (run: pctest.py deps check)")
        tmp = self.dir.with_name(self.dir.name + ".tmp")
        _safe_rmtree(tmp)
        tmp.mkdir(parents=True)
        logf = tmp / "create.log"
        log(f"creating the {self.suite} chroot in {self.dir} (log: {logf})")
        t0 = os.times().elapsed
        env = dict(os.environ, PC_HDR_META=self.hdr_meta, PC_SETUP=CHROOT_SETUP)
        # Own mount namespace: nothing mmdebstrap mounts can outlive it.
        cmd = ["unshare", "--mount", "--propagation", "private", "--",
               "mmdebstrap", "--mode=root", "--variant=required", "--format=directory",
               "--aptopt=Acquire::Check-Valid-Until \"false\"",
               "--aptopt=Acquire::Languages \"none\"",
               "--aptopt=Acquire::Retries \"2\"",
               "--dpkgopt=path-exclude=/usr/share/man/*",
               "--dpkgopt=path-exclude=/usr/share/locale/*",
               "--dpkgopt=path-exclude=/usr/share/doc/*",
               "--dpkgopt=path-exclude=/usr/share/info/*",
               "--include=" + ",".join(self.packages),
               '--customize-hook=chroot "$1" /bin/bash -c "$PC_SETUP"',
               '--customize-hook=chroot "$1" dpkg-query -W >"$1/../packages"',
               self.dist, tmp / "root", *self.mirrors]
        try:
            run(cmd, log_path=logf, env=env)
        except Error:
            raise Error(f"mmdebstrap failed for {self.suite} (log: {logf})\n{tail(logf, 25)}")
        seconds = int(os.times().elapsed - t0)
        (tmp / "create.seconds").write_text(f"{seconds}\n")
        _safe_rmtree(self.dir)
        tmp.rename(self.dir)
        (self.dir / "ready").write_text(utc_stamp() + "\n")
        log(f"created the {self.suite} chroot in {seconds}s: "
            f"{read_text(self.root / 'etc' / 'pagecheck-chroot') or ''}".strip())
        for old in self.cdir.glob(f"{self.suite}-*"):
            if old.is_dir() and old != self.dir:
                log(f"deleting outdated {old}")
                _safe_rmtree(old)

    def _add_cc(self, cc, kdir):
        """Install the gcc-N that kdir asks for (sid moves to a new gcc now
        and then)."""
        m = re.search(r"gcc-[0-9]+$", cc)
        if not m:
            raise Error(f"cannot map {cc} to a package")
        log(f"the {self.suite} chroot lacks {cc} (for {kdir}): installing {m.group(0)}")
        try:
            shutil.copyfile("/etc/resolv.conf", self.root / "etc" / "resolv.conf")
        except OSError:
            pass
        script = ('apt-get -q update && apt-get install -y -q --no-install-recommends "$1" && '
                  'apt-get clean && rm -rf /var/lib/apt/lists/*')
        try:
            self._run_ns(["/bin/sh", "-c", script, "sh", m.group(0)], "/", [],
                         self.dir / "create.log", append=True)
        except Error:
            raise Error(f"could not install {m.group(0)} in {self.root}\n"
                        f"{tail(self.dir / 'create.log', 15)}")

    def run(self, cmd, logf, kdir=None, binds=(), cwd=None):
        """Run cmd in the chroot as root in a private mount namespace with
        /proc, /dev, the cache, /work, the repository and binds mounted at
        the same paths; cwd is kept if it is visible inside."""
        with self.lock() as lock:
            self.ensure(lock, kdir)
            mounts = []
            # a cache whose kernels/ is a symlink (to another cache): its target too
            kernels = cache() / "kernels"
            shared = [Path(os.path.realpath(kernels))] if kernels.is_symlink() else []
            for d in [cache(), *shared, Path("/work"), ROOT, *binds]:
                d = Path(os.path.abspath(d))
                if not d.is_dir():
                    if d == Path("/work"):
                        continue
                    raise Error(f"bind {d}: no such directory")
                if d in (Path("/"), Path("/proc"), Path("/dev")) or \
                        str(d).startswith(("/proc/", "/dev/")):
                    raise Error(f"will not bind {d}")
                if not any(str(d) == str(m) or str(d).startswith(str(m) + "/") for m in mounts):
                    mounts.append(d)
            cwd = Path(os.path.abspath(cwd or os.getcwd()))
            inside = any(str(cwd) == str(m) or str(cwd).startswith(str(m) + "/") for m in mounts)
            log(f"running in {self.root}: {' '.join(str(c) for c in cmd)}")
            self._run_ns(cmd, cwd if inside else Path("/"), mounts, logf)

    def _run_ns(self, cmd, cwd, mounts, logf, append=False):
        """The mount namespace dies with its last process, and its mounts
        with it; every step execs, so signals reach cmd itself."""
        r = str(self.root)
        env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME=/root", "LC_ALL=C.UTF-8", "TERM=dumb", "DEBIAN_FRONTEND=noninteractive"]
        env += [f"{k}={v}" for k, v in sorted(os.environ.items()) if _CHROOT_ENV.match(k)]
        setup = ['mount -t proc proc "$R/proc"', 'mount --rbind /dev "$R/dev"']
        for i, _ in enumerate(mounts):
            setup.append(f'mkdir -p "$R${{M{i}}}" && mount --bind "$M{i}" "$R$M{i}"')
        script = "set -e; " + "; ".join(setup) + \
            '; exec chroot "$R" /usr/bin/env -i "$@"'
        inner = ["/bin/sh", "-c", 'cd "$1" || exit; shift; exec "$@"', "sh", str(cwd), *cmd]
        ns_env = dict(os.environ, R=r, **{f"M{i}": str(m) for i, m in enumerate(mounts)})
        run(["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script,
             "sh", *env, *inner], log_path=logf, env=ns_env, append=append)


def kdir_cc(kdir):
    """The compiler a Debian KDIR's .kernelvariables sets CC to, evaluated
    by make as kbuild would: gcc-10 (5.10), x86_64-linux-gnu-gcc-16 (7.x)."""
    kv = Path(kdir) / ".kernelvariables"
    if not kv.is_file():
        return ""
    res = subprocess.run(["make", "--no-print-directory", "-s", "-f", str(kv), "-f", "-",
                          "pc-cc"], input="pc-cc:\n\t@echo $(CC)\n", text=True,
                         capture_output=True)
    words = res.stdout.split()
    return words[-1] if res.returncode == 0 and words else ""


def _mounted_below(path):
    p = str(path)
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == p or line.split()[1].startswith(p + "/") for line in f)


def _safe_rmtree(path):
    """rmtree that refuses to delete below a mount point."""
    if not os.path.lexists(path):
        return
    if _mounted_below(path):
        raise Error(f"refusing to delete {path}: something is mounted below it")
    shutil.rmtree(path)
