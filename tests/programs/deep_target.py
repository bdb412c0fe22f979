# SPDX-License-Identifier: MIT
"""Target for the deep-stack tests: the main thread recurses DEPTH Python
frames deep (default 4200, past pyxray's default limit of 4096) and parks
in os.read() on a pipe nobody writes; "READY <json>" (pid, tid, depth) goes
to stdout once it is there. Runs on CPython 3.6+.

Frames, innermost first: park, recurse x DEPTH, main, <module>.
"""
import json
import os
import sys
import threading


def park(fd):
    os.read(fd, 1)  # PARK:deep


def recurse(n, fd):
    if n:
        return recurse(n - 1, fd)  # CALL:recurse
    return park(fd)  # CALL:park


def main():
    depth = int(sys.argv[1]) if len(sys.argv) > 1 else 4200
    sys.setrecursionlimit(depth + 1000)
    r, _w = os.pipe()
    tid = int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])

    def report():
        # From another thread, once the main thread sits in read().
        while True:
            with open("/proc/%d/task/%d/syscall" % (os.getpid(), tid)) as f:
                fields = f.read().split()
            if fields and fields[0] == "0" and int(fields[1], 16) == r:
                break
            threading.Event().wait(0.005)
        sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "tid": tid,
                                                    "depth": depth}))
        sys.stdout.flush()

    threading.Thread(target=report, daemon=True).start()
    recurse(depth, r)  # CALL:main


main()  # CALL:module
