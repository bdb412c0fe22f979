# SPDX-License-Identifier: MIT
"""The snapshot model as plain Python objects: Snapshot -> Process ->
Interpreter -> Thread -> Frame -> Variable, built from the C library's JSON
(docs/json.md) with no text parsing, and the C formatters over it.

This layer sits on the binding (_lib) and imports nothing from GDB, so the
same objects serve the GDB commands, MI, the frame filter, the TUI window,
the DAP adapter (through MI) and scripts (`import pyxray`, api.py). What
is printed is formatted in C (Snapshot.text, ps_table, summary,
Frame.text, source_listing): never here.
"""
from __future__ import annotations

from . import _lib

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, Iterator, List, Optional, Tuple

PyxrayError = _lib.PyxrayError

# An interpreter's asyncio fields in the JSON (with tasks only).
_TASK_KEYS = ("tasks_source", "tasks_error", "tasks_of_stopped_loops")


class Variable:
    """A local variable of a frame, or a child of one (Frame.children):
    name, kind ("arg", "local", "cell", "free"; a child's "item", "entry"
    or "attr"), its bounded repr (None when it could not be read), the
    object's address (0 for an empty cell), how many children it has
    (0: nothing to expand) and whether they are items named [i] (indexed)
    rather than entries or attributes."""

    __slots__ = ("name", "kind", "repr", "addr", "children", "indexed")

    def __init__(self, doc: dict):
        self.name: str = doc.get("name", "")
        self.kind: str = doc.get("kind") or "local"
        self.repr: Optional[str] = doc.get("repr")
        self.addr: int = doc.get("addr") or 0
        self.children: int = doc.get("children") or 0
        self.indexed: bool = bool(doc.get("indexed"))

    def __repr__(self) -> str:
        return "<Variable %s %s = %s>" % (self.kind, self.name, self.repr)


class Frame:
    """One Python frame. index is its place in its thread state's stack
    (0 = innermost). locals is a list of Variable when the snapshot was
    taken with locals, else None. error is a message when the frame could
    not be decoded (then the other fields may be empty)."""

    __slots__ = ("index", "function", "qualname", "file", "line", "entry", "frame_addr",
                 "code_addr", "error", "locals", "thread", "_ref")

    def __init__(self, doc: dict, index: int, thread: "Thread", ref: Tuple[int, int, int, int]):
        self.index = index
        self.function: str = doc.get("function") or ""
        self.qualname: str = doc.get("qualname") or self.function
        self.file: str = doc.get("file") or ""
        self.line: int = doc.get("line") or 0
        self.entry: bool = bool(doc.get("entry"))
        self.frame_addr: int = doc.get("frame_addr", 0)
        self.code_addr: int = doc.get("code_addr", 0)
        self.error: Optional[str] = doc.get("error")
        locs = doc.get("locals")
        self.locals: Optional[List[Variable]] = \
            [Variable(v) for v in locs] if locs is not None else None
        self.thread = thread
        self._ref = ref

    @property
    def arguments(self) -> Optional[List[Variable]]:
        """The frame's arguments (locals of kind "arg"), None without locals."""
        if self.locals is None:
            return None
        return [v for v in self.locals if v.kind == "arg"]

    def text(self, number: Optional[int] = None, source: bool = True) -> str:
        """'#N qualname (file:line)' and, with source, the stripped source
        line under it: how py-up prints a frame (formatted in C)."""
        snap = self.thread.interpreter.process.snapshot
        return snap.raw.frame_text(self._ref, self.index if number is None else number,
                                   _lib.FMT_SOURCE if source else 0)

    def lookup(self, name: str) -> Tuple[str, str]:
        """(scope, repr) of `name` as this frame sees it: its locals, then its
        globals, then the builtins ("local", "global", "builtin"). Needs a
        snapshot taken with keep_source (api.snapshot does). Raises
        PyxrayError (code _lib.E_NOT_FOUND when unbound)."""
        return self.thread.interpreter.process.snapshot.raw.lookup(self._ref, name)

    def children(self, addr: int, start: int = 0,
                 count: int = 1 << 62) -> Tuple[List[Variable], int]:
        """The children of the object at addr (a Variable's addr) in this
        frame's process: rows start..start+count-1 (at most 1000) and how
        many there are. Needs keep_source. Raises PyxrayError
        (E_BAD_DATA when it is not a container)."""
        rows, total = self.thread.interpreter.process.snapshot.raw.children(
            self._ref, addr, start, count)
        return [Variable(r) for r in rows], total

    def __repr__(self) -> str:
        if self.error:
            return "<Frame #%d ??? (%s)>" % (self.index, self.error)
        return "<Frame #%d %s (%s:%d)>" % (self.index, self.qualname, self.file, self.line)


class Thread:
    """A Python thread state: tid (the OS thread's LWP, -1 when unknown),
    thread_id (threading.get_ident()), name (threading's, or None),
    holds_gil, frames (innermost first), omitted (frames of a deep stack
    left out before frames[omitted_at], 0 when none), truncated (why the
    chain was cut, or None)."""

    __slots__ = ("tid", "thread_id", "name", "holds_gil", "frames", "truncated", "omitted",
                 "omitted_at", "interpreter", "index")

    def __init__(self, doc: dict, index: int, interpreter: "Interpreter"):
        self.index = index
        self.interpreter = interpreter
        self.tid: int = doc.get("tid", -1)
        self.thread_id: int = doc.get("thread_id", 0)
        self.name: Optional[str] = doc.get("name")
        self.holds_gil: bool = bool(doc.get("holds_gil"))
        self.truncated: Optional[str] = doc.get("truncated")
        # Of a deep stack the innermost and outermost frames are kept:
        # omitted frames were left out before frames[omitted_at].
        self.omitted: int = doc.get("omitted", 0)
        pi = interpreter.process.index
        ii = interpreter.index
        self.frames: List[Frame] = [Frame(f, i, self, (pi, ii, index, i))
                                    for i, f in enumerate(doc.get("frames") or ())]
        self.omitted_at: int = doc.get("omitted_at", len(self.frames))

    @property
    def process(self) -> "Process":
        return self.interpreter.process

    def __repr__(self) -> str:
        return "<Thread %s %r, %d frames%s>" % (self.tid, self.name, len(self.frames),
                                                ", holds the GIL" if self.holds_gil else "")


class Interpreter:
    """An interpreter: id (0 for the main one), main, threads, error."""

    __slots__ = ("id", "main", "error", "threads", "process", "index")

    def __init__(self, doc: dict, index: int, process: "Process"):
        self.index = index
        self.process = process
        self.id: int = doc.get("id", 0)
        self.main: bool = bool(doc.get("main"))
        self.error: Optional[str] = doc.get("error")
        self.threads: List[Thread] = [Thread(t, i, self)
                                      for i, t in enumerate(doc.get("threads") or ())]

    def __repr__(self) -> str:
        return "<Interpreter %d%s, %d threads>" % (self.id, " (main)" if self.main else "",
                                                   len(self.threads))


class Process:
    """A process: pid, ppid, depth (0 for the one asked for, 1 for its
    children...), python (an interpreter was found), python_version,
    executable, argv, role (multiprocessing's name), state, children (pids),
    threads (OS threads running Python), error, interpreters."""

    __slots__ = ("pid", "ppid", "depth", "python", "python_version", "python_path", "executable",
                 "argv", "role", "state", "children", "nthreads", "layout", "stopped_us",
                 "error", "interpreters", "snapshot", "index", "doc")

    def __init__(self, doc: dict, index: int, snapshot: "Snapshot"):
        self.index = index
        self.snapshot = snapshot
        self.doc = doc
        self.pid: int = doc.get("pid", 0)
        self.ppid: int = doc.get("ppid", 0)
        self.depth: int = doc.get("depth", 0)
        self.python: bool = bool(doc.get("python"))
        self.python_version: Optional[str] = doc.get("python_version")
        self.python_path: Optional[str] = doc.get("python_path")
        self.executable: Optional[str] = doc.get("executable")
        self.argv: List[str] = list(doc.get("argv") or ())
        self.role: Optional[str] = doc.get("role")
        self.state: Optional[str] = doc.get("state")
        self.children: List[int] = list(doc.get("children") or ())
        self.nthreads: int = doc.get("threads", 0)
        self.layout: Optional[str] = doc.get("layout")
        self.stopped_us: Optional[int] = doc.get("stopped_us")
        self.error: Optional[str] = doc.get("error")
        self.interpreters: List[Interpreter] = [
            Interpreter(it, i, self) for i, it in enumerate(doc.get("interpreters") or ())]

    @property
    def threads(self) -> List[Thread]:
        """Every thread state of every interpreter."""
        return [t for it in self.interpreters for t in it.threads]

    @property
    def gil_holder(self) -> Optional[Thread]:
        return next((t for t in self.threads if t.holds_gil), None)

    def summary(self, label: str = "") -> str:
        """py-ps's lines for this process after `label` (formatted in C)."""
        return self.snapshot.raw.summary(self.index, label)

    def os_thread(self, tid: int, thread_id: int = 0) -> "OSThread":
        """The Python stacks OS thread `tid` runs here (C's lookup by LWP,
        falling back to thread_id = pthread_t for thread states whose LWP
        the decoder does not know), innermost first."""
        return OSThread(self, tid, self.snapshot.raw.os_thread(self.index, tid, thread_id))

    def __repr__(self) -> str:
        return "<Process %d%s, Python %s, %d threads>" % (
            self.pid, " %r" % self.role if self.role else "", self.python_version,
            self.nthreads)


class OSThread:
    """One OS thread's Python side: a thread state per interpreter it
    entered (stacks, innermost first: a sub-interpreter's frames run inside
    the frames that entered it) and all their frames in call order."""

    __slots__ = ("tid", "pid", "python_version", "python_path", "cwd", "role", "executable",
                 "argv", "stacks")

    def __init__(self, process: "Process", tid: int, text: str, parsed: bool = True):
        import json  # on first use: importing it slows GDB's startup

        doc = json.loads(text)
        self.tid = tid
        self.pid: int = doc.get("pid", 0)
        self.python_version: Optional[str] = doc.get("python_version")
        self.python_path: Optional[str] = doc.get("python_path")
        self.cwd: Optional[str] = doc.get("cwd")  # the process's, as Process has them
        self.role: Optional[str] = doc.get("role")
        self.executable: Optional[str] = doc.get("executable")
        self.argv: List[str] = list(doc.get("argv") or ())
        self.stacks: List[Thread] = []
        for st in doc.get("stacks", ()):
            i = st["interpreter"]
            if parsed:
                interp = process.interpreters[i]
            else:  # only what this thread needs of the process
                interp = Interpreter({"id": st.get("interpreter_id", 0),
                                      "main": st.get("main", False)}, i, process)
            self.stacks.append(Thread(st["thread"], st["index"], interp))

    @property
    def frames(self) -> List[Frame]:
        return [f for t in self.stacks for f in t.frames]

    @property
    def truncated(self) -> Optional[str]:
        """Why one of its stacks was cut (how to see more), None if none was."""
        return next((t.truncated for t in self.stacks if t.truncated), None)

    @property
    def omitted(self) -> int:
        """Frames of its deep stacks left out (0 when none)."""
        return sum(t.omitted for t in self.stacks)

    @property
    def name(self) -> Optional[str]:
        """threading's name for the thread: the main interpreter's (a
        sub-interpreter's threading module calls it its MainThread)."""
        named = [t for t in self.stacks if t.name]
        main = [t for t in named if t.interpreter.main]
        return (main or named)[0].name if named else None

    @property
    def holds_gil(self) -> bool:
        return any(t.holds_gil for t in self.stacks)


class Snapshot:
    """A decoded snapshot: .processes (the model, parsed from the C side's
    JSON on first use), and the C formatters. .raw is the binding's handle;
    close() (or `with`) frees it."""

    def __init__(self, raw: _lib.Snapshot, flags: int = 0):
        self.raw = raw
        self.flags = flags
        self._doc: Optional[dict] = None
        self._procs: Optional[List[Process]] = None
        self._os_threads: Dict[tuple, OSThread] = {}

    @property
    def document(self) -> dict:
        """The JSON document of docs/json.md, as dicts and lists."""
        if self._doc is None:
            import json  # on first use: a text report needs none

            self._doc = json.loads(self.raw.json_text())
        return self._doc

    @property
    def schema_version(self) -> int:
        return self.document.get("schema_version", 1)

    @property
    def processes(self) -> List[Process]:
        if self._procs is None:
            self._procs = [Process(p, i, self)
                           for i, p in enumerate(self.document.get("processes", ()))]
        return self._procs

    def process(self, pid: Optional[int] = None) -> Process:
        """The process with this pid (default: the first, the one asked for)."""
        procs = self.processes
        if pid is None:
            return procs[0]
        for p in procs:
            if p.pid == pid:
                return p
        raise KeyError(pid)

    def threads(self) -> Iterator[Thread]:
        for p in self.processes:
            yield from p.threads

    def os_thread(self, tid: int, thread_id: int = 0, proc: int = 0) -> OSThread:
        """The Python stacks of OS thread tid in process index proc,
        without decoding the rest of the snapshot into objects."""
        key = (proc, tid, thread_id)
        got = self._os_threads.get(key)
        if got is None:  # once per snapshot: the frame filter, MI and the TUI ask again
            if self._procs is not None:
                got = self._procs[proc].os_thread(tid, thread_id)
            else:
                got = OSThread(_Shell(self, proc), tid,  # type: ignore[arg-type]
                               self.raw.os_thread(proc, tid, thread_id), parsed=False)
            self._os_threads[key] = got
        return got

    def process_documents(self, with_locals: bool, with_tasks: bool = False) -> List[dict]:
        """The processes as JSON dicts, without each frame's "locals" and
        the asyncio tasks unless asked for (the snapshot cached at this stop
        may carry them for another command)."""
        procs = self.document["processes"]
        if with_locals and with_tasks:
            return procs
        return [dict(p, interpreters=[
            dict({k: v for k, v in it.items() if with_tasks or k not in _TASK_KEYS}, threads=[
                dict({k: v for k, v in th.items() if with_tasks or k not in ("tasks", "loop")},
                     frames=[{k: v for k, v in fr.items() if with_locals or k != "locals"}
                             for fr in th.get("frames", [])])
                for th in it.get("threads", [])])
            for it in p.get("interpreters", [])]) for p in procs]

    def text(self, flags: int = 0, only_tid: int = -1, frames_hint: Optional[str] = None) -> str:
        """The text report, formatted in C (of one thread when only_tid >= 0;
        frames_hint says where frames were left out how to read more)."""
        return self.raw.text(flags, only_tid, frames_hint)

    def ps_table(self, indent: str = "", title: Optional[str] = None,
                 column: Optional[Dict[int, str]] = None) -> str:
        return self.raw.ps_table(indent, title, column)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> "Snapshot":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Shell:
    """A stand-in Process for Snapshot.os_thread: its index and snapshot,
    without parsing the whole snapshot."""

    def __init__(self, snapshot: Snapshot, index: int):
        self.snapshot = snapshot
        self.index = index


def escape(text: Optional[str]) -> str:
    """A string from a target (a name, an argv entry) escaped for a
    terminal, as the C formatters escape it."""
    return _lib.escape(text)


_UNSAFE = None


def printable(text: Optional[str]) -> str:
    """text as escape() would print it, without a call into the library
    for the (usual) text that holds nothing to escape: C0 and C1 controls,
    DEL, bidirectional overrides, undecodable bytes."""
    global _UNSAFE
    if text is None:
        return "?"
    if _UNSAFE is None:
        import re  # on first use: importing it slows GDB's startup

        _UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")
    return escape(text) if _UNSAFE.search(text) else text


def source_listing(path: str, first: int, last: int, mark: int = 0) -> str:
    """Lines first..last of a source file, the current one marked '>',
    escaped and bounded (C's pyx_format_source). Raises PyxrayError."""
    return _lib.source_listing(path, first, last, mark)
