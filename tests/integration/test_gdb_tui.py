# SPDX-License-Identifier: MIT
"""The TUI window `python` (`tui layout pyxray`), seen as a user sees it:
GDB runs in a tmux pane (a private tmux server) attached to
threads_target.py, and the pane is read with `tmux capture-pane`. The window
shows the selected thread's Python stack, the selected frame marked, over
the source around its line; it follows thread switches and py-up, says when
the program runs, and is redrawn at the next stop.
"""
import os
import re
import subprocess
import time

import pytest

import gdb_support
import required
import support

WIDTH, HEIGHT = 140, 50
WAIT = 60.0  # seconds for the pane to show what is expected


class Pane(object):
    """GDB in a pane of a tmux server of its own."""

    def __init__(self, argv, workdir):
        self.tmux = required.tool("tmux")  # ./dev installs it
        self.socket = os.path.join(workdir, "tmux-%d" % os.getpid())
        env = gdb_support.gdb_env({"TERM": "xterm-256color"})
        cmd = " ".join("'%s'" % a.replace("'", "'\\''") for a in argv)
        self._tmux("new-session", "-d", "-s", "pyxray", "-x", str(WIDTH), "-y", str(HEIGHT),
                   cmd, env=env)

    def _tmux(self, *args, env=None):
        return subprocess.run([self.tmux, "-S", self.socket] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                              timeout=30, check=True).stdout.decode("utf-8", "replace")

    def screen(self):
        return self._tmux("capture-pane", "-p", "-t", "pyxray")

    def send(self, *keys):
        self._tmux("send-keys", "-t", "pyxray", *keys)

    def type(self, line):
        self.send("-l", line)
        self.send("Enter")

    def wait(self, pred, what):
        deadline = time.time() + WAIT
        while True:
            text = self.screen()
            if pred(text):
                return text
            if time.time() > deadline:
                raise AssertionError("the pane never showed %s:\n%s" % (what, text))
            time.sleep(0.1)

    def close(self):
        try:
            self._tmux("kill-server")
        except (subprocess.SubprocessError, OSError):
            pass


def window(text):
    """The lines inside the Python stack window's box."""
    lines = text.splitlines()
    start = [i for i, l in enumerate(lines) if "Python stack" in l]
    if not start:
        return []
    out = []
    for line in lines[start[0] + 1:]:
        if line.startswith("\u2514") or not line.startswith("\u2502"):
            break
        out.append(line[1:-1].rstrip())
    return out


def has(*patterns):
    def pred(text):
        w = "\n".join(window(text))
        return all(re.search(p, w, re.M) for p in patterns)
    return pred


@pytest.fixture(scope="module", params=gdb_support.subset_params())
def tv(request):
    return request.param


def test_tui_window(tv, workdir):
    t = support.start_target(tv, workdir)
    pane = None
    try:
        t.wait_ready()
        t.wait_parked()
        support.RAN.add(tv.id)
        argv = [gdb_support.gdb_path(), "-nx", "-q"] + gdb_support.quiet_args() + \
            ["-iex", "set pagination off", "-x", gdb_support.ext_path(), "-p", str(t.pid)]
        pane = Pane(argv, workdir)
        pane.wait(lambda s: "(gdb)" in s, "GDB's prompt")
        pane.type("tui layout pyxray")
        frames = support.expected_stacks(t)["main"]
        main = frames["MainThread"]
        qual = main[0]["qualname"]
        text = pane.wait(has(r"^Thread 1 \(LWP %d\) \"MainThread\": %d Python frames$"
                             % (t.pid, len(main)),
                             r"^> #0 %s \(%s:%d\)$" % (re.escape(qual), re.escape(main[0]["file"]),
                                                      main[0]["line"]),
                             r"^>%d    .*# PARK:main$" % main[0]["line"]),
                         "the main thread's stack and source")
        rows = window(text)
        assert rows[2].startswith("  #1 %s (" % main[1]["qualname"]), rows

        # another thread, then py-up 2: the selection and the source follow
        w2 = t.report["threads"]["worker-2"]["tid"]
        pane.type("python [th.switch() for th in gdb.selected_inferior().threads() "
                  "if th.ptid[1] == %d]" % w2)
        w2f = frames["worker-2"]
        pane.wait(has(r"^Thread \d+ \(LWP %d\) \"worker-2\": %d Python frames$" % (w2, len(w2f)),
                      r"^> #0 %s \(" % re.escape(w2f[0]["qualname"])), "worker-2's stack")
        pane.type("py-up 2")
        pane.wait(has(r"^> #2 %s \(.*:%d\)$" % (re.escape(w2f[2]["qualname"]), w2f[2]["line"]),
                      r"^  #0 %s \(" % re.escape(w2f[0]["qualname"]),
                      r"^>%d    .*# CALL:descend-recurse$" % w2f[2]["line"]),
                  "frame #2 selected, its source line marked")

        # running, then stopped again: redrawn, the selection back at #0
        pane.type("continue")
        pane.wait(has(r"^The program is running"), "the running state")
        pane.send("C-c")
        pane.wait(has(r"^> #0 ", r"^Thread \d+ \(LWP \d+\)"), "the stack after the stop")
        pane.type("detach")
        pane.wait(lambda s: "Detaching from program" in s or "detached" in s, "the detach")
        pane.close()
        pane = None
        gdb_support.after_session(t)
    finally:
        if pane is not None:
            pane.close()
        t.kill()
