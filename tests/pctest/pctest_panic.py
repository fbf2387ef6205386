# SPDX-License-Identifier: GPL-2.0
"""The verdicts of a boot that must end in pagecheck's own panic
(tests/guest/suite.sh panic): the panic notifier printed the latest
reports as JSON lines on the console, and they are the reports the guest
read from reports.json just before, plus the one that panicked."""

import json
import re

from pctest_common import pass_or_fail
from pctest_vm import sections, splats

_PIECE = re.compile(r"pagecheck: (json\+?): (.*)$")
PANIC_REPORTS = 4            # the guest loads panic_reports=4


def sayer(out, prefix):
    """say(ok, name, detail=""): a PASS or FAIL Verdict appended to out."""
    def say(ok, name, detail=""):
        out.append(pass_or_fail(ok, prefix, name, detail))
    return say


def console_reports(console):
    """The JSON lines the panic notifier printed, pieces joined."""
    lines = []
    for raw in console.replace("\r", "").splitlines():
        m = _PIECE.search(raw)
        if not m:
            continue
        if m.group(1) == "json":
            lines.append(m.group(2))
        elif lines:
            lines[-1] += m.group(2)
    return lines


def guest_reports(guest):
    """reports.json as the guest printed it before the panic."""
    text = sections(guest).get("reports.json")
    return None if text is None else [json.loads(l) for l in text.splitlines() if l.strip()]


def judge(prefix, console, guest):
    """PASS/FAIL Verdicts for a panic boot's console and guest text."""
    out = []
    say = sayer(out, prefix)

    console = console.replace("\r", "")
    at = console.find("Kernel panic - not syncing: pagecheck: bad page freed")
    say(at >= 0, "panic_on_report=1 panicked the kernel",
        "" if at >= 0 else "no 'Kernel panic - not syncing: pagecheck' on the console")
    bad = splats(console[:at] if at >= 0 else console)
    say(not bad, "console: no oops, warning, lockup or sanitizer report before the panic",
        "; ".join(bad[:5]))
    before = guest_reports(guest)
    say(before is not None and len(before) == 3, "the guest read 3 reports before the panic",
        "no reports.json between @@BEGIN and @@END" if before is None else f"{len(before)}")
    return out + compare(console_reports(console), before, "the console", prefix)


def compare(lines, before, where, prefix):
    """PASS/FAIL Verdicts: lines (the notifier's JSON lines found in where)
    are the PANIC_REPORTS latest reports, the one that panicked first, the
    others equal to before (reports.json read before the panic)."""
    out = []
    say = sayer(out, prefix)

    printed = []
    for line in lines:
        try:
            printed.append(json.loads(line))
        except ValueError as e:
            say(False, f"panic: every report in {where} is one valid JSON line",
                f"{e}: {line[:120]}")
            return out
    say(len(printed) == PANIC_REPORTS,
        f"panic: {where} shows the {PANIC_REPORTS} latest reports as JSON lines",
        f"{len(printed)} printed")
    if not printed or before is None:
        return out
    first = printed[0]
    newest = max(r["id"] for r in before) + 1
    say(first["id"] == newest and "nonzero _refcount" in first["reasons"],
        f"panic: the report that panicked is first in {where}",
        f"first printed: id {first['id']} {first['reasons']}, want id {newest}")
    by_id = {r["id"]: r for r in before}
    differ = [r["id"] for r in printed[1:] if by_id.get(r["id"]) != r]
    say(len(printed) > 1 and not differ,
        f"panic: the others in {where} equal reports.json read before the panic, "
        "field for field",
        f"ids that differ or were not read before: {differ}")
    return out
