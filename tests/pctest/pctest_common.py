# SPDX-License-Identifier: GPL-2.0
"""What every pctest module shares: paths, progress, verdict lines, and
running commands so that an interrupt never leaves a child behind."""
import enum
import fcntl
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
# Where a job writes its verdict lines besides stdout (set by the job pool).
RESULTS_ENV = "PCTEST_RESULTS"


class Error(Exception):
    """A step failed; the message says what and where to look."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum, _frame):
    raise Interrupted(signum)


def catch_signals():
    """Turn SIGINT, SIGTERM and SIGHUP into Interrupted."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupted)


def cache():
    """The per-user cache (PAGECHECK_CACHE, default ~/.cache/pagecheck)."""
    path = os.environ.get("PAGECHECK_CACHE")
    if not path:
        path = os.path.join(os.environ.get("HOME") or "/root", ".cache", "pagecheck")
    return Path(path)


def records_dir():
    """Where runs write their records (make record copies them into docs/)."""
    return cache() / "records"


def offline():
    return os.environ.get("PAGECHECK_OFFLINE", "0") == "1"


_PROG = "pctest"


def set_prog(name):
    global _PROG
    _PROG = name


def log(msg):
    """Progress, to stderr."""
    print(f"{_PROG}: {msg}", file=sys.stderr, flush=True)


def warn(msg):
    print(f"{_PROG}: warning: {msg}", file=sys.stderr, flush=True)


class Status(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    INFO = "INFO"           # a figure or a time: shown, never counted

    @classmethod
    def of(cls, ok):
        """PASS if ok, else FAIL."""
        return cls.PASS if ok else cls.FAIL


_LINE = re.compile(r"^(CANARY-)?(PASS|FAIL|SKIP|INFO) ([^:]*): (.*)$")


@dataclass(frozen=True)
class Verdict:
    """One result, printed as "STATUS where: name (detail)". where is a
    kernel and boot ("6.1/check") or a step ("bench 6.1", "host"). A
    canary's verdicts are shown as CANARY-PASS etc. and never counted."""
    status: Status
    where: str
    name: str
    detail: str = ""
    canary: bool = False

    def __str__(self):
        status = self.status.value
        if self.canary and self.status is not Status.INFO:
            status = "CANARY-" + status
        return f"{status} {self.where}: {self.name}" + (f" ({self.detail})" if self.detail else "")

    @property
    def counted(self):
        return self.status is not Status.INFO and not self.canary

    @classmethod
    def parse(cls, line):
        """The Verdict a line shows (its detail is part of its name), or
        None if the line is no verdict."""
        m = _LINE.match(line)
        if not m:
            return None
        return cls(Status(m.group(2)), m.group(3), m.group(4), canary=bool(m.group(1)))


def pass_or_fail(ok, where, name, detail=""):
    """PASS if ok, else FAIL with detail."""
    return Verdict(Status.of(ok), where, name, "" if ok else detail)


def failed(verdicts):
    return any(v.status is Status.FAIL for v in verdicts)


def verdict(v):
    """Show a Verdict: stdout, and the job's results file."""
    print(v, flush=True)
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a") as f:
            f.write(f"{v}\n")


def tail(path, n=30, indent="    "):
    """The last n lines of a log file, indented, for an error message."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return ""
    return "\n".join(indent + line for line in lines)


def _send(proc, sig):
    """sig to proc's process group if it leads one, else to proc alone."""
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass


def stop(proc, grace=10):
    """Terminate a child (its process group if it leads one), then kill it."""
    if proc.poll() is not None:
        return
    _send(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _send(proc, signal.SIGKILL)
        proc.wait()


def run(cmd, log_path=None, cwd=None, env=None, check=True, timeout=None,
        stdout=None, append=False):
    """Run cmd with stdin closed. Output goes to log_path (or stdout=...),
    else it is captured. Returns the CompletedProcess. With check, a
    non-zero exit raises Error naming the command and its log. Whatever
    interrupts the wait stops the child first."""
    if log_path is not None:
        out = open(log_path, "a" if append else "w")
        err = subprocess.STDOUT
    elif stdout is not None:
        out, err = stdout, None
    else:
        out = err = subprocess.PIPE
    try:
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                text=True, errors="replace")
        try:
            output, errput = proc.communicate(timeout=timeout)
        except BaseException:
            stop(proc)
            raise
    finally:
        if log_path is not None:
            out.close()
    result = subprocess.CompletedProcess(proc.args, proc.returncode, output, errput)
    if check and proc.returncode != 0:
        where = f" (log: {log_path})" if log_path else ""
        detail = ""
        if log_path:
            detail = "\n" + tail(log_path, 20)
        elif errput:
            detail = "\n" + "\n".join("    " + l for l in errput.strip().splitlines()[-20:])
        raise Error(f"{' '.join(str(c) for c in cmd[:4])}{' ...' if len(cmd) > 4 else ''} "
                    f"exited with status {proc.returncode}{where}{detail}")
    return result


class Stopwatch:
    def __init__(self):
        self.t0 = time.monotonic()

    def seconds(self):
        return time.monotonic() - self.t0


class Lock:
    """flock(2) on a file, as the bash harness took it, so that both share
    it: exclusive or shared; says so on stderr when it has to wait."""

    def __init__(self, path, waiting_for, shared=False):
        self.path = Path(path)
        self.waiting_for = waiting_for
        self.shared = shared
        self.fd = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        self._flock(self.shared)
        return self

    def relock(self, shared):
        """Switch between shared and exclusive (waits like entering)."""
        self._flock(shared)
        self.shared = shared

    def _flock(self, shared):
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(self.fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for {self.waiting_for}")
            fcntl.flock(self.fd, mode)

    def __exit__(self, *exc):
        os.close(self.fd)
        self.fd = None


def read_text(path):
    """A file's text, None if it cannot be read."""
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return None


def age_seconds(path):
    """Seconds since path was modified; huge if it does not exist."""
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 999999999


def utc_stamp():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
