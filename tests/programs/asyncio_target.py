# SPDX-License-Identifier: MIT
"""An asyncio program whose tasks all park, for pyxray's task tests
(tests/integration/test_asyncio.py). Every task awaits a future that never
completes, at a line tagged "# PARK:<tag>"; the call sites are tagged
"# CALL:<tag>". When every task is parked it prints one line
"READY {json}" (pid, the native ids of the threads that run loops) and
stays parked until stdin closes, answering "ping" lines with "pong".

Options: --pure  block the C _asyncio module (pure-Python Task and Future)
         --many N  N more tasks parked at one line ("worker-0"...)
         --cycle  two tasks that await each other
         --blocked  a third loop whose running task blocks it in read()
                    (eager on 3.12+, in its first step)
Works on CPython 3.8 and later; TaskGroup (3.11+) and eager tasks (3.12+)
where the version has them."""
import json
import os
import sys
import threading

if "--pure" in sys.argv:
    sys.modules["_asyncio"] = None  # asyncio falls back to its Python classes

import asyncio  # noqa: E402

MANY = int(sys.argv[sys.argv.index("--many") + 1]) if "--many" in sys.argv else 0
HAS_TASKGROUP = hasattr(asyncio, "TaskGroup")
HAS_EAGER = sys.version_info >= (3, 12)
KEEP = []  # tasks only their own cycle refers to would be collected


async def park(fut):
    await fut  # PARK:park


async def nested_inner(fut):
    await fut  # PARK:nested


async def nested_middle(fut):
    await nested_inner(fut)  # CALL:nested-middle


async def nested_outer(fut):
    await nested_middle(fut)  # CALL:nested-outer


async def await_task(task):
    await task  # PARK:await-task


async def gatherer(a, b):
    await asyncio.gather(a, b)  # PARK:gather


async def taskgroup_main(fut):
    async with asyncio.TaskGroup() as tg:  # PARK:taskgroup
        tg.create_task(park(fut), name="tg-child-1")
        tg.create_task(park(fut), name="tg-child-2")


async def wait_for_main(task):
    await asyncio.wait_for(task, timeout=3600)  # PARK:wait-for


async def shield_main(task):
    await asyncio.shield(task)  # PARK:shield


async def agen(fut):
    await fut  # PARK:agen
    yield 1


async def agen_consumer(fut):
    async for _ in agen(fut):  # PARK:agen-consumer
        pass


async def worker(fut):
    await fut  # PARK:many


async def cycle_a(box):
    await box["b"]  # PARK:cycle-a


async def cycle_b(box):
    await box["a"]  # PARK:cycle-b


def main_tasks(loop, fut):
    """The main loop's tasks (created inside it)."""
    nested = asyncio.ensure_future(nested_outer(fut))
    nested.set_name("nested")
    asyncio.create_task(await_task(nested), name="await-task")
    g1 = asyncio.create_task(park(fut), name="gather-child-1")
    g2 = asyncio.create_task(park(fut), name="gather-child-2")
    asyncio.create_task(gatherer(g1, g2), name="gatherer")
    if HAS_TASKGROUP:
        asyncio.create_task(taskgroup_main(fut), name="taskgroup")
    wf = asyncio.create_task(park(fut), name="wait-for-child")
    asyncio.create_task(wait_for_main(wf), name="wait-for")
    sh = asyncio.create_task(park(fut), name="shield-child")
    asyncio.create_task(shield_main(sh), name="shield")
    asyncio.create_task(agen_consumer(fut), name="agen")
    if HAS_EAGER:
        asyncio.Task(park(fut), loop=loop, name="eager", eager_start=True)
    if "--cycle" in sys.argv:
        box = {}
        box["a"] = asyncio.create_task(cycle_a(box), name="cycle-a")
        box["b"] = asyncio.create_task(cycle_b(box), name="cycle-b")
        KEEP.append(box)
    for i in range(MANY):
        asyncio.create_task(worker(fut), name="worker-%d" % i)


async def settle():
    # Every task created so far runs to its first await within a few turns.
    for _ in range(10):
        await asyncio.sleep(0)


async def main(ready, report):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    main_tasks(loop, fut)
    await settle()
    ready.wait()
    report["tids"]["MainThread"] = threading.get_native_id()
    sys.stdout.write("READY " + json.dumps(report) + "\n")
    sys.stdout.flush()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)  # PARK:main
        if not line:
            break
        if line.strip() == "ping":  # answered once a debugger has let go
            sys.stdout.write("pong\n")
            sys.stdout.flush()


async def second_main(started):
    fut = asyncio.get_running_loop().create_future()
    sleeper = asyncio.create_task(nested_outer(fut), name="t2-nested")
    asyncio.create_task(await_task(sleeper), name="t2-await-task")
    await settle()
    started.set()
    await fut  # PARK:second-main


def blocking_inner(fd):
    os.read(fd, 1)  # PARK:blocker


async def blocker_outer(fd):
    blocking_inner(fd)  # CALL:blocker-outer
    await asyncio.sleep(0)


async def blocked_main(started, report):
    r, w = os.pipe()
    report["keep_fds"] = [r, w]  # nobody ever writes
    started.set()
    if HAS_EAGER:
        # Runs at once, inside this call, and blocks there: an eager task
        # in its first step (asyncio.tasks._eager_tasks on 3.12, 3.13).
        asyncio.Task(blocker_outer(r), loop=asyncio.get_running_loop(),  # CALL:eager-blocker
                     name="blocker", eager_start=True)
    task = asyncio.create_task(blocker_outer(r), name="blocker")
    await task  # PARK:blocked-main


def third_thread(started, report):
    """A loop whose running task blocks it in a system call."""
    report["blocked_tid"] = threading.get_native_id()
    asyncio.run(blocked_main(started, report))


def second_thread(started, report):
    report["tids"]["loop-2"] = threading.get_native_id()
    asyncio.run(second_main(started))


def stopped_loop():
    """A loop that no thread runs, with one parked task."""
    loop = asyncio.new_event_loop()
    fut = loop.create_future()
    task = loop.create_task(park(fut), name="stopped-loop-task")
    loop.run_until_complete(asyncio.sleep(0))
    return loop, task


def run():
    report = {"pid": os.getpid(), "tids": {}, "threads": {},
              "version": list(sys.version_info[:3]),
              "pure": "--pure" in sys.argv, "c_task": asyncio.Task.__module__ == "_asyncio"}
    keep = stopped_loop()
    started = threading.Event()
    t = threading.Thread(target=second_thread, args=(started, report), name="loop-2",
                         daemon=True)
    t.start()
    if "--blocked" in sys.argv:
        started3 = threading.Event()
        t3 = threading.Thread(target=third_thread, args=(started3, report), name="loop-3",
                              daemon=True)
        t3.start()
        started3.wait()
    asyncio.run(main(started, report))
    del keep


if __name__ == "__main__":
    run()
