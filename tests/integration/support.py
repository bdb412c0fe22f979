# SPDX-License-Identifier: MIT
"""Helpers for the integration tests: find interpreters, build variants,
run targets and pyxray, and compute the stacks pyxray must report.

A *variant* is one way of running tests/programs/threads_target.py: a pyenv
python ("3.11"), the same with a stripped copy of its libpython ("3.11-stripped"),
a distribution python ("debian-3.11"), a C program embedding libpython
("embed-3.12"), or an interpreter from PYXRAY_EXTRA_PYTHONS (a static build
is "3.14-static"). Every variant of required.REQUIRED_VARIANTS is listed; one
this machine lacks fails its tests with the reason (required.absent), and the
session ends with a line saying how many variants ran.
"""
import glob
import json
import os
import platform
import re
import select
import shutil
import subprocess
import tempfile
import time

import pytest

import required

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = os.path.join(SRCDIR, "tests", "programs")
TARGET = os.path.join(PROGRAMS, "threads_target.py")
SUBINTERP_PART = os.path.join(PROGRAMS, "subinterp_part.py")
EMBED_C = os.path.join(PROGRAMS, "embed.c")

SUPPORTED_MINORS = required.SUPPORTED_MINORS
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
READY_TIMEOUT = 60.0  # seconds; slow machines, sanitizer builds
PARK_TIMEOUT = 30.0
SYS_READ = {"x86_64": 0, "aarch64": 63, "i686": 3, "i386": 3}.get(
    platform.machine())
MARKER = re.compile(r"#\s(PARK|CALL):([\w.-]+)\s*$")

# Which variants ran and which were absent, for the session summary.
RAN = set()
ABSENT = {}


def vstr(version):
    return "%d.%d" % version


# ---------------------------------------------------------------- discovery

class Interp(object):
    """One python executable and what sysconfig says about it."""

    def __init__(self, exe, info):
        self.exe = exe
        self.version = tuple(info["version"][:2])
        self.version_full = info["version"]
        self.prefix = info["prefix"]
        self.shared = bool(info["shared"])
        self.soname = info["soname"]
        # A relocated build (the tarballs of ../shared/interpreters) keeps
        # its configure-time LIBDIR in sysconfig: the library it really
        # maps says where it is.
        mapped = info.get("mapped_lib")
        self.libdir = os.path.dirname(mapped) if mapped else info["libdir"]
        self.relocated = bool(mapped) and \
            os.path.realpath(self.libdir) != os.path.realpath(info["libdir"])
        self.bindir = os.path.dirname(exe)

    @property
    def libpython(self):
        if not (self.shared and self.libdir and self.soname):
            return None
        path = os.path.join(self.libdir, self.soname)
        return path if os.path.exists(path) else None

    @property
    def config(self):
        path = os.path.join(self.bindir, "python%s-config" % vstr(self.version))
        return path if os.access(path, os.X_OK) else None


QUERY = r"""
import json, os, sys, sysconfig
g = sysconfig.get_config_var
mapped = None
soname = g("INSTSONAME")
try:
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split(None, 5)[5:]
            path = path[0].strip() if path else ""
            if soname and os.path.basename(path) == soname:
                mapped = path
                break
except (IOError, OSError):
    pass
print(json.dumps({"version": list(sys.version_info[:3]), "prefix": sys.prefix,
                  "shared": g("Py_ENABLE_SHARED"), "libdir": g("LIBDIR"),
                  "soname": soname, "mapped_lib": mapped}))
"""


def query_interp(exe):
    try:
        out = subprocess.run([exe, "-c", QUERY], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=60, check=True)
        return Interp(exe, json.loads(out.stdout.decode()))
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        return "%s does not run: %s" % (exe, e)


class Variant(object):
    """How to start the target under one interpreter configuration."""

    def __init__(self, vid, kind, version, interp=None, absent=None):
        self.id = vid
        self.kind = kind          # base, stripped, distro, embed
        self.version = version    # (3, 11)
        self.interp = interp      # the Interp it derives from
        self.absent = absent      # reason it cannot run here, or None

    def __repr__(self):
        return "Variant(%s)" % self.id


def _pyenv_interps():
    found = {}
    for d in sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", "*"))):
        m = re.match(r"^(\d+)\.(\d+)\.(\d+)$", os.path.basename(d))
        if not m:
            continue
        ver = (int(m.group(1)), int(m.group(2)))
        exe = os.path.join(d, "bin", "python%d.%d" % ver)
        if not os.access(exe, os.X_OK):
            continue
        patch = int(m.group(3))
        if ver not in found or found[ver][0] < patch:
            found[ver] = (patch, exe)
    return {ver: exe for ver, (patch, exe) in found.items()}


def _distro_exes():
    out = []
    for exe in sorted(glob.glob("/usr/bin/python3.[0-9]*")):
        if re.search(r"python3\.\d+$", exe) and os.access(exe, os.X_OK):
            out.append(exe)
    return out


def _extra_exes():
    out = []
    for p in os.environ.get("PYXRAY_EXTRA_PYTHONS", "").split(":"):
        if p and p not in out:
            out.append(p)
    return out


def discover():
    """All variants in a stable order: the ones this machine has, and every
    one of required.REQUIRED_VARIANTS it lacks, marked absent with the
    reason."""
    base = {}       # (3, X) -> Interp of a shared build
    notes = {}      # (3, X) -> why absent
    for ver, exe in _pyenv_interps().items():
        it = query_interp(exe)
        if isinstance(it, Interp):
            base[ver] = it
        else:
            notes[ver] = it
    extra_variants = []
    for exe in _extra_exes():
        it = query_interp(exe)
        if not isinstance(it, Interp):
            extra_variants.append(Variant("extra:" + exe, "base", (0, 0),
                                          None, it))
            continue
        v = vstr(it.version)
        if not it.shared:
            vid = v + "-static"
        elif it.version not in base:
            base[it.version] = it
            continue
        else:
            vid = v + "-shared"
        if vid in [e.id for e in extra_variants]:
            vid += "-" + os.path.basename(it.prefix)
        extra_variants.append(Variant(vid, "base", it.version, it))
    variants = []
    for ver in SUPPORTED_MINORS:
        it = base.get(ver)
        v = vstr(ver)
        why = notes.get(ver) or (
            "python %s (a shared build) absent: not under %s/versions and "
            "not in PYXRAY_EXTRA_PYTHONS" % (v, PYENV_ROOT))
        variants.append(Variant(v, "base", ver, it, None if it else why))
        if it is None:
            variants.append(Variant(v + "-stripped", "stripped", ver, None, why))
            variants.append(Variant("embed-" + v, "embed", ver, None, why))
            continue
        variants.append(Variant(
            v + "-stripped", "stripped", ver, it,
            None if it.libpython else
            "python %s (%s) maps no shared libpython to strip" % (v, it.exe)))
        variants.append(Variant(
            "embed-" + v, "embed", ver, it,
            None if it.config else "python%s-config missing next to %s"
            % (v, it.exe)))
    variants.extend(extra_variants)
    for exe in _distro_exes():
        it = query_interp(exe)
        vid = "debian-" + (vstr(it.version) if isinstance(it, Interp)
                           else os.path.basename(exe)[len("python"):])
        if isinstance(it, Interp) and it.version in SUPPORTED_MINORS:
            variants.append(Variant(vid, "distro", it.version, it))
        elif not isinstance(it, Interp):
            variants.append(Variant(vid, "distro", (0, 0), None, it))
    have = set(v.id for v in variants)
    for vid in required.REQUIRED_VARIANTS:
        if vid in have:
            continue
        m = re.match(r"^(?:debian-)?(\d+)\.(\d+)(?:-static)?$", vid)
        ver = (int(m.group(1)), int(m.group(2)))
        if vid.startswith("debian-"):
            why = "Debian's /usr/bin/python%s absent" % vstr(ver)
            variants.append(Variant(vid, "distro", ver, None, why))
        else:
            why = ("a static build of python %s (Py_ENABLE_SHARED=0) is not "
                   "in PYXRAY_EXTRA_PYTHONS" % vstr(ver))
            variants.append(Variant(vid, "base", ver, None, why))
    return variants


def variant_params(keep=None):
    """pytest params for the variants keep(v) selects (all by default);
    absent ones are kept: conftest fails them at setup."""
    return [pytest.param(v, id=v.id) for v in VARIANTS
            if keep is None or keep(v)]


def _legacy_interps():
    """Interpreters pyxray does not decode (2.7): only 'never crash' tests."""
    out = []
    for exe in sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", "2.7*",
                                             "bin", "python2.7"))):
        out.append(exe)
    return out


VARIANTS = discover()
LEGACY = _legacy_interps()


# ---------------------------------------------------------------- pyxray

def pyxray_path():
    env = os.environ.get("PYXRAY")
    if env:
        return env
    builddir = os.environ.get("PYXRAY_BUILDDIR") or SRCDIR
    return os.path.join(builddir, "pyxray")


class Result(object):
    def __init__(self, argv, proc):
        self.argv = argv
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "<pyxray %s: rc=%s\nstdout:\n%s\nstderr:\n%s>" % (
            " ".join(self.argv[1:]), self.rc, self.out[:4000], self.err[:4000])

    def json(self):
        assert self.rc == 0, self
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise AssertionError("bad JSON (%s): %r" % (e, self))


def run_pyxray(pyxray_bin, *args, **kw):
    argv = list(kw.pop("prefix", [])) + [pyxray_bin] + [str(a) for a in args]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=kw.pop("timeout", 60), **kw)
    res = Result(argv, proc)
    assert_no_crash(res)
    return res


def assert_no_crash(res):
    """A run may fail, but only the pyxray way: exit code, one message."""
    assert res.rc is not None and 0 <= res.rc < 128, res
    for bad in ("Traceback", "Segmentation", "Aborted", "core dumped",
                "AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert bad not in res.err and bad not in res.out, res
    if res.rc != 0:
        lines = res.err.splitlines()
        assert lines and lines[0].startswith("pyxray: "), res


# ---------------------------------------------------------------- targets

def marker_lines(path):
    """{"PARK:tag": line, "CALL:tag": line} for the tagged lines of path."""
    out = {}
    with open(path) as f:
        for lineno, text in enumerate(f, 1):
            m = MARKER.search(text)
            if m:
                key = "%s:%s" % m.groups()
                assert key not in out, "duplicate marker %s in %s" % (key, path)
                out[key] = lineno
    return out


def task_states(pid):
    """{tid: (State letter, TracerPid)} for every thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                status = f.read()
        except (IOError, OSError):
            continue
        state = re.search(r"^State:\s+(\S)", status, re.M).group(1)
        tracer = int(re.search(r"^TracerPid:\s+(\d+)", status, re.M).group(1))
        out[int(tid)] = (state, tracer)
    return out


def blocked_in_read(pid, tid, fd):
    """Whether thread tid is inside read(fd, ...)."""
    try:
        with open("/proc/%d/task/%d/syscall" % (pid, tid)) as f:
            fields = f.read().split()
    except (IOError, OSError):
        return False
    return (len(fields) > 1 and fields[0] == str(SYS_READ)
            and int(fields[1], 16) == fd)


class Target(object):
    """A running threads_target.py (or embedder of it)."""

    def __init__(self, variant, argv, env, proc):
        self.variant = variant
        self.argv = argv
        self.env = env
        self.proc = proc
        self.pid = proc.pid
        self.report = None
        self.stderr_path = None
        self._buf = b""

    def readline(self, timeout):
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("%s: no output line within %ss; stderr: %s"
                                     % (self.variant, timeout, self.stderr()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError(
                        "%s: target exited (rc %s) before a line; stderr: %s"
                        % (self.variant, self.proc.poll(), self.stderr()))
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def stderr(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()[-4000:]
        except (IOError, OSError, TypeError):
            return ""

    def wait_ready(self):
        line = self.readline(READY_TIMEOUT)
        assert line.startswith("READY "), line
        self.report = json.loads(line[len("READY "):])
        assert self.report["pid"] == self.pid

    def parked_threads(self):
        """{name: (tid, fd)} of every thread that must sit in read()."""
        return {name: (t["tid"], t["fd"])
                for name, t in self.report["threads"].items()
                if t["fd"] is not None}

    def wait_parked(self):
        """Until every parked thread is inside read() on its own fd: its
        Python frames are then fixed. Polls a condition; never a blind
        sleep."""
        if SYS_READ is None:
            pytest.skip("no read syscall number for %s" % platform.machine())
        deadline = time.time() + PARK_TIMEOUT
        while True:
            pending = [n for n, (tid, fd) in self.parked_threads().items()
                       if not blocked_in_read(self.pid, tid, fd)]
            if not pending:
                return
            if self.proc.poll() is not None:
                raise AssertionError("%s: target died (rc %s): %s"
                                     % (self.variant, self.proc.returncode,
                                        self.stderr()))
            if time.time() > deadline:
                raise AssertionError("%s: threads never parked: %s"
                                     % (self.variant, pending))
            time.sleep(0.005)

    def ping(self):
        self.proc.stdin.write(b"ping\n")
        self.proc.stdin.flush()
        assert self.readline(30) == "pong"
        self.wait_parked()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except (IOError, OSError):
                pass


def strip_libpython(interp, workdir):
    """A copy of interp's libpython without debug info or symtab."""
    libdir = os.path.join(workdir, "lib")
    os.makedirs(libdir)
    dst = os.path.join(libdir, interp.soname)
    shutil.copy2(interp.libpython, dst)
    subprocess.run(["objcopy", "--strip-all", dst], check=True)
    sections = subprocess.run(["readelf", "-S", "-W", dst],
                              stdout=subprocess.PIPE, check=True).stdout.decode()
    assert ".debug_info" not in sections and ".symtab" not in sections
    assert "_PyRuntime" in subprocess.run(
        ["readelf", "--dyn-syms", "-W", dst],
        stdout=subprocess.PIPE, check=True).stdout.decode() \
        or interp.version < (3, 7)
    return libdir, dst


def dynamic_tags(path):
    out = subprocess.run(["readelf", "-d", "-W", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    return {m.group(1): m.group(2) for m in
            re.finditer(r"\((RPATH|RUNPATH)\)\s+Library \w+: \[(.*)\]", out)}


def program_interpreter(path):
    out = subprocess.run(["readelf", "-l", "-W", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    m = re.search(r"Requesting program interpreter: (\S+)\]", out)
    return m.group(1) if m else None


def compile_embed(interp, workdir):
    """embed.c built against interp, or a reason it cannot be."""
    cfg = interp.config
    flags = ["--cflags", "--ldflags"]
    if interp.version >= (3, 8):
        flags.append("--embed")
    try:
        got = subprocess.run([cfg] + flags, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        return None, "%s %s failed: %s" % (cfg, " ".join(flags), e)
    exe = os.path.join(workdir, "embed-%s" % vstr(interp.version))
    cmd = ["cc", "-o", exe, EMBED_C] + got.stdout.decode().split()
    if interp.libdir:
        cmd.append("-Wl,-rpath," + interp.libdir)
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    except OSError as e:
        return None, "no C compiler: %s" % e
    if res.returncode != 0:
        return None, "compiling embed.c failed: %s" % (
            res.stdout.decode("utf-8", "replace")[-2000:])
    return exe, None


_PREPARED = {}


def prepare(variant, workdir):
    """(argv, extra env, expected mapped libpython or None) to run the
    target under variant. Stripped libraries and embedders are built once
    per session, in workdir."""
    if variant.id in _PREPARED:
        got = _PREPARED[variant.id]
        if isinstance(got, str):
            pytest.fail(got, pytrace=False)
        return got
    it = variant.interp
    env = {}
    vdir = os.path.join(workdir, variant.id)
    os.makedirs(vdir)
    if variant.kind in ("base", "distro"):
        got = ([it.exe, TARGET], env, None)
    elif variant.kind == "stripped":
        libdir, lib = strip_libpython(it, vdir)
        if "RPATH" in dynamic_tags(it.exe):
            # DT_RPATH beats LD_LIBRARY_PATH; ask the loader directly.
            ldso = program_interpreter(it.exe)
            got = ([ldso, "--library-path", libdir, it.exe, TARGET], env, lib)
        else:
            env["LD_LIBRARY_PATH"] = libdir
            got = ([it.exe, TARGET], env, lib)
    elif variant.kind == "embed":
        exe, why = compile_embed(it, vdir)
        if exe is None:
            _PREPARED[variant.id] = "embed-%s: %s" % (vstr(it.version), why)
            pytest.fail(_PREPARED[variant.id], pytrace=False)
        if it.relocated:
            # The embedder finds no standard library from its own path.
            env["PYTHONHOME"] = it.prefix
        got = ([exe, TARGET], env, it.libpython)
    else:
        raise AssertionError(variant.kind)
    _PREPARED[variant.id] = got
    return got


def start_target(variant, workdir, extra_args=(), env_add=None, script=None,
                 new_session=False, launcher=(), cwd=None):
    """Starts the target (threads_target.py, or script run the same way) in
    cwd (default workdir); the caller waits for READY (wait_ready). env_add:
    more environment variables (the stub's); launcher: a command that runs
    it (setpriv)."""
    argv, extra_env, lib = prepare(variant, workdir)
    if script:
        argv = argv[:-1] + [script]
    argv = list(launcher) + argv + list(extra_args)
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra_env)
    env.update(env_add or {})
    fd, stderr_path = tempfile.mkstemp(prefix="target-", suffix=".err",
                                       dir=workdir)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=fd, env=env,
                                cwd=cwd or workdir, start_new_session=new_session)
    finally:
        os.close(fd)
    t = Target(variant, argv, env, proc)
    t.stderr_path = stderr_path
    t.expected_lib = lib
    return t


def parked_target(workdir, vid="3.11"):
    """Generator for a module fixture: threads_target.py on variant VID,
    ready and parked, killed afterwards (use with ``yield from``)."""
    import required
    v = [v for v in VARIANTS if v.id == vid][0]
    if v.absent:
        required.absent(vid + ": " + v.absent)
    t = start_target(v, workdir)
    try:
        t.wait_ready()
        t.wait_parked()
        RAN.add(v.id)
        yield t
    finally:
        t.kill()


def assert_maps_file(pid, path):
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    assert os.path.realpath(path) in maps, (
        "%s is not mapped by pid %d:\n%s" % (path, pid, maps))


def assert_not_stopped(pid):
    """No thread left stopped or traced after pyxray is done."""
    states = task_states(pid)
    assert states, "pid %d has no threads" % pid
    for tid, (state, tracer) in states.items():
        assert state in "SR", "thread %d of %d is in state %s" % (
            tid, pid, state)
        assert tracer == 0, "thread %d of %d still traced by %d" % (
            tid, pid, tracer)


# ---------------------------------------------------------------- expectations

BOOT_ORACLE = r"""
import json, sys, threading
out = []
def target():
    f = sys._getframe(1)
    while f is not None:
        c = f.f_code
        out.append({"function": c.co_name,
                    "qualname": getattr(c, "co_qualname", c.co_name),
                    "file": c.co_filename, "line": f.f_lineno})
        f = f.f_back
t = threading.Thread(target=target, args=())
t.start()
t.join()
sys.stdout.write(json.dumps(out))
"""
_BOOT = {}


def boot_frames(exe):
    """The threading.py frames under a Thread's target function (run,
    _bootstrap_inner, _bootstrap), as this interpreter itself sees them."""
    if exe not in _BOOT:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        out = subprocess.run([exe, "-c", BOOT_ORACLE], stdout=subprocess.PIPE,
                             check=True, env=env, timeout=60).stdout
        frames = json.loads(out.decode())
        assert [f["function"] for f in frames][-1].endswith("_bootstrap"), \
            frames
        _BOOT[exe] = frames
    return [dict(f) for f in _BOOT[exe]]


def frame(function, qualname, path, line, version):
    return {"function": function,
            "qualname": qualname if version >= (3, 11) else function,
            "file": path, "line": line}


def expected_stacks(t):
    """{"main": {thread name: frames}, "sub": frames or None} for target t,
    innermost first. Our files' lines come from their PARK/CALL tags, the
    threading.py frames from the interpreter itself (boot_frames)."""
    ver = t.variant.version
    m = marker_lines(TARGET)
    s = marker_lines(SUBINTERP_PART)
    boot = boot_frames(t.variant.interp.exe)

    def f(function, qualname, tag, path=TARGET, tags=m):
        return frame(function, qualname, path, tags[tag], ver)

    main = [f("command_loop", "command_loop", "PARK:main"),
            f("main", "main", "CALL:main"),
            f("<module>", "<module>", "CALL:module")]
    if t.variant.kind == "embed":
        main.append(frame("<module>", "<module>", "<string>", 1, ver))
    stacks = {
        "MainThread": main,
        "worker-1": [f("_block", "Parker._block", "PARK:worker-1"),
                     f("park", "Parker.park", "CALL:parker-park"),
                     f("worker_one", "worker_one", "CALL:worker-1")] + boot,
        "worker-2": [f("inner", "worker_two.<locals>.inner", "PARK:worker-2"),
                     f("descend", "descend", "CALL:descend-leaf")]
                    + [f("descend", "descend", "CALL:descend-recurse")] * 3
                    + [f("worker_two", "worker_two", "CALL:worker-2")] + boot,
        "gen-worker": [f("gen_park", "gen_park", "PARK:gen-worker"),
                       f("worker_gen", "worker_gen", "CALL:gen-worker")] + boot,
        "spinner": [f("spin_forever", "spin_forever", "PARK:spinner")] + boot,
    }
    sub = None
    if t.report["subinterpreters"]:
        stacks["subinterp-host"] = [
            f("host_subinterp", "host_subinterp", "PARK:subinterp-host")] + boot
        sub = [f("park_in_subinterp", "park_in_subinterp", "PARK:subinterp",
                 SUBINTERP_PART, s),
               f("run", "run", "CALL:subinterp-run", SUBINTERP_PART, s),
               frame("<module>", "<module>", t.report["subinterp_file"], 1, ver)]
    return {"main": stacks, "sub": sub}


def frames_of(thread):
    """pyxray's frames reduced to what we compare; frames carrying an error
    are kept whole so a mismatch shows it."""
    out = []
    for fr in thread["frames"]:
        if "error" in fr:
            out.append(fr)
        else:
            out.append({k: fr[k] for k in ("function", "qualname", "file",
                                           "line")})
    return out


# ---------------------------------------------------------------- text output

TEXT_THREAD = re.compile(r'^Thread (\d+)(?: "([^"]*)")?(.*)$')
TEXT_FRAME = re.compile(r"^    (\S.*) \((.*):(\d+)\)$")


def parse_text(text):
    """[(tid, name, rest of header line, [(qualname, file, line)])]."""
    blocks = []
    for line in text.splitlines():
        m = TEXT_THREAD.match(line)
        if m:
            blocks.append((int(m.group(1)), m.group(2), m.group(3), []))
            continue
        m = TEXT_FRAME.match(line)
        if m and blocks:
            blocks[-1][3].append((m.group(1), m.group(2), int(m.group(3))))
    return blocks


# ---------------------------------------------------------------- kernel cores

def kernel_core_pattern():
    """core_pattern, read only (a system setting the tests leave alone);
    skips when cores go to a program or the setting cannot be read."""
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
    except (IOError, OSError) as e:
        pytest.skip("cannot read core_pattern: %s" % e)
    if pattern.startswith("|"):
        pytest.skip("kernel cores are piped to %s (core_pattern); not "
                    "changing a system setting" % pattern[1:].split()[0])
    return pattern


def core_glob(pattern, pid, cwd):
    """A glob for the core a process of pid, running in cwd, leaves."""
    try:
        with open("/proc/sys/kernel/core_uses_pid") as f:
            uses_pid = f.read().strip() == "1"
    except (IOError, OSError):
        uses_pid = False
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%" and i + 1 < len(pattern):
            spec = pattern[i + 1]
            out += {"p": str(pid), "P": str(pid), "%": "%"}.get(spec, "*")
            i += 2
            continue
        out += glob.escape(c)
        i += 1
    if uses_pid and "%p" not in pattern and "%P" not in pattern:
        out += "." + str(pid)
    return out if os.path.isabs(out) else os.path.join(cwd, out)
