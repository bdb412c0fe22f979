# SPDX-License-Identifier: MIT
"""Target for the stub's tests (tests/integration/test_stub.py).

Usage: stub_app.py MODE [options]

  serve [--nondumpable] [--handle-usr2] [--blocking]
      One line "READY <json>" (pid), then commands on stdin, polled every
      50 ms so that the main thread keeps running Python code (PEP 768's
      safe point), or with --blocking read in os.read() (the main thread
      then runs no Python code until a command comes): "say TEXT" prints TEXT, "ping" prints "pong", "handle" installs a Python
      SIGUSR2 handler (it prints "python handler: SIGUSR2"), "crash"
      segfaults in crash_here(), "fork" forks a child that prints
      "CHILD <pid>" and parks, "exit N" exits with status N, EOF exits 0.
  crash [--faulthandler] [--arm-first DIR]
      Segfaults at once in crash_here() under main(). --faulthandler
      enables faulthandler first; --arm-first arms the stub ($PYXRAY_STUB)
      through ctypes after that, so faulthandler's handler was there first.
  crash-pool --workers N
      N forked workers: all park but the last, which segfaults in
      crash_here() under worker_main(). Prints "READY <json>" (pids), then
      one line "EXITCODE <json>" with the crashed worker's exit code as the
      parent sees it, and exits.
  pool --method fork|spawn --workers N [--python EXE]
      A multiprocessing.Pool of N idle workers. "READY <json>" with the
      parent's and the workers' pids once every worker has run a task; then
      "map" prints the squares of 0..9 computed by the pool, "exit" exits.
      --python sets the executable spawn starts (an embedder's sys.executable
      is not a python).

Runs on CPython 3.6 and later.
"""
import ctypes
import json
import multiprocessing
import os
import select
import signal
import sys
import time


def crash_here():
    ctypes.string_at(0)  # PARK:crash


def ready(**info):
    info["pid"] = os.getpid()
    sys.stdout.write("READY %s\n" % json.dumps(info, sort_keys=True))
    sys.stdout.flush()


def python_handler(signum, frame):
    sys.stdout.write("python handler: SIGUSR2\n")
    sys.stdout.flush()


def child_park(fd):
    os.read(fd, 1)  # PARK:child


def fork_child():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        sys.stdout.write("CHILD %d\n" % os.getpid())
        sys.stdout.flush()
        child_park(r)
        os._exit(0)
    os.close(r)
    CHILD_PIPES.append(w)


CHILD_PIPES = []


def serve(args):
    if "--nondumpable" in args:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
            sys.exit("prctl failed: errno %d" % ctypes.get_errno())
    if "--handle-usr2" in args:
        signal.signal(signal.SIGUSR2, python_handler)
    ready()
    pending = b""
    blocking = "--blocking" in args
    while True:
        if not blocking:
            r, _, _ = select.select([0], [], [], 0.05)
            if not r:
                continue
        data = os.read(0, 4096)  # PARK:serve
        if not data:
            sys.exit(0)
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            cmd = line.decode().strip()
            if cmd.startswith("say "):
                sys.stdout.write(cmd[4:] + "\n")
                sys.stdout.flush()
            elif cmd == "ping":
                sys.stdout.write("pong\n")
                sys.stdout.flush()
            elif cmd == "handle":
                signal.signal(signal.SIGUSR2, python_handler)
                sys.stdout.write("handled\n")
                sys.stdout.flush()
            elif cmd == "crash":
                crash_here()
            elif cmd == "fork":
                fork_child()
            elif cmd.startswith("exit "):
                sys.stdout.flush()
                sys.exit(int(cmd[5:]))


def crash(args):
    if "--faulthandler" in args:
        import faulthandler
        faulthandler.enable()
    if "--arm-first" in args:
        lib = ctypes.CDLL(os.environ["PYXRAY_STUB"])
        directory = args[args.index("--arm-first") + 1].encode()
        if lib.pyxray_arm(b"crash", directory, b"") != 0:
            sys.exit("pyxray_arm failed")
    crash_here()  # CALL:crash


def park(fd):
    os.read(fd, 1)  # PARK:worker


def worker_main(crasher, fd):
    if crasher:
        crash_here()  # CALL:worker-crash
    park(fd)


def crash_pool(args):
    n = int(args[args.index("--workers") + 1])
    ctx = multiprocessing.get_context("fork")
    r, w = os.pipe()
    workers = [ctx.Process(target=worker_main, args=(i == n - 1, r)) for i in range(n)]
    for p in workers[:-1]:
        p.start()
    ready(workers=[p.pid for p in workers[:-1]])
    workers[-1].start()
    workers[-1].join(60)
    sys.stdout.write("EXITCODE %s\n" % json.dumps({"pid": workers[-1].pid,
                                                   "exitcode": workers[-1].exitcode}))
    sys.stdout.flush()
    for p in workers[:-1]:
        p.terminate()
        p.join()


def pid_of_worker(_):
    time.sleep(0.05)  # every worker takes one task
    return os.getpid()


def square(x):
    return x * x


def pool(args):
    method = args[args.index("--method") + 1]
    n = int(args[args.index("--workers") + 1])
    if "--python" in args:
        multiprocessing.set_executable(args[args.index("--python") + 1])
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(n) as p:
        # Every worker has run a task: all of them are past their start.
        seen = set()
        deadline = time.time() + 60
        while len(seen) < n and time.time() < deadline:
            seen |= set(p.map(pid_of_worker, range(n * 4), chunksize=1))
        ready(workers=[c.pid for c in multiprocessing.active_children()], seen=sorted(seen))
        for line in sys.stdin:
            if line.strip() == "map":
                sys.stdout.write("%s\n" % p.map(square, range(10)))
                sys.stdout.flush()
            elif line.strip() == "exit":
                break


def main():
    # An embedder runs this file in a dict of its own, not in __main__:
    # pickle finds the pool's functions there only if they are put there.
    main_module = sys.modules["__main__"]
    for name in ("pid_of_worker", "square"):
        if not hasattr(main_module, name):
            setattr(main_module, name, globals()[name])
    args = sys.argv[1:]
    modes = {"serve": serve, "crash": crash, "crash-pool": crash_pool, "pool": pool}
    if not args or args[0] not in modes:
        sys.exit(__doc__)
    modes[args[0]](args[1:])


if __name__ == "__main__":
    main()  # CALL:main
