# SPDX-License-Identifier: GPL-2.0
"""KTAP v1 parser (Documentation/dev-tools/ktap.rst).

parse() takes the whole text a guest printed and returns a flat list of
Result, one per leaf test, named "suite: sub: test" after the nesting. It
also reports as FAIL what the text itself says is wrong or missing: a plan
whose count does not match the results seen, a nested test whose closing
result line never came (a document cut short), a document or subtest that
ended with no plan line, and no KTAP document anywhere. Expected counts
come from the plans in the text only. A plan may come first or, as TAP
allows and the guest suite writes it, after the results.

A failed test takes as its detail the diagnostic lines "# NAME: TEXT"
printed for it before its result line, as KUnit and the guest suite
write them. Other lines that are not KTAP are ignored wherever they are,
as are CR
characters and a kernel log timestamp prefix "[  12.345678] ". Subtests
are indented by the same number of spaces per level: two in the KTAP
specification, four in KUnit's output; the first indented version line
sets it.
"""
import re
from dataclasses import dataclass, field

from pctest_common import Status, Verdict

PASS, FAIL, SKIP = Status.PASS, Status.FAIL, Status.SKIP

_TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\] ?")
_VERSION = re.compile(r"^(?:KTAP|TAP) version \d+\s*$")
_PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#.*)?$")
_RESULT = re.compile(r"^(ok|not ok) (\d+)\b(?: -)?(.*)$")
_SUBTEST = re.compile(r"^# Subtest: (.*?)\s*$")
_DIAG = re.compile(r"^# (.+)$")
_DETAIL_MAX = 300
_DIRECTIVE = re.compile(r"^(.*?)\s*#\s*(SKIP|TODO)\b\s*(.*)$", re.IGNORECASE)


@dataclass
class Result:
    """One leaf test: status is PASS, FAIL or SKIP; name is the test path."""
    status: Status
    name: str
    detail: str = ""

    def verdict(self, where):
        return Verdict(self.status, where, self.name, self.detail)


@dataclass
class _Node:
    """A KTAP document or nested subtest being read."""
    depth: int
    name: str = ""
    plan: int = None
    seen: int = 0
    results: list = field(default_factory=list)
    failed_leaf: bool = False


def _split(raw):
    """(indent, text) of one line."""
    line = _TIMESTAMP.sub("", raw.replace("\r", ""), count=1).rstrip()
    stripped = line.lstrip(" ")
    return len(line) - len(stripped), stripped


class _Parser:
    def __init__(self):
        self.stack = []         # open nodes, outermost first
        self.out = []
        self.documents = 0
        self.unit = None        # spaces per nesting level, once seen
        self.diags = {}         # depth: diagnostic lines since its last result

    def _depth(self, indent, text):
        """Nesting depth of a line, or None if it cannot be KTAP."""
        if indent and self.unit is None:
            if not self.stack or not (_VERSION.match(text) or _SUBTEST.match(text)):
                return None
            self.unit = indent
        if indent == 0:
            return 0
        return indent // self.unit if indent % self.unit == 0 else None

    def feed(self, raw):
        indent, text = _split(raw)
        depth = self._depth(indent, text)
        if depth is None:
            return
        if _VERSION.match(text):
            self._version(depth)
            return
        if not self.stack:
            return
        top = self.stack[-1]
        m = _SUBTEST.match(text)
        if m:
            if depth == top.depth + 1:
                self._open(depth, m.group(1))
            elif depth == top.depth and not top.name and top.seen == 0:
                top.name = m.group(1)
            return
        m = _PLAN.match(text)
        if m:
            node = self._node_at(depth)
            if node is not None and node.plan is None:
                node.plan = int(m.group(1))
                if node.depth == 0 and node.seen == node.plan:
                    self._close_document()
            return
        m = _RESULT.match(text)
        if m:
            self._result(depth, m.group(1) == "ok", m.group(3))
            self.diags.pop(depth, None)
            return
        m = _DIAG.match(text)
        if m:
            self.diags.setdefault(depth, []).append(m.group(1))

    def _node_at(self, depth):
        for node in reversed(self.stack):
            if node.depth == depth:
                return node
        if depth == self.stack[-1].depth + 1:
            return self._open(depth, "")
        return None

    def _version(self, depth):
        if depth == 0:
            if self.stack:
                self._close_document()
            self.documents += 1
            self.stack.append(_Node(0))
            return
        # Nested: a new subtest one level down. At the current level it
        # follows its own "# Subtest:" line, which opened the node already.
        if self.stack and depth == self.stack[-1].depth + 1:
            self._open(depth, "")

    def _open(self, depth, name):
        node = _Node(depth, name)
        self.stack.append(node)
        return node

    def _result(self, depth, ok, rest):
        if not self.stack or depth > self.stack[-1].depth + 1:
            return
        # A result at depth d closes every node deeper than d + 1 (cut short)
        # and the pending subtest at d + 1, if any.
        while self.stack[-1].depth > depth + 1:
            self._cut_short(self.stack.pop())
        child = self.stack.pop() if self.stack[-1].depth == depth + 1 else None
        parent = self.stack[-1]
        m = _DIRECTIVE.match(rest)
        name, directive, reason = (m.group(1), m.group(2).upper(), m.group(3)) if m \
            else (rest, None, "")
        name = name.strip()
        if child is not None:
            child.name = child.name or name
            name = child.name
        parent.seen += 1
        # Names are relative to the node; a closing subtest prefixes its own.
        path = name
        if directive == "SKIP":
            status, detail = SKIP, reason
        elif directive == "TODO":
            status, detail = SKIP, ("TODO " + reason).strip()
        else:
            status, detail = (PASS if ok else FAIL), ""
            if not ok and child is None:
                detail = self._why(depth, name)
        if child is not None:
            self._finish(child, "")
            for r in child.results:
                r.name = f"{name}: {r.name}" if name else r.name
            if child.results and (status != FAIL or child.failed_leaf):
                self._emit(parent, child.results, child.failed_leaf)
            else:
                self._emit(parent, child.results + [Result(status, path, detail)],
                           child.failed_leaf or status == FAIL)
        else:
            self._emit(parent, [Result(status, path, detail)], status == FAIL)
        if parent.depth == 0 and parent.plan is not None and parent.seen == parent.plan:
            self._close_document()

    def _why(self, depth, name):
        """What the "# NAME: TEXT" lines before a failed NAME say."""
        head = f"{name}: "
        why = "; ".join(d[len(head):] for d in self.diags.get(depth, ())
                        if d.startswith(head))
        return why if len(why) <= _DETAIL_MAX else why[:_DETAIL_MAX - 3] + "..."

    def _emit(self, node, results, failed):
        node.results.extend(results)
        node.failed_leaf = node.failed_leaf or failed

    def _finish(self, node, where, cut_short=False):
        """Check a closed node's plan against what it reported; the FAIL
        is named "plan" inside the node ("where: plan" for a document). A
        node cut short may have no plan yet: its cut-short FAIL says so."""
        plan = f"{where}: plan" if where else "plan"
        if node.plan is None:
            if not cut_short:
                node.results.append(Result(FAIL, plan,
                                           f"no plan line; {node.seen} result(s)"))
                node.failed_leaf = True
        elif node.plan != node.seen:
            first, last = node.seen + 1, node.plan
            missing = "" if first > last else f": test {first} never reported" \
                if first == last else f": tests {first}..{last} never reported"
            node.results.append(Result(FAIL, plan,
                                       f"1..{node.plan} planned, {node.seen} reported{missing}"))
            node.failed_leaf = True

    def _cut_short(self, node):
        """A subtest whose parent never printed its result line."""
        name = node.name or "(unnamed subtest)"
        self._finish(node, "", cut_short=True)
        plan = "" if node.plan is not None else f", no plan line, {node.seen} result(s)"
        node.results.append(Result(FAIL, "", "cut short: no result line for this subtest"
                                   + plan))
        for r in node.results:
            r.name = f"{name}: {r.name}" if r.name else name
        self._emit(self.stack[-1], node.results, True)

    def _close_document(self):
        while len(self.stack) > 1:
            self._cut_short(self.stack.pop())
        doc = self.stack.pop()
        self._finish(doc, "" if doc.name else "KTAP document %d" % self.documents)
        if doc.name:
            for r in doc.results:
                r.name = f"{doc.name}: {r.name}"
        self.out.extend(doc.results)


def parse(text):
    """Flat list of Result for every KTAP document in text."""
    parser = _Parser()
    for raw in text.splitlines():
        parser.feed(raw)
    if parser.stack:
        parser._close_document()
    if parser.documents == 0:
        return [Result(FAIL, "KTAP output", "no KTAP document found")]
    return parser.out


_FIGURE = re.compile(r"^# figure: (.+)$")


def figures(text):
    """The "NAME: TEXT" of every "# figure: NAME: TEXT" line, in order."""
    found = []
    for raw in text.splitlines():
        m = _FIGURE.match(_split(raw)[1])
        if m:
            found.append(m.group(1).strip())
    return found
