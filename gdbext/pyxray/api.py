# SPDX-License-Identifier: MIT
"""The scripting API, a peer of the commands: what `import pyxray` gives a
GDB script (or a plain Python program, for live pids) so that scripted
analysis needs no text parsing.

    import pyxray
    snap = pyxray.snapshot()                 # the selected inferior, at this stop
    for proc in snap.processes:
        for thread in proc.threads:
            for frame in thread.frames:
                print(thread.name, frame.qualname, frame.file, frame.line)

Objects are model.py's: Snapshot -> Process -> Interpreter -> Thread ->
Frame -> Variable. docs/gdb.md ("Scripting") documents them.
"""
from __future__ import annotations

from . import _lib, model

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import List, Optional


def _in_gdb() -> bool:
    try:
        import gdb  # noqa: F401
    except ImportError:
        return False
    return True


def snapshot(inferior=None, *, pid: Optional[int] = None, locals: bool = False,
             children: bool = False, max_frames: int = 0,
             stop: bool = True) -> model.Snapshot:
    """The Python side of a process as model objects.

    In GDB (pid None): the inferior given (gdb.Inferior; default: the
    selected one), live, core or remote, read at this stop. The snapshot is
    GDB's per-stop one: do not close it; its objects stay readable after
    the program runs on, but Frame.lookup() then fails. children=True (a
    live inferior): its descendant processes too, in one new snapshot.

    With pid (in GDB or not): that live local process, read by libpyxray
    directly; stopped while it is read unless stop=False; close() the
    snapshot (or use `with`) when done.

    locals=True decodes each frame's local variables (Frame.locals,
    Frame.arguments); max_frames 0 means the default (4096, or GDB's `set
    pyxray max-frames`). Raises PyxrayError (outside GDB) or gdb.GdbError.
    """
    flags = (_lib.SNAP_LOCALS if locals else 0) | _lib.SNAP_KEEP_SOURCE
    if pid is not None:
        if not stop:
            flags |= _lib.SNAP_NONBLOCKING
        if children:
            flags |= _lib.SNAP_CHILDREN
        return model.Snapshot(_lib.snapshot_pid(pid, flags, max_frames), flags)
    if not _in_gdb():
        raise _lib.PyxrayError(_lib.E_INVALID,
                               "pyxray.snapshot() outside GDB needs pid=PID")
    from . import target

    if children:
        import gdb

        inf = inferior or gdb.selected_inferior()
        if target.connection_type(inf) != "native" or not inf.pid:
            raise gdb.GdbError("pyxray.snapshot(children=True) needs a live local inferior")
        return model.Snapshot(_lib.snapshot_pid(
            inf.pid, flags | _lib.SNAP_CHILDREN | _lib.SNAP_HELD_BY_CALLER,
            max_frames), flags | _lib.SNAP_CHILDREN)
    return target.snapshot(inferior, flags, max_frames)


def selected_frame(locals: bool = False) -> model.Frame:
    """The Python frame py-up/py-down selected in the selected thread (GDB
    only). Raises gdb.GdbError when the thread has no Python frame."""
    from . import selection

    return selection.current(selection.VARIABLE_FLAGS if locals else 0)


def thread_frames(thread=None, locals: bool = False) -> List[model.Frame]:
    """The Python frames of a GDB thread (default: the selected one),
    innermost first across the interpreters it entered (GDB only)."""
    from . import selection

    thread = thread or selection.selected_thread()
    return selection.thread_frames(thread, selection.VARIABLE_FLAGS if locals else 0)


def thread_stack(locals: bool = False):
    """The selected thread's native and Python frames in call order, as
    stacks.Stack (frames: stacks.StackFrame, each with its GDB level; GDB
    only)."""
    from . import selection, stacks

    return stacks.thread_stack(selection.selected_thread(),
                               _lib.SNAP_LOCALS if locals else 0)
