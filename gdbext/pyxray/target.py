# SPDX-License-Identifier: MIT
"""Which memory a GDB inferior's snapshot comes from, and the snapshot cache:
the layer that turns GDB's inferiors into the model (model.Snapshot).

A live local inferior is read by pid (GDB has already stopped it); a core
file or a remote target is read through GDB (inferior.read_memory), with the
interpreter's symbol addresses taken from GDB's minimal symbols. One
snapshot per inferior is kept until the program runs again, so several
commands at one stop decode once. Errors are TargetError (a gdb.GdbError):
one line, never a traceback.
"""
from __future__ import annotations

import collections
import os
import re

import gdb

from . import _lib, model, settings

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, List, Optional, Tuple

NO_PROCESS = "No process: run the program, attach with 'attach PID', or load a core file"


class TargetError(gdb.GdbError):
    """A one-line failure to read an inferior; .code is a _lib.E_* value (0
    when the failure is GDB's side: no process, missing files)."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


class Entry(collections.namedtuple("Entry", "inferior snapshot error")):
    """One inferior with a process (gdb.Inferior): its snapshot
    (model.Snapshot or None), or why there is none (TargetError or None)."""
    __slots__ = ()


# inferior.num -> (identity, flags, max_frames, snapshot or TargetError)
_cache: Dict[int, Tuple[tuple, int, int, object]] = {}


def invalidate(*_args) -> None:
    """Drops every cached snapshot (the targets ran, or their files changed)."""
    old = list(_cache.values())
    _cache.clear()
    for entry in old:
        if isinstance(entry[3], model.Snapshot):
            entry[3].close()


def _connect_events() -> None:
    events = gdb.events
    for name in ("cont", "stop", "exited", "new_objfile", "clear_objfiles", "new_inferior",
                 "inferior_deleted", "memory_changed", "register_changed", "inferior_call"):
        registry = getattr(events, name, None)
        if registry is not None:
            registry.connect(invalidate)


_connect_events()


def connection_type(inf: gdb.Inferior) -> Optional[str]:
    conn = getattr(inf, "connection", None)
    return conn.type if conn is not None else None


def _strip_target(path: Optional[str]) -> Optional[str]:
    if path and path.startswith("target:"):
        return path[len("target:"):]
    return path


def executable(inf: gdb.Inferior) -> Optional[str]:
    if connection_type(inf) == "native" and inf.pid:
        try:
            return os.readlink("/proc/%d/exe" % inf.pid)
        except OSError:
            pass
    return _strip_target(inf.progspace.filename)


def describe(inf: gdb.Inferior) -> str:
    """"inferior 1 (pid 42, /usr/bin/sleep)": how errors name an inferior
    (the path escaped: it is the target's)."""
    what = "pid %d" % inf.pid
    if connection_type(inf) == "core":
        what = "core of pid %d" % inf.pid
    exe = executable(inf)
    return "inferior %d (%s%s)" % (inf.num, what, ", " + model.printable(exe) if exe else "")


def _symbol(name: str) -> int:
    """Relocated address of a (minimal) symbol in the selected inferior, 0 if
    GDB knows none."""
    try:
        return int(gdb.parse_and_eval("(unsigned long)&'%s'" % name))
    except gdb.error:
        return 0


class _Selection:
    """Selects an inferior for symbol lookups and reads; restores the
    user's inferior, thread and frame afterwards."""

    def __init__(self, inf: gdb.Inferior):
        self.inf = inf
        self.user_inf = gdb.selected_inferior()
        self.thread = gdb.selected_thread()
        self.frame = None

    def __enter__(self):
        if self.user_inf == self.inf:
            return self
        try:
            self.frame = gdb.selected_frame()
        except gdb.error:
            self.frame = None
        threads = self.inf.threads()
        if threads:
            threads[0].switch()
        else:
            gdb.execute("inferior %d" % self.inf.num, to_string=True)
        return self

    def __exit__(self, *exc):
        if self.user_inf == self.inf:
            return
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
            if self.frame is not None and self.frame.is_valid():
                self.frame.select()
        elif self.user_inf.is_valid():  # an inferior without threads
            gdb.execute("inferior %d" % self.user_inf.num, to_string=True)


def _mapped_files(inf: gdb.Inferior) -> List[str]:
    """Files the process had mapped, from GDB's 'info proc mappings' (the
    core's NT_FILE note; the remote /proc), in address order."""
    try:
        text = gdb.execute("info proc mappings", to_string=True)
    except gdb.error:
        return []
    files = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0].startswith("0x") and fields[-1].startswith("/"):
            if fields[-1] not in files:
                files.append(fields[-1])
    return files


def _loaded_files() -> List[str]:
    names = []
    for objfile in gdb.objfiles():
        if objfile.filename:
            names.append(_strip_target(objfile.filename))
    return names


def _missing_files_error(inf: gdb.Inferior) -> Optional[TargetError]:
    """For a core or remote target without Python symbols: the executable or
    libpython GDB could not find, and the setting that fixes it."""
    mapped = _mapped_files(inf)
    if not inf.progspace.filename:
        exe = mapped[0] if mapped else "the program's executable"
        return TargetError("%s has no executable loaded: load it with 'file %s'"
                           % (describe(inf), model.printable(exe)))
    loaded = set(_loaded_files())
    loaded_base = {p.rsplit("/", 1)[-1] for p in loaded}

    def missing(path: str) -> bool:
        return path not in loaded and path.rsplit("/", 1)[-1] not in loaded_base

    if mapped and missing(mapped[0]):
        shown = model.printable(mapped[0])
        return TargetError("%s was %s, but GDB has %s loaded: load it with 'file %s'"
                           % (describe(inf), shown, model.printable(inf.progspace.filename),
                              shown))
    for path in mapped:
        base = path.rsplit("/", 1)[-1]
        if re.match(r"(lib)?python\d", base) and missing(path):
            return TargetError("%s needs %s, which GDB did not load: point 'set sysroot' or "
                               "'set solib-search-path' at a directory that holds it"
                               % (describe(inf), model.printable(path)))
    return None


def _argv(inf: gdb.Inferior) -> List[str]:
    """The command line GDB reports for a core (its psargs, at most 80
    characters) or a remote process."""
    try:
        text = gdb.execute("info proc cmdline", to_string=True)
    except gdb.error:
        return []
    m = re.search(r"cmdline = '(.*)'", text)
    if not m:
        try:
            text = gdb.execute("info proc", to_string=True)
        except gdb.error:
            return []
        m = re.search(r"exe = '(.*)'", text)
    return m.group(1).split() if m else []


def _take_reader(inf: gdb.Inferior, flags: int, max_frames: int) -> _lib.Snapshot:
    # With the inferior selected: GDB 13's Inferior.read_memory reads the
    # selected inferior's memory, and symbols resolve in its program space.
    with _Selection(inf):
        runtime = _symbol("_PyRuntime")
        py_version = _symbol("Py_Version")
        tstate_current = interp_head_fn = 0
        if not runtime:
            tstate_current = _symbol("_PyThreadState_Current")
            interp_head_fn = _symbol("PyInterpreterState_Head")
        anchor = runtime or tstate_current
        if not anchor:
            missing = _missing_files_error(inf)
            raise missing or TargetError("%s has no Python interpreter" % describe(inf),
                                         _lib.E_NOT_PYTHON)
        path = _strip_target(inf.progspace.solib_name(anchor) or inf.progspace.filename)
        # The loader's name, "$ORIGIN/../lib/..." expanded: shown as the
        # kernel names the mapping (the live CLI's and a core's NT_FILE name).
        path = path and os.path.normpath(path)

        # 3.14+: the _asyncio module's offsets (its .AsyncioDebug section),
        # when GDB knows the symbol; the table serves otherwise.
        asyncio_debug = 0
        if flags & _lib.SNAP_TASKS:
            asyncio_debug = _symbol("_AsyncioDebug") or _symbol("_Py_AsyncioDebug")

        def read(addr: int, length: int) -> bytes:
            # Later reads (a frame's children, a name looked up) may come
            # while another inferior is selected: read this one's.
            if gdb.selected_inferior() != inf:
                with _Selection(inf):
                    return inf.read_memory(addr, length).tobytes()
            return inf.read_memory(addr, length).tobytes()

        return _lib.snapshot_reader(
            read, runtime=runtime, py_version=py_version, tstate_current=tstate_current,
            interp_head_fn=interp_head_fn,
            path=path,
            pid=inf.pid, executable=executable(inf), argv=_argv(inf), flags=flags,
            max_frames=max_frames, tids=[t.ptid[1] for t in inf.threads()],
            asyncio_debug=asyncio_debug)


def _core_file() -> Optional[str]:
    """The core file GDB has loaded ("Local core dump file:" in 'info files')."""
    try:
        text = gdb.execute("info files", to_string=True)
    except gdb.error:
        return None
    m = re.search(r"Local core dump file:\s*`(.*)', file type", text)
    return m.group(1) if m else None


def _other_executable_error(inf: gdb.Inferior) -> Optional[TargetError]:
    """For a core read with the wrong executable loaded (another build, or
    another Python whose symbols point at memory the core does not hold):
    which executable made it, from the build-ids in the core and the file."""
    exe = _strip_target(inf.progspace.filename)
    core = _core_file() if connection_type(inf) == "core" and exe else None
    why = _lib.core_check_exe(core, exe) if core else None
    if why is None:
        return None
    mapped = _mapped_files(inf)
    fix = "load it with 'file %s'" % mapped[0] if mapped else "load that executable with 'file'"
    return TargetError("%s: %s: %s" % (describe(inf), why, fix))


def _take(inf: gdb.Inferior, flags: int, max_frames: int) -> model.Snapshot:
    try:
        if connection_type(inf) == "native":
            raw = _lib.snapshot_pid(inf.pid, flags | _lib.SNAP_NONBLOCKING, max_frames)
        else:
            raw = _take_reader(inf, flags, max_frames)
        return model.Snapshot(raw, flags)
    except _lib.PyxrayError as e:
        other = _other_executable_error(inf)
        if other is not None:
            raise other
        if e.code == _lib.E_NOT_PYTHON:
            raise TargetError("%s has no Python interpreter" % describe(inf), e.code)
        raise TargetError(str(e), e.code)


def _identity(inf: gdb.Inferior) -> tuple:
    conn = getattr(inf, "connection", None)
    return (inf.pid, conn.num if conn is not None else None, inf.progspace.filename)


def snapshot(inferior: Optional[gdb.Inferior] = None, flags: int = 0,
             max_frames: int = 0) -> model.Snapshot:
    """The snapshot of `inferior` (default: the selected one) at this stop,
    decoded at most once per stop for a given set of flags: a request for
    flags the cached snapshot lacks retakes it with both. max_frames 0:
    the `set pyxray max-frames` setting. Raises TargetError."""
    inf = inferior or gdb.selected_inferior()
    max_frames = max_frames or settings.max_frames()
    if not inf.pid:
        raise TargetError(NO_PROCESS)
    ident = _identity(inf)
    cached = _cache.get(inf.num)
    if cached is not None and cached[0] == ident and cached[2] == max_frames:
        if isinstance(cached[3], TargetError):
            raise cached[3]
        if cached[1] & flags == flags:
            return cached[3]
        flags |= cached[1]
    try:
        snap = _take(inf, flags, max_frames)
    except TargetError as e:
        if cached is None or not isinstance(cached[3], model.Snapshot):
            _store(inf, (ident, flags, max_frames, e))  # a good one stays
        raise
    _store(inf, (ident, flags, max_frames, snap))
    return snap


def _store(inf: gdb.Inferior, entry: tuple) -> None:
    old = _cache.get(inf.num)
    _cache[inf.num] = entry
    if old is not None and isinstance(old[3], model.Snapshot) and old[3] is not entry[3]:
        old[3].close()


def python_inferiors(flags: int = 0, max_frames: int = 0) -> List[Entry]:
    """Every inferior that has a process (live, core or remote), in GDB's
    order, each with its snapshot or its error. Raises TargetError when no
    inferior has a process, or none could be read (then with their errors,
    on one line)."""
    out = []
    for inf in gdb.inferiors():
        if not inf.pid:
            continue
        try:
            out.append(Entry(inf, snapshot(inf, flags, max_frames), None))
        except TargetError as e:
            out.append(Entry(inf, None, e))
    if not out:
        raise TargetError(NO_PROCESS)
    if all(e.snapshot is None for e in out):
        if len(out) == 1:
            raise out[0].error
        raise TargetError("; ".join(str(e.error) for e in out))
    return out
