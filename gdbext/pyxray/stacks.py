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

from . import model, settings, target

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


class Omitted:
    """Where frames of a deep stack were left out (the innermost and the
    outermost ends are kept): `count` frames, in a run or as an eval
    frame's whole content."""

    __slots__ = ("count",)

    def __init__(self, count: int):
        self.count = count


def _split(ost: model.OSThread) -> Tuple[List[model.Frame], List[model.Frame], int]:
    """The OS thread's Python frames in call order as the kept inner part,
    the kept outer part and the number left out between them (every gap
    counted there: the stacks of several interpreters rarely all go
    deep)."""
    inner: List[model.Frame] = []
    outer: List[model.Frame] = []
    omitted = 0
    for st in ost.stacks:
        at = min(max(st.omitted_at, 0), len(st.frames)) if st.omitted else len(st.frames)
        if not omitted and not st.omitted:
            inner.extend(st.frames)
            continue
        (outer if omitted else inner).extend(st.frames[:at])
        outer.extend(st.frames[at:])
        omitted += st.omitted
    return inner, outer, omitted


def runs(ost: model.OSThread, version: tuple,
         n_eval: Optional[int] = None) -> List[List[object]]:
    """What each native eval frame of the thread runs, innermost first: a
    list per eval frame of model.Frame (and Omitted where frames were left
    out). Without a gap these are group_frames' runs. With one, the inner
    runs go to the innermost eval frames and the outer runs to the
    outermost of n_eval (the number of eval frames GDB sees): an eval frame
    in between shows the count left out, and when the two ends share an
    eval frame (3.11+ recursion inside one eval call), its run is the inner
    end, the count, then the outer end."""
    inner, outer, omitted = _split(ost)
    if not omitted:
        return [list(g) for g in group_frames(inner, version)]
    gi = [list(g) for g in group_frames(inner, version)]
    go = [list(g) for g in group_frames(outer, version)]
    note = Omitted(omitted)
    if n_eval is None:
        n_eval = len(gi) + len(go) + 1
    if len(gi) + len(go) <= n_eval:
        middle = n_eval - len(gi) - len(go)
        if middle:
            return gi + [[note]] + [[]] * (middle - 1) + go
        if gi:
            gi[-1].append(note)
        elif go:
            go[0].insert(0, note)
        return gi + go
    # More runs than eval frames: the inner end's last run and the outer
    # end's first one are the same eval call.
    if gi and go:
        merged = gi[-1] + [note] + go[0]
        return gi[:-1] + [merged] + go[1:]
    return gi + [[note]] + go


def count_eval_frames(limit: int = 0) -> int:
    """How many eval frames the selected thread's native stack has (GDB
    unwinds it; at most `limit` frames looked at, 0: NATIVE_FRAMES_MAX)."""
    n, seen = 0, 0
    f: Optional[gdb.Frame] = gdb.newest_frame()
    limit = limit or NATIVE_FRAMES_MAX
    while f is not None and seen < limit:
        try:
            if is_eval_name(f.name()):
                n += 1
            f = f.older()
        except gdb.error:
            break
        seen += 1
    return n


def python_groups(thread: gdb.InferiorThread, flags: int = 0) -> List[List[object]]:
    """What each native eval frame of thread runs, innermost first (see
    runs): the eval frames are counted only when a deep stack left frames
    out (the thread must then be the selected one)."""
    ost, version = os_thread(thread, flags)
    return runs(ost, version, count_eval_frames() if ost.omitted else None)


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
    source path where it can be made). A Python row with `omitted` set
    stands for that many frames of a deep stack left out (frame None)."""

    __slots__ = ("level", "python", "pc", "name", "file", "fullname", "line", "lib", "interp",
                 "frame", "pyindex", "outer", "omitted")

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
        self.omitted = 0  # a Python row that stands for this many frames left out


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


def _omitted(item: Omitted, level: int, outer: bool) -> StackFrame:
    sf = StackFrame(level, True)
    sf.omitted = item.count
    sf.name = settings.omitted_text(item.count)
    sf.outer = outer
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
    interp_obj = _interp_object(ost)
    cwd = ost.cwd or (live_cwd(thread.inferior) if ost.stacks else None)
    progspace = thread.inferior.progspace
    cache: Dict[str, bool] = {}
    # The native frames first: matching a deep stack's outer end to the
    # outermost eval frames needs their count.
    natives: List[Tuple[gdb.Frame, Optional[str]]] = []
    f: Optional[gdb.Frame] = gdb.newest_frame()
    while f is not None and len(natives) < NATIVE_FRAMES_MAX:
        name = None
        try:
            name = f.name()
        except gdb.error:
            pass
        natives.append((f, name))
        try:
            f = f.older()
        except gdb.error:  # GDB could not unwind further: the stack ends
            f = None
    n_eval = sum(1 for _f, name in natives if is_eval_name(name))
    plan = runs(ost, version, n_eval)
    out: List[StackFrame] = []
    pyindex = 0
    for level, (f, name) in enumerate(natives):
        run = plan.pop(0) if is_eval_name(name) and plan else None
        if not run:
            out.append(_native(f, level, progspace, interp_obj, cache))
            continue
        first = len(out)
        for item in run:
            if isinstance(item, Omitted):
                out.append(_omitted(item, level, len(out) > first))
            else:
                out.append(_python(item, level, pyindex, cwd, len(out) > first))
                pyindex += 1
        out[first].pc = f.pc()
    left = 0
    level = len(natives) - 1
    for run in plan:  # no eval frame found for them (an unwinding failure)
        for item in run:
            if isinstance(item, Omitted):
                out.append(_omitted(item, level, True))
                continue
            out.append(_python(item, level, pyindex, cwd, True))
            pyindex += 1
            left += 1
    return Stack(out, ost, left, error)
