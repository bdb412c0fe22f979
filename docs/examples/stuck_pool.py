# SPDX-License-Identifier: MIT
"""The tutorial's stuck pool: 8 workers index 16 log files; two of the files
have no records, and read_records() waits forever for one. pool.map never
returns, most workers sit idle, and nothing says why."""
import multiprocessing
import os

FILES = ["app-%02d.log" % i for i in range(16)]
EMPTY = {"app-05.log", "app-11.log"}


def read_records(name):
    records = 0 if name in EMPTY else 100
    pos = 0
    while records == 0: pos = (pos + 1) % 4096  # waits for a record that never comes
    return records


def index_file(name):
    owner = os.getppid()  # the pool that asked, for the index
    return name, read_records(name), owner


def main():
    print("pid", os.getpid(), flush=True)
    with multiprocessing.Pool(8) as pool:
        for name, count, _owner in pool.imap_unordered(index_file, FILES):
            print(name, count, flush=True)


if __name__ == "__main__":
    main()
