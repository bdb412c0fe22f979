# SPDX-License-Identifier: MIT
"""Python frames in GDB's backtrace: a frame filter ("pyxray", global,
enabled) that shows, in place of each native `_PyEval_EvalFrameDefault`
frame, the Python frames it runs, for `bt` and MI `-stack-list-frames`.

The Python frames come from the stop's one snapshot (target.snapshot()),
taken only once a stack reaches an eval frame. Eval frames are recognised by
name (minimal symbols suffice: stripped builds work) and matched in order,
innermost first, to the thread's runs of Python frames (group_frames).
`disable frame-filter global pyxray` or `bt -no-filters` gives the native
stack; on any failure the native frames are shown unchanged.

One eval frame can run several Python frames (3.11+). The innermost of them
decorates the native frame, keeping its level and pc; the others are that
frame's elided frames, which GDB prints indented under it, without a level
or an address, and MI puts in the frame's `children` list. Each native frame
thus stays one frame, so levels, `bt N`, `bt -N`, `frame N` and MI
`-stack-list-frames LOW HIGH` mean what they mean without the filter.

MI: GDB (13 to at least 15, gdb/python/py-framefilter.c) prints `level`,
`addr`, `func`, `file`, `line` and `arch` for a filtered frame and never
`fullname`, for native frames too. `file` is what filename() returns, so it
is made absolute for Python frames (co_filename joined to a live process's
working directory when relative), which is what a frontend that falls back
to `file` needs to open the source.
"""
from __future__ import annotations

import itertools
import os

import gdb
from gdb.FrameDecorator import FrameDecorator

from . import target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Iterable, Iterator, List, Optional

# The C function that runs Python bytecode. 3.6-3.8 may also show
# PyEval_EvalFrameEx, a wrapper that calls it through interp->eval_frame
# (usually a tail call, absent from the stack): it runs no frame of its own,
# so it is not counted. GCC may split off a `.cold` part.
EVAL_FUNCTION = "_PyEval_EvalFrameDefault"


def is_eval_name(name: Optional[str]) -> bool:
    """Whether a native function name is CPython's eval loop."""
    if not name:
        return False
    return name == EVAL_FUNCTION or name.startswith(EVAL_FUNCTION + ".")


def _version(text: str) -> tuple:
    parts = []
    for p in text.split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, p))
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def group_frames(frames: List[dict], version: tuple) -> List[List[dict]]:
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
        if f.get("entry"):
            groups.append(cur)
            cur = []
    if cur:  # an outermost run without an entry mark: still one eval call
        groups.append(cur)
    return groups


def _thread_stacks(data: dict, thread: "gdb.InferiorThread") -> List[List[dict]]:
    """The Python stacks of one native thread, innermost first: one per
    interpreter that has a thread state on it (a thread that called into a
    sub-interpreter runs the sub-interpreter's frames above its own, so
    sub-interpreters come first, the newest first)."""
    _pid, lwp, tid = thread.ptid
    native = lwp or tid
    handle = None
    found = []
    for proc in data.get("processes", []):
        for interp in proc.get("interpreters", []):
            for t in interp.get("threads", []):
                match = native and t.get("tid") == native
                if not match and t.get("tid", -1) <= 0:
                    # No LWP from the decoder: compare pthread_t instead.
                    if handle is None:
                        try:
                            handle = int.from_bytes(thread.handle(), "little")
                        except Exception:  # no libthread_db: no handle
                            handle = 0
                    match = handle and t.get("thread_id") == handle
                if match:
                    found.append((interp.get("main", False), -interp.get("id", 0),
                                  t.get("frames", [])))
    found.sort(key=lambda x: (x[0], x[1]))
    return [frames for _main, _id, frames in found]


def python_groups(thread: "gdb.InferiorThread") -> List[List[dict]]:
    """Runs of Python frames per native eval call for thread, innermost
    first (see group_frames)."""
    snap = target.snapshot()
    _pid, lwp, tid = thread.ptid
    # One thread's frames as data: formatting and parsing the whole snapshot
    # was most of the filter's cost on deep multi-threaded stacks.
    data = snap.thread_data(lwp or tid) if (lwp or tid) else snap.data
    version = (0, 0)
    procs = data.get("processes", [])
    if procs:
        version = _version(procs[0].get("python_version") or "0.0")
    stacks = _thread_stacks(data, thread)
    if not stacks and data is not snap.data:
        # The decoder may not know this thread's LWP (no native id before
        # 3.11 on some targets): match on pthread_t over every thread.
        data = snap.data
        stacks = _thread_stacks(data, thread)
    groups = []
    for frames in stacks:
        groups.extend(group_frames(frames, version))
    return groups


def _source_path(path: str, groups: Optional["_Groups"]) -> str:
    """co_filename made absolute where it names a file relative to the
    process's working directory (MI frontends open `file`; see the module
    docstring); pseudo files ("<string>", "<frozen ...>") are left alone."""
    if not path or path.startswith("<") or os.path.isabs(path) or groups is None:
        return path
    cwd = groups.cwd()
    if not cwd:
        return path
    full = os.path.normpath(os.path.join(cwd, path))
    return full if os.path.exists(full) else path


class PythonFrameDecorator(FrameDecorator):
    """One Python frame shown for a native eval frame.

    function() is the qualified name, filename() the source file (absolute
    where it can be), line() the current line. Arguments and locals are
    not given: `py-locals` reads those. `elided` holds the outer Python
    frames the same eval call runs (3.11+), printed under this one.
    """

    def __init__(self, base, pyframe: dict, groups: Optional["_Groups"] = None,
                 elided: Optional[List["PythonFrameDecorator"]] = None,
                 outer: bool = False):
        super().__init__(base)
        self._py = pyframe
        self._groups = groups
        self._elided = elided
        self._outer = outer

    def address(self):
        # An outer frame of the run has no code address of its own: the
        # eval frame's pc is printed once, on the innermost.
        return None if self._outer else super().address()

    def function(self):
        return self._py.get("qualname") or self._py.get("function") or "???"

    def filename(self):
        path = self._py.get("file")
        return _source_path(path, self._groups) if path else None

    def line(self):
        return self._py.get("line") or None

    def frame_args(self):
        return None

    def frame_locals(self):
        return None

    def elided(self):
        return iter(self._elided) if self._elided else None


# Frames whose missing name means "no symbol" (not a signal or dummy frame).
_PLAIN_TYPES = (gdb.NORMAL_FRAME, gdb.INLINE_FRAME, gdb.TAILCALL_FRAME)


class _UnnamedFrame(FrameDecorator):
    """A native frame without a symbol. GDB's base decorator hands GDB the
    pc, which prints as an empty name once any filter runs; say "??" as
    the unfiltered backtrace does."""

    def function(self):
        return "??"


def _live_cwd(inf) -> Optional[str]:
    """The working directory of a live local inferior (relative
    co_filenames are relative to it), None for cores and remote targets."""
    try:
        if target.connection_type(inf) == "native" and inf.pid > 0:
            return os.readlink("/proc/%d/cwd" % inf.pid)
    except Exception:  # gone, or not ours to read
        pass
    return None


class _Groups:
    """The thread's runs of Python frames, taken on first need: a stack
    without an eval frame (or a `bt 3` that stops before one) never takes a
    snapshot."""

    def __init__(self, thread):
        self._thread = thread
        self._groups: Optional[List[List[dict]]] = None
        self._cwd: Optional[str] = None
        self._cwd_read = False

    def _load(self) -> List[List[dict]]:
        if self._groups is None:
            self._groups = []
            try:
                self._groups = python_groups(self._thread)
            except Exception:  # no Python here, or unreadable: native frames
                self._groups = []
        return self._groups

    def cwd(self) -> Optional[str]:
        """The live process's working directory, read once, when a
        relative file name first needs it (readlink on a stopped process
        can take milliseconds)."""
        if not self._cwd_read:
            self._cwd_read = True
            self._cwd = _live_cwd(gdb.selected_inferior())
        return self._cwd

    def pop(self) -> Optional[List[dict]]:
        groups = self._load()
        return groups.pop(0) if groups else None


def _inner_eval_frames(level: int) -> int:
    """How many eval frames are newer than frame `level`: MI's
    -stack-list-locals/-variables run the filters from the selected frame,
    and those frames' Python runs are not this one's."""
    n, f = 0, gdb.newest_frame()
    while f is not None and f.level() < level:
        if is_eval_name(f.name()):
            n += 1
        f = f.older()
    return n


def decorate(frame_iter: Iterable, thread) -> Iterator:
    """frame_iter with each native eval frame replaced by its Python
    frames. Never raises: anything unexpected yields the native frames."""
    groups = _Groups(thread)
    first = True
    it = iter(frame_iter)
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except Exception:  # GDB could not unwind further: end the stack
            return
        try:
            frame = item.inferior_frame()
            if first:
                first = False
                if frame.level() > 0:
                    for _ in range(_inner_eval_frames(frame.level())):
                        groups.pop()
            name = frame.name()
            if not is_eval_name(name):
                if name is None and frame.type() in _PLAIN_TYPES:
                    item = _UnnamedFrame(item)
                yield item
                continue
            run = groups.pop()
            if not run:
                yield item
                continue
            outer = [PythonFrameDecorator(item, f, groups, outer=True)
                     for f in run[1:]]
            yield PythonFrameDecorator(item, run[0], groups, outer)
        except Exception:  # keep the native frame
            yield item


class PyxrayFrameFilter:
    """Shows Python frames in place of CPython's eval-loop frames."""

    def __init__(self):
        self.name = "pyxray"
        self.priority = 100
        self.enabled = True

    def filter(self, frame_iter):
        try:
            thread = gdb.selected_thread()
        except Exception:
            thread = None
        if thread is None:
            return frame_iter
        return decorate(frame_iter, thread)


_filter: Optional[PyxrayFrameFilter] = None


def register() -> PyxrayFrameFilter:
    """Installs the filter in gdb.frame_filters (a reload replaces it)."""
    global _filter
    if _filter is None:
        _filter = PyxrayFrameFilter()
    gdb.frame_filters[_filter.name] = _filter
    return _filter


register()
