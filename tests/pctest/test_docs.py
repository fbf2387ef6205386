# SPDX-License-Identifier: GPL-2.0
"""docs/design.md's table of units cannot go stale: every unit Kbuild
builds into pagecheck.ko has its row, and no row names a unit it does not."""
import re

from pctest_common import ROOT
from pctest_layers import unit_order


def design_units():
    text = (ROOT / "docs" / "design.md").read_text()
    table = text.split("## The units", 1)[1].split("\n## ", 1)[0]
    return {m for row in table.splitlines() if row.startswith("| `")
            for m in re.findall(r"`(\w+)\.c`", row.split("|")[1])}


def test_every_unit_has_its_row():
    built = {unit.split("/")[-1] for unit in unit_order((ROOT / "Kbuild").read_text())}
    assert design_units() == built
