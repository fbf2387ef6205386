# SPDX-License-Identifier: GPL-2.0
"""Fingerprints across kernels: each guest shows, as figures, the
fingerprint of every bug it injected in task context with the tracepoint
backend ("fingerprint CASE/task: FP FRAMES REASONS"). Here each one is
computed again from its reasons and frames as docs/design.md defines it,
and the same bug (case and reasons) must have the same fingerprint on
every kernel where its frames have the same names."""

import re

from pctest_common import Status, Verdict

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
_MASK = (1 << 64) - 1
_FIGURE = re.compile(r"^figure: fingerprint (\S+): ([0-9a-f]{16}) (\S+) (.+)$")


def fnv1a(text, value=FNV_OFFSET):
    for byte in text.encode():
        value = ((value ^ byte) * FNV_PRIME) & _MASK
    return value


def fingerprint(reasons, frames):
    """reasons: the reasons' names; frames: the caller's and the next two
    frames' bare names."""
    value = fnv1a("%016x" % (sum(fnv1a(r) for r in reasons) & _MASK))
    for name in frames:
        value = fnv1a(name, fnv1a("|", value))
    return value


def gates(verdicts, skip_labels=()):
    """PASS/FAIL/SKIP Verdicts for the fingerprint figures among verdicts, but for
    those of skip_labels (canaries, never counted). A bug is the injected
    case with its reasons: a kernel that reports other reasons for the same
    case (7's buddy page is no longer "nonzero mapcount") has another bug."""
    seen = {}              # bug -> {(frames, fp): [labels]}
    out = []
    for v in verdicts:
        label, boot = v.where.partition("/")[::2]
        m = _FIGURE.match(v.name) if v.status is Status.INFO and boot else None
        if not m or label in skip_labels:
            continue
        case, fp, frames, reasons = m.groups()
        want = fingerprint(reasons.split("|"), frames.split(","))
        if int(fp, 16) != want:
            out.append(Verdict(Status.FAIL, f"fingerprint {label}",
                               f"{case} is {fp}, but its reasons and frames ({reasons}; "
                               f"{frames}) hash to {want:016x}"))
        bug = f"{case} [{'|'.join(sorted(reasons.split('|')))}]"
        seen.setdefault(bug, {}).setdefault((frames, fp), []).append(label)
    if not seen:
        return [Verdict(Status.FAIL, "fingerprint", "no guest showed a fingerprint")]
    compared = 0
    for bug, kinds in sorted(seen.items()):
        by_frames = {}
        for (frames, fp), labels in kinds.items():
            by_frames.setdefault(frames, []).append((fp, labels))
        for frames, fps in sorted(by_frames.items()):
            labels = sorted(l for _, ls in fps for l in ls)
            compared += len(labels) > 1
            if len(fps) > 1:
                each = ", ".join(f"{fp} on {' '.join(ls)}" for fp, ls in fps)
                out.append(Verdict(Status.FAIL, "fingerprint",
                                   f"{bug} has {each} with the same frames {frames}"))
            elif len(labels) > 1:
                out.append(Verdict(Status.PASS, "fingerprint", f"{bug} is {fps[0][0]} on "
                                   f"{', '.join(labels)}", f"frames {frames}"))
    if not compared:
        labels = {l for kinds in seen.values() for ls in kinds.values() for l in ls}
        out.append(Verdict(Status.FAIL if len(labels) > 1 else Status.SKIP, "fingerprint",
                           "no bug had the same frames on two kernels, nothing compared",
                           "" if len(labels) > 1 else "one kernel"))
    return out
