# SPDX-License-Identifier: MIT
"""Descendants stopped from GDB (py-bt-all over a process tree goes through
the same C freeze as the CLI): a descendant thread that cannot be stopped is
named within the deadline, and stays unstopped after it wakes while GDB
lives on; Ctrl-C (SIGINT to GDB) while a descendant is being stopped ends
the command with "Quit", every descendant running and untraced, GDB alive."""
import json
import os
import re
import signal
import subprocess
import time

import gdb_support
import support
import test_freeze
from gdb_support import Session

TREE = os.path.join(support.PROGRAMS, "tree_target.py")

# Run inside GDB after the FIFO is opened: waits (bounded) until the blocked
# thread left D state, then reports the states of the child's threads.
CHECK = r'''
import os, time
def _states(pid):
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            st = open("/proc/%d/task/%s/status" % (pid, tid)).read()
        except OSError:
            continue
        f = dict(l.split(":", 1) for l in st.splitlines() if ":" in l)
        out[int(tid)] = (f["State"].split()[0], int(f["TracerPid"]))
    return out
def pyxray_test_after_release(pid, tid, fifo):
    fd = os.open(fifo, os.O_RDWR)  # never blocks; lets the spawn's open go on
    deadline = time.time() + 30
    while _states(pid).get(tid, ("S", 0))[0] == "D" and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    os.close(fd)
    return _states(pid)
'''


def test_descendant_thread_that_cannot_stop(workdir):
    with test_freeze.Blocked("--child") as b:
        check = os.path.join(workdir, "gdb_freeze_check.py")
        with open(check, "w") as f:
            f.write(CHECK)
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.cmd("load", "source %s" % check)
        s.add("after", "eval", "pyxray_test_after_release(%d, %d, %r)"
              % (b.pid, b.blocked, b.fifo))
        t0 = time.time()
        s.execute(["-p", str(b.proc.pid)], workdir)
        took = time.time() - t0
        out = s.out("bt-all")
        assert "thread %d (disk-sleep) did not stop within 300 ms" % b.blocked in out, out
        assert re.search(r"\((.*, )?not stopped[,)]", out), out
        states = eval(s.out("after"))
        # While GDB still ran: the woken thread neither stopped nor traced.
        assert all(st not in "tT" and tracer == 0 for st, tracer in states.values()), states
        assert took < 120, took
        support.assert_not_stopped(b.pid)


def test_ctrl_c_while_stopping_descendants(workdir):
    parent_py = test_freeze.python311()
    tree = subprocess.Popen([parent_py, TREE, "--workers", "2"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, start_new_session=True)
    gdb = None
    try:
        info = json.loads(tree.stdout.readline().decode()[len("READY "):])
        r, w = os.pipe()
        env = gdb_support.gdb_env({"PYXRAY_TEST_PAUSE": "interrupted",
                                   "PYXRAY_TEST_PAUSE_FD": str(w)})
        gdb = subprocess.Popen([gdb_support.gdb_path(), "-nx", "-q"] + gdb_support.quiet_args()
                               + ["-x", gdb_support.ext_path(), "-p", str(info["parent"])],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env, pass_fds=(w,))
        os.close(w)
        gdb.stdin.write(b"py-bt-all\n")
        gdb.stdin.flush()
        with os.fdopen(r, "rb") as pipe:
            assert pipe.readline() == b"interrupted\n"
        held = [pid for pid in info["workers"]
                if any(tracer for _, tracer in support.task_states(pid).values())]
        assert held, "no worker held while paused"
        t0 = time.time()
        gdb.send_signal(signal.SIGINT)
        gdb.stdin.write(b"python print('ALIVE', flush=True)\n")
        gdb.stdin.flush()
        out = b""
        while b"ALIVE" not in out:
            chunk = os.read(gdb.stdout.fileno(), 65536)
            assert chunk, out
            out += chunk
        took = time.time() - t0
        # GDB is still running: the workers already run on, untraced.
        for pid in info["workers"]:
            assert all(st in "SR" and not tracer for st, tracer in
                       support.task_states(pid).values()), (pid, info, out)
        gdb.stdin.write(b"detach\nquit\n")
        gdb.stdin.flush()
        rest = gdb.communicate(timeout=60)[0]
        text = (out + rest).decode("utf-8", "replace")
        assert "Quit" in text, text
        assert took < 5, "Ctrl-C took %.1f s to end py-bt-all" % took
        for bad in gdb_support.CRASH_MARKERS:
            assert bad not in text, text
        assert gdb.returncode == 0, text
        support.assert_not_stopped(info["parent"])
    finally:
        if gdb is not None and gdb.poll() is None:
            gdb.kill()
            gdb.wait()
        os.killpg(tree.pid, signal.SIGKILL)
        tree.wait()

