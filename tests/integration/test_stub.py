# SPDX-License-Identifier: MIT
"""The stub (libpyxray-stub.so, docs/stub.md) on real interpreters, every
variant present: preloaded, its SIGUSR2 dump equals `pyxray dump --json`
for the same parked state, with malloc and stdio interposed to abort while
its handler runs (tests/programs/sigsafe_preload.c); a crash in a pool
worker leaves a dump and the worker still dies by SIGSEGV; a signal to a
pool's process group dumps every process; a non-dumpable process that
ptrace cannot read still dumps; the exit status and the core are those of
a run without the stub, with faulthandler before or after it; an embedder
that loads libpython after the stub armed is still dumped. Arming a running
process is in test_stub_arm.py.
"""
import glob
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import required
import support
from support import run_pyxray

STUB_APP = os.path.join(support.PROGRAMS, "stub_app.py")
SIGSAFE_C = os.path.join(support.PROGRAMS, "sigsafe_preload.c")
EMBED_DLOPEN_C = os.path.join(support.PROGRAMS, "embed_dlopen.c")
DUMP_TIMEOUT = 30.0
SIGSAFE_OK = re.compile(r"^SIGSAFE ok stack=(\d+) budget=(\d+) buffer=(\d+) dumps=(\d+)",
                        re.M)

BASE = [v for v in support.VARIANTS if v.kind in ("base", "distro")]


def params(variants):
    """pytest params; an absent variant fails at setup (conftest)."""
    return [pytest.param(v, id=v.id) for v in variants]


def stub_lib():
    path = os.environ.get("PYXRAY_STUB") or os.path.join(
        os.environ.get("PYXRAY_BUILDDIR") or support.SRCDIR, ".libs", "libpyxray-stub.so")
    if not os.path.exists(path):
        pytest.fail("the stub is not built: %s (make, or set PYXRAY_STUB)" % path)
    return path


def test_stub_links_libc_alone():
    """The stub needs libc alone and leaves no symbol to another library:
    the library's ELF reader and its native unwinder (libdw) stay out of
    every process it is loaded in (a missing one would fail its -z now
    load)."""
    lib = stub_lib()
    dyn = subprocess.run([required.tool("readelf"), "-d", "-W", lib], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn)
    assert sorted(n for n in needed if not n.startswith("ld-linux")) == ["libc.so.6"], needed
    syms = subprocess.run([required.tool("nm"), "-D", "--undefined-only", lib],
                          stdout=subprocess.PIPE, check=True).stdout.decode()
    foreign = [l.split()[-1] for l in syms.splitlines()
               if l.split() and "@" not in l.split()[-1] and l.split()[0] != "w"]
    assert not foreign, foreign


def compile_c(src, out, shared=False):
    cmd = ["cc", "-O1", "-Wall", "-o", out, src, "-ldl"]
    if shared:
        cmd[1:1] = ["-shared", "-fPIC"]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert res.returncode == 0, res.stdout.decode("utf-8", "replace")
    return out


@pytest.fixture(scope="session")
def sigsafe_so(workdir):
    return compile_c(SIGSAFE_C, os.path.join(workdir, "sigsafe_preload.so"), shared=True)


@pytest.fixture
def dump_dir(workdir):
    return tempfile.mkdtemp(prefix="dumps-", dir=workdir)


def stub_env(dump_dir, on="usr2,crash", fmt="json", preload=None):
    env = {"PYXRAY_DUMP_ON": on, "PYXRAY_DUMP_DIR": dump_dir,
           "PYXRAY_DUMP_FORMAT": fmt, "PYXRAY_STUB": stub_lib(),
           "LD_PRELOAD": preload or stub_lib()}
    return env


def wait_dump(path, proc=None, timeout=DUMP_TIMEOUT):
    """The dump's text once it exists (it appears whole: written under a
    temporary name and renamed)."""
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None and not os.path.exists(path):
            raise AssertionError("process %d died (rc %s) before writing %s"
                                 % (proc.pid, proc.returncode, path))
        if time.time() > deadline:
            raise AssertionError("no dump %s within %ss" % (path, timeout))
        time.sleep(0.01)
    with open(path) as f:
        return f.read()


def thread_frames(doc):
    """{tid: (name, [(qualname, file, line)])} over every interpreter."""
    out = {}
    for interp in doc["processes"][0]["interpreters"]:
        for th in interp["threads"]:
            out.setdefault(th["tid"], []).append(
                (th["name"], [(f["qualname"], f["file"], f["line"])
                              for f in th["frames"]]))
    return out


def check_sigsafe(t, dumps=None):
    """The SIGSAFE line sigsafe_preload.so writes after the stub's handler
    returned (it follows the dump file by a moment): no violation, the dump
    stack within its budget. (stack, buffer, dumps) of the last one."""
    deadline = time.time() + DUMP_TIMEOUT
    while True:
        err = t.stderr()
        assert "SIGSAFE VIOLATION" not in err, err
        got = SIGSAFE_OK.findall(err)
        if got and (dumps is None or int(got[-1][3]) >= dumps):
            break
        assert time.time() < deadline, "no SIGSAFE line for dump %s: %s" % (dumps, err)
        time.sleep(0.01)
    stack, budget, buf, n = (int(x) for x in got[-1])
    assert 0 < stack < budget, "dump stack %d bytes, budget %d" % (stack, budget)
    return stack, buf, n


# ---------------------------------------------------------------- preloaded


def test_signal_dump_equals_pyxray_dump(variant, workdir, pyxray_bin, sigsafe_so, dump_dir):
    """For one parked state, the stub's JSON equals pyxray dump's, frame by
    frame; its handler called no malloc, free or stdio; the target goes
    on, and a second dump works too."""
    t = support.start_target(variant, workdir,
                             env_add=stub_env(dump_dir, preload=sigsafe_so))
    try:
        t.wait_ready()
        t.wait_parked()
        ref = run_pyxray(pyxray_bin, "dump", "--json", t.pid).json()
        t.wait_parked()
        os.kill(t.pid, signal.SIGUSR2)
        path = os.path.join(dump_dir, "pyxray-%d.json" % t.pid)
        doc = json.loads(wait_dump(path, t.proc))
        text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid), t.proc)
        stack, buf, dumps = check_sigsafe(t, 1)
        assert dumps == 1
        assert thread_frames(doc) == thread_frames(ref), (doc, ref)
        p, r = doc["processes"][0], ref["processes"][0]
        for key in ("pid", "ppid", "python_version", "python_path", "executable", "argv",
                    "threads", "layout", "role"):
            assert p[key] == r[key], key
        assert p["source"] == "stub" and "stopped_us" not in p and "signal" not in p, p
        # Every thread as the target itself reported it, named.
        exp = support.expected_stacks(t)
        names = {th["name"]: support.frames_of(th)
                 for th in doc["processes"][0]["interpreters"][0]["threads"]}
        for name, frames in exp["main"].items():
            assert names.get(name) == frames, name
        assert text.startswith("Process %d " % t.pid), text
        assert "(read from inside the process" in text
        # Unharmed, and ready for the next one.
        t.ping()
        support.assert_not_stopped(t.pid)
        os.unlink(path)
        os.kill(t.pid, signal.SIGUSR2)
        again = json.loads(wait_dump(path, t.proc))
        assert thread_frames(again) == thread_frames(ref)
        assert check_sigsafe(t, 2)[2] == 2
        t.ping()
        support.RAN.add(variant.id)
    finally:
        t.kill()


def test_crash_in_pool_worker(variant, workdir, dump_dir):
    """A forked worker segfaults in ctypes.string_at(0): its dump names the
    crash and its Python stack, crashed thread first, and its parent still
    sees it die by SIGSEGV."""
    t = support.start_target(variant, workdir, script=STUB_APP,
                             extra_args=["crash-pool", "--workers", "3"],
                             env_add=stub_env(dump_dir, fmt="text"))
    try:
        t.wait_ready()
        line = t.readline(60)
        assert line.startswith("EXITCODE "), line
        got = json.loads(line[len("EXITCODE "):])
        assert got["exitcode"] == -signal.SIGSEGV, (got, t.stderr())
        text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % got["pid"]))
        t.proc.wait(30)
    finally:
        t.kill()
    assert re.search(r"^Fatal signal SIGSEGV \(SEGV_MAPERR\) at address 0x0 in thread %d$"
                     % got["pid"], text, re.M), text
    blocks = support.parse_text(text)
    assert blocks and "crashed" in blocks[0][2], text
    tags = support.marker_lines(STUB_APP)
    frames = [(q, line) for q, f, line in blocks[0][3] if f == STUB_APP]
    assert frames[:2] == [("crash_here", tags["PARK:crash"]),
                          ("worker_main", tags["CALL:worker-crash"])], text
    assert blocks[0][3][0][0] == "string_at", text
    # Only the crashed worker dumped: the others were ended by SIGTERM,
    # which the stub does not take.
    assert sorted(os.listdir(dump_dir)) == ["pyxray-%d.txt" % got["pid"]]


def group_members(pgid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(name))
    return sorted(out)


POOL_PARAMS = [(v, m) for v in support.VARIANTS for m in ("fork", "spawn")
               if not (m == "spawn" and v.kind == "embed")]


@pytest.mark.parametrize("var,method", [
    pytest.param(v, m, id="%s-%s" % (v.id, m)) for v, m in POOL_PARAMS])
def test_usr2_to_pool_process_group(var, method, workdir, dump_dir):
    """kill -USR2 -- -PGID: one dump per process of the pool (parent,
    workers, and for spawn the resource tracker), then the pool still
    computes."""
    t = support.start_target(var, workdir, script=STUB_APP,
                             extra_args=["pool", "--method", method, "--workers", "3"],
                             env_add=stub_env(dump_dir, fmt="text"), new_session=True)
    try:
        t.wait_ready()
        workers = t.report["workers"]
        assert len(workers) == 3, t.report
        members = group_members(t.pid)
        assert set(workers) | {t.pid} <= set(members), (members, workers)
        os.killpg(t.pid, signal.SIGUSR2)
        dumps = {pid: wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % pid))
                 for pid in members}
        role = "ForkPoolWorker-" if method == "fork" else "SpawnPoolWorker-"
        for pid in workers:
            assert re.match(r'Process %d "%s\d+"' % (pid, role), dumps[pid]), dumps[pid]
            assert re.search(r"^    worker \(.*multiprocessing/pool\.py:\d+\)$", dumps[pid],
                             re.M), dumps[pid]
        assert re.search(r"^    pool \(%s:\d+\)$" % re.escape(STUB_APP), dumps[t.pid], re.M), \
            dumps[t.pid]
        assert sorted(os.listdir(dump_dir)) == sorted("pyxray-%d.txt" % p for p in members)
        t.proc.stdin.write(b"map\n")
        t.proc.stdin.flush()
        assert t.readline(60) == str([x * x for x in range(10)])
        t.proc.stdin.write(b"exit\n")
        t.proc.stdin.flush()
        assert t.proc.wait(60) == 0, t.stderr()
    finally:
        try:
            os.killpg(t.pid, signal.SIGKILL)
        except OSError:
            pass
        t.kill()


NO_PTRACE = ["setpriv", "--bounding-set", "-sys_ptrace", "--"]


def test_non_dumpable_process_dumps(variant, workdir, pyxray_bin, dump_dir):
    """prctl(PR_SET_DUMPABLE, 0): without CAP_SYS_PTRACE pyxray dump cannot
    read it and says so; the stub inside still dumps it. Both run without
    that capability, so the refusal is the process's being not dumpable
    (test_setpriv_control reads a dumpable one the same way)."""
    t = support.start_target(variant, workdir, script=STUB_APP,
                             extra_args=["serve", "--nondumpable"],
                             env_add=stub_env(dump_dir, fmt="text"), launcher=NO_PTRACE)
    try:
        t.wait_ready()
        res = run_pyxray(pyxray_bin, "dump", t.pid, prefix=NO_PTRACE)
        assert res.rc == 1, res
        assert "permission" in res.err and "ptrace" in res.err, res
        os.kill(t.pid, signal.SIGUSR2)
        text = wait_dump(os.path.join(dump_dir, "pyxray-%d.txt" % t.pid), t.proc)
        assert re.search(r"^    serve \(%s:\d+\)$" % re.escape(STUB_APP), text, re.M), text
        t.proc.stdin.write(b"say still here\n")
        t.proc.stdin.flush()
        assert t.readline(30) == "still here"
    finally:
        t.kill()


def test_setpriv_control(workdir, pyxray_bin, dump_dir):
    """The same setpriv reads a dumpable process started the same way: the
    refusal above is the process's, not the missing capability's."""
    p = subprocess.Popen(NO_PTRACE + [sys.executable, STUB_APP, "serve"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline().startswith(b"READY ")
        res = run_pyxray(pyxray_bin, "dump", p.pid, prefix=NO_PTRACE)
        assert res.rc == 0 and "serve" in res.out, res
    finally:
        p.kill()
        p.wait()


# ---------------------------------------------------------------- crashes


def run_raw(argv, env, cwd):
    """(returncode, stdout, stderr) of argv run with core dumps on."""
    def cores():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,
                                                  resource.RLIM_INFINITY))
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=cores)
    out, err = p.communicate(timeout=120)
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def core_pattern():
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            return f.read().strip()
    except OSError:
        return ""


def innermost(exe, core):
    """The function GDB puts the faulting thread's pc in, from a core."""
    res = subprocess.run(["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off",
                          "-iex", "set auto-load off", exe, core, "-ex", "info symbol $pc"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = res.stdout.decode("utf-8", "replace")
    m = re.search(r"^(\S+)(?: \+ \d+)? in section", out, re.M)
    return m.group(1) if m else out[-500:]


def crash_run(variant, workdir, env_add, args, cwd):
    argv, extra_env, _ = support.prepare(variant, workdir)
    argv = argv[:-1] + [STUB_APP, "crash"] + list(args)
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "LD_PRELOAD"):
        env.pop(name, None)
    env.update(extra_env)
    env.update(env_add)
    for name in os.listdir(cwd):
        if name.startswith("core"):
            os.unlink(os.path.join(cwd, name))
    pid_status = run_raw(argv, env, cwd)
    cores = [n for n in os.listdir(cwd) if n.startswith("core")]
    return pid_status, cores, argv


@pytest.mark.parametrize("var", params(BASE))
def test_crash_exit_status_and_core_as_without_stub(var, workdir, dump_dir):
    """The same crash with and without the stub: killed by SIGSEGV both
    times with the same output, a core both times, and in both cores the
    faulting pc in the same function; with the stub, a dump as well."""
    plain_cwd = tempfile.mkdtemp(prefix="core-plain-", dir=workdir)
    stub_cwd = tempfile.mkdtemp(prefix="core-stub-", dir=workdir)
    plain, plain_cores, argv = crash_run(var, workdir, {}, [], plain_cwd)
    assert plain[0] == -signal.SIGSEGV, plain
    stubbed, stub_cores, _ = crash_run(var, workdir, stub_env(dump_dir, fmt="text"), [],
                                       stub_cwd)
    assert stubbed == plain, (plain, stubbed)
    dumps = os.listdir(dump_dir)
    assert len(dumps) == 1, dumps
    with open(os.path.join(dump_dir, dumps[0])) as f:
        text = f.read()
    assert "Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x0" in text, text
    if core_pattern() not in ("core", "core.%p"):
        pytest.skip("kernel.core_pattern is %r: cores do not land in the working "
                    "directory here" % core_pattern())
    assert plain_cores and stub_cores, (plain_cores, stub_cores)
    where_plain = innermost(argv[0], os.path.join(plain_cwd, plain_cores[0]))
    where_stub = innermost(argv[0], os.path.join(stub_cwd, stub_cores[0]))
    assert where_stub == where_plain, (where_stub, where_plain)
    assert "pyx" not in where_stub and "stub" not in where_stub, where_stub


@pytest.mark.parametrize("var", params(BASE))
def test_faulthandler_both_orders(var, workdir, dump_dir):
    """faulthandler installed after the stub (-X faulthandler with the stub
    preloaded) and before it (enabled, then the stub armed): both print,
    and the process still dies by SIGSEGV."""
    cwd = tempfile.mkdtemp(prefix="fh-", dir=workdir)
    env = stub_env(dump_dir, fmt="text")
    # After: faulthandler hands the signal back to the stub with raise(),
    # which carries no faulting address.
    status, _, _ = crash_run(var, workdir, env, ["--faulthandler"], cwd)
    rc, out, err = status
    assert rc == -signal.SIGSEGV, status
    assert "Fatal Python error: Segmentation fault" in err, err
    assert "crash_here" in err
    dumps = os.listdir(dump_dir)
    assert len(dumps) == 1, dumps
    with open(os.path.join(dump_dir, dumps.pop())) as f:
        text = f.read()
    assert "Fatal signal SIGSEGV" in text and "crash_here" in text, text
    for name in os.listdir(dump_dir):
        os.unlink(os.path.join(dump_dir, name))
    # Before: the stub dumps first, with the address, then calls it.
    env_first = {"PYXRAY_STUB": stub_lib()}
    status, _, _ = crash_run(var, workdir, env_first,
                             ["--faulthandler", "--arm-first", dump_dir], cwd)
    rc, out, err = status
    assert rc == -signal.SIGSEGV, status
    assert "Fatal Python error: Segmentation fault" in err, err
    dumps = os.listdir(dump_dir)
    assert len(dumps) == 1, dumps
    with open(os.path.join(dump_dir, dumps[0])) as f:
        text = f.read()
    assert "Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x0" in text, text
    assert "crash_here" in text


# ---------------------------------------------------------------- late libpython


SHARED = [v for v in support.VARIANTS if v.kind == "base" and (v.absent or v.interp.libpython)]


@pytest.mark.parametrize("var", params(SHARED))
def test_libpython_loaded_after_the_stub(var, workdir, sigsafe_so, dump_dir):
    """An embedder dlopens libpython after the stub armed: the handler finds
    the interpreter in the loader's list (with malloc and stdio interposed)
    and the dump has every thread."""
    lib = var.interp.libpython
    exe = os.path.join(workdir, "embed_dlopen")
    if not os.path.exists(exe):
        compile_c(EMBED_DLOPEN_C, exe)
    env = stub_env(dump_dir, preload=sigsafe_so)
    env["PYTHONHOME"] = var.interp.prefix
    argv = [exe, lib, support.TARGET]
    full = dict(os.environ)
    full.update(env)
    fd, err_path = tempfile.mkstemp(prefix="embed-", suffix=".err", dir=workdir)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fd,
                            env=full, cwd=workdir)
    os.close(fd)
    t = support.Target(var, argv, full, proc)
    t.stderr_path = err_path
    try:
        t.wait_ready()
        t.wait_parked()
        os.kill(t.pid, signal.SIGUSR2)
        doc = json.loads(wait_dump(os.path.join(dump_dir, "pyxray-%d.json" % t.pid), proc))
        check_sigsafe(t, 1)
        p = doc["processes"][0]
        assert p["python"] and "error" not in p, p
        names = {th["name"]: [(f["qualname"], f["file"], f["line"]) for f in th["frames"]]
                 for th in p["interpreters"][0]["threads"]}
        m = support.marker_lines(support.TARGET)
        assert names["MainThread"][0][2] == m["PARK:main"], names
        assert names["MainThread"][-1] == ("<module>", "<string>", 1), names
        assert names["worker-2"][0][2] == m["PARK:worker-2"], names
        t.ping()
    finally:
        t.kill()


def static_libpython(var):
    """libpython3.X.a of a pyenv build (its config directory), or None."""
    found = glob.glob(os.path.join(var.interp.prefix, "lib", "python%d.%d" % var.version,
                                   "config-*", "libpython%d.%d*.a" % var.version))
    return found[0] if found else None


# Before 3.11 there is no Py_Version: an executable named otherwise, with the
# interpreter linked in, tells its version only by its read-only data.
STATIC_OLD = [v for v in support.VARIANTS
              if v.kind == "base" and (3, 6) <= v.version < (3, 11) and not v.id.endswith("static")]


@pytest.mark.parametrize("var", params(STATIC_OLD))
def test_static_embedder_named_otherwise(var, workdir, pyxray_bin, dump_dir):
    """An application called "appserver" that links libpython 3.6-3.10
    statically (exporting its symbols, as python itself does): the stub
    finds the version in the mapped read-only data, and dumps what pyxray
    dump reads."""
    lib = static_libpython(var)
    assert lib, "no static libpython next to %s" % var.interp.exe
    exe = os.path.join(workdir, "appserver-%d.%d" % var.version, "appserver")
    if not os.path.exists(exe):
        os.makedirs(os.path.dirname(exe))
        libs = subprocess.run([var.interp.config, "--libs"] + (["--embed"] if var.version >= (3, 8)
                                                                else []),
                              stdout=subprocess.PIPE, check=True).stdout.decode().split()
        inc = subprocess.run([var.interp.config, "--includes"], stdout=subprocess.PIPE,
                             check=True).stdout.decode().split()
        subprocess.run(["cc", "-o", exe, support.EMBED_C] + inc + [lib] + libs
                       + ["-lm", "-ldl", "-lutil", "-lpthread", "-Wl,--export-dynamic"],
                       check=True)
    env = dict(os.environ)
    env.update(stub_env(dump_dir))
    env["PYTHONHOME"] = var.interp.prefix
    fd, err_path = tempfile.mkstemp(prefix="appserver-", suffix=".err", dir=workdir)
    proc = subprocess.Popen([exe, support.TARGET], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=fd, env=env, cwd=workdir)
    os.close(fd)
    t = support.Target(var, [exe, support.TARGET], env, proc)
    t.stderr_path = err_path
    try:
        t.wait_ready()
        t.wait_parked()
        ref = run_pyxray(pyxray_bin, "dump", "--json", t.pid).json()
        t.wait_parked()
        os.kill(t.pid, signal.SIGUSR2)
        doc = json.loads(wait_dump(os.path.join(dump_dir, "pyxray-%d.json" % t.pid), proc))
        p = doc["processes"][0]
        assert p["python_version"] == t.report["version"], p
        assert p["python_path"] == exe, p
        assert thread_frames(doc) == thread_frames(ref)
        t.ping()
    finally:
        t.kill()


# ---------------------------------------------------------------- configuration


def test_bad_configuration_leaves_program_alone(workdir, dump_dir):
    """A wrong PYXRAY_DUMP_ON or PYXRAY_DUMP_DIR: one line on stderr, not
    armed, and the program runs as ever."""
    code = "import signal; print(signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL)"
    for env_add, why in (({"PYXRAY_DUMP_ON": "usr3"}, "'usr3' is not a signal"),
                         ({"PYXRAY_DUMP_ON": "kill"}, "cannot be caught"),
                         ({"PYXRAY_DUMP_DIR": "/nonexistent/dir"}, "/nonexistent/dir"),
                         ({"PYXRAY_DUMP_FORMAT": "xml"}, "use text or json"),
                         # the reason quotes the value: escaped, as target bytes are
                         ({"PYXRAY_DUMP_ON": "usr\x1b[31m"}, "'usr\\x1b[31m' is not")):
        env = dict(os.environ)
        env.update(stub_env(dump_dir, fmt="text"))
        env.update(env_add)
        res = subprocess.run([sys.executable, "-c", code], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = res.stderr.decode()
        assert res.returncode == 0 and res.stdout == b"True\n", (env_add, res)
        assert err.startswith("pyxray-stub: not armed: ") and why in err, (env_add, err)
        assert err.count("\n") == 1, err
        assert "\x1b" not in err, err


def test_loaded_without_variables_does_nothing(workdir):
    """Preloaded without PYXRAY_DUMP_ON: loaded, not armed, silent."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = stub_lib()
    for name in ("PYXRAY_DUMP_ON", "PYXRAY_DUMP_DIR", "PYXRAY_DUMP_FORMAT"):
        env.pop(name, None)
    code = ("import signal; print(all(signal.getsignal(s) == signal.SIG_DFL "
            "for s in (signal.SIGUSR2, signal.SIGSEGV)))")
    res = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    assert (res.returncode, res.stdout, res.stderr) == (0, b"True\n", b""), res
