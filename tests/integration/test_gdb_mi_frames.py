# SPDX-License-Identifier: MIT
"""The MI commands frontends build on (docs/gdb.md, "Frames for
frontends"): -py-stack-list-frames gives each thread's native and Python
frames in call order, every Python frame with an absolute fullname and the
GDB level of the eval frame that runs it; -py-frame-variables, -py-evaluate,
-py-threads and -py-select-frame. Against threads_target.py on the
representative subset, with the frames compared with support.expected_stacks
and the levels with GDB's own unfiltered -stack-list-frames.
"""
import os
import re

import pytest

import gdb_support
import support
from test_gdb_framefilter import EVAL, MI, expected_by_tid


@pytest.fixture(scope="module", params=gdb_support.subset_params())
def session(request, workdir):
    t = support.start_target(request.param, workdir)
    try:
        t.wait_ready()
        t.wait_parked()
        support.RAN.add(request.param.id)
        mi = MI(["-p", str(t.pid)], workdir)
        got = {"threads": mi.command("-py-threads")}
        ids = {}
        for th in mi.command("-thread-info")["threads"]:
            m = re.search(r"\(LWP (\d+)\)", th["target-id"])
            ids[int(m.group(1))] = th["id"]
        got["ids"] = ids
        got["stacks"], got["native"], got["args"] = {}, {}, {}
        for tid in expected_by_tid(t):
            got["stacks"][tid] = mi.command("-py-stack-list-frames --thread %s" % ids[tid])
            got["args"][tid] = mi.command("-py-stack-list-frames --thread %s --args"
                                          % ids[tid])
            got["native"][tid] = mi.command("-stack-list-frames --thread %s"
                                            % ids[tid])
        w1 = t.report["threads"]["worker-1"]["tid"]
        got["vars"] = mi.command("-py-frame-variables --thread %s 0" % ids[w1])
        got["vars1"] = mi.command("-py-frame-variables --thread %s 2" % ids[w1])
        got["eval self"] = mi.command("-py-evaluate --thread %s 0 self" % ids[w1])
        got["eval os"] = mi.command("-py-evaluate --thread %s 1 os" % ids[w1])
        got["eval none"] = mi.command("-py-evaluate --thread %s 0 no_such_xyz" % ids[w1])
        got["bad frame"] = mi.command("-py-frame-variables --thread %s 99" % ids[w1])
        got["no frame"] = mi.command("-py-frame-variables --thread %s" % ids[w1])
        got["select"] = mi.command("-py-select-frame --thread %s 2" % ids[w1])
        mark = len(mi.transcript)
        got["locals"] = mi.command('-interpreter-exec --thread %s console "py-locals"'
                                   % ids[w1])
        got["locals text"] = "".join(
            line[2:-1].replace("\\n", "\n") for line in mi.transcript[mark:]
            if line.startswith('~"'))
        rc, err = mi.close()
        assert rc == 0, (rc, err)
        gdb_support.after_session(t)
        yield t, got
    finally:
        t.kill()


def test_stack_python_frames_in_call_order(session):
    t, got = session
    for tid, frames in expected_by_tid(t).items():
        res = got["stacks"][tid]
        assert res["class"] == "done", res
        stack = res["stack"]
        py = [f for f in stack if f["kind"] == "python"]
        # every Python frame, none elided, innermost first, with source
        assert [(f["func"], f["file"], int(f["line"])) for f in py] == frames, (tid, stack)
        assert [int(f["pyframe"]) for f in py] == list(range(len(py)))
        assert res["python_frames"] == str(len(py))
        for f in py:
            if not f["file"].startswith("<"):
                assert os.path.isabs(f["fullname"]) and os.path.isfile(f["fullname"]), f
        # levels are GDB's, in order; each Python frame sits on an eval frame
        native = {int(f["level"]): f for f in got["native"][tid]["stack"]}
        levels = [int(f["level"]) for f in stack]
        assert levels == sorted(levels), levels
        for f in stack:
            nf = native[int(f["level"])]
            if f["kind"] == "python":
                assert nf["func"].startswith(EVAL), (f, nf)
            else:
                assert f["func"] == nf.get("func", "??"), (f, nf)
                assert f["addr"] == nf["addr"], (f, nf)
                if "fullname" in nf:
                    assert f["fullname"] == nf["fullname"], (f, nf)
        evals = [lv for lv, nf in native.items() if nf.get("func", "").startswith(EVAL)]
        assert sorted({int(f["level"]) for f in py}) == sorted(evals), (evals, stack)
        # the interpreter's own native frames are marked; libc's are not
        for f in stack:
            if f["kind"] == "native" and f["func"].startswith("__GI___libc_read"):
                assert f["interp"] == "0", f
        assert any(f["kind"] == "native" and f["interp"] == "1" for f in stack), stack


def test_stack_arguments(session):
    t, got = session
    w1 = t.report["threads"]["worker-1"]["tid"]
    res = got["args"][w1]
    py = [f for f in res["stack"] if f["kind"] == "python"]
    args = py[0]["args"]
    assert [a["name"] for a in args] == ["self"], py[0]
    assert re.match(r"^<Parker object at 0x[0-9a-f]+>$", args[0]["value"]), args
    assert "args" not in [f for f in got["stacks"][w1]["stack"] if f["kind"] == "python"][0]


def test_threads(session):
    t, got = session
    res = got["threads"]
    assert res["class"] == "done", res
    by_lwp = {int(r["lwp"]): r for r in res["threads"]}
    for name, r in t.report["threads"].items():
        row = by_lwp[r["tid"]]
        want = "subinterp-host" if name == "subinterp" else name
        assert row["name"] == want and row["python"] == "true", row
        assert row["id"] == got["ids"][r["tid"]], row
        assert row["process"] == "threads_target.py", row
    holders = [r for r in res["threads"] if r["holds_gil"] == "true"]
    assert [h["name"] for h in holders] in ([], ["spinner"]), holders


def test_variables_and_evaluate(session):
    t, got = session
    v = got["vars"]
    assert v["class"] == "done", v
    kinds = {x["name"]: (x["kind"], x["value"]) for x in v["variables"]}
    assert kinds["self"][0] == "arg" and kinds["self"][1].startswith("<Parker object"), kinds
    assert kinds["fd"] == ("local", str(t.report["threads"]["worker-1"]["fd"])), kinds
    kinds = {x["name"]: x["kind"] for x in got["vars1"]["variables"]}
    assert kinds == {"reg": "arg"}, got["vars1"]
    assert got["eval self"]["scope"] == "local", got["eval self"]
    assert got["eval os"]["scope"] == "global" and "module" in got["eval os"]["value"]
    assert got["eval none"]["class"] == "error"
    assert "'no_such_xyz' not found" in got["eval none"]["msg"], got["eval none"]
    assert got["bad frame"]["class"] == "error" and "no frame 99" in got["bad frame"]["msg"]
    assert got["no frame"]["class"] == "error" and "PYFRAME" in got["no frame"]["msg"]


def test_select_frame(session):
    """-py-select-frame selects the frame py-locals (and the TUI) read."""
    t, got = session
    assert got["select"]["class"] == "done", got["select"]
    assert got["locals"]["class"] == "done", got["locals"]
    assert re.match(r"^reg = <Registry object at 0x[0-9a-f]+>\n$", got["locals text"]), \
        got["locals text"]
