# SPDX-License-Identifier: MIT
"""The GDB extension on core files: `gdb -batch -nx -x EXT PYTHON CORE`.

Cores come from `gcore` (the target keeps running, so its stacks can be read
live afterwards and compared) and from the kernel (SIGQUIT with RLIMIT_CORE
raised; skipped with the reason when core_pattern pipes cores to a handler,
a system setting these tests do not change). Memory is read through GDB, so
this is the extension's `callback` memory source. Without the executable or
the libpython the core needs, the error names the missing file and the
setting that fixes it.

Variants: the representative subset, plus a stripped libpython and an
embedder (whose interpreter lives in a shared library the core names).
"""
import glob
import json
import os
import re
import resource
import signal
import subprocess

import pytest

import gdb_support
import support
from gdb_support import Session, out_or_error, text_lines, without_gil

EXTRA = ("3.12-stripped", "embed-3.12")


def core_params():
    return gdb_support.subset_params() + \
        support.variant_params(lambda v: v.id in EXTRA)


@pytest.fixture(scope="module", params=core_params())
def cv(request):
    return request.param


# One malloc arena: gcore writes every mapping, and the 64 MiB PROT_NONE
# reservations of per-thread arenas would make each core ~400 MB of zeros.
SMALL_CORE_ENV = {"MALLOC_ARENA_MAX": "1"}


@pytest.fixture(scope="module")
def live(cv, workdir):
    t = gdb_support.start_program(cv, workdir, support.TARGET,
                                  extra_env=SMALL_CORE_ENV)
    try:
        t.wait_ready()
        t.wait_parked()
        t.exe = os.readlink("/proc/%d/exe" % t.pid)
        t.libpython = mapped_libpython(t.pid)
        support.RAN.add(cv.id)
        yield t
    finally:
        t.kill()


def core_steps(t):
    rep = t.report["threads"]
    s = Session()
    s.cmd("bt-all", "py-bt-all")
    s.cmd("json", "py-bt-all --json")
    s.cmd("group", "py-bt-all --group")
    s.cmd("ps", "py-ps")
    for name in ("MainThread", "worker-1", "worker-2", "gen-worker",
                 "spinner"):
        s.lwp("lwp " + name, rep[name]["tid"])
        s.cmd("bt " + name, "py-bt")
    s.lwp("lwp locals", rep["worker-2"]["tid"])
    s.cmd("locals", "py-locals")
    s.cmd("print fd", "py-print fd")
    s.cmd("up", "py-up")
    s.cmd("print n", "py-print n")
    return s


@pytest.fixture(scope="module")
def gcore(live, workdir):
    """(core path, gdb session on it, `pyxray dump --nonblocking` of the
    live target right after gcore)."""
    prefix = os.path.join(workdir, "gcore-%s" % live.variant.id)
    res = subprocess.run(["gcore", "-o", prefix, str(live.pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=gdb_support.GDB_TIMEOUT)
    path = "%s.%d" % (prefix, live.pid)
    assert res.returncode == 0 and os.path.exists(path), res.stdout[-3000:]
    try:
        gdb_support.after_session(live)
        s = core_steps(live)
        s.execute([live.exe, path], workdir)
        yield path, s
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_gcore_bt_all_matches_live(gcore, live, pyxray_bin):
    """Same report from the core as from the live process: everything but
    the first line (how the command line is known differs)."""
    path, s = gcore
    got = s.out("bt-all")
    res = support.run_pyxray(pyxray_bin, "dump", "--nonblocking", live.pid)
    assert res.rc == 0, res
    assert text_lines(got)[0].startswith("Process %d" % live.pid), got
    assert text_lines(without_gil(got))[1:] == \
        text_lines(without_gil(res.out))[1:]
    assert s.out("group") == got or \
        text_lines(without_gil(s.out("group"))) == \
        text_lines(without_gil(got)), "nothing to group in threads_target"


def test_gcore_json(gcore, live):
    path, s = gcore
    doc = json.loads(s.out("json"))
    assert doc["schema_version"] == 1
    (p,) = doc["processes"]
    gdb_support.check_stacks(p, live)
    assert "stopped_us" not in p, "a core is not stopped by pyxray"


def test_gcore_bt_per_thread(gcore, live):
    path, s = gcore
    exp = support.expected_stacks(live)["main"]
    for name in ("MainThread", "worker-1", "worker-2", "gen-worker",
                 "spinner"):
        lines = text_lines(s.out("bt " + name))
        if lines and lines[0].startswith("Thread "):
            lines = lines[1:]  # flagged by test_gdb_commands.test_bt_layout
        assert lines == gdb_support.traceback_text(exp[name]), name


def test_gcore_locals(gcore, live):
    path, s = gcore
    fd = live.report["threads"]["worker-2"]["fd"]
    assert "fd = %d" % fd in [l.strip() for l in s.out("locals").splitlines()]
    assert s.out("print fd").strip() == "local 'fd' = %d" % fd
    assert s.out("print n").strip() == "local 'n' = 0"


def test_gcore_ps(gcore, live):
    path, s = gcore
    out = s.out("ps")
    assert re.search(r"\b%d\b" % live.pid, out), out
    assert live.report["version"] in out, out


def mapped_libpython(pid):
    """The libpython file pid maps, or None (interpreter in the executable)."""
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            m = re.search(r"\s(/\S*/libpython3[^/\s]*\.so[^/\s]*)$", line)
            if m:
                return m.group(1)
    return None


@pytest.fixture(scope="module")
def missing(gcore, live, workdir):
    """Sessions on the gcore core with a file missing: {case: (session,
    what the message must contain)}. Cases: no executable at all, the wrong
    executable, the executable without its libpython (sysroot pointed
    elsewhere), and the same fixed by solib-search-path."""
    path, _ = gcore
    exe = live.exe
    fix_exe = ("file %s" % exe,)
    out = {}
    s = Session()
    s.cmd("bt-all", "py-bt-all")
    s.cmd("bt", "py-bt")
    s.execute(["-ex", "core-file %s" % path], workdir)
    out["no-exe"] = (s, (exe,) + fix_exe)
    s = Session()
    s.cmd("bt-all", "py-bt-all")
    s.cmd("bt", "py-bt")
    s.execute(["/usr/bin/sleep", path], workdir)
    out["wrong-exe"] = (s, (exe,) + fix_exe)
    lib = live.libpython
    if lib is not None:
        bad_root = ["-iex", "set sysroot /nonexistent-pyxray-sysroot"]
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.cmd("bt", "py-bt")
        s.execute(bad_root + [exe, path], workdir)
        out["no-lib"] = (s, (lib,))
        s = Session()
        s.cmd("bt-all", "py-bt-all")
        s.execute(bad_root + ["-iex", "set solib-search-path %s"
                              % os.path.dirname(lib), exe, path], workdir)
        out["lib-found"] = (s, None)
    return out


@pytest.mark.parametrize("case", ["no-exe", "wrong-exe", "no-lib"])
def test_core_missing_file(missing, live, case):
    """The message names the missing file and the command or setting that
    supplies it."""
    if case not in missing:
        pytest.skip("%s: the interpreter is in the executable"
                    % live.variant.id)
    s, needles = missing[case]
    for key in ("bt-all", "bt"):
        msg = out_or_error(s[key])
        assert len(msg.strip().splitlines()) == 1, (key, msg)
        for n in needles:
            assert n in msg, (key, n, msg)
        if case == "no-lib":
            assert "set sysroot" in msg or "solib-search-path" in msg, msg
    gdb_support.error_of(s["bt"])


@pytest.mark.parametrize("case", ["no-exe", "wrong-exe", "no-lib"])
def test_core_missing_file_bt_all_is_error(missing, live, case):
    """The spec: no inferior readable is an error, not just a line."""
    if case not in missing:
        pytest.skip("%s: the interpreter is in the executable"
                    % live.variant.id)
    s, _ = missing[case]
    gdb_support.error_of(s["bt-all"])


def test_core_lib_found_by_search_path(missing, live):
    if "lib-found" not in missing:
        pytest.skip("%s: the interpreter is in the executable"
                    % live.variant.id)
    s, _ = missing["lib-found"]
    got = s.out("bt-all")
    assert '"worker-1"' in got and "_block (" in got, got


# ------------------------------------------------------------ kernel cores

@pytest.fixture(scope="module")
def kcore(cv, workdir):
    """A kernel core of threads_target (SIGQUIT), and its report."""
    pattern = support.kernel_core_pattern()
    t = gdb_support.start_program(cv, workdir, support.TARGET,
                                  extra_env=SMALL_CORE_ENV)
    path = None
    try:
        t.wait_ready()
        t.wait_parked()
        t.exe = os.readlink("/proc/%d/exe" % t.pid)
        inf = resource.RLIM_INFINITY
        try:
            resource.prlimit(t.pid, resource.RLIMIT_CORE, (inf, inf))
        except (OSError, ValueError):
            hard = resource.prlimit(t.pid, resource.RLIMIT_CORE)[1]
            if hard == 0:
                pytest.skip("RLIMIT_CORE hard limit is 0 and cannot be raised")
            resource.prlimit(t.pid, resource.RLIMIT_CORE, (hard, hard))
        before = set(glob.glob(support.core_glob(pattern, t.pid, workdir)))
        os.kill(t.pid, signal.SIGQUIT)
        t.proc.wait(timeout=60)
        assert t.proc.returncode == -signal.SIGQUIT, t.proc.returncode
        found = set(glob.glob(support.core_glob(pattern, t.pid, workdir))) - before
        if not found:
            # The kernel declined (e.g. a filesystem it cannot write):
            # nothing this test can fix.
            pytest.skip("no kernel core at %s (core_pattern %r)"
                        % (support.core_glob(pattern, t.pid, workdir), pattern))
        (path,) = found
        s = core_steps(t)
        s.execute([t.exe, path], workdir)
        yield t, s
    finally:
        t.kill()
        if path and os.path.exists(path):
            os.unlink(path)


def test_kernel_core(kcore):
    t, s = kcore
    blocks = gdb_support.thread_blocks(s.out("bt-all"))
    exp = support.expected_stacks(t)
    for name, frames in exp["main"].items():
        tid = t.report["threads"][
            "subinterp" if name == "subinterp-host" else name]["tid"]
        want = [(f["qualname"], f["file"], f["line"]) for f in frames]
        assert blocks.get((tid, name)) == want, (name, s.out("bt-all"))
    (p,) = json.loads(s.out("json"))["processes"]
    gdb_support.check_stacks(p, t)
    fd = t.report["threads"]["worker-2"]["fd"]
    assert s.out("print fd").strip() == "local 'fd' = %d" % fd
