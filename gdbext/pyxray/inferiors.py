# SPDX-License-Identifier: MIT
"""GDB inferiors for a Python program's processes: py-attach-children's
attach of every descendant Python process (add-inferior, attach), and
py-follow-forks' session for a program run under GDB (GDB's follow-fork
settings, and the new-inferior, exec and exit events). The commands that
drive them live in commands.py and mi.py; this module has none.

GDB 13 cannot name an inferior: `info inferiors` shows each one's pid and
executable. What tells the workers apart (the multiprocessing name,
ForkPoolWorker-3, or the script) becomes the GDB name of the process's main
thread (`info threads`, `thread N.1`), and py-ps has an INF column.

py-follow-forks on: detach-on-fork off, follow-fork-mode parent and
schedule-multiple on; off puts them back. Each new child gets one line: its
pid, its inferior, and the Python frame of the parent that forked it; an
exec() another. GDB stops when a child exits and selects its empty
inferior; before the next prompt (and before each dump, entries()) the
inferior is removed and the parent selected again, so that `continue` goes
on.
"""
from __future__ import annotations

import os

import gdb

from . import _lib, model, target, tree

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, List, Optional, Tuple


class Attached:
    """A descendant made an inferior: its number, process (model.Process)
    and the label its main thread got."""

    def __init__(self, num: int, proc: model.Process, label: str):
        self.num, self.proc, self.label = num, proc, label


def label(proc) -> str:
    """What names a process (a model.Process, or an OSThread, which carries
    its process's role and argv): its multiprocessing name, else its script
    or module (`python -c` code that starts multiprocessing's forkserver or
    resource tracker names that module)."""
    if proc.role:
        return proc.role
    argv = proc.argv
    exe = os.path.basename(argv[0] if argv else proc.executable or "?")
    for i, arg in enumerate(argv[1:], 1):
        if arg == "-c" and i + 1 < len(argv):
            code = argv[i + 1]
            j = code.find("from multiprocessing.")
            if j >= 0:
                return code[j + 5:].split()[0]
            return exe + " -c"
        if arg == "-m" and i + 1 < len(argv):
            return argv[i + 1]
        if not arg.startswith("-"):
            return os.path.basename(arg)
    return exe


def _describe(proc: model.Process) -> str:
    """One line on a process; what came from it escaped (model.escape)."""
    nthreads = proc.nthreads
    return "pid %d%s (ppid %d), Python %s, %d thread%s: %s" % (
        proc.pid, ' "%s"' % model.escape(proc.role) if proc.role else "", proc.ppid,
        model.escape(proc.python_version), nthreads, "" if nthreads == 1 else "s",
        model.escape(" ".join(proc.argv) or proc.executable))


def _attach_one(proc: model.Process) -> gdb.Inferior:
    """A new inferior attached to proc's pid; raises gdb.error (the new,
    empty inferior is removed again)."""
    before = {inf.num for inf in gdb.inferiors()}
    gdb.execute("add-inferior", to_string=True)
    new = [inf for inf in gdb.inferiors() if inf.num not in before][0]
    gdb.execute("inferior %d" % new.num, to_string=True)
    try:
        gdb.execute("attach %d" % proc.pid, to_string=True)
    except gdb.error:
        _leave(new)
        raise
    return new


def _leave(inf: gdb.Inferior) -> None:
    """Selects another inferior and removes inf (which has no process)."""
    other = [i for i in gdb.inferiors() if i.num != inf.num]
    if other:
        gdb.execute("inferior %d" % other[0].num, to_string=True)
        try:
            gdb.execute("remove-inferiors %d" % inf.num, to_string=True)
        except gdb.error:
            pass


class silenced:
    """`inferior N` and `attach` announce the switch and print the stop
    frame through GDB's CLI notifications, past gdb.execute's to_string:
    GDB 12+ suppresses those while this context lasts."""

    def __enter__(self) -> "silenced":
        try:
            self.old = gdb.parameter("suppress-cli-notifications")
        except RuntimeError:  # an older GDB: the messages stay
            self.old = None
            return self
        gdb.execute("set suppress-cli-notifications on", to_string=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            gdb.execute("set suppress-cli-notifications %s" % ("on" if self.old else "off"),
                        to_string=True)


def _name_main_thread(inf: gdb.Inferior, label: str) -> None:
    for th in inf.threads():
        if th.ptid[1] == inf.pid:
            th.name = label


def _skipped_line(proc: model.Process) -> str:
    why = proc.error or "not a Python process"
    if "has no Python interpreter" in why:
        why = "not a Python process"
    if why.startswith("pid %d " % proc.pid):
        return "%s; not attached\n" % model.escape(why)
    what = model.escape(" ".join(proc.argv) or proc.executable)
    return "pid %d (%s): %s; not attached\n" % (proc.pid, what, model.escape(why))


def attach_children(max_depth: int = 0) -> Tuple[List[Attached], str]:
    """Attaches every descendant Python process of the live inferiors that
    GDB does not hold yet and selects the user's thread and frame again.
    Returns the attached ones and the report: one line per process
    (non-Python descendants and zombies are listed and left alone)."""
    if not tree.live_inferiors():
        raise target.TargetError("py-attach-children needs a live local process: run the "
                                 "program or attach with 'attach PID'")
    todo, skipped = [], []
    for entry in entries(0, True, max_depth, nonblocking=True):
        if not entry.tree:
            continue
        held = tree.inferior_numbers()
        for proc in entry.snapshot.processes[1:]:
            if proc.pid in held:
                continue
            if proc.python and not proc.error:
                todo.append(proc)
            else:
                skipped.append(proc)
    thread = gdb.selected_thread()
    try:
        frame: Optional[gdb.Frame] = gdb.selected_frame()
    except gdb.error:
        frame = None
    inf0 = gdb.selected_inferior()
    done, lines = [], []
    with silenced():
        try:
            for proc in todo:
                name = model.escape(label(proc))  # a GDB thread name, MI's label
                try:
                    inf = _attach_one(proc)
                except gdb.error as e:
                    lines.append("pid %d: not attached: %s\n"
                                 % (proc.pid, (str(e).splitlines() or ["?"])[0]))
                    continue
                _name_main_thread(inf, name)
                done.append(Attached(inf.num, proc, name))
                lines.append("Inferior %d: %s\n" % (inf.num, _describe(proc)))
        finally:
            if thread is not None and thread.is_valid():
                thread.switch()
                if frame is not None and frame.is_valid():
                    frame.select()
            elif inf0.is_valid():
                gdb.execute("inferior %d" % inf0.num, to_string=True)
    lines.extend(_skipped_line(proc) for proc in skipped)
    if not todo and not skipped:
        lines.append("No descendant Python process to attach.\n")
    return done, "".join(lines)


SETTINGS = (("detach-on-fork", "off"), ("follow-fork-mode", "parent"),
            ("schedule-multiple", "on"))


class _Child:
    def __init__(self, pid: int, parent_num: int, cmdline: bytes):
        self.pid, self.parent_num, self.cmdline = pid, parent_num, cmdline


class _State:
    saved: Optional[Dict[str, str]] = None  # the settings before `on`
    children: Dict[int, _Child] = {}         # inferior number -> the child it holds
    exited: List[int] = []                   # inferiors to remove


def _setting(name: str) -> str:
    value = gdb.parameter(name)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _cmdline(pid: int) -> bytes:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _forking_frame(pid: int, lwp: int) -> Optional[str]:
    """'qualname (file:line)' of the innermost Python frame of thread lwp of
    pid (formatted in C), "" when that thread has none, None when pid runs
    no Python. The forking thread is stopped at its fork event: read
    without stopping."""
    flags = _lib.SNAP_NONBLOCKING | _lib.SNAP_NO_THREAD_NAMES
    try:
        with model.Snapshot(_lib.snapshot_pid(pid, flags), flags) as snap:
            frames = snap.os_thread(lwp).frames
            if not frames:
                return ""
            line = frames[0].text(0, source=False)
    except _lib.PyxrayError:
        return None
    return line.rstrip("\n")[len("#0 "):]


def _on_new_inferior(event) -> None:
    inf = event.inferior
    parent = gdb.selected_thread()
    # add-inferior (py-attach-children, the user) makes inferiors without a
    # process; a fork's child has its pid already, and GDB still has the
    # parent's forking thread selected.
    if not inf.pid or parent is None or parent.inferior.num == inf.num:
        return
    _State.children[inf.num] = _Child(inf.pid, parent.inferior.num, _cmdline(inf.pid))
    where = _forking_frame(parent.inferior.pid, parent.ptid[1])
    if where is None:
        return  # the parent runs no Python: nothing to say about a Python child
    gdb.write("[pyxray] new Python child: pid %d (inferior %d), forked by pid %d%s\n"
              % (inf.pid, inf.num, parent.inferior.pid,
                 " at " + where if where else " (thread without Python frames)"))


def _on_clear_objfiles(event) -> None:
    """An exec() in a child: its program space is cleared with a new
    command line in /proc (a fork clears the child's copy too, with the
    parent's command line: nothing to say)."""
    for inf in gdb.inferiors():
        if inf.progspace != event.progspace or inf.num not in _State.children:
            continue
        child = _State.children[inf.num]
        now = _cmdline(inf.pid) if inf.pid else b""
        if now and now != child.cmdline:
            child.cmdline = now
            gdb.write("[pyxray] pid %d (inferior %d) exec'd: %s\n"
                      % (inf.pid, inf.num, model.escape(
                          now.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8",
                                                                    "surrogateescape"))))


def _on_exited(event) -> None:
    inf = getattr(event, "inferior", None)
    if inf is not None and inf.num in _State.children and inf.num not in _State.exited:
        _State.exited.append(inf.num)


def cleanup(*_args) -> None:
    """Removes the inferiors of children that exited; when one is selected,
    selects its parent (or another live inferior) first."""
    for num in list(_State.exited):
        inf = next((i for i in gdb.inferiors() if i.num == num), None)
        if inf is None or inf.pid:  # gone already, or running again
            _State.exited.remove(num)
            _State.children.pop(num, None)
            continue
        child = _State.children.get(num)
        if gdb.selected_inferior().num == num:
            live = [i for i in gdb.inferiors() if i.pid]
            parent = [i for i in live if child and i.num == child.parent_num]
            if not (parent or live):
                return  # nothing else to select: keep it for now
            other = (parent or live)[0]
            try:
                with silenced():
                    gdb.execute("inferior %d" % other.num, to_string=True)
            except gdb.error as e:  # never a traceback from a prompt hook
                gdb.write("[pyxray] cannot select inferior %d: %s\n" % (other.num, e))
                return
            gdb.write("[pyxray] inferior %d (pid %d) exited and is removed; inferior %d "
                      "(pid %d) selected\n" % (num, child.pid if child else 0, other.num,
                                               other.pid))
        try:
            gdb.execute("remove-inferiors %d" % num, to_string=True)
        except gdb.error:
            continue
        _State.exited.remove(num)
        _State.children.pop(num, None)


def _connect(on: bool) -> None:
    pairs = ((gdb.events.new_inferior, _on_new_inferior), (gdb.events.exited, _on_exited),
             (gdb.events.clear_objfiles, _on_clear_objfiles),
             (gdb.events.before_prompt, cleanup))
    for registry, fn in pairs:
        if on:
            registry.connect(fn)
        else:
            registry.disconnect(fn)


def follow_forks(on: bool) -> str:
    if on:
        if _State.saved is None:
            _State.saved = {name: _setting(name) for name, _ in SETTINGS}
            _connect(True)
        for name, value in SETTINGS:
            gdb.execute("set %s %s" % (name, value), to_string=True)
        return ("Following forks: detach-on-fork off, follow-fork-mode parent, "
                "schedule-multiple on (follow-exec-mode %s).\n" % _setting("follow-exec-mode"))
    if _State.saved is None:
        return "Not following forks.\n"
    for name, _ in SETTINGS:
        gdb.execute("set %s %s" % (name, _State.saved[name]), to_string=True)
    restored = ", ".join("%s %s" % (n, _State.saved[n]) for n, _ in SETTINGS)
    _State.saved = None
    _connect(False)
    cleanup()
    _State.children.clear()
    _State.exited.clear()
    return "Not following forks; restored %s.\n" % restored


def follow_forks_status() -> str:
    """Whether forks are followed, and the child inferiors."""
    if _State.saved is None:
        return "Not following forks.\n"
    kids = [(n, c) for n, c in sorted(_State.children.items())
            if any(i.num == n and i.pid for i in gdb.inferiors())]
    return "Following forks (%s); %d child inferior%s%s\n" % (
        ", ".join("%s %s" % (n, _setting(n)) for n, _ in SETTINGS), len(kids),
        "" if len(kids) == 1 else "s",
        ": " + ", ".join("%d (pid %d)" % (n, c.pid) for n, c in kids) if kids else "")


def entries(flags: int = 0, children: bool = True, max_depth: int = 0,
            nonblocking: bool = False) -> List[tree.TreeEntry]:
    """tree.entries() after the inferiors of exited children are removed."""
    cleanup()
    return tree.entries(flags, children, max_depth, nonblocking)
