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


# --- README.md's sample report (pctest_readme) ---------------------------

import pctest_readme  # noqa: E402

SAMPLE_README = """intro
An annotated report, from `make demo`:

```
BUG: pagecheck: non-NULL mapping in f [m]
                                         (1) title
report #2: 1 time, fingerprint 0123456789abcdef, first [    1.5], last [    1.5]
pfn: 0x10 order: 0 page: 00000000deadbeef          (3) the page

 free_unref_page+0x25/0x1d0                   (5) the stack
 f+0x1/0x2 [m]
 ...
```
"""

SAMPLE_REPORT = """BUG: pagecheck: non-NULL mapping in f [m]

report #7: 1 time, fingerprint 0123456789abcdef, first [   22.25], last [   23.5]
pfn: 0x3f86e order: 0 page: 00000000caa22c2a

 free_unref_page+0x30/0x200
 f+0x9/0x20 [m]
 g+0x1/0x2
 h+0x1/0x2
=================================================================="""


def test_readme_sample_matches_a_report_of_other_numbers():
    want = pctest_readme.sample(SAMPLE_README)
    assert want[0] == "BUG: pagecheck: non-NULL mapping in f [m]"
    assert "(1)" not in "".join(want) and "(5)" not in "".join(want)
    got = pctest_readme.report_of(SAMPLE_REPORT, want[0])
    assert pctest_readme.differences(want, got) == ""


def test_readme_sample_fails_on_a_new_fingerprint_or_frame():
    want = pctest_readme.sample(SAMPLE_README)
    other_fp = SAMPLE_REPORT.replace("0123456789abcdef", "0123456789abcdee")
    assert "fingerprint" in pctest_readme.differences(
        want, pctest_readme.report_of(other_fp, want[0]))
    new_frame = SAMPLE_REPORT.replace(" f+0x9/0x20 [m]", " e+0x1/0x2\n f+0x9/0x20 [m]")
    assert "e+" in pctest_readme.differences(
        want, pctest_readme.report_of(new_frame, want[0]))
    assert pctest_readme.report_of(SAMPLE_REPORT, "BUG: pagecheck: something else") == []


def test_readme_elision_skips_to_the_next_line_and_still_compares_it():
    want = ["BUG: pagecheck: non-NULL mapping in f [m]", "[...]", " g+0x1/0x2", "..."]
    got = pctest_readme.report_of(SAMPLE_REPORT, want[0])
    assert pctest_readme.differences(want, got) == ""
    missing = ["BUG: pagecheck: non-NULL mapping in f [m]", "[...]", " k+0x1/0x2"]
    assert "ends before" in pctest_readme.differences(missing, got)


def test_the_readme_has_a_sample():
    readme = (ROOT / "README.md").read_text()
    assert pctest_readme.sample(readme)
    assert pctest_readme.sample(readme, pctest_readme.HISTORY_INTRO)


def test_the_readme_fits_in_300_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300
