# SPDX-License-Identifier: GPL-2.0
"""README.md's sample report cannot go stale.

make check boots 6.1 in the demo's mode (tests/guest/suite.sh run_demo) and
holds the README's annotated report, the fenced block after SAMPLE_INTRO,
to the report of the same title that the demo printed: line for line, with
the annotations (after a run of spaces) and blank lines cut off, and the numbers that
change from boot to boot (addresses, pfns, pids, times, offsets) made
alike. The fingerprint is compared as it is: it names the bug. "..." in
the sample stands for the rest of a stack (up to the sample's next line),
"[...]" for every line up to the sample's next. The block after HISTORY_INTRO is held the same way to
the demo's watched report (its "watch" section).
"""
import re

from pctest_common import ROOT, Status, Verdict
from pctest_vm import guest_text, sections

SAMPLE_INTRO = "An annotated report, from `make demo`:"
HISTORY_INTRO = "The watched page's report, from `make demo`:"

_ANNOTATION = re.compile(r"\s{8,}\S.*$")
_FINGERPRINT = re.compile(r"(fingerprint [0-9a-f]{16})")
_VOLATILE = [
    (re.compile(r"\[\s*\d+\.\d+\]"), "[T]"),            # dmesg times
    (re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+"), "+O"),  # offsets in frames
    (re.compile(r"0x[0-9a-f]+"), "0xN"),
    (re.compile(r"\b[0-9a-f]{16}\b"), "H"),             # hashed pointers
    (re.compile(r"\b\d+\b"), "N"),
]


def sample(readme_text, intro=SAMPLE_INTRO):
    """The README's sample report after intro, annotations cut, as lines."""
    after = readme_text.split(intro, 1)
    if len(after) < 2:
        return []
    block = after[1].split("```", 2)[1]
    lines = (_ANNOTATION.sub("", l).rstrip() for l in block.splitlines()[1:])
    return [l for l in lines if l]


def normalize(line):
    """The line with what changes between boots made alike."""
    keep = _FINGERPRINT.findall(line)
    line = _FINGERPRINT.sub("FP", line)
    for pattern, repl in _VOLATILE:
        line = pattern.sub(repl, line)
    for fp in keep:
        line = line.replace("FP", fp, 1)
    return line


def report_of(reports_text, title):
    """The lines of the report titled title in the reports file."""
    lines = reports_text.splitlines()
    for i, line in enumerate(lines):
        if line == title:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("=====")),
                       len(lines))
            return lines[i:end]
    return []


def differences(want, got):
    """Where the sample and the report part: '' if they agree. Blank lines
    do not count: the sample's annotations take their places."""
    got = [l for l in got if l.strip()]
    g = 0
    skip = False
    for i, w in enumerate(want):
        if w.strip() == "...":
            upto = normalize(want[i + 1]) if i + 1 < len(want) else None
            while g < len(got) and got[g].startswith(" ") and normalize(got[g]) != upto:
                g += 1
            continue
        if w.strip() == "[...]":
            skip = True
            continue
        while skip and g < len(got) and normalize(w) != normalize(got[g]):
            g += 1
        skip = False
        if g >= len(got):
            return f"the report ends before the sample's line {w!r}"
        if normalize(w) != normalize(got[g]):
            return f"sample {w!r} != report {got[g]!r}"
        g += 1
    return ""


def judge_sample(prefix, name, intro, reports_text):
    """A verdict: the README's block after intro is the report of its title."""
    want = sample((ROOT / "README.md").read_text(), intro)
    if not want:
        return Verdict(Status.FAIL, prefix, name, f"no sample after {intro!r}")
    got = report_of(reports_text, want[0])
    if not got:
        return Verdict(Status.FAIL, prefix, name, f"no report titled {want[0]!r}")
    diff = differences(want, got)
    return Verdict(Status.of(not diff), prefix, name, diff)


def judge(prefix, out):
    """Verdicts for the demo boot in out: the README's samples are its reports."""
    found = sections(guest_text(out))
    return [judge_sample(prefix, "README's sample report is what make demo prints",
                         SAMPLE_INTRO, found.get("reports", "")),
            judge_sample(prefix, "README's refcount history is what make demo prints",
                         HISTORY_INTRO, found.get("watch", ""))]
