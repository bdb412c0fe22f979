# SPDX-License-Identifier: MIT
"""py-follow-forks: GDB set up for a Python program that starts processes
(multiprocessing, subprocess, os.fork) and is run under GDB.

`on` keeps every forked child as an inferior of its own (detach-on-fork
off), stays with the parent (follow-fork-mode parent) and resumes every
inferior together (schedule-multiple on); `off` puts the three settings back
as they were. Meanwhile each new child gets one line: its pid, its inferior,
and the Python frame of the parent that forked it. A child that exec()s
(the spawn start method, subprocess) stays in its inferior (GDB's
follow-exec-mode same) and gets a line too. GDB stops when a child exits
and selects its empty inferior; before the next prompt (and before the next
py-* command) the inferior is removed and the parent selected again, so that
`continue` goes on.
"""
from __future__ import annotations

import gdb

from . import _lib, attach, commands, tree

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, List, Optional

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
    pid, "" when that thread has none, None when pid runs no Python. The
    forking thread is stopped at its fork event: read without stopping."""
    try:
        with _lib.snapshot_pid(pid, _lib.SNAP_NONBLOCKING | _lib.SNAP_NO_THREAD_NAMES) as snap:
            doc = snap.thread_data(lwp)
    except _lib.PyxrayError:
        return None
    for it in doc["processes"][0].get("interpreters", []):
        for th in it.get("threads", []):
            if th.get("tid") == lwp and th.get("frames"):
                fr = th["frames"][0]
                if fr.get("error"):
                    return "??? (%s)" % fr["error"]
                return "%s (%s:%d)" % (fr["qualname"], fr["file"], fr.get("line", 0))
    return ""


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
                      % (inf.pid, inf.num,
                         now.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")))


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
                with attach.silenced():
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


class PyFollowForks(commands.PyxrayCommand):
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
        cleanup()
        if words:
            gdb.write(follow_forks(words[0] == "on"))
            return
        if _State.saved is None:
            gdb.write("Not following forks.\n")
            return
        kids = [(n, c) for n, c in sorted(_State.children.items())
                if any(i.num == n and i.pid for i in gdb.inferiors())]
        gdb.write("Following forks (%s); %d child inferior%s%s\n" % (
            ", ".join("%s %s" % (n, _setting(n)) for n, _ in SETTINGS), len(kids),
            "" if len(kids) == 1 else "s",
            ": " + ", ".join("%d (pid %d)" % (n, c.pid) for n, c in kids) if kids else ""))

    def complete(self, text: str, word: Optional[str]):
        return [w for w in ("on", "off") if w.startswith(word or "")]


commands.EXTRA_COMMANDS.append(PyFollowForks)
tree.BEFORE_ENTRIES.append(cleanup)
