# SPDX-License-Identifier: MIT
"""Stacks deeper than the frame limit in GDB: py-bt, py-bt-all and bt
(through the frame filter) never stop silently. Past `set pyxray
max-frames` (default 4096) the innermost and outermost frames are kept and
each says how many were left out between them and which setting shows
them; with the setting raised, the whole stack shows.
tests/programs/deep_target.py recurses 4200 frames deep.
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
FRAMES = DEPTH + 4  # park, recurse x (DEPTH + 1), main, <module>
LEFT_OUT = re.compile(r"^    \.\.\. (\d+) frames left out here \((\d+) shown of (\d+); "
                      r"set pyxray max-frames N shows more\)$", re.M)
BT_NOTE = "<%d Python frames left out: set pyxray max-frames N shows more>"


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
        s.cmd("json cut", "py-bt-all --json")
        s.cmd("bt cut", "bt")
        s.cmd("bad 0", "set pyxray max-frames 0")
        s.cmd("bad big", "set pyxray max-frames 2000000")
        s.cmd("set", "set pyxray max-frames 10000")
        s.cmd("show set", "show pyxray max-frames")
        s.cmd("py-bt whole", "py-bt")
        s.cmd("json whole", "py-bt-all --json")
        s.cmd("bt whole", "bt")
        s.execute(["-p", str(t.pid)], workdir)
        yield t, s
    finally:
        t.kill()


def main_thread(doc, tid):
    (proc,) = doc["processes"]
    return [th for it in proc["interpreters"] for th in it["threads"] if th["tid"] == tid][0]


def test_deep_stacks_keep_both_ends_and_say_so(deep):
    """Past the limit the innermost and outermost frames are kept, and
    py-bt, py-bt-all and bt each say how many were left out between them
    and which setting shows them."""
    t, s = deep
    assert s.out("show default").strip() == \
        "pyxray keeps at most 4096 Python frames per thread."
    left = FRAMES - 4096
    for key in ("py-bt cut", "bt-all cut"):
        out = s.out(key)
        assert [tuple(map(int, m)) for m in LEFT_OUT.findall(out)] == [(left, 4096, FRAMES)], \
            out[-3000:]
        assert "<module>" in out and "park" in out, out[-2000:]
    th = main_thread(json.loads(s.out("json cut")), t.info["tid"])
    assert len(th["frames"]) == 4096 and th["omitted"] == left, (len(th["frames"]),
                                                                  th["omitted"])
    bt = s.out("bt cut")
    assert bt.count(BT_NOTE % left) == 1, bt[-3000:]
    assert re.search(r" <module> \(\) at %s:\d+$" % re.escape(PROGRAM), bt, re.M), bt[-2000:]
    assert " park (fd=" in bt, bt[:3000]


def test_setting_reads_more(deep):
    t, s = deep
    assert "1 to 1000000" in s.error("bad 0")
    assert "1 to 1000000" in s.error("bad big")
    assert s.out("show set").strip() == "pyxray keeps at most 10000 Python frames per thread."
    assert not LEFT_OUT.search(s.out("py-bt whole"))
    th = main_thread(json.loads(s.out("json whole")), t.info["tid"])
    names = [f["function"] for f in th["frames"]]
    assert th["omitted"] == 0
    assert names == ["park"] + ["recurse"] * (DEPTH + 1) + ["main", "<module>"], \
        (len(names), names[:3], names[-3:])
    bt = s.out("bt whole")
    assert "left out" not in bt
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
