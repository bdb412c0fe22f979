# SPDX-License-Identifier: MIT
"""A multiprocessing pool that never finishes: the demo's target.

Four workers process "files"; the empty ones make process_file loop forever
looking for a record, so pool.map never returns while the other workers sit
idle. Writes one line to the FIFO/path given as argv[1] once every worker is
busy or idle, so the caller knows the stacks are in place.
"""
import multiprocessing
import os
import sys
import time

FILES = ["a.log", "empty-1.log", "b.log", "empty-2.log"]


def next_record(name, pos):
    while True:  # an empty file never yields a record
        if not name.startswith("empty"):
            return pos + 1
        pos = (pos + 1) % 7


def process_file(name):
    os.write(READY_FD, b"w")
    return next_record(name, 0)


READY_FD = -1


def main():
    global READY_FD
    r, w = os.pipe()
    READY_FD = w
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        result = pool.map_async(process_file, FILES, chunksize=1)
        got = 0
        while got < len(FILES):
            got += len(os.read(r, 16))
        time.sleep(0.2)  # let the workers with real files go back to idle
        with open(sys.argv[1], "w") as ready:
            ready.write("ready\n")
        result.wait()


if __name__ == "__main__":
    main()
