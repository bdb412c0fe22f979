# SPDX-License-Identifier: MIT
"""The one binding to libpyxray (ctypes): the bottom layer of the package,
importing nothing from it and nothing from GDB. Everything the extension
knows about CPython comes through here, in coarse calls (one per snapshot,
per report, per OS thread): the C side reads, decodes and formats, and
hands back JSON or text that is already escaped. model.py builds the
package's objects from it.

Errors from the library become PyxrayError, whose message is the library's
one-line description; commands turn it into gdb.GdbError.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Callable, Dict, List, Optional, Sequence, Tuple
    Reader = Callable[[int, int], Optional[bytes]]


# enum pyx_snapshot_flags / pyx_format_flags (helpers/include/pyxray/snapshot.h)
SNAP_NONBLOCKING = 1 << 0
SNAP_LOCALS = 1 << 1
SNAP_NO_THREAD_NAMES = 1 << 2
SNAP_KEEP_SOURCE = 1 << 3
SNAP_CHILDREN = 1 << 4
SNAP_HELD_BY_CALLER = 1 << 5
SNAP_TASKS = 1 << 6

FMT_LOCALS = 1 << 0
FMT_ADDRS = 1 << 1
FMT_GROUP = 1 << 2
FMT_TRACEBACK = 1 << 3
FMT_SOURCE = 1 << 4
FMT_NO_HEADER = 1 << 5
FMT_NO_FOLD = 1 << 8
FMT_ONLY_TASKS = 1 << 9
FMT_TASKS = 1 << 10

# errors.def
E_FAULT, E_BAD_DATA, E_UNSUPPORTED_VERSION, E_PERM, E_OS, E_NOMEM = 1, 2, 3, 4, 5, 6
E_LIMIT, E_NOT_PYTHON, E_NO_PROCESS, E_EXITED, E_INVALID, E_NOT_FOUND = 7, 8, 9, 10, 11, 12
E_NOT_INITIALIZED, E_INTERRUPTED = 13, 14


class PyxrayError(Exception):
    """A libpyxray failure: .code is the PYX_E_* value, str() the message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


# ctypes and the library's structures are defined on the first call into the
# library (_define_types): importing ctypes is a third of the extension's
# load time, and an installed pyxray loads into every GDB session, most of
# which never decode a Python stack.
ctypes = None
_Error = _Syms = _ProcInfo = _Opts = _PsColumn = _FormatOpts = _Var = READ_FN = None


def _define_types() -> None:
    global ctypes, _Error, _Syms, _ProcInfo, _Opts, _PsColumn, _FormatOpts, _Var, READ_FN
    import ctypes

    class _Error(ctypes.Structure):
        _fields_ = [("code", ctypes.c_int), ("sys_errno", ctypes.c_int),
                    ("addr", ctypes.c_uint64), ("msg", ctypes.c_char * 384)]

    class _Syms(ctypes.Structure):
        _fields_ = [("runtime", ctypes.c_uint64), ("py_version", ctypes.c_uint64),
                    ("tstate_current", ctypes.c_uint64), ("interp_head", ctypes.c_uint64),
                    ("interp_head_fn", ctypes.c_uint64), ("version_hex", ctypes.c_uint32),
                    ("path", ctypes.c_char_p), ("asyncio_debug", ctypes.c_uint64),
                    ("asyncio_debug_size", ctypes.c_uint64)]

    class _ProcInfo(ctypes.Structure):
        _fields_ = [("pid", ctypes.c_int), ("ppid", ctypes.c_int),
                    ("executable", ctypes.c_char_p),
                    ("argv", ctypes.POINTER(ctypes.c_char_p)), ("argc", ctypes.c_size_t),
                    ("tids", ctypes.POINTER(ctypes.c_int)), ("ntids", ctypes.c_size_t)]

    class _Opts(ctypes.Structure):
        _fields_ = [("flags", ctypes.c_uint), ("max_frames", ctypes.c_size_t),
                    ("max_depth", ctypes.c_int), ("stop_timeout_ms", ctypes.c_uint),
                    ("cancel", ctypes.POINTER(ctypes.c_int)), ("max_memory", ctypes.c_size_t),
                    ("debug_dirs", ctypes.c_char_p)]

    class _FormatOpts(ctypes.Structure):
        _fields_ = [("flags", ctypes.c_uint), ("only_tid", ctypes.c_int64),
                    ("frames_hint", ctypes.c_char_p)]

    class _PsColumn(ctypes.Structure):
        _fields_ = [("title", ctypes.c_char_p), ("pids", ctypes.POINTER(ctypes.c_int)),
                    ("values", ctypes.POINTER(ctypes.c_char_p)), ("n", ctypes.c_size_t)]

    class _Var(ctypes.Structure):  # struct pyx_var
        _fields_ = [("name", ctypes.c_char_p), ("repr", ctypes.c_char_p),
                    ("kind", ctypes.c_char_p), ("addr", ctypes.c_uint64),
                    ("nchildren", ctypes.c_uint64), ("indexed", ctypes.c_int)]

    READ_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p,
                               ctypes.c_size_t)


def _library_candidates() -> List[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    names = []
    env = os.environ.get("PYXRAY_LIBRARY")
    if env:
        names.append(env)
    try:
        from . import _config  # written by `make install`
        names.append(_config.LIBRARY)
    except ImportError:
        pass
    # The build tree: gdbext/pyxray -> top/.libs
    top = os.path.dirname(os.path.dirname(here))
    names.append(os.path.join(top, ".libs", "libpyxray.so"))
    names.append("libpyxray.so.0")
    return names


def _load() -> ctypes.CDLL:
    errors = []
    for name in _library_candidates():
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise PyxrayError(E_NOT_FOUND, "cannot load libpyxray (%s); build it with "
                          "'./dev build' or set PYXRAY_LIBRARY" % "; ".join(errors))
    u64, p = ctypes.c_uint64, ctypes.c_void_p
    lib.pyx_snapshot_take_pid.argtypes = [ctypes.c_int, ctypes.POINTER(_Opts),
                                          ctypes.POINTER(p), ctypes.POINTER(_Error)]
    lib.pyx_snapshot_take_reader.argtypes = [READ_FN, p, ctypes.POINTER(_Syms),
                                             ctypes.POINTER(_ProcInfo), ctypes.POINTER(_Opts),
                                             ctypes.POINTER(p), ctypes.POINTER(_Error)]
    lib.pyx_snapshot_destroy.argtypes = [p]
    lib.pyx_snapshot_destroy.restype = None
    lib.pyx_format_string.argtypes = [p, ctypes.c_int, ctypes.c_uint, ctypes.c_int64,
                                      ctypes.POINTER(p), ctypes.POINTER(_Error)]
    lib.pyx_free.argtypes = [p]
    lib.pyx_free.restype = None
    lib.pyx_snapshot_frame.argtypes = [p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_size_t,
                                       ctypes.c_size_t]
    lib.pyx_snapshot_frame.restype = p
    lib.pyx_snapshot_lookup.argtypes = [p, p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
                                        ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(_Error)]
    lib.pyx_snapshot_children.argtypes = [p, p, u64, ctypes.c_size_t, ctypes.c_size_t,
                                          ctypes.POINTER(ctypes.POINTER(_Var)),
                                          ctypes.POINTER(ctypes.c_size_t),
                                          ctypes.POINTER(u64), ctypes.POINTER(_Error)]
    lib.pyx_version.restype = ctypes.c_char_p
    out, err = ctypes.POINTER(p), ctypes.POINTER(_Error)
    lib.pyx_format_source.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                      out, err]
    lib.pyx_format_frame.argtypes = [p, ctypes.c_int, ctypes.c_uint, out, err]
    lib.pyx_format_ps_string.argtypes = [p, ctypes.c_char_p, ctypes.POINTER(_PsColumn), out, err]
    lib.pyx_format_summary.argtypes = [p, ctypes.c_size_t, ctypes.c_char_p, out, err]
    lib.pyx_format_escaped.argtypes = [ctypes.c_char_p, out, err]
    lib.pyx_format_alloc.argtypes = [p, ctypes.c_int, ctypes.POINTER(_FormatOpts), out,
                                     ctypes.POINTER(ctypes.c_size_t), err]
    lib.pyx_format_os_thread.argtypes = [p, ctypes.c_size_t, ctypes.c_int64, u64, ctypes.c_uint,
                                         out, err]
    return lib


_lib: Optional[ctypes.CDLL] = None


def lib() -> ctypes.CDLL:
    """The loaded library; call it before using ctypes or the structures."""
    global _lib
    if _lib is None:
        _define_types()
        _lib = _load()
    return _lib


def _raise(err: _Error) -> None:
    raise PyxrayError(err.code, err.msg.decode("utf-8", "replace"))


def version() -> str:
    return lib().pyx_version().decode()


def _string(call, *args) -> str:
    """Calls a pyx_format_* function that hands back a malloc'd string."""
    out = ctypes.c_void_p()
    err = _Error()
    if call(*args, ctypes.byref(out), ctypes.byref(err)) < 0:
        _raise(err)
    try:
        return ctypes.string_at(out).decode("utf-8", "replace")
    finally:
        lib().pyx_free(out)


def escape(text: Optional[str]) -> str:
    """A string from a target, escaped for a terminal by the library's one
    escaper (pyx_format_escaped)."""
    raw = text.encode("utf-8", "surrogateescape") if text is not None else None
    return _string(lib().pyx_format_escaped, raw)


def source_listing(path: str, first: int, last: int, mark: int = 0) -> str:
    """Lines first..last of a source file, py-list's way (pyx_format_source)."""
    return _string(lib().pyx_format_source, path.encode("utf-8", "surrogateescape"), first,
                   last, mark)


class Snapshot:
    """The C snapshot behind a handle, and the C formatters over it; model.py
    wraps it. Close it (or use `with`) to free the C side; a reader
    callback passed at creation is kept alive until then."""

    def __init__(self, handle: int, keep: Sequence[object] = (),
                 interrupted: Optional[list] = None):
        self._h = ctypes.c_void_p(handle)
        self._keep = list(keep)
        # A reader snapshot's record of a Ctrl-C its callback caught: the
        # reads after it fail, and the call that made them re-raises it.
        self._interrupted = interrupted if interrupted is not None else []

    def _reads(self) -> None:
        """Before a call that reads through the reader: a new call."""
        del self._interrupted[:]

    def _reads_done(self) -> None:
        """After it: a Ctrl-C during its reads is raised here."""
        if self._interrupted:
            e = self._interrupted[0]
            del self._interrupted[:]
            raise e

    def close(self) -> None:
        if self._h:
            lib().pyx_snapshot_destroy(self._h)
            self._h = None
            self._keep = []

    def __enter__(self) -> "Snapshot":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    def _handle(self):
        if not self._h:
            raise PyxrayError(E_INVALID, "the snapshot was closed")
        return self._h

    def _frame(self, ref: Sequence[int]):
        f = lib().pyx_snapshot_frame(self._handle(), *ref)
        if not f:
            raise PyxrayError(E_INVALID, "no such frame")
        return f

    def text(self, flags: int = 0, only_tid: int = -1, frames_hint: Optional[str] = None) -> str:
        """The text report (pyx_format_alloc), of one thread when only_tid >=
        0; frames_hint is quoted where frames were left out (how the user
        reads more)."""
        opts = _FormatOpts(flags, only_tid, frames_hint.encode() if frames_hint else None)
        out, err = ctypes.c_void_p(), _Error()
        if lib().pyx_format_alloc(self._handle(), 0, ctypes.byref(opts), ctypes.byref(out), None,
                                  ctypes.byref(err)) < 0:
            _raise(err)
        try:
            return ctypes.string_at(out).decode("utf-8", "replace")
        finally:
            lib().pyx_free(out)

    def json_text(self, only_tid: int = -1) -> str:
        return _string(lib().pyx_format_string, self._handle(), 1, 0, only_tid)

    def ps_table(self, indent: str = "", title: Optional[str] = None,
                 column: Optional[Dict[int, str]] = None) -> str:
        """pyxray ps's table, with the host's column `title` (pid -> value)."""
        extra = None
        if title is not None:
            items = sorted((column or {}).items())
            pids = (ctypes.c_int * max(len(items), 1))(*[k for k, _ in items])
            values = (ctypes.c_char_p * max(len(items), 1))(*[v.encode() for _, v in items])
            extra = ctypes.byref(_PsColumn(title.encode(), pids, values, len(items)))
        return _string(lib().pyx_format_ps_string, self._handle(), indent.encode(), extra)

    def summary(self, proc: int, label: str) -> str:
        """py-ps's lines for process index proc (pyx_format_summary)."""
        return _string(lib().pyx_format_summary, self._handle(), proc, label.encode())

    def os_thread(self, proc: int, tid: int, thread_id: int = 0) -> str:
        """JSON of the Python stacks OS thread tid runs (pyx_format_os_thread)."""
        return _string(lib().pyx_format_os_thread, self._handle(), proc, tid, thread_id, 0)

    def frame_text(self, ref: Sequence[int], number: int, flags: int) -> str:
        """One frame's line, py-up's way (pyx_format_frame); ref is its
        (process, interpreter, thread, frame) indices."""
        return _string(lib().pyx_format_frame, self._frame(ref), number, flags)

    def lookup(self, ref: Sequence[int], name: str) -> Tuple[str, str]:
        """(scope, repr) of `name` read in the frame at ref: scope is
        "local", "global" or "builtin". Needs SNAP_KEEP_SOURCE. Raises
        PyxrayError (E_NOT_FOUND if unbound)."""
        f = self._frame(ref)
        scope, rep, err = ctypes.c_char_p(), ctypes.c_char_p(), _Error()
        self._reads()
        rc = lib().pyx_snapshot_lookup(self._handle(), f, name.encode(), ctypes.byref(scope),
                                       ctypes.byref(rep), ctypes.byref(err))
        self._reads_done()
        if rc < 0:
            _raise(err)
        return scope.value.decode(), rep.value.decode("utf-8", "replace")

    def children(self, ref: Sequence[int], addr: int, start: int,
                 count: int) -> Tuple[List[dict], int]:
        """Children start..start+count-1 of the object at addr in the
        process of the frame at ref (pyx_snapshot_children), as dicts like
        the JSON's locals (name, kind, repr, addr, children), and how many
        there are. Needs SNAP_KEEP_SOURCE. Raises PyxrayError."""
        f = self._frame(ref)
        rows, n = ctypes.POINTER(_Var)(), ctypes.c_size_t()
        total, err = ctypes.c_uint64(), _Error()
        self._reads()
        rc = lib().pyx_snapshot_children(self._handle(), f, addr, start, count,
                                         ctypes.byref(rows), ctypes.byref(n), ctypes.byref(total),
                                         ctypes.byref(err))
        self._reads_done()
        if rc < 0:
            _raise(err)

        def text(b: Optional[bytes]) -> Optional[str]:
            return b.decode("utf-8", "replace") if b is not None else None

        return [{"name": text(rows[i].name), "kind": text(rows[i].kind),
                 "repr": text(rows[i].repr), "addr": rows[i].addr,
                 "children": rows[i].nchildren, "indexed": bool(rows[i].indexed)} for i in range(n.value)], total.value


def _opts(flags: int, max_frames: int, max_depth: int = 0) -> _Opts:
    return _Opts(flags, max_frames, max_depth)


def snapshot_pid(pid: int, flags: int = SNAP_NONBLOCKING, max_frames: int = 0,
                 max_depth: int = 0) -> Snapshot:
    """Snapshot of a live local process read directly by pid. Inside GDB the
    inferior is already stopped, so the default is not to stop it again.
    With SNAP_CHILDREN its descendants follow (at most max_depth levels, 0:
    all), each stopped while read; SNAP_HELD_BY_CALLER reads GDB's own
    inferiors among them without stopping them."""
    c = lib()
    h, err = ctypes.c_void_p(), _Error()
    opts = _opts(flags, max_frames, max_depth)
    if flags & SNAP_NONBLOCKING:
        rc = c.pyx_snapshot_take_pid(pid, ctypes.byref(opts), ctypes.byref(h),
                                     ctypes.byref(err))
    else:
        rc = _take_interruptibly(c, pid, opts, h, err)
    if rc < 0:
        _raise(err)
    return Snapshot(h.value)


def _take_interruptibly(c: ctypes.CDLL, pid: int, opts: _Opts, h, err: _Error) -> int:
    """A take that stops processes runs in a worker thread (ctypes lets go
    of the GIL), so that Ctrl-C reaches this one as KeyboardInterrupt: it
    raises opts.cancel, the library resumes whatever it stopped and
    returns, and the interrupt goes on up. (An Event, not Thread.join: on
    3.11 a join cut by KeyboardInterrupt marks the thread finished.)"""
    import threading
    cancel = ctypes.c_int(0)
    opts.cancel = ctypes.pointer(cancel)
    rc = []
    done = threading.Event()

    def work() -> None:
        try:
            rc.append(c.pyx_snapshot_take_pid(pid, ctypes.byref(opts), ctypes.byref(h),
                                              ctypes.byref(err)))
        finally:
            done.set()

    threading.Thread(target=work, daemon=True).start()
    try:
        while not done.wait(0.05):
            pass
    except KeyboardInterrupt:
        cancel.value = 1
        done.wait()
        if rc and rc[0] == 0:
            c.pyx_snapshot_destroy(h)
        raise
    return rc[0]


def snapshot_reader(read: Reader, *, runtime: int = 0, py_version: int = 0,
                    tstate_current: int = 0, interp_head: int = 0, interp_head_fn: int = 0,
                    version_hex: int = 0, path: Optional[str] = None, pid: int = 0,
                    ppid: int = 0, executable: Optional[str] = None,
                    argv: Sequence[str] = (), flags: int = 0,
                    max_frames: int = 0, tids: Sequence[int] = (),
                    asyncio_debug: int = 0) -> Snapshot:
    """Snapshot through `read(addr, length) -> bytes or None` (GDB memory
    for cores and remote targets). Symbol addresses are relocated ones.
    tids (the process's LWPs) give threads their native ids before 3.11."""

    interrupted = []

    def c_read(_ctx, addr, buf, length):
        if interrupted:
            return -1
        try:
            data = read(addr, length)
        except Exception:  # any failure to read is a fault for the decoder
            return -1
        except BaseException as e:  # Ctrl-C: stop reading, re-raise below
            interrupted.append(e)
            return -1
        if data is None or len(data) != length:
            return -1
        ctypes.memmove(buf, data, length)
        return 0

    c = lib()
    cb = READ_FN(c_read)
    syms = _Syms(runtime, py_version, tstate_current, interp_head, interp_head_fn, version_hex,
                 path.encode() if path else None, asyncio_debug, 0)
    arr = (ctypes.c_char_p * (len(argv) + 1))(*[a.encode() for a in argv], None)
    tid_arr = (ctypes.c_int * (len(tids) + 1))(*tids)
    info = _ProcInfo(pid, ppid, executable.encode() if executable else None, arr, len(argv),
                     tid_arr, len(tids))
    h, err = ctypes.c_void_p(), _Error()
    opts = _opts(flags, max_frames)
    failed = c.pyx_snapshot_take_reader(cb, None, ctypes.byref(syms), ctypes.byref(info),
                                        ctypes.byref(opts), ctypes.byref(h),
                                        ctypes.byref(err)) < 0
    if interrupted:
        if not failed:
            c.pyx_snapshot_destroy(h)
        raise interrupted[0]
    if failed:
        _raise(err)
    return Snapshot(h.value, keep=(cb, syms, arr, tid_arr, info), interrupted=interrupted)


def core_check_exe(core: str, exe: str) -> Optional[str]:
    """None when exe made the core (or the core cannot tell), else why not:
    pyx_core_check_exe's one line naming the core's executable."""
    fn = lib().pyx_core_check_exe
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Error)]
    err = _Error()
    if fn(os.fsencode(core), os.fsencode(exe), ctypes.byref(err)) == -E_INVALID:
        return err.msg.decode("utf-8", "replace")
    return None
