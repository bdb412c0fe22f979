# SPDX-License-Identifier: MIT
"""Targets for the report tests (tests/integration/test_report.py), one per
mode. Each prints one line "ready JSON" on stdout once it is in place, then
parks until stdin closes.

  hostile   control bytes, invalid UTF-8 and a 10 MB string in every name a
            target controls: argv (given by the test), thread name, file,
            function, qualname, local names and values, type names, the
            multiprocessing role
  deep N    the main thread N frames deep in one recursive function
  prefork   a pre-fork server: a thread in the master before the forks,
            workers forked from the main thread and from another thread,
            each starting two threads after fork
  gc        the main thread inside a garbage collection, spinning in a
            finalizer until SIGUSR1
  relative  a frame whose co_filename is relative to the working directory
"""
import gc
import json
import os
import sys
import threading

EVIL = "\x1b[31mred\x07bell\rcr\x9bcsi\u202eevil"


def ready(**info):
    info.setdefault("pid", os.getpid())
    sys.stdout.write("ready " + json.dumps(info) + "\n")
    sys.stdout.flush()


def park():
    """Blocks until stdin closes (in read(2), GIL released)."""
    try:
        while os.read(0, 64):
            pass
    except OSError:
        pass


def park_thread(name, target=park):
    t = threading.Thread(target=target, name=name)
    t.daemon = True
    t.start()
    return t


def mode_hostile():
    import multiprocessing
    multiprocessing.current_process().name = "role" + EVIL
    huge = "x" * (10 << 20)
    park_thread("thread" + EVIL)
    park_thread(huge)
    # A function whose file, name and qualname carry the same bytes, and a
    # local whose name and value do.
    src = "def f(arg):\n    local = arg\n    park()\n"
    code = compile(src, "file" + EVIL + ".py", "exec")
    ns = {"park": park}
    exec(code, ns)
    f = ns["f"]
    fc = f.__code__
    names = {"co_name": "func" + EVIL}
    if hasattr(fc, "co_qualname"):
        names["co_qualname"] = "qual" + EVIL
    names["co_varnames"] = ("arg" + EVIL, "local" + EVIL)
    f.__code__ = fc.replace(**names)

    class Evil(object):
        pass
    Evil.__name__ = "Type" + EVIL
    Evil.__qualname__ = "Type" + EVIL
    value = ["value" + EVIL + "\udcff", b"bytes\x1b\xff", Evil(), huge]
    t = threading.Thread(target=f, args=(value,), name="caller")
    t.daemon = True
    t.start()
    ready(evil=EVIL)
    park()


def recurse(n):
    if n == 0:
        ready()
        park()
        return
    recurse(n - 1)


def mode_deep(depth):
    sys.setrecursionlimit(depth + 1000)
    threading.stack_size(512 << 20)
    t = threading.Thread(target=recurse, args=(depth,), name="deep")
    t.start()
    t.join()


def worker_main(tag, w):
    threads = [park_thread("%s-t%d" % (tag, i)) for i in range(2)]
    os.write(w, (json.dumps({"pid": os.getpid(), "tag": tag,
                             "threads": [t.native_id if hasattr(t, "native_id")
                                         else None for t in threads]}) + "\n").encode())
    park()
    os._exit(0)


def mode_prefork():
    master_thread = park_thread("master-thread")
    r, w = os.pipe()
    kids = []
    pid = os.fork()
    if pid == 0:
        worker_main("from-main", w)
    kids.append(pid)

    def fork_from_thread():
        pid = os.fork()
        if pid == 0:
            worker_main("from-thread", w)
        kids.append(pid)
    t = threading.Thread(target=fork_from_thread, name="forker")
    t.start()
    t.join()
    f = os.fdopen(r)
    workers = [json.loads(f.readline()) for _ in kids]
    ready(workers=workers, master_thread=getattr(master_thread, "native_id", None))
    park()
    for k in kids:
        os.kill(k, 9)
        os.waitpid(k, 0)


SPIN = [True]


class Spinner(object):
    def __init__(self):
        self.cycle = self

    def __del__(self):
        ready()
        while SPIN[0]:  # pure Python: the GIL is never released here
            pass


def mode_gc():
    import signal
    signal.signal(signal.SIGUSR1, lambda *a: SPIN.__setitem__(0, False))
    gc.disable()
    Spinner()
    gc.collect()
    park()


def mode_relative():
    # co_filename "rel/mod.py": relative to the working directory, where the
    # test has put that file.
    with open("rel/mod.py") as f:
        src = f.read()
    ns = {"park": park, "ready": ready}
    exec(compile(src, "rel/mod.py", "exec"), ns)
    ns["main"]()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "deep":
        mode_deep(int(sys.argv[2]))
    else:
        globals()["mode_" + mode]()
