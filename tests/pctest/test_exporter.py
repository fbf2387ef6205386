# SPDX-License-Identifier: GPL-2.0
"""exporter/pagecheck-exporter on the host: a fake debugfs directory, a
fake /var/crash and a logger that writes the entries to a file. No root,
no VM; jq is the one tool it needs (pctest.py deps test-harness)."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pctest_common import ROOT

EXPORTER = ROOT / "exporter" / "pagecheck-exporter"
MESSAGE_ID = re.search(r"^MESSAGE_ID=([0-9a-f]{32})$", EXPORTER.read_text(), re.M).group(1)

pytestmark = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")

FAKE_LOGGER = """#!/bin/sh
for a; do case $a in --journald=*) f=${a#--journald=} ;; esac; done
[ -z "$FAKE_LOGGER_FAIL" ] || exit 1
{ cat "$f"; echo "--"; } >>"$FAKE_JOURNAL"
"""


def report(rid, count, fp, reasons=("non-NULL mapping",), pfn=None, caller="f [m]"):
    return {"id": rid, "count": count, "first_ns": 1, "last_ns": 2, "pfn": pfn or 4096 + rid,
            "order": 0, "reasons": list(reasons), "comm": "sh", "context": "task",
            "caller": caller, "fingerprint": fp, "stack": ["a+0x1/0x2"]}


class Box:
    """The exporter's world: debugfs, /var/crash, the state, the journal."""

    def __init__(self, tmp):
        self.tmp = tmp
        for d in ("dbg", "crash", "state", "bin"):
            (tmp / d).mkdir()
        logger = tmp / "bin" / "logger"
        logger.write_text(FAKE_LOGGER)
        logger.chmod(0o755)
        (tmp / "boot_id").write_text("b0\n")
        self.loaded_ns = 1000
        self.stats = {"violations": 0, "dropped": 0, "frees_audited": 500,
                      "kernel_checks": "deferred"}
        self.reports = []

    def write(self):
        s = self.stats
        lines = ["version: 0.1.0", "kernel: 6.1.0-57-amd64", f"loaded_ns: {self.loaded_ns}",
                 "enabled: 1", "hook: tracepoint", "count_frees: 1",
                 f"frees_audited: {s['frees_audited']}", f"violations: {s['violations']}",
                 f"reports_unique: {len(self.reports)}", f"dropped: {s['dropped']}",
                 f"kernel_checks: {s['kernel_checks']}", "rule: non-NULL mapping: 2",
                 "rule: page_pool leak: n/a"]
        (self.tmp / "dbg" / "stats").write_text("\n".join(lines) + "\n")
        (self.tmp / "dbg" / "reports.json").write_text(
            "".join(json.dumps(r) + "\n" for r in self.reports))

    def run(self, fail_logger=False):
        """One pass: (exit status, the entries it wrote as dicts)."""
        self.write()
        journal = self.tmp / "journal"
        journal.write_text("")
        env = dict(os.environ, PATH=f"{self.tmp / 'bin'}:{os.environ['PATH']}",
                   FAKE_JOURNAL=str(journal), PAGECHECK_DEBUGFS=str(self.tmp / "dbg"),
                   PAGECHECK_CRASH_DIR=str(self.tmp / "crash"),
                   PAGECHECK_BOOT_ID=str(self.tmp / "boot_id"),
                   STATE_DIRECTORY=str(self.tmp / "state"), TMPDIR=str(self.tmp))
        if fail_logger:
            env["FAKE_LOGGER_FAIL"] = "1"
        res = subprocess.run(["sh", str(EXPORTER)], env=env, capture_output=True, text=True)
        entries = []
        for block in journal.read_text().split("--\n"):
            if block.strip():
                entries.append(dict(l.split("=", 1) for l in block.splitlines()))
        return res.returncode, entries

    def prom(self):
        """The textfile as {series: value}."""
        text = (self.tmp / "state" / "pagecheck.prom").read_text()
        return dict(l.rsplit(" ", 1) for l in text.splitlines() if not l.startswith("#"))


@pytest.fixture
def box(tmp_path):
    return Box(tmp_path)


def fields_of(r):
    return {"PAGECHECK_REPORT_ID": str(r["id"]), "PAGECHECK_COUNT": str(r["count"]),
            "PAGECHECK_FINGERPRINT": r["fingerprint"],
            "PAGECHECK_RULES": ", ".join(r["reasons"]), "PAGECHECK_PFN": str(r["pfn"]),
            "PAGECHECK_CALLER": r["caller"], "MESSAGE_ID": MESSAGE_ID}


def test_every_report_becomes_one_entry_with_its_fields(box):
    box.reports = [report(1, 2, "03f1c8627be70d37"),
                   report(2, 1, "1111111111111111", ("nonzero mapcount", "non-NULL mapping"),
                          caller='g "q" [m]')]
    rc, entries = box.run()
    assert rc == 0
    assert len(entries) == 2
    for r, e in zip(box.reports, entries):
        assert fields_of(r).items() <= e.items()
        assert e["PAGECHECK_SOURCE"] == "live" and e["PAGECHECK_PREVIOUS_COUNT"] == "0"


def test_a_count_that_grew_is_one_more_entry_and_nothing_else_is(box):
    box.reports = [report(1, 2, "aa"), report(2, 1, "bb")]
    box.run()
    assert box.run()[1] == []           # a new process: the cursor is in the state
    box.reports[0]["count"] = 5
    rc, entries = box.run()
    assert [(e["PAGECHECK_REPORT_ID"], e["PAGECHECK_COUNT"], e["PAGECHECK_PREVIOUS_COUNT"])
            for e in entries] == [("1", "5", "2")]


def test_after_a_clear_only_the_new_reports(box):
    box.reports = [report(1, 2, "aa"), report(2, 1, "bb")]
    box.run()
    box.reports = [report(3, 1, "aa")]          # clear: ids go on
    rc, entries = box.run()
    assert [e["PAGECHECK_REPORT_ID"] for e in entries] == ["3"]


def test_a_reload_restarts_the_ids_and_every_report_is_new(box):
    box.reports = [report(1, 2, "aa")]
    box.run()
    box.loaded_ns = 2000                        # reloaded: id 1 again, a higher count
    box.reports = [report(1, 3, "aa")]
    rc, entries = box.run()
    assert [(e["PAGECHECK_REPORT_ID"], e["PAGECHECK_COUNT"], e["PAGECHECK_PREVIOUS_COUNT"])
            for e in entries] == [("1", "3", "0")]


def test_a_failed_journal_write_leaves_the_cursor_for_the_next_pass(box):
    box.reports = [report(1, 1, "aa")]
    rc, entries = box.run(fail_logger=True)
    assert rc != 0
    rc, entries = box.run()
    assert rc == 0 and [e["PAGECHECK_REPORT_ID"] for e in entries] == ["1"]


def test_the_textfile_has_the_module_counters_and_no_temporary_file(box):
    box.stats.update(violations=4, dropped=1, frees_audited=12345)
    box.reports = [report(1, 2, "aa"), report(2, 1, "aa"), report(3, 1, "bb", caller='x"y')]
    box.run()
    m = box.prom()
    assert m["pagecheck_up"] == "1"
    assert m["pagecheck_violations_total"] == "4"
    assert m["pagecheck_dropped_total"] == "1"
    assert m["pagecheck_frees_audited_total"] == "12345"
    assert m['pagecheck_kernel_checks_info{kernel_checks="deferred"}'] == "1"
    assert m['pagecheck_reports_total{source="live",fingerprint="aa",rules="non-NULL mapping"}'] \
        == "3"
    assert m['pagecheck_rule_violations_total{rule="non-NULL mapping"}'] == "2"
    assert not any("page_pool" in k for k in m)             # n/a: left out
    assert sorted(p.name for p in (box.tmp / "state").iterdir()) == \
        ["pagecheck.prom", "state.json"]
    assert oct((box.tmp / "state" / "pagecheck.prom").stat().st_mode & 0o777) == "0o644"


def test_without_the_module_it_says_so_and_keeps_the_cursor(box):
    box.reports = [report(1, 2, "aa")]
    box.run()
    shutil.rmtree(box.tmp / "dbg")
    env_write = box.write
    box.write = lambda: None
    rc, entries = box.run()
    assert rc == 0 and entries == [] and box.prom()["pagecheck_up"] == "0"
    box.write = env_write
    (box.tmp / "dbg").mkdir()
    assert box.run()[1] == []


DMESG = """[    0.000000] Linux version 6.12.95+deb12-amd64 (debian-kernel@lists.debian.org) #1 SMP
[   50.100000] pagecheck: panic: the 3 reports seen last, newest first, as JSON lines
[   50.200000] pagecheck: json: {"id":9,"count":1,"pfn":5,"order":0,"reasons":["nonzero _ref
[   50.300000] pagecheck: json+: count"],"caller":"x [y]","context":"task","fingerprint":"cc"}
[   50.400000] pagecheck: json: {"id":8,"count":3,"pfn":6,"order":0,"reasons":["non-NULL mapping"],"caller":"z","context":"task","fingerprint":"aa"}
[   50.500000] pagecheck: panic: end of reports
[   50.600000] Kernel panic - not syncing: pagecheck: bad page freed
"""


def test_a_crash_is_exported_once_with_its_stamp(box):
    d = box.tmp / "crash" / "202612061200"
    d.mkdir()
    (d / "dmesg.202612061200").write_text(DMESG)
    (box.tmp / "crash" / "kexec_cmd").write_text("kexec -p ...\n")
    rc, entries = box.run()
    assert rc == 0
    got = {e["PAGECHECK_REPORT_ID"]: e for e in entries}
    assert sorted(got) == ["8", "9"]
    assert got["9"]["PAGECHECK_RULES"] == "nonzero _refcount"      # json+ joined
    for e in entries:
        assert e["PAGECHECK_SOURCE"] == "crash" and e["PAGECHECK_CRASH"] == "202612061200"
        assert e["PAGECHECK_KERNEL"] == "6.12.95+deb12-amd64"
    m = box.prom()
    assert m['pagecheck_reports_total{source="crash",fingerprint="aa",rules="non-NULL mapping"}'] \
        == "3"
    assert m['pagecheck_crash_dumps_total{with_reports="yes"}'] == "1"
    assert box.run()[1] == []           # once per crash directory
    assert box.prom()['pagecheck_crash_dumps_total{with_reports="yes"}'] == "1"

