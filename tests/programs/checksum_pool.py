# SPDX-License-Identifier: MIT
"""The soak test's target: a multiprocessing pool computing a known
checksum in rounds until stdin closes, then printing "rounds checksum".
Prints "ready PID" once the pool is up. The checksum of R rounds is
checksum(R) below, which the test recomputes."""
import hashlib
import multiprocessing
import os
import select
import sys

ITEMS = 64


def work(i):
    h = hashlib.sha256(str(i).encode())
    for _ in range(300):
        h = hashlib.sha256(h.digest())
    return int.from_bytes(h.digest()[:8], "little")


def checksum(rounds):
    one = sum(work(i) for i in range(ITEMS)) % (1 << 64)
    return (one * rounds) % (1 << 64)


def main():
    total = rounds = 0
    with multiprocessing.Pool(4) as pool:
        pool.map(work, range(4))  # every worker up
        sys.stdout.write("ready %d\n" % os.getpid())
        sys.stdout.flush()
        while True:
            total = (total + sum(pool.map(work, range(ITEMS)))) % (1 << 64)
            rounds += 1
            r, _, _ = select.select([0], [], [], 0)
            if r and not os.read(0, 64):
                break
    sys.stdout.write("%d %d\n" % (rounds, total))


if __name__ == "__main__":
    main()
