# SPDX-License-Identifier: MIT
"""`pyxray dump` against threads_target.py under every interpreter variant.

One target per variant for the whole module; every dump is followed by a
check that the target was left running, untraced, and back in its parked
state. Stacks are compared exactly: function, qualname, file and line of
every frame of every thread, thread names, native tids and idents.
"""
import os

import pytest

import support
from support import run_pyxray


def dump(t, pyxray_bin, *flags):
    """Runs `pyxray dump FLAGS PID`, checks the target is unharmed."""
    res = run_pyxray(pyxray_bin, "dump", *(list(flags) + [t.pid]))
    assert res.rc == 0, res
    support.assert_not_stopped(t.pid)
    assert t.proc.poll() is None, "target died during the dump"
    t.wait_parked()
    return res


def check_process(p, t):
    rep = t.report
    assert p["pid"] == t.pid
    assert p["ppid"] == os.getpid()
    if rep["releaselevel"] == "final":
        assert p["python_version"] == rep["version"]
    else:
        assert p["python_version"].startswith(rep["version"])
    assert p["executable"] == os.readlink("/proc/%d/exe" % t.pid)
    with open("/proc/%d/cmdline" % t.pid, "rb") as f:
        cmdline = f.read().decode().split("\0")[:-1]
    assert cmdline == t.argv
    assert p["argv"] == t.argv


def gil_holders(p):
    return [(i["id"], th["name"]) for i in p["interpreters"]
            for th in i["threads"] if th["holds_gil"]]


def check_snapshot(doc, t):
    """Asserts the whole snapshot; returns the process entry."""
    assert doc["schema_version"] == 1
    assert len(doc["processes"]) == 1, doc
    p = doc["processes"][0]
    check_process(p, t)
    exp = support.expected_stacks(t)
    rep = t.report["threads"]

    interps = p["interpreters"]
    assert len(interps) == (2 if exp["sub"] else 1), interps
    assert len(set(i["id"] for i in interps)) == len(interps)
    mains = [i for i in interps if i["main"]]
    assert len(mains) == 1
    main = mains[0]
    assert main["id"] == 0

    names = [th["name"] for th in main["threads"]]
    assert sorted(names) == sorted(exp["main"]), names
    for th in main["threads"]:
        name = th["name"]
        r = rep["subinterp" if name == "subinterp-host" else name]
        assert th["tid"] == r["tid"], name
        assert th["thread_id"] == r["ident"], name
        assert "truncated" not in th, th
        assert support.frames_of(th) == exp["main"][name], name

    if exp["sub"]:
        sub = [i for i in interps if not i["main"]][0]
        assert sub["id"] != 0
        host = rep["subinterp"]
        live = [th for th in sub["threads"] if th["frames"]]
        assert len(live) == 1, sub["threads"]
        th = live[0]
        assert th["tid"] == host["tid"]
        assert th["thread_id"] == host["ident"]
        assert th["name"] is None or isinstance(th["name"], str)
        assert "truncated" not in th, th
        assert support.frames_of(th) == exp["sub"]
        # A frameless thread state left by create() is on the host thread.
        for other in sub["threads"]:
            assert other["thread_id"] == host["ident"], other

    holders = gil_holders(p)
    assert len(holders) <= 1, holders
    if holders:
        assert holders == [(0, "spinner")], holders
    return p


def test_json_snapshot(target, pyxray_bin):
    res = dump(target, pyxray_bin, "--json")
    check_snapshot(res.json(), target)


def test_nonblocking_same_stacks(target, pyxray_bin):
    res = dump(target, pyxray_bin, "--json", "--nonblocking")
    check_snapshot(res.json(), target)
    res = dump(target, pyxray_bin, "--nonblocking")
    assert support.parse_text(res.out), res


def test_spinner_holds_gil(target, pyxray_bin):
    """The spinner never blocks, so some dump must catch it with the GIL;
    every dump must still agree on all stacks."""
    if not target.report["gil"]:
        pytest.skip("%s runs without a GIL" % target.variant.id)
    seen = []
    for _ in range(5):
        p = check_snapshot(dump(target, pyxray_bin, "--json").json(), target)
        seen.append(gil_holders(p))
        if seen[-1]:
            break
    assert [(0, "spinner")] in seen, seen


def test_text_output(target, pyxray_bin):
    res = dump(target, pyxray_bin)
    blocks = support.parse_text(res.out)
    exp = support.expected_stacks(target)
    rep = target.report["threads"]
    holders = [b for b in blocks if "holds the GIL" in b[2]]
    assert len(holders) <= 1, res
    assert all(b[1] == "spinner" for b in holders), res
    assert res.out.count("holds the GIL") == len(holders), res
    # Thread states: the spinner runs Python, the parked threads wait in
    # read(2) (os.read on a pipe), as /proc and the stop tell.
    for tid, name, rest, frames in blocks:
        if name == "spinner":
            assert "running" in rest, (name, rest)
        elif frames and frames[0][0].endswith(("command_loop", "_block",
                                               "park_in_subinterp")):
            assert "idle in read" in rest, (name, rest)

    def is_subsequence(want, got):
        it = iter(got)
        return all(w in it for w in want)

    for name, frames in exp["main"].items():
        r = rep["subinterp" if name == "subinterp-host" else name]
        mine = [b for b in blocks if b[0] == r["tid"] and b[1] == name]
        assert len(mine) == 1, (name, res)
        want = [(f["qualname"], f["file"], f["line"]) for f in frames]
        assert is_subsequence(want, mine[0][3]), (name, mine[0][3], want)
        line = "    %s (%s:%d)" % want[0]
        assert line in res.out.splitlines()
    if exp["sub"]:
        want = [(f["qualname"], f["file"], f["line"]) for f in exp["sub"]]
        host_tid = rep["subinterp"]["tid"]
        assert any(b[0] == host_tid and is_subsequence(want, b[3])
                   for b in blocks), res


def test_target_unharmed(target, pyxray_bin):
    """After every dump above: still running, nobody tracing it, and the
    main thread still answers."""
    dump(target, pyxray_bin, "--json")
    support.assert_not_stopped(target.pid)
    target.ping()
    support.assert_not_stopped(target.pid)
    # And pyxray still sees the same thing afterwards.
    check_snapshot(dump(target, pyxray_bin, "--json").json(), target)
