# SPDX-License-Identifier: MIT
"""Arming a running process (docs/stub.md): `pyxray arm` through GDB, or
through sys.remote_exec on CPython 3.14+ (with the fall back to GDB when
the main thread never reaches the interpreter's safe point), `pyxray
disarm`, and GDB's py-inject. An armed process's own output and exit
status are those of an unarmed run, it leaves a dump when it crashes
later, and the children it forks after arming are armed too.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import required
import support
from support import run_pyxray
from test_stub import STUB_APP, params, stub_lib, wait_dump

ARM_TIMEOUT = 180
BASE = [v for v in support.VARIANTS if v.kind in ("base", "distro")]
GDB_INIT = os.path.join(support.SRCDIR, "gdbext", "pyxray-gdb.py")


def pep768(var):
    return var.version >= (3, 14)


@pytest.fixture
def dump_dir(workdir):
    return tempfile.mkdtemp(prefix="armed-", dir=workdir)


@pytest.fixture(autouse=True)
def stub_path_env(monkeypatch):
    monkeypatch.setenv("PYXRAY_STUB", stub_lib())


def serve(var, workdir, *args):
    t = support.start_target(var, workdir, script=STUB_APP, extra_args=["serve"] + list(args))
    t.wait_ready()
    return t


def send(t, line):
    t.proc.stdin.write(line.encode() + b"\n")
    t.proc.stdin.flush()


def finish(t, timeout=60):
    """(exit status, stdout after READY, stderr) once it ends."""
    rc = t.proc.wait(timeout)
    rest = t._buf + t.proc.stdout.read()
    return rc, rest.decode("utf-8", "replace"), t.stderr()


def arm(pyxray_bin, pid, *opts):
    return run_pyxray(pyxray_bin, "arm", *(list(opts) + [pid]), timeout=ARM_TIMEOUT)


def caught(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^SigCgt:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)


def bit(sig):
    return 1 << (sig - 1)


@pytest.mark.parametrize("var", params(BASE))
def test_armed_output_unchanged_and_crash_dumped(var, workdir, pyxray_bin, dump_dir):
    """The same commands with and without arming: the same output, the same
    exit by SIGSEGV; armed, the crash leaves its dump."""
    t0 = serve(var, workdir)
    try:
        for cmd in ("say one", "say two", "crash"):
            send(t0, cmd)
        plain = finish(t0)
    finally:
        t0.kill()
    assert plain[0] == -signal.SIGSEGV, plain

    t = serve(var, workdir)
    try:
        res = arm(pyxray_bin, t.pid, "--dir", dump_dir)
        assert res.rc == 0, res
        how = ("sys.remote_exec (PEP 768: the interpreter's own safe point)"
               if pep768(var) else "GDB (a call at a safe point)")
        assert res.out == ("pyxray: armed pid %d through %s: SIGILL, SIGABRT, SIGBUS, SIGFPE, "
                           "SIGSEGV, SIGUSR2 dump to %s/pyxray-%d.txt\n"
                           % (t.pid, how, os.path.realpath(dump_dir), t.pid)), res
        assert res.err == "", res
        support.assert_not_stopped(t.pid)
        assert caught(t.pid) & bit(signal.SIGSEGV) and caught(t.pid) & bit(signal.SIGUSR2)
        for cmd in ("say one", "say two", "crash"):
            send(t, cmd)
        armed = finish(t)
    finally:
        t.kill()
    assert armed == plain, (plain, armed)
    text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid))
    assert "Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x0 in thread %d" % t.pid in text
    blocks = support.parse_text(text)
    assert "crashed" in blocks[0][2], text
    assert [f[0] for f in blocks[0][3]][:3] == ["string_at", "crash_here", "serve"], text


@pytest.mark.parametrize("var", params([v for v in BASE if v.version < (3, 14)][-1:] +
                                       [v for v in BASE if v.version >= (3, 14)][:1]))
def test_forked_children_and_disarm(var, workdir, pyxray_bin, dump_dir):
    """A child forked after arming is armed; disarm gives SIGUSR2 back to
    its default action (which then ends the process, as before arming)."""
    t = serve(var, workdir)
    try:
        before = caught(t.pid)
        res = arm(pyxray_bin, t.pid, "--on", "usr2", "--dir", dump_dir)
        assert res.rc == 0, res
        send(t, "fork")
        line = t.readline(30)
        assert line.startswith("CHILD "), line
        child = int(line.split()[1])
        in_read(child)
        os.kill(child, signal.SIGUSR2)
        text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % child))
        assert re.search(r"^    child_park \(", text, re.M), text
        res = run_pyxray(pyxray_bin, "disarm", t.pid, timeout=ARM_TIMEOUT)
        assert res.rc == 0 and res.out.startswith("pyxray: disarmed pid %d" % t.pid), res
        support.assert_not_stopped(t.pid)
        assert caught(t.pid) == before, (hex(caught(t.pid)), hex(before))
        os.kill(t.pid, signal.SIGUSR2)
        assert t.proc.wait(30) == -signal.SIGUSR2
        assert not os.path.exists(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid))
        os.kill(child, signal.SIGKILL)
    finally:
        t.kill()


@pytest.mark.parametrize("var", params([v for v in BASE if v.version < (3, 14)][-1:]))
def test_existing_handler_warned_chained_and_later_ones_win(var, workdir, pyxray_bin,
                                                            dump_dir):
    """A handler there before arming: `pyxray arm` warns, the stub dumps and
    then calls it. One installed after arming takes the signal alone."""
    t = serve(var, workdir, "--handle-usr2")
    try:
        res = arm(pyxray_bin, t.pid, "--on", "usr2", "--dir", dump_dir)
        assert res.rc == 0, res
        assert res.err == ("pyxray: warning: pid %d already handles SIGUSR2: the stub dumps "
                           "first, then calls that handler; a handler the program installs "
                           "after arming replaces the stub's\n" % t.pid), res
        path = os.path.join(dump_dir, "pyxray-%d.txt" % t.pid)
        os.kill(t.pid, signal.SIGUSR2)
        assert t.readline(30) == "python handler: SIGUSR2"
        assert wait_dump(path).startswith("Process %d" % t.pid)
        os.unlink(path)
        send(t, "handle")
        assert t.readline(30) == "handled"
        os.kill(t.pid, signal.SIGUSR2)
        # Python's handler runs after any C handler in front of it returned:
        # had the stub still been called, its file would be there by now.
        assert t.readline(30) == "python handler: SIGUSR2"
        assert not os.path.exists(path)
    finally:
        t.kill()


def in_read(pid):
    """Until pid's main thread blocks in read(2), of any descriptor."""
    deadline = time.time() + 30
    while True:
        try:
            with open("/proc/%d/syscall" % pid) as f:
                if f.read().split()[0] == str(support.SYS_READ):
                    return
        except (OSError, IndexError):
            pass
        assert time.time() < deadline, "pid %d never blocked in read" % pid
        time.sleep(0.01)


@pytest.mark.parametrize("var", params([v for v in BASE if v.version >= (3, 14)]))
def test_remote_exec_waits_then_gdb(var, workdir, pyxray_bin, dump_dir):
    """3.14+, main thread blocked in os.read(): sys.remote_exec's script
    cannot run, so `pyxray arm` says so and arms through GDB; the queued
    script runs once the main thread runs Python again, as a no-op that
    removes its directory and prints nothing."""
    before = set(glob.glob("/tmp/pyxray-arm-*"))
    t = serve(var, workdir, "--blocking")
    try:
        in_read(t.pid)
        res = arm(pyxray_bin, t.pid, "--dir", dump_dir)
        assert res.rc == 0, res
        assert res.err == ("pyxray: sys.remote_exec not used: its main thread did not reach "
                           "a safe point within 5 s (it is not running Python code); using "
                           "GDB\n"), res
        assert "through GDB (a call at a safe point)" in res.out, res
        support.assert_not_stopped(t.pid)
        left = set(glob.glob("/tmp/pyxray-arm-*")) - before
        assert len(left) == 1, left
        os.kill(t.pid, signal.SIGUSR2)
        text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid), t.proc)
        assert re.search(r"^    serve \(", text, re.M), text
        send(t, "ping")
        assert t.readline(30) == "pong"
        deadline = time.time() + 30
        while any(os.path.exists(d) for d in left):
            assert time.time() < deadline, left
            time.sleep(0.05)
        send(t, "exit 0")
        assert finish(t) == (0, "", "")
    finally:
        t.kill()


def gdb(pid, *commands):
    argv = ["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off", "-iex",
            "set auto-load off", "-x", GDB_INIT, "-p", str(pid)]
    for c in commands:
        argv += ["-ex", c]
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=ARM_TIMEOUT)
    return res.returncode, res.stdout.decode("utf-8", "replace")


@pytest.mark.parametrize("var", params([v for v in BASE if v.version < (3, 14)][-1:]))
def test_py_inject_in_gdb(var, workdir, dump_dir):
    """py-inject arms the inferior GDB holds, and disarms it."""
    t = serve(var, workdir)
    try:
        rc, out = gdb(t.pid, "py-inject --on usr1 --dir %s" % dump_dir)
        want = "pyxray: stub armed in process %d: dumps go to %s/pyxray-%d.txt" % (
            t.pid, dump_dir, t.pid)
        assert rc == 0 and want in out, out
        support.assert_not_stopped(t.pid)
        os.kill(t.pid, signal.SIGUSR1)
        assert "serve" in wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid), t.proc)
        rc, out = gdb(t.pid, "py-inject --disarm")
        assert rc == 0 and "pyxray: stub disarmed in process %d" % t.pid in out, out
        assert not caught(t.pid) & bit(signal.SIGUSR1)
        send(t, "say alive")
        assert t.readline(30) == "alive"
    finally:
        t.kill()


UNSAFE_C = r"""
#include <signal.h>
#include <unistd.h>
static void h(int s) { (void)s; write(1, "in handler\n", 11); for (;;) pause(); }
int main(void) { signal(SIGUSR1, h); raise(SIGUSR1); return 0; }
"""


def test_py_inject_refuses_an_unsafe_point(workdir):
    """Its only thread sits inside a signal handler: py-inject refuses,
    says where the thread is, and leaves the process as it was."""
    src = os.path.join(workdir, "in_handler.c")
    exe = os.path.join(workdir, "in_handler")
    with open(src, "w") as f:
        f.write(UNSAFE_C)
    subprocess.run(["cc", "-o", exe, src], check=True)
    p = subprocess.Popen([exe], stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"in handler\n"
        rc, out = gdb(p.pid, "py-inject --stub %s" % stub_lib())
        assert rc != 0, out
        assert ("py-inject: no thread is at a safe point (thread %d: it is inside a signal "
                "handler)" % p.pid) in out, out
        support.assert_not_stopped(p.pid)
        with open("/proc/%d/maps" % p.pid) as f:
            assert "libpyxray-stub" not in f.read()
    finally:
        p.kill()
        p.wait()


def test_arm_errors(workdir, pyxray_bin):
    res = run_pyxray(pyxray_bin, "arm", "abc")
    assert res.rc == 2 and "'abc' is not a process id" in res.err, res
    res = run_pyxray(pyxray_bin, "arm", "--on", "usr9", "1")
    assert res.rc == 2 and res.err.startswith("pyxray: --on: 'usr9' is not a signal"), res
    res = run_pyxray(pyxray_bin, "disarm", "--on", "usr1", "1")
    assert res.rc == 2, res
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        res = run_pyxray(pyxray_bin, "arm", sleeper.pid)
        assert res.rc == 1 and "has no Python interpreter" in res.err, res
        res = run_pyxray(pyxray_bin, "disarm", sleeper.pid)
        assert res.rc == 1 and res.err == ("pyxray: pid %d is not armed: libpyxray-stub.so is "
                                           "not loaded in it\n" % sleeper.pid), res
    finally:
        sleeper.kill()
        sleeper.wait()
    gone = subprocess.Popen(["true"])
    gone.wait()
    res = run_pyxray(pyxray_bin, "arm", gone.pid)
    assert res.rc == 1 and res.err == "pyxray: no such process: pid %d\n" % gone.pid, res
    res = run_pyxray(pyxray_bin, "arm", "--help")
    assert res.rc == 0 and "pyxray arm [--on SPEC]" in res.out, res


def test_remote_exec_needs_314(workdir, pyxray_bin):
    """--via remote-exec on a Python before 3.14 is refused with the version
    and what to use instead, before anything is sent to the target (it
    leaked an AttributeError from the target before)."""
    v = [v for v in support.VARIANTS if v.id == "debian-3.11"][0]
    if v.absent:
        required.absent("debian-3.11: " + v.absent)
    t = subprocess.Popen([v.interp.exe, "-c", "import time; time.sleep(300)"])
    try:
        res = run_pyxray(pyxray_bin, "arm", "--via", "remote-exec", t.pid)
        assert res.rc == 1 and res.err == (
            "pyxray: pid %d runs Python 3.11: sys.remote_exec (PEP 768) needs 3.14 or later; "
            "use --via gdb or --via auto\n" % t.pid), res
        support.assert_not_stopped(t.pid)
        assert t.poll() is None
    finally:
        t.kill()
        t.wait()


def test_inject_script_from_environment(workdir, pyxray_bin, dump_dir, monkeypatch):
    """PYXRAY_INJECT_PY names GDB's injection script: arm uses that path
    (the script buffer was left unfilled and arming through GDB failed)."""
    var = [v for v in BASE if v.id == "3.11"][0]
    script = os.path.join(workdir, "inject-copy.py")
    shutil.copy(os.path.join(support.SRCDIR, "gdbext", "pyxray", "inject.py"), script)
    monkeypatch.setenv("PYXRAY_INJECT_PY", script)
    monkeypatch.delenv("PYXRAY_SRCDIR", raising=False)
    t = serve(var, workdir)
    try:
        res = arm(pyxray_bin, t.pid, "--via", "gdb", "--on", "usr2", "--dir", dump_dir)
        assert res.rc == 0, res
        support.assert_not_stopped(t.pid)
        os.kill(t.pid, signal.SIGUSR2)
        text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid))
        assert "Thread %d" % t.pid in text, text
    finally:
        t.kill()
