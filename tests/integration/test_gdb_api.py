# SPDX-License-Identifier: MIT
"""The scripting API (`import pyxray`, docs/gdb.md "Scripting"): a GDB
script reads a live process and its core as model objects, with no text
parsed, and gets the stacks threads_target.py must show; a plain Python
program reads a live pid the same way.
"""
import json
import os
import subprocess
import sys

import pytest

import gdb_support
import support

# Runs in GDB (or, with PYXRAY_API_PID, in a plain Python): the model as
# the JSON of docs/json.md, built from attributes only.
SCRIPT = r'''
import json, os, sys
sys.path.insert(0, os.environ["PYXRAY_GDBEXT"])
import pyxray


def frame_doc(f):
    d = {"function": f.function, "qualname": f.qualname, "file": f.file, "line": f.line}
    if f.error:
        d["error"] = f.error
    return d


def proc_doc(p):
    return {"pid": p.pid, "python_version": p.python_version,
            "interpreters": [
                {"id": it.id, "main": it.main,
                 "threads": [{"tid": t.tid, "thread_id": t.thread_id, "name": t.name,
                              "holds_gil": t.holds_gil,
                              "frames": [frame_doc(f) for f in t.frames]}
                             for t in it.threads]}
                for it in p.interpreters]}


pid = os.environ.get("PYXRAY_API_PID")
if pid:
    snap = pyxray.snapshot(pid=int(pid), locals=True)
else:
    snap = pyxray.snapshot(locals=True)
proc = snap.process()
out = {"process": proc_doc(proc), "types": sorted({type(o).__name__ for o in (
    snap, proc, proc.interpreters[0], proc.threads[0], proc.threads[0].frames[0])})}
worker = [t for t in proc.threads if t.name == "worker-1"][0]
top = worker.frames[0]
out["locals"] = [(v.kind, v.name, v.repr) for v in top.locals]
out["args"] = [v.name for v in top.arguments]
out["lookup"] = [top.lookup("self"), top.lookup("os"), top.lookup("len")]
try:
    top.lookup("no_such_name")
    out["unbound"] = "no error"
except pyxray.PyxrayError as e:
    out["unbound"] = str(e)
out["frame_text"] = top.text(0, source=False)
ost = snap.os_thread(worker.tid)
out["os_thread"] = [f.qualname for f in ost.frames]
if not pid:
    import gdb
    for th in gdb.selected_inferior().threads():
        if th.ptid[1] == worker.tid:
            out["thread_frames"] = [f.qualname for f in pyxray.thread_frames(th)]
if pid:
    snap.close()
with open(os.environ["PYXRAY_API_OUT"], "w") as f:
    json.dump(out, f)
'''


@pytest.fixture(params=gdb_support.subset_params())
def sv(request):
    return request.param


def check(out, t):
    p = dict(out["process"])
    gdb_support.check_stacks(p, t)
    assert out["types"] == ["Frame", "Interpreter", "Process", "Snapshot", "Thread"], out
    assert out["args"] == ["self"], out
    kinds = {name: kind for kind, name, _ in out["locals"]}
    assert kinds.get("self") == "arg" and kinds.get("fd") == "local", out["locals"]
    assert out["lookup"][0][0] == "local" and out["lookup"][0][1].startswith("<Parker object"), out
    assert out["lookup"][1][0] == "global" and "module" in out["lookup"][1][1], out
    assert out["lookup"][2][0] == "builtin", out
    assert "no_such_name" in out["unbound"], out
    marks = support.marker_lines(support.TARGET)
    assert out["frame_text"] == "#0 %s (%s:%d)\n" % (
        "Parker._block" if t.variant.version >= (3, 11) else "_block", support.TARGET,
        marks["PARK:worker-1"]), out
    expected = [f["qualname"] for f in support.expected_stacks(t)["main"]["worker-1"]]
    assert out["os_thread"] == expected, out
    if "thread_frames" in out:
        assert out["thread_frames"] == expected, out


def run_script(args, workdir, extra_env=None):
    script = os.path.join(workdir, "api_script.py")
    with open(script, "w") as f:
        f.write(SCRIPT)
    result = os.path.join(workdir, "api_out.json")
    if os.path.exists(result):
        os.unlink(result)
    env = {"PYXRAY_API_OUT": result,
           "PYXRAY_GDBEXT": os.path.join(support.SRCDIR, "gdbext")}
    env.update(extra_env or {})
    if args is None:
        genv = gdb_support.gdb_env(env)
        proc = subprocess.run([sys.executable, script], env=genv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()
    else:
        run = gdb_support.run_gdb(args + ["-ex", "source %s" % script], workdir=workdir,
                                  env=env)
        assert os.path.exists(result), run
    with open(result) as f:
        return json.load(f)


def test_api_live_and_core(sv, workdir):
    t = support.start_target(sv, workdir)
    core = os.path.join(workdir, "api-%s.core" % sv.id)
    try:
        t.wait_ready()
        t.wait_parked()
        check(run_script(["-p", str(t.pid)], workdir), t)
        gdb_support.after_session(t)
        # outside GDB: a plain Python program reads the pid itself
        check(run_script(None, workdir, {"PYXRAY_API_PID": str(t.pid)}), t)
        gdb_support.after_session(t)
        gdb_support.run_gdb(["-p", str(t.pid), "-ex", "gcore %s" % core], workdir=workdir,
                            ext=False)
        gdb_support.after_session(t)
        assert os.path.exists(core)
        check(run_script([os.path.realpath(t.argv[0]), core], workdir), t)
    finally:
        t.kill()
        if os.path.exists(core):
            os.unlink(core)


# Runs in GDB with a core in inferior 1 and an empty inferior 2 selected:
# a frame's children are read from inferior 1's memory (they were read from
# the selected inferior's), the selection is left as it was (a snapshot of
# inferior 1 selected it), and a Ctrl-C during a name lookup's reads reaches
# the caller and leaves the snapshot usable (it was swallowed, and every
# later read failed).
TWO_INFERIORS = r'''
import json, os, sys
sys.path.insert(0, os.environ["PYXRAY_GDBEXT"])
import gdb
import pyxray
from pyxray import target

out = {}
core_inf = [i for i in gdb.inferiors() if i.num == 1][0]
gdb.execute("add-inferior -no-connection", to_string=True)
gdb.execute("inferior 2", to_string=True)
snap = pyxray.snapshot(inferior=core_inf, locals=True)
worker = [t for t in snap.process().threads if t.name == "worker-1"][0]
top = worker.frames[0]
me = [v for v in top.locals if v.name == "self"][0]
out["selected"] = gdb.selected_inferior().num
rows, total = top.children(me.addr)
out["children"] = sorted(r.name for r in rows)
real_enter = target._Selection.__enter__
def interrupted(self):
    target._Selection.__enter__ = real_enter
    raise KeyboardInterrupt()
target._Selection.__enter__ = interrupted
try:  # builtins: memory the take and the children did not read
    top.lookup("len")
    out["interrupt"] = "not raised"
except KeyboardInterrupt:
    out["interrupt"] = "raised"
target._Selection.__enter__ = real_enter
out["after"] = top.lookup("len")[0]
with open(os.environ["PYXRAY_API_OUT"], "w") as f:
    json.dump(out, f)
'''


def test_children_of_another_inferior(workdir):
    v = [p.values[0] for p in gdb_support.subset_params() if p.values[0].id == "3.11"][0]
    t = support.start_target(v, workdir)
    core = os.path.join(workdir, "api-two.core")
    script = os.path.join(workdir, "api_two.py")
    result = os.path.join(workdir, "api_two.json")
    try:
        t.wait_ready()
        t.wait_parked()
        gdb_support.run_gdb(["-p", str(t.pid), "-ex", "gcore %s" % core], workdir=workdir,
                            ext=False)
        gdb_support.after_session(t)
        with open(script, "w") as f:
            f.write(TWO_INFERIORS)
        run = gdb_support.run_gdb([os.path.realpath(t.argv[0]), core, "-ex",
                                   "source %s" % script], workdir=workdir,
                                  env={"PYXRAY_API_OUT": result,
                                       "PYXRAY_GDBEXT": os.path.join(support.SRCDIR, "gdbext")})
        assert os.path.exists(result), run
        with open(result) as f:
            out = json.load(f)
        assert out["selected"] == 2, out
        assert "reg" in out["children"], out
        assert out["interrupt"] == "raised", out
        assert out["after"] == "builtin", out
    finally:
        t.kill()
        for path in (core, script, result):
            if os.path.exists(path):
                os.unlink(path)
