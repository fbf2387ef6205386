# SPDX-License-Identifier: GPL-2.0
"""The job pool and the summary.

Every job (a kernel label, the benchmark, the canary, the DKMS test) is a
command of its own, in a process group and session of its own, JOBS at a
time. Its whole output goes to runs/check-<job>.log; its verdict lines go
to a results file too (PCTEST_RESULTS), printed when the job ends. On
SIGINT, SIGTERM or SIGHUP every running job's process group is stopped
(TERM, then KILL), so no QEMU or compiler outlives the run.
"""
import dataclasses
import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pctest_common import RESULTS_ENV, Interrupted, Status, Verdict, log

COUNTED = (Status.PASS, Status.FAIL, Status.SKIP)


@dataclass
class Job:
    name: str
    argv: list
    counted: bool = True    # a canary's results are reported, never counted


@dataclass
class _Running:
    job: Job
    proc: subprocess.Popen
    results: Path
    log: Path
    t0: float


def count(verdicts):
    """(passed, failed, skipped) among the counted verdicts."""
    return tuple(sum(1 for v in verdicts if v.counted and v.status is s) for s in COUNTED)


def summary(verdicts):
    """The closing line and the exit status: non-zero on any failure, or
    when nothing passed."""
    passed, failed, skipped = count(verdicts)
    return f"{passed} passed, {failed} failed, {skipped} skipped", \
        0 if failed == 0 and passed > 0 else 1


def job_verdicts(name, results_text, rc, log_path):
    """The Verdicts a finished job contributes: what it reported, plus a
    FAIL for a line that is no verdict, and one if it reported no PASS,
    FAIL or SKIP at all or exited non-zero without a FAIL."""
    verdicts = []
    for line in filter(str.strip, results_text.splitlines()):
        v = Verdict.parse(line)
        verdicts.append(v or Verdict(Status.FAIL, name, "a result line that is no verdict", line))
    if not any(v.status in COUNTED for v in verdicts):
        verdicts.append(Verdict(Status.FAIL, name, "job produced no result",
                                f"exit status {rc}; log: {log_path}"))
    elif rc != 0 and not any(v.status is Status.FAIL for v in verdicts):
        verdicts.append(Verdict(Status.FAIL, name, f"job exited with status {rc}",
                                f"log: {log_path}"))
    return verdicts


class Pool:
    def __init__(self, jobs_max, log_dir, poll=0.2, grace=15):
        if jobs_max < 1:
            raise ValueError("JOBS must be a positive integer")
        self.jobs_max = jobs_max
        self.log_dir = Path(log_dir)
        self.poll = poll
        self.grace = grace
        self.running = []

    def run(self, jobs, emit=print):
        """Run every job; emit each Verdict as jobs end. Returns the counted
        ones (a canary's are emitted as such and not returned)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        counted = []
        pending = list(jobs)
        with tempfile.TemporaryDirectory(prefix="pctest-jobs.") as tmp:
            try:
                while pending or self.running:
                    while pending and len(self.running) < self.jobs_max:
                        self._start(pending.pop(0), Path(tmp), emit)
                    for r in [r for r in self.running if r.proc.poll() is not None]:
                        self.running.remove(r)
                        counted += self._finish(r, emit)
                    time.sleep(self.poll)
            except Interrupted as e:
                n = self.stop_all()
                log(f"interrupted by {e}: stopped {n} running job(s)")
                raise
        return counted

    def _start(self, job, tmp, emit):
        results = tmp / f"{job.name}.results"
        results.touch()
        logp = self.log_dir / f"check-{job.name}.log"
        with open(logp, "w") as logf:
            proc = subprocess.Popen([str(a) for a in job.argv], stdin=subprocess.DEVNULL,
                                    stdout=logf, stderr=subprocess.STDOUT,
                                    start_new_session=True,
                                    env=dict(os.environ, **{RESULTS_ENV: str(results)}))
        self.running.append(_Running(job, proc, results, logp, time.monotonic()))
        emit(Verdict(Status.INFO, job.name, "started"))

    def _finish(self, r, emit):
        verdicts = job_verdicts(r.job.name, r.results.read_text(errors="replace"),
                                r.proc.returncode, r.log)
        took = Verdict(Status.INFO, r.job.name,
                       f"job finished in {time.monotonic() - r.t0:.0f} s", f"log: {r.log}")
        if not r.job.counted:
            for v in verdicts:
                emit(dataclasses.replace(v, canary=True))
            passed, failed, _ = count(verdicts)
            emit(Verdict(Status.INFO, r.job.name, f"{passed} passed, {failed} failed",
                         "not counted"))
            emit(took)
            return []
        for v in verdicts:
            emit(v)
        emit(took)
        return verdicts

    def stop_all(self):
        """TERM every running job's process group, wait, then KILL what is
        left. Further signals are ignored meanwhile."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stopped = len(self.running)
        for r in self.running:
            _killpg(r.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for r in self.running:
            try:
                r.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        # The leader may be gone while others of its group (QEMU) are not.
        for r in self.running:
            _killpg(r.proc.pid, signal.SIGKILL)
            r.proc.wait()
        self.running = []
        return stopped


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_JOB_TIME = re.compile(r"^job finished in (\d+) s\b")


def _job_of(v):
    """The job a Verdict belongs to: "6.1/check" -> "6.1", "bench 6.1" -> "bench"."""
    return re.match(r"[^\s/]*", v.where).group(0)


def _job_time(times, group):
    """The seconds of a verdict group's job: its namesake, or the sum of
    its per-boot jobs ("debug-check" for the verdicts of "debug/check")."""
    if group in times:
        return times[group]
    parts = [t for name, t in times.items() if name.startswith(group + "-")]
    return sum(parts) if parts else ""


def record(title, command, verdicts, seconds, commit, when):
    """A Markdown record of one run: its summary, each job's counts and
    time, the figures the guests measured, and every failure."""
    text, _ = summary(verdicts)
    jobs, times = {}, {}
    for v in verdicts:
        m = _JOB_TIME.match(v.name) if v.status is Status.INFO else None
        if m:
            times[v.where] = int(m.group(1))
        if v.counted:
            jobs.setdefault(_job_of(v), [0, 0, 0])[COUNTED.index(v.status)] += 1
    out = ["<!-- SPDX-License-Identifier: GPL-2.0 -->", f"# {title}", "",
           f"Written by `{command}` on {when}, commit {commit}, and copied here by "
           "`make record`: do not edit.", "",
           f"Result: **{text}** in {seconds / 60:.1f} min.", "",
           "| job | passed | failed | skipped | time (s) |", "|---|---:|---:|---:|---:|"]
    out += [f"| {j} | {p} | {f} | {s} | {_job_time(times, j)} |"
            for j, (p, f, s) in jobs.items()]
    figs = [(v.where, v.name[len("figure: "):]) for v in verdicts
            if v.status is Status.INFO and v.name.startswith("figure: ")]
    if figs:
        out += ["", "## Figures measured in the guests", "",
                "| where | figure |", "|---|---|"]
        out += [f"| {w} | {t.replace('|', '/')} |" for w, t in figs]
    failed = [v for v in verdicts if v.counted and v.status is Status.FAIL]
    if failed:
        out += ["", "## Failures", ""] + [f"- `{v}`" for v in failed]
    return "\n".join(out) + "\n"
