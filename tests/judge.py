#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge what tests/guest/suite.sh collected in one VM run.

Prints one line per test: "PASS <label>: <test>", "FAIL ..." or "SKIP ...".
Exit status is 1 if anything failed.
"""
import argparse
import json
import os
import re
import sys

# Minimum loads; check-debug lowers them for the slower debug kernel.
MIN = {"fp": 1000000, "flood": 1000000, "cycles": 200}

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
    j.result(audited >= MIN["fp"], f"no false positives: at least {MIN['fp']:,} frees audited",
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
    j.result("max_reports: expected a decimal integer from 1 to 65536, got '0'" in dmesg,
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


SPLAT = re.compile(r"WARNING:|Oops|BUG: (?!pagecheck|Bad page state)|"
                   r"general protection|RIP: 0010|soft lockup|rcu.*stall|"
                   r"KASAN|UBSAN|possible circular|lockdep is turned off|sleeping function")


def judge_dmesg_clean(j, sections, keys, console=""):
    """No oops or warning; the kernel's own bad-page reports are expected.
    The serial console is read too: the guest's log buffer can wrap."""
    dmesg = sections.get("dmesg", "")
    bad = [l for l in (dmesg + "\n" + console).splitlines() if SPLAT.search(l)]
    j.result(bool(dmesg) and not bad, "dmesg: no oops, warning, lockup or sanitizer report",
             f"{len(console.splitlines())} console lines read too; " + "; ".join(bad[:5]))
    errors = [v for k, v in keys if k == "ERROR"]
    j.result(not errors, "guest: every command succeeded", "; ".join(errors[:5]))


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

def invariant(st):
    """violations == sum(count) + dropped, from one stats snapshot."""
    try:
        v, c, d = (int(st[k]) for k in ("violations", "reports_count_sum", "dropped"))
    except (KeyError, ValueError):
        return False, "stats missing"
    return v == c + d, f"violations {v} = count sum {c} + dropped {d}"


def meminfo(value):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", value)}


def judge_flood(j, sections, keys):
    k = dict(keys)
    flood = kv(k.get("FLOOD", ""))
    st = stats_of(sections.get("flood.stats"))
    injected = int(flood.get("ops", 0))
    ok, detail = invariant(st)
    j.result(ok and injected >= MIN["flood"] and int(st.get("violations", -1)) == injected,
             "flood: every one of the injected violations is counted, stored or dropped",
             f"injected {injected}; {detail}")
    j.result(int(st.get("reports_unique", 0)) == int(st.get("max_reports", -1)) and
             int(st.get("dropped_store_full", 0)) > 0,
             "flood: distinct stacks fill the store, the rest are counted as dropped",
             f"unique {st.get('reports_unique')} dropped_store_full {st.get('dropped_store_full')}")
    before, after = int(k.get("FROZEN_BEFORE", 0)), int(k.get("FROZEN_AFTER", 0))
    j.result(after - before >= injected, "flood: frees audited grows monotonically",
             f"{before} -> {after}")
    m0, m1 = meminfo(k.get("MEM", "")), {}
    mems = [v for key, v in keys if key == "MEM"]
    if len(mems) == 2:
        m0, m1 = meminfo(mems[0]), meminfo(mems[1])
    fps = [v for key, v in keys if key == "FOOTPRINT"]
    grow_vmalloc = m1.get("VmallocUsed", 1 << 30) - m0.get("VmallocUsed", 0)
    grow_slab = m1.get("Slab", 1 << 30) - m0.get("Slab", 0)
    grow_percpu = m1.get("Percpu", 1 << 30) - m0.get("Percpu", 0)
    j.result(len(fps) == 2 and fps[0].split()[-1] == fps[1].split()[-1] and
             grow_vmalloc <= 512 and grow_slab <= 4096 and grow_percpu <= 0,
             "flood: memory stays at the fixed footprint",
             f"footprint {[f.split()[-1] for f in fps]} bytes; growth kB: vmalloc "
             f"{grow_vmalloc}, slab {grow_slab}, percpu {grow_percpu}")
    seconds = float(flood.get("seconds", 0) or 0)
    lines = int(k.get("PRINTK_LINES", -1))
    limit = 10 * (int(seconds / 5) + 2)
    dm = sections.get("flood.dmesg", "")
    j.result(0 < lines <= limit and re.search(r"report store full .* (\d+) report lines suppressed", dm),
             "flood: printk stays rate-limited and says how much it suppressed",
             f"{lines} report lines in {seconds:.1f} s (limit {limit})")
    bad = [l for l in dm.splitlines() if re.search(r"soft lockup|rcu.*stall|hung task|WARNING:|BUG: (?!pagecheck)", l)]
    alive = [v for key, v in keys if key == "ALIVE"]
    gap = re.search(r"ticks=(\d+) max_gap_s=([\d.]+)", alive[0] if alive else "")
    j.result(not bad and gap and int(gap.group(1)) >= 2 and float(gap.group(2)) <= 10 and
             len(alive) == 2 and alive[1].endswith("ok"),
             "flood: no lockup or stall, and a shell answers during and after",
             "; ".join(bad[:3]) or (alive[0] if alive else "no probe"))


def judge_contexts(j, sections, keys):
    inj = [kv(v) for k, v in keys if k == "CTXINJECT"]
    done = [i for i in inj if i.get("status") == "done"]
    ctxs = sorted({i.get("context") for i in done})
    reports = parse_json_lines(j, "contexts", sections.get("contexts.json", ""))
    seen = set()
    for r in reports:
        seen.add(r["pfn"])
        seen.add(r.get("last_pfn", r["pfn"]))
    missing = [f"{i['case']}/{i['context']}" for i in done if int(i["pfn"]) not in seen]
    # dedup keeps the first and the latest pfn of a report: a case whose
    # (reasons, stack) repeats in between is counted in that report.
    counts = sum(r["count"] for r in reports)
    ok, detail = invariant(stats_of(sections.get("contexts.stats")))
    j.result(ctxs == ["hardirq", "locked", "softirq", "task"] and len(done) >= 60 and ok and
             counts >= len(done),
             "contexts: bad frees in task, softirq, hardirq and under a spinlock, during a flood",
             f"{len(done)} injections in {ctxs}; {detail}")
    readers = [kv(v) for k, v in keys if k == "READER"]
    torn = sum(int(r.get("torn", 1)) for r in readers)
    reads = sum(int(r.get("reads", 0)) for r in readers)
    j.result(len(readers) >= 2 and torn == 0 and reads > 10 and
             not [s for s in sections if s.startswith("torn ")],
             "contexts: concurrent readers never see a torn JSON line",
             f"{reads} reads, {torn} torn lines")


def judge_unload(j, sections, keys):
    u = kv(dict(keys).get("UNLOAD", ""))
    cycles = u.get("cycles", "0/0")
    done, total = (int(x) for x in cycles.split("/"))
    errors = [v for k, v in keys if k == "UNLOAD" and v.startswith("rmmod-error")]
    j.result(done == total and total >= MIN["cycles"] and u.get("half_loaded") == "0" and not errors,
             "unload under fire: load/unload cycles with flood, workload and readers",
             f"{cycles} cycles, {u.get('busy_retries')} rmmod refused while a file was open, "
             f"half-loaded {u.get('half_loaded')}")
    h = kv(dict(keys).get("HOLDER", ""))
    j.result(int(h.get("opened", 0)) > 0 and h.get("read_errors") == "0",
             "unload under fire: a reader holding a file open reads to a clean end",
             f"opened {h.get('opened')}, read errors {h.get('read_errors')}")
    ok, detail = invariant(stats_of(sections.get("unload.stats")))
    j.result(ok, "unload under fire: the accounting invariant holds after the last load", detail)


def judge_hostile(j, sections, keys):
    k = dict(keys)
    fuzz = sections.get("fuzz", "")
    m = re.search(r"FUZZ-SUMMARY writes=(\d+) refused=(\d+) accepted=(\d+) failures=(\d+)", fuzz)
    fails = [l for l in fuzz.splitlines() if l.startswith("FUZZ-FAIL")]
    j.result(bool(m) and int(m.group(1)) >= 10000 and m.group(4) == "0" and
             k.get("FUZZ") == "rc=0",
             "hostile input: every bad parameter value is refused with EINVAL and changes nothing",
             (m.group(0) if m else "no summary") + ("; " + "; ".join(fails[:3]) if fails else ""))
    st = kv(k.get("FUZZ_STATE", "").replace("'", ""))
    j.result(st.get("before") == st.get("after") and st.get("before"),
             "hostile input: parameters end as they started", k.get("FUZZ_STATE", ""))
    nonroot = [v for key, v in keys if key == "NONROOT"]
    j.result(len(nonroot) == 6 and all(" " in v and v.split()[0] in ("refused", "write-refused")
                                       for v in nonroot),
             "hostile input: an unprivileged user can neither read reports nor write controls",
             "; ".join(nonroot))
    modes = sections.get("modes", "")
    files = [l for l in modes.splitlines() if l[:1] == "-"]
    j.result(files and all(l.startswith("-r--------") and " 0 " in l for l in files),
             "hostile input: every debugfs file is 0400 root", "; ".join(l.split()[0] for l in files))


def judge_differential(j, sections, keys):
    skip = dict(keys).get("DIFF", "")
    if skip.startswith("skip="):
        j.skip("differential: pagecheck's reasons include bad_page()'s", skip[5:])
        return
    inj = [kv(v) for k, v in keys if k == "DIFF"]
    st = stats_of(sections.get("diff.stats"))
    reports = parse_json_lines(j, "differential", sections.get("diff.json", ""))
    kernel = [r for r in reports if r.get("kernel_reason")]
    wrong = [(r["reasons"], r["kernel_reason"]) for r in kernel
             if r["kernel_reason"] not in r["reasons"]]
    dm = sections.get("diff.dmesg", "")
    rejected = len(re.findall(r"Bad page state", dm))
    j.result(len(inj) >= 15 and int(st.get("kernel_verdicts", 0)) >= 15 and
             st.get("kernel_only") == "0" and st.get("kernel_disagree") == "0" and not wrong,
             "differential: every page bad_page() rejects, pagecheck reported with the kernel's reason",
             f"{len(inj)} bad frees left to the kernel, {st.get('kernel_verdicts')} bad_page() calls "
             f"({rejected} printed), agree {st.get('kernel_agree')}, disagree "
             f"{st.get('kernel_disagree')}, kernel only {st.get('kernel_only')}"
             + (f"; {wrong[:3]}" if wrong else ""))


def judge_lockdown_runtime(j, sections, keys):
    lk = [v for k, v in keys if k == "LOCKRT"]
    if lk and lk[0].startswith("skip="):
        j.skip("lockdown at run time", lk[0][5:])
        return
    text = " | ".join(lk)
    j.result("[confidentiality]" in text and re.search(r"audited_after_lockdown=[1-9]", text) and
             "read=ok reports=1" in text and "rmmod=ok" in text,
             "lockdown raised at run time: pagecheck keeps auditing, reports stay readable, unload works",
             text[:300])
    reloads = [v for v in lk if v.startswith("hook=")]
    # the kernel rate-limits its own "Lockdown: insmod: ..." line
    j.result(len(reloads) == 3 and all(("refused" in v or "loaded" in v) and "leftover=[]" in v
                                       for v in reloads) and
             all("refused" not in v or "Operation not permitted" in v for v in reloads) and
             any("Lockdown" in v for v in reloads),
             "lockdown raised at run time: a reload works or is refused with the reason, never half-loaded",
             "; ".join(v[:120] for v in reloads))


def judge_lockdown_boot(j, sections, keys):
    lk = [v for k, v in keys if k == "LOCKBOOT"]
    level = lk[0] if lk else ""
    j.result("[integrity]" in level or "[confidentiality]" in level,
             "lockdown boot: the kernel is locked down", level)
    loads = [v for v in lk if v.startswith("hook=")]
    j.result(len(loads) == 3 and all("leftover=[]" in v for v in loads) and
             all(("loaded" in v and "stats=readable" in v) or "refused" in v for v in loads) and
             all("refused" not in v or re.search(r"Lockdown|lockdown|pagecheck", v) or
                 "Operation not permitted" in v for v in loads) and
             any(re.search(r"Lockdown|lockdown|pagecheck", v) for v in loads),
             "lockdown boot: each backend loads and works, or is refused with the reason and leaves nothing",
             "; ".join(v[:160] for v in loads))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--hook", default="tracepoint")
    ap.add_argument("--mode", default="check", choices=["check", "reliability", "lockdown"])
    ap.add_argument("--min-fp", type=int, default=MIN["fp"])
    ap.add_argument("--min-flood", type=int, default=MIN["flood"])
    ap.add_argument("--min-cycles", type=int, default=MIN["cycles"])
    ap.add_argument("guest_out")
    args = ap.parse_args()
    j = Judge(args.label, args.hook)
    MIN.update(fp=args.min_fp, flood=args.min_flood, cycles=args.min_cycles)
    with open(args.guest_out, errors="replace") as f:
        sections, keys = parse(f.read())
    if args.mode == "reliability":
        for judge in (judge_flood, judge_contexts, judge_unload, judge_hostile,
                      judge_differential):
            judge(j, sections, keys)
        judge_lockdown_runtime(j, sections, keys)
        console = os.path.join(os.path.dirname(args.guest_out), "console.log")
        text = ""
        if os.path.exists(console):
            with open(console, errors="replace") as f:
                text = f.read()
        judge_dmesg_clean(j, sections, keys, text)
        phases = " ".join(v.replace(" seconds=", "=") + "s"
                          for k, v in keys if k == "PHASE")
        print(f"INFO {j.label}: phase times {phases or 'not recorded'}")
        return 1 if j.failed else 0
    if args.mode == "lockdown":
        judge_lockdown_boot(j, sections, keys)
        return 1 if j.failed else 0
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
