# SPDX-License-Identifier: MIT
"""Process trees from the CLI: `pyxray dump --children` and `pyxray ps` over
multiprocessing pools (fork, spawn, forkserver), ProcessPoolExecutor, nested
pools, a non-Python child, a zombie, a child that exits during the dump, and
a child running another Python version."""
import json
import os
import re
import signal
import subprocess

import pytest

import required
import support

PROGRAM = os.path.join(support.SRCDIR, "tests", "programs", "tree_target.py")
MARKS = support.marker_lines(PROGRAM)


def interp(version):
    for v in support.VARIANTS:
        if v.kind == "base" and v.version == version and not v.absent:
            return v.interp.exe
    return None


# 3.11 runs the pools; 3.13 is the other version of a mixed tree (both
# required: required.REQUIRED_VARIANTS).
PARENT = interp((3, 11))
OTHER = interp((3, 13))


class Tree(object):
    """tree_target.py started in its own process group; killed as a group."""

    def __init__(self, *args, python=None):
        if PARENT is None:
            required.absent("python 3.11 to run the pools")
        self.proc = subprocess.Popen([python or PARENT, PROGRAM] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("READY "):
            self.close()
            raise AssertionError("tree_target did not start: %r %s" % (
                line, self.proc.stderr.read().decode()))
        self.info = json.loads(line[6:])
        self.pid = self.info["parent"]

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def dump(*args):
    res = support.run_pyxray(support.pyxray_path(), "dump", *args)
    assert res.rc == 0, res
    return res


def procs_by_pid(doc):
    return {p["pid"]: p for p in doc["processes"]}


def top_frame(p):
    main = [i for i in p["interpreters"] if i["main"]][0]
    for th in main["threads"]:
        if th["name"] == "MainThread":
            return th["frames"][0]
    raise AssertionError("no MainThread in %r" % p)




@pytest.mark.parametrize("start", ["fork", "spawn", "forkserver"])
def test_pool_every_worker(start):
    role = {"fork": "ForkPoolWorker", "spawn": "SpawnPoolWorker",
            "forkserver": "ForkServerPoolWorker"}[start]
    with Tree("--start", start, "--workers", "3") as t:
        doc = dump("--children", "--json", t.pid).json()
        procs = procs_by_pid(doc)
        assert doc["processes"][0]["pid"] == t.pid
        assert procs[t.pid]["depth"] == 0 and procs[t.pid]["python"]
        assert set(t.info["workers"]) <= set(procs), doc
        for w in t.info["workers"]:
            p = procs[w]
            assert p["python"] and p["depth"] >= 1, p
            assert re.match(r"^%s-\d+$" % role, p["role"] or ""), p
            f = top_frame(p)
            assert (f["function"], f["file"], f["line"]) == (
                "park_worker", PROGRAM, MARKS["PARK:worker"]), f
            support.assert_not_stopped(w)
        # children are listed in their parent's record
        assert set(w for w in t.info["workers"] if procs[w]["ppid"] == t.pid) <= set(
            procs[t.pid]["children"])
        if start == "forkserver":
            server = [p for p in doc["processes"] if "forkserver" in " ".join(p["argv"])]
            assert server and server[0]["python"], doc
        support.assert_not_stopped(t.pid)


def test_grouping_default_and_no_group():
    with Tree("--workers", "4") as t:
        text = dump("--children", t.pid).out
        m = re.search(r"^(\d+) processes with these stacks: (.*)$", text, re.M)
        assert m, text
        assert int(m.group(1)) == 4
        listed = [int(x) for x in re.findall(r"(\d+) \"ForkPoolWorker-\d+\"", m.group(2))]
        assert sorted(listed) == t.info["workers"], text
        assert text.count("park_worker (%s:%d)" % (PROGRAM, MARKS["PARK:worker"])) == 1, text
        flat = dump("--children", "--no-group", t.pid).out
        assert "processes with these stacks" not in flat
        assert flat.count("park_worker (%s:%d)" % (PROGRAM, MARKS["PARK:worker"])) == 4, flat


def test_executor():
    with Tree("--executor", "--workers", "2") as t:
        procs = procs_by_pid(dump("--children", "--json", t.pid).json())
        for w in t.info["workers"]:
            assert top_frame(procs[w])["function"] == "park_worker", procs[w]
            assert procs[w]["role"], procs[w]


def test_nested_pools_and_depth():
    with Tree("--nested", "--workers", "2") as t:
        procs = procs_by_pid(dump("--children", "--json", t.pid).json())
        for n in t.info["nested"]:
            assert procs[n]["depth"] == 2, procs[n]
            f = top_frame(procs[n])
            assert (f["function"], f["line"]) == ("park_nested", MARKS["PARK:nested"]), f
        for w in t.info["workers"]:
            assert procs[w]["depth"] == 1
            frames = top_frame(procs[w])
            assert frames["function"] == "park_worker"
        shallow = procs_by_pid(dump("--children", "--depth", "1", "--json", t.pid).json())
        assert set(t.info["workers"]) <= set(shallow)
        assert not set(t.info["nested"]) & set(shallow)


def test_mixed_versions():
    if OTHER is None:
        required.absent("python 3.13 for a mixed tree")
    with Tree("--other-python", OTHER, "--workers", "1") as t:
        procs = procs_by_pid(dump("--children", "--json", t.pid).json())
        other = procs[t.info["other"]]
        want = subprocess.run([OTHER, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                              stdout=subprocess.PIPE).stdout.decode().strip()
        assert other["python_version"] == want, other
        assert procs[t.pid]["python_version"] != want
        f = top_frame(other)
        assert (f["function"], f["line"]) == ("park_other", MARKS["PARK:other"]), f


def test_non_python_and_zombie_children():
    with Tree("--sleep-child", "--zombie", "--workers", "1") as t:
        res = dump("--children", "--json", t.pid)
        procs = procs_by_pid(res.json())
        sleep = procs[t.info["sleep"]]
        assert not sleep["python"] and "has no Python interpreter" in sleep["error"], sleep
        zombie = procs[t.info["zombie"]]
        assert zombie["state"] == "zombie" and "zombie" in zombie["error"], zombie
        assert top_frame(procs[t.info["workers"][0]])["function"] == "park_worker"
        text = dump("--children", t.pid).out
        assert "(not a Python process)" in text and "is a zombie" in text, text


def test_child_exiting_during_dump():
    for ms in (0, 5, 20):
        with Tree("--short-child", str(ms), "--workers", "1") as t:
            res = dump("--children", "--json", t.pid)
            procs = procs_by_pid(res.json())
            assert t.pid in procs and t.info["workers"][0] in procs
            short = procs.get(t.info["short"])
            # Caught in Py_Finalize it is still alive, its interpreter gone.
            if short is not None and short.get("error"):
                assert "exited" in short["error"] or "zombie" in short["error"] or \
                    "no such process" in short["error"] or \
                    "finalized" in short["error"], short


def test_root_not_python():
    # `timeout` is not Python; its Python child still gets dumped.
    proc = subprocess.Popen(["timeout", "60", PARENT, PROGRAM, "--workers", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    try:
        info = json.loads(proc.stdout.readline().decode()[6:])
        procs = procs_by_pid(dump("--children", "--json", proc.pid).json())
        assert not procs[proc.pid]["python"]
        assert procs[info["parent"]]["python"]
        assert top_frame(procs[info["workers"][0]])["function"] == "park_worker"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_ps_lists_the_tree():
    with Tree("--sleep-child", "--workers", "2") as t:
        res = support.run_pyxray(support.pyxray_path(), "ps", t.pid)
        assert res.rc == 0, res
        lines = res.out.splitlines()
        assert lines[0].split()[:8] == ["PID", "PPID", "PYTHON", "STATE", "THREADS", "INTERPS",
                                        "GIL", "COMMAND"], res.out
        rows = {int(l.split()[0]): l.split() for l in lines[1:]}
        ver = procs_by_pid(dump("--json", t.pid).json())[t.pid]["python_version"]
        for pid in [t.pid] + t.info["workers"]:
            assert rows[pid][2] == ver and rows[pid][3] in ("sleeping", "running"), rows[pid]
        assert rows[t.info["sleep"]][2] == "-"
        assert rows[t.pid][1] != "-" and int(rows[t.pid][4]) >= 1
        doc = json.loads(support.run_pyxray(support.pyxray_path(), "ps", "--json", t.pid).out)
        assert {t.pid, t.info["sleep"]} | set(t.info["workers"]) <= set(procs_by_pid(doc))
        for pid in [t.pid] + t.info["workers"]:
            support.assert_not_stopped(pid)


def test_tree_usage_errors():
    for args in (["dump", "--depth", "2", "1"], ["dump", "--children", "--depth", "x", "1"],
                 ["ps"], ["ps", "--bogus", "1"]):
        res = support.run_pyxray(support.pyxray_path(), *args)
        assert res.rc == 2 and "see 'pyxray --help'" in res.err, res
