# SPDX-License-Identifier: MIT
"""A program that forks at known lines, for follow-fork sessions (GDB runs it).

Usage: fork_target.py [--exec] [--children N] [--pool fork|spawn|forkserver]

The parent forks N children (default 1) at the line tagged `CALL:fork`.
Each child calls os.getppid() at `CALL:child-getppid` (a place to stop:
`break getppid`; the parent never calls it) and exits. With --exec a child
first re-executes this interpreter on this script with --child (as the
spawn start method does), then does the same from `CALL:exec-getppid`. The
parent waits for each child at `PARK:parent-wait` and prints DONE. With
--pool METHOD the parent instead runs a multiprocessing pool of 2 workers of
that start method, whose task calls os.getppid() at `CALL:pool-getppid`.
"""
import os
import sys


def child_work():
    os.getppid()  # CALL:child-getppid
    os._exit(0)


def exec_child_work():
    os.getppid()  # CALL:exec-getppid
    os._exit(0)


def pool_task(i):
    return os.getppid() + i  # CALL:pool-getppid


def run_pool(method):
    import multiprocessing
    with multiprocessing.get_context(method).Pool(2) as pool:
        pool.map(pool_task, range(2), chunksize=1)  # CALL:pool-map


def start_child(use_exec):
    pid = os.fork()  # CALL:fork
    if pid == 0:
        if use_exec:
            os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "--child"])
        child_work()
    return pid


def main():
    args = sys.argv[1:]
    if args == ["--child"]:
        exec_child_work()
    if "--pool" in args:
        run_pool(args[args.index("--pool") + 1])
        sys.stdout.write("DONE\n")
        return
    use_exec = "--exec" in args
    n = int(args[args.index("--children") + 1]) if "--children" in args else 1
    pids = [start_child(use_exec) for _ in range(n)]
    for pid in pids:
        os.waitpid(pid, 0)  # PARK:parent-wait
    sys.stdout.write("DONE\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
