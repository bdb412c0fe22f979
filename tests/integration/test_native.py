# SPDX-License-Identifier: MIT
"""`pyxray dump --native`: native frames interleaved with Python frames.

Under every interpreter variant: tests/programs/native_target.py parks
threads in sem_wait() two C frames below a Python call (in a library the
tests build from tests/programs/native_lib.c, with debug information),
inside a Python callback called from C, and in a thread that C started and
that never runs Python; threads_target.py checks that the Python frames of
every thread are the ones a Python-only dump shows, each where its
interpreter frame was. Cores: the kernel's core of a segfault in C called
from Python, and a gcore core read like the same stopped process live.
Debian's stripped /usr/bin/python3.11 is read with its python3.11-dbg debug
files and with an empty debug folder; a library stripped of .symtab with
and without MiniDebugInfo.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import required
import support
from support import run_pyxray

NATIVE_TARGET = os.path.join(support.PROGRAMS, "native_target.py")
NATIVE_LIB_C = os.path.join(support.PROGRAMS, "native_lib.c")
C_MARKER = re.compile(r"/\*\s*LINE:([\w.-]+)\s*\*/")
EVAL = "_PyEval_EvalFrameDefault"
DEBIAN_PYTHON = "/usr/bin/python3.11"


def c_lines():
    out = {}
    with open(NATIVE_LIB_C) as f:
        for lineno, text in enumerate(f, 1):
            m = C_MARKER.search(text)
            if m:
                out[m.group(1)] = lineno
    return out


PY_LINES = support.marker_lines(NATIVE_TARGET)
C_LINES = c_lines()


@pytest.fixture(scope="session")
def libnative(workdir):
    """native_lib.c as a shared library with debug information."""
    out = os.path.join(workdir, "libnative.so")
    res = subprocess.run([required.tool("cc"), "-shared", "-fPIC", "-g", "-O0", "-pthread",
                          "-o", out, NATIVE_LIB_C], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    assert res.returncode == 0, res.stdout.decode("utf-8", "replace")
    return out


def start_native(variant, workdir, lib, *extra):
    t = support.start_target(variant, workdir, extra_args=[lib] + list(extra),
                             script=NATIVE_TARGET)
    try:
        t.wait_ready()
        if "--crash" not in extra:
            wait_main_parked(t)
    except BaseException:
        t.kill()
        raise
    return t


def wait_main_parked(t):
    """Until the main thread reads its commands (the others parked before
    READY): every stack is then fixed."""
    deadline = time.time() + support.PARK_TIMEOUT
    tid = t.report["tids"]["MainThread"]
    while not support.blocked_in_read(t.pid, tid, 0):
        assert t.proc.poll() is None, t.stderr()
        assert time.time() < deadline, "main thread never parked in read(0)"
        time.sleep(0.005)


@pytest.fixture(scope="module")
def ntarget(variant, workdir, libnative):
    t = start_native(variant, workdir, libnative)
    try:
        support.RAN.add(variant.id)
        yield t
    finally:
        t.kill()


def dump(t, pyxray_bin, *flags):
    res = run_pyxray(pyxray_bin, "dump", *(list(flags) + [t.pid]))
    assert res.rc == 0, res
    support.assert_not_stopped(t.pid)
    assert t.proc.poll() is None, "target died during the dump"
    return res


def threads_by_tid(proc):
    out = {}
    for interp in proc["interpreters"]:
        for th in interp["threads"]:
            out.setdefault(th["tid"], th)
    return out


def native_index(frames, function, start=0):
    for i in range(start, len(frames)):
        fr = frames[i]
        if fr["kind"] == "native" and fr["function"] == function:
            return i
    raise AssertionError("no native frame %s in %s" % (function, describe(frames)))


def python_index(frames, function, line, start=0):
    for i in range(start, len(frames)):
        fr = frames[i]
        if fr["kind"] == "python" and fr["function"] == function and fr["line"] == line:
            return i
    raise AssertionError("no Python frame %s:%d in %s" % (function, line, describe(frames)))


def describe(frames):
    out = []
    for fr in frames:
        if fr["kind"] == "python":
            out.append("%s:%s" % (fr["function"], fr["line"]))
        else:
            out.append("[%s %s]" % (fr["function"] or "???",
                                    os.path.basename(fr["library"] or "?")))
    return " ".join(out)


def python_only(frames):
    return [{k: fr[k] for k in ("function", "qualname", "file", "line")}
            for fr in frames if fr["kind"] == "python"]


def assert_c_frame(fr, function, tag, lib):
    assert fr["kind"] == "native" and fr["function"] == function, fr
    assert fr["library"] == lib, fr
    assert fr["file"] and fr["file"].endswith("native_lib.c"), fr
    assert fr["line"] == C_LINES[tag], fr
    assert fr["offset"] > 0 and fr["pc"] > 0 and not fr["eval"], fr


def check_sem_waiter(th, lib):
    """libc's frames above wait_here, then block_in_c, then the Python call."""
    frames = th["frames"]
    assert "native_error" not in th, th
    i = native_index(frames, "wait_here")
    assert i > 0, describe(frames)
    for fr in frames[:i]:
        assert fr["kind"] == "native" and fr["library"].endswith("/libc.so.6"), \
            describe(frames)
    assert_c_frame(frames[i], "wait_here", "wait_here", lib)
    assert_c_frame(frames[i + 1], "block_in_c", "block_in_c", lib)
    j = python_index(frames, "wait_sem", PY_LINES["CALL:sem"], i + 2)
    for fr in frames[i + 2:j]:
        assert fr["kind"] == "native" and not fr["eval"], describe(frames)
    # The thread's bootstrap follows, and the stack ends in C.
    assert [fr["function"] for fr in frames[j:] if fr["kind"] == "python"] == \
        ["wait_sem", "run", "_bootstrap_inner", "_bootstrap"], describe(frames)
    assert frames[-1]["kind"] == "native", describe(frames)


def check_callback(th, lib):
    frames = th["frames"]
    assert "native_error" not in th, th
    i = native_index(frames, "block_in_c")
    j = python_index(frames, "inner_cb", PY_LINES["CALL:cb-inner"], i)
    k = python_index(frames, "<lambda>", PY_LINES["CALL:cb-lambda"], j + 1)
    assert all(fr["kind"] == "native" for fr in frames[j + 1:k]), describe(frames)
    c = native_index(frames, "call_python", k)
    assert_c_frame(frames[c], "call_python", "call_python", lib)
    o = python_index(frames, "outer_cb", PY_LINES["CALL:cb-outer"], c)
    # Between the lambda and outer_cb: only C (ctypes, libffi, call_python).
    for fr in frames[k + 1:o]:
        assert fr["kind"] == "native", describe(frames)


def check_c_thread(p, tid, lib, named=True):
    """named: the thread's kernel name is known (live; a core has none)."""
    others = p["native_threads"]
    mine = [th for th in others if th["tid"] == tid]
    assert len(mine) == 1, others
    th = mine[0]
    assert th["python"] is False and th["name"] == ("c-pool" if named else None), th
    assert "native_error" not in th, th
    frames = th["frames"]
    assert all(fr["kind"] == "native" for fr in frames), describe(frames)
    i = native_index(frames, "c_thread_park")
    assert_c_frame(frames[i], "c_thread_park", "c_thread_park", lib)
    assert_c_frame(frames[i + 1], "c_thread_main", "c_thread_main", lib)
    # Above: libc's sem_wait; below: its thread start (start_thread, clone3).
    assert len(frames) > i + 2, describe(frames)
    for fr in frames[:i] + frames[i + 2:]:
        assert fr["library"].endswith("/libc.so.6"), describe(frames)
    # The Python threads are not listed again here.
    assert not set(t["tid"] for t in others) & set(threads_by_tid(p)), others


def test_native_frames(ntarget, pyxray_bin, libnative):
    """Every frame in call order, and the Python frames exactly as a
    Python-only dump shows them."""
    t = ntarget
    p = dump(t, pyxray_bin, "--native", "--json").json()["processes"][0]
    plain = dump(t, pyxray_bin, "--json").json()["processes"][0]
    assert "native_threads" not in plain
    tids = t.report["tids"]
    threads = threads_by_tid(p)
    check_sem_waiter(threads[tids["sem-waiter"]], libnative)
    check_callback(threads[tids["callback"]], libnative)
    check_c_thread(p, tids["c-pool"], libnative)
    for tid, th in threads_by_tid(plain).items():
        assert python_only(threads[tid]["frames"]) == python_only(th["frames"]), tid
        # The interpreter's own frames (evaluation, call machinery) are
        # left out without --native-all.
        assert not any(fr["kind"] == "native" and (fr["eval"] or fr["internal"])
                       for fr in threads[tid]["frames"]), describe(threads[tid]["frames"])
    main = threads[tids["MainThread"]]["frames"]
    assert main[0]["kind"] == "native", describe(main)
    python_index(main, "<module>", PY_LINES["CALL:module"])
    assert p["stopped_us"] >= 0


def test_native_all_keeps_eval_frames(ntarget, pyxray_bin, libnative):
    t = ntarget
    p = dump(t, pyxray_bin, "--native-all", "--json").json()["processes"][0]
    th = threads_by_tid(p)[t.report["tids"]["sem-waiter"]]
    frames = th["frames"]
    j = python_index(frames, "wait_sem", PY_LINES["CALL:sem"])
    # Below each run of Python frames, the evaluation call that runs it.
    k = j
    while frames[k + 1]["kind"] == "python" and t.report["version"][:2] >= [3, 11] \
            and not frames[k]["entry"]:
        k += 1
    assert frames[k + 1]["kind"] == "native" and frames[k + 1]["eval"], describe(frames)
    assert frames[k + 1]["function"] == EVAL, describe(frames)
    for i, fr in enumerate(frames):
        if fr["kind"] == "native" and fr["eval"]:
            assert frames[i - 1]["kind"] == "python", describe(frames)
            assert fr["internal"], fr
    # The call machinery between block_in_c's caller and wait_sem is back.
    i = native_index(frames, "block_in_c")
    assert any(fr["internal"] and not fr["eval"] for fr in frames[i:j]) or \
        t.variant.kind == "stripped", describe(frames)
    plain = dump(t, pyxray_bin, "--native", "--json").json()["processes"][0]
    narrow = threads_by_tid(plain)[t.report["tids"]["sem-waiter"]]["frames"]
    assert [f for f in frames if f["kind"] == "python"] == \
        [f for f in narrow if f["kind"] == "python"]
    assert [f["pc"] for f in frames if f["kind"] == "native" and not f["internal"]] == \
        [f["pc"] for f in narrow if f["kind"] == "native"], describe(narrow)


def test_native_text(ntarget, pyxray_bin, libnative):
    t = ntarget
    out = dump(t, pyxray_bin, "--native", "--no-source", "--color=never").out
    tids = t.report["tids"]
    assert re.search(r'^Thread %d "c-pool" \(no Python' % tids["c-pool"], out, re.M), out
    assert re.search(r"^    \[native\] wait_here\+0x[0-9a-f]+ in %s \(%s:%d\)$"
                     % (re.escape(libnative), re.escape(NATIVE_LIB_C), C_LINES["wait_here"]),
                     out, re.M), out
    assert re.search(r"^    wait_sem \(%s:%d\)$" % (re.escape(NATIVE_TARGET),
                                                   PY_LINES["CALL:sem"]), out, re.M), out
    assert "_PyEval_EvalFrameDefault" not in out
    short = dump(t, pyxray_bin, "--native", "--short-paths", "--no-source",
                 "--color=never").out
    assert re.search(r"^    \[native\] block_in_c\+0x[0-9a-f]+ in libnative\.so ", short, re.M), \
        short
    # The target runs on, unharmed.
    t.proc.stdin.write(b"ping\n")
    t.proc.stdin.flush()
    assert t.readline(30) == "pong"


def check_interleaved(frames, per_eval):
    """With --native-all, every run of Python frames sits right above the
    evaluation call that runs it, and every evaluation call runs one."""
    for i, fr in enumerate(frames):
        if fr["kind"] == "native" and fr["eval"]:
            assert i and frames[i - 1]["kind"] == "python", describe(frames)
        if fr["kind"] == "python" and (per_eval or fr["entry"]):
            assert i + 1 < len(frames) and frames[i + 1]["kind"] == "native" \
                and frames[i + 1]["eval"], describe(frames)


def test_threads_target_in_place(target, pyxray_bin):
    """threads_target.py's threads: the Python frames of a native dump are
    exactly the expected ones, each run right above its evaluation call."""
    res = run_pyxray(pyxray_bin, "dump", "--native-all", "--json", target.pid)
    assert res.rc == 0, res
    support.assert_not_stopped(target.pid)
    target.wait_parked()
    p = res.json()["processes"][0]
    exp = support.expected_stacks(target)
    per_eval = target.variant.version < (3, 11)
    main = [i for i in p["interpreters"] if i["main"]][0]
    for th in main["threads"]:
        name = th["name"]
        assert "native_error" not in th, th
        assert python_only(th["frames"]) == exp["main"][name], name
        # The spinner runs: it may be anywhere in its loop. The host of a
        # sub-interpreter runs that interpreter's calls too.
        if name not in ("spinner", "subinterp-host"):
            check_interleaved(th["frames"], per_eval)
            assert th["frames"][0]["kind"] == "native", describe(th["frames"])
            assert th["frames"][0]["library"].endswith("/libc.so.6"), describe(th["frames"])
    if exp["sub"]:
        sub = [i for i in p["interpreters"] if not i["main"]][0]
        live = [th for th in sub["threads"] if any(f["kind"] == "python" for f in th["frames"])]
        assert len(live) == 1, sub["threads"]
        assert python_only(live[0]["frames"]) == exp["sub"]
    assert p["native_threads"] == [], p["native_threads"]


def test_deep_stack_both_ends(variant, workdir, pyxray_bin):
    """A stack deeper than --max-frames: both ends paired on their own,
    the Python frames exactly those of a Python-only dump, the native
    frames between the ends left out with them and counted."""
    fifo = os.path.join(workdir, "deep-%s.fifo" % variant.id)
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    deep = os.path.join(support.SRCDIR, "bench", "deep_threads.py")
    t = support.start_target(variant, workdir, script=deep,
                             extra_args=[fifo, "--threads", "1", "--depth", "60"])
    try:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        deadline = time.time() + support.READY_TIMEOUT
        buf = b""
        while not buf.endswith(b"\n"):
            assert t.proc.poll() is None and time.time() < deadline, t.stderr()
            try:
                buf += os.read(fd, 4096)
            except BlockingIOError:
                time.sleep(0.01)
        os.close(fd)
        support.RAN.add(variant.id)
        native = dump(t, pyxray_bin, "--native", "--json", "--max-frames", "10").json()
        plain = dump(t, pyxray_bin, "--json", "--max-frames", "10").json()
        nthreads = threads_by_tid(native["processes"][0])
        for tid, th in threads_by_tid(plain["processes"][0]).items():
            if th["name"] != "deep-00":
                continue
            nt = nthreads[tid]
            assert th["omitted"] > 0, th
            assert "native_error" not in nt, nt
            assert python_only(nt["frames"]) == python_only(th["frames"]), describe(nt["frames"])
            assert nt["omitted"] >= th["omitted"], (nt["omitted"], th["omitted"])
            at = nt["omitted_at"]
            inner = [f for f in nt["frames"][:at] if f["kind"] == "python"]
            assert len(inner) == th["omitted_at"], describe(nt["frames"])
            assert nt["frames"][0]["kind"] == "native" and nt["frames"][-1]["kind"] == "native"
    finally:
        t.kill()


def test_tree_native(pyxray_bin):
    """--children --native: every process of a fork pool unwound, the
    workers too (located from their parent, without reading their own maps
    until the unwinder needs them), each with its Python frames as a
    Python-only dump shows them."""
    v = [v for v in support.VARIANTS if v.id == "3.11"][0]
    if v.absent:
        required.absent(v.absent)
    tree = os.path.join(support.PROGRAMS, "tree_target.py")
    proc = subprocess.Popen([v.interp.exe, tree, "--workers", "2"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("READY "), (line, proc.stderr.read().decode())
        parent = json.loads(line[6:])["parent"]
        native = run_pyxray(pyxray_bin, "dump", "--children", "--native", "--json", parent)
        plain = run_pyxray(pyxray_bin, "dump", "--children", "--json", parent)
        got = {p["pid"]: p for p in native.json()["processes"]}
        want = {p["pid"]: p for p in plain.json()["processes"]}
        assert sorted(got) == sorted(want) and len(got) >= 3, sorted(got)
        for pid, p in got.items():
            assert "native_error" not in p, p
            threads, wthreads = threads_by_tid(p), threads_by_tid(want[pid])
            for tid, th in wthreads.items():
                mine = threads[tid]
                assert "native_error" not in mine, mine
                assert any(f["kind"] == "native" for f in mine["frames"]), describe(mine["frames"])
                assert python_only(mine["frames"]) == python_only(th["frames"]), pid
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ---------------------------------------------------------------- cores

# gcore writes every mapping; one malloc arena keeps a core small.
SMALL_CORE_ENV = {"MALLOC_ARENA_MAX": "1"}


def core(pyxray_bin, *args):
    res = run_pyxray(pyxray_bin, "core", *args, timeout=120)
    assert res.rc == 0, res
    return res


@pytest.fixture(scope="module")
def crashed(variant, workdir, libnative):
    """native_target.py --crash: its main thread dereferences NULL in C
    called from Python, and the kernel writes a core."""
    pattern = support.kernel_core_pattern()
    d = tempfile.mkdtemp(prefix="native-crash-%s-" % variant.id, dir=workdir)
    t = support.start_target(variant, workdir, extra_args=[libnative, "--crash"],
                             script=NATIVE_TARGET, cwd=d, env_add=SMALL_CORE_ENV)
    try:
        t.wait_ready()
        assert t.proc.wait(timeout=60) == -signal.SIGSEGV, t.stderr()
        found = glob.glob(support.core_glob(pattern, t.pid, d))
        assert len(found) == 1, (found, pattern)
        support.RAN.add(variant.id)
        yield t, found[0]
    finally:
        t.kill()
        shutil.rmtree(d, ignore_errors=True)


def test_core_crash_in_c(crashed, pyxray_bin, libnative):
    """A segfault in C called from Python, from the kernel's core: the
    faulting C frame first, its caller, then the Python frame that called
    into C; the other threads as they were parked."""
    t, path = crashed
    p = core(pyxray_bin, "--native", "--json", path).json()["processes"][0]
    plain = core(pyxray_bin, "--json", path).json()["processes"][0]
    assert p["signal"]["name"] == "SIGSEGV", p["signal"]
    tids = t.report["tids"]
    threads = threads_by_tid(p)
    main = threads[tids["MainThread"]]
    assert main.get("crashed") and "native_error" not in main, main
    frames = main["frames"]
    assert_c_frame(frames[0], "crash_here", "crash_here", libnative)
    assert_c_frame(frames[1], "crash_in_c", "crash_in_c", libnative)
    j = python_index(frames, "crash_from_python", PY_LINES["CALL:crash"], 2)
    assert all(fr["kind"] == "native" for fr in frames[2:j]), describe(frames)
    # An embedder runs the script under one more "<module>" (<string>:1).
    outer = ["<module>"] * (2 if t.variant.kind == "embed" else 1)
    assert [fr["function"] for fr in frames[j:] if fr["kind"] == "python"] == \
        ["crash_from_python", "main"] + outer, describe(frames)
    check_sem_waiter(threads[tids["sem-waiter"]], libnative)
    check_callback(threads[tids["callback"]], libnative)
    check_c_thread(p, tids["c-pool"], libnative, named=False)
    for tid, th in threads_by_tid(plain).items():
        assert python_only(threads[tid]["frames"]) == python_only(th["frames"]), tid
    text = core(pyxray_bin, "--native", "--no-source", "--color=never", path).out
    assert re.search(r"^    \[native\] crash_here\+0x[0-9a-f]+ in %s \(%s:%d\)$"
                     % (re.escape(libnative), re.escape(NATIVE_LIB_C), C_LINES["crash_here"]),
                     text, re.M), text


def test_gcore_native_equals_live(variant, workdir, libnative, pyxray_bin):
    """The same stopped process, read live and from its gcore core, with
    every frame (--native-all): the same native pcs and Python frames in
    the same places, thread by thread."""
    t = support.start_target(variant, workdir, extra_args=[libnative], script=NATIVE_TARGET,
                             env_add=SMALL_CORE_ENV)
    path = os.path.join(workdir, "native-gcore-%s.%d" % (variant.id, t.pid))
    try:
        t.wait_ready()
        wait_main_parked(t)
        os.kill(t.pid, signal.SIGSTOP)
        deadline = time.time() + 60
        while not all(st == "T" for st, _ in support.task_states(t.pid).values()):
            assert time.time() < deadline, "the target never stopped"
            time.sleep(0.01)
        live = run_pyxray(pyxray_bin, "dump", "--native-all", "--json", t.pid).json()
        res = subprocess.run([required.tool("gcore"), "-o", path[:path.rindex(".")], str(t.pid)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        assert res.returncode == 0 and os.path.exists(path), res.stdout[-3000:]
        got = core(pyxray_bin, "--native-all", "--json", path).json()
        os.kill(t.pid, signal.SIGCONT)
        support.RAN.add(variant.id)
        lp, cp = live["processes"][0], got["processes"][0]
        key = lambda fr: (fr["kind"], fr["pc"] if fr["kind"] == "native" else
                          (fr["function"], fr["line"]))
        lt, ct = threads_by_tid(lp), threads_by_tid(cp)
        assert sorted(lt) == sorted(ct)
        for tid in lt:
            assert "native_error" not in ct[tid], ct[tid]
            assert [key(f) for f in ct[tid]["frames"]] == [key(f) for f in lt[tid]["frames"]], \
                (describe(lt[tid]["frames"]), describe(ct[tid]["frames"]))
        assert [[key(f) for f in th["frames"]] for th in cp["native_threads"]] == \
            [[key(f) for f in th["frames"]] for th in lp["native_threads"]]
    finally:
        t.kill()
        if os.path.exists(path):
            os.unlink(path)


# ---------------------------------------------------------------- Debian


def debian_variant():
    for v in support.VARIANTS:
        if v.kind == "distro" and v.interp and v.interp.exe == DEBIAN_PYTHON:
            return v
    return None


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def test_debian_stripped_with_and_without_debug_files(pyxray_bin, workdir, libnative):
    """Debian's python3.11 has no .symtab: with python3.11-dbg's files the
    interpreter's frames have names and lines; from an empty debug folder
    only .dynsym names, yet every Python frame stays in the same place."""
    v = debian_variant()
    if v is None:
        required.absent("%s is not installed (Debian package python3.11)" % DEBIAN_PYTHON)
    sections = subprocess.run(["readelf", "-S", "-W", DEBIAN_PYTHON],
                              stdout=subprocess.PIPE, check=True).stdout.decode()
    assert ".symtab" not in sections and ".debug_info" not in sections
    bid = build_id(DEBIAN_PYTHON)
    debug = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:])
    assert os.path.exists(debug), (
        "%s is missing: install python3.11-dbg of the same version as "
        "python3.11 (./dev does)" % debug)
    empty = os.path.join(workdir, "empty-debug-dir")
    os.makedirs(empty, exist_ok=True)
    t = start_native(v, workdir, libnative)
    try:
        full = dump(t, pyxray_bin, "--native", "--json").json()["processes"][0]
        bare = dump(t, pyxray_bin, "--native", "--json", "--debug-dir", empty).json()
        bare = bare["processes"][0]
        tids = t.report["tids"]
        for p in (full, bare):
            threads = threads_by_tid(p)
            check_sem_waiter(threads[tids["sem-waiter"]], libnative)
            check_callback(threads[tids["callback"]], libnative)
            check_c_thread(p, tids["c-pool"], libnative)
        own = lambda fr: fr["kind"] == "native" and fr["library"] == DEBIAN_PYTHON
        full_threads, bare_threads = threads_by_tid(full), threads_by_tid(bare)
        named_full = [fr for th in full_threads.values() for fr in th["frames"] if own(fr)]
        named_bare = [fr for th in bare_threads.values() for fr in th["frames"] if own(fr)]
        assert named_full and all(fr["function"] for fr in named_full), named_full
        assert any(fr["file"] for fr in named_full), named_full
        assert not any(fr["file"] for fr in named_bare), named_bare
        assert any(fr["function"] is None for fr in named_bare), named_bare
        # Every frame, the interpreter's own included: the same pcs, and
        # the Python frames in the same places, with names or without.
        full_all = dump(t, pyxray_bin, "--native-all", "--json").json()["processes"][0]
        bare_all = dump(t, pyxray_bin, "--native-all", "--json", "--debug-dir", empty)
        bare_all = threads_by_tid(bare_all.json()["processes"][0])
        for tid, th in threads_by_tid(full_all).items():
            a = [(fr["kind"], fr["pc"] if fr["kind"] == "native" else fr["line"])
                 for fr in th["frames"]]
            b = [(fr["kind"], fr["pc"] if fr["kind"] == "native" else fr["line"])
                 for fr in bare_all[tid]["frames"]]
            assert a == b, (describe(th["frames"]), describe(bare_all[tid]["frames"]))
        out = dump(t, pyxray_bin, "--native", "--debug-dir", empty, "--no-source",
                   "--color=never").out
        assert re.search(r"^    \[native\] \?\?\? in %s\+0x[0-9a-f]+$"
                         % re.escape(DEBIAN_PYTHON), out, re.M), out
    finally:
        t.kill()


# ---------------------------------------------------------------- symbols


def run(*argv, **kw):
    res = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    assert res.returncode == 0, (argv, res.stdout.decode("utf-8", "replace"))
    return res.stdout.decode()


def defined(lib, *flags):
    out = run(required.tool("nm"), "--format=posix", "--defined-only", *(list(flags) + [lib]))
    return [line.split() for line in out.splitlines() if line.strip()]


def make_stripped(lib, workdir, mini):
    """A copy of lib without .symtab or debug information; with mini, a
    MiniDebugInfo section (.gnu_debugdata: an xz-compressed ELF holding the
    function symbols .dynsym lacks), as Fedora ships its libraries."""
    d = os.path.join(workdir, "minidebuginfo" if mini else "stripped-lib")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "libnative.so")
    objcopy = required.tool("objcopy")
    run(objcopy, "--strip-all", "-R", ".comment", lib, out)
    if mini:
        dynamic = set(f[0] for f in defined(lib, "-D"))
        keep = sorted(f[0] for f in defined(lib) if f[1] in ("T", "t") and f[0] not in dynamic)
        assert "wait_here" in keep and "c_thread_park" in keep, keep
        keep_file = os.path.join(d, "keep")
        with open(keep_file, "w") as f:
            f.write("\n".join(keep) + "\n")
        mini_elf = os.path.join(d, "mini")
        run(objcopy, "--only-keep-debug", lib, mini_elf)
        run(objcopy, "-S", "--remove-section", ".gdb_index", "--remove-section", ".comment",
            "--keep-symbols=" + keep_file, mini_elf)
        if os.path.exists(mini_elf + ".xz"):
            os.unlink(mini_elf + ".xz")
        run(required.tool("xz"), "-k", mini_elf)
        run(objcopy, "--add-section", ".gnu_debugdata=" + mini_elf + ".xz", out)
    sections = run(required.tool("readelf"), "-S", "-W", out)
    assert ".symtab" not in sections and ".debug_info" not in sections, sections
    assert (".gnu_debugdata" in sections) == mini, sections
    return out


@pytest.mark.parametrize("mini", [True, False], ids=["minidebuginfo", "dynsym-only"])
def test_stripped_library_symbols(pyxray_bin, workdir, libnative, mini):
    """A library stripped of .symtab: its local functions are named from
    MiniDebugInfo when it has some, else only its exported ones (.dynsym)
    are, the others show as library+offset; no source lines either way, and
    the frames stay where they are."""
    v = [v for v in support.VARIANTS if v.id == "3.11"][0]
    if v.absent:
        required.absent(v.absent)
    lib = make_stripped(libnative, workdir, mini)
    t = start_native(v, workdir, lib)
    try:
        p = dump(t, pyxray_bin, "--native", "--json").json()["processes"][0]
        frames = threads_by_tid(p)[t.report["tids"]["sem-waiter"]]["frames"]
        ours = [fr for fr in frames if fr["kind"] == "native" and fr["library"] == lib]
        assert len(ours) == 2, describe(frames)
        assert all(fr["file"] is None and fr["line"] == 0 for fr in ours), ours
        assert ours[1]["function"] == "block_in_c", ours  # exported: .dynsym
        if mini:
            assert ours[0]["function"] == "wait_here", ours
        else:
            assert ours[0]["function"] is None, ours
            # library+offset is an address in the file, inside wait_here.
            sym = [f for f in defined(libnative) if f[0] == "wait_here"][0]
            start, size = int(sym[2], 16), int(sym[3], 16)
            assert start < ours[0]["library_offset"] <= start + size, (sym, ours[0])
        python_index(frames, "wait_sem", PY_LINES["CALL:sem"], frames.index(ours[1]) + 1)
        pool = [th for th in p["native_threads"] if th["tid"] == t.report["tids"]["c-pool"]]
        names = [fr["function"] for fr in pool[0]["frames"] if fr["library"] == lib]
        assert names == (["c_thread_park", "c_thread_main"] if mini else [None, None]), names
    finally:
        t.kill()


# ---------------------------------------------------------------- usage


def test_native_usage_errors(pyxray_bin):
    res = run_pyxray(pyxray_bin, "dump", "--native", "--nonblocking", str(os.getpid()))
    assert res.rc == 2 and "drop --nonblocking" in res.err, res
    res = run_pyxray(pyxray_bin, "dump", "--debug-dir", "/x", str(os.getpid()))
    assert res.rc == 2 and "--debug-dir goes with --native" in res.err, res
