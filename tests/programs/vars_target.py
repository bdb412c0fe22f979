# SPDX-License-Identifier: MIT
"""A frame holding containers, for expanding variables in a debugger: a
list, a tuple, a set, a dict, a dict of lists (nested), an instance and a
list of 2500 ints (paging). Its main thread blocks in read() on a pipe in
hold(); READY <json> on stdout says where (threads.main: tid and fd)."""
import json
import os
import sys
import threading


class Point(object):
    def __init__(self, x, y):
        self.x = x
        self.y = y
        self.tags = ["a", "b"]


def hold(fd):
    numbers = [1, "two", 3.5, [4, 5]]
    pair = (numbers, None)
    flags = {"on"}
    table = {"a": 1, "b": [2, 3]}
    nested = {"xs": [1, 2, 3], "ys": [], "zs": {"k": [7]}}
    point = Point(1, 2)
    big = list(range(2500))
    sys.stdout.write("READY %s\n" % json.dumps(
        {"threads": {"main": {"tid": threading.get_native_id(), "fd": fd}}}))
    sys.stdout.flush()
    os.read(fd, 1)  # parks here
    return numbers, pair, flags, table, nested, point, big


def main():
    r, w = os.pipe()
    hold(r)
    os.close(w)


if __name__ == "__main__":
    main()
