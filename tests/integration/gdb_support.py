# SPDX-License-Identifier: MIT
"""Helpers for the GDB extension tests (test_gdb_*.py): run gdb with the
extension loaded from the build tree, drive a list of commands through one
session, and start the targets.

One gdb session per target: a driver script (DRIVER, run inside gdb) executes
the steps with gdb.execute(..., to_string=True) and records, per step, the
output or the error message, so one attach serves many assertions. Raw
command lines (-ex) are used where what the terminal sees matters: error
text on stderr, the exit status, help.
"""
import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import required
import support

EXT = os.path.join(support.SRCDIR, "gdbext", "pyxray-gdb.py")
GDB_TARGET = os.path.join(support.PROGRAMS, "gdb_target.py")
GDB_TIMEOUT = 180  # seconds for one session; sanitizer builds are slow

# A representative subset for the commands that do not depend much on the
# layout: oldest, the last pre-3.11 frame model, each 3.11+ model, the
# distribution build, and every extra (3.14+) interpreter.
SUBSET = ("3.6", "3.10", "3.11", "3.12", "3.13")

# What must never reach the user from a command: a Python traceback or a
# crash of gdb itself.
# (GDB's own crash says "Fatal signal: Segmentation fault"; a core of a
# segfault it loads says "Program terminated with signal SIGSEGV,
# Segmentation fault.", which is no crash.)
CRASH_MARKERS = ("Traceback (most recent call last)", "Python Exception",
                 "Error occurred in Python", "Fatal signal: Segmentation fault",
                 "internal-error", "A problem internal to GDB",
                 "AddressSanitizer", "runtime error:")

DRIVER = r'''
import atexit
import json
import os

import gdb


def _switch_lwp(lwp):
    for inf in gdb.inferiors():
        for th in inf.threads():
            if th.ptid[1] == lwp or (th.ptid[1] == 0 and th.ptid[0] == lwp):
                th.switch()
                return "[thread %d.%d]" % (inf.num, th.num)
    raise gdb.GdbError("test driver: no thread with LWP %d" % lwp)


def _run(steps, out_path):
    results = []
    for kind, arg in steps:
        res = {"kind": kind, "arg": arg}
        try:
            if kind == "cmd":
                res["out"] = gdb.execute(arg, to_string=True)
            elif kind == "lwp":
                res["out"] = _switch_lwp(arg)
            elif kind == "eval":
                res["out"] = repr(eval(arg))
            else:
                res["error"] = "test driver: unknown step %r" % kind
        except gdb.error as e:
            res["error"] = str(e)
        except Exception as e:  # the driver reports; the test decides
            res["exception"] = "%s: %s" % (type(e).__name__, e)
        results.append(res)
        with open(out_path + ".tmp", "w") as f:
            json.dump(results, f)
        os.rename(out_path + ".tmp", out_path)


_run(json.load(open(os.environ["PYXRAY_GDB_STEPS"])),
     os.environ["PYXRAY_GDB_RESULTS"])
'''


def gdb_path():
    """gdb with Python (required)."""
    gdb = required.tool("gdb")
    probe = subprocess.run([gdb, "-batch", "-nx", "-ex", "python print(1+1)"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    if probe.stdout.decode().strip() != "2":
        required.absent("gdb has no Python support: %s"
                    % probe.stderr.decode().strip())
    return gdb


def ext_path():
    if not os.path.exists(EXT):
        pytest.fail("the GDB extension %s is missing (not written yet?)" % EXT)
    return EXT


def gdb_env(extra=None):
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # A VPATH build (make distcheck): the library is in the build tree, not
    # next to the sources the extension is loaded from.
    builddir = os.environ.get("PYXRAY_BUILDDIR")
    lib = builddir and os.path.join(builddir, ".libs", "libpyxray.so")
    vpath = builddir and \
        os.path.realpath(builddir) != os.path.realpath(support.SRCDIR)
    if vpath and os.path.exists(lib) and "PYXRAY_LIBRARY" not in env:
        env["PYXRAY_LIBRARY"] = lib
    if extra:
        env.update(extra)
    return env


_INDEX_CACHE = []


def quiet_args():
    """-iex options that only make gdb faster and hermetic: no debuginfod
    downloads, and an index cache shared by the session's gdb runs (reading
    a pyenv libpython's DWARF dominates an attach)."""
    if not _INDEX_CACHE:
        _INDEX_CACHE.append(tempfile.mkdtemp(prefix="pyxray-gdb-index-"))
        atexit.register(shutil.rmtree, _INDEX_CACHE[0], True)
    return ["-iex", "set debuginfod enabled off",
            "-iex", "set index-cache directory %s" % _INDEX_CACHE[0],
            "-iex", "set index-cache enabled on"]


class GdbRun(object):
    """One gdb process: argv, exit status, stdout, stderr, and the results
    of the driver's steps (list of {"kind", "arg", "out" | "error"})."""

    def __init__(self, argv, rc, out, err, steps=None):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self.steps = steps or []

    def __repr__(self):
        return "<gdb %s: rc=%s\nstdout:\n%s\nstderr:\n%s>" % (
            " ".join(self.argv[1:]), self.rc, self.out[-6000:],
            self.err[-4000:])

    def step(self, i):
        return self.steps[i]


def run_gdb(args, steps=None, workdir=None, timeout=GDB_TIMEOUT, env=None,
            ext=True, stdin=subprocess.DEVNULL, batch=True):
    """gdb [-batch] -nx [-x EXT] ARGS, then the steps through DRIVER.

    args: the target part (-p PID, EXE CORE, -ex ..., --args ...); the
    driver runs after every -ex in args (gdb runs -x/-ex in order)."""
    gdb = gdb_path()
    argv = [gdb] + (["-batch"] if batch else []) + ["-nx"] + quiet_args()
    if ext:
        argv += ["-x", ext_path()]
    genv = gdb_env(env)
    res_path = None
    tail = []
    if steps is not None:
        wd = workdir or tempfile.mkdtemp(prefix="pyxray-gdb-")
        fd, steps_path = tempfile.mkstemp(prefix="steps-", suffix=".json",
                                          dir=wd)
        with os.fdopen(fd, "w") as f:
            json.dump(steps, f)
        res_path = steps_path[:-len(".json")] + ".results.json"
        drv = os.path.join(wd, "gdb_driver.py")
        if not os.path.exists(drv):
            with open(drv, "w") as f:
                f.write(DRIVER)
        genv["PYXRAY_GDB_STEPS"] = steps_path
        genv["PYXRAY_GDB_RESULTS"] = res_path
        tail = ["-x", drv]
    # --args must come last: everything after it is the program's.
    if "--args" in args:
        i = args.index("--args")
        argv += list(args[:i]) + tail + list(args[i:])
    else:
        argv += list(args) + tail
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=stdin,
                              timeout=timeout, env=genv)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("gdb timed out after %ss: %s\n%s" % (
            timeout, " ".join(argv), (e.stdout or b"")[-4000:]))
    run = GdbRun(argv, proc.returncode,
                 proc.stdout.decode("utf-8", "replace"),
                 proc.stderr.decode("utf-8", "replace"))
    if res_path is not None:
        try:
            with open(res_path) as f:
                run.steps = json.load(f)
        except (IOError, OSError, ValueError):
            run.steps = []
        assert len(run.steps) == len(steps), (
            "the driver ran %d of %d steps" % (len(run.steps), len(steps)),
            run)
    assert_gdb_sane(run)
    return run


def assert_gdb_sane(run):
    """gdb exited normally, and nothing printed a traceback or crashed."""
    assert run.rc is not None and 0 <= run.rc < 128, run
    for bad in CRASH_MARKERS:
        assert bad not in run.out and bad not in run.err, (bad, run)
    for s in run.steps:
        assert "exception" not in s, (s, run)
        for bad in CRASH_MARKERS:
            assert bad not in s.get("out", "") and \
                bad not in s.get("error", ""), (bad, s)


def out_of(step):
    """The output of a step that must have succeeded."""
    assert "error" not in step and "exception" not in step, step
    return step["out"]


def error_of(step):
    """The message of a step that must have failed: one line, no traceback."""
    assert "error" in step, ("expected an error", step)
    msg = step["error"]
    assert msg.strip(), step
    assert len(msg.strip().splitlines()) == 1, ("multi-line error", step)
    return msg


def out_or_error(step):
    """What a step printed or failed with, for checks of content only."""
    assert "exception" not in step, step
    return step.get("out", "") + step.get("error", "")


class Session(object):
    """Builds the step list of one gdb session and indexes its results."""

    def __init__(self):
        self.steps = []
        self.keys = {}
        self.run = None

    def add(self, key, kind, arg):
        assert key not in self.keys, key
        self.keys[key] = len(self.steps)
        self.steps.append([kind, arg])

    def cmd(self, key, command):
        self.add(key, "cmd", command)

    def lwp(self, key, tid):
        self.add(key, "lwp", tid)

    def __getitem__(self, key):
        assert self.run is not None, "session not run"
        return self.run.steps[self.keys[key]]

    def out(self, key):
        return out_of(self[key])

    def error(self, key):
        return error_of(self[key])

    def execute(self, args, workdir, **kw):
        self.run = run_gdb(args, self.steps, workdir, **kw)
        return self.run


# ---------------------------------------------------------------- variants

def subset_params():
    """pytest params: the SUBSET variants, distribution pythons and 3.14+
    extras (absent ones fail at setup: conftest)."""
    return support.variant_params(
        lambda v: v.id in SUBSET or v.kind == "distro"
        or (v.kind == "base" and v.version >= (3, 14)))


def start_program(variant, workdir, script, extra_args=(), extra_env=None):
    """Like support.start_target, for another script of tests/programs
    (support.TARGET too, when extra_env is needed)."""
    argv, variant_env, lib = support.prepare(variant, workdir)
    assert argv[-1] == support.TARGET, argv
    argv = argv[:-1] + [script] + list(extra_args)
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(variant_env)
    env.update(extra_env or {})
    fd, stderr_path = tempfile.mkstemp(prefix="target-", suffix=".err",
                                       dir=workdir)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=fd, env=env,
                                cwd=workdir)
    finally:
        os.close(fd)
    t = support.Target(variant, argv, env, proc)
    t.stderr_path = stderr_path
    t.expected_lib = lib
    return t


def program_argv(variant, workdir, script, extra_args=()):
    """(argv, env) to run script under variant from a debugger."""
    argv, extra_env, _ = support.prepare(variant, workdir)
    assert argv[-1] == support.TARGET, argv
    env = {}
    env.update(extra_env)
    return argv[:-1] + [script] + list(extra_args), env


def after_session(t):
    """A live target after gdb is gone: running, untraced, answering."""
    deadline = time.time() + 10
    # gdb's detach is synchronous, but the kernel may show the tracer for
    # a moment after gdb exits on a loaded machine.
    while True:
        try:
            support.assert_not_stopped(t.pid)
            break
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.01)
    assert t.proc.poll() is None, "target died during the gdb session"
    t.ping()
    support.assert_not_stopped(t.pid)


# ---------------------------------------------------------------- expectations

def text_lines(text):
    """Lines of a text report, without trailing blank lines."""
    return text.rstrip("\n").split("\n")


# What a thread header says a thread was doing: "(holds the GIL, idle in
# read)". Who holds the GIL, and what a thread waits for, may differ between
# two reads of a running process.
THREAD_STATE = re.compile(
    r" \((?:(?:crashed|holds the GIL|in the garbage collector|running|stopped"
    r"|idle(?: in \w+)?)(?:, )?)+\)")


def without_gil(text):
    """A report without the thread states of its thread headers."""
    return THREAD_STATE.sub("", text)


def source_line(path, line):
    with open(path) as f:
        for i, text in enumerate(f, 1):
            if i == line:
                return text.strip()
    return None


def traceback_text(frames, with_source=True):
    """The lines python-gdb.py-style py-bt must print for frames."""
    lines = ["Traceback (most recent call first):"]
    for f in frames:
        lines.append('  File "%s", line %d, in %s' % (f["file"], f["line"],
                                                      f["qualname"]))
        src = source_line(f["file"], f["line"]) if with_source and \
            os.path.exists(f["file"]) else None
        if src:
            lines.append("    " + src)
    return lines


def traceback_frames(text):
    """[(file, line, qualname)] of the File lines of a traceback."""
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in
            re.finditer(r'^  File "(.*)", line (\d+), in (.*)$', text, re.M)]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def check_stacks(p, t):
    """The interpreters, threads and frames of process entry p (JSON, as in
    docs/json.md) against threads_target t; the process fields that do not
    depend on how it was read (pid, version). Returns the GIL holders."""
    rep = t.report
    assert p["pid"] == t.pid, p
    assert "error" not in p, p
    if rep["releaselevel"] == "final":
        assert p["python_version"] == rep["version"], p
    else:
        assert p["python_version"].startswith(rep["version"]), p
    exp = support.expected_stacks(t)
    threads = rep["threads"]
    interps = p["interpreters"]
    assert len(interps) == (2 if exp["sub"] else 1), interps
    main = [i for i in interps if i["main"]]
    assert len(main) == 1 and main[0]["id"] == 0, interps
    got = {}
    for th in main[0]["threads"]:
        assert th["name"] not in got, ("duplicate thread", th)
        got[th["name"]] = th
    assert sorted(got) == sorted(exp["main"]), sorted(got)
    for name, frames in exp["main"].items():
        th = got[name]
        r = threads["subinterp" if name == "subinterp-host" else name]
        assert th["tid"] == r["tid"], (name, th["tid"], r["tid"])
        assert th["thread_id"] == r["ident"], name
        assert "truncated" not in th, th
        assert support.frames_of(th) == frames, name
    if exp["sub"]:
        sub = [i for i in interps if not i["main"]][0]
        live = [th for th in sub["threads"] if th["frames"]]
        assert len(live) == 1, sub["threads"]
        assert live[0]["tid"] == threads["subinterp"]["tid"]
        assert support.frames_of(live[0]) == exp["sub"]
    holders = [(i["id"], th["name"]) for i in interps for th in i["threads"]
               if th["holds_gil"]]
    assert len(holders) <= 1, holders
    assert all(h == (0, "spinner") for h in holders), holders
    return holders


def thread_blocks(text):
    """{(tid, name): [frame lines]} of a text report, GIL marks dropped."""
    return {(b[0], b[1]): b[3] for b in support.parse_text(without_gil(text))}
