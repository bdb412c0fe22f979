# SPDX-License-Identifier: MIT
"""Stopping a live process, bounded and honest (pyxray dump without
--nonblocking): a thread that cannot be stopped (uninterruptible sleep in
os.posix_spawn, tests/programs/spawn_blocked.py) is named within the
deadline while the rest of the snapshot is taken and marked as possibly
inconsistent; and pyxray killed with SIGKILL, SIGINT or SIGTERM at every
point of the freeze (PYXRAY_TEST_PAUSE, acquire/freeze.h) leaves the target
running and untraced."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

import support
from support import run_pyxray

PROGRAM = os.path.join(support.PROGRAMS, "spawn_blocked.py")
MARKS = support.marker_lines(PROGRAM)
POINTS = ["listed", "seized", "interrupted", "stopped", "frozen", "detaching"]


def python311():
    for v in support.VARIANTS:
        if v.id == "3.11":
            if v.absent:
                import required
                required.absent("3.11: " + v.absent)
            return v.interp.exe
    raise AssertionError("no 3.11 variant")


def thread_states(pid):
    return {tid: s for tid, (s, _) in support.task_states(pid).items()}


class Blocked(object):
    """spawn_blocked.py with its spawning thread in D state."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="pyxray-spawn-")
        self.fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(self.fifo)
        self.proc = subprocess.Popen([python311(), PROGRAM, self.fifo] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("READY "), line
        info = json.loads(line[6:])
        self.pid, self.main = info["pid"], info["main"]
        self.blocked = None
        deadline = time.time() + 30
        while self.blocked is None:
            assert time.time() < deadline, thread_states(self.pid)
            for tid, s in thread_states(self.pid).items():
                if s == "D":
                    self.blocked = tid
            time.sleep(0.005)
        self.writer = None

    def release(self):
        """Opens the FIFO for writing: the spawn goes on, the thread wakes."""
        if self.writer is None:  # O_RDWR never blocks, even with no reader
            self.writer = os.open(self.fifo, os.O_RDWR)

    def close(self):
        self.release()
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()
        os.close(self.writer)
        os.unlink(self.fifo)
        os.rmdir(self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_uninterruptible_thread_named_rest_read(pyxray_bin):
    with Blocked() as b:
        t0 = time.time()
        res = run_pyxray(pyxray_bin, "dump", b.pid)
        took = time.time() - t0
        assert res.rc == 0, res
        assert took < 3, "pyxray took %.1f s" % took
        want = "warning: stacks may be inconsistent: thread %d (disk-sleep) did not " \
               "stop within 300 ms" % b.blocked
        assert want in res.out, res
        blocks = support.parse_text(res.out)
        by_tid = {tid: (rest, frames) for tid, _, rest, frames in blocks}
        assert re.search(r"\((.*, )?not stopped[,)]", by_tid[b.blocked][0]), res
        assert "not stopped" not in by_tid[b.main][0], res
        assert ("main", PROGRAM, MARKS["CALL:start"]) in by_tid[b.main][1], res
        assert by_tid[b.blocked][1][0] == ("spawn", PROGRAM, MARKS["PARK:spawn"]), res

        doc = run_pyxray(pyxray_bin, "dump", "--json", "--stop-timeout", "50",
                         b.pid).json()
        p = doc["processes"][0]
        assert p["not_stopped"] == [b.blocked], p
        assert "within 50 ms" in p["inconsistent"], p
        assert p["stopped_us"] < 2000000, p

        # pyxray is gone: the thread's pending stop went with it. It wakes,
        # spawns, and nothing of the process is left stopped or traced.
        b.release()
        deadline = time.time() + 30
        while b.blocked in thread_states(b.pid):
            assert time.time() < deadline, thread_states(b.pid)
            time.sleep(0.01)
        support.assert_not_stopped(b.pid)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM],
                         ids=["KILL", "INT", "TERM"])
@pytest.mark.parametrize("point", POINTS)
def test_killed_at_every_point(pyxray_bin, shared_target, point, sig):
    """pyxray paused at a point of the freeze, then killed: the target runs
    on, untraced, and answers; SIGINT and SIGTERM end pyxray by the same
    signal, after it let go of the target."""
    t = shared_target
    r, w = os.pipe()
    env = dict(os.environ, PYXRAY_TEST_PAUSE=point, PYXRAY_TEST_PAUSE_FD=str(w))
    proc = subprocess.Popen([pyxray_bin, "dump", str(t.pid)], env=env, pass_fds=(w,),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as pipe:
            got = pipe.readline().decode().strip()
        assert got == point, (got, proc.communicate())
        if point not in ("listed", "detaching"):
            states = support.task_states(t.pid)
            held = [tid for tid, (s, tracer) in states.items() if tracer]
            assert held, "pyxray paused at %s holds no thread: %s" % (point, states)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -sig, (proc.returncode, err)
    if sig != signal.SIGKILL:
        assert out == b"", out
        assert b"Traceback" not in err and b"Sanitizer" not in err, err
    support.assert_not_stopped(t.pid)
    t.ping()


@pytest.fixture(scope="module")
def shared_target(workdir):
    """One threads_target.py (3.11) for every kill: each test leaves it
    running and answering, or fails."""
    yield from support.parked_target(workdir)


@pytest.mark.parametrize("value", ["0", "abc", "60001", "-5"])
def test_stop_timeout_refused(pyxray_bin, value):
    res = run_pyxray(pyxray_bin, "dump", "--stop-timeout", value, "1")
    assert res.rc == 2, res
    assert "--stop-timeout takes a number from 1 to 60000" in res.err, res
