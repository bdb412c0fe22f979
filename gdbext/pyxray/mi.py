# SPDX-License-Identifier: MIT
"""MI commands for frontends (the DAP adapter, IDEs), a peer of commands.py.
Each takes GDB's own `--thread N` (and `--frame N`) options where a thread
matters. docs/gdb.md ("MI") has their records.

  -py-bt-all [--locals] [--tasks]  every inferior's processes, as the JSON of
                               docs/json.md in MI values
  -py-ps                       one tuple per interpreter GDB can see
  -py-tasks                    the asyncio tasks of every inferior
  -py-stack-list-frames [--args] [--json]
                               the selected thread's native and Python
                               frames in call order, each with fullname and
                               the GDB level it belongs to
  -py-frame-variables PYFRAME  arguments, locals and cells of a Python frame,
                               each with its address and child count
  -py-var-children PYFRAME ADDR [START COUNT]
                               the items, entries or attributes of the
                               object at ADDR (a variable's addr), paged
  -py-evaluate PYFRAME NAME    NAME as that frame sees it (py-print)
  -py-threads                  every GDB thread with its Python name and
                               process, the GIL holder marked
  -py-attach-children [--depth N]   py-attach-children
  -py-select-frame PYFRAME     selects a Python frame (py-up/py-down's)
"""
from __future__ import annotations

import gdb

from . import _lib, inferiors, model, selection, stacks, target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Any, Dict, List


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


_PATTERNS = None


def _patterns():
    """(decimal, hex) number patterns, compiled on first use (importing re
    slows GDB's startup)."""
    global _PATTERNS
    if _PATTERNS is None:
        import re

        _PATTERNS = (re.compile("[0-9]{1,20}"), re.compile("0[xX][0-9a-fA-F]{1,16}"))
    return _PATTERNS


def _number(name: str, text: str, what: str) -> int:
    if not _patterns()[0].fullmatch(text) or int(text) >= 1 << 63:
        raise gdb.GdbError("%s: %s must be a number, not '%s'"
                           % (name, what, model.printable(text)))
    return int(text)


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


def _stack_frame(sf: stacks.StackFrame, with_args: bool) -> Dict[str, Any]:
    """One frame as an MI tuple, every value a string already (a stack can
    have thousands: _mi_value's walk over them is too slow). func and file
    are display text, escaped as pyxray dump prints them; fullname is the
    path itself, for opening the file."""
    row: Dict[str, Any] = {"level": str(sf.level), "kind": "python" if sf.python else "native"}
    if sf.pc is not None:
        row["addr"] = "0x%016x" % sf.pc
    row["func"] = model.printable(sf.name) if sf.name is not None else "??"
    if sf.file:
        row["file"] = model.printable(sf.file)
    if sf.fullname:
        row["fullname"] = sf.fullname
    if sf.line:
        row["line"] = str(sf.line)
    if sf.python and sf.omitted:
        row["kind"] = "omitted"
        row["omitted"] = str(sf.omitted)
        row["outer"] = "1" if sf.outer else "0"
    elif sf.python:
        fr = sf.frame
        row["pyframe"] = str(sf.pyindex)
        row["outer"] = "1" if sf.outer else "0"
        if fr.error:
            row["error"] = fr.error
        args = fr.arguments if with_args else None
        if args is not None:
            row["args"] = [{"name": a.name, "value": a.repr if a.repr is not None
                            else "<unreadable>"} for a in args]
    else:
        if sf.lib:
            row["from"] = sf.lib
        row["interp"] = "1" if sf.interp else "0"
    return row


def _address(name: str, text: str) -> int:
    decimal, hexa = _patterns()
    if hexa.fullmatch(text):
        return int(text, 16)
    if decimal.fullmatch(text) and int(text) < 1 << 64:
        return int(text)
    raise gdb.GdbError("%s: ADDR must be an address (0x... or decimal), not '%s'"
                       % (name, model.printable(text)))


# As many children as one call gives (the library caps a call:
# PYX_SNAP_CHILDREN_MAX, docs/limits.md).
_ALL_A_CALL = 1 << 62


def _variable_row(v) -> Dict[str, str]:
    """A variable or a child as an MI tuple: name, kind, value, addr,
    children (how many it has: 0 when it does not expand) and indexed (they
    are items named [i]). The name is display text, escaped as func is."""
    return {"name": model.printable(v.name), "kind": v.kind,
            "value": v.repr if v.repr is not None else "<unreadable>",
            "addr": "0x%x" % v.addr, "children": str(v.children),
            "indexed": "true" if v.indexed else "false"}


def _python_frame(name: str, argv: List[str], flags: int):
    if not argv:
        raise gdb.GdbError("%s: a Python frame number (PYFRAME) is required" % name)
    index = _number(name, argv[0], "PYFRAME")
    thread = selection.selected_thread()
    frames = selection.thread_frames(thread, flags)
    if index >= len(frames):
        raise gdb.GdbError("%s: thread %d has %d Python frames, no frame %d"
                           % (name, thread.num, len(frames), index))
    return frames[index]


def _thread_rows() -> List[dict]:
    rows = []
    for inf in gdb.inferiors():
        if not inf.pid:
            continue
        try:
            snap = target.snapshot(inf)
        except target.TargetError:
            snap = None
        for th in sorted(inf.threads(), key=lambda t: t.num):
            lwp = th.ptid[1] or th.ptid[2]
            row = {"id": str(th.global_num), "inferior": str(inf.num), "pid": str(inf.pid),
                   "lwp": str(lwp)}
            if th.name:
                row["gdb_name"] = model.printable(th.name)
            if snap is not None:
                # One OS thread's JSON each, no whole-process parse: the
                # stack requests that follow reuse these (model caches them).
                ost = snap.os_thread(lwp)
                row["python"] = "true" if ost.stacks else "false"
                if ost.name:
                    row["name"] = model.printable(ost.name)
                row["holds_gil"] = "true" if ost.holds_gil else "false"
                row["frames"] = str(sum(len(t.frames) for t in ost.stacks))
                row["process"] = model.printable(inferiors.label(ost))
            rows.append(row)
    return rows


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

    class PyStackListFramesMI(gdb.MICommand):
        """-py-stack-list-frames [--args] [--json]: the selected thread's frames."""

        def __init__(self):
            super().__init__("-py-stack-list-frames")

        def invoke(self, argv):
            opts = _options("-py-stack-list-frames", argv, ("--args", "--json"))
            flags = _lib.SNAP_LOCALS if "--args" in opts else 0
            thread = selection.selected_thread()
            st = stacks.thread_stack(thread, flags)
            out: Dict[str, Any] = {"stack": [_stack_frame(sf, bool(flags)) for sf in st.frames],
                                   "python_frames": str(len(st.os_thread.frames))}
            if st.os_thread.omitted:
                out["omitted"] = str(st.os_thread.omitted)
            if st.truncated:
                out["truncated"] = st.truncated
            if st.python_left:
                out["unplaced"] = str(st.python_left)
            if st.python_error:
                out["python_error"] = st.python_error
            if "--json" in opts:
                # One string to parse: a deep stack as MI tuples costs a
                # frontend's MI parser more than JSON.parse.
                import json  # on first use

                return {"json": json.dumps(out, separators=(",", ":"))}
            return out

    class PyFrameVariablesMI(gdb.MICommand):
        """-py-frame-variables PYFRAME: a Python frame's variables."""

        def __init__(self):
            super().__init__("-py-frame-variables")

        def invoke(self, argv):
            fr = _python_frame("-py-frame-variables", argv, selection.VARIABLE_FLAGS)
            if fr.error:
                raise gdb.GdbError("Unable to read information on python frame: %s" % fr.error)
            return {"variables": [_variable_row(v) for v in fr.locals or ()]}

    class PyVarChildrenMI(gdb.MICommand):
        """-py-var-children PYFRAME ADDR [START COUNT]: a container's children."""

        USAGE = "-py-var-children: usage: -py-var-children PYFRAME ADDR [START COUNT]"

        def __init__(self):
            super().__init__("-py-var-children")

        def invoke(self, argv):
            if len(argv) not in (2, 4):
                raise gdb.GdbError(self.USAGE)
            name = "-py-var-children"
            addr = _address(name, argv[1])
            start, count = 0, _ALL_A_CALL
            if len(argv) == 4:
                start = _number(name, argv[2], "START")
                count = _number(name, argv[3], "COUNT")
            fr = _python_frame(name, argv, selection.VARIABLE_FLAGS)
            try:
                rows, total = fr.children(addr, start, count)
            except _lib.PyxrayError as e:
                raise gdb.GdbError("%s: %s" % (name, e))
            return {"children": [_variable_row(v) for v in rows], "total": str(total)}

    class PyEvaluateMI(gdb.MICommand):
        """-py-evaluate PYFRAME NAME: NAME as py-print reads it."""

        def __init__(self):
            super().__init__("-py-evaluate")

        def invoke(self, argv):
            if len(argv) != 2:
                raise gdb.GdbError("-py-evaluate: usage: -py-evaluate PYFRAME NAME")
            fr = _python_frame("-py-evaluate", argv, selection.VARIABLE_FLAGS)
            try:
                scope, rep = fr.lookup(argv[1])
            except _lib.PyxrayError as e:
                if e.code == _lib.E_NOT_FOUND:
                    raise gdb.GdbError("%r not found" % argv[1])
                raise gdb.GdbError(str(e))
            return {"scope": scope, "value": rep}

    class PyThreadsMI(gdb.MICommand):
        """-py-threads: every thread with its Python side."""

        def __init__(self):
            super().__init__("-py-threads")

        def invoke(self, argv):
            _options("-py-threads", argv, ())
            return {"threads": _thread_rows()}

    class PyAttachChildrenMI(gdb.MICommand):
        """-py-attach-children [--depth N]: py-attach-children."""

        def __init__(self):
            super().__init__("-py-attach-children")

        def invoke(self, argv):
            depth = 0
            if argv[:1] == ["--depth"] and len(argv) == 2:
                depth = _number("-py-attach-children", argv[1], "--depth")
            elif argv:
                raise gdb.GdbError("-py-attach-children: usage: -py-attach-children "
                                   "[--depth N]")
            done, report = inferiors.attach_children(depth)
            return {"attached": _mi_value([{"inferior": a.num, "pid": a.proc.pid,
                                            "label": a.label} for a in done]),
                    "report": report}

    class PySelectFrameMI(gdb.MICommand):
        """-py-select-frame PYFRAME: selects a Python frame of the thread."""

        def __init__(self):
            super().__init__("-py-select-frame")

        def invoke(self, argv):
            if len(argv) != 1:
                raise gdb.GdbError("-py-select-frame: usage: -py-select-frame PYFRAME")
            selection.select(_number("-py-select-frame", argv[0], "PYFRAME"))
            return None


_registered: List[Any] = []


def install() -> None:
    if hasattr(gdb, "MICommand"):
        _registered[:] = [PyBtAllMI(), PyPsMI(), PyTasksMI(), PyStackListFramesMI(),
                          PyFrameVariablesMI(), PyVarChildrenMI(), PyEvaluateMI(),
                          PyThreadsMI(), PyAttachChildrenMI(), PySelectFrameMI()]
