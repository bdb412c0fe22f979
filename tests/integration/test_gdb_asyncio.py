# SPDX-License-Identifier: MIT
"""asyncio tasks in GDB: `py-tasks`, `py-bt-all --tasks` and the MI command
`-py-tasks`, on a live inferior (read by pid) and on a gcore core of the
same process (read through GDB's memory: the reader path, with
_AsyncioDebug from GDB's symbols on 3.14+). The tasks must be the ones
`pyxray dump --tasks --json` reads from the live process: names, states,
coroutine frames (function, file, line) and awaits, thread by thread.

Variants: the representative subset, 3.14+ and Debian's python3.
"""
import json
import os
import subprocess

import pytest

import gdb_support
import support
import test_asyncio
import test_gdb_mi
from support import run_pyxray


@pytest.fixture(scope="module", params=[p for p in gdb_support.subset_params()
                                        if p.values[0].version >= (3, 8)])
def gv(request):
    return request.param


@pytest.fixture(scope="module")
def live(gv, workdir):
    t = test_asyncio.start(gv, workdir, "--many", "5")
    yield t
    t.kill()


def after(t):
    gdb_support.after_session(t)
    test_asyncio.wait_idle(t)


def summary(doc):
    """{(where, name): (state, frames, sorted awaited names)} of a JSON
    document's main interpreter."""
    main = [i for i in doc["processes"][0]["interpreters"] if i["main"]][0]
    names = {}
    rows = []
    for th in main["threads"]:
        for t in th.get("tasks", []):
            names[t["id"]] = t["name"]
            rows.append((th["name"], t))
    for t in main["tasks_of_stopped_loops"]:
        names[t["id"]] = t["name"]
        rows.append(("stopped", t))
    out = {}
    for where, t in rows:
        frames = [(f["function"], f["file"], f["line"]) for f in t["frames"]]
        out[(where, t["name"])] = (t["state"], frames,
                                   sorted(names.get(a, "?") for a in t["awaits"]))
    return out


def steps():
    s = gdb_support.Session()
    s.cmd("tasks", "py-tasks")
    s.cmd("json", "py-tasks --json")
    s.cmd("nogroup", "py-tasks --no-group")
    s.cmd("bt-all", "py-bt-all --tasks")
    s.cmd("bt-all-plain", "py-bt-all")
    s.cmd("bad", "py-tasks --bogus")
    return s


def check_session(s, want):
    got = summary(json.loads(s.out("json")))
    assert got == want
    text = s.out("tasks")
    assert '5 tasks with this stack (pending): "worker-' in text, text
    assert "Await tree (as python -m asyncio pstree draws it):" in text
    assert "run_forever" not in text  # tasks only, no thread stacks
    assert s.out("nogroup").count('Task "worker-') == 5
    bt = s.out("bt-all")
    assert "asyncio tasks of the event loop" in bt and "run_forever" in bt
    assert "asyncio tasks" not in s.out("bt-all-plain")
    msg = s.error("bad")
    assert "unknown option '--bogus'" in msg and "Usage: py-tasks" in msg


def test_live_inferior(live, pyxray_bin, workdir):
    want = summary(run_pyxray(pyxray_bin, "dump", "--tasks", "--json", live.pid).json())
    s = steps()
    s.execute(["-p", str(live.pid)], workdir)
    after(live)
    check_session(s, want)


def test_gcore(live, pyxray_bin, workdir):
    want = summary(run_pyxray(pyxray_bin, "dump", "--tasks", "--json", live.pid).json())
    prefix = os.path.join(workdir, "agcore-%s" % live.variant.id)
    res = subprocess.run(["gcore", "-o", prefix, str(live.pid)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=gdb_support.GDB_TIMEOUT)
    path = "%s.%d" % (prefix, live.pid)
    assert res.returncode == 0 and os.path.exists(path), res.stdout[-3000:]
    try:
        after(live)
        s = steps()
        s.execute([os.readlink("/proc/%d/exe" % live.pid), path], workdir)
        check_session(s, want)
        doc = json.loads(s.out("json"))
        src = [i for i in doc["processes"][0]["interpreters"] if i["main"]][0]["tasks_source"]
        if live.variant.version >= (3, 14) and live.variant.kind != "distro":
            assert "_AsyncioDebug 3.%d" % live.variant.version[1] in src, src
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_mi_tasks(live, pyxray_bin):
    want = summary(run_pyxray(pyxray_bin, "dump", "--tasks", "--json", live.pid).json())
    records, run = test_gdb_mi.run_mi(["-p", str(live.pid)],
                                      ["-py-tasks", "-py-tasks --bogus"])
    after(live)
    cls, res, _ = records["1"]
    assert cls == "done", (res, run)
    p = res["processes"][0]
    assert p["pid"] == str(live.pid)
    main = [i for i in p["interpreters"] if i["main"] == "true"][0]
    names = {}
    for th in main["threads"]:
        for t in th.get("tasks", []):
            names[t["id"]] = t["name"]
    got = {}
    for th in main["threads"]:
        for t in th.get("tasks", []):
            frames = [(f["function"], f["file"], int(f["line"])) for f in t.get("frames", [])]
            got[(th["name"], t["name"])] = (t["state"], frames,
                                            sorted(names.get(a, "?")
                                                   for a in t.get("awaits", [])))
    for t in main.get("tasks_of_stopped_loops", []):
        got[("stopped", t["name"])] = (t["state"], [(f["function"], f["file"], int(f["line"]))
                                                    for f in t.get("frames", [])], [])
    assert got == want
    cls, res, _ = records["2"]
    assert cls == "error" and "unknown argument '--bogus'" in res["msg"], res
