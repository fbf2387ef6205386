#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge what tests/guest/suite.sh collected in one VM run.

Prints one line per test: "PASS <label>: <test>", "FAIL ..." or "SKIP ...".
Exit status is 1 if anything failed.
"""
import argparse
import json
import re
import sys

REQUIRED_KEYS = ["id", "count", "first_ns", "last_ns", "pfn", "order", "reasons",
                 "flags", "mapping", "mapcount", "refcount", "memcg_data", "cpu",
                 "pid", "comm", "context", "stack"]


class Judge:
    def __init__(self, label, hook):
        self.label = label
        self.hook = hook
        self.failed = 0

    def result(self, ok, name, detail=""):
        word = "PASS" if ok else "FAIL"
        if not ok:
            self.failed += 1
        print(f"{word} {self.label}: {name}" + (f" ({detail})" if detail else ""))

    def skip(self, name, why):
        print(f"SKIP {self.label}: {name} ({why})")


def parse(text):
    sections, keys = {}, []
    current, buf = None, []
    for line in text.splitlines():
        line = line.rstrip("\r")
        if current is not None:
            if line == f"@@END {current}":
                sections[current] = "\n".join(buf)
                current, buf = None, []
            else:
                buf.append(line)
            continue
        if line.startswith("@@BEGIN "):
            current = line[len("@@BEGIN "):]
            continue
        if line.startswith("@@"):
            key, _, value = line[2:].partition(" ")
            keys.append((key, value))
    return sections, keys


def parse_json_lines(judge, name, text):
    reports = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            judge.result(False, f"{name}: line {n} is valid JSON", str(exc))
            continue
        missing = [k for k in REQUIRED_KEYS if k not in obj]
        if missing or not isinstance(obj.get("pfn"), int):
            judge.result(False, f"{name}: line {n} has every key", f"missing {missing}")
            continue
        reports.append(obj)
    return reports


def stats_of(text):
    out = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out[key] = value
    return out


def kv(value):
    out = {}
    for m in re.finditer(r"(\w+)=(.*?)(?= \w+=|$)", value):
        out[m.group(1)] = m.group(2)
    return out


def judge_ktap(j, sections):
    text = sections.get("ktap", "")
    cases = re.findall(r"^(ok|not ok) \d+ (\S+)(.*)$", text, re.M)
    if not cases:
        j.result(False, "rules: KTAP output present")
        return
    for status, name, rest in cases:
        if "# SKIP" in rest:
            j.skip(f"rules: {name}", rest.split("# SKIP", 1)[1].strip())
        else:
            j.result(status == "ok", f"rules: {name}")
    plan = re.search(r"^1\.\.(\d+)$", text, re.M)
    j.result(bool(plan) and int(plan.group(1)) == len(cases), "rules: KTAP plan matches")


def judge_injections(j, sections, keys):
    injects = [kv(v) for k, v in keys if k == "INJECT"]
    if not injects:
        j.result(False, "inject: injector ran")
        return
    for inj in injects:
        name = f"inject: {inj.get('case')}/{inj.get('context')}"
        if inj.get("status") == "skipped":
            j.skip(name, inj.get("why", "?"))
            continue
        backends = inj.get("backends", "").split(",")
        if j.hook not in backends:
            j.skip(name, f"the {j.hook} backend cannot see it by design; "
                   f"seen by {inj.get('backends')} ({inj.get('how')})")
            continue
        text = sections.get(f"reports.json {inj.get('case')} {inj.get('context')}", "")
        reports = parse_json_lines(j, name, text)
        if inj.get("status") != "done":
            j.result(False, name, f"injector status {inj.get('status')}")
            continue
        pfn = int(inj["pfn"])
        mine = [r for r in reports if r["pfn"] == pfn]
        others = [r for r in reports if r["pfn"] != pfn]
        want = set(inj["expect"].split("|"))
        problems = []
        if len(mine) != 1:
            problems.append(f"{len(mine)} reports for pfn {pfn}")
        else:
            r = mine[0]
            if set(r["reasons"]) != want:
                problems.append(f"reasons {r['reasons']} != {sorted(want)}")
            func = re.compile(re.escape(inj["func"]) + r"(\.(isra|constprop|part|cold)\.\d+)*\+")
            if not any(func.match(f) for f in r["stack"]):
                problems.append(f"{inj['func']} not in stack {r['stack'][:6]}")
            if r["context"] != inj["context"]:
                problems.append(f"context {r['context']} != {inj['context']}")
            if r["order"] != int(inj["order"]):
                problems.append(f"order {r['order']} != {inj['order']}")
        if others:
            problems.append(f"{len(others)} unrelated reports: {[o['reasons'] for o in others]}")
        j.result(not problems, name, "; ".join(problems))


def judge_dedup(j, sections, keys):
    dedups = [kv(v) for k, v in keys if k == "DEDUP"]
    reports = parse_json_lines(j, "dedup", sections.get("dedup.json", ""))
    pfns = {int(d["pfn"]) for d in dedups if "pfn" in d}
    mine = [r for r in reports if r["pfn"] in pfns]
    ok = len(dedups) == 3 and len(mine) == 1 and mine[0]["count"] == 3 \
        and mine[0]["last_ns"] >= mine[0]["first_ns"]
    j.result(ok, "dedup: three identical bad frees make one report with count 3",
             f"{len(mine)} reports, counts {[r['count'] for r in mine]}")
    st = stats_of(sections.get("dedup.stats"))
    inv = int(st.get("violations", -1)) == int(st.get("reports_count_sum", -2)) + \
        int(st.get("dropped", -3))
    j.result(inv, "accounting: violations == sum(count) + dropped", str(st.get("violations")))
    text = sections.get("reports.txt", "")
    j.result(text.startswith("=====") and "BUG: pagecheck: non-NULL mapping in pgc_inject_bad_free"
             in text, "reports: text block with a stable title")


def judge_pointers(j, sections):
    raw = parse_json_lines(j, "hash_pointers=0", sections.get("pointers.raw", ""))
    hashed = parse_json_lines(j, "hash_pointers=1", sections.get("pointers.hashed", ""))
    ok = len(raw) == 1 and len(hashed) == 1 and raw[0]["page"] != hashed[0]["page"] \
        and re.fullmatch(r"ff[0-9a-f]{14}", raw[0]["page"]) is not None \
        and re.fullmatch(r"[0-9a-f]{16}", hashed[0]["page"]) is not None
    j.result(ok, "reports: page pointer hashed unless hash_pointers=0",
             f"raw {[r['page'] for r in raw]} hashed {[r['page'] for r in hashed]}")


def judge_no_false_positives(j, sections, keys):
    k = dict(keys)
    start, end = int(k.get("FP_START", 0)), int(k.get("FP_END", 0))
    audited = end - start
    st = stats_of(sections.get("fp.stats"))
    reports = parse_json_lines(j, "no false positives", sections.get("fp.json", ""))
    j.result(audited >= 1000000, "no false positives: at least 1,000,000 frees audited",
             f"{audited} frees audited in {k.get('FP_ROUNDS')} workload rounds")
    j.result(not reports and st.get("violations") == "0",
             "no false positives: zero reports under the workload",
             f"{len(reports)} reports, violations {st.get('violations')}: "
             + "; ".join(f"{r['reasons']} in {r['stack'][:3]}" for r in reports[:3]))
    print(f"INFO {j.label}: frees audited during the workload: {audited}, "
          f"pages audited since load: {st.get('pages_audited')}")


def judge_lifecycle(j, sections, keys):
    k = dict(keys)
    cycles = k.get("CYCLES", "0/0")
    done, total = (int(x) for x in cycles.split("/"))
    j.result(done == total and total >= 20, "lifecycle: load/unload cycles under load", cycles)
    reports = parse_json_lines(j, "lifecycle", sections.get("lifecycle.json", ""))
    j.result(not reports, "lifecycle: no reports while cycling under load",
             f"{len(reports)} reports")


def judge_params(j, sections, keys):
    params = [v for k, v in keys if k == "PARAM"]
    load = [p for p in params if p.endswith("-load") or "-load " in p]
    refused_load = [p for p in params if p.startswith("refused-load ")]
    j.result(len(refused_load) == 10 and not [p for p in load if p.startswith("accepted")],
             "params: every bad insmod parameter fails the load", "; ".join(load))
    j.result(not [p for p in params if p.startswith("leftover")],
             "params: a failed load leaves no debugfs directory")
    runtime = [p for p in params if "-runtime " in p]
    j.result(len(runtime) == 7 and all(p.startswith("refused") for p in runtime)
             and not [p for p in params if p.startswith("changed")],
             "params: bad run-time writes are refused and change nothing",
             "; ".join(p for p in params if not p.startswith("refused")))
    dmesg = sections.get("dmesg", "")
    j.result("max_reports: expected an integer from 1 to 65536, got '0'" in dmesg,
             "params: the refusal says what is expected")
    m = re.search(r"off:(\d+) on:(\d+)", dict(keys).get("ENABLED", ""))
    j.result(bool(m) and int(m.group(1)) == 0 and int(m.group(2)) > 1000,
             "params: enabled=0 stops auditing and enabled=1 resumes",
             dict(keys).get("ENABLED", "missing"))


def judge_verdict(j, sections, keys):
    inj = kv(dict(keys).get("VERDICT", ""))
    reports = parse_json_lines(j, "kernel_verdict", sections.get("verdict.json", ""))
    st = stats_of(sections.get("verdict.stats"))
    pfn = int(inj.get("pfn", -1))
    mine = [r for r in reports if r["pfn"] == pfn]
    ok = inj.get("status") == "done" and len(mine) == 1 and \
        mine[0].get("kernel_reason") == "non-NULL mapping"
    j.result(ok, "kernel_verdict: the kernel's bad_page() reason is attached to the report",
             f"{[(r['reasons'], r.get('kernel_reason')) for r in mine]}")
    j.result(st.get("kernel_agree") == "1" and st.get("kernel_disagree") == "0"
             and st.get("kernel_only") == "0",
             "kernel_verdict: stats count one agreement and no disagreement",
             f"agree {st.get('kernel_agree')} disagree {st.get('kernel_disagree')} "
             f"only {st.get('kernel_only')}")
    kd = sections.get("verdict.dmesg", "")
    j.result(f"pfn:{pfn:05x}" in kd and "non-NULL mapping" in kd,
             "kernel_verdict: the kernel itself reported the same page")


def judge_dmesg(j, sections, keys):
    dmesg = sections.get("dmesg", "")
    bad = [l for l in dmesg.splitlines()
           if re.search(r"WARNING:|Oops|BUG: (?!pagecheck)|Bad page state|"
                        r"general protection|Call Trace|RIP:", l)]
    j.result(bool(dmesg) and not bad, "dmesg: no oops, warning or kernel bad-page report",
             "; ".join(bad[:5]))
    j.result("BUG: pagecheck:" in dmesg, "dmesg: rate-limited report lines printed")
    errors = [v for k, v in keys if k == "ERROR"]
    j.result(not errors, "guest: every command succeeded", "; ".join(errors[:5]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--hook", default="tracepoint")
    ap.add_argument("guest_out")
    args = ap.parse_args()
    j = Judge(args.label, args.hook)
    with open(args.guest_out, errors="replace") as f:
        sections, keys = parse(f.read())
    judge_ktap(j, sections)
    judge_injections(j, sections, keys)
    judge_dedup(j, sections, keys)
    judge_pointers(j, sections)
    judge_no_false_positives(j, sections, keys)
    judge_lifecycle(j, sections, keys)
    judge_params(j, sections, keys)
    judge_verdict(j, sections, keys)
    judge_dmesg(j, sections, keys)
    return 1 if j.failed else 0


if __name__ == "__main__":
    sys.exit(main())
