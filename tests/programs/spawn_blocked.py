# SPDX-License-Identifier: MIT
"""A Python process with one thread that cannot be stopped: it is inside
os.posix_spawn(), whose child (sharing its memory, as vfork does) opens a
FIFO for reading before exec and waits there for a writer, so the calling
thread sits in uninterruptible sleep ("D") until the FIFO is opened for
writing. The main thread parks in os.read().

Usage: spawn_blocked.py FIFO [--child]
  --child   run all that in a child process (a Python child of this one),
            for the tree tests; this process parks in os.read() too.

Prints "READY {"pid": P, "main": TID}" (P is the process with the blocked
thread) before the spawn starts: the spawning thread holds the GIL while it
waits, so nothing could be printed after, and the main thread waits for the
GIL inside spawner.start() (CALL:start) until the FIFO is opened; then it
parks at PARK:main. The test finds the blocked thread as the one in state D.
Exits when stdin closes.
"""
import json
import os
import subprocess
import sys
import threading


def spawn(fifo):
    actions = [(os.POSIX_SPAWN_OPEN, 3, fifo, os.O_RDONLY, 0)]
    pid = os.posix_spawn("/bin/true", ["true"], os.environ, file_actions=actions)  # PARK:spawn
    os.waitpid(pid, 0)


def main():
    fifo = sys.argv[1]
    if "--child" in sys.argv[2:]:
        child = subprocess.Popen([sys.executable, __file__, fifo],
                                 stdout=subprocess.PIPE)
        line = child.stdout.readline().decode()
        sys.stdout.write(line)
        sys.stdout.flush()
        os.read(0, 1)  # PARK:parent
        child.kill()
        return
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(),
                                                "main": threading.get_native_id()}))
    sys.stdout.flush()
    spawner = threading.Thread(target=spawn, args=(fifo,), name="spawner", daemon=True)
    spawner.start()  # CALL:start
    os.read(0, 1)  # PARK:main


if __name__ == "__main__":
    main()
