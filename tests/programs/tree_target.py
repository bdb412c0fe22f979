# SPDX-License-Identifier: MIT
"""A process tree for pyxray's tree tests.

Usage: tree_target.py [options]
  --start fork|spawn|forkserver   multiprocessing start method (default fork)
  --workers N                     pool size (default 3)
  --executor                      concurrent.futures.ProcessPoolExecutor instead of Pool
  --nested                        each worker starts a pool of 2 of its own
  --sleep-child                   also start `sleep 1000` (not Python)
  --zombie                        also leave an exited, unreaped child
  --short-child MS                also start a Python child that exits MS ms after READY
  --other-python PATH             also start PATH running park_other(), a different version

Every Python process reports "<role> <pid>" on a private FIFO just before it
parks at a line tagged `# PARK:<role>`; when all have, the parent prints
"READY <json>" on stdout: {"parent": pid, "workers": [...], "nested": [...],
"sleep": pid, "zombie": pid, "short": pid, "other": pid}, then parks until
stdin closes. The FIFO path travels in task arguments, so spawn and
forkserver workers (which re-import this module) know it too.
"""
import json
import multiprocessing
import os
import subprocess
import sys

import tempfile

FIFO = None


def block():
    """A pipe nobody writes: os.read parks the caller at its own line."""
    r, w = os.pipe()
    return r


def report(role, fifo=None):
    fd = os.open(fifo or FIFO, os.O_WRONLY)
    os.write(fd, ("%s %d\n" % (role, os.getpid())).encode())
    os.close(fd)


def park_worker(fifo):
    report("worker", fifo)
    os.read(block(), 1)  # PARK:worker


def park_nested(fifo):
    report("nested", fifo)
    os.read(block(), 1)  # PARK:nested


def nested_worker(fifo):
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(2)
    pool.map_async(park_nested, [fifo, fifo], chunksize=1)
    park_worker(fifo)  # CALL:nested-parent
    pool.close()


def park_other():
    report("other")
    os.read(block(), 1)  # PARK:other


def park_short(ms):
    report("short")
    import time
    time.sleep(ms / 1000.0)  # PARK:short


def main():
    global FIFO
    args = sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="pyxray-tree-")
    FIFO = os.path.join(tmp, "reports")
    os.mkfifo(FIFO)
    opts = {"start": "fork", "workers": 3, "executor": False, "nested": False,
            "sleep": False, "zombie": False, "short": None, "other": None}
    while args:
        a = args.pop(0)
        if a == "--start":
            opts["start"] = args.pop(0)
        elif a == "--workers":
            opts["workers"] = int(args.pop(0))
        elif a == "--executor":
            opts["executor"] = True
        elif a == "--nested":
            opts["nested"] = True
        elif a == "--sleep-child":
            opts["sleep"] = True
        elif a == "--zombie":
            opts["zombie"] = True
        elif a == "--short-child":
            opts["short"] = int(args.pop(0))
        elif a == "--other-python":
            opts["other"] = args.pop(0)
        else:
            sys.exit("tree_target: unknown option %s" % a)

    info = {"parent": os.getpid()}
    expect = opts["workers"] * (3 if opts["nested"] else 1)
    reader = os.open(FIFO, os.O_RDONLY | os.O_NONBLOCK)
    keep = os.open(FIFO, os.O_WRONLY)  # so reads block instead of seeing EOF
    os.set_blocking(reader, True)
    ctx = multiprocessing.get_context(opts["start"])
    target = nested_worker if opts["nested"] else park_worker
    procs = []
    if opts["nested"]:
        # Pool workers are daemonic and may not have children: nested pools
        # live in plain (non-daemonic) processes.
        for i in range(opts["workers"]):
            procs.append(ctx.Process(target=target, args=(FIFO,), name="nest-%d" % i))
            procs[-1].start()
    elif opts["executor"]:
        import concurrent.futures
        pool = concurrent.futures.ProcessPoolExecutor(opts["workers"], mp_context=ctx)
        for i in range(opts["workers"]):
            pool.submit(target, FIFO)
    else:
        pool = ctx.Pool(opts["workers"])
        pool.map_async(target, [FIFO] * opts["workers"], chunksize=1)
    children = []
    if opts["sleep"]:
        children.append(subprocess.Popen(["sleep", "1000"]))
        info["sleep"] = children[-1].pid
    if opts["other"]:
        code = ("import sys; sys.path.insert(0, %r); import tree_target as t; "
                "t.FIFO = %r; t.park_other()" % (os.path.dirname(os.path.abspath(__file__)), FIFO))
        children.append(subprocess.Popen([opts["other"], "-c", code]))
        info["other"] = children[-1].pid
        expect += 1
    if opts["short"] is not None:
        code = ("import sys; sys.path.insert(0, %r); import tree_target as t; "
                "t.FIFO = %r; t.park_short(%d)"
                % (os.path.dirname(os.path.abspath(__file__)), FIFO, opts["short"]))
        children.append(subprocess.Popen([sys.executable, "-c", code]))
        info["short"] = children[-1].pid
        expect += 1
    if opts["zombie"]:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        info["zombie"] = pid
    seen = {"worker": [], "nested": [], "other": [], "short": []}
    pending = b""
    while sum(len(v) for v in seen.values()) < expect:
        pending += os.read(reader, 4096)
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            role, pid = line.decode().split()
            seen[role].append(int(pid))
    info["workers"] = sorted(seen["worker"])
    info["nested"] = sorted(seen["nested"])
    if opts["zombie"]:
        # the zombie exists once the child has exited; wait for that state
        while True:
            with open("/proc/%d/stat" % info["zombie"]) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
    os.close(reader)
    os.close(keep)
    os.unlink(FIFO)
    os.rmdir(tmp)
    sys.stdout.write("READY %s\n" % json.dumps(info))
    sys.stdout.flush()
    sys.stdin.read()  # PARK:parent
    for c in children:
        c.kill()
    if os.getpgid(0) == os.getpid():  # our own group (the tests start us so)
        os.killpg(0, 9)
    os._exit(0)


if __name__ == "__main__":
    main()
