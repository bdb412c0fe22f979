# SPDX-License-Identifier: MIT
"""A multiprocessing pool whose worker crashes on demand, for kernel cores.

Usage: crash_pool.py abort|segv [--workers N]

Raises RLIMIT_CORE (the workers inherit it), starts a fork pool of N workers
(default 3), parks N - 1 of them in os.read and keeps one in `crash_*`,
blocked until a byte arrives on a pipe. Prints "READY {json}" on stdout:
{"parent": pid, "workers": [pids], "crasher": pid}. A line on stdin makes the
crasher go on: `abort` calls os.abort() (SIGABRT), `segv` reads address 0
through ctypes.string_at(0) (SIGSEGV). The kernel then writes the worker's
core; the parent parks until stdin closes.
"""
import ctypes
import json
import multiprocessing
import os
import resource
import sys

GO_R, GO_W = os.pipe()          # the crasher waits on it
REPORT_R, REPORT_W = os.pipe()  # workers say "<role> <pid>"


def report(role):
    os.write(REPORT_W, ("%s %d\n" % (role, os.getpid())).encode())


def park(_):
    report("worker")
    r, _w = os.pipe()
    os.read(r, 1)  # PARK:worker


def crash_abort(_):
    report("crasher")
    os.read(GO_R, 1)
    os.abort()  # CALL:crash-abort


def crash_segv(_):
    report("crasher")
    os.read(GO_R, 1)
    return ctypes.string_at(0)  # CALL:crash-segv


def main():
    mode = sys.argv[1]
    workers = 3
    if "--workers" in sys.argv:
        workers = int(sys.argv[sys.argv.index("--workers") + 1])
    resource.setrlimit(resource.RLIMIT_CORE,
                       (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    pool = multiprocessing.get_context("fork").Pool(workers)
    pool.map_async(park, range(workers - 1), chunksize=1)
    pool.apply_async(crash_abort if mode == "abort" else crash_segv, (0,))
    seen = {}
    buf = b""
    while len(seen) < workers:
        buf += os.read(REPORT_R, 4096)
        *lines, buf = buf.split(b"\n")
        for line in lines:
            role, pid = line.decode().split()
            seen[int(pid)] = role
    crasher = [pid for pid, role in seen.items() if role == "crasher"][0]
    print("READY " + json.dumps({"parent": os.getpid(), "workers": sorted(seen),
                                 "crasher": crasher}), flush=True)
    sys.stdin.readline()
    os.write(GO_W, b"x")
    sys.stdin.readline()  # PARK:parent


if __name__ == "__main__":
    main()
