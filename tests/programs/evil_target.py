# SPDX-License-Identifier: MIT
"""Target for the escaping tests of the GDB extension and pyxray-dap: the
main thread parks in a function whose name, argument name and local value
carry terminal escapes (ESC, BEL, a bidirectional override), as does its
thread name, as a hostile program can make them (CPython 3.8+:
code.replace). With --child it first forks a multiprocessing child named
likewise. "READY <json>" (pid) goes to stdout once it is parked.
"""
import json
import os
import sys
import threading

EVIL = "\x1b]0;pwned\x07\x1b[31m\u202e"


def park(fd, arg):
    value = "v" + EVIL  # noqa: F841  (read by py-locals)
    os.read(fd, 1)  # PARK:evil


def main():
    code = park.__code__
    names = dict(co_name="park" + EVIL, co_varnames=("fd", "arg" + EVIL, "value"))
    if sys.version_info >= (3, 11):
        names["co_qualname"] = "park" + EVIL
    park.__code__ = code.replace(**names)
    threading.current_thread().name = "Main" + EVIL
    r, _w = os.pipe()
    tid = int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])

    def report():
        while True:
            with open("/proc/%d/task/%d/syscall" % (os.getpid(), tid)) as f:
                fields = f.read().split()
            if fields and fields[0] == "0" and int(fields[1], 16) == r:
                break
            threading.Event().wait(0.005)
        sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "tid": tid}))
        sys.stdout.flush()

    if "--child" in sys.argv:
        # A forked multiprocessing child with a hostile name, parked too:
        # what py-attach-children names it by (the GDB thread name, MI's
        # label).
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        ctx.Process(target=os.read, args=(r, 1), name="Worker" + EVIL, daemon=True).start()
    threading.Thread(target=report, daemon=True).start()
    park(r, "x" + EVIL)


main()
