# SPDX-License-Identifier: MIT
"""Benchmark workload: many threads parked deep in Python recursion.

Usage: deep_threads.py READY_PATH [--threads N] [--depth D]

Starts N threads (default 16) besides the main thread. Each recurses D
Python frames deep (default 500) through five distinct functions, then
blocks in os.read() on a pipe nobody writes, so its frames stay put while
a debugger reads them. Runs on CPython 3.6 and later.

Once every thread is parked, one line goes to READY_PATH (a file or a
FIFO): "ready " and a JSON object with the pid, the Python version and
the exact number of Python frames in the process (every thread, the main
thread included, as sys._current_frames() sees them), so a reader can
check that it found them all. The main thread then blocks as well; the
benchmark kills the process when it is done.
"""
import json
import os
import sys
import threading
import time

PARK_TAG = "# PARK"


def park_line():
    """Line number of the os.read() the workers block in."""
    with open(os.path.abspath(__file__)) as f:
        for lineno, text in enumerate(f, 1):
            if text.rstrip().endswith(PARK_TAG) and "os.read" in text:
                return lineno
    raise RuntimeError("no park line in " + __file__)


# Five functions call each other in turn so that a stack holds distinct
# code objects, qualnames and line numbers, not one function 500 times.
def step_a(n, fd):
    if n > 1:
        return step_b(n - 1, fd)
    return park(fd)


def step_b(n, fd):
    if n > 1:
        return step_c(n - 1, fd)
    return park(fd)


class Walker:
    def step(self, n, fd):
        if n > 1:
            return step_d(n - 1, fd)
        return park(fd)


def step_c(n, fd):
    if n > 1:
        return Walker().step(n - 1, fd)
    return park(fd)


def step_d(n, fd):
    if n > 1:
        return step_a(n - 1, fd)
    return park(fd)


def park(fd):
    os.read(fd, 1)  # PARK


def worker(depth, fd):
    # worker itself is one frame; the recursion adds depth - 2; park one.
    step_a(depth - 2, fd)


def chain_length(frame):
    n = 0
    while frame is not None:
        n += 1
        frame = frame.f_back
    return n


def parse_args(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        sys.exit(2)
    opts = {"ready": argv[1], "threads": 16, "depth": 500}
    rest = argv[2:]
    while rest:
        key = rest.pop(0)
        if key not in ("--threads", "--depth") or not rest:
            sys.stderr.write("deep_threads: bad argument %r\n" % key)
            sys.exit(2)
        opts[key[2:]] = int(rest.pop(0))
    return opts


def main():
    opts = parse_args(sys.argv)
    depth = opts["depth"]
    # Stay clear of the recursion limit, with a margin for the threading
    # bootstrap frames (only matters for --depth near 1000).
    sys.setrecursionlimit(max(sys.getrecursionlimit(), depth + 100))
    r, w = os.pipe()  # w stays open and unwritten: os.read(r) never returns
    threads = []
    for i in range(opts["threads"]):
        t = threading.Thread(target=worker, args=(depth, r),
                             name="deep-%02d" % i, daemon=True)
        t.start()
        threads.append(t)
    line = park_line()
    deadline = time.time() + 60
    while True:
        frames = sys._current_frames()
        parked = [t for t in threads
                  if t.ident in frames
                  and frames[t.ident].f_code is park.__code__
                  and frames[t.ident].f_lineno == line]
        if len(parked) == len(threads):
            break
        if time.time() > deadline:
            sys.stderr.write("deep_threads: only %d of %d threads parked\n"
                             % (len(parked), len(threads)))
            os._exit(3)
        time.sleep(0.001)
    wait_here(opts, threads, frames, r)


def wait_here(opts, threads, frames, fd):
    # The main thread parks in this very function, so the frame count it
    # reports for itself is what a reader will find.
    per_thread = {t.name: chain_length(frames[t.ident]) for t in threads}
    per_thread["MainThread"] = chain_length(sys._getframe())
    report = {
        "pid": os.getpid(),
        "version": "%d.%d.%d" % sys.version_info[:3],
        "executable": sys.executable,
        "threads": len(threads) + 1,
        "depth": opts["depth"],
        "frames": sum(per_thread.values()),
        "per_thread": per_thread,
    }
    with open(opts["ready"], "w") as f:
        f.write("ready %s\n" % json.dumps(report, sort_keys=True))
    os.read(fd, 1)


if __name__ == "__main__":
    main()
