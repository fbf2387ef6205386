# SPDX-License-Identifier: GPL-2.0
"""Fingerprints across kernels: each guest shows, as figures, the
fingerprint of every bug it injected in task context with the tracepoint
backend ("fingerprint CASE/task: FP FRAMES REASONS"). Here each one is
computed again from its reasons and frames as docs/design.md defines it,
and the same bug (case and reasons) must have the same fingerprint on
every kernel where its frames have the same names."""

import re

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
_MASK = (1 << 64) - 1
_FIGURE = re.compile(r"^INFO ([^/:]+)/[^:]+: figure: fingerprint (\S+): "
                     r"([0-9a-f]{16}) (\S+) (.+)$")


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


def gates(lines, skip_labels=()):
    """PASS/FAIL/SKIP lines for the fingerprint figures in lines, but for
    those of skip_labels (canaries, never counted). A bug is the injected
    case with its reasons: a kernel that reports other reasons for the same
    case (7's buddy page is no longer "nonzero mapcount") has another bug."""
    seen = {}              # bug -> {(frames, fp): [labels]}
    out = []
    for line in lines:
        m = _FIGURE.match(line)
        if not m or m.group(1) in skip_labels:
            continue
        label, case, fp, frames, reasons = m.groups()
        want = fingerprint(reasons.split("|"), frames.split(","))
        if int(fp, 16) != want:
            out.append(f"FAIL fingerprint {label}: {case} is {fp}, but its reasons and "
                       f"frames ({reasons}; {frames}) hash to {want:016x}")
        bug = f"{case} [{reasons}]"
        seen.setdefault(bug, {}).setdefault((frames, fp), []).append(label)
    if not seen:
        return ["FAIL fingerprint: no guest showed a fingerprint"]
    compared = 0
    for bug, kinds in sorted(seen.items()):
        by_frames = {}
        for (frames, fp), labels in kinds.items():
            by_frames.setdefault(frames, []).append((fp, labels))
        for frames, fps in sorted(by_frames.items()):
            labels = sorted(l for _, ls in fps for l in ls)
            compared += len(labels) > 1
            if len(fps) > 1:
                out.append(f"FAIL fingerprint: {bug} has " + ", ".join(
                    f"{fp} on {' '.join(ls)}" for fp, ls in fps) + f" with the same frames {frames}")
            elif len(labels) > 1:
                out.append(f"PASS fingerprint: {bug} is {fps[0][0]} on {', '.join(labels)} "
                           f"(frames {frames})")
    if not compared:
        labels = {l for kinds in seen.values() for ls in kinds.values() for l in ls}
        out.append(("FAIL" if len(labels) > 1 else "SKIP") +
                   " fingerprint: no bug had the same frames on two kernels, nothing compared"
                   + ("" if len(labels) > 1 else " (one kernel)"))
    return out
