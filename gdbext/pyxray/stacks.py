# SPDX-License-Identifier: MIT
"""A GDB thread's stack with native and Python frames interleaved in call
order: what the frame filter, the MI frame list (-py-stack-list-frames), the
TUI window and the DAP adapter show.

CPython runs Python code inside native calls of its eval loop
(`_PyEval_EvalFrameDefault`), which GDB's unwinder sees; the Python frames
come from the snapshot (model.OSThread). Eval frames are recognised by name
(minimal symbols suffice: stripped builds work) and matched in order,
innermost first, to the thread's runs of Python frames (group_frames). This
matching is the one mapping between the two stacks: the Python frames of a
run belong to that eval frame's GDB level (docs/gdb.md, "Frames for
frontends").
"""
from __future__ import annotations

import itertools
import os

import gdb

from . import model, target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, List, Optional, Tuple

# The C function that runs Python bytecode. 3.6-3.8 may also show
# PyEval_EvalFrameEx, a wrapper that calls it through interp->eval_frame
# (usually a tail call, absent from the stack): it runs no frame of its own,
# so it is not counted. GCC may split off a `.cold` part.
EVAL_FUNCTION = "_PyEval_EvalFrameDefault"

# Native frames walked at most for one thread (GDB stops at the outermost
# frame, or at a frame that repeats, long before this).
NATIVE_FRAMES_MAX = 200000


def is_eval_name(name: Optional[str]) -> bool:
    """Whether a native function name is CPython's eval loop."""
    if not name:
        return False
    return name == EVAL_FUNCTION or name.startswith(EVAL_FUNCTION + ".")


def version_tuple(text: Optional[str]) -> tuple:
    parts = []
    for p in (text or "0.0").split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, p))
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def group_frames(frames: List[model.Frame], version: tuple) -> List[List[model.Frame]]:
    """The thread's Python frames (innermost first) split into the runs
    that one native eval call executes, innermost first.

    3.11+: an eval call runs Python-to-Python calls inline, from the
    innermost frame up to and including the next frame marked `entry` (the
    first one entered from C). Before 3.11 every Python frame has an eval
    call of its own.
    """
    if version < (3, 11):
        return [[f] for f in frames]
    groups, cur = [], []
    for f in frames:
        cur.append(f)
        if f.entry:
            groups.append(cur)
            cur = []
    if cur:  # an outermost run without an entry mark: still one eval call
        groups.append(cur)
    return groups


def _handle(thread: gdb.InferiorThread) -> int:
    """pthread_t of a thread (0 without libthread_db)."""
    try:
        return int.from_bytes(thread.handle(), "little")
    except Exception:  # no libthread_db: no handle
        return 0


def os_thread(thread: gdb.InferiorThread, flags: int = 0) -> Tuple[model.OSThread, tuple]:
    """The Python side of a GDB thread (C's lookup by LWP, or by pthread_t
    when the decoder does not know LWPs) and its interpreter's version,
    from the snapshot of the thread's inferior at this stop."""
    snap = target.snapshot(thread.inferior, flags)
    _pid, lwp, tid = thread.ptid
    native = lwp or tid
    ost = snap.os_thread(native, 0)
    if not ost.stacks:
        ost = snap.os_thread(native, _handle(thread))
    return ost, version_tuple(ost.python_version)


def python_groups(thread: gdb.InferiorThread, flags: int = 0) -> List[List[model.Frame]]:
    """Runs of Python frames per native eval call for thread, innermost
    first (see group_frames)."""
    ost, version = os_thread(thread, flags)
    groups = []
    for st in ost.stacks:
        groups.extend(group_frames(st.frames, version))
    return groups


def live_cwd(inf: gdb.Inferior) -> Optional[str]:
    """The working directory of a live local inferior (relative
    co_filenames are relative to it), None for cores and remote targets."""
    try:
        if target.connection_type(inf) == "native" and inf.pid > 0:
            return os.readlink("/proc/%d/cwd" % inf.pid)
    except Exception:  # gone, or not ours to read
        pass
    return None


def source_path(path: str, cwd: Optional[str]) -> str:
    """co_filename made absolute where it names a file relative to the
    process's working directory (frontends open it); pseudo files
    ("<string>", "<frozen ...>") are left alone."""
    if not path or path.startswith("<") or os.path.isabs(path) or not cwd:
        return path
    full = os.path.normpath(os.path.join(cwd, path))
    return full if os.path.exists(full) else path


class StackFrame:
    """One frame of an interleaved stack. level is the GDB frame level it
    belongs to (a Python frame: the level of the eval frame that runs it);
    python tells the kinds apart. A native frame has pc, name (None without
    a symbol), file/fullname/line from GDB's line table, lib (the object
    file holding pc) and interp (it is code of the interpreter itself). A
    Python frame has frame (model.Frame), pyindex (its place among the
    thread's Python frames, as py-up counts) and fullname (its absolute
    source path where it can be made)."""

    __slots__ = ("level", "python", "pc", "name", "file", "fullname", "line", "lib", "interp",
                 "frame", "pyindex", "outer")

    def __init__(self, level: int, python: bool):
        self.level, self.python = level, python
        self.pc: Optional[int] = None
        self.name: Optional[str] = None
        self.file: Optional[str] = None
        self.fullname: Optional[str] = None
        self.line = 0
        self.lib: Optional[str] = None
        self.interp = False
        self.frame: Optional[model.Frame] = None
        self.pyindex = -1
        self.outer = False  # a Python frame after the first of its eval call's run


class Stack:
    """A thread's interleaved stack: frames (innermost first), the OS
    thread's Python side, and what could not be placed: python_left
    (Python frames no eval frame was found for, appended at the end),
    truncated (why the Python stack was cut, with how to see more) and
    python_error (why the process's Python could not be read: the native
    frames alone then)."""

    def __init__(self, frames: List[StackFrame], ost: model.OSThread, python_left: int,
                 python_error: Optional[str] = None):
        self.frames = frames
        self.os_thread = ost
        self.python_left = python_left
        self.python_error = python_error

    @property
    def truncated(self) -> Optional[str]:
        return self.os_thread.truncated


def _strip_target(path: Optional[str]) -> Optional[str]:
    if path and path.startswith("target:"):
        return path[len("target:"):]
    return path


def _interp_object(ost: model.OSThread) -> Optional[str]:
    """The object file that holds the interpreter (libpython, or the
    executable), canonical."""
    path = ost.python_path
    return os.path.realpath(path) if path else None


def _native(f: gdb.Frame, level: int, progspace, interp_obj: Optional[str],
            cache: Dict[str, bool]) -> StackFrame:
    sf = StackFrame(level, False)
    try:
        sf.pc = f.pc()
    except gdb.error:
        sf.pc = None
    try:
        sf.name = f.name()
    except gdb.error:
        sf.name = None
    try:
        sal = f.find_sal()
        if sal.symtab is not None:
            sf.file = sal.symtab.filename
            sf.fullname = sal.symtab.fullname()
            sf.line = sal.line
    except gdb.error:
        pass
    if sf.pc is not None:
        lib = _strip_target(progspace.solib_name(sf.pc)) or _strip_target(progspace.filename)
        sf.lib = lib
        if lib and interp_obj:
            if lib not in cache:
                cache[lib] = os.path.realpath(lib) == interp_obj
            sf.interp = cache[lib]
    return sf


def _python(fr: model.Frame, level: int, pyindex: int, cwd: Optional[str],
            outer: bool) -> StackFrame:
    sf = StackFrame(level, True)
    sf.frame = fr
    sf.pyindex = pyindex
    sf.outer = outer
    sf.name = fr.qualname if not fr.error else None
    sf.file = fr.file or None
    sf.fullname = source_path(fr.file, cwd) if fr.file else None
    sf.line = fr.line
    return sf


def thread_stack(thread: gdb.InferiorThread, flags: int = 0) -> Stack:
    """The interleaved stack of `thread`, which must be the selected one
    (GDB unwinds the selected thread). A thread without Python, or of a
    process whose Python cannot be read (python_error), gets its native
    frames."""
    error = None
    try:
        ost, version = os_thread(thread, flags)
    except target.TargetError as e:  # no Python (yet): the native frames
        ost, version, error = model.OSThread(None, 0, "{}"), (0, 0), str(e)
    groups: List[List[model.Frame]] = []
    for st in ost.stacks:
        groups.extend(group_frames(st.frames, version))
    interp_obj = _interp_object(ost)
    cwd = live_cwd(thread.inferior) if ost.stacks else None
    progspace = thread.inferior.progspace
    cache: Dict[str, bool] = {}
    out: List[StackFrame] = []
    pyindex = 0
    f: Optional[gdb.Frame] = gdb.newest_frame()
    level = 0
    while f is not None and level < NATIVE_FRAMES_MAX:
        name = None
        try:
            name = f.name()
        except gdb.error:
            pass
        if is_eval_name(name) and groups:
            run = groups.pop(0)
            for i, fr in enumerate(run):
                out.append(_python(fr, level, pyindex, cwd, i > 0))
                pyindex += 1
            out[-len(run)].pc = f.pc()
        else:
            out.append(_native(f, level, progspace, interp_obj, cache))
        try:
            f = f.older()
        except gdb.error:  # GDB could not unwind further: the stack ends
            f = None
        level += 1
    left = 0
    for run in groups:  # no eval frame found for them (an unwinding failure)
        for fr in run:
            out.append(_python(fr, level - 1, pyindex, cwd, True))
            pyindex += 1
            left += 1
    return Stack(out, ost, left, error)
