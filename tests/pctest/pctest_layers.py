# SPDX-License-Identifier: GPL-2.0
"""The module's units call only downwards.

Kbuild lists pagecheck's objects top-down; a unit may use a symbol of a
unit listed after it, never one listed before it or itself on another
path back up. This reads the built objects' symbol tables (nm), so it
sees every call and every shared variable, and also checks that no
source under src/ or include/ uses inline assembly.
"""
import os
import re
import subprocess
import sys

from pctest_common import failed, pass_or_fail


def unit_order(kbuild_text):
    """The object names of pagecheck-y, in the order Kbuild lists them."""
    m = re.search(r"^pagecheck-y\s*:=\s*((?:.*\\\n)*.*)$", kbuild_text, re.M)
    if not m:
        raise ValueError("no pagecheck-y list in Kbuild")
    words = m.group(1).replace("\\\n", " ").split()
    return [os.path.splitext(w)[0] for w in words]


def parse_nm(text):
    """(defined, undefined) symbol sets from `nm` output."""
    defined, undefined = set(), set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] not in ("U", "w", "v"):
            defined.add(parts[2])
    return defined, undefined


def layer_problems(order, symbols, prefix="pgc_"):
    """Every use of a unit's symbol by a unit that is not above it.

    symbols maps unit -> (defined, undefined).
    """
    owner = {}
    for unit in order:
        for sym in symbols[unit][0]:
            if sym.startswith(prefix):
                owner[sym] = unit
    problems = []
    for i, unit in enumerate(order):
        for sym in sorted(symbols[unit][1]):
            where = owner.get(sym)
            if where is not None and order.index(where) <= i:
                problems.append(f"{unit} uses {sym} of {where}, which is not below it")
    return problems


ASM = re.compile("asm")


def asm_uses(top):
    """(file, line) of every inline assembly in src/ and include/."""
    found = []
    for sub in ("src", "include"):
        for root, _, files in os.walk(os.path.join(top, sub)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, name)
                with open(path, errors="replace") as f:
                    for n, line in enumerate(f, 1):
                        if ASM.search(line):
                            found.append(f"{os.path.relpath(path, top)}:{n}")
    return found


def check(build_dir, label="layers"):
    """PASS/FAIL Verdicts for a tree built in build_dir."""
    with open(os.path.join(build_dir, "Kbuild")) as f:
        order = unit_order(f.read())
    symbols = {}
    for unit in order:
        out = subprocess.run(["nm", os.path.join(build_dir, unit + ".o")],
                             capture_output=True, text=True, check=True).stdout
        symbols[unit] = parse_nm(out)
    problems = layer_problems(order, symbols)
    asm = asm_uses(build_dir)
    return [pass_or_fail(not problems, label,
                         "every unit calls only the units below it in Kbuild's order",
                         "; ".join(problems[:5])),
            pass_or_fail(not asm, label, "no inline assembly in src/ or include/",
                         ", ".join(asm[:5]))]


def main(argv):
    if len(argv) != 2:
        print("usage: pctest_layers.py BUILD_DIR", file=sys.stderr)
        return 2
    verdicts = check(argv[1])
    print("\n".join(map(str, verdicts)))
    return 1 if failed(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
