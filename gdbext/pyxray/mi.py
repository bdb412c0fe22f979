# SPDX-License-Identifier: MIT
"""MI commands for frontends, a peer of commands.py. docs/gdb.md ("MI") has
their records.

  -py-bt-all [--locals] [--tasks]  every inferior's processes, as the JSON of
                               docs/json.md in MI values
  -py-ps                       one tuple per interpreter GDB can see
  -py-tasks                    the asyncio tasks of every inferior
"""
from __future__ import annotations

import gdb

from . import _lib, target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Any, List


def _mi_value(value: Any) -> Any:
    """JSON values as MI ones: objects -> tuples, arrays -> lists, scalars ->
    strings (true/false for booleans); nulls are left out."""
    if isinstance(value, dict):
        return {k: _mi_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_mi_value(v) for v in value if v is not None]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _options(name: str, argv: List[str], allowed: tuple) -> set:
    bad = [a for a in argv if a not in allowed]
    if bad:
        raise gdb.GdbError("%s: unknown argument '%s'. Usage: %s %s"
                           % (name, bad[0], name, " ".join("[%s]" % a for a in allowed)))
    return set(argv)


def _processes(flags: int) -> List[dict]:
    procs = []
    for entry in target.python_inferiors(flags):
        if entry.snapshot is not None:
            for proc in entry.snapshot.process_documents(bool(flags & _lib.SNAP_LOCALS),
                                                         bool(flags & _lib.SNAP_TASKS)):
                procs.append(dict(proc, inferior=entry.inferior.num))
        else:
            procs.append({"inferior": entry.inferior.num, "pid": entry.inferior.pid,
                          "executable": target.executable(entry.inferior),
                          "error": str(entry.error), "interpreters": []})
    return procs


def _ps() -> List[dict]:
    out = []
    for entry in target.python_inferiors(0):
        inf = entry.inferior
        if entry.snapshot is None:
            out.append({"inferior": inf.num, "pid": inf.pid,
                        "executable": target.executable(inf), "error": str(entry.error),
                        "interpreters": []})
            continue
        for proc in entry.snapshot.processes:
            holder = proc.gil_holder
            out.append({"inferior": inf.num, "pid": proc.pid, "executable": proc.executable,
                        "python_version": proc.python_version,
                        "python_path": proc.python_path, "threads": proc.nthreads,
                        "gil_holder": holder.tid if holder else None, "error": proc.error,
                        "interpreters": [{"id": it.id, "main": it.main,
                                          "threads": len(it.threads)}
                                         for it in proc.interpreters]})
    return out


if hasattr(gdb, "MICommand"):

    class PyBtAllMI(gdb.MICommand):
        """-py-bt-all [--locals]: the Python stacks of every inferior."""

        def __init__(self):
            super().__init__("-py-bt-all")

        def invoke(self, argv):
            opts = _options("-py-bt-all", argv, ("--locals", "--tasks"))
            flags = (_lib.SNAP_LOCALS if "--locals" in opts else 0) | \
                (_lib.SNAP_TASKS if "--tasks" in opts else 0)
            return {"processes": _mi_value(_processes(flags))}

    class PyTasksMI(gdb.MICommand):
        """-py-tasks: the asyncio tasks of every inferior (docs/json.md)."""

        def __init__(self):
            super().__init__("-py-tasks")

        def invoke(self, argv):
            _options("-py-tasks", argv, ())
            out = []
            for proc in _processes(_lib.SNAP_TASKS):
                keep = ("inferior", "pid", "python_version", "error")
                row = {k: proc.get(k) for k in keep}
                row["interpreters"] = [
                    {"id": it["id"], "main": it.get("main", False),
                     "tasks_source": it.get("tasks_source"),
                     "tasks_error": it.get("tasks_error"),
                     "threads": [{"tid": th.get("tid"), "name": th.get("name"),
                                  "loop": th.get("loop"), "tasks": th.get("tasks", [])}
                                 for th in it.get("threads", []) if th.get("loop")
                                 or th.get("tasks")],
                     "tasks_of_stopped_loops": it.get("tasks_of_stopped_loops", [])}
                    for it in proc.get("interpreters", [])]
                out.append(row)
            return {"processes": _mi_value(out)}

    class PyPsMI(gdb.MICommand):
        """-py-ps: every Python interpreter GDB can see."""

        def __init__(self):
            super().__init__("-py-ps")

        def invoke(self, argv):
            _options("-py-ps", argv, ())
            return {"inferiors": _mi_value(_ps())}


_registered: List[Any] = []


def install() -> None:
    if hasattr(gdb, "MICommand"):
        _registered[:] = [PyBtAllMI(), PyPsMI(), PyTasksMI()]
