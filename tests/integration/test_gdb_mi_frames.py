# SPDX-License-Identifier: MIT
"""The MI commands frontends build on (docs/gdb.md, "Frames for
frontends"): -py-stack-list-frames gives each thread's native and Python
frames in call order, every Python frame with an absolute fullname and the
GDB level of the eval frame that runs it; -py-frame-variables (with each
variable's address and child count), -py-var-children (expanding a
variable), -py-evaluate, -py-threads and -py-select-frame. Against threads_target.py on the
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
        kids = "-py-var-children --thread %s 0 %%s" % ids[w1]
        self_row = [v for v in got["vars"].get("variables", ()) if v["name"] == "self"]
        if self_row:
            got["self kids"] = mi.command(kids % self_row[0]["addr"])
            reg = [v for v in got["self kids"].get("children", ()) if v["name"] == "reg"]
            if reg:
                got["reg kids"] = mi.command(kids % reg[0]["addr"])
                info = [v for v in got["reg kids"].get("children", ()) if v["name"] == "info"]
                if info:
                    got["info kids"] = mi.command(kids % info[0]["addr"])
                    got["info page"] = mi.command(kids % (info[0]["addr"] + " 1 1"))
        fd_row = [v for v in got["vars"].get("variables", ()) if v["name"] == "fd"]
        got["fd kids"] = mi.command(kids % (fd_row[0]["addr"] if fd_row else "0x0"))
        got["bad addr kids"] = mi.command(kids % "0x10")
        got["kids usage"] = mi.command(kids % "0x10 1")
        # numbers a frontend could send that int() takes or ctypes refuses
        for bad in ("-5", "0x1ffffffffffffffff", "18446744073709551616", "\u0663",
                    "0x10 \uff11 1", "0x10 0 99999999999999999999"):
            got["kids bad " + bad] = mi.command(kids % bad)
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


def test_variable_children(session):
    """-py-var-children expands a variable: Parker's attributes, then the
    Registry it holds, then the registry's dict of thread infos, paged."""
    t, got = session
    rows = {x["name"]: x for x in got["vars"]["variables"]}
    assert int(rows["self"]["children"]) >= 1 and rows["self"]["addr"].startswith("0x"), rows
    assert rows["fd"]["children"] == "0", rows
    sk = got["self kids"]
    assert sk["class"] == "done", sk
    kids = {x["name"]: x for x in sk["children"]}
    assert kids["reg"]["kind"] == "attr" and kids["reg"]["value"].startswith("<Registry"), kids
    assert sk["total"] == str(len(sk["children"])) == rows["self"]["children"], sk
    rk = got["reg kids"]
    assert rk["class"] == "done", rk
    kids = {x["name"]: x for x in rk["children"]}
    assert {"lock", "info", "write_ends"} <= set(kids), kids
    assert kids["write_ends"]["value"].startswith("["), kids
    assert kids["write_ends"]["children"] == str(kids["write_ends"]["value"].count(",") + 1)
    assert kids["write_ends"]["indexed"] == "true" and kids["info"]["indexed"] == "false"
    ik = got["info kids"]
    assert ik["class"] == "done", ik
    names = [x["name"] for x in ik["children"]]
    # each parked thread registered itself under its name; keys are reprs
    assert "'worker-1'" in names, names
    assert int(ik["total"]) == len(names) == int(kids["info"]["children"]), ik
    w1 = [x for x in ik["children"] if x["name"] == "'worker-1'"][0]
    assert w1["kind"] == "entry" and w1["value"].startswith("{") and int(w1["children"]) >= 1
    assert "'fd': %d" % t.report["threads"]["worker-1"]["fd"] in w1["value"], w1
    page = got["info page"]
    assert page["class"] == "done" and page["total"] == ik["total"], page
    assert [x["name"] for x in page["children"]] == names[1:2], page
    assert got["fd kids"]["class"] == "error", got["fd kids"]
    assert "has no children to list" in got["fd kids"]["msg"], got["fd kids"]
    assert got["bad addr kids"]["class"] == "error", got["bad addr kids"]
    assert "0x10" in got["bad addr kids"]["msg"], got["bad addr kids"]
    assert got["kids usage"]["class"] == "error" and "usage" in got["kids usage"]["msg"]
    for key in [k for k in got if k.startswith("kids bad ")]:
        assert got[key]["class"] == "error", (key, got[key])
        assert re.match(r"^-py-var-children: (ADDR|START|COUNT) must be", got[key]["msg"]), \
            (key, got[key])


def test_select_frame(session):
    """-py-select-frame selects the frame py-locals (and the TUI) read."""
    t, got = session
    assert got["select"]["class"] == "done", got["select"]
    assert got["locals"]["class"] == "done", got["locals"]
    assert re.match(r"^reg = <Registry object at 0x[0-9a-f]+>\n$", got["locals text"]), \
        got["locals text"]
