"""Target for tests/integration/test_native.py: Python frames above and below
C frames, and a thread that never runs Python.

Usage: native_target.py LIBNATIVE [--crash]
LIBNATIVE is tests/programs/native_lib.c built as a shared library.

Threads, each parked in sem_wait() inside the library:
  sem-waiter  wait_sem() -> block_in_c() -> wait_here() -> sem_wait()
  callback    outer_cb() -> call_python() -> inner_cb() -> block_in_c() ...
  c-pool      started by start_c_thread(): C only, c_thread_main() ->
              c_thread_park() -> sem_wait()
  MainThread  reads commands from stdin ("ping" -> "pong", "exit")

Once all are parked, one line "READY <json>" goes to stdout: pid, version,
and each thread's native tid. With --crash the main thread then raises
RLIMIT_CORE and calls crash_from_python() -> crash_in_c(), which
dereferences NULL (SIGSEGV): the kernel writes a core.
Lines tagged "# CALL:<tag>" are the lines the tests expect.
"""
import ctypes
import json
import os
import resource
import sys
import threading
import time

SYS_FUTEX = 202  # x86-64


def native_tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


LIB = ctypes.CDLL(sys.argv[1])
LIBC = ctypes.CDLL(None)
TIDS = {}
LOCK = threading.Lock()


def new_sem():
    sem = ctypes.create_string_buffer(64)  # sem_t is 32 bytes on x86-64
    assert LIBC.sem_init(sem, 0, 0) == 0
    return sem


def register(name):
    with LOCK:
        TIDS[name] = native_tid()


def wait_sem(sem):
    register("sem-waiter")
    LIB.block_in_c(sem)  # CALL:sem


CALLBACK = ctypes.CFUNCTYPE(None)


def inner_cb(sem):
    register("callback")
    LIB.block_in_c(sem)  # CALL:cb-inner


def outer_cb(sem):
    cb = CALLBACK(lambda: inner_cb(sem))  # CALL:cb-lambda
    LIB.call_python(cb)  # CALL:cb-outer


def crash_from_python():
    LIB.crash_in_c()  # CALL:crash


def in_futex(tid):
    try:
        with open("/proc/self/task/%d/syscall" % tid) as f:
            return f.read().split()[0] == str(SYS_FUTEX)
    except (IOError, OSError, IndexError):
        return False


def main():
    sems = [new_sem(), new_sem()]
    threading.Thread(target=wait_sem, args=(sems[0],), name="sem-waiter").start()
    threading.Thread(target=outer_cb, args=(sems[1],), name="callback").start()
    c_tid = LIB.start_c_thread()
    deadline = time.time() + 60
    while True:
        with LOCK:
            tids = dict(TIDS)
        tids["c-pool"] = c_tid
        if len(tids) == 3 and all(in_futex(t) for t in tids.values()):
            break
        if time.time() > deadline:
            sys.exit("threads never parked: %r" % tids)
        time.sleep(0.005)
    tids["MainThread"] = native_tid()
    report = {"pid": os.getpid(), "version": list(sys.version_info[:3]), "tids": tids}
    sys.stdout.write("READY %s\n" % json.dumps(report))
    sys.stdout.flush()
    if "--crash" in sys.argv:
        # The kernel writes a core where core_pattern says, if allowed to.
        soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
        crash_from_python()  # CALL:crash-main
    while True:
        line = sys.stdin.readline()
        if not line or line.strip() == "exit":
            os._exit(0)
        if line.strip() == "ping":
            sys.stdout.write("pong\n")
            sys.stdout.flush()


main()  # CALL:module
