# SPDX-License-Identifier: MIT
"""py-attach-children: every descendant Python process of the live
inferiors becomes a GDB inferior (add-inferior, attach), so that the user
can switch to a worker and debug it like the parent.

GDB 13 cannot name an inferior: `info inferiors` shows each one's pid and
executable. What tells the workers apart (the multiprocessing name,
ForkPoolWorker-3, or the script) becomes the GDB name of the process's main
thread (`info threads`, `thread N.1`), the table printed here gives each
inferior's number, and py-ps has an INF column.
"""
from __future__ import annotations

import os

import gdb

from . import commands, target, tree

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import List, Optional


class Attached:
    def __init__(self, num: int, proc: dict, label: str):
        self.num, self.proc, self.label = num, proc, label


def _label(proc: dict) -> str:
    """What names a process: its multiprocessing name, else its script or
    module (`python -c` code that starts multiprocessing's forkserver or
    resource tracker names that module)."""
    if proc.get("role"):
        return proc["role"]
    argv = list(proc.get("argv") or ())
    exe = os.path.basename(argv[0] if argv else proc.get("executable") or "?")
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


def _describe(proc: dict) -> str:
    nthreads = proc.get("threads", 0)
    return "pid %d%s (ppid %d), Python %s, %d thread%s: %s" % (
        proc["pid"], ' "%s"' % proc["role"] if proc.get("role") else "", proc.get("ppid", 0),
        proc.get("python_version") or "?", nthreads, "" if nthreads == 1 else "s",
        " ".join(proc.get("argv") or ()) or proc.get("executable") or "?")


def _attach_one(proc: dict) -> gdb.Inferior:
    """A new inferior attached to proc's pid; raises gdb.error (the new,
    empty inferior is removed again)."""
    before = {inf.num for inf in gdb.inferiors()}
    gdb.execute("add-inferior", to_string=True)
    new = [inf for inf in gdb.inferiors() if inf.num not in before][0]
    gdb.execute("inferior %d" % new.num, to_string=True)
    try:
        gdb.execute("attach %d" % proc["pid"], to_string=True)
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


def _skipped_line(proc: dict) -> str:
    why = proc.get("error") or "not a Python process"
    if "has no Python interpreter" in why:
        why = "not a Python process"
    if why.startswith("pid %d " % proc["pid"]):
        return "%s; not attached\n" % why
    what = " ".join(proc.get("argv") or ()) or proc.get("executable") or "?"
    return "pid %d (%s): %s; not attached\n" % (proc["pid"], what, why)


def attach_children(max_depth: int = 0, quiet: bool = False) -> List[Attached]:
    """Attaches every descendant Python process of the live inferiors that
    GDB does not hold yet; writes one line per process (unless quiet) and
    selects the user's thread and frame again. Non-Python descendants and
    zombies are listed and left alone."""
    if not tree.live_inferiors():
        raise target.TargetError("py-attach-children needs a live local process: run the "
                                 "program or attach with 'attach PID'")
    todo, skipped = [], []
    for entry in tree.entries(0, True, max_depth, nonblocking=True):
        if not entry.tree:
            continue
        held = tree.inferior_numbers()
        for proc in entry.snapshot.data["processes"][1:]:
            if proc["pid"] in held:
                continue
            if proc.get("python") and not proc.get("error"):
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
                label = _label(proc)
                try:
                    inf = _attach_one(proc)
                except gdb.error as e:
                    lines.append("pid %d: not attached: %s\n"
                                 % (proc["pid"], (str(e).splitlines() or ["?"])[0]))
                    continue
                _name_main_thread(inf, label)
                done.append(Attached(inf.num, proc, label))
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
    if not quiet:
        gdb.write("".join(lines))
    return done


class PyAttachChildren(commands.PyxrayCommand):
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
        opts, rest = commands._parse_options(self, arg)
        depth = commands._depth_option(self, opts, rest)
        if rest:
            raise self.bad_usage("unexpected argument '%s'" % rest[0])
        attach_children(depth)


commands.EXTRA_COMMANDS.append(PyAttachChildren)
