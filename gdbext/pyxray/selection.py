# SPDX-License-Identifier: MIT
"""The selected Python frame: an index into the selected thread's Python
frames (0 = innermost, in call order across the interpreters the thread
entered), which py-up and py-down move and py-list, py-locals, py-print,
the TUI window and the scripting API read.

It goes back to the innermost frame when the program runs or stops, on an
inferior call, when the program or core changes, and when another thread is
selected (checked before each prompt and on each use).
"""
from __future__ import annotations

import gdb

from . import _lib, model, stacks, target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import List, Optional, Tuple

# py-locals and py-print ask for both, so that using one after the other
# decodes the process once.
VARIABLE_FLAGS = _lib.SNAP_LOCALS | _lib.SNAP_KEEP_SOURCE


class _Selected:
    key: Optional[Tuple[int, int]] = None
    index = 0


def reset(*_args) -> None:
    _Selected.key = None
    _Selected.index = 0


def selected_thread() -> gdb.InferiorThread:
    """The selected GDB thread; TargetError when there is no process."""
    thread = gdb.selected_thread()
    inf = gdb.selected_inferior()
    if thread is None or not inf.pid:
        raise target.TargetError(target.NO_PROCESS)
    return thread


def _thread_key(thread: gdb.InferiorThread) -> Tuple[int, int]:
    return (thread.inferior.num, thread.ptid[1])


def _check_thread(*_args) -> None:
    thread = gdb.selected_thread()
    if thread is not None and _Selected.key is not None and _thread_key(thread) != _Selected.key:
        reset()


def no_python_frame(thread: gdb.InferiorThread) -> gdb.GdbError:
    return gdb.GdbError("Unable to locate python frame: thread %d (LWP %d) has no Python frames"
                        % (thread.num, thread.ptid[1]))


def thread_frames(thread: gdb.InferiorThread, flags: int = 0) -> List[model.Frame]:
    """The Python frames of a GDB thread, innermost first (no error when it
    has none)."""
    ost, _version = stacks.os_thread(thread, flags)
    return ost.frames


def frames(flags: int = 0) -> Tuple[List[model.Frame], int, gdb.InferiorThread]:
    """The selected thread's Python frames, the selected one's index and
    the thread. Raises TargetError or a GdbError when the thread has no
    Python frames."""
    thread = selected_thread()
    frs = thread_frames(thread, flags)
    if not frs:
        raise no_python_frame(thread)
    key = _thread_key(thread)
    if _Selected.key != key:
        _Selected.key, _Selected.index = key, 0
    if _Selected.index >= len(frs):
        _Selected.index = len(frs) - 1
    return frs, _Selected.index, thread


def current(flags: int = 0) -> model.Frame:
    """The selected Python frame."""
    frs, index, _thread = frames(flags)
    return frs[index]


def move(by: int) -> Tuple[model.Frame, int, int]:
    """Moves the selection `by` frames (positive: outer) as far as the
    stack allows: the frame now selected, its index and how many frames it
    moved."""
    frs, index, _thread = frames()
    new = min(max(index + by, 0), len(frs) - 1)
    _Selected.index = new
    return frs[new], new, new - index


def select(index: int) -> None:
    """Selects Python frame `index` of the selected thread (clamped)."""
    frs, _index, _thread = frames()
    _Selected.index = min(max(index, 0), len(frs) - 1)


def install() -> None:
    gdb.events.cont.connect(reset)
    gdb.events.exited.connect(reset)
    # A new stop, a `call`, or another program or core: a different stack.
    for name in ("stop", "inferior_call", "clear_objfiles"):
        event = getattr(gdb.events, name, None)
        if event is not None:
            event.connect(reset)
    gdb.events.before_prompt.connect(_check_thread)
