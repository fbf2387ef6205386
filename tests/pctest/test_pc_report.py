# SPDX-License-Identifier: GPL-2.0
"""Tests for tests/workload/pc-report.c, the guest's reports.json query tool.

The program is built with the host gcc into a temporary directory, once as
the guest builds it and once with ASan/UBSan and -funsigned-char (the char
signedness of arm64 and s390x) for the fuzz tests.
Run: /usr/bin/python3 -m pytest tests/pctest/test_pc_report.py
"""
import json
import os
import random
import shutil
import subprocess

import pytest

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "workload", "pc-report.c")
CFLAGS = ["-O2", "-Wall", "-Wextra", "-std=gnu11", "-Werror"]

if shutil.which("gcc") is None:
    pytest.skip("gcc is not installed", allow_module_level=True)

SAMPLE = (
    '{"id":1,"count":3,"first_ns":12345678,"last_ns":12399999,"pfn":73728,'
    '"order":0,"compound":false,"last_pfn":73728,"last_order":0,'
    '"page":"00000000d1a2b3c4","reasons":["non-NULL mapping",'
    '"nonzero mapcount"],"flags":"0x17ffffc0000000",'
    '"flags_decoded":"node=0|zone=2|lastcpupid=0x1fffff",'
    '"mapping":"0xffffffffc0a0b0c0","mapcount":0,"refcount":0,'
    '"memcg_data":"0x0","pp_magic":"0x0","cpu":1,"pid":123,"comm":"sh",'
    '"context":"task","caller":"pgc_inject_bad_free","kernel_reason":null,'
    '"folio":null,"bad_subpages":0,"stack":["pgc_inject_bad_free+0x1d/0x40 '
    '[pagecheck_inject]","pgc_run+0x2a1/0x3c0 [pagecheck_inject]",'
    '"vfs_write+0xc5/0x400"]}')


def report(**changes):
    """SAMPLE with some keys replaced (None drops the key), as one line."""
    obj = json.loads(SAMPLE)
    for key, value in changes.items():
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    return json.dumps(obj, separators=(",", ":"))


# A compound page with a bad tail, in the irq context, from pid 77.
SAMPLE2 = report(
    id=2, count=1, pfn=4096, order=9, compound=True, pid=77, comm="kworker/0:1",
    context="irq", reasons=["nonzero mapcount", "PAGE_FLAGS_CHECK_AT_FREE"],
    kernel_reason="nonzero mapcount",
    folio={"entire_mapcount": 0, "large_mapcount": -1, "nr_pages_mapped": 0,
           "pincount": 0, "mm_mapcount": [0, 0], "on_deferred_list": False},
    bad_subpages=1,
    first_bad_subpage={"index": 3, "pfn": 4099, "expected": {
        "mapcount": -1, "refcount": 0, "memcg_data": "0x0",
        "mapping": "0x400"}})
# Strings that need decoding: escapes, \u00XX from the module, a pair.
SAMPLE3 = ('{"id":3,"pid":-5,"pfn":1.5e+3,"comm":"a\\"b\\\\c\\/d",'
           '"caller":"caf\\u00e9 \\ud83d\\ude00","context":"t\\tx\\ny\\u0001",'
           '"reasons":[],"stack":[1,null,true,[2, 3],{"k" : "v\\n"}],'
           '"kernel_reason":null,"folio":{"x":{"y":"deep"}}}')


def build(out_dir, name, extra):
    exe = os.path.join(out_dir, name)
    res = subprocess.run(["gcc", *CFLAGS, *extra, "-o", exe, SRC],
                         capture_output=True, text=True)
    assert res.returncode == 0 and not res.stderr, res.stderr
    return exe


@pytest.fixture(scope="module")
def exe(tmp_path_factory):
    return build(str(tmp_path_factory.mktemp("pc-report")), "pc-report", [])


@pytest.fixture(scope="module")
def san_exe(tmp_path_factory):
    """ASan+UBSan build that aborts on any report, or None."""
    out = str(tmp_path_factory.mktemp("pc-report-san"))
    flags = ["-funsigned-char", "-fsanitize=address,undefined",
             "-fno-sanitize-recover=all", "-g"]
    probe = subprocess.run(["gcc", *flags, "-x", "c", "-o",
                            os.path.join(out, "probe"), "-"],
                           input="int main(void) { return 0; }\n",
                           capture_output=True, text=True)
    if probe.returncode:
        return None
    return build(out, "pc-report-san", flags)


def run(exe, *args, data=None):
    """Runs exe; data (str or bytes) goes to stdin. Returns rc, out, err."""
    if isinstance(data, str):
        data = data.encode()
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1")
    res = subprocess.run([exe, *args], input=data, capture_output=True,
                         timeout=60, env=env)
    return (res.returncode, res.stdout.decode("utf-8", "replace"),
            res.stderr.decode("utf-8", "replace"))


@pytest.fixture
def reports(tmp_path):
    path = tmp_path / "reports.json"
    path.write_text("\n".join([SAMPLE, SAMPLE2, "", "  \r", SAMPLE3]) + "\n")
    return str(path)


def lines_of(out):
    return out.splitlines()


# check

def test_check_good(exe, reports):
    assert run(exe, "check", reports) == (0, "lines=3 valid=3 invalid=0\n", "")


def test_check_empty(exe, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    assert run(exe, "check", str(empty)) == (0, "lines=0 valid=0 invalid=0\n",
                                             "")
    blank = tmp_path / "blank"
    blank.write_text("\n \n\t\r\n\r\n")
    assert run(exe, "check", str(blank))[:2] == (0, "lines=0 valid=0 invalid=0\n")


def test_check_crlf_and_no_final_newline(exe):
    rc, out, _ = run(exe, "check", "-", data=SAMPLE + "\r\n" + SAMPLE)
    assert (rc, out) == (0, "lines=2 valid=2 invalid=0\n")


@pytest.mark.parametrize("line,msg,col", [
    ('{"a":1', "unexpected end of line", 7),
    ('{"a":1}x', "trailing characters", 8),
    ('{"a":1}{}', "trailing characters", 8),
    ('[1,2]', "expected '{'", 1),
    ('"str"', "expected '{'", 1),
    ('{"a":tru}', "invalid literal", 6),
    ('{"a":01}', "expected ',' or '}'", 7),
    ('{"a":-}', "expected a digit", 7),
    ('{"a":1.}', "expected a digit", 8),
    ('{"a":1e}', "expected a digit", 8),
    ('{"a":.5}', "expected a value", 6),
    ('{"a":+1}', "expected a value", 6),
    ('{"a":1,}', "expected a string key", 8),
    ('{a:1}', "expected a string key", 2),
    ('{"a" 1}', "expected ':'", 6),
    ('{"a":[1 2]}', "expected ',' or ']'", 9),
    ('{"a":"\\x"}', "invalid escape", 7),
    ('{"a":"\\u12g4"}', "invalid escape", 7),
    ('{"a":"\\u\x11123"}', "invalid escape", 7),
    ('{"a":"\\u00e"}', "invalid escape", 7),
    ('{"a":"\\u00', "invalid escape", 7),
    ('{"a":"\\ud800"}', "unpaired surrogate", 7),
    ('{"a":"\\udc00\\ud800"}', "unpaired surrogate", 7),
    ('{"a":"\\ud800\\u0041"}', "unpaired surrogate", 7),
    ('{"a":"x\ty"}', "control byte 0x09", 8),
    ('{"a":"abc}', "unterminated string", 11),
    ('{"a":NaN}', "expected a value", 6),
    ('{"a":1}\x00', "trailing characters", 8),
])
def test_check_bad(exe, line, msg, col):
    rc, out, err = run(exe, "check", "-", data="\n" + SAMPLE + "\n" + line)
    assert rc == 1
    assert out == "lines=2 valid=1 invalid=1\n"
    assert err.startswith("pc-report: line 3: ")
    assert msg in err
    assert err.endswith(" at column %d\n" % col)
    assert err.count("\n") == 1


def test_check_invalid_utf8(exe):
    for raw in (b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\xff", b"\x80"):
        rc, out, err = run(exe, "check", "-", data=b'{"a":"' + raw + b'"}')
        assert rc == 1 and "invalid UTF-8" in err, raw
    rc, out, _ = run(exe, "check", "-",
                     data='{"\u00e9":"\u20ac\U0001f600"}'.encode())
    assert (rc, out) == (0, "lines=1 valid=1 invalid=0\n")


def test_check_every_json_form(exe):
    line = ('{ "s" : "\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\uD83D\\uDE00",'
            '\t"n" : [0, -0, 1, -12.5, 1e5, 1E-5, 2.5e+10, 123456789012345678901],'
            '"l" : [true, false, null], "o" : {}, "a" : [], "e" : {"" : [[]]} }')
    assert run(exe, "check", "-", data=line)[:2] == (
        0, "lines=1 valid=1 invalid=0\n")


def test_nesting_limit(exe):
    def nested(depth):
        return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)
    assert run(exe, "check", "-", data=nested(64))[0] == 0
    rc, _, err = run(exe, "check", "-", data=nested(65))
    assert rc == 1 and "nesting deeper than 64" in err
    rc, _, err = run(exe, "check", "-", data="{\"a\":" + "[" * 200000)
    assert rc == 1 and "nesting deeper than 64" in err


def test_long_line(exe, tmp_path):
    big = "x" * ((1 << 20) + 4096)
    path = tmp_path / "big.json"
    path.write_text(report(comm=big, stack=["f"] * 30000) + "\n" + SAMPLE)
    assert run(exe, "check", str(path))[:2] == (0, "lines=2 valid=2 invalid=0\n")
    rc, out, _ = run(exe, "get", str(path), "comm")
    assert rc == 0 and lines_of(out) == [big, "sh"]
    assert run(exe, "count", str(path), "stack=f")[1] == "1\n"


# count

def test_count(exe, reports):
    assert run(exe, "count", reports) == (0, "3\n", "")
    assert run(exe, "count", reports, "context=irq")[1] == "1\n"
    assert run(exe, "count", reports, "reasons=nonzero mapcount")[1] == "2\n"
    assert run(exe, "count", reports, "reasons=nonzero mapcount",
               "compound=true")[1] == "1\n"
    assert run(exe, "count", reports, "nosuchkey!=1")[1] == "0\n"


def test_count_invalid_line(exe):
    rc, out, err = run(exe, "count", "-", data=SAMPLE + "\n{bad\n" + SAMPLE)
    assert rc == 1 and out == ""
    assert err.startswith("pc-report: line 2: ")


# get

def test_get_scalars(exe, reports):
    assert run(exe, "get", reports, "pfn") == (0, "73728\n4096\n1.5e+3\n", "")
    assert lines_of(run(exe, "get", reports, "pid")[1]) == ["123", "77", "-5"]
    assert lines_of(run(exe, "get", reports, "compound")[1]) == ["false",
                                                                 "true"]
    assert lines_of(run(exe, "get", reports, "kernel_reason")[1]) == [
        "null", "nonzero mapcount", "null"]
    assert lines_of(run(exe, "get", reports, "page")[1]) == [
        "00000000d1a2b3c4"] * 2


def test_get_nested(exe, reports):
    assert run(exe, "get", reports, "first_bad_subpage.expected.mapping") == (
        0, "0x400\n", "")
    assert run(exe, "get", reports, "folio.x.y")[1] == "deep\n"
    assert run(exe, "get", reports, "folio.mm_mapcount")[1] == "0\n0\n"
    # a missing key anywhere on the path prints nothing
    for path in ("nosuch", "alloc.pid", "pid.x", "folio.nosuch.y",
                 "stack.0", "first_bad_subpage.expected.nosuch"):
        assert run(exe, "get", reports, path, "id=1")[:2] == (0, ""), path


def test_get_array_and_object(exe, reports):
    assert lines_of(run(exe, "get", reports, "stack", "id=1")[1]) == [
        "pgc_inject_bad_free+0x1d/0x40 [pagecheck_inject]",
        "pgc_run+0x2a1/0x3c0 [pagecheck_inject]", "vfs_write+0xc5/0x400"]
    assert run(exe, "get", reports, "stack", "id=3")[1] == (
        '1\nnull\ntrue\n[2,3]\n{"k":"v\\n"}\n')
    assert run(exe, "get", reports, "reasons", "id=3")[:2] == (0, "")
    assert run(exe, "get", reports, "folio")[1] == (
        'null\n{"entire_mapcount":0,"large_mapcount":-1,"nr_pages_mapped":0,'
        '"pincount":0,"mm_mapcount":[0,0],"on_deferred_list":false}\n'
        '{"x":{"y":"deep"}}\n')


def test_get_strings(exe, reports):
    assert run(exe, "get", reports, "comm", "id=3")[1] == 'a"b\\c/d\n'
    assert run(exe, "get", reports, "caller", "id=3")[1] == (
        "caf\u00e9 \U0001f600\n")
    assert run(exe, "get", reports, "context", "id=3")[1] == (
        "t\\tx\\ny\\u0001\n")


def test_get_control_chars(exe):
    # what the module prints for a comm with odd bytes
    line = '{"comm":"a\\u0000b\\u001bc\\u007fd\\u0085e\\u00a0f\\r"}'
    assert run(exe, "get", "-", "comm", data=line)[1] == (
        "a\\u0000b\\u001bc\\u007fd\\u0085e\u00a0f\\u000d\n")
    line = '{"o":{"k\\"":"a\\"\\\\\\n\\u0001/"}}'
    assert run(exe, "get", "-", "o", data=line)[1] == (
        '{"k\\"":"a\\"\\\\\\n\\u0001/"}\n')


def test_get_invalid_line(exe):
    rc, out, err = run(exe, "get", "-", "pid", data="{}\n[]\n" + SAMPLE)
    assert (rc, out) == (1, "123\n")
    assert err.startswith("pc-report: line 2: expected '{'")


# filters

@pytest.mark.parametrize("flt,ids", [
    ("pfn=73728", ["1"]),
    ("pfn=1.5e+3", ["3"]),
    ("pfn=1500", []),
    ("kernel_reason=null", ["1", "3"]),
    ("compound=true", ["2"]),
    ("comm=sh", ["1"]),
    ("comm=s", []),
    ("comm^=kwork", ["2"]),
    ("comm^=", ["1", "2", "3"]),
    ("comm*=work", ["2"]),
    ("comm*=b\\c", ["3"]),
    ("context*=\\n", ["3"]),
    ("caller=caf\u00e9 \U0001f600", ["3"]),
    ("comm!=sh", ["2", "3"]),
    ("reasons=nonzero mapcount", ["1", "2"]),
    ("reasons^=PAGE_", ["2"]),
    ("reasons*=NULL", ["1"]),
    ("reasons!=nonzero mapcount", ["3"]),
    ("stack=[2,3]", ["3"]),
    ("stack=null", ["3"]),
    ("stack*=vfs_write", ["1", "2"]),
    ("first_bad_subpage.expected.mapcount=-1", ["2"]),
    ("first_bad_subpage.expected.mapcount!=0", ["2"]),
    ("first_bad_subpage!=x", []),
    ("folio=null", ["1"]),
    ("folio!=null", []),
    ("kernel_reason!=null", ["2"]),
    ("folio.x.y=deep", ["3"]),
    ("nosuch!=1", []),
    ("id=1=1", []),
])
def test_filters(exe, reports, flt, ids):
    rc, out, err = run(exe, "get", reports, "id", flt)
    assert (rc, lines_of(out), err) == (0, ids, "")
    assert run(exe, "count", reports, flt)[1] == "%d\n" % len(ids)


def test_filter_value_with_operators(exe):
    line = '{"s":"a=b!=c^=d*=e"}'
    assert run(exe, "count", "-", "s=a=b!=c^=d*=e", data=line)[1] == "1\n"
    assert run(exe, "count", "-", "s!=a=b", data=line)[1] == "1\n"
    assert run(exe, "count", "-", "s*=!=c^", data=line)[1] == "1\n"
    assert run(exe, "count", "-", "s^=a=", data=line)[1] == "1\n"


# usage and input

@pytest.mark.parametrize("args", [
    [], ["check"], ["count"], ["bogus", "-"], ["get", "-"],
    ["check", "-", "pid=1"], ["count", "-", "pid"], ["count", "-", "=1"],
    ["count", "-", "a..b=1"], ["count", "-", ".a=1"], ["count", "-", "a.=1"],
    ["get", "-", ""], ["get", "-", "pid=1"], ["count", "/nonexistent/x"],
    ["count", "/"],
])
def test_usage_errors(exe, args):
    rc, out, err = run(exe, *args, data=SAMPLE)
    assert rc == 2 and out == ""
    assert err.startswith("pc-report: ") and "usage: pc-report" in err


def test_stdin(exe):
    data = SAMPLE + "\n" + SAMPLE2 + "\n"
    assert run(exe, "check", "-", data=data) == (
        0, "lines=2 valid=2 invalid=0\n", "")
    assert run(exe, "count", "-", "pid=77", data=data)[1] == "1\n"
    assert run(exe, "get", "-", "comm", data=data)[1] == "sh\nkworker/0:1\n"


def test_makefile_builds_it(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    res = subprocess.run(["make", "-s", "-C", os.path.dirname(SRC),
                          "O=%s" % tmp_path, "%s/pc-report" % tmp_path],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "warning" not in res.stderr, res.stderr
    assert run(str(tmp_path / "pc-report"), "count", "-", data=SAMPLE)[1] == (
        "1\n")


# reference model and fuzzing

def plain(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or 0x7f <= o <= 0x9f:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


def compact(v):
    if isinstance(v, str):
        return '"' + plain(v.replace("\\", "\\\\").replace('"', '\\"')) + '"'
    if isinstance(v, list):
        return "[" + ",".join(compact(e) for e in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(compact(k) + ":" + compact(e)
                              for k, e in v.items()) + "}"
    return json.dumps(v)


def items(obj, path):
    """What get prints for obj at path, or None if the path is missing."""
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    vals = obj if isinstance(obj, list) else [obj]
    return [plain(v) if isinstance(v, str) else compact(v) for v in vals]


def ref_match(obj, path, op, value):
    vals = items(obj, path)
    if vals is None or isinstance(obj_at(obj, path), dict):
        return False
    hit = {"=": lambda v: v == value, "!=": lambda v: v == value,
           "^=": lambda v: v.startswith(value),
           "*=": lambda v: value in v}[op]
    return any(map(hit, vals)) != (op == "!=")


def obj_at(obj, path):
    for key in path.split("."):
        obj = obj[key]
    return obj


KEYS = ["a", "b", "pid", "x\u00e9", "q\"\\"]
CHARS = "ab =!^*.\"\\/\n\t\r\x00\x01\x1f\x7f\x85\u00e9\u2028\uffff\U0001f600"


def random_value(rnd, depth):
    kind = rnd.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rnd.choice([None, True, False])
    if kind == 1:
        return rnd.choice([0, -1, 7, 2 ** 70, 0.5, -1.25e-7, 1e300])
    if kind in (2, 3, 4):
        return "".join(rnd.choice(CHARS) for _ in range(rnd.randrange(6)))
    if kind in (5, 6):
        return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return random_object(rnd, depth + 1)


def random_object(rnd, depth=0):
    return {k: random_value(rnd, depth) for k in KEYS if rnd.random() < 0.6}


def dump(rnd, obj):
    seps = rnd.choice([(",", ":"), (", ", ": "), (" ,\t", " :\r")])
    return json.dumps(obj, ensure_ascii=rnd.random() < 0.5, separators=seps)


def test_against_reference_model(exe, tmp_path):
    rnd = random.Random(1)
    objs = [random_object(rnd) for _ in range(200)]
    for obj in objs[:20]:
        obj["a"] = random_object(rnd, 1)
    path = tmp_path / "r.json"
    path.write_bytes("\n".join(dump(rnd, o) for o in objs).encode() + b"\n")
    assert run(exe, "check", str(path))[:2] == (
        0, "lines=200 valid=200 invalid=0\n")
    for key in KEYS + ["a.b", "a.pid", "a.a.a"]:
        want = [line for o in objs for line in (items(o, key) or [])]
        rc, out, err = run(exe, "get", str(path), key)
        assert (rc, err) == (0, "")
        assert out.split("\n")[:-1] == want, key
    for _ in range(40):
        key = rnd.choice(KEYS + ["a.b"])
        op = rnd.choice(["=", "!=", "^=", "*="])
        cands = [v for o in objs for v in (items(o, key) or [])]
        value = rnd.choice(cands or ["x"])
        if op in ("^=", "*="):
            start = rnd.randrange(len(value) + 1)
            value = value[start if op == "*=" else 0:rnd.randrange(
                start, len(value) + 1)]
        if "\x00" in value:
            continue
        want = sum(ref_match(o, key, op, value) for o in objs)
        assert run(exe, "count", str(path), key + op + value)[1] == (
            "%d\n" % want), key + op + value


def reject(name):
    raise ValueError(name)


def python_valid(line):
    """Whether line is one JSON object, or None when Python differs."""
    if b"\\u" in line.lower() and any(s in line.lower() for s in
                                      (b"\\ud8", b"\\ud9", b"\\uda", b"\\udb",
                                       b"\\udc", b"\\udd", b"\\ude",
                                       b"\\udf")):
        return None
    if line.count(b"[") + line.count(b"{") > 60:
        return None
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=reject)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict)


def fuzz_lines():
    rnd = random.Random(1)
    good = [SAMPLE.encode(), SAMPLE2.encode(), SAMPLE3.encode()]
    good += [dump(rnd, random_object(rnd)).encode() for _ in range(30)]
    lines = list(good)
    for _ in range(600):
        src = rnd.choice(good)
        kind = rnd.randrange(4)
        if kind == 0:
            lines.append(src[:rnd.randrange(len(src) + 1)])
        elif kind == 1:
            b = bytearray(src)
            for _ in range(rnd.randrange(1, 4)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            lines.append(bytes(b))
        elif kind == 2:
            i = rnd.randrange(len(src) + 1)
            lines.append(src[:i] + rnd.choice(
                [b"\\", b"\\u", b"\\ud83d", b'"', b"{", b"[", b"-", b"1e",
                 b"\xc3", b"\xf0\x9f", b",", b":", b"}", b"]"]) + src[i:])
        else:
            lines.append(bytes(rnd.randrange(256)
                               for _ in range(rnd.randrange(40))))
    for depth in (63, 64, 65, 100, 5000):
        lines.append(b'{"a":' + b"[" * depth + b"]" * depth + b"}")
        lines.append(b'{"a":' * depth + b"1" + b"}" * depth)
        lines.append(b"{" + b'"a":{' * depth)
    return lines


def check_output(lines, rc, out, err):
    """Each line's validity from check's output, against python_valid."""
    assert rc in (0, 1), rc
    assert all(e.startswith("pc-report: line ") for e in err.splitlines()), err
    bad = {int(e.split(":")[1].split()[1]) for e in err.splitlines()}
    nonblank = 0
    for n, line in enumerate(lines, 1):
        if not line.strip(b" \t\r"):
            assert n not in bad
            continue
        nonblank += 1
        want = python_valid(line)
        if want is not None:
            assert (n not in bad) == want, line
    assert out == "lines=%d valid=%d invalid=%d\n" % (
        nonblank, nonblank - len(bad), len(bad))


@pytest.mark.parametrize("which", ["exe", "san_exe"])
def test_fuzz(request, tmp_path, which):
    prog = request.getfixturevalue(which)
    if prog is None:
        pytest.skip("gcc cannot build with -fsanitize=address,undefined")
    lines = [l.replace(b"\n", b" ") for l in fuzz_lines()]
    path = tmp_path / "fuzz.json"
    path.write_bytes(b"\n".join(lines))
    check_output(lines, *run(prog, "check", str(path)))
    for args in (["count", str(path)], ["count", str(path), "a*=x", "b!=1"],
                 ["get", str(path), "a"], ["get", str(path), "pid", "a^="]):
        rc, _, err = run(prog, *args)
        assert rc in (0, 1) and "Sanitizer" not in err
    # lines that end without a newline, and with a NUL byte, one by one
    rnd = random.Random(1)
    for line in rnd.sample(lines, 40) + [b'{"a":1}\x00', b"\x00"]:
        rc, _, err = run(prog, "get", "-", "a", data=line)
        assert rc in (0, 1) and "Sanitizer" not in err, line


def test_valgrind(exe, tmp_path):
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    lines = fuzz_lines()[::8]
    path = tmp_path / "v.json"
    path.write_bytes(b"\n".join(l.replace(b"\n", b" ") for l in lines) +
                     b"\n" + SAMPLE3.encode())
    for args in (["check", str(path)], ["get", str(path), "stack", "pid!=1"]):
        res = subprocess.run(["valgrind", "--error-exitcode=3", "-q", exe,
                              *args], capture_output=True, timeout=120)
        assert res.returncode in (0, 1), res.stderr.decode(errors="replace")
