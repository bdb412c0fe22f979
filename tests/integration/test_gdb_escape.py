# SPDX-License-Identifier: MIT
"""Bytes from a target never reach the terminal raw through the GDB
extension: a function, an argument and a local value carrying ESC, BEL and
a bidirectional override (tests/programs/evil_target.py) are escaped in
py-bt, py-bt-all, py-locals, py-print, py-up, the frame filter's bt (its
names and argument values) and the TUI's thread line, as the library's one
escaper writes them (\\xNN, \\u{NNNN}).
"""
import json
import os
import shutil
import subprocess

import pytest

import gdb_support
import support
from gdb_support import Session

PROGRAM = os.path.join(support.PROGRAMS, "evil_target.py")
RAW = ("\x1b", "\x07", "\u202e")


def params():
    # code.replace, which makes the hostile names, is 3.8+.
    return [p for p in gdb_support.subset_params() if p.values[0].version >= (3, 8)]


@pytest.fixture(scope="module", params=params())
def evil(request, workdir):
    t = gdb_support.start_program(request.param, workdir, PROGRAM)
    try:
        line = t.readline(support.READY_TIMEOUT)
        assert line.startswith("READY "), line
        s = Session()
        for cmd in ("py-bt", "py-bt-full", "py-bt-all", "py-bt-all --locals", "py-locals",
                    "py-print value", "py-print arg\x1b]0;pwned\x07\x1b[31m\u202e", "bt",
                    "py-up", "py-down"):
            s.cmd(cmd, cmd)
        s.execute(["-p", str(t.pid)], workdir)
        yield t, s
    finally:
        t.kill()


def test_no_raw_escape_reaches_the_terminal(evil):
    t, s = evil
    for key in s.keys:
        step = s[key]
        text = step.get("out", "") + step.get("error", "")
        for raw in RAW:
            assert raw not in text, (key, text)
    assert "park\\x1b]0;pwned\\x07\\x1b[31m\\u{202e}" in s.out("py-bt-all"), s.out("py-bt-all")
    assert "\\x1b]0;pwned\\x07" in s.out("py-locals"), s.out("py-locals")
    assert "\\x1b]0;pwned\\x07" in s.out("py-print value"), s.out("py-print value")
    bt = s.out("bt")
    assert "park\\x1b]0;pwned" in bt and "arg\\x1b]0;pwned" in bt, bt


def test_attached_child_named_escaped(workdir):
    """py-attach-children names a child's GDB thread after its
    multiprocessing name: escaped, in its report and in GDB's own
    `info threads` (it was stored raw)."""
    param = params()[0]
    t = gdb_support.start_program(param.values[0], workdir, PROGRAM, extra_args=["--child"])
    try:
        line = t.readline(support.READY_TIMEOUT)
        assert line.startswith("READY "), line
        s = Session()
        s.cmd("attach", "py-attach-children")
        s.cmd("threads", "info threads")
        s.execute(["-p", str(t.pid)], workdir)
        for key in ("attach", "threads"):
            text = s.out(key)
            for raw in RAW:
                assert raw not in text, (key, text)
        assert "Worker\\x1b]0;pwned\\x07" in s.out("attach"), s.out("attach")
        assert "Worker\\x1b]0;pwned\\x07" in s.out("threads"), s.out("threads")
    finally:
        t.kill()


def test_executable_path_escaped(workdir):
    """An error that names the inferior names its executable escaped (a
    program at a hostile path: the path reached GDB's console raw)."""
    exe = os.path.join(workdir, "sl\x1b]0;pwned\x07eep")
    shutil.copy("/bin/sleep", exe)
    p = subprocess.Popen([exe, "300"])
    try:
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.execute(["-p", str(p.pid)], workdir)
        step = s["bt-all"]
        text = step.get("out", "") + step.get("error", "")
        for raw in RAW:
            assert raw not in text, text
        assert "sl\\x1b]0;pwned\\x07eep" in text and "no Python interpreter" in text, text
    finally:
        p.kill()
        p.wait()
        os.unlink(exe)
