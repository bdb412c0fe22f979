# SPDX-License-Identifier: MIT
"""The frame filter (gdbext/pyxray/framefilter.py) in GDB's own `bt` and in
MI `-stack-list-frames`, against threads_target.py under every interpreter
variant present.

Per variant: one `gdb -batch -nx -x EXT -p PID` session prints `thread apply
all bt` with the filter, without it (`disable frame-filter global pyxray`)
and with a filter whose snapshot fails; one MI session lists every thread's
frames after -enable-frame-filters. Each Python frame must appear with its
exact qualname, file and line, in order, in place of the native
`_PyEval_EvalFrameDefault` frame that runs it: the innermost Python frame of
a run decorates the eval frame (same level), the others follow as its
elided frames (indented in the CLI, `children` in MI). Afterwards the
target must be running, untraced and answering. On a subset, the same
through a core file (gcore), read through GDB's memory.
"""
import os
import re
import select
import subprocess
import tempfile
import time

import pytest

import gdb_support
import support

QUIET = ["-iex", "set auto-load python-scripts off",
         "-iex", "set debuginfod enabled off"]
EVAL = "_PyEval_EvalFrameDefault"
THREAD_HEADER = re.compile(r"^Thread \d+ \(.*\(LWP (\d+)\)")
FRAME_LINE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S*) \(")
# A frame the filter printed: qualname, the Python arguments, file:line. The
# innermost of a run has the level (and the eval frame's pc), the rest are
# indented by GDB's elided-frame printing.
PY_TOP = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \((.*)\) at (.+):(\d+)$")
PY_CHILD = re.compile(r"^    (\S+) \((.*)\) at (.+):(\d+)$")
MARKS = ("@@filtered@@", "@@native@@", "@@failing@@", "@@end@@")


def is_python_file(path):
    return path.endswith(".py") or path.startswith("<")


def expected_by_tid(t):
    """{tid: [(qualname, file, line)]} innermost first; the thread that
    called into a sub-interpreter runs those frames above its own."""
    exp = support.expected_stacks(t)
    rep = t.report["threads"]
    out = {}
    for name, frames in exp["main"].items():
        r = rep["subinterp" if name == "subinterp-host" else name]
        if name == "subinterp-host" and exp["sub"]:
            frames = exp["sub"] + frames
        out[r["tid"]] = [(f["qualname"], f["file"], f["line"]) for f in frames]
    return out


def split_threads(text):
    """{lwp: [lines]} of `thread apply all bt` output."""
    threads, cur = {}, None
    for line in text.splitlines():
        m = THREAD_HEADER.match(line)
        if m:
            cur = threads.setdefault(int(m.group(1)), [])
        elif cur is not None and line.strip():
            cur.append(line)
    return threads


class Backtrace(object):
    """One thread's filtered `bt`: its levels, the Python frames in order
    and how they are grouped under eval frames."""

    def __init__(self, lines):
        self.lines = lines
        self.levels = []          # every "#N" level, in order
        self.names = {}           # level -> function as printed
        self.python = []          # (qualname, file, line) innermost first
        self.runs = {}            # level -> [python frames of that run]
        self.args = []            # the arguments as printed, with self.python
        self.stray = []           # indented lines not under a Python frame
        run = None
        for line in lines:
            m = FRAME_LINE.match(line)
            if m:
                level = int(m.group(1))
                self.levels.append(level)
                self.names[level] = m.group(2)
                run = None
                p = PY_TOP.match(line)
                if p and is_python_file(p.group(4)):
                    fr = (p.group(2), p.group(4), int(p.group(5)))
                    run = self.runs.setdefault(level, [])
                    run.append(fr)
                    self.python.append(fr)
                    self.args.append(p.group(3))
                continue
            c = PY_CHILD.match(line)
            if c and is_python_file(c.group(3)):
                fr = (c.group(1), c.group(3), int(c.group(4)))
                if run is None:
                    self.stray.append(line)
                else:
                    run.append(fr)
                    self.python.append(fr)
                    self.args.append(c.group(2))

    def eval_levels(self):
        return [lv for lv in self.levels if self.names[lv] == EVAL
                or self.names[lv].startswith(EVAL + ".")]


def sections(out):
    """The output between the markers, by marker."""
    got = {}
    for i, mark in enumerate(MARKS[:-1]):
        start = out.index(mark + "\n") + len(mark) + 1
        got[mark] = out[start:out.index(MARKS[i + 1] + "\n", start)]
    return got


def cli_args(t):
    failing = ("python import pyxray.framefilter as ff; "
               "ff.python_groups = lambda thread: 1 // 0")
    return QUIET + ["-p", str(t.pid),
                    "-ex", "echo %s\\n" % MARKS[0],
                    "-ex", "thread apply all bt",
                    "-ex", "echo %s\\n" % MARKS[1],
                    "-ex", "disable frame-filter global pyxray",
                    "-ex", "thread apply all bt",
                    "-ex", "enable frame-filter global pyxray",
                    "-ex", failing,
                    "-ex", "echo %s\\n" % MARKS[2],
                    "-ex", "thread apply all bt",
                    "-ex", "echo %s\\n" % MARKS[3],
                    "-ex", "info frame-filter"]


@pytest.fixture(scope="module")
def cli(target, workdir):
    run = gdb_support.run_gdb(cli_args(target), workdir=workdir)
    gdb_support.after_session(target)
    return run


def check_filtered(filtered, native, expected, version):
    """Per thread: the Python frames, their grouping under eval frames, and
    the native frames the filter leaves alone."""
    assert sorted(filtered) == sorted(native), (sorted(filtered),
                                                sorted(native))
    for tid, frames in expected.items():
        assert tid in filtered, ("no thread with LWP %d" % tid, filtered)
        bt = Backtrace(filtered[tid])
        plain = Backtrace(native[tid])
        where = "LWP %d:\n%s" % (tid, "\n".join(filtered[tid]))
        assert bt.python == frames, where
        assert not bt.stray, where
        # Each eval frame, and nothing else, now shows Python frames, at
        # the same level: the levels themselves do not move.
        assert bt.levels == plain.levels, where
        assert sorted(bt.runs) == plain.eval_levels(), where
        assert not bt.eval_levels(), where
        assert not plain.python, "\n".join(native[tid])
        # Every native frame but the eval frames is printed as it was.
        for lv in plain.levels:
            if lv not in bt.runs:
                assert bt.names[lv] == plain.names[lv], (lv, where)
        # 3.11+: one eval frame runs Python-to-Python calls inline; before,
        # one eval frame per Python frame.
        sizes = [len(bt.runs[lv]) for lv in sorted(bt.runs)]
        if version < (3, 11):
            assert set(sizes) == {1}, where


def test_bt_shows_python_frames(cli, target):
    got = sections(cli.out)
    check_filtered(split_threads(got[MARKS[0]]), split_threads(got[MARKS[1]]),
                   expected_by_tid(target), target.variant.version)


def test_bt_multi_frame_runs(cli, target):
    """worker-2 recurses: on 3.11+ one eval frame runs inner, descend x4
    and worker_two, shown as one level with five elided frames."""
    tid = target.report["threads"]["worker-2"]["tid"]
    bt = Backtrace(split_threads(sections(cli.out)[MARKS[0]])[tid])
    first = bt.runs[min(bt.runs)]
    if target.variant.version >= (3, 11):
        assert [f[0] for f in first[:6]] == [
            "worker_two.<locals>.inner", "descend", "descend", "descend",
            "descend", "worker_two"], bt.lines
    else:
        assert [f[0] for f in first] == ["inner"], bt.lines


def test_bt_arguments(cli, target):
    """Each Python frame shows its arguments with their reprs, bare, as
    python-gdb.py's py-bt does (and an argument a closure captures, 3.11+)."""
    by_name = {}
    for name in ("worker-1", "worker-2"):
        tid = target.report["threads"][name]["tid"]
        bt = Backtrace(split_threads(sections(cli.out)[MARKS[0]])[tid])
        for (qualname, _file, _line), args in zip(bt.python, bt.args):
            by_name.setdefault(qualname.split(".")[-1], []).append(args)
    assert re.match(r"^self=<Parker object at 0x[0-9a-f]+>$", by_name["_block"][0]), by_name
    assert re.match(r"^self=<Parker object at 0x[0-9a-f]+>$", by_name["park"][0]), by_name
    assert re.match(r"^reg=<Registry object at 0x[0-9a-f]+>$", by_name["worker_one"][0]), by_name
    assert [a.split(",")[0] for a in by_name["descend"]] == ["n=0", "n=1", "n=2", "n=3"], by_name
    assert all(re.search(r", leaf=<function\b.* at 0x[0-9a-f]+>$", a)
               for a in by_name["descend"]), by_name
    assert by_name["inner"] == [""], by_name
    if target.variant.version >= (3, 11):
        assert re.match(r"^reg=<Registry object at 0x[0-9a-f]+>$", by_name["worker_two"][0]), \
            by_name


def test_disabled_gives_native_bt(cli, target):
    native = split_threads(sections(cli.out)[MARKS[1]])
    for tid in expected_by_tid(target):
        plain = Backtrace(native[tid])
        assert plain.eval_levels(), "\n".join(native[tid])
        assert not plain.python, "\n".join(native[tid])


def test_failing_snapshot_falls_back(cli, target):
    """A filter that cannot read the process shows the native frames, with
    no error and no Python exception."""
    got = sections(cli.out)
    failing = split_threads(got[MARKS[2]])
    native = split_threads(got[MARKS[1]])
    assert sorted(failing) == sorted(native)
    for tid in native:
        a, b = Backtrace(failing[tid]), Backtrace(native[tid])
        assert a.levels == b.levels and a.names == b.names, tid
        assert not a.python


def test_registered_and_enabled(cli):
    info = cli.out[cli.out.index(MARKS[3]):]
    assert re.search(r"^\s*100\s+Yes\s+pyxray\s*$", info, re.M), info


# ------------------------------------------------------------------ MI

def mi_parse_value(s, i):
    """(value, next index) of the MI value at s[i]: a c-string, a tuple
    (dict), or a list (of values, or of results: their values)."""
    c = s[i]
    if c == '"':
        out, i = [], i + 1
        while s[i] != '"':
            if s[i] == "\\":
                i += 1
                out.append({"n": "\n", "t": "\t"}.get(s[i], s[i]))
            else:
                out.append(s[i])
            i += 1
        return "".join(out), i + 1
    close = "}" if c == "{" else "]"
    assert c in "{[", s[i:i + 40]
    i += 1
    items = {} if c == "{" else []
    while s[i] != close:
        if s[i] == ",":
            i += 1
            continue
        m = re.match(r"([\w-]+)=", s[i:])
        if m:
            key = m.group(1)
            val, i = mi_parse_value(s, i + m.end())
            if isinstance(items, dict):
                items[key] = val
            else:
                items.append(val)
        else:
            val, i = mi_parse_value(s, i)
            items.append(val)
    return items, i + 1


def mi_results(record):
    """{name: value} of a result record: '12^done,stack=[...]'."""
    m = re.match(r"^\d*\^(\w+)", record)
    body = record[m.end():]
    if body.startswith(","):
        body = body[1:]
    got, _ = mi_parse_value("{" + body + "}", 0) if body else ({}, 0)
    got["class"] = m.group(1)
    return got


class MI(object):
    """A gdb --interpreter=mi2 process driven one command at a time."""

    def __init__(self, args, workdir):
        self.err = tempfile.TemporaryFile(dir=workdir)
        self.argv = ([gdb_support.gdb_path(), "--interpreter=mi2", "-nx", "-q",
                      "-x", gdb_support.ext_path()] + QUIET + list(args))
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err,
                                     env=gdb_support.gdb_env())
        self.token = 0
        self.buf = b""
        self.transcript = []

    def _line(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.time()
            assert left > 0, ("MI: no answer", self.transcript[-20:])
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 1 << 16)
                assert chunk, ("MI: gdb exited", self.transcript[-20:])
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.decode("utf-8", "replace").rstrip("\r")
        self.transcript.append(line)
        return line

    def command(self, text):
        self.token += 1
        self.proc.stdin.write(("%d%s\n" % (self.token, text)).encode())
        self.proc.stdin.flush()
        deadline = time.time() + gdb_support.GDB_TIMEOUT
        prefix = "%d^" % self.token
        while True:
            line = self._line(deadline)
            if line.startswith(prefix):
                for bad in gdb_support.CRASH_MARKERS:
                    assert bad not in "\n".join(self.transcript), \
                        (bad, self.transcript)
                return mi_results(line)

    def close(self):
        try:
            self.proc.stdin.write(b"-gdb-exit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=gdb_support.GDB_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.err.seek(0)
        err = self.err.read().decode("utf-8", "replace")
        self.err.close()
        return self.proc.returncode, err


def mi_python_frames(stack):
    """[(frame, is_child)] of the Python frames of an MI stack, in order."""
    out = []
    for fr in stack:
        if is_python_file(fr.get("file", "")):
            out.append((fr, False))
        for child in fr.get("children", []):
            out.append((child, True))
    return out


def test_mi_stack_list_frames(target, workdir):
    mi = MI(["-p", str(target.pid)], workdir)
    try:
        assert mi.command("-enable-frame-filters")["class"] == "done"
        threads = mi.command("-thread-info")["threads"]
        ids = {}
        for th in threads:
            m = re.search(r"\(LWP (\d+)\)", th["target-id"])
            ids[int(m.group(1))] = th["id"]
        stacks = {}
        for tid in expected_by_tid(target):
            res = mi.command("-stack-list-frames --thread %s" % ids[tid])
            assert res["class"] == "done", res
            stacks[tid] = res["stack"]
        # A range is a range of native levels: the eval frame at level L
        # comes with all its Python frames.
        tid = target.report["threads"]["worker-2"]["tid"]
        first = [fr for fr in stacks[tid]
                 if is_python_file(fr.get("file", ""))][0]
        lv = first["level"]
        ranged = mi.command("-stack-list-frames --thread %s %s %s"
                            % (ids[tid], lv, lv))["stack"]
        assert ranged == [first], (ranged, first)
    finally:
        rc, err = mi.close()
    assert rc == 0, (rc, err)
    gdb_support.after_session(target)

    for tid, frames in expected_by_tid(target).items():
        got = mi_python_frames(stacks[tid])
        assert [(f["func"], f["file"], int(f["line"])) for f, _ in got] \
            == frames, (tid, stacks[tid])
        for fr, child in got:
            if not fr["file"].startswith("<"):
                # What a frontend opens: GDB prints no fullname for filtered
                # frames, so file itself is the absolute path.
                assert os.path.isabs(fr["file"]) and \
                    os.path.isfile(fr["file"]), fr
            if "fullname" in fr:
                assert fr["fullname"] == fr["file"], fr
            if child:
                assert "level" not in fr, fr
            else:
                assert "level" in fr and fr["addr"].startswith("0x"), fr
        for fr in stacks[tid]:
            assert not fr.get("func", "").startswith(EVAL), (tid, fr)


# ------------------------------------------------------------------ cores

@pytest.fixture(params=gdb_support.subset_params())
def sv(request):
    return request.param


def test_bt_from_core(sv, workdir):
    """The same Python frames from a core file: the snapshot reads through
    GDB's memory, the frame filter is unchanged."""
    t = support.start_target(sv, workdir)
    try:
        t.wait_ready()
        t.wait_parked()
        expected = expected_by_tid(t)
        core = os.path.join(workdir, "ff-%s.core" % sv.id)
        run = gdb_support.run_gdb(QUIET + ["-p", str(t.pid), "-ex",
                                           "gcore %s" % core],
                                  workdir=workdir, ext=False)
        assert os.path.exists(core), run
        gdb_support.after_session(t)
    finally:
        t.kill()
    exe = os.path.realpath(t.argv[0])
    try:
        run = gdb_support.run_gdb(
            QUIET + [exe, core,
                     "-ex", "echo %s\\n" % MARKS[0],
                     "-ex", "thread apply all bt",
                     "-ex", "echo %s\\n" % MARKS[1],
                     "-ex", "disable frame-filter global pyxray",
                     "-ex", "thread apply all bt",
                     "-ex", "echo %s\\n" % MARKS[2],
                     "-ex", "echo %s\\n" % MARKS[3]], workdir=workdir)
    finally:
        os.unlink(core)
    got = sections(run.out)
    check_filtered(split_threads(got[MARKS[0]]),
                   split_threads(got[MARKS[1]]), expected, sv.version)


# ------------------------------------------------------------------ no Python

def test_native_program_untouched(workdir):
    """In a program without Python the filter takes no snapshot and changes
    nothing: same frames with and without it, no error."""
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        run = gdb_support.run_gdb(
            QUIET + ["-p", str(sleeper.pid),
                     "-ex", "echo %s\\n" % MARKS[0], "-ex", "bt",
                     "-ex", "echo %s\\n" % MARKS[1],
                     "-ex", "disable frame-filter global pyxray",
                     "-ex", "bt", "-ex", "echo %s\\n" % MARKS[2],
                     "-ex", "echo %s\\n" % MARKS[3]], workdir=workdir)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
    got = sections(run.out)
    a = Backtrace(got[MARKS[0]].splitlines())
    b = Backtrace(got[MARKS[1]].splitlines())
    assert a.levels and a.levels == b.levels and a.names == b.names, run
    assert "Python" not in run.err, run
