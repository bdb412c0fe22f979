# SPDX-License-Identifier: MIT
"""Target for the GDB extension tests: a frame whose locals and globals
cover every type pyxray decodes, threads with identical stacks, and a way
to stop itself under `gdb --args`.

Runs on CPython 3.6+. Lines tagged "# PARK:<tag>" / "# CALL:<tag>" are how
the tests find line numbers (as in threads_target.py).

Threads:
  MainThread  in read mode, the ping/pong/exit loop on stdin (PARK:main);
              in the stop modes, parked on a private pipe (PARK:main-wait).
  values      outer() -> inspect_me(): locals of every decoded type (and a
              cell), parked on PARK:values inside a C call.
  pool-1..3   identical stacks and identical locals: pool_worker() ->
              pool_wait(), all three reading the same pipe.

--stop MODE says what the call on PARK:values is:
  read     (default) os.read on a pipe nobody writes. Once every thread is
           parked, "READY <json>" goes to stdout.
  signal   signal.pthread_kill(own thread, SIGINT): a debugger running the
           script stops with the values thread selected.
  getppid  os.getppid(): for `break getppid`.
In the stop modes the report goes to the file named by --report (stdout
belongs to the debugger) before the values thread stops.

The report carries, for every thread, its native tid, ident and the fd it
reads; and the reprs pyxray must print, computed here by xrepr() from the
live objects: the spec's rules (Python's repr for None, bool, int, float,
str, bytes, tuple, list, dict, set; "<TypeName object at 0x...>" for the
rest) applied to the values themselves.
"""
import json
import os
import platform
import signal
import sys
import threading
import time

SYS_READ = {"x86_64": 0, "aarch64": 63}.get(platform.machine())


class Thing(object):
    """An object pyxray shows as <Thing object at 0x...>."""

    def __init__(self, n):
        self.n = n


# Globals read with py-print. SHADOWED is also a local of inspect_me, where
# the local must win.
G_INT = 42
G_BIG = -(2 ** 90) + 7
G_STR = "global 'str'"
G_LIST = [1, "two", 3.5, None]
G_THING = Thing(1)
SHADOWED = "the global"


def xrepr(o):
    """The repr pyxray must print for o."""
    t = type(o)
    if o is None or t in (bool, int, float, str, bytes):
        return repr(o)
    if t is tuple:
        if len(o) == 1:
            return "(%s,)" % xrepr(o[0])
        return "(%s)" % ", ".join(xrepr(x) for x in o)
    if t is list:
        return "[%s]" % ", ".join(xrepr(x) for x in o)
    if t is dict:
        return "{%s}" % ", ".join("%s: %s" % (xrepr(k), xrepr(v))
                                  for k, v in o.items())
    if t is set:
        if not o:
            return "set()"
        return "{%s}" % ", ".join(xrepr(x) for x in o)
    return "<%s object at %#x>" % (t.__name__, id(o))


def native_tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


class Registry(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.threads = {}
        self.frames = {}
        self.write_ends = []  # kept open: the parked reads never return

    def pipe(self):
        r, w = os.pipe()
        with self.lock:
            self.write_ends.append(w)
        return r

    def register(self, fd):
        with self.lock:
            self.threads[threading.current_thread().name] = {
                "tid": native_tid(),
                "ident": threading.current_thread().ident,
                "fd": fd}

    def record_frame(self, key, frame):
        """The reprs of frame's locals (cells and free variables too)."""
        reprs = dict((k, xrepr(v)) for k, v in frame.f_locals.items())
        with self.lock:
            self.frames[key] = reprs


def pool_wait(reg, fd):
    os.read(fd, 1)  # PARK:pool


def pool_worker(reg, fd):
    reg.register(fd)
    pool_wait(reg, fd)  # CALL:pool


def inspect_me(reg, go, block, block_args, fd):
    # Every local is there to be read by the debugger, none is used here.
    none = None
    yes = True
    no = False
    zero = 0
    small = -5
    digit_edge = 2 ** 30
    big = 2 ** 100 + 1
    negbig = -(2 ** 70) + 3
    flt = 0.1
    fneg = -2.5
    fbig = 1e100
    fsmall = 1.5e-300
    ascii_s = "plain"
    quote_s = "it's"
    both_q = "a'b\"c"
    escapes = "tab\there\nnl\\bs"
    latin = "h\xe9llo"
    bmp = "\u65e5\u672c\u8a9e"
    astral = "\U0001f600!"
    ctrl = "\x00\x7f\x1b"
    empty_s = ""
    raw = b"\x00\xffab'\n"
    empty_b = b""
    tup = (1, "a", None)
    single = (1,)
    empty_t = ()
    lst = [1, [2, 3], (4,), {"k": 5}]
    empty_l = []
    dct = {"a": 1, 2: "b", None: [True]}
    empty_d = {}
    st = {7}
    empty_set = set()
    thing = Thing(2)
    mixed = [thing, 1]
    SHADOWED = "the local"
    captured = ["in a cell"]

    def closure():
        return captured
    reg.register(fd if fd >= 0 else None)
    reg.record_frame("inspect_me", sys._getframe())
    go.wait()
    block(*block_args)  # PARK:values
    return closure


def outer(reg, go, block, block_args):
    outer_only = {"outer": 1}
    fd = reg.pipe() if block is os.read else -1
    if block is os.read:
        block_args = (fd, 1)
    reg.record_frame("outer", sys._getframe())
    inspect_me(reg, go, block, block_args, fd)  # CALL:values


def parked(reg, name):
    """Whether thread name is blocked in read() on its fd."""
    with reg.lock:
        info = reg.threads.get(name)
    if info is None:
        return False
    try:
        with open("/proc/self/task/%d/syscall" % info["tid"]) as f:
            fields = f.read().split()
    except (IOError, OSError):
        return False
    return (len(fields) > 1 and fields[0] == str(SYS_READ)
            and int(fields[1], 16) == info["fd"])


def wait_for(cond, what, deadline):
    while not cond():
        if time.time() > deadline:
            sys.stderr.write("gdb_target: %s\n" % what)
            os._exit(3)
        time.sleep(0.001)


def command_loop():
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


def main():
    argv = sys.argv
    mode = argv[argv.index("--stop") + 1] if "--stop" in argv else "read"
    report_path = argv[argv.index("--report") + 1] if "--report" in argv \
        else None
    if mode != "read" and not report_path:
        sys.stderr.write("gdb_target: --stop %s needs --report FILE\n" % mode)
        os._exit(2)
    if SYS_READ is None:
        sys.stderr.write("gdb_target: no read syscall number here\n")
        os._exit(2)
    reg = Registry()
    go = threading.Event()
    if mode == "read":
        block, block_args = os.read, None  # outer() makes the pipe
    elif mode == "signal":
        block, block_args = None, None  # set on the values thread
    elif mode == "getppid":
        block, block_args = os.getppid, ()
    else:
        sys.stderr.write("gdb_target: unknown --stop %s\n" % mode)
        os._exit(2)

    def run_values():
        if mode == "signal":
            args = (threading.current_thread().ident, int(signal.SIGINT))
            outer(reg, go, signal.pthread_kill, args)  # CALL:run-values-signal
        else:
            outer(reg, go, block, block_args)  # CALL:run-values

    pool_fd = reg.pipe()
    threads = [threading.Thread(target=run_values, name="values")]
    threads += [threading.Thread(target=pool_worker, args=(reg, pool_fd),
                                 name="pool-%d" % i) for i in (1, 2, 3)]
    for t in threads:
        t.daemon = True
        t.start()
    deadline = time.time() + 30
    wait_for(lambda: all(parked(reg, "pool-%d" % i) for i in (1, 2, 3)),
             "pool threads never parked", deadline)
    wait_for(lambda: "inspect_me" in reg.frames and "outer" in reg.frames,
             "values thread never recorded its frames", deadline)
    report = {
        "pid": os.getpid(),
        "version": "%d.%d.%d" % sys.version_info[:3],
        "mode": mode,
        "threads": reg.threads,
        "frames": reg.frames,
        "globals": dict((k, xrepr(v)) for k, v in globals().items()
                        if k.startswith("G_") or k == "SHADOWED"),
        "builtins": {"len": xrepr(len)},
    }
    main_thread = threading.current_thread()
    report["threads"]["MainThread"] = {"tid": native_tid(),
                                       "ident": main_thread.ident,
                                       "fd": 0 if mode == "read" else None}
    if mode == "read":
        go.set()
        wait_for(lambda: parked(reg, "values"), "values never parked",
                 deadline)
        os.write(1, ("READY %s\n" % json.dumps(report, sort_keys=True))
                 .encode("utf-8"))
        command_loop()  # CALL:main
    else:
        with open(report_path + ".tmp", "w") as f:
            json.dump(report, f, sort_keys=True)
        os.rename(report_path + ".tmp", report_path)
        go.set()
        r = reg.pipe()
        os.read(r, 1)  # PARK:main-wait


if __name__ == "__main__":
    main()  # CALL:module
