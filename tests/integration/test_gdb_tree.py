# SPDX-License-Identifier: MIT
"""Process trees in GDB: py-bt-all and py-ps over an inferior's descendants
(multiprocessing pools of every start method, nested pools, a non-Python
child, a zombie, a child of another Python version), py-attach-children,
and follow-fork sessions (py-follow-forks) on a program GDB runs.

One gdb session per tree (tests/programs/tree_target.py), many steps each;
after every session the whole tree must be running and untraced."""
import json
import os
import re
import time

import pytest

import gdb_support
import required
import support
import test_tree
from gdb_support import Session
from test_tree import MARKS, OTHER, PARENT, PROGRAM, Tree

FORK_PROGRAM = os.path.join(support.PROGRAMS, "fork_target.py")
FORK_MARKS = support.marker_lines(FORK_PROGRAM)


ROLE = {"fork": "ForkPoolWorker", "spawn": "SpawnPoolWorker",
        "forkserver": "ForkServerPoolWorker"}


def python_version(exe):
    import subprocess
    return subprocess.run([exe, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                          stdout=subprocess.PIPE).stdout.decode().strip()


def assert_tree_unharmed(pids):
    """Every process running (not stopped) and untraced once gdb is gone."""
    deadline = time.time() + 10
    for pid in pids:
        while True:
            try:
                support.assert_not_stopped(pid)
                break
            except AssertionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.01)


def blocks(text):
    """{pid: (header line, body)} of a tree report's process sections; a
    grouped section is filed under each of its pids."""
    out = {}
    for sec in re.split(r"\n\n(?=\d+ processes with these stacks: |Process \d+)", text):
        m = re.match(r"(\d+) processes with these stacks: (.*)\n", sec)
        if m:
            for pid in re.findall(r"(\d+)(?: \"[^\"]*\")?(?:, |$)", m.group(2)):
                out[int(pid)] = (m.group(0), sec)
            continue
        m = re.match(r"Process (\d+)", sec)
        if m:
            out[int(m.group(1))] = (sec.split("\n", 1)[0], sec)
    return out


def ps_rows(out):
    """{pid: fields} of the rows under py-ps's tree table headers."""
    rows, inside = {}, False
    for line in out.splitlines():
        fields = line.split()
        if fields[:2] == ["PID", "PPID"]:
            inside = True
        elif inside and fields and fields[0].isdigit():
            rows[int(fields[0])] = fields
        else:
            inside = False
    return rows


def park_line(role):
    return "park_%s (%s:%d)" % (role, PROGRAM, MARKS["PARK:" + role])


# ---------------------------------------------------------------- a mixed tree

@pytest.fixture(scope="module")
def mixed(workdir):
    """A fork pool of 3, `sleep`, a zombie and a child of another Python
    version, read from `gdb -p PARENT`; then every Python descendant
    attached. Yields (tree, session)."""
    if OTHER is None:
        required.absent("python 3.13 for a mixed tree")
    extra = ["--other-python", OTHER]
    with Tree("--workers", "3", "--sleep-child", "--zombie", *extra) as t:
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.cmd("no-group", "py-bt-all --no-group")
        s.cmd("pyxray bt-all", "pyxray bt-all")
        s.cmd("no-children", "py-bt-all --no-children")
        s.cmd("json", "py-bt-all --json")
        s.cmd("ps", "py-ps")
        s.cmd("ps no-children", "py-ps --no-children")
        s.cmd("bad depth", "py-bt-all --depth x")
        s.cmd("bad depth2", "py-bt-all --no-children --depth 1")
        s.cmd("bad group", "py-bt-all --group --no-group")
        s.cmd("attach", "py-attach-children")
        s.cmd("inferiors", "info inferiors")
        s.cmd("threads", "info threads")
        s.cmd("attach again", "py-attach-children")
        s.cmd("ps attached", "py-ps")
        s.cmd("bt-all attached", "py-bt-all")
        s.lwp("select worker", t.info["workers"][1])
        s.cmd("worker bt", "py-bt")
        s.cmd("worker inferior", "inferior")
        s.execute(["-p", str(t.pid)], workdir)
        yield t, s
        # gdb -batch detached from every inferior it attached.
        assert_tree_unharmed([t.pid, t.info["sleep"]] + t.info["workers"] +
                             ([t.info["other"]] if OTHER else []))


def test_bt_all_every_worker_grouped(mixed):
    t, s = mixed
    text = s.out("bt-all")
    assert text.startswith("Process %d (ppid " % t.pid), text
    m = re.search(r"^3 processes with these stacks: (.*)$", text, re.M)
    assert m, text
    listed = sorted(int(p) for p in re.findall(r"(\d+) \"ForkPoolWorker-\d+\"", m.group(1)))
    assert listed == t.info["workers"], text
    assert text.count(park_line("worker")) == 1, text
    # the header: pid, role, ppid, command; Python version and threads
    sec = blocks(text)[t.info["workers"][0]][1]
    assert re.search(r"^Process \d+ \"ForkPoolWorker-\d+\" \(ppid %d\): .*tree_target.py"
                     % t.pid, sec, re.M), sec
    assert re.search(r"^Python 3\.11\.\d+ \(.*\), 1 thread$", sec, re.M), sec
    assert re.search(r"^Python 3\.11\.\d+ \(.*\), 4 threads$", text, re.M), text


def test_bt_all_equals_cli(mixed, pyxray_bin):
    """The same report as `pyxray dump --children` (whose reads of the
    parent differ only in its /proc state and the GIL holder)."""
    t, s = mixed
    res = support.run_pyxray(pyxray_bin, "dump", "--children", t.pid)
    assert res.rc == 0, res

    def norm(text):
        return gdb_support.text_lines(gdb_support.without_gil(text))
    assert norm(s.out("bt-all")) == norm(res.out)
    assert s.out("pyxray bt-all") == s.out("bt-all")


def test_no_group(mixed):
    t, s = mixed
    text = s.out("no-group")
    assert "processes with these stacks" not in text
    assert text.count(park_line("worker")) == 3, text
    for w in t.info["workers"]:
        assert re.search(r"^Process %d \"ForkPoolWorker-\d+\" \(ppid %d\)" % (w, t.pid),
                         text, re.M), text


def test_non_python_and_zombie(mixed):
    t, s = mixed
    got = blocks(s.out("bt-all"))
    assert "(not a Python process)" in got[t.info["sleep"]][1]
    assert "sleep 1000" in got[t.info["sleep"]][0]
    assert "is a zombie" in got[t.info["zombie"]][1], got[t.info["zombie"]]


def test_mixed_versions(mixed):
    t, s = mixed
    sec = blocks(s.out("bt-all"))[t.info["other"]][1]
    assert re.search(r"^Python %s \(" % re.escape(python_version(OTHER)), sec, re.M), sec
    assert park_line("other") in sec, sec


def test_no_children(mixed):
    t, s = mixed
    text = s.out("no-children")
    assert re.findall(r"^Process (\d+)", text, re.M) == [str(t.pid)], text
    assert "processes with these stacks" not in text


def test_json_tree(mixed):
    t, s = mixed
    doc = json.loads(s.out("json"))
    procs = {p["pid"]: p for p in doc["processes"]}
    assert doc["processes"][0]["pid"] == t.pid
    assert "stopped_us" not in procs[t.pid], "GDB's inferior is read without a second stop"
    for w in t.info["workers"]:
        p = procs[w]
        assert p["depth"] == 1 and p["ppid"] == t.pid and p["python"], p
        assert re.match(r"^ForkPoolWorker-\d+$", p["role"]), p
        assert 0 <= p["stopped_us"] < 5000000, p  # stopped while read, by pyxray
        assert test_tree.top_frame(p)["line"] == MARKS["PARK:worker"]
    assert not procs[t.info["sleep"]]["python"]
    assert procs[t.info["zombie"]]["state"] == "zombie"


def test_ps_tree(mixed):
    t, s = mixed
    out = s.out("ps")
    assert out.startswith("Inferior 1 (process %d): " % t.pid), out
    assert re.search(r"^  PID +PPID +PYTHON +STATE +THREADS +INTERPS +GIL +INF +COMMAND$",
                     out, re.M), out
    rows = ps_rows(out)
    ver = rows[t.pid][2]
    assert re.match(r"3\.11\.\d+$", ver), out
    assert rows[t.pid][3] == "tracing-stop" and rows[t.pid][7] == "1", rows[t.pid]
    assert int(rows[t.pid][4]) == 4 and rows[t.pid][5] == "0", rows[t.pid]
    for w in t.info["workers"]:
        r = rows[w]
        assert r[1] == str(t.pid) and r[2] == ver and r[3] in ("sleeping", "running"), r
        assert r[4] == "1" and r[7] == "-" and re.match(r"\[ForkPoolWorker-\d+\]", r[8]), r
    assert rows[t.info["sleep"]][2] == "-" and rows[t.info["sleep"]][3] == "sleeping"
    assert rows[t.info["zombie"]][3] == "zombie"
    if OTHER:
        assert rows[t.info["other"]][2] == python_version(OTHER)
    # pids indented by depth
    assert re.search(r"^    %d " % t.info["workers"][0], out, re.M), out
    assert "process tree" not in s.out("ps no-children")


def test_usage_errors(mixed):
    t, s = mixed
    for key in ("bad depth", "bad depth2", "bad group"):
        assert "Usage:" in s.error(key), s[key]


def test_attach_children(mixed):
    t, s = mixed
    out = s.out("attach")
    nums = {}
    for m in re.finditer(r"^Inferior (\d+): pid (\d+)( \"[^\"]+\")? \(ppid (\d+)\), "
                         r"Python (\S+), (\d+) threads?: ", out, re.M):
        nums[int(m.group(2))] = int(m.group(1))
    want = t.info["workers"] + ([t.info["other"]] if OTHER else [])
    assert sorted(nums) == sorted(want), out
    assert "pid %d (sleep 1000): not a Python process; not attached" % t.info["sleep"] in out
    assert "pid %d is a zombie" % t.info["zombie"] in out
    infs = s.out("inferiors")
    for pid, num in nums.items():
        assert re.search(r"^\*?\s+%d\s+process %d\s" % (num, pid), infs, re.M), infs
    # the user's inferior stays selected
    assert re.search(r"^\*\s+1\s+process %d\s" % t.pid, infs, re.M), infs
    threads = s.out("threads")
    for w in t.info["workers"]:
        assert re.search(r"^\s+%d\.1\s+Thread 0x[0-9a-f]+ \(LWP %d\) \"ForkPoolWorker-\d+\""
                         % (nums[w], w), threads, re.M), threads
    assert "No descendant Python process to attach" not in s.out("attach again")
    assert not re.search(r"^Inferior \d+:", s.out("attach again"), re.M)
    # py-ps gives their inferior numbers
    rows = ps_rows(s.out("ps attached"))
    for pid, num in nums.items():
        assert rows[pid][7] == str(num) and rows[pid][3] == "tracing-stop", rows[pid]


def test_attached_worker_debugging(mixed):
    """inferior N + py-bt: the worker's own stack; py-bt-all prints each
    attached worker once, inside the parent's tree."""
    t, s = mixed
    w = t.info["workers"][1]
    frames = gdb_support.traceback_frames(s.out("worker bt"))
    assert frames[0] == (PROGRAM, MARKS["PARK:worker"], "park_worker"), s.out("worker bt")
    assert "process %d" % w in s.out("worker inferior")
    text = s.out("bt-all attached")
    # GDB's inferiors are read without a seize (which would fail: traced)
    assert "already traced" not in text and "error:" not in text.replace(
        "error: pid %d is a zombie" % t.info["zombie"], ""), text
    assert re.findall(r"^Process (\d+)", text, re.M).count(str(w)) <= 1
    assert text.count(park_line("worker")) == 1, text
    assert "3 processes with these stacks" in text, text


# ---------------------------------------------------------------- start methods

@pytest.mark.parametrize("kind", ["spawn", "forkserver", "executor"])
def test_start_methods(kind, workdir):
    args = ["--executor", "--start", "fork"] if kind == "executor" else ["--start", kind]
    with Tree("--workers", "3", *args) as t:
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.cmd("json", "py-bt-all --json")
        s.execute(["-p", str(t.pid)], workdir)
        doc = json.loads(s.out("json"))
        procs = {p["pid"]: p for p in doc["processes"]}
        for w in t.info["workers"]:
            p = procs[w]
            assert p["python"] and p["role"], p
            if kind in ROLE:
                assert p["role"].startswith(ROLE[kind]), p
            assert test_tree.top_frame(p)["function"] == "park_worker", p
        if kind == "forkserver":
            server = [p for p in doc["processes"] if "forkserver" in " ".join(p["argv"])]
            assert server and server[0]["python"], doc
        text = s.out("bt-all")
        assert text.count(park_line("worker")) == 1, text
        assert re.search(r"^3 processes with these stacks: ", text, re.M), text
        assert_tree_unharmed([t.pid] + t.info["workers"])


def test_nested_depth_and_exiting_child(workdir):
    """A worker with a pool of its own: at depth 2, cut by --depth 1; a
    child that exits around the dump is reported, and the rest goes on."""
    with Tree("--nested", "--workers", "2", "--short-child", "5") as t:
        s = Session()
        s.cmd("json", "py-bt-all --json")
        s.cmd("depth1", "py-bt-all --json --depth 1")
        s.cmd("text", "py-bt-all")
        s.cmd("ps depth1", "py-ps --depth 1")
        s.cmd("attach", "py-bt-all --attach --json")
        s.cmd("inferiors", "info inferiors")
        s.execute(["-p", str(t.pid)], workdir)
        procs = {p["pid"]: p for p in json.loads(s.out("json"))["processes"]}
        for n in t.info["nested"]:
            assert procs[n]["depth"] == 2, procs[n]
            assert test_tree.top_frame(procs[n])["function"] == "park_nested"
        shallow = {p["pid"] for p in json.loads(s.out("depth1"))["processes"]}
        assert set(t.info["workers"]) <= shallow and not set(t.info["nested"]) & shallow
        short = procs.get(t.info["short"])
        if short is not None and short.get("error"):
            assert "exited" in short["error"] or "zombie" in short["error"], short
        assert park_line("nested") in s.out("text")
        ps_pids = set(ps_rows(s.out("ps depth1")))
        assert set(t.info["workers"]) <= ps_pids and not set(t.info["nested"]) & ps_pids
        # --attach: every Python descendant, at any depth, is an inferior;
        # the JSON (no attach lines mixed in) still has each process once
        attached = json.loads(s.out("attach"))["processes"]
        assert sorted(p["pid"] for p in attached) == sorted(procs), attached
        for pid in t.info["workers"] + t.info["nested"]:
            assert re.search(r"^\s+\d+\s+process %d\s" % pid, s.out("inferiors"), re.M), \
                s.out("inferiors")
        assert_tree_unharmed([t.pid] + t.info["workers"] + t.info["nested"])


# ---------------------------------------------------------------- follow-fork

def fork_session(workdir, program_args, steps):
    s = Session()
    for key, cmd in steps:
        s.cmd(key, cmd)
    args = ["-ex", "py-follow-forks on", "-ex", "set breakpoint pending on",
            "-ex", "break getppid", "-ex", "run", "--args", PARENT, FORK_PROGRAM] + program_args
    run = s.execute(args, workdir)
    return s, run


def test_follow_forks(workdir):
    """gdb --args python fork_target.py: the child stops at a breakpoint set
    before the fork; py-bt-all shows parent and child; the child's exit
    stops GDB in its empty inferior, which pyxray removes, selecting the
    parent, so that `continue` goes on; `off` restores GDB's settings."""
    defaults = Session()
    for name in ("detach-on-fork", "follow-fork-mode", "schedule-multiple"):
        defaults.cmd(name, "show " + name)
    defaults.execute([], workdir)
    s, run = fork_session(workdir, ["--children", "1"], [
        ("infs", "info inferiors"), ("bt-all", "py-bt-all"), ("status", "py-follow-forks"),
        ("cont", "continue"), ("infs exited", "info inferiors"),
        ("cleanup", "py-follow-forks"), ("infs2", "info inferiors"), ("bt-all2", "py-bt-all"),
        ("cont2", "continue"), ("off", "py-follow-forks off"),
        ("detach-on-fork", "show detach-on-fork"), ("follow-fork-mode", "show follow-fork-mode"),
        ("schedule-multiple", "show schedule-multiple")])
    m = re.search(r"^\[pyxray\] new Python child: pid (\d+) \(inferior 2\), forked by pid (\d+) "
                  r"at start_child \(%s:%d\)$" % (re.escape(FORK_PROGRAM), FORK_MARKS["CALL:fork"]),
                  run.out, re.M)
    assert m, run
    child, parent = int(m.group(1)), int(m.group(2))
    assert re.search(r"^\*\s+2\s+process %d\s" % child, s.out("infs"), re.M), s.out("infs")
    text = s.out("bt-all")
    sections = blocks(text)
    assert "child_work (%s:%d)" % (FORK_PROGRAM, FORK_MARKS["CALL:child-getppid"]) in \
        sections[child][1], text
    # the parent ran on meanwhile (all-stop stops it with the child): at the
    # fork, or already waiting for the child
    assert "start_child (%s:%d)" % (FORK_PROGRAM, FORK_MARKS["CALL:fork"]) in sections[parent][1] \
        or "main (%s:%d)" % (FORK_PROGRAM, FORK_MARKS["PARK:parent-wait"]) in sections[parent][1]
    assert "1 child inferior: 2 (pid %d)" % child in s.out("status"), s.out("status")
    # GDB stops at the child's exit with its empty inferior selected ...
    # (the program's DONE may land inside GDB's line: one stdout)
    assert "[Inferior 2 (process %d) exited normally]" % child in \
        run.out.replace("DONE\n", "") + s.out("cont"), run
    assert re.search(r"^\*\s+2\s+<null>", s.out("infs exited"), re.M), s.out("infs exited")
    # ... which the next py-* command (or prompt) removes, selecting the parent
    assert "[pyxray] inferior 2 (pid %d) exited and is removed; inferior 1 (pid %d) selected" \
        % (child, parent) in s.out("cleanup"), s.out("cleanup")
    assert "0 child inferiors" in s.out("cleanup")
    infs2 = s.out("infs2")
    assert re.search(r"^\*\s+1\s+process %d\s" % parent, infs2, re.M) and "<null>" not in infs2
    assert re.findall(r"^Process (\d+)", s.out("bt-all2"), re.M)[0] == str(parent)
    assert "error" not in s["cont2"], s["cont2"]  # the parent runs on to its end
    assert "DONE" in run.out
    for name in ("detach-on-fork", "follow-fork-mode", "schedule-multiple"):
        assert s.out(name) == defaults.out(name), (name, s.out(name))
    assert "restored detach-on-fork on, follow-fork-mode parent, schedule-multiple off" in \
        s.out("off")


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_follow_forks_pool(method, workdir):
    """Exec'd children (spawn, the forkserver and its workers) are followed:
    the breakpoint fires in a pool worker, whose stack py-bt-all shows."""
    s, run = fork_session(workdir, ["--pool", method], [
        ("bt-all", "py-bt-all --no-group"), ("ps", "py-ps")])
    assert re.search(r"^\[pyxray\] pid \d+ \(inferior \d+\) exec'd: .*(spawn_main|forkserver)",
                     run.out, re.M), run
    text = s.out("bt-all")
    want = "pool_task (%s:%d)" % (FORK_PROGRAM, FORK_MARKS["CALL:pool-getppid"])
    hits = [sec for hdr, sec in blocks(text).values() if want in sec]
    assert hits and re.search(r"\"%s-\d+\"" % ROLE[method], hits[0]), text
    rows = ps_rows(s.out("ps")).values()
    # every Python process of the tree is an inferior (INF)
    assert len(rows) >= 4 and all(r[7] != "-" for r in rows if r[2] != "-"), s.out("ps")
