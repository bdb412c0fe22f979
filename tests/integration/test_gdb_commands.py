# SPDX-License-Identifier: MIT
"""The GDB extension's commands (gdbext/pyxray-gdb.py) against live targets.

Per interpreter variant (every one present): one `gdb -batch -nx -x EXT -p
PID` session against threads_target.py runs every command; the results are
compared with what `pyxray dump` prints for the same process (same C
formatter), with the stacks support.expected_stacks computes, and with the
source files. After the session the target must be running, untraced and
answering.

On a representative subset (gdb_support.SUBSET, distribution pythons,
3.14+ extras): gdb_target.py, whose `values` thread sits in a frame with
locals and globals of every decoded type, attached (`-p`) or run by gdb
(`--args`, stopped by its own SIGINT or by `break getppid`); python-gdb.py
auto-loaded next to ours; several inferiors in one session.

Bad input (no process, an inferior without Python, bad options) must end in
a one-line error, never a Python traceback.
"""
import json
import os
import re
import subprocess
import time

import pytest

import gdb_support
import support
import test_dump
from gdb_support import Session, out_or_error, text_lines, without_gil


# ------------------------------------------------------------ threads_target

THREAD_NAMES = ("MainThread", "worker-1", "worker-2", "gen-worker", "spinner")
BAD_OPTIONS = ("py-bt-all --bogus", "py-bt-all --json --nope",
               "pyxray bt-all --bogus")


@pytest.fixture(scope="module")
def bt(target, workdir):
    """One gdb session against threads_target.py running every command."""
    rep = target.report["threads"]
    s = Session()
    s.cmd("help", "help py-bt-all")
    s.cmd("help-prefix", "help pyxray")
    s.cmd("bt-default", "py-bt")  # gdb -p selects the main thread
    s.cmd("bt-all", "py-bt-all")
    s.cmd("bt-all-json", "py-bt-all --json")
    s.cmd("bt-all-group", "py-bt-all --group")
    s.cmd("bt-all-locals", "py-bt-all --locals")
    s.cmd("pyxray-bt-all", "pyxray bt-all")
    s.cmd("ps", "py-ps")
    s.cmd("pyxray-ps", "pyxray ps")
    s.cmd("apply-all", "thread apply all py-bt")
    for name in THREAD_NAMES + ("subinterp",):
        if name not in rep:
            continue
        s.lwp("lwp " + name, rep[name]["tid"])
        s.cmd("bt " + name, "py-bt")
        s.cmd("pyxray-bt " + name, "pyxray bt")
    # Navigation on worker-2: inner <- descend x4 <- worker_two <- boot.
    s.lwp("lwp nav", rep["worker-2"]["tid"])
    s.cmd("list 0", "py-list")
    s.cmd("locals 0", "py-locals")
    s.cmd("print fd", "py-print fd")
    s.cmd("print global", "py-print descend")
    s.cmd("print builtin", "py-print len")
    s.cmd("print missing", "py-print no_such_name_xyz")
    s.cmd("down at 0", "py-down")
    s.cmd("up 1", "py-up")
    s.cmd("list 1", "py-list")
    s.cmd("locals 1", "py-locals")
    s.cmd("print n 1", "py-print n")
    s.cmd("up 2", "py-up")
    s.cmd("locals 2", "py-locals")
    s.cmd("down 1", "py-down")
    s.cmd("down 0", "py-down")
    for i in range(1, 9):
        s.cmd("climb %d" % i, "py-up")
    s.cmd("up at top", "py-up")
    s.cmd("up 10 at top", "py-up 10")
    s.cmd("down 20", "py-down 20")    # from #8: to #0, 8 of 20
    s.cmd("up 3", "py-up 3")
    s.cmd("up 10", "py-up 10")        # from #3: to #8, 5 of 10
    s.cmd("complete top", "complete py-print s")
    s.cmd("down 7", "py-down 7")      # #1: descend(n, leaf)
    s.cmd("complete n", "complete py-print n")
    s.cmd("complete l", "complete py-print l")
    s.cmd("complete none", "complete py-print zz")
    s.cmd("complete second", "complete py-print n l")
    # The same through the prefix command, on worker-1.
    s.lwp("lwp prefix", rep["worker-1"]["tid"])
    s.cmd("bt-full", "py-bt-full")
    s.cmd("pyxray bt-full", "pyxray bt-full")
    s.cmd("pyxray list", "pyxray list")
    s.cmd("pyxray locals", "pyxray locals")
    s.cmd("pyxray print", "pyxray print fd")
    s.cmd("pyxray up", "pyxray up")
    s.cmd("pyxray down", "pyxray down")
    for i, bad in enumerate(BAD_OPTIONS):
        s.cmd("bad %d" % i, bad)
    s.cmd("print no name", "py-print")
    s.execute(["-p", str(target.pid)], workdir)
    return s


def worker2_frames(target):
    return support.expected_stacks(target)["main"]["worker-2"]


def frame_line(index, f):
    return "#%d %s (%s:%d)" % (index, f["qualname"], f["file"], f["line"])


def check_moved(out, index, f):
    """py-up/py-down output: "#N qualname (file:line)", optionally followed
    by the frame's stripped source line (as python-gdb.py does)."""
    lines = text_lines(out)
    assert lines[0] == frame_line(index, f), (index, out)
    if len(lines) > 1:
        src = gdb_support.source_line(f["file"], f["line"]) \
            if os.path.exists(f["file"]) else None
        assert lines[1:] == ["    " + src] if src else lines[1:] == [], \
            (index, out)


THREAD_HEADER = re.compile(r'^Thread (\d+|0x[0-9a-f]+)( "[^"]*")?'
                           r'( \(holds the GIL\))?$')


def bt_lines(out):
    """py-bt's lines; a leading "Thread <tid> "<name>"" line, which
    python-gdb.py's layout does not have, is dropped here and flagged by
    test_bt_layout."""
    lines = text_lines(out)
    if lines and THREAD_HEADER.match(lines[0]):
        lines = lines[1:]
    return lines


def not_found(step, name):
    """py-print's answer for an unbound name (error or output), checked
    for content; test_print_unknown_is_error checks it is an error."""
    text = step.get("error", "") + step.get("out", "")
    assert "'%s' not found" % name in text, step


def test_help(bt):
    out = bt.out("help")
    lines = [l for l in out.splitlines() if l.strip()]
    assert lines and "Usage:" not in lines[0], out
    assert "Usage:" in out and "py-bt-all" in out.split("Usage:", 1)[1], out
    for opt in ("--json", "--group", "--locals"):
        assert opt in out, (opt, out)
    prefix = bt.out("help-prefix")
    for sub in ("bt-all", "bt", "bt-full", "list", "up", "down", "locals",
                "print", "ps"):
        assert re.search(r"^pyxray %s\b" % sub, prefix, re.M), (sub, prefix)


def test_bt_all_matches_dump(bt, target, pyxray_bin):
    """py-bt-all and `pyxray dump --nonblocking` print the same report; only
    who holds the GIL at the instant of reading may differ."""
    res = support.run_pyxray(pyxray_bin, "dump", "--nonblocking", target.pid)
    assert res.rc == 0, res
    got = bt.out("bt-all")
    assert text_lines(without_gil(got)) == text_lines(without_gil(res.out))
    holders = [l for l in got.splitlines() if "(holds the GIL)" in l]
    assert len(holders) <= 1 and all('"spinner"' in l for l in holders), got
    # Not vacuous: every thread is there with its innermost frame.
    blocks = gdb_support.thread_blocks(got)
    exp = support.expected_stacks(target)
    for name, frames in exp["main"].items():
        tid = target.report["threads"][
            "subinterp" if name == "subinterp-host" else name]["tid"]
        want = [(f["qualname"], f["file"], f["line"]) for f in frames]
        assert blocks.get((tid, name)) == want, (name, got)


def test_pyxray_prefix_bt_all(bt):
    assert text_lines(without_gil(bt.out("pyxray-bt-all"))) == \
        text_lines(without_gil(bt.out("bt-all")))


def test_bt_all_json(bt, target):
    doc = json.loads(bt.out("bt-all-json"))
    test_dump.check_snapshot(doc, target)


def json_subset(want, got, path="$"):
    """Every field of want is in got with the same value (got may carry
    more: docs/json.md lets fields be added)."""
    if isinstance(want, dict):
        assert isinstance(got, dict), (path, got)
        for k, v in want.items():
            assert k in got, ("missing field", path + "." + k)
            json_subset(v, got[k], path + "." + k)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (path, got)
        for i, (a, b) in enumerate(zip(want, got)):
            json_subset(a, b, "%s[%d]" % (path, i))
    else:
        assert want == got, (path, want, got)


def without_volatile(doc):
    """Drops what may change between two reads of a parked target."""
    for p in doc["processes"]:
        p.pop("stopped_us", None)
        p.pop("state", None)  # /proc state: "tracing-stop" under gdb
        for i in p["interpreters"]:
            for th in i["threads"]:
                th["holds_gil"] = False
    return doc


def test_bt_all_json_matches_dump(bt, target, pyxray_bin):
    """Field for field what `pyxray dump --json` prints, frame and code
    addresses included."""
    res = support.run_pyxray(pyxray_bin, "dump", "--json", "--nonblocking",
                             target.pid)
    json_subset(without_volatile(res.json()),
                without_volatile(json.loads(bt.out("bt-all-json"))))


def test_bt_all_group_without_duplicates(bt, target, pyxray_bin):
    """No two threads of threads_target share a stack: --group changes
    nothing, and agrees with pyxray dump --group."""
    got = bt.out("bt-all-group")
    assert "threads with this stack" not in got, got
    res = support.run_pyxray(pyxray_bin, "dump", "--nonblocking", "--group",
                             target.pid)
    assert text_lines(without_gil(got)) == text_lines(without_gil(res.out))


SPINNER_COUNTER = re.compile(r"^(\s+x = )\d+$", re.M)


def test_bt_all_locals(bt, target, pyxray_bin):
    res = support.run_pyxray(pyxray_bin, "dump", "--nonblocking", "--locals",
                             target.pid)
    assert res.rc == 0, res

    def norm(text):
        # The spinner counts while it runs between the two reads.
        return text_lines(SPINNER_COUNTER.sub(r"\1N", without_gil(text)))
    got = bt.out("bt-all-locals")
    assert norm(got) == norm(res.out)
    fd = target.report["threads"]["worker-1"]["fd"]
    assert "            fd = %d" % fd in got.splitlines(), got


def expected_traceback(target, name):
    exp = support.expected_stacks(target)
    return gdb_support.traceback_text(exp["main"][name])


def test_bt_thread(bt, target):
    """py-bt on each thread: python-gdb.py's traceback layout, qualnames,
    and the stripped source line of every frame whose file exists."""
    for name in THREAD_NAMES:
        got = bt.out("bt " + name)
        assert bt_lines(got) == expected_traceback(target, name), name
        assert bt.out("pyxray-bt " + name) == got, name


def test_bt_default_thread(bt, target):
    assert bt_lines(bt.out("bt-default")) == \
        expected_traceback(target, "MainThread")


def test_bt_layout(bt, target):
    """The spec: py-bt prints python-gdb.py's layout, starting with
    "Traceback (most recent call first):", nothing before it."""
    for name in THREAD_NAMES:
        assert text_lines(bt.out("bt " + name))[0] == \
            "Traceback (most recent call first):", bt.out("bt " + name)


def test_bt_subinterp_host(bt, target):
    """The host thread runs in two interpreters; py-bt shows the frames of
    one of them, or of both, innermost first."""
    if "subinterp" not in target.report["threads"]:
        pytest.skip("%s has no sub-interpreters" % target.variant.id)
    exp = support.expected_stacks(target)
    host = [(f["file"], f["line"], f["qualname"])
            for f in exp["main"]["subinterp-host"]]
    sub = [(f["file"], f["line"], f["qualname"]) for f in exp["sub"]]
    got = gdb_support.traceback_frames(bt.out("bt subinterp"))
    assert got in (host, sub, sub + host, host + sub), got


def test_thread_apply_all(bt, target):
    """`thread apply all py-bt`: gdb's own thread switching reaches us."""
    out = bt.out("apply-all")
    parts = re.split(r"^Thread \d+ \(.*?LWP (\d+)\)\)?.*$", out, flags=re.M)
    by_lwp = {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    for name in THREAD_NAMES:
        tid = target.report["threads"][name]["tid"]
        assert tid in by_lwp, (name, tid, out)
        assert bt_lines(by_lwp[tid].strip("\n")) == \
            expected_traceback(target, name), name


def check_py_list(out, path, line):
    """Source lines around `line` of path, numbered, that one marked '>'."""
    marked = [l for l in out.splitlines() if l.lstrip().startswith(">")]
    assert len(marked) == 1, out
    src = gdb_support.source_line(path, line)
    assert re.search(r"\b%d\b" % line, marked[0]) and src in marked[0], \
        (line, src, out)
    shown = 0
    for n in range(max(1, line - 3), line + 4):
        text = gdb_support.source_line(path, n)
        if n == line or not text:
            continue
        assert any(re.search(r"\b%d\b" % n, l) and text in l
                   for l in out.splitlines()), (n, text, out)
        shown += 1
    assert shown >= 2, out


def parse_locals(out):
    got = {}
    for l in out.splitlines():
        if not l.strip():
            continue
        name, sep, value = l.strip().partition(" = ")
        assert sep, ("not a 'name = repr' line", l, out)
        assert name not in got, ("twice", name, out)
        got[name] = value
    return got


def test_list_and_navigation(bt, target):
    frames = worker2_frames(target)
    f0, f1, f2 = frames[0], frames[1], frames[2]
    check_py_list(bt.out("list 0"), f0["file"], f0["line"])
    loc = parse_locals(bt.out("locals 0"))
    assert loc["fd"] == str(target.report["threads"]["worker-2"]["fd"]), loc
    assert re.match(r"^<Registry object at 0x[0-9a-f]+>$", loc["reg"]), loc

    newest = "Unable to find a newer Python frame"
    oldest = "Unable to find an older Python frame"
    down0 = bt["down at 0"]
    assert newest in down0.get("out", "") + down0.get("error", ""), down0

    check_moved(bt.out("up 1"), 1, f1)
    check_py_list(bt.out("list 1"), f1["file"], f1["line"])
    loc = parse_locals(bt.out("locals 1"))
    assert loc["n"] == "0", loc
    assert re.match(r"^<function object at 0x[0-9a-f]+>$", loc["leaf"]), loc
    assert bt.out("print n 1").strip() == "local 'n' = 0"
    check_moved(bt.out("up 2"), 2, f2)
    assert parse_locals(bt.out("locals 2"))["n"] == "1"
    check_moved(bt.out("down 1"), 1, f1)
    check_moved(bt.out("down 0"), 0, f0)
    for i in range(1, 9):
        check_moved(bt.out("climb %d" % i), i, frames[i])
    assert len(frames) == 9
    top = bt["up at top"]
    assert oldest in top.get("out", "") + top.get("error", ""), top
    # py-up N / py-down N past an end: as far as the stack goes, and say so
    assert oldest in bt.out("up 10 at top"), bt["up 10 at top"]
    lines = text_lines(bt.out("down 20"))
    check_moved("\n".join(lines[:-1]), 0, f0)
    assert lines[-1] == "(reached the innermost Python frame: moved 8 of 20 frames)", lines
    check_moved(bt.out("up 3"), 3, frames[3])
    lines = text_lines(bt.out("up 10"))
    check_moved("\n".join(lines[:-1]), 8, frames[8])
    assert lines[-1] == "(reached the outermost Python frame: moved 5 of 10 frames)", lines


def test_print_completes_locals(bt):
    """py-print completes the selected Python frame's variable names."""
    assert text_lines(bt.out("complete top")) == ["py-print self"], bt["complete top"]
    assert text_lines(bt.out("complete n")) == ["py-print n"], bt["complete n"]
    assert text_lines(bt.out("complete l")) == ["py-print leaf"]
    assert bt.out("complete none").strip() == ""
    assert bt.out("complete second").strip() == ""


def test_print(bt, target):
    fd = target.report["threads"]["worker-2"]["fd"]
    assert bt.out("print fd").strip() == "local 'fd' = %d" % fd
    assert re.match(r"^global 'descend' = <function object at 0x[0-9a-f]+>$",
                    bt.out("print global").strip()), bt["print global"]
    assert re.match(r"^builtin 'len' = <builtin_function_or_method object "
                    r"at 0x[0-9a-f]+>$", bt.out("print builtin").strip()), \
        bt["print builtin"]
    not_found(bt["print missing"], "no_such_name_xyz")


def test_print_unknown_is_error(bt):
    """The spec: an unbound name is an error (gdb's exit status and
    scripts see it), not just a printed line."""
    assert "'no_such_name_xyz' not found" in bt.error("print missing")


def test_prefix_commands_worker1(bt, target):
    frames = support.expected_stacks(target)["main"]["worker-1"]
    full = bt.out("bt-full")
    assert bt.out("pyxray bt-full") == full
    # The traceback, with locals under the frames that have them.
    lines = bt_lines(full)
    tb = gdb_support.traceback_text(frames)
    assert [l for l in lines if not l.startswith("      ")] == tb, full
    fd = target.report["threads"]["worker-1"]["fd"]
    assert "      fd = %d" % fd in lines, full
    assert re.search(r"^      self = <Parker object at 0x[0-9a-f]+>$", full,
                     re.M), full
    check_py_list(bt.out("pyxray list"), frames[0]["file"], frames[0]["line"])
    assert parse_locals(bt.out("pyxray locals"))["fd"] == str(fd)
    assert bt.out("pyxray print").strip() == "local 'fd' = %d" % fd
    check_moved(bt.out("pyxray up"), 1, frames[1])
    check_moved(bt.out("pyxray down"), 0, frames[0])


def test_ps(bt, target):
    out = bt.out("ps")
    assert bt.out("pyxray-ps") == out
    exe = os.readlink("/proc/%d/exe" % target.pid)
    assert re.search(r"\b%d\b" % target.pid, out), out
    assert exe in out, out
    assert target.report["version"] in out, out
    rep = target.report
    nthreads = len(support.expected_stacks(target)["main"])
    tlines = [l for l in out.splitlines() if re.search(r"thread", l, re.I)]
    assert any(re.search(r"\b%d\b" % nthreads, l) for l in tlines), \
        (nthreads, out)
    if rep["subinterpreters"]:
        ilines = [l for l in out.splitlines()
                  if re.search(r"interp", l, re.I)]
        assert any(re.search(r"\b[12]\b", l) for l in ilines), out
    assert re.search(r"GIL", out), out
    # If a holder is named, it is the spinner (the others sit in read()).
    for m in re.finditer(r'GIL.*?"([^"]+)"', out):
        assert m.group(1) == "spinner", out


def test_bad_options(bt):
    for i, bad in enumerate(BAD_OPTIONS):
        msg = bt.error("bad %d" % i)
        assert "Usage:" in msg or "usage:" in msg, (bad, msg)
    msg = bt.error("print no name")
    assert "sage" in msg, msg


def test_target_unharmed(bt, target, pyxray_bin):
    gdb_support.after_session(target)
    res = support.run_pyxray(pyxray_bin, "dump", "--json", target.pid)
    test_dump.check_snapshot(res.json(), target)


# ------------------------------------------------------------ gdb_target

def values_cases():
    """(variant, mode): attached and stopped-by-signal on the subset; the
    breakpoint variant of `gdb --args` on two of them."""
    out = []
    for p in gdb_support.subset_params():
        v = p.values[0]
        modes = ["read", "signal"]
        if v.id == "3.12" or v.kind == "distro":
            modes.append("getppid")
        for mode in modes:
            out.append(pytest.param((v, mode), id="%s-%s" % (mode, v.id),
                                    marks=p.marks))
    return out


@pytest.fixture(scope="module", params=values_cases())
def values(request, workdir):
    """A gdb session on gdb_target.py: attached (read) or run by gdb and
    stopped by SIGINT (signal) or `break getppid` (getppid). Yields
    (mode, session, report, target or None)."""
    sv, mode = request.param
    support.RAN.add(sv.id)
    s = Session()
    t = None
    if mode == "read":
        t = gdb_support.start_program(sv, workdir, gdb_support.GDB_TARGET)
        t.wait_ready()
        t.wait_parked()
        report = t.report
        s.lwp("select", report["threads"]["values"]["tid"])
        args = ["-p", str(t.pid)]
    else:
        report_path = os.path.join(workdir, "gdb_target-%s-%s-%d.json" % (
            sv.id, mode, time.time() * 1e6))
        argv, env = gdb_support.program_argv(
            sv, workdir, gdb_support.GDB_TARGET,
            ["--stop", mode, "--report", report_path])
        args = ["-ex", "set breakpoint pending on"]
        if mode == "getppid":
            args += ["-ex", "break getppid"]
        for k, v in env.items():
            args += ["-ex", "set environment %s=%s" % (k, v)]
        args += ["-ex", "run", "--args"] + argv
        report = None
    s.cmd("bt", "py-bt")
    s.cmd("bt-full", "py-bt-full")
    s.cmd("locals", "py-locals")
    s.cmd("list", "py-list")
    for name in PRINT_NAMES:
        s.cmd("print " + name, "py-print " + name)
    s.cmd("up", "py-up")
    s.cmd("up locals", "py-locals")
    s.cmd("up print outer_only", "py-print outer_only")
    s.cmd("up print big", "py-print big")
    s.cmd("down", "py-down")
    s.cmd("down print big", "py-print big")
    s.cmd("bt-all", "py-bt-all")
    s.cmd("group", "py-bt-all --group")
    s.cmd("group locals", "py-bt-all --group --locals")
    s.cmd("json", "py-bt-all --json")
    s.cmd("json locals", "py-bt-all --json --locals")
    s.cmd("ps", "py-ps")
    try:
        s.execute(args, workdir)
        if report is None:
            with open(report_path) as f:
                report = json.load(f)
        yield mode, s, report, t, sv
    finally:
        if t is not None:
            t.kill()


PRINT_NAMES = ("none", "yes", "big", "negbig", "flt", "fbig", "latin",
               "astral", "escapes", "raw", "tup", "single", "dct", "st",
               "empty_set", "thing", "captured", "closure", "SHADOWED",
               "G_INT", "G_BIG", "G_STR", "G_LIST", "G_THING", "len",
               "outer_only", "no_such_name_xyz")


def values_frames(sv, mode):
    m = support.marker_lines(gdb_support.GDB_TARGET)
    path = gdb_support.GDB_TARGET

    def f(function, qualname, tag):
        return support.frame(function, qualname, path, m[tag], sv.version)
    tag = "CALL:run-values-signal" if mode == "signal" else "CALL:run-values"
    return [f("inspect_me", "inspect_me", "PARK:values"),
            f("outer", "outer", "CALL:values"),
            f("run_values", "main.<locals>.run_values", tag)] + \
        support.boot_frames(sv.interp.exe)


def test_values_bt(values):
    mode, s, report, t, sv = values
    frames = values_frames(sv, mode)
    assert bt_lines(s.out("bt")) == gdb_support.traceback_text(frames)
    check_py_list(s.out("list"), frames[0]["file"], frames[0]["line"])


def test_values_locals(values):
    """Every local of inspect_me, reprs exactly as the target computed them."""
    mode, s, report, t, sv = values
    got = parse_locals(s.out("locals"))
    want = report["frames"]["inspect_me"]
    bad = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
           if want.get(k) != got.get(k)}
    assert not bad, "name: (expected, got): %r" % bad


def test_values_bt_full(values):
    mode, s, report, t, sv = values
    lines = bt_lines(s.out("bt-full"))
    frames = values_frames(sv, mode)
    assert [l for l in lines if not l.startswith("      ")] == \
        gdb_support.traceback_text(frames)
    # inspect_me's locals sit between its source line and outer's File line.
    start = lines.index(gdb_support.traceback_text(frames)[2]) + 1
    end = lines.index(gdb_support.traceback_text(frames)[3])
    got = parse_locals("\n".join(lines[start:end]))
    assert got == report["frames"]["inspect_me"]


def test_values_print(values):
    mode, s, report, t, sv = values
    loc = report["frames"]["inspect_me"]
    for name in PRINT_NAMES:
        if name in loc:
            want = "local '%s' = %s" % (name, loc[name])
        elif name in report["globals"]:
            want = "global '%s' = %s" % (name, report["globals"][name])
        elif name in report["builtins"]:
            want = "builtin '%s' = %s" % (name, report["builtins"][name])
        else:
            not_found(s["print " + name], name)
            continue
        assert s.out("print " + name).strip() == want, name
    assert s.out("print SHADOWED").strip() == "local 'SHADOWED' = 'the local'"


def test_values_up_down(values):
    """py-up moves the frame py-locals and py-print read; py-down back."""
    mode, s, report, t, sv = values
    frames = values_frames(sv, mode)
    check_moved(s.out("up"), 1, frames[1])
    assert parse_locals(s.out("up locals")) == report["frames"]["outer"]
    assert s.out("up print outer_only").strip() == \
        "local 'outer_only' = %s" % report["frames"]["outer"]["outer_only"]
    not_found(s["up print big"], "big")
    check_moved(s.out("down"), 0, frames[0])
    assert s.out("down print big").strip() == \
        "local 'big' = %s" % report["frames"]["inspect_me"]["big"]


def test_values_group(values):
    """The three pool threads share their stack: printed once with --group.
    With --locals too they differ (each Thread.run has its own self), so
    each is printed on its own."""
    mode, s, report, t, sv = values
    th = report["threads"]
    header = "3 threads with this stack: %s" % ", ".join(
        '%d "pool-%d"' % (th["pool-%d" % i]["tid"], i) for i in (1, 2, 3))
    m = support.marker_lines(gdb_support.GDB_TARGET)
    path = gdb_support.GDB_TARGET
    boot = support.boot_frames(sv.interp.exe)
    want = ["    pool_wait (%s:%d)" % (path, m["PARK:pool"]),
            "    pool_worker (%s:%d)" % (path, m["CALL:pool"])] + [
        "    %s (%s:%d)" % (f["qualname"], f["file"], f["line"]) for f in boot]
    lines = text_lines(without_gil(s.out("group")))
    assert header in lines, lines
    i = lines.index(header)
    frames = [l for l in lines[i + 1:] if not l.startswith("        ")]
    assert frames[:len(want)] == want, lines[i:i + 24]
    for name in ("pool-1", "pool-2", "pool-3"):
        assert not any(l.startswith("Thread ") and '"%s"' % name in l
                       for l in lines), (name, lines)
    # --group --locals: not grouped, each with its locals.
    lines = text_lines(without_gil(s.out("group locals")))
    assert "threads with this stack" not in "\n".join(lines), lines
    for n in (1, 2, 3):
        i = lines.index('Thread %d "pool-%d"' % (th["pool-%d" % n]["tid"], n))
        assert lines[i + 1] == want[0], lines[i:i + 4]
        fd = th["pool-%d" % n]["fd"]
        assert "            fd = %d" % fd in lines[i + 2:i + 6], lines[i:i + 6]
    # Without --group each pool thread is printed.
    plain = s.out("bt-all")
    for n in (1, 2, 3):
        assert 'Thread %d "pool-%d"' % (th["pool-%d" % n]["tid"], n) in plain


def test_values_json(values):
    mode, s, report, t, sv = values
    doc = json.loads(s.out("json"))
    assert doc["schema_version"] == 1
    (p,) = doc["processes"]
    assert p["pid"] == report["pid"]
    threads = {th["name"]: th for i in p["interpreters"]
               for th in i["threads"]}
    v = threads["values"]
    assert v["tid"] == report["threads"]["values"]["tid"]
    assert support.frames_of(v) == values_frames(sv, mode)
    doc = json.loads(s.out("json locals"))
    v = [th for i in doc["processes"][0]["interpreters"]
         for th in i["threads"] if th["name"] == "values"][0]
    got = dict((l["name"], l["repr"]) for l in v["frames"][0]["locals"])
    assert got == report["frames"]["inspect_me"]
    got = dict((l["name"], l["repr"]) for l in v["frames"][1]["locals"])
    assert got == report["frames"]["outer"]
    if mode != "read":
        # Stopped inside a C call that keeps the GIL.
        holders = [th["name"] for i in p["interpreters"]
                   for th in i["threads"] if th["holds_gil"]]
        assert holders == ["values"], holders


def test_values_json_locals_only_when_asked(values):
    """docs/json.md: frames carry "locals" only when locals were requested;
    earlier py-locals/py-print in the same stop must not change that."""
    mode, s, report, t, sv = values
    doc = json.loads(s.out("json"))
    with_locals = [(th["name"], fr["qualname"])
                   for i in doc["processes"][0]["interpreters"]
                   for th in i["threads"] for fr in th["frames"]
                   if "locals" in fr]
    assert not with_locals, with_locals


def test_values_ps(values):
    mode, s, report, t, sv = values
    out = s.out("ps")
    assert re.search(r"\b%d\b" % report["pid"], out), out
    assert report["version"] in out, out


def test_values_target_after_session(values):
    """Attached: left running and answering. Run by gdb: gone with it."""
    mode, s, report, t, sv = values
    if t is not None:
        gdb_support.after_session(t)
    else:
        assert not os.path.exists("/proc/%d" % report["pid"]) or \
            open("/proc/%d/stat" % report["pid"]).read().split()[2] == "Z", \
            "gdb -batch left the program it ran behind"


# ------------------------------------------------------------ python-gdb.py

@pytest.fixture(scope="module", params=gdb_support.subset_params())
def sv(request):
    support.RAN.add(request.param.id)
    return request.param


def python_gdb_script(v):
    exe = os.path.realpath(v.interp.exe)
    path = exe + "-gdb.py"
    return path if os.path.exists(path) else None


# How pyxray and python-gdb.py get into the session, and which loads last:
#   python-gdb-first  `-x EXT PYTHON -p PID`: GDB loads the objfiles' scripts
#                     before any -x, so ours come after.
#   python-gdb-after  `-x EXT -ex 'attach PID'`: python-gdb.py loads with the
#                     new objfile, after us.
#   startup-attach    `-iex 'source EXT' PYTHON -p PID`, as an installed
#                     pyxray loads from the system gdbinit directory: GDB
#                     loads python-gdb.py after us and right before the -ex
#                     and -x commands, with no event in between.
#   startup-core      the same on a core (`PYTHON CORE`).
#   startup-run       the same with `--args PYTHON gdb_target.py` and `run`.
PYTHON_GDB_ORDERS = ("python-gdb-first", "python-gdb-after", "startup-attach",
                     "startup-core", "startup-run")


def _gcore(t, workdir):
    prefix = os.path.join(workdir, "gcore-python-gdb-%s" % t.variant.id)
    res = subprocess.run(["gcore", "-o", prefix, str(t.pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=gdb_support.GDB_TIMEOUT)
    path = "%s.%d" % (prefix, t.pid)
    assert res.returncode == 0 and os.path.exists(path), res.stdout[-3000:]
    gdb_support.after_session(t)
    return path


@pytest.mark.parametrize("order", PYTHON_GDB_ORDERS)
def test_with_python_gdb_loaded(sv, workdir, order):
    """CPython's python-gdb.py defines py-bt, py-list, py-up... too; ours
    stay in force whichever loads last, in every way GDB can load it. Told
    apart by what python-gdb.py never prints: qualnames (3.11+), our "#N
    qualname (file:line)" frame lines and our capitalised "Python" in the
    end-of-stack message."""
    if sv.kind != "base":
        pytest.skip("%s: only pyenv builds ship python-gdb.py next to the "
                    "executable" % sv.id)
    script = python_gdb_script(sv)
    if script is None:
        pytest.skip("no %s-gdb.py next to %s" % (os.path.realpath(
            sv.interp.exe), sv.interp.exe))
    exe = os.path.realpath(sv.interp.exe)
    args = ["-iex", "set auto-load safe-path /"]
    ext = True
    if order.startswith("startup-"):
        args += ["-iex", "source %s" % gdb_support.ext_path()]
        ext = False
    t = core = None
    s = Session()
    try:
        if order == "startup-run":
            frames = values_frames(sv, "signal")
            argv, env = gdb_support.program_argv(
                sv, workdir, gdb_support.GDB_TARGET,
                ["--stop", "signal", "--report",
                 os.path.join(workdir, "python-gdb-run-%s.json" % sv.id)])
            for k, v in env.items():
                args += ["-ex", "set environment %s=%s" % (k, v)]
            args += ["-ex", "run", "--args"] + argv
        else:
            t = gdb_support.start_program(sv, workdir, support.TARGET,
                                          extra_env={"MALLOC_ARENA_MAX": "1"})
            t.wait_ready()
            t.wait_parked()
            frames = support.expected_stacks(t)["main"]["worker-1"]
            s.lwp("select", t.report["threads"]["worker-1"]["tid"])
            if order == "python-gdb-after":
                args += ["-ex", "attach %d" % t.pid]
            elif order == "startup-core":
                core = _gcore(t, workdir)
                args += [exe, core]
            else:
                args += [exe, "-p", str(t.pid)]
        s.cmd("scripts", "info auto-load python-scripts")
        s.cmd("bt", "py-bt")
        s.cmd("up", "py-up")
        s.cmd("down", "py-down")
        s.cmd("newest", "py-down")
        s.cmd("bt-all", "py-bt-all")
        s.cmd("pyxray bt", "pyxray bt")
        s.execute(args, workdir, ext=ext)
        scripts = s.out("scripts")
        assert re.search(r"^Yes\s+%s" % re.escape(script), scripts, re.M), \
            ("python-gdb.py did not load: the test would prove nothing",
             scripts)
        assert bt_lines(s.out("bt")) == gdb_support.traceback_text(frames)
        assert s.out("pyxray bt") == s.out("bt")
        check_moved(s.out("up"), 1, frames[1])
        check_moved(s.out("down"), 0, frames[0])
        newest = s["newest"]
        assert "Unable to find a newer Python frame" in \
            newest.get("out", "") + newest.get("error", ""), newest
        assert re.search(r'^Thread \d+ "MainThread"', s.out("bt-all"), re.M)
        if t is not None:
            gdb_support.after_session(t)
    finally:
        if t is not None:
            t.kill()
        if core is not None and os.path.exists(core):
            os.unlink(core)


def test_python_gdb_loaded_at_startup_interactive(sv, workdir):
    """At a prompt the names are registered again: `help py-bt` is ours."""
    if sv.kind != "base" or python_gdb_script(sv) is None:
        pytest.skip("%s: no python-gdb.py next to the executable" % sv.id)
    t = gdb_support.start_program(sv, workdir, support.TARGET)
    try:
        t.wait_ready()
        t.wait_parked()
        tid = t.report["threads"]["worker-1"]["tid"]
        commands = os.path.join(workdir, "interactive-%s.gdb" % sv.id)
        with open(commands, "w") as f:
            f.write("python [th.switch() for th in gdb.selected_inferior()"
                    ".threads() if th.ptid[1] == %d]\n"
                    "help py-bt\npy-bt\npy-up\nquit\n" % tid)
        with open(commands) as stdin:
            run = gdb_support.run_gdb(
                ["-iex", "set auto-load safe-path /",
                 "-iex", "source %s" % gdb_support.ext_path(),
                 os.path.realpath(sv.interp.exe), "-p", str(t.pid)],
                ext=False, batch=False, stdin=stdin)
        frames = support.expected_stacks(t)["main"]["worker-1"]
        assert "Print the Python stack of the selected thread" in run.out, run
        assert 'in %s\n' % frames[0]["qualname"] in run.out, run
        assert "#1 %s (" % frames[1]["qualname"] in run.out, run
        gdb_support.after_session(t)
    finally:
        t.kill()


# ------------------------------------------------------------ inferiors

def test_several_inferiors(workdir):
    """Two Python processes of different versions and a `sleep` in one
    session: py-bt-all shows both Pythons and skips the other."""
    present = [v for v in support.VARIANTS if not v.absent
               and v.kind in ("base", "distro")]
    if len(present) < 2:
        pytest.skip("needs two interpreters")
    a, b = present[-1], present[0]
    ta = gdb_support.start_program(a, workdir, gdb_support.GDB_TARGET)
    tb = gdb_support.start_program(b, workdir, gdb_support.GDB_TARGET)
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        for t in (ta, tb):
            t.wait_ready()
            t.wait_parked()
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.cmd("json", "py-bt-all --json")
        s.cmd("ps", "py-ps")
        s.execute(["-p", str(ta.pid),
                   "-ex", "add-inferior", "-ex", "inferior 2",
                   "-ex", "attach %d" % tb.pid,
                   "-ex", "add-inferior", "-ex", "inferior 3",
                   "-ex", "attach %d" % sleeper.pid], workdir)
        doc = json.loads(s.out("json"))
        pythons = [p for p in doc["processes"] if "error" not in p]
        assert sorted(p["pid"] for p in pythons) == \
            sorted([ta.pid, tb.pid]), doc
        # The sleep is at most mentioned, as an entry with its error.
        sleep = "inferior 3 (pid %d, %s) has no Python interpreter" % (
            sleeper.pid, os.readlink("/proc/%d/exe" % sleeper.pid))
        others = [p for p in doc["processes"] if "error" in p]
        assert all(p["pid"] == sleeper.pid and p["error"] == sleep
                   and not p["interpreters"] for p in others), others
        for t in (ta, tb):
            p = [p for p in doc["processes"] if p["pid"] == t.pid][0]
            assert p["python_version"].startswith(t.report["version"])
            names = [th["name"] for i in p["interpreters"]
                     for th in i["threads"]]
            assert sorted(names) == sorted(t.report["threads"]), names
        text = s.out("bt-all")
        for t in (ta, tb):
            assert re.search(r"^Process %d\b" % t.pid, text, re.M), text
        assert not re.search(r"^Process %d\b" % sleeper.pid, text, re.M)
        assert sleep in text or str(sleeper.pid) not in text, text
        ps = s.out("ps")
        for t in (ta, tb):
            assert str(t.pid) in ps and t.report["version"] in ps, ps
        for t in (ta, tb):
            gdb_support.after_session(t)
        support.assert_not_stopped(sleeper.pid)
    finally:
        ta.kill()
        tb.kill()
        sleeper.kill()
        sleeper.wait()


# ------------------------------------------------------------ bad input

ALL_COMMANDS = ("py-bt-all", "py-bt-all --json", "py-bt", "py-bt-full",
                "py-list", "py-up", "py-down", "py-locals", "py-print x",
                "py-ps", "pyxray bt-all", "pyxray bt")


def test_no_process(workdir):
    """Nothing loaded: an error mentioning "No process", on stderr."""
    run = gdb_support.run_gdb(["-ex", "py-bt-all"])
    errs = [l for l in run.err.splitlines() if l.strip()]
    assert any("No process" in l for l in errs), run
    assert run.out.strip() == "", run
    assert run.rc in (0, 1), run
    s = Session()
    for c in ALL_COMMANDS:
        s.cmd(c, c)
    s.execute([], workdir)
    for c in ("py-bt-all", "py-bt-all --json", "py-bt", "pyxray bt-all"):
        assert "No process" in s.error(c), c
    for c in ALL_COMMANDS:
        step = s[c]
        if "error" in step:
            gdb_support.error_of(step)


@pytest.fixture(scope="module")
def not_python(workdir):
    """A gdb session attached to `sleep`: (session, expected message, run
    of the plain CLI, sleeper)."""
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        exe = os.readlink("/proc/%d/exe" % sleeper.pid)
        want = "inferior 1 (pid %d, %s) has no Python interpreter" % (
            sleeper.pid, exe)
        s = Session()
        for c in ALL_COMMANDS:
            s.cmd(c, c)
        s.execute(["-p", str(sleeper.pid)], workdir)
        # The terminal's view: the message on stderr, a sane exit status.
        run = gdb_support.run_gdb(["-p", str(sleeper.pid), "-ex", "py-bt-all"])
        support.assert_not_stopped(sleeper.pid)
        assert sleeper.poll() is None
        yield s, want, run
    finally:
        sleeper.kill()
        sleeper.wait()


def test_not_python(not_python):
    """Every command names the inferior and says it has no Python."""
    s, want, run = not_python
    for c in ALL_COMMANDS:
        step = s[c]
        if c == "py-bt-all --json" and "error" not in step:
            doc = json.loads(step["out"])
            assert [p.get("error") for p in doc["processes"]] == [want], doc
            continue
        assert want in out_or_error(step), (c, step)
        if "error" in step:
            gdb_support.error_of(step)
    for c in ("py-bt", "py-bt-full", "py-locals", "py-list", "py-up",
              "py-print x", "pyxray bt"):
        assert want in s.error(c), c
    assert want in run.err + run.out, run
    assert run.rc in (0, 1), run


def test_not_python_bt_all_is_error(not_python):
    """The spec: with no inferior running Python, py-bt-all fails (one-line
    error, exit status 1 under -batch), as it does with no process."""
    s, want, run = not_python
    assert want in s.error("py-bt-all")
    assert want in run.err and run.rc == 1, run
