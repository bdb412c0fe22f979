# SPDX-License-Identifier: MIT
"""The tutorial's CPU-bound work, on threads or on processes:
    python3 gil_work.py threads      4 threads share one GIL
    python3 gil_work.py processes    4 processes, one GIL each
"""
import multiprocessing
import os
import sys
import threading


def count_primes(limit):
    found = 0
    for n in range(2, limit):
        for d in range(2, int(n ** 0.5) + 1):
            if n % d == 0:
                break
        else:
            found += 1
    return found


def forever(_):
    while True:
        count_primes(200000)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "threads"
    print("pid", os.getpid(), mode, flush=True)
    if mode == "threads":
        workers = [threading.Thread(target=forever, args=(i,), name="cruncher-%d" % i)
                   for i in range(4)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    else:
        with multiprocessing.Pool(4) as pool:
            pool.map(forever, range(4))


if __name__ == "__main__":
    main()
