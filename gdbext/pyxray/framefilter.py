# SPDX-License-Identifier: MIT
"""Python frames in GDB's backtrace: a frame filter ("pyxray", global,
enabled) that shows, in place of each native `_PyEval_EvalFrameDefault`
frame, the Python frames it runs, with their arguments, for `bt` and MI
`-stack-list-frames`.

A peer of commands.py and mi.py: the Python frames come from the stop's one
snapshot (stacks.python_groups), taken only once a stack reaches an eval
frame, and are matched to eval frames as stacks.py describes. `disable
frame-filter global pyxray` or `bt -no-filters` gives the native stack; on
any failure the native frames are shown unchanged.

One eval frame can run several Python frames (3.11+). The innermost of them
decorates the native frame, keeping its level and pc; the others are that
frame's elided frames, which GDB prints indented under it, without a level
or an address, and MI puts in the frame's `children` list. Each native frame
thus stays one frame, so levels, `bt N`, `bt -N`, `frame N` and MI
`-stack-list-frames LOW HIGH` mean what they mean without the filter.

Arguments (`set pyxray frame-arguments`, on by default) are the frame's
locals of kind "arg" with the C decoder's bounded reprs, printed bare (as
python-gdb.py's py-bt does) through a pretty-printer for the values this
filter makes. Of a stack deeper than `set pyxray max-frames` the innermost
and outermost frames show, with a line where the others were left out.

MI: GDB (13 to at least 15, gdb/python/py-framefilter.c) prints `level`,
`addr`, `func`, `file`, `line` and `arch` for a filtered frame and never
`fullname`, for native frames too. `file` is what filename() returns, so it
is made absolute for Python frames. Frontends that need `fullname` and the
frame mapping use -py-stack-list-frames (mi.py) instead.
"""
from __future__ import annotations

import gdb
from gdb.FrameDecorator import FrameDecorator

from . import _lib, model, settings, stacks
from .stacks import python_groups

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, Iterable, Iterator, List, Optional

# ---- argument values printed bare ----

# Values made here carry a key into _REPRS and this unusual type; the
# pretty-printer below prints them as the repr they stand for.
_REPRS: Dict[int, str] = {}
_KEY_BASE = 0x7079780000000000  # "pyx" in the top bytes: no real pointer
_value_type = None


def _marker_type():
    global _value_type
    if _value_type is None:
        _value_type = gdb.lookup_type("char").pointer().pointer().const().volatile()
    return _value_type


class _ReprPrinter:
    def __init__(self, text: str):
        self.text = text

    def to_string(self) -> str:
        return self.text


def _lookup_printer(val: gdb.Value):
    if not _REPRS:
        return None
    try:
        if val.type.code != gdb.TYPE_CODE_PTR or str(val.type) != str(_marker_type()):
            return None
        text = _REPRS.get(int(val))
    except (gdb.error, RuntimeError, ValueError):
        return None
    return _ReprPrinter(text) if text is not None else None


_REPRS_MAX = 1 << 20  # values made between two stops (each bt makes more)


def _repr_value(text: str) -> gdb.Value:
    if len(_REPRS) >= _REPRS_MAX:
        _REPRS.clear()
    key = _KEY_BASE + len(_REPRS)
    _REPRS[key] = text
    return gdb.Value(key).cast(_marker_type())


def _forget_reprs(*_args) -> None:
    _REPRS.clear()


class _Arg:
    """An argument as GDB's frame-filter API wants it."""

    def __init__(self, name: str, value: gdb.Value):
        self._name, self._value = name, value

    def symbol(self) -> str:
        return self._name

    def value(self) -> gdb.Value:
        return self._value


# ---- decorators ----

class PythonFrameDecorator(FrameDecorator):
    """One Python frame (model.Frame) shown for a native eval frame.

    function() is the qualified name, filename() the source file (absolute
    where it can be), line() the current line, frame_args() its arguments
    when the snapshot has locals. `elided` holds the outer Python frames
    the same eval call runs (3.11+), printed under this one.
    """

    def __init__(self, base, pyframe, groups: Optional["_Groups"] = None,
                 elided: Optional[List[FrameDecorator]] = None, outer: bool = False):
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
        if self._py.error:
            return "???"
        return model.printable(self._py.qualname or self._py.function or "???")

    def filename(self):
        path = self._py.file
        if not path:
            return None
        return model.printable(stacks.source_path(path,
                                                  self._groups.cwd() if self._groups else None))

    def line(self):
        return self._py.line or None

    def frame_args(self):
        args = self._py.arguments
        if not args:
            return None
        return [_Arg(model.printable(a.name),
                     _repr_value(model.printable(a.repr) if a.repr is not None
                                 else "<unreadable>"))
                for a in args]

    def frame_locals(self):
        return None

    def elided(self):
        return iter(self._elided) if self._elided else None


class _NoteDecorator(FrameDecorator):
    """A line saying how many Python frames of a deep stack were left out
    there, and how to see them."""

    def __init__(self, base, text: str, elided: Optional[List[FrameDecorator]] = None):
        super().__init__(base)
        self._text = text
        self._elided = elided

    def address(self):
        return None if not self._elided else super().address()

    def function(self):
        return self._text

    def filename(self):
        return None

    def line(self):
        return None

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


class _Groups:
    """The thread's runs of Python frames, taken on first need: a stack
    without an eval frame (or a `bt 3` that stops before one) never takes a
    snapshot."""

    def __init__(self, thread):
        self._thread = thread
        self._groups: Optional[List[list]] = None
        self._cwd: Optional[str] = None
        self._cwd_read = False

    def _load(self) -> List[list]:
        if self._groups is None:
            self._groups = []
            flags = _lib.SNAP_LOCALS if settings.frame_arguments() else 0
            try:
                self._groups = python_groups(self._thread, flags)
            except Exception:  # no Python here, or unreadable: native frames
                self._groups = []
        return self._groups

    def cwd(self) -> Optional[str]:
        """The live process's working directory, read once, when a
        relative file name first needs it (readlink on a stopped process
        can take milliseconds)."""
        if not self._cwd_read:
            self._cwd_read = True
            self._cwd = stacks.live_cwd(gdb.selected_inferior())
        return self._cwd

    def pop(self) -> Optional[list]:
        groups = self._load()
        return groups.pop(0) if groups else None


def _inner_eval_frames(level: int) -> int:
    """How many eval frames are newer than frame `level`: MI's
    -stack-list-locals/-variables run the filters from the selected frame,
    and those frames' Python runs are not this one's."""
    n, f = 0, gdb.newest_frame()
    while f is not None and f.level() < level:
        if stacks.is_eval_name(f.name()):
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
            if not stacks.is_eval_name(name):
                if name is None and frame.type() in _PLAIN_TYPES:
                    item = _UnnamedFrame(item)
                yield item
                continue
            run = groups.pop()
            if not run:
                yield item
                continue
            decorated = [_NoteDecorator(item, settings.omitted_text(x.count))
                         if isinstance(x, stacks.Omitted)
                         else PythonFrameDecorator(item, x, groups, outer=i > 0)
                         for i, x in enumerate(run)]
            if isinstance(decorated[0], _NoteDecorator):
                decorated[0] = _NoteDecorator(item, decorated[0].function(), elided=decorated[1:])
                yield decorated[0]
                continue
            decorated[0] = PythonFrameDecorator(item, run[0], groups, decorated[1:])
            yield decorated[0]
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


def install() -> PyxrayFrameFilter:
    """Installs the filter in gdb.frame_filters (a reload replaces it) and
    the printer of its argument values."""
    global _filter
    if _filter is None:
        _filter = PyxrayFrameFilter()
        gdb.pretty_printers.append(_lookup_printer)
        for name in ("cont", "stop", "exited"):
            getattr(gdb.events, name).connect(_forget_reprs)
    gdb.frame_filters[_filter.name] = _filter
    return _filter
