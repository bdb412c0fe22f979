# SPDX-License-Identifier: MIT
"""Target for the integration tests: named threads parked at known lines.

Runs on CPython 2.7 and 3.6+. Every parked thread blocks in os.read() on a
pipe nobody writes, so its Python frames stay put while pyxray reads them.
Lines tagged "# PARK:<tag>" (innermost) and "# CALL:<tag>" (callers) are how
the tests find the expected line numbers; keep the tags when editing.

Threads: MainThread, worker-1 (a method chain), worker-2 (recursion down to
a nested function), gen-worker (inside a generator), spinner (a pure Python
loop that keeps the GIL) and, where _interpreters or _xxsubinterpreters
exists (3.8+), subinterp-host, whose run_string() call parks the same OS
thread inside a sub-interpreter (subinterp_part.py).

Protocol: once every thread is parked, one line "READY <json>" goes to stdout
(pid, version, and per thread its native tid, threading ident and the fd it
blocks reading). The main thread then reads commands from stdin: "ping"
answers "pong", "exit" (or EOF) exits. "--exit-after-ready MS" exits MS
milliseconds after READY instead, for the exit-during-read test.
"""
import json
import os
import platform
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUBINTERP_FILE_REPORT = "/tmp/pyxray-subinterp-%d" % os.getpid()
SYS_READ = {"x86_64": 0, "aarch64": 63}.get(platform.machine())
NAMES_ALWAYS = ("worker-1", "worker-2", "gen-worker", "spinner")
MARKER = re.compile(r"#\s(PARK|CALL):([\w.-]+)\s*$")


def marker_lines(path):
    """{"PARK:tag": line, "CALL:tag": line} for the tagged lines of path."""
    out = {}
    with open(path) as f:
        for lineno, text in enumerate(f, 1):
            m = MARKER.search(text)
            if m:
                out["%s:%s" % m.groups()] = lineno
    return out


def set_os_thread_name(name):
    # Deliberately different from the threading name: pyxray must report the
    # latter (read from the interpreter), not /proc's comm.
    try:
        with open("/proc/thread-self/comm", "w") as f:
            f.write(("os:" + name)[:15])
    except (IOError, OSError):
        pass


def native_tid():
    # /proc/thread-self -> "PID/task/TID"; works before threading.get_native_id
    # (3.8) and needs no ctypes.
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


def subinterp_module():
    """(module, run function) of the sub-interpreter test module, or None."""
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            mod = __import__(name)
        except ImportError:
            continue
        run = getattr(mod, "run_string", None) or getattr(mod, "exec", None)
        if run is not None and hasattr(mod, "create"):
            return mod, run
    return None


class Registry(object):
    """Parked threads report here: tid, ident and the fd they block on."""

    def __init__(self):
        self.lock = threading.Lock()
        self.info = {}
        self.write_ends = []  # kept open: the parked reads never return

    def pipe(self, name):
        r, w = os.pipe()
        set_os_thread_name(name)
        with self.lock:
            self.write_ends.append(w)
            self.info[name] = {"tid": native_tid(),
                               "ident": threading.current_thread().ident,
                               "fd": r}
        return r


class Parker(object):
    def __init__(self, reg):
        self.reg = reg

    def park(self):
        self._block()  # CALL:parker-park

    def _block(self):
        fd = self.reg.pipe("worker-1")
        os.read(fd, 1)  # PARK:worker-1


def worker_one(reg):
    Parker(reg).park()  # CALL:worker-1


def descend(n, leaf):
    if n > 0:
        return descend(n - 1, leaf)  # CALL:descend-recurse
    return leaf()  # CALL:descend-leaf


def worker_two(reg):
    def inner():
        fd = reg.pipe("worker-2")
        os.read(fd, 1)  # PARK:worker-2

    descend(3, inner)  # CALL:worker-2


def gen_park(reg):
    yield 1
    fd = reg.pipe("gen-worker")
    os.read(fd, 1)  # PARK:gen-worker
    yield 2


def worker_gen(reg):
    g = gen_park(reg)
    next(g)
    next(g)  # CALL:gen-worker


def spin_forever(reg):
    set_os_thread_name("spinner")
    with reg.lock:
        reg.info["spinner"] = {"tid": native_tid(),
                               "ident": threading.current_thread().ident,
                               "fd": None}
    x = 0
    while True: x += 1  # PARK:spinner


def create_legacy_subinterp(mod):
    # A sub-interpreter sharing the main GIL: 3.12.1's isolated ones (own
    # GIL) abort now and then ("free(): invalid pointer" while compiling an
    # import) when other threads run, and we need a target that never fails.
    if mod.__name__ == "_interpreters":
        return mod.create("legacy")
    try:
        return mod.create(isolated=False)
    except TypeError:
        return mod.create()


def host_subinterp(reg, mod, run):
    # Created on this thread so the sub-interpreter's thread state belongs to
    # it (3.8's run_string reuses the interpreter's first thread state).
    interp_id = create_legacy_subinterp(mod)
    fd = reg.pipe("subinterp")
    code = ("import sys; sys.path.insert(0, %r); import subinterp_part; "
            "subinterp_part.run(%d, %r)" % (HERE, fd, SUBINTERP_FILE_REPORT))
    run(interp_id, code)  # PARK:subinterp-host


def command_loop(exit_after_ms):
    if exit_after_ms is not None:
        time.sleep(exit_after_ms / 1000.0)
        os._exit(0)
    pending = b""
    while True:
        data = os.read(0, 64)  # PARK:main
        if not data:
            os._exit(0)
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip() == b"exit":
                os._exit(0)
            if line.strip() == b"ping":
                os.write(1, b"pong\n")


def wait_in_read(reg, name, deadline):
    """Until thread `name` has registered and blocks in read() on its fd."""
    while True:
        with reg.lock:
            info = reg.info.get(name)
        if info is not None:
            try:
                with open("/proc/self/task/%d/syscall" % info["tid"]) as f:
                    fields = f.read().split()
            except (IOError, OSError):
                fields = []
            if (len(fields) > 1 and fields[0] == str(SYS_READ)
                    and int(fields[1], 16) == info["fd"]):
                return
        if time.time() > deadline:
            sys.stderr.write("threads_target: %s never parked\n" % name)
            os._exit(3)
        time.sleep(0.001)


def wait_parked(reg, threads, tags, deadline):
    """Until every thread's innermost frame sits on its PARK line."""
    while True:
        frames = sys._current_frames()
        pending = []
        for name, t in threads.items():
            f = frames.get(t.ident)
            if f is None or f.f_lineno != tags["PARK:" + name]:
                pending.append(name)
        if not pending:
            return
        if time.time() > deadline:
            sys.stderr.write("threads_target: not parked: %s\n" % pending)
            os._exit(3)
        time.sleep(0.001)


def main():
    argv = getattr(sys, "argv", None) or [""]
    exit_after_ms = None
    if "--exit-after-ready" in argv:
        exit_after_ms = int(argv[argv.index("--exit-after-ready") + 1])
    tags = marker_lines(os.path.abspath(__file__))
    reg = Registry()
    targets = {"worker-1": worker_one, "worker-2": worker_two,
               "gen-worker": worker_gen, "spinner": spin_forever}
    threads = {}
    for name in NAMES_ALWAYS:
        threads[name] = threading.Thread(target=targets[name], args=(reg,),
                                         name=name)
    deadline = time.time() + 30
    sub = subinterp_module() if SYS_READ is not None else None
    if sub is not None:
        # Parked before any other thread runs: 3.9-3.11 post GIL drop
        # requests to the requester's interpreter, so a sub-interpreter
        # thread waiting for the shared GIL would starve behind the spinner.
        host = threading.Thread(target=host_subinterp, args=(reg,) + sub,
                                name="subinterp-host")
        host.daemon = True
        host.start()
        wait_in_read(reg, "subinterp", deadline)
    for t in threads.values():
        t.daemon = True
        t.start()
    expect = set(NAMES_ALWAYS) | (set(["subinterp"]) if sub else set())
    while True:
        with reg.lock:
            if set(reg.info) >= expect:
                break
        if time.time() > deadline:
            sys.stderr.write("threads_target: threads did not register\n")
            os._exit(3)
        time.sleep(0.001)
    # The host thread is not checked here: sys._current_frames() has one
    # entry per ident, and its sub-interpreter thread state shares it.
    wait_parked(reg, threads, tags, deadline)
    main_thread = threading.current_thread()
    report = {
        "pid": os.getpid(),
        "version": "%d.%d.%d" % sys.version_info[:3],
        "releaselevel": sys.version_info[3],
        "gil": getattr(sys, "_is_gil_enabled", lambda: True)(),
        "subinterpreters": sub is not None,
        "threads": reg.info,
    }
    if sub is not None:
        with open(SUBINTERP_FILE_REPORT) as f:
            report["subinterp_file"] = f.read()
        os.unlink(SUBINTERP_FILE_REPORT)
    report["threads"]["MainThread"] = {"tid": native_tid(),
                                       "ident": main_thread.ident,
                                       "fd": 0, "name": main_thread.name}
    os.write(1, ("READY %s\n" % json.dumps(report, sort_keys=True))
             .encode("utf-8"))
    command_loop(exit_after_ms)  # CALL:main


if __name__ == "__main__":
    main()  # CALL:module
