# SPDX-License-Identifier: MIT
"""What the report says and how, on real interpreters (issue 7): bytes a
target controls never reach the terminal raw; deep stacks keep both ends;
threads of a pre-fork server belong to the process shown; thread states;
source lines; colour and short paths."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

import required
import support
from support import run_pyxray

TARGET = os.path.join(support.PROGRAMS, "report_target.py")
GDB_EXT = os.path.join(support.SRCDIR, "gdbext", "pyxray-gdb.py")

# The interpreters each test runs under: every base version and the
# distribution's, once each.
PYTHONS = [v for v in support.VARIANTS if v.kind in ("base", "distro")]


def python_params(min_version=(3, 6)):
    out = []
    for v in PYTHONS:
        marks = []
        if v.absent:
            marks.append(pytest.mark.skip(reason=v.absent))
        elif v.version < min_version:
            continue
        out.append(pytest.param(v, id=v.id, marks=marks))
    return out


class Running(object):
    """report_target.py in one mode, parked until closed."""

    def __init__(self, variant, mode, *args, cwd=None, argv_extra=()):
        self.variant = variant
        argv = [variant.interp.exe, TARGET, mode] + [str(a) for a in args]
        argv += list(argv_extra)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.pid = self.proc.pid
        self.info = self._ready()

    def settle(self, running=0, timeout=30):
        """Waits until at most `running` threads are not blocked in the
        kernel (the target says it is ready just before it parks)."""
        deadline = time.time() + timeout
        while True:
            busy = 0
            for tid in os.listdir("/proc/%d/task" % self.pid):
                try:
                    with open("/proc/%d/task/%s/syscall" % (self.pid, tid)) as f:
                        busy += f.read().startswith("running")
                except OSError:
                    pass
            if busy <= running:
                return
            if time.time() > deadline:
                raise AssertionError("%s: %d threads still running" % (self.variant, busy))
            time.sleep(0.01)

    def _ready(self, timeout=support.READY_TIMEOUT):
        deadline = time.time() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.time()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                self.close()
                raise AssertionError("%s: not ready; stderr %s" % (
                    self.variant, self.proc.stderr.read()[-2000:]))
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError("%s: exited %s; stderr %s" % (
                    self.variant, self.proc.wait(), self.proc.stderr.read()[-2000:]))
            buf += chunk
        line = buf.split(b"\n", 1)[0].decode()
        assert line.startswith("ready "), line
        return json.loads(line[6:])

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def running():
    started = []

    def start(*a, **kw):
        r = Running(*a, **kw)
        started.append(r)
        return r
    yield start
    for r in started:
        r.close()


def terminal_safe(text):
    """No byte a terminal acts on: only \\n and \\t below 0x20, no DEL, no C1
    control and no bidirectional override, and valid UTF-8."""
    for i, ch in enumerate(text):
        o = ord(ch)
        bad = (o < 0x20 and ch not in "\n\t") or o == 0x7f or 0x80 <= o <= 0x9f \
            or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069 or ch == "\ufffd"
        assert not bad, "raw U+%04X at %d: %r" % (o, i, text[max(0, i - 60):i + 20])


def run(pyxray_bin, *args, env=None, **kw):
    argv = [pyxray_bin] + [str(a) for a in args]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120, env=env, **kw)
    return proc


EVIL_ESCAPED = r"\x1b[31mred\x07bell\x0dcr\u{009b}csi\u{202e}evil"
# The same inside a repr: escaped as Python's repr escapes a str, type names
# included (a repr is one piece of Python-style text).
EVIL_IN_REPR = r"\x1b[31mred\x07bell\rcr\x9bcsi\u202eevil"


# ---------------------------------------------------------------- escaping

@pytest.mark.parametrize("py", python_params((3, 8)))
def test_hostile_names_escaped(py, running, pyxray_bin):
    """ESC, BEL, CR, C1, a bidi override, invalid UTF-8 and 10 MB strings in
    argv, the role, thread names, file, function and local names, values
    and type names: escaped in text (dump, --locals, ps), exact or U+FFFD in
    JSON, and bounded in length."""
    huge_arg = "y" * (100 << 10)
    t = running(py, "hostile",
                argv_extra=["arg\x1b]0;title\x07", "\udcffbyte", huge_arg])
    for args in (["dump"], ["dump", "--locals"], ["ps"]):
        p = run(pyxray_bin, *(args + [t.pid]))
        assert p.returncode == 0, p
        raw = p.stdout
        text = raw.decode("utf-8")  # valid UTF-8, or this raises
        terminal_safe(text)
        assert "role" + EVIL_ESCAPED in text, args
        assert r"arg\x1b]0;title\x07" in text, args
        assert r"\xffbyte" in text, args
        if args[0] == "dump":
            assert "thread" + EVIL_ESCAPED in text
            assert "file" + EVIL_ESCAPED + ".py:3" in text
            name = "qual" if py.version >= (3, 11) else "func"
            assert name + EVIL_ESCAPED in text
            # A 10 MB thread name is cut at the string limit.
            assert max(len(l) for l in text.splitlines()) < 200 << 10
        if "--locals" in args:
            assert "arg" + EVIL_ESCAPED + " = " in text
            assert "<Type" + EVIL_IN_REPR + " object at 0x" in text
    doc = json.loads(run(pyxray_bin, "dump", "--json", "--locals", t.pid).stdout)
    (proc,) = doc["processes"]
    evil = t.info["evil"]
    assert proc["role"] == "role" + evil
    assert proc["argv"][-3:-1] == ["arg\x1b]0;title\x07", "\ufffdbyte"]
    names = [th["name"] for th in proc["interpreters"][0]["threads"]]
    assert "thread" + evil in names
    assert any(n and n.startswith("xxxx") and len(n) <= 1024 for n in names)
    frames = [f for th in proc["interpreters"][0]["threads"] for f in th["frames"]]
    assert any(f["file"] == "file" + evil + ".py" for f in frames)


@pytest.mark.parametrize("py", python_params((3, 11)))
def test_hostile_names_escaped_in_gdb(py, running):
    t = running(py, "hostile")
    p = subprocess.run(["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off",
                        "-x", GDB_EXT, "-p", str(t.pid), "-ex", "py-bt-all",
                        "-ex", "py-bt-all --locals"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    # GDB's own lines (its thread list names threads by their OS names,
    # which the target sets) are not ours: the report starts at "Process".
    text = p.stdout.decode("utf-8")
    report = text[text.index("Process "):] if "Process " in text else text
    terminal_safe(report)
    assert "thread" + EVIL_ESCAPED in report, report[-3000:]
    assert "file" + EVIL_ESCAPED + ".py" in report


# ---------------------------------------------------------------- deep stacks

DEEP = 20000


@pytest.mark.parametrize("py", python_params())
def test_deep_stack_keeps_both_ends(py, running, pyxray_bin):
    t = running(py, "deep", DEEP)
    t.settle()
    p = run(pyxray_bin, "dump", t.pid)
    assert p.returncode == 0, p
    text = p.stdout.decode()
    block = text[text.index('"deep"'):]
    lines = block.splitlines()
    frames = [l for l in lines if re.match(r"^    \S", l)]
    # The innermost end: park, then recurse folded; the outermost: the
    # thread's bootstrap frames.
    assert frames[0].startswith("    park ")
    assert any("[Previous frame repeated" in l for l in lines), block[:2000]
    gap = [l for l in lines if "frames left out here" in l]
    assert len(gap) == 1, block[:3000]
    assert "--max-frames N shows more" in gap[0]
    assert "_bootstrap" in frames[-1], frames[-3:]
    assert "stack cut here" not in block
    doc = json.loads(run(pyxray_bin, "dump", "--json", t.pid).stdout)
    th = [x for x in doc["processes"][0]["interpreters"][0]["threads"]
          if x["name"] == "deep"][0]
    assert len(th["frames"]) == 4096
    assert th["omitted_at"] == 2048
    total = len(th["frames"]) + th["omitted"]
    assert DEEP + 1 < total < DEEP + 10, total
    assert th["frames"][-1]["function"] == "_bootstrap"
    # Enough room: every frame, nothing left out.
    doc = json.loads(run(pyxray_bin, "dump", "--json", "--max-frames", 30000,
                         t.pid).stdout)
    th = [x for x in doc["processes"][0]["interpreters"][0]["threads"]
          if x["name"] == "deep"][0]
    assert th["omitted"] == 0 and len(th["frames"]) == total


# ---------------------------------------------------------------- pre-fork

@pytest.mark.parametrize("py", python_params((3, 7)))
def test_prefork_threads_belong_to_their_process(py, running, pyxray_bin):
    """A master with a thread forks one worker from its main thread and one
    from another thread; each worker starts two threads. Every thread shown
    is one of its process's threads, the forking thread is each worker's
    main thread, and no thread is lost."""
    t = running(py, "prefork")
    t.settle()
    doc = json.loads(run(pyxray_bin, "dump", "--json", "--children", t.pid).stdout)
    procs = {p["pid"]: p for p in doc["processes"]}
    workers = {w["pid"]: w for w in t.info["workers"]}
    assert set(workers) <= set(procs), (workers, list(procs))
    for pid, p in procs.items():
        tasks = {int(x) for x in os.listdir("/proc/%d/task" % pid)}
        threads = [th for i in p["interpreters"] for th in i["threads"]]
        for th in threads:
            assert th["tid"] in tasks, (pid, th["name"], th["tid"], tasks)
        if pid in workers:
            by_name = {th["name"]: th["tid"] for th in threads}
            tag = workers[pid]["tag"]
            assert by_name.get("%s-t0" % tag) in tasks
            assert by_name.get("%s-t1" % tag) in tasks
            # The thread that forked is the worker's main thread now.
            assert pid in [th["tid"] for th in threads], (pid, threads)


# ---------------------------------------------------------------- thread state

@pytest.mark.parametrize("py", python_params((3, 7)))
def test_thread_in_garbage_collector(py, running, pyxray_bin):
    """A finalizer spinning in pure Python inside gc.collect(): the thread
    holds the GIL, runs, and is in the garbage collector; after it, not."""
    t = running(py, "gc")
    t.settle(running=1)
    try:
        # Until the spinner is past ready()'s write, back in Python.
        for _ in range(200):
            doc = json.loads(run(pyxray_bin, "dump", "--json", t.pid).stdout)
            (th,) = doc["processes"][0]["interpreters"][0]["threads"]
            if th["frames"][0]["qualname"].endswith("__del__"):
                break
            time.sleep(0.01)
        assert doc["processes"][0]["interpreters"][0]["gc_collecting"] is True
        assert th["in_gc"] is True, th
        assert th["holds_gil"] and th["state"] == "running", th
        assert th["frames"][0]["qualname"].endswith("__del__")
        text = run(pyxray_bin, "dump", t.pid).stdout.decode()
        assert "in the garbage collector" in text
    finally:
        os.kill(t.pid, signal.SIGUSR1)
    t.settle()
    doc = json.loads(run(pyxray_bin, "dump", "--json", t.pid).stdout)
    (th,) = doc["processes"][0]["interpreters"][0]["threads"]
    assert th["in_gc"] is False


@pytest.mark.parametrize("py", python_params((3, 8))[:1] + python_params((3, 13))[:1])
def test_idle_threads_name_their_system_call(py, running, pyxray_bin):
    t = running(py, "prefork")
    t.settle()
    for args in (["--json"], ["--json", "--nonblocking"]):
        doc = json.loads(run(pyxray_bin, "dump", *args, t.pid).stdout)
        threads = doc["processes"][0]["interpreters"][0]["threads"]
        for th in threads:
            assert th["state"] == "idle" and th["syscall"] == "read", th


# ---------------------------------------------------------------- source lines

@pytest.mark.parametrize("py", python_params((3, 8))[:2])
def test_source_lines(py, running, pyxray_bin, tmp_path):
    (tmp_path / "rel").mkdir()
    (tmp_path / "rel" / "mod.py").write_text(
        "def main():\n    ready()\n    park()  # parked here\n")
    t = running(py, "relative", cwd=str(tmp_path))
    t.settle()
    text = run(pyxray_bin, "dump", t.pid).stdout.decode()
    lines = text.splitlines()
    i = lines.index("    main (rel/mod.py:3)")
    assert lines[i + 1] == "        park()  # parked here", lines[i:i + 3]
    text = run(pyxray_bin, "dump", "--no-source", t.pid).stdout.decode()
    lines = text.splitlines()
    i = lines.index("    main (rel/mod.py:3)")
    assert not lines[i + 1].startswith("        "), lines[i:i + 3]
    # --locals: arguments apart from locals
    text = run(pyxray_bin, "dump", "--locals", "--no-source", t.pid).stdout.decode()
    assert "        Arguments:\n            self = <Thread object" not in text  # main thread
    assert "        Locals:\n" in text


# ---------------------------------------------------------------- colour

def run_on_pty(argv, env):
    """argv's output as a terminal sees it."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


@pytest.mark.parametrize("py", python_params((3, 11))[:1])
def test_colour(py, running, pyxray_bin):
    t = running(py, "prefork")
    t.settle()
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    assert "\x1b[" in run(pyxray_bin, "dump", "--color=always", t.pid).stdout.decode()
    assert "\x1b[" not in run(pyxray_bin, "dump", t.pid, env=env).stdout.decode()
    assert "\x1b[" not in run(pyxray_bin, "dump", "--color=auto", t.pid,
                              env=env).stdout.decode()
    assert "\x1b[1;33m" in run_on_pty([pyxray_bin, "dump", str(t.pid)], env)
    env["NO_COLOR"] = "1"
    assert "\x1b[" not in run_on_pty([pyxray_bin, "dump", str(t.pid)], env)
    assert "\x1b[" in run_on_pty([pyxray_bin, "dump", "--color=always", str(t.pid)], env)
    p = run(pyxray_bin, "dump", "--color=sometimes", t.pid)
    assert p.returncode == 2
    assert p.stderr.decode().startswith("pyxray: --color takes auto, always or never")


@pytest.mark.parametrize("py", python_params((3, 11))[:1])
def test_short_paths(py, running, pyxray_bin):
    t = running(py, "prefork")
    t.settle()
    text = run(pyxray_bin, "dump", "--short-paths", t.pid,
               cwd=support.PROGRAMS).stdout.decode()
    frames = [l for l in text.splitlines() if re.match(r"^    \S", l)]
    assert "    park (report_target.py:36)" in frames, text
    assert not [l for l in frames if support.PROGRAMS in l], frames
    full = run(pyxray_bin, "dump", t.pid, cwd=support.PROGRAMS).stdout.decode()
    assert "    park (%s:" % TARGET in full


# ---------------------------------------------------------------- limits

def measured(argv):
    """(exit status, stdout, seconds, peak RSS in KiB) of argv."""
    start = time.time()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out, time.time() - start, usage.ru_maxrss


@pytest.mark.parametrize("py", python_params((3, 11)))
def test_hundred_thousand_frames_bounded(py, running, pyxray_bin):
    """A 100,000-frame recursion (3.11+: Python calls need no C stack) dumps
    in bounded time and memory, text and JSON, both ends kept."""
    t = running(py, "deep", 100000)
    t.settle()
    for fmt in ([], ["--json"]):
        rc, out, secs, rss = measured([pyxray_bin, "dump"] + fmt + [str(t.pid)])
        assert rc == 0, out[-2000:]
        assert secs < 10, secs
        assert rss < 200 * 1024, rss
    text = out.decode()
    doc = json.loads(text)
    th = [x for x in doc["processes"][0]["interpreters"][0]["threads"]
          if x["name"] == "deep"][0]
    assert 100000 < len(th["frames"]) + th["omitted"] < 100010
    assert th["frames"][-1]["function"] == "_bootstrap"


@pytest.mark.parametrize("vid", ["3.9", "3.10"])
def test_hostile_sys_version(pyxray_bin, vid):
    """Before 3.11 the patch level comes from sys.version, which a program
    can replace: one that is not a version is not shown (its ESC reached
    the terminal in the report's header and in ps)."""
    v = [v for v in support.VARIANTS if v.id == vid][0]
    if v.absent:
        required.absent(vid + ": " + v.absent)
    # (built so that the command line itself, which ps shows, holds none of it)
    code = ("import os, sys; sys.version = '%s.9' + '9' + chr(27) + '[31mE' + 'VIL ' + "
            "sys.version; print('R', flush=True); os.read(0, 1)" % vid)
    p = subprocess.Popen([v.interp.exe, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"R\n"
        for cmd in ("dump", "ps"):
            res = run_pyxray(pyxray_bin, cmd, p.pid)
            assert res.rc == 0, res
            assert "\x1b" not in res.out and "EVIL" not in res.out, res
            assert "%s.99" % vid not in res.out and vid in res.out, res
    finally:
        p.kill()
        p.wait()
