# SPDX-License-Identifier: MIT
"""The GDB extension on a remote target: `gdbserver --attach 127.0.0.1:PORT
PID` on loopback, then `gdb -batch -nx -x EXT -ex 'target remote ...'`.
Every byte the extension decodes comes through GDB's memory reads over the
remote protocol (no pid access), so this is the `callback` memory source on
a live, stopped process. When gdb detaches, gdbserver exits and the target
must run on, untraced and answering.

Variants: the representative subset.
"""
import json
import os
import re
import select
import subprocess
import time

import pytest

import gdb_support
import required
import support
from gdb_support import Session, text_lines, without_gil

LISTEN_TIMEOUT = 30.0


@pytest.fixture(scope="module", params=gdb_support.subset_params())
def rv(request):
    return request.param


def gdbserver_path():
    return required.tool("gdbserver")


def start_gdbserver(pid):
    """gdbserver attached to pid on a free loopback port: (proc, port).
    Waits for its "Listening on port" line; retries when the port was
    taken in between."""
    gdbserver = gdbserver_path()
    last = ""
    for _ in range(5):
        port = gdb_support.free_port()
        proc = subprocess.Popen([gdbserver, "--attach", "127.0.0.1:%d" % port,
                                 str(pid)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        buf = b""
        deadline = time.time() + LISTEN_TIMEOUT
        while b"Listening on port" not in buf:
            left = deadline - time.time()
            r = select.select([proc.stdout], [], [], max(left, 0))[0]
            chunk = os.read(proc.stdout.fileno(), 4096) if r else b""
            if not chunk:
                break
            buf += chunk
        if b"Listening on port" in buf:
            return proc, port
        proc.kill()
        proc.wait()
        last = buf.decode("utf-8", "replace")
        if "bind" not in last and "in use" not in last:
            break
    raise AssertionError("gdbserver did not listen: %s" % last)


@pytest.fixture(scope="module")
def remote(rv, workdir):
    t = support.start_target(rv, workdir)
    server = None
    try:
        t.wait_ready()
        t.wait_parked()
        support.RAN.add(rv.id)
        server, port = start_gdbserver(t.pid)
        rep = t.report["threads"]
        s = Session()
        s.cmd("conn", "info connections")
        s.cmd("bt-all", "py-bt-all")
        s.cmd("json", "py-bt-all --json")
        s.cmd("ps", "py-ps")
        for name in ("MainThread", "worker-1", "worker-2"):
            s.lwp("lwp " + name, rep[name]["tid"])
            s.cmd("bt " + name, "py-bt")
        s.cmd("print fd", "py-print fd")
        s.cmd("locals", "py-locals")
        s.execute(["-ex", "target remote 127.0.0.1:%d" % port], workdir)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("gdbserver still running after gdb left")
        yield t, s
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        t.kill()


def test_remote_is_remote(remote):
    """Not vacuous: gdb really went through the remote protocol."""
    t, s = remote
    assert "remote" in s.out("conn"), s.out("conn")


def test_remote_bt_all_matches_dump(remote, pyxray_bin):
    t, s = remote
    got = s.out("bt-all")
    res = support.run_pyxray(pyxray_bin, "dump", "--nonblocking", t.pid)
    assert res.rc == 0, res
    assert text_lines(got)[0].startswith("Process %d" % t.pid), got
    assert text_lines(without_gil(got))[1:] == \
        text_lines(without_gil(res.out))[1:]


def test_remote_json(remote):
    t, s = remote
    (p,) = json.loads(s.out("json"))["processes"]
    gdb_support.check_stacks(p, t)


def test_remote_bt_and_locals(remote):
    t, s = remote
    exp = support.expected_stacks(t)["main"]
    for name in ("MainThread", "worker-1", "worker-2"):
        lines = text_lines(s.out("bt " + name))
        if lines and lines[0].startswith("Thread "):
            lines = lines[1:]  # flagged by test_gdb_commands.test_bt_layout
        assert lines == gdb_support.traceback_text(exp[name]), name
    fd = t.report["threads"]["worker-2"]["fd"]
    assert s.out("print fd").strip() == "local 'fd' = %d" % fd
    assert "fd = %d" % fd in [l.strip() for l in s.out("locals").splitlines()]


def test_remote_ps(remote):
    t, s = remote
    out = s.out("ps")
    assert re.search(r"\b%d\b" % t.pid, out), out
    assert t.report["version"] in out, out


def test_remote_target_unharmed(remote):
    t, s = remote
    gdb_support.after_session(t)
