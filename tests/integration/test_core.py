# SPDX-License-Identifier: MIT
"""`pyxray core` on real cores, without GDB.

- gcore cores of threads_target under every interpreter variant, taken of a
  stopped process that pyxray also dumps live: the two snapshots must be
  equal field by field, but for the process fields listed in DIFFER and the
  threads' OS state (THREAD_OS_FIELDS, which ptrace visits move);
- kernel cores (RLIMIT_CORE raised in the target; core_pattern is read,
  never changed) of a pool worker that calls os.abort() and of one that
  reads address 0 through ctypes.string_at(0): the crash heads the report
  and the crashed thread comes first;
- the set of cores of a 4-worker pool against `dump --children`;
- what goes wrong: the executable moved away, libpython missing or replaced
  by another build (--exe, --sysroot, --force), a core cut in half, zstd, lz4
  and xz cores, a text file, a core of `sleep`, a core of Python 2.7.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import gdb_support
import support
from support import run_pyxray

CRASH_POOL = os.path.join(support.PROGRAMS, "crash_pool.py")
TREE = os.path.join(support.PROGRAMS, "tree_target.py")
# gcore writes every mapping; one malloc arena keeps a core to tens of MB.
SMALL_CORE_ENV = {"MALLOC_ARENA_MAX": "1"}
DEADLINE = 60.0

# Process fields that legitimately differ between a live snapshot and the
# snapshot of a gcore core of the same stopped process, with the value
# each side must have (None: absent or null).
DIFFER = {
    "source": ("live", "gcore"),
    # /proc says stopped (SIGSTOP); gcore's NT_PRPSINFO has GDB's tracing stop.
    "state": ("stopped", "tracing-stop"),
    "cwd": ("any", None),         # a core does not record it
    "stopped_us": ("any", None),  # a core is never stopped by pyxray
    "core_file": (None, "any"),
}


def wait_for(cond, what, timeout=DEADLINE):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


def all_stopped(pid):
    return all(state == "T" for state, _ in support.task_states(pid).values())


def in_read(pid):
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[0] == str(support.SYS_READ)
    except (IOError, OSError, IndexError):
        return False


def gcore(pids, prefix):
    res = subprocess.run(["gcore", "-o", prefix] + [str(p) for p in pids],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=gdb_support.GDB_TIMEOUT)
    paths = ["%s.%d" % (prefix, p) for p in pids]
    assert res.returncode == 0 and all(os.path.exists(p) for p in paths), \
        res.stdout[-3000:]
    return paths


def core(pyxray_bin, *args):
    return run_pyxray(pyxray_bin, "core", *args, timeout=120)


def one_line_error(res):
    assert res.rc == 1, res
    lines = res.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyxray: "), res
    return lines[0]


# A thread's OS state (idle in a system call, or running) is the kernel's
# view of a stopped thread, and each ptrace visit moves it: pyxray's own stop
# and GDB's attach for gcore can leave a thread that was stopped inside
# read() stopped on its way out of it. These two thread fields are checked
# for sense, not equality; the Python state is compared exactly.
THREAD_OS_FIELDS = ("state", "syscall")


def without_os_state(proc):
    """proc with each thread's OS state checked and removed."""
    proc = json.loads(json.dumps(proc))
    for interp in proc["interpreters"]:
        for th in interp["threads"]:
            state, syscall = th.pop("state"), th.pop("syscall")
            assert state in ("idle", "running", "stopped", None), th
            assert (syscall is not None) == (state == "idle"), th
    return proc


def os_state_free(text):
    """Text report lines with the OS state dropped from thread headers."""
    return [re.sub(r"(, )?(idle in \w+|running|stopped)\)$", ")", l).replace(" ()", "")
            if l.startswith("Thread ") else l for l in text.splitlines()]


def compare_live_core(live, got, path):
    """Every field equal but DIFFER's, which must have their values, and
    the threads' OS state (THREAD_OS_FIELDS)."""
    live, got = without_os_state(live), without_os_state(got)
    for key, (want_live, want_core) in sorted(DIFFER.items()):
        a, b = live.pop(key, None), got.pop(key, None)
        assert want_live == "any" and a is not None or a == want_live, (key, a)
        assert want_core == "any" and b is not None or b == want_core, (key, b)
        if key == "core_file":
            assert b == path
    assert got == live


# ------------------------------------------------ gcore, every interpreter

@pytest.fixture(scope="module")
def stopped(variant, workdir):
    """threads_target stopped with SIGSTOP: its live JSON and text, then
    the JSON and text of its gcore core."""
    t = gdb_support.start_program(variant, workdir, support.TARGET,
                                  extra_env=SMALL_CORE_ENV)
    path = None
    try:
        t.wait_ready()
        t.wait_parked()
        os.kill(t.pid, signal.SIGSTOP)
        wait_for(lambda: all_stopped(t.pid), "pid %d to stop" % t.pid)
        pyxray = support.pyxray_path()
        live = run_pyxray(pyxray, "dump", "--json", t.pid).json()
        live_text = run_pyxray(pyxray, "dump", "--no-source", t.pid)
        (path,) = gcore([t.pid], os.path.join(workdir, "gcore-" + variant.id))
        got = core(pyxray, "--json", path)
        text = core(pyxray, "--no-source", path)
        os.kill(t.pid, signal.SIGCONT)
        support.RAN.add(variant.id)
        yield t, live, got, live_text, text, path
    finally:
        t.kill()
        if path and os.path.exists(path):
            os.unlink(path)


def test_gcore_equals_live(stopped):
    """The same stopped process, read live and from its gcore core."""
    t, live, got, _, _, path = stopped
    doc = got.json()
    assert doc["schema_version"] == live["schema_version"] == 1
    (lp,), (cp,) = live["processes"], doc["processes"]
    assert "signal" not in cp and cp["warnings"] == [], cp
    compare_live_core(lp, cp, path)


def test_gcore_stacks(stopped):
    t, _, got, _, _, _ = stopped
    (p,) = got.json()["processes"]
    gdb_support.check_stacks(p, t)
    assert p["argv"] == t.argv, "argv from the core's initial stack"


def test_gcore_text(stopped):
    """The text report: the live one plus one line saying where it came from."""
    t, _, _, live_text, text, path = stopped
    assert text.rc == 0, text
    lines = text.out.splitlines()
    assert lines[1] == ("Core dump %s, taken from a live process (gcore): no "
                        "fatal signal" % path), lines[:3]
    assert os_state_free("\n".join(lines[:1] + lines[2:])) == os_state_free(live_text.out)


@pytest.mark.parametrize("vid", ["3.11", "3.14", "debian-3.11"])
def test_gcore_tasks(vid, workdir, pyxray_bin):
    """asyncio tasks (--tasks) from a gcore core, as dump --tasks reads the
    same stopped process."""
    from test_asyncio import ASYNCIO_TARGET, wait_idle

    v = python_of(vid)
    t = gdb_support.start_program(v, workdir, ASYNCIO_TARGET, extra_env=SMALL_CORE_ENV)
    path = None
    try:
        t.wait_ready()
        wait_idle(t)
        os.kill(t.pid, signal.SIGSTOP)
        wait_for(lambda: all_stopped(t.pid), "pid %d to stop" % t.pid)
        live = run_pyxray(pyxray_bin, "dump", "--tasks", "--json", t.pid).json()
        (path,) = gcore([t.pid], os.path.join(workdir, "tasks-" + vid))
        got = core(pyxray_bin, "--tasks", "--json", path).json()
        text = core(pyxray_bin, "--tasks", path)
    finally:
        t.kill()
        if path and os.path.exists(path):
            os.unlink(path)
    (lp,), (cp,) = live["processes"], got["processes"]
    tasks = [task for it in cp["interpreters"] for th in it["threads"]
             for task in th.get("tasks") or ()]
    assert len(tasks) >= 10, cp
    compare_live_core(lp, cp, path)
    assert text.rc == 0 and "Task " in text.out, text


# ------------------------------------------------ kernel cores of crashes

def python_of(vid):
    for v in support.VARIANTS:
        if v.id == vid:
            if v.absent:
                pytest.skip(v.absent)
            return v
    pytest.skip("no variant " + vid)


def proc_state(pid):
    """The state letter of pid, "X" once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (IOError, OSError, IndexError):
        return "X"


class Crash(object):
    """crash_pool.py run until its crasher worker dumped core."""

    def __init__(self, variant, mode, workdir):
        self.dir = tempfile.mkdtemp(prefix="crash-%s-%s-" % (mode, variant.id),
                                    dir=workdir)
        pattern = support.kernel_core_pattern()
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **SMALL_CORE_ENV)
        self.proc = subprocess.Popen([variant.interp.exe, CRASH_POOL, mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=self.dir, env=env, start_new_session=True)
        try:
            line = self.proc.stdout.readline().decode()
            assert line.startswith("READY "), line
            self.info = json.loads(line[6:])
            pid = self.info["crasher"]
            before = set(glob.glob(support.core_glob(pattern, pid, self.dir)))
            self.proc.stdin.write(b"go\n")
            self.proc.stdin.flush()
            wait_for(lambda: proc_state(pid) in "ZX", "the crasher to die")
            found = set(glob.glob(support.core_glob(pattern, pid, self.dir))) - before
            assert len(found) == 1, (found, pattern)
            (self.path,) = found
        except BaseException:
            self.close()
            raise

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


CRASH_VARIANTS = ("3.11", "debian-3.11", "3.13", "3.14")


@pytest.fixture(scope="module", params=[(m, v) for m in ("segv", "abort")
                                        for v in CRASH_VARIANTS],
                ids=lambda p: "%s-%s" % p)
def crash(request, workdir, pyxray_bin):
    mode, vid = request.param
    v = python_of(vid)
    c = Crash(v, mode, workdir)
    try:
        c.mode = mode
        c.text = core(pyxray_bin, c.path)
        c.json = core(pyxray_bin, "--json", c.path).json()
        yield c
    finally:
        c.close()


def test_crash_report(crash):
    marks = support.marker_lines(CRASH_POOL)
    pid = crash.info["crasher"]
    (p,) = crash.json["processes"]
    assert (p["pid"], p["ppid"], p["source"]) == (pid, crash.info["parent"], "core")
    assert p["role"].startswith("ForkPoolWorker-"), p["role"]
    sig = p["signal"]
    if crash.mode == "segv":
        assert (sig["name"], sig["code_name"], sig["addr"]) == ("SIGSEGV", "SEGV_MAPERR", 0)
    else:
        assert (sig["name"], sig["code_name"]) == ("SIGABRT", "SI_TKILL"), sig
    assert sig["thread"] == pid
    first = p["interpreters"][0]["threads"][0]
    assert first["crashed"] and first["tid"] == pid, first
    names = [f["function"] for f in first["frames"]]
    if crash.mode == "segv":
        assert names[:2] == ["string_at", "crash_segv"], names
        assert first["frames"][1]["line"] == marks["CALL:crash-segv"]
    else:
        assert names[0] == "crash_abort", names
        assert first["frames"][0]["line"] == marks["CALL:crash-abort"]
    assert "worker" in names


def test_crash_text(crash):
    """The signal heads the report; the crashed thread comes first, marked."""
    pid = crash.info["crasher"]
    assert crash.text.rc == 0, crash.text
    lines = crash.text.out.splitlines()
    assert lines[0].startswith('Process %d "ForkPoolWorker-' % pid), lines[0]
    want = ("Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x0 in thread %d" % pid
            if crash.mode == "segv" else
            "Fatal signal SIGABRT (SI_TKILL) in thread %d" % pid)
    assert lines[1] == want, lines[:3]
    assert lines[2] == "Core dump " + crash.path
    first = [l for l in lines if l.startswith("Thread ")][0]
    assert first.startswith("Thread %d \"MainThread\" (crashed" % pid), first


@pytest.fixture(scope="module")
def segv(workdir, pyxray_bin):
    c = Crash(python_of("3.11"), "segv", workdir)
    try:
        c.text = core(pyxray_bin, c.path)
        assert c.text.rc == 0, c.text
        yield c
    finally:
        c.close()


@pytest.mark.parametrize("tool,ext", [("zstd", "zst"), ("lz4", "lz4"), ("xz", "xz")])
def test_compressed(segv, pyxray_bin, tool, ext):
    """A compressed core (systemd-coredump keeps zstd) reads as the core."""
    packed = "%s.%s" % (segv.path, ext)
    cmd = {"zstd": ["zstd", "-q", "-f", segv.path, "-o", packed],
           "lz4": ["lz4", "-q", "-f", segv.path, packed],
           "xz": ["sh", "-c", 'xz -c "$0" > "$1"', segv.path, packed]}[tool]
    subprocess.run(cmd, check=True)
    try:
        res = core(pyxray_bin, packed)
        assert res.rc == 0, res
        want = segv.text.out.replace("Core dump " + segv.path, "Core dump " + packed)
        assert res.out == want
    finally:
        os.unlink(packed)


def test_cut_in_half(segv, pyxray_bin):
    """What can be read is printed; what cannot says the core is cut short."""
    half = segv.path + ".half"
    shutil.copyfile(segv.path, half)
    os.truncate(half, os.path.getsize(half) // 2)
    try:
        res = core(pyxray_bin, half)
        if res.rc == 0:
            assert "warning: the core is cut short" in res.out, res
        else:
            assert "cut short" in one_line_error(res), res
        res = core(pyxray_bin, "--json", half)
        if res.rc == 0:
            (p,) = res.json()["processes"]
            assert any("cut short" in w for w in p["warnings"]), p["warnings"]
    finally:
        os.unlink(half)


def test_gcore_cut_before_notes(workdir, pyxray_bin):
    """gcore writes its notes last: half of it has none."""
    sleeper = subprocess.Popen([python_of("3.11").interp.exe, "-c",
                                "import time; time.sleep(1000)"], env=dict(
                                    os.environ, **SMALL_CORE_ENV))
    try:
        (path,) = gcore([sleeper.pid], os.path.join(workdir, "gcore-cut"))
    finally:
        sleeper.kill()
        sleeper.wait()
    try:
        os.truncate(path, os.path.getsize(path) // 2)
        msg = one_line_error(core(pyxray_bin, path))
        assert path in msg and "cut short" in msg, msg
    finally:
        os.unlink(path)


# ------------------------------------------------ a set of cores: a pool

def test_pool_cores(workdir, pyxray_bin):
    """The cores of a 4-worker pool: one tree, the workers grouped, as
    `dump --children` shows the live pool."""
    py = python_of("3.11").interp.exe
    proc = subprocess.Popen([py, TREE, "--workers", "4"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, start_new_session=True,
                            env=dict(os.environ, **SMALL_CORE_ENV))
    paths = []
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("READY "), line
        info = json.loads(line[6:])
        pids = [info["parent"]] + info["workers"]
        # Each worker reports before it parks: wait until all sit in read().
        wait_for(lambda: all(in_read(w) for w in info["workers"]), "the workers to park")
        # Stopped, so that the pool's own threads (which wake every 0.1 s)
        # are where they were in both snapshots.
        os.killpg(proc.pid, signal.SIGSTOP)
        wait_for(lambda: all(all_stopped(p) for p in pids), "the pool to stop")
        live = run_pyxray(pyxray_bin, "dump", "--children", "--json", info["parent"]).json()
        live_text = run_pyxray(pyxray_bin, "dump", "--children", "--no-source",
                               info["parent"])
        paths = gcore(pids, os.path.join(workdir, "pool"))
        res = core(pyxray_bin, "--json", *reversed(paths))
        text = core(pyxray_bin, "--no-source", *paths)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for p in paths:
            os.unlink(p)
    got = res.json()["processes"]
    assert [p["pid"] for p in got][0] == info["parent"], "the parent first"
    assert [p["depth"] for p in got] == [0, 1, 1, 1, 1]
    assert [p["pid"] for p in got[1:]] == sorted(info["workers"])
    lives = {p["pid"]: p for p in live["processes"]}
    assert sorted(lives) == sorted(pids)
    for p in got:
        compare_live_core(lives[p["pid"]], p, p["core_file"])
    assert sorted(got[0]["children"]) == sorted(info["workers"])
    group = [l for l in text.out.splitlines() if "processes with these stacks" in l]
    assert group == [l for l in live_text.out.splitlines()
                     if "processes with these stacks" in l] and group, text.out
    assert group[0].startswith("4 processes with these stacks: ")


# ------------------------------------------------ missing and wrong files

def run_and_gcore(argv, workdir, name, env=None):
    """Runs threads_target as argv, waits until it is parked, gcores it and
    kills it: (core path, the target's READY report)."""
    e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **SMALL_CORE_ENV)
    e.update(env or {})
    t = support.Target(None, argv, e, subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=e, cwd=workdir))
    try:
        t.wait_ready()
        t.wait_parked()
        (path,) = gcore([t.pid], os.path.join(workdir, name))
        return path, t
    finally:
        t.kill()


def main_stack(doc):
    (p,) = doc["processes"]
    th = [th for th in p["interpreters"][0]["threads"] if th["name"] == "MainThread"][0]
    return [f["function"] for f in th["frames"]]


def test_static_executable_moved(workdir, pyxray_bin):
    """Debian's python3.11 holds the interpreter: without it nothing can be
    read, and the one line names it and --exe."""
    v = python_of("debian-3.11")
    d = tempfile.mkdtemp(prefix="moved-", dir=workdir)
    exe = os.path.join(d, "python3.11")
    shutil.copy2(v.interp.exe, exe)
    path, _ = run_and_gcore([exe, support.TARGET], d, "moved",
                            env={"PYTHONHOME": v.interp.prefix})
    try:
        moved = os.path.join(d, "elsewhere")
        os.rename(exe, moved)
        msg = one_line_error(core(pyxray_bin, path))
        assert exe in msg and "--exe PATH" in msg, msg
        # A --exe that is not there is named as the problem (the message
        # said the core's own executable was missing before).
        msg = one_line_error(core(pyxray_bin, "--exe", exe + ".nope", path))
        assert msg == ("pyxray: --exe %s.nope: No such file or directory; give the copy of "
                       "%s that the core was made by" % (exe, exe)), msg
        res = core(pyxray_bin, "--exe", moved, "--json", path)
        assert res.rc == 0 and main_stack(res.json())[0] == "command_loop", res
        assert res.json()["processes"][0]["warnings"] == []
    finally:
        os.unlink(path)
        shutil.rmtree(d)


def test_shared_executable_moved(workdir, pyxray_bin):
    """With libpython still there, the stacks are read, with a warning that
    names the executable and --exe."""
    v = python_of("3.11")
    d = tempfile.mkdtemp(prefix="moved-shared-", dir=workdir)
    exe = os.path.join(d, "python3.11")
    shutil.copy2(v.interp.exe, exe)
    path, _ = run_and_gcore([exe, support.TARGET], d, "moved-shared",
                            env={"PYTHONHOME": v.interp.prefix})
    try:
        os.unlink(exe)
        res = core(pyxray_bin, path)
        assert res.rc == 0, res
        warn = [l for l in res.out.splitlines() if l.startswith("warning: ")]
        assert len(warn) == 1 and exe in warn[0] and "--exe PATH" in warn[0], warn
        assert "    command_loop (" in res.out
    finally:
        os.unlink(path)
        shutil.rmtree(d)


def flip_build_id(path):
    """Changes one byte of the GNU build-id note: another build, same code."""
    out = subprocess.run(["readelf", "-n", "-W", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    build_id = bytes.fromhex(re.search(r"Build ID: ([0-9a-f]+)", out).group(1))
    with open(path, "rb") as f:
        data = f.read()
    at = data.index(build_id)
    data = data[:at] + bytes([data[at] ^ 0xff]) + data[at + 1:]
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o755)
    os.rename(tmp, path)


@pytest.fixture(scope="module")
def own_lib(workdir):
    """threads_target on a private copy of a stripped libpython3.11: its
    gcore core and the copy."""
    v = python_of("3.11")
    d = tempfile.mkdtemp(prefix="ownlib-", dir=workdir)
    libdir, lib = support.strip_libpython(v.interp, d)
    argv = [v.interp.exe, support.TARGET]
    env = {"LD_LIBRARY_PATH": libdir}
    if "RPATH" in support.dynamic_tags(v.interp.exe):
        argv = [support.program_interpreter(v.interp.exe), "--library-path", libdir] + argv
        env = {}
    path, _ = run_and_gcore(argv, d, "ownlib", env)
    yield path, lib
    shutil.rmtree(d)


def test_library_replaced(own_lib, pyxray_bin):
    """Another build of libpython where the core's was: refused, unless
    --force."""
    path, lib = own_lib
    backup = lib + ".orig"
    shutil.copy2(lib, backup)
    try:
        flip_build_id(lib)
        msg = one_line_error(core(pyxray_bin, path))
        assert lib in msg and "another build" in msg and "--force" in msg, msg
        res = core(pyxray_bin, "--force", "--json", path)
        assert res.rc == 0, res
        (p,) = res.json()["processes"]
        assert any("--force" in w for w in p["warnings"]), p["warnings"]
        assert main_stack(res.json())[0] == "command_loop"
    finally:
        os.rename(backup, lib)
    assert core(pyxray_bin, path).rc == 0, "the original build reads"


def test_library_missing(own_lib, pyxray_bin):
    """No libpython: the one line names it and --sysroot; a sysroot that
    holds it at the same path reads the core."""
    path, lib = own_lib
    root = tempfile.mkdtemp(prefix="sysroot-", dir=os.path.dirname(path))
    hidden = lib + ".hidden"
    os.rename(lib, hidden)
    try:
        msg = one_line_error(core(pyxray_bin, path))
        assert lib in msg and "--sysroot DIR" in msg, msg
        os.makedirs(root + os.path.dirname(lib))
        shutil.copy2(hidden, root + lib)
        res = core(pyxray_bin, "--sysroot", root, "--json", path)
        assert res.rc == 0, res
        assert main_stack(res.json())[0] == "command_loop"
    finally:
        os.rename(hidden, lib)
        shutil.rmtree(root)


# ------------------------------------------------ not cores, not Python

def test_text_file(workdir, pyxray_bin):
    path = os.path.join(workdir, "notes.txt")
    with open(path, "w") as f:
        f.write("not a core\n")
    msg = one_line_error(core(pyxray_bin, path))
    assert msg == "pyxray: %s is not a core file (not an ELF file)" % path


def test_core_of_sleep(workdir, pyxray_bin):
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        (path,) = gcore([sleeper.pid], os.path.join(workdir, "sleep"))
    finally:
        sleeper.kill()
        sleeper.wait()
    try:
        msg = one_line_error(core(pyxray_bin, path))
        assert "has no Python interpreter" in msg and "/sleep" in msg, msg
        assert str(sleeper.pid) in msg
    finally:
        os.unlink(path)


def test_core_of_python2(workdir, pyxray_bin):
    if not support.LEGACY:
        pytest.skip("no Python 2.7 under pyenv")
    py2 = subprocess.Popen([support.LEGACY[0], "-c", "import sys; sys.stdout.write('x\\n');"
                            "sys.stdout.flush(); sys.stdin.readline()"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert py2.stdout.readline() == b"x\n"
        (path,) = gcore([py2.pid], os.path.join(workdir, "py2"))
    finally:
        py2.kill()
        py2.wait()
    try:
        msg = one_line_error(core(pyxray_bin, path))
        assert "Python 2.7" in msg, msg
    finally:
        os.unlink(path)


def test_set_with_a_bad_file(segv, workdir, pyxray_bin):
    """A file that is not a core does not stop the others: its line on
    stderr, the rest printed, exit status 1."""
    bad = os.path.join(workdir, "not-a-core")
    with open(bad, "w") as f:
        f.write("x")
    res = core(pyxray_bin, bad, segv.path)
    assert res.rc == 1, res
    assert res.err.splitlines() == ["pyxray: %s is not a core file (not an ELF file)" % bad]
    assert res.out == segv.text.out


def test_usage(pyxray_bin):
    res = run_pyxray(pyxray_bin, "core")
    assert res.rc == 2 and "needs a core file" in res.err, res
    res = run_pyxray(pyxray_bin, "core", "--exe")
    assert res.rc == 2 and "option '--exe' needs a value" in res.err, res
    res = run_pyxray(pyxray_bin, "--help")
    assert "core CORE..." in res.out and "--sysroot DIR" in res.out


# ------------------------------------------------ the recipes of docs/cores.md

CI_RECIPE = os.path.join(support.SRCDIR, "docs", "examples", "core_report.py")
GDB_RECIPE = os.path.join(support.SRCDIR, "docs", "examples", "gdb_core_report.py")


def ci_report(pyxray_bin, *cores):
    doc = core(pyxray_bin, "--json", *cores)
    assert doc.rc in (0, 1), doc
    return subprocess.run([sys.executable, CI_RECIPE], input=doc.out.encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


def test_ci_recipe_crash(segv, pyxray_bin):
    """`pyxray core --json core.* | python3 core_report.py`: the crash as
    Markdown, exit status 1."""
    res = ci_report(pyxray_bin, segv.path)
    out = res.stdout.decode()
    assert res.returncode == 1, (res, res.stderr)
    pid = segv.info["crasher"]
    assert re.search(r"^## Process %d \(ForkPoolWorker-\d+\): SIGSEGV \(SEGV_MAPERR\) at "
                     r"address 0x0$" % pid, out, re.M), out
    frames = [l.strip() for l in out.splitlines() if l.startswith("    ")]
    assert frames[0].startswith("string_at (") and frames[1].startswith("crash_segv ("), out


def test_ci_recipe_no_crash(workdir, pyxray_bin):
    py = subprocess.Popen([python_of("3.11").interp.exe, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE, env=dict(os.environ, **SMALL_CORE_ENV))
    try:
        (path,) = gcore([py.pid], os.path.join(workdir, "quiet"))
    finally:
        py.kill()
        py.wait()
    try:
        res = ci_report(pyxray_bin, path)
        assert res.returncode == 0, res
        assert res.stdout.decode() == "- process %d: 1 thread(s), no fatal signal\n" % py.pid
    finally:
        os.unlink(path)


def test_same_core_twice(segv, pyxray_bin):
    """One core named twice (or by two names) is read once, with a note: it
    printed the process twice before."""
    link = segv.path + ".again"
    os.symlink(segv.path, link)
    try:
        res = core(pyxray_bin, segv.path, link)
    finally:
        os.unlink(link)
    assert res.rc == 0 and res.out == segv.text.out, res
    assert res.err == "pyxray: note: %s is %s again: read once\n" % (link, segv.path), res


def test_gdb_recipe(segv):
    """docs/cores.md's GDB batch script: the same crash through the scripting
    API (import pyxray; pyxray.snapshot()), no text parsed."""
    exe = python_of("3.11").interp.exe
    run = gdb_support.run_gdb(["-x", GDB_RECIPE, exe, segv.path])
    doc = json.loads(run.out[run.out.index("\n{") + 1:])
    pid = segv.info["crasher"]
    assert (doc["pid"], doc["signal"], doc["addr"]) == (pid, 11, 0), doc
    first = doc["threads"][0]
    assert first["selected"] and first["tid"] == pid, first
    assert [f["function"] for f in first["frames"][:2]] == ["string_at", "crash_segv"]
    assert first["frames"][1]["locals"] == {"_": "0"}, first["frames"][1]
