# SPDX-License-Identifier: GPL-2.0
"""Debian's own programs in the guest, for any architecture of the matrix.

A program is taken from its Debian package for the guest's architecture,
with the packages of its dependency closure, fetched once into the cache
(programs/<arch>/<package>/). Only what it runs with goes into the
initramfs: the binary, its ELF interpreter and the shared libraries its
NEEDED entries name, recursively, each by soname in /lib/<triplet>, which
glibc searches by default. Nothing is installed on the host.
"""
import re
import shutil
from pathlib import Path

from pctest_common import Error, cache, log, run
from pctest_apt import AptState
from pctest_matrix import ARCHES, HOST_SUITE

# apt-cache depends: the relations a program needs to run.
_DEPENDS = ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
            "--no-breaks", "--no-replaces", "--no-enhances"]
RECIPE = 1          # bump when what is fetched or how it is unpacked changes


def _state(arch):
    return HOST_SUITE if arch == "amd64" else f"{HOST_SUITE}-{arch}"


def _closure(apt, package):
    """The package and every package it depends on, recursively (names;
    virtual packages left out: a real one provides them in the list)."""
    out = apt.query(*_DEPENDS, package)
    if not out:
        raise Error(f"apt-cache depends {package} found nothing in the {apt.state} lists")
    names = {line.strip() for line in out.splitlines() if line and not line[0].isspace()}
    return sorted(n for n in names if n and "<" not in n and ":" not in n)


def fetch(arch, package):
    """The unpacked root of package and its dependency closure for arch."""
    d = cache() / "programs" / arch / package
    root = d / "root"
    stamp = d / "ready"
    if stamp.is_file() and stamp.read_text().strip() == str(RECIPE):
        return root
    apt = AptState(_state(arch))
    with apt.lock():
        apt.setup()
        apt.refresh()
        names = _closure(apt, package)
        shutil.rmtree(d, ignore_errors=True)
        (d / "debs").mkdir(parents=True)
        log(f"downloading {package}:{arch} and its {len(names) - 1} dependencies")
        apt.download(names, d / "debs", d / "download.log")
        for deb in sorted((d / "debs").glob("*.deb")):
            run(["dpkg-deb", "-x", deb, root])
        shutil.rmtree(d / "debs")
    stamp.write_text(f"{RECIPE}\n")
    return root


def _inside(root, path):
    """path, a path in the guest's file system, as a file under root,
    following symbolic links (absolute ones inside root); None if absent."""
    cur = Path(root)
    parts = list(Path(path).parts[1:])
    seen = 0
    while parts:
        cur = cur / parts.pop(0)
        if cur.is_symlink():
            seen += 1
            if seen > 40:
                return None
            target = Path(cur.readlink())
            rest = target.parts[1:] if target.is_absolute() else None
            if rest is not None:
                cur, parts = Path(root), list(rest) + parts
            else:
                cur, parts = cur.parent, list(target.parts) + parts
    return cur if cur.exists() else None


def _dynamic(path):
    """(interpreter or None, [NEEDED sonames]) of an ELF file."""
    head = run(["readelf", "-lW", path], check=False).stdout
    m = re.search(r"Requesting program interpreter: (.*)\]$", head, re.M)
    dyn = run(["readelf", "-dW", path], check=False).stdout
    return (m.group(1) if m else None), re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn)


def program_files(arch, package, program):
    """SRC=DEST arguments for mkinitramfs that put package's program
    (its path in the package, e.g. /usr/bin/stress-ng) in the guest's
    /bin, with what it needs to run."""
    root = fetch(arch, package)
    triplet = ARCHES[arch].gnu_type
    binary = _inside(root, program)
    if binary is None:
        raise Error(f"{program} is not in {package}:{arch}")
    interp, _ = _dynamic(binary)
    files = {f"bin/{Path(program).name}": binary}
    if interp:
        found = _inside(root, interp)
        if found is None:
            raise Error(f"{program}'s interpreter {interp} is not in its dependencies")
        files[interp.lstrip("/")] = found
    dirs = [f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib"]
    todo, done = [binary], set()
    while todo:
        for soname in _dynamic(todo.pop())[1]:
            if soname in done:
                continue
            done.add(soname)
            lib = next((p for d in dirs if (p := _inside(root, f"{d}/{soname}"))), None)
            if lib is None:
                raise Error(f"{program}: {soname} is not in the dependencies of {package}:{arch}")
            files[f"lib/{triplet}/{soname}"] = lib
            todo.append(lib)
    return [f"{src}={dest}" for dest, src in sorted(files.items())]
