# SPDX-License-Identifier: MIT
"""Stacks deeper than the frame limit in GDB: py-bt, py-bt-all and bt
(through the frame filter) never stop silently. Past `set pyxray
max-frames` (default 4096) each says that the stack was cut and which
setting reads more; with the setting raised, the whole stack shows, down to
<module>. tests/programs/deep_target.py recurses 4200 frames deep.
"""
import json
import os
import re
import time

import pytest

import gdb_support
import support
from gdb_support import Session

PROGRAM = os.path.join(support.PROGRAMS, "deep_target.py")
DEPTH = 4200
NOTE = re.compile(r"^pyxray: 1 thread stack deeper than (\d+) Python frames cut; "
                  r"'set pyxray max-frames N' \(up to 1000000\) reads more$", re.M)
BT_NOTE = "<Python frames past %d not read: set pyxray max-frames N>"


@pytest.fixture(scope="module", params=gdb_support.subset_params())
def deep(request, workdir):
    t = gdb_support.start_program(request.param, workdir, PROGRAM, [str(DEPTH)])
    try:
        line = t.readline(support.READY_TIMEOUT)
        assert line.startswith("READY "), line
        t.info = json.loads(line[len("READY "):])
        s = Session()
        s.cmd("show default", "show pyxray max-frames")
        s.cmd("py-bt cut", "py-bt")
        s.cmd("bt-all cut", "py-bt-all")
        s.cmd("bt cut", "bt")
        s.cmd("bad 0", "set pyxray max-frames 0")
        s.cmd("bad big", "set pyxray max-frames 2000000")
        s.cmd("set", "set pyxray max-frames 10000")
        s.cmd("show set", "show pyxray max-frames")
        s.cmd("py-bt whole", "py-bt")
        s.cmd("bt-all whole", "py-bt-all")
        s.cmd("bt whole", "bt")
        s.execute(["-p", str(t.pid)], workdir)
        yield t, s
    finally:
        t.kill()


def test_cut_stacks_say_so(deep):
    t, s = deep
    assert s.out("show default").strip() == \
        "pyxray reads at most 4096 Python frames per thread."
    out = s.out("py-bt cut")
    assert len(re.findall(r'^  File "', out, re.M)) == 4096, out[-2000:]
    assert "<module>" not in out
    assert [int(n) for n in NOTE.findall(out)] == [4096], out[-500:]
    assert [int(n) for n in NOTE.findall(s.out("bt-all cut"))] == [4096]
    bt = s.out("bt cut")
    assert bt.count(BT_NOTE % 4096) == 1, bt[-3000:]
    assert " <module> (" not in bt


def test_setting_reads_more(deep):
    t, s = deep
    assert "1 to 1000000" in s.error("bad 0")
    assert "1 to 1000000" in s.error("bad big")
    assert s.out("show set").strip() == "pyxray reads at most 10000 Python frames per thread."
    out = s.out("py-bt whole")
    files = re.findall(r'^  File "(.*)", line (\d+), in (.*)$', out, re.M)
    names = [f[2] for f in files]
    assert names == ["park"] + ["recurse"] * (DEPTH + 1) + ["main", "<module>"], \
        (len(names), names[:3], names[-3:])
    assert not NOTE.search(out) and not NOTE.search(s.out("bt-all whole"))
    bt = s.out("bt whole")
    assert "not read" not in bt
    assert re.search(r" <module> \(\) at %s:\d+$" % re.escape(PROGRAM), bt, re.M), bt[-2000:]
    assert bt.count(" recurse (n=") == DEPTH + 1, bt[-2000:]


def test_target_unharmed(deep):
    t, _s = deep
    deadline = time.time() + 10
    while True:
        try:
            support.assert_not_stopped(t.pid)
            break
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.01)
