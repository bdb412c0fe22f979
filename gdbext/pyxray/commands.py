# SPDX-License-Identifier: MIT
"""GDB commands: py-bt-all and py-ps over every inferior, python-gdb.py's
py-bt, py-bt-full, py-list, py-up, py-down, py-locals and py-print on the
selected thread and Python frame, py-attach-children and py-follow-forks;
each also as a `pyxray` subcommand.

A peer of mi.py, framefilter.py, tui.py and api.py: stacks come from the
model (target.py, tree.py, selection.py) and their text from the C
formatters. CPython's python-gdb.py registers commands with the same names
when an interpreter's objfile loads; ours are registered again after it
(see _displaced).
"""
from __future__ import annotations

import sys

import gdb

from . import _lib, inferiors, model, selection, settings, target, tree

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, List, Optional, Sequence, Set, Tuple

# ---- options ----


def _parse_options(cmd: "PyxrayCommand", arg: str) -> Tuple[Dict[str, bool], List[str]]:
    """(set options, other words); unknown options raise with the usage."""
    seen = {name: False for name in cmd.options}
    rest = []
    for word in gdb.string_to_argv(arg):
        if word.startswith("--") and word in seen:
            seen[word] = True
        elif word.startswith("-") and not word.lstrip("-").isdigit():
            raise gdb.GdbError("%s: unknown option '%s'. %s" % (cmd.user_name, word, cmd.usage))
        else:
            rest.append(word)
    return seen, rest


def _usage_of(doc: str) -> str:
    for line in doc.splitlines():
        if line.strip().startswith("Usage:"):
            return line.strip()
    return ""


class PyxrayCommand(gdb.Command):
    """Base: a command registered under its py-* name or as `pyxray SUB`."""

    options: Sequence[str] = ()
    # py-* name; the `pyxray` subcommand drops the "py-" prefix
    py_name = ""

    def __init__(self, name: str):
        super().__init__(name, gdb.COMMAND_STACK)
        self.user_name = name
        self.usage = _usage_of(self.__doc__ or "")

    def complete(self, text: str, word: Optional[str]):
        if not self.options:
            return gdb.COMPLETE_NONE
        prefix = text.split(" ")[-1] if text else ""
        word = word or ""
        cut = len(prefix) - len(word)
        if cut < 0:
            cut = 0
        return [o[cut:] for o in self.options if o.startswith(prefix)]

    def bad_usage(self, why: str) -> gdb.GdbError:
        return gdb.GdbError("%s: %s. %s" % (self.user_name, why, self.usage))

    def __del__(self) -> None:
        # GDB released the command: another one took its name.
        _displaced(self)


def _depth_option(cmd: PyxrayCommand, opts: Dict[str, bool], rest: List[str]) -> int:
    """N of --depth N (taken out of rest), 0 without it."""
    if not opts.get("--depth"):
        return 0
    if not rest or not rest[0].isdigit() or not 1 <= int(rest[0]) <= 1000:
        raise cmd.bad_usage("--depth takes a number from 1 to 1000")
    if opts.get("--no-children"):
        raise cmd.bad_usage("--depth goes without --no-children")
    return int(rest.pop(0))


# ---- commands ----

class PyBtAll(PyxrayCommand):
    """Print the Python stack of every thread of every inferior and its descendants.

Usage: py-bt-all [--json] [--group | --no-group] [--locals] [--tasks] [--no-children] [--depth N] [--attach]

Every inferior GDB holds (live, core or remote) that runs Python: each
interpreter and thread, innermost frame first; the GIL holder is marked.
A live inferior's descendant processes (multiprocessing workers of every
start method, the forkserver, subprocess children, a worker's own pool)
follow it, as `pyxray dump --children` prints them: each is stopped only
while it is read and does not become an inferior. Non-Python descendants,
zombies and processes that exit meanwhile are listed as such.
  --json         one JSON document for all inferiors (the format of docs/json.md)
  --group        threads (and processes) with identical stacks are printed once;
                 on by default when there are descendants
  --no-group     print every thread and process on its own
  --locals       each frame's local variables too
  --tasks        asyncio tasks too (3.8+): each loop's pending tasks under the
                 thread that runs it, their coroutine stacks, and the tree of
                 who awaits whom (see py-tasks)
  --no-children  only the inferiors themselves
  --depth N      at most N levels of descendants below an inferior
  --attach       first make every descendant Python process an inferior
                 (py-attach-children)"""

    options = ("--json", "--group", "--no-group", "--locals", "--tasks", "--no-children",
               "--depth", "--attach")
    py_name = "py-bt-all"

    def invoke(self, arg: str, from_tty: bool) -> None:
        opts, rest = _parse_options(self, arg)
        depth = _depth_option(self, opts, rest)
        if rest:
            raise self.bad_usage("unexpected argument '%s'" % rest[0])
        if opts["--group"] and opts["--no-group"]:
            raise self.bad_usage("--group and --no-group together")
        if opts["--attach"]:
            _done, report = inferiors.attach_children(depth)
            if not opts["--json"]:
                gdb.write(report)
        flags = (_lib.SNAP_LOCALS if opts["--locals"] else 0) | \
            (_lib.SNAP_TASKS if opts["--tasks"] else 0)
        entries = inferiors.entries(flags, not opts["--no-children"], depth)
        if opts["--json"]:
            gdb.write(json_document(entries, opts["--locals"], opts["--tasks"]))
            return
        base = (_lib.FMT_LOCALS if opts["--locals"] else 0) | _lib.FMT_SOURCE | \
            (_lib.FMT_NO_FOLD if opts["--no-group"] else 0) | \
            (_lib.FMT_TASKS if opts["--tasks"] else 0)
        parts = []
        for entry in entries:
            if entry.snapshot is not None:
                group = opts["--group"] or (entry.tree and not opts["--no-group"])
                parts.append(entry.snapshot.text(base | (_lib.FMT_GROUP if group else 0),
                                                 frames_hint=settings.FRAMES_HINT))
            else:
                parts.append("%s\n" % entry.error)
        gdb.write("\n".join(parts))


def json_document(entries: Sequence, with_locals: bool, with_tasks: bool = False) -> str:
    """{"schema_version": 1, "processes": [...]} over every inferior; one that
    could not be read is a process carrying its "error"."""
    import json  # on first use

    return json.dumps({"schema_version": _schema(entries),
                       "processes": processes(entries, with_locals, with_tasks)}) + "\n"


def processes(entries: Sequence, with_locals: bool, with_tasks: bool = False) -> List[dict]:
    """The processes of every entry as JSON dicts; an inferior that could
    not be read is a process with its "error"."""
    procs = []
    for entry in entries:
        if entry.snapshot is not None:
            procs.extend(entry.snapshot.process_documents(with_locals, with_tasks))
        else:
            inf = entry.inferior
            procs.append({"pid": inf.pid, "ppid": 0, "python": False, "python_version": None,
                          "executable": target.executable(inf), "argv": [],
                          "python_path": None, "error": str(entry.error), "interpreters": []})
    return procs


def _schema(entries: Sequence) -> int:
    for entry in entries:
        if entry.snapshot is not None:
            return entry.snapshot.schema_version
    return 1


class PyTasks(PyxrayCommand):
    """Print the asyncio tasks of every inferior: their coroutine stacks and who awaits whom.

Usage: py-tasks [--json] [--no-group]

Every inferior GDB holds (live, core or remote) that runs Python 3.8 or
later: for each thread that runs an event loop, the loop's tasks that are
not done (C and pure-Python tasks, eager ones), each with its name, state,
coroutine stack innermost first and the tasks it awaits (a task awaited
directly, gather, TaskGroup, wait_for, shield); then the tasks of loops no
thread runs, and the tree of who awaits whom as `python -m asyncio pstree`
draws it, cycles reported and not followed. Tasks with identical stacks
are printed once with their count and names. On 3.14+ the interpreter's
per-thread task lists are read (and the _asyncio module's .AsyncioDebug
offsets when GDB knows its symbol), before that asyncio.tasks' sets.
  --json         one JSON document (docs/json.md), tasks under "tasks" of each thread
  --no-group     print every task on its own"""

    options = ("--json", "--no-group")
    py_name = "py-tasks"

    def invoke(self, arg: str, from_tty: bool) -> None:
        opts, rest = _parse_options(self, arg)
        if rest:
            raise self.bad_usage("unexpected argument '%s'" % rest[0])
        entries = target.python_inferiors(_lib.SNAP_TASKS)
        if opts["--json"]:
            gdb.write(json_document(entries, False, True))
            return
        flags = _lib.FMT_ONLY_TASKS | _lib.FMT_SOURCE | \
            (_lib.FMT_NO_FOLD if opts["--no-group"] else 0)
        parts = []
        for entry in entries:
            if entry.snapshot is not None:
                parts.append(entry.snapshot.text(flags))
            else:
                parts.append("%s\n" % entry.error)
        gdb.write("\n".join(parts))


class PyBt(PyxrayCommand):
    """Print the Python stack of the selected thread, as python-gdb.py's py-bt.

Usage: py-bt

Frames innermost first, in the traceback style, with each frame's source line."""

    py_name = "py-bt"
    fmt = _lib.FMT_TRACEBACK | _lib.FMT_SOURCE | _lib.FMT_NO_HEADER
    snap_flags = 0

    def invoke(self, arg: str, from_tty: bool) -> None:
        if arg.strip():
            raise self.bad_usage("unexpected argument '%s'" % arg.strip())
        thread = selection.selected_thread()
        snap = target.snapshot(thread.inferior, self.snap_flags)
        ost = snap.os_thread(thread.ptid[1])
        if not ost.stacks:
            raise selection.no_python_frame(thread)
        gdb.write(snap.text(self.fmt, thread.ptid[1], frames_hint=settings.FRAMES_HINT))


class PyBtFull(PyBt):
    """Print the Python stack of the selected thread with each frame's locals.

Usage: py-bt-full

As py-bt, with the local variables under each frame."""

    py_name = "py-bt-full"
    fmt = PyBt.fmt | _lib.FMT_LOCALS
    snap_flags = _lib.SNAP_LOCALS


class PyList(PyxrayCommand):
    """List the source around the selected Python frame's line.

Usage: py-list [N | START,END]

Without arguments: five lines either side of the current line, which is
marked with '>'. N lists from line N, START,END that range."""

    py_name = "py-list"

    def invoke(self, arg: str, from_tty: bool) -> None:
        start = end = None
        text = arg.strip()
        if text:
            parts = [p.strip() for p in text.split(",")]
            try:
                nums = [int(p) for p in parts]
            except ValueError:
                raise self.bad_usage("bad range '%s'" % text)
            if len(nums) == 1:
                start, end = nums[0], nums[0] + 10
            elif len(nums) == 2:
                start, end = nums
            else:
                raise self.bad_usage("bad range '%s'" % text)
        fr = selection.current()
        if fr.error:
            raise gdb.GdbError("Unable to read information on python frame: %s" % fr.error)
        if start is None:
            start, end = fr.line - 5, fr.line + 5
        start = max(start, 1)
        if end < start:
            raise self.bad_usage("bad range '%s'" % text)
        try:
            gdb.write(model.source_listing(fr.file, start, end, fr.line))
        except _lib.PyxrayError as e:
            raise gdb.GdbError(str(e))


class _PyMove(PyxrayCommand):
    step = 1
    end_message = ""
    end_name = ""

    def invoke(self, arg: str, from_tty: bool) -> None:
        count = 1
        if arg.strip():
            try:
                count = int(arg.strip())
            except ValueError:
                raise self.bad_usage("bad count '%s'" % arg.strip())
        fr, index, moved = selection.move(self.step * count)
        if moved == 0 and count != 0:
            gdb.write(self.end_message + "\n")
            return
        gdb.write(fr.text(index))
        if abs(moved) < abs(count):
            gdb.write("(%s: moved %d of %d frames)\n" % (self.end_name, abs(moved), abs(count)))


class PyUp(_PyMove):
    """Select and print the Python frame that called the selected one.

Usage: py-up [N]

Moves N frames (default 1) towards the outermost Python frame; past it, as
far as the stack goes, and says so."""

    py_name = "py-up"
    step = 1
    end_message = "Unable to find an older Python frame"
    end_name = "reached the outermost Python frame"


class PyDown(_PyMove):
    """Select and print the Python frame called by the selected one.

Usage: py-down [N]

Moves N frames (default 1) towards the innermost Python frame; past it, as
far as the stack goes, and says so."""

    py_name = "py-down"
    step = -1
    end_message = "Unable to find a newer Python frame"
    end_name = "reached the innermost Python frame"


class PyLocals(PyxrayCommand):
    """Print the local variables of the selected Python frame.

Usage: py-locals

One 'name = repr' line per argument, local, cell and free variable."""

    py_name = "py-locals"

    def invoke(self, arg: str, from_tty: bool) -> None:
        if arg.strip():
            raise self.bad_usage("unexpected argument '%s'" % arg.strip())
        fr = selection.current(selection.VARIABLE_FLAGS)
        if fr.error:
            raise gdb.GdbError("Unable to read information on python frame: %s" % fr.error)
        out = ["%s = %s\n" % (model.printable(v.name),
                              model.printable(v.repr) if v.repr is not None else "<unreadable>")
               for v in fr.locals or ()]
        gdb.write("".join(out))


class PyPrint(PyxrayCommand):
    """Print a Python variable as the selected Python frame sees it.

Usage: py-print NAME

Looks NAME up in the frame's locals, then its globals, then the builtins,
and prints 'local|global|builtin 'NAME' = repr'. TAB completes the names
of the frame's local variables."""

    py_name = "py-print"

    def invoke(self, arg: str, from_tty: bool) -> None:
        words = arg.split()
        if len(words) != 1:
            raise self.bad_usage("expected one NAME")
        name = words[0]
        fr = selection.current(selection.VARIABLE_FLAGS)
        try:
            scope, rep = fr.lookup(name)
        except _lib.PyxrayError as e:
            if e.code == _lib.E_NOT_FOUND:  # an error, so that scripts see it
                raise gdb.GdbError("%r not found" % name)
            raise gdb.GdbError(str(e))
        gdb.write("%s %r = %s\n" % (scope, name, model.printable(rep)))

    def complete(self, text: str, word: Optional[str]):
        if len(text.split()) > 1 or (text.endswith(" ") and text.strip()):
            return []
        try:
            fr = selection.current(selection.VARIABLE_FLAGS)
        except Exception:  # no process, no Python frame: nothing to offer
            return []
        word = word or ""
        return sorted({v.name for v in fr.locals or () if v.name.startswith(word)})


class PyPs(PyxrayCommand):
    """List every Python interpreter GDB can see, per inferior, and each live inferior's process tree.

Usage: py-ps [--no-children] [--depth N]

Per inferior: pid, executable, Python version, thread count, the
sub-interpreters with their thread counts, and the thread holding the GIL.
A live inferior with descendants is followed by its process tree, as
`pyxray ps` lists it (nothing is stopped): pid (indented by depth), ppid,
Python version, state, threads, sub-interpreters, GIL holder, the GDB
inferior number (INF) of the processes GDB holds, and the command with its
multiprocessing name. Inferiors inside another one's tree appear only there.
  --no-children  only the inferiors themselves
  --depth N      at most N levels of descendants"""

    options = ("--no-children", "--depth")
    py_name = "py-ps"

    def invoke(self, arg: str, from_tty: bool) -> None:
        opts, rest = _parse_options(self, arg)
        depth = _depth_option(self, opts, rest)
        if rest:
            raise self.bad_usage("unexpected argument '%s'" % rest[0])
        out = []
        for entry in inferiors.entries(0, not opts["--no-children"], depth, nonblocking=True):
            if not entry.tree:
                out.append(_summary(entry))
                continue
            # The inferior's own lines come from the snapshot cached at this
            # stop, as without a tree; the table from the tree's.
            try:
                out.append(_summary(target.Entry(entry.inferior,
                                                 target.snapshot(entry.inferior), None)))
            except target.TargetError as e:
                out.append("%s\n" % e)
            out.append("  process tree (%d processes):\n" % len(entry.snapshot.processes))
            nums = {pid: str(num) for pid, num in tree.inferior_numbers().items()}
            out.append(entry.snapshot.ps_table("  ", "INF", nums))
        gdb.write("".join(out))


def _summary(entry) -> str:
    """py-ps's lines for one inferior (formatted in C after GDB's label)."""
    inf = entry.inferior
    if entry.snapshot is None:
        return "%s\n" % entry.error
    kind = {"core": "core", "native": "process"}.get(target.connection_type(inf), "remote")
    out = []
    for proc in entry.snapshot.processes:
        out.append(proc.summary("Inferior %d (%s %d): " % (inf.num, kind, proc.pid)))
    return "".join(out)


class PyAttachChildren(PyxrayCommand):
    """Make every descendant Python process of the live inferiors a GDB inferior.

Usage: py-attach-children [--depth N]

Each descendant Python process that GDB does not hold yet (multiprocessing
workers, the forkserver, subprocess children, at any depth) is attached in
an inferior of its own, which `inferior N` selects for py-bt, py-locals,
breakpoints... Its main thread is named after its multiprocessing name
(ForkPoolWorker-3) or its script, as `info threads` shows. One line per
process gives its inferior number; non-Python descendants and zombies are
listed and left alone. The selected thread stays selected. GDB detaches
from them as from any attached process (detach, kill, quit).
  --depth N  at most N levels of descendants"""

    options = ("--depth",)
    py_name = "py-attach-children"

    def invoke(self, arg: str, from_tty: bool) -> None:
        opts, rest = _parse_options(self, arg)
        depth = _depth_option(self, opts, rest)
        if rest:
            raise self.bad_usage("unexpected argument '%s'" % rest[0])
        _done, report = inferiors.attach_children(depth)
        gdb.write(report)


class PyFollowForks(PyxrayCommand):
    """Debug every process a Python program forks, each as an inferior.

Usage: py-follow-forks [on | off]

on: for a program run under GDB (gdb --args python app.py): detach-on-fork
off, follow-fork-mode parent and schedule-multiple on, so that each forked
child (multiprocessing workers of every start method, subprocess children)
becomes an inferior that runs along with the parent; a breakpoint set before
the fork stops in the children too. Each new Python child is announced with
its pid, inferior number and the Python frame that forked it, and an exec()
with the new command line. A child that exits is removed, and its parent
selected, before the next prompt. py-bt-all covers every inferior.
off: the three settings as they were before `on`. Without an argument:
whether forks are followed."""

    options = ()
    py_name = "py-follow-forks"

    def invoke(self, arg: str, from_tty: bool) -> None:
        words = arg.split()
        if len(words) > 1 or (words and words[0] not in ("on", "off")):
            raise self.bad_usage("expected 'on' or 'off'")
        inferiors.cleanup()
        if words:
            gdb.write(inferiors.follow_forks(words[0] == "on"))
        else:
            gdb.write(inferiors.follow_forks_status())

    def complete(self, text: str, word: Optional[str]):
        return [w for w in ("on", "off") if w.startswith(word or "")]


COMMANDS = (PyBtAll, PyTasks, PyBt, PyBtFull, PyList, PyUp, PyDown, PyLocals, PyPrint, PyPs,
            PyAttachChildren, PyFollowForks)


class PyxrayPrefix(gdb.Command):
    """pyxray: Python stacks and variables from CPython's memory.

Usage: pyxray SUBCOMMAND [ARGS]

Every py-* command is also a subcommand here (pyxray bt-all, pyxray bt,
pyxray ps, ...), for when another extension owns the py-* names."""

    def __init__(self):
        super().__init__("pyxray", gdb.COMMAND_STACK, gdb.COMPLETE_COMMAND, prefix=True)


def register(names: Optional[Set[str]] = None) -> None:
    """Registers (again) every command, or only the py-* ones in `names`;
    GDB replaces a command registered under a name it already has. GDB
    holds the only reference to each, so that one dropped because another
    command took its name is finalized (PyxrayCommand.__del__)."""
    _Takeover.registering = True
    try:
        if names is None:
            PyxrayPrefix()
        for cls in COMMANDS:
            if names is None or cls.py_name in names:
                cls(cls.py_name)
            if names is None:
                cls("pyxray " + cls.py_name[3:])
    finally:
        _Takeover.registering = False


# The classes python-gdb.py (CPython's Tools/gdb/libpython.py, run in
# __main__) registers our py-* names with.
_PYTHON_GDB_CLASSES = {"py-bt": "PyBacktrace", "py-bt-full": "PyBacktraceFull",
                       "py-list": "PyList", "py-up": "PyUp", "py-down": "PyDown",
                       "py-print": "PyPrint", "py-locals": "PyLocals"}


class _Takeover:
    registering = False       # register() is replacing our own commands
    names: Set[str] = set()   # py-* names python-gdb.py holds, running our code
    running = 0               # python-gdb.py commands running our code, nested


def _displaced(cmd: PyxrayCommand) -> None:
    """GDB dropped our py-* command `cmd` for another one. When that is
    python-gdb.py's, its command runs our code from now on (GDB looks
    `invoke` up at each call), and take_back registers ours again at the
    next safe point. GDB loads the auto-load scripts of the files on its
    command line after every startup script and before the -ex commands,
    with no event in between: this moment, inside python-gdb.py's
    registration, is the only one pyxray gets (no GDB state may change
    here: GDB is deleting our command)."""
    if _Takeover.registering or getattr(cmd, "user_name", None) != cmd.py_name:
        return
    main = sys.modules.get("__main__")
    cls = getattr(main, _PYTHON_GDB_CLASSES.get(cmd.py_name, ""), None)
    if not (isinstance(cls, type) and issubclass(cls, gdb.Command)
            and cls.__module__ == "__main__"):
        return  # another extension's command: it keeps the name

    def invoke(_self, arg: str, from_tty: bool) -> None:
        _Takeover.running += 1
        try:
            cmd.invoke(arg, from_tty)
        finally:
            _Takeover.running -= 1

    cls.invoke = invoke
    _Takeover.names.add(cmd.py_name)


def take_back(*_args) -> None:
    """Registers ours again under the names python-gdb.py took: before a
    prompt and on a new objfile (`run`, `attach`, a new shared library).
    Not while one of python-gdb.py's commands runs: GDB is using it. (Not
    through gdb.post_event either: GDB 13 crashes at exit on an event
    still queued, as in `gdb -batch`.)"""
    if _Takeover.names and not _Takeover.running:
        names, _Takeover.names = _Takeover.names, set()
        register(names)


def install() -> None:
    register()
    gdb.events.new_objfile.connect(take_back)
    gdb.events.before_prompt.connect(take_back)
