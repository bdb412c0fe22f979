# SPDX-License-Identifier: MIT
"""A multiprocessing pool that never finishes: the demo's target.

Three workers process "files"; the empty ones make process_file loop
forever looking for a record, so the parent's map never returns while the
third worker sits idle. Writes one line to the FIFO/path given as argv[1]
once every stack is in place: each worker has said which file it took, and
the idle one sleeps in the kernel (a pool worker has one thread, so that
is its wait for the next task). The parent then blocks in the map's get().
"""
import multiprocessing
import os
import sys
import time

FILES = ["a.log", "empty-1.log", "empty-2.log"]


def next_record(name, pos):
    # An empty file never yields a record. One line, so that every spinning
    # worker is on the same line and their stacks group as one.
    while name.startswith("empty"): pos = (pos + 1) % 7  # noqa: E701
    return pos + 1


def process_file(name):
    os.write(READY_FD, ("%d %s\n" % (os.getpid(), name)).encode())
    return next_record(name, 0)


READY_FD = -1


def state(pid):
    """The kernel's one-letter state of pid (R running, S sleeping, ...)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wait_until_placed(r):
    """Returns once each worker took its file and the idle ones sleep."""
    taken = {}
    with os.fdopen(r) as lines:
        while len(taken) < len(FILES):
            pid, name = lines.readline().split()
            taken[name] = int(pid)
    looping = {pid for name, pid in taken.items() if name.startswith("empty")}
    idle = [p.pid for p in multiprocessing.active_children() if p.pid not in looping]
    while any(state(pid) != "S" for pid in idle):
        time.sleep(0.001)  # polls a condition; the workers need no more time


def main():
    global READY_FD
    r, w = os.pipe()
    READY_FD = w
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(len(FILES)) as pool:
        result = pool.map_async(process_file, FILES, chunksize=1)
        wait_until_placed(r)
        with open(sys.argv[1], "w") as ready:
            ready.write("ready\n")
        result.get()  # what pool.map does: never returns


if __name__ == "__main__":
    main()
