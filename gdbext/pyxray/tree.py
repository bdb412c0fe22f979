# SPDX-License-Identifier: MIT
"""Process trees under GDB's live inferiors: the descendants of an inferior
(multiprocessing workers, the forkserver, subprocess children, a worker's own
pool) read by libpyxray without becoming GDB inferiors.

A live local inferior and its descendants are read in one snapshot
(pyx_snapshot_take_pid with SNAP_CHILDREN): each descendant is stopped with
ptrace only while it is read, and the processes GDB itself traces (the
inferior, and descendants that are inferiors too after py-attach-children or
a follow-fork session) are read without stopping them, as GDB holds them
(SNAP_HELD_BY_CALLER). An inferior inside another inferior's tree is printed
there, once. Cores and remote targets have no tree: they are read as before.
"""
from __future__ import annotations

import collections
import os

import gdb

from . import _lib, model, settings, target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import Dict, List, Set


class TreeEntry(collections.namedtuple("TreeEntry", "inferior snapshot error tree")):
    """One inferior's part of a dump (gdb.Inferior): its snapshot
    (model.Snapshot, a whole tree when `tree`) or why there is none
    (target.TargetError)."""
    __slots__ = ()


def process_table() -> Dict[int, int]:
    """pid -> ppid of every process in /proc (one scan; a process that exits
    meanwhile is left out)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
            table[int(name)] = int(stat.rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return table


def ancestors(table: Dict[int, int], pid: int) -> List[int]:
    out, seen = [], {pid}
    p = table.get(pid, 0)
    while p > 0 and p not in seen:
        out.append(p)
        seen.add(p)
        p = table.get(p, 0)
    return out


def live_inferiors() -> Dict[int, gdb.Inferior]:
    """pid -> inferior, for the live local inferiors (the ones with a tree)."""
    return {inf.pid: inf for inf in gdb.inferiors()
            if inf.pid and target.connection_type(inf) == "native"}


def _roots(table: Dict[int, int], live: Dict[int, gdb.Inferior]) -> List[int]:
    """Live inferiors that have no live inferior above them: their trees
    hold every other one (depth permitting)."""
    return [pid for pid in live if not any(a in live for a in ancestors(table, pid))]


def _take_tree(inf: gdb.Inferior, flags: int, max_depth: int) -> model.Snapshot:
    flags |= _lib.SNAP_CHILDREN
    try:
        raw = _lib.snapshot_pid(inf.pid, flags, settings.max_frames(), max_depth)
    except _lib.PyxrayError as e:
        raise target.TargetError(str(e), e.code)
    return model.Snapshot(raw, flags)


def _plain(inf: gdb.Inferior, flags: int) -> TreeEntry:
    try:
        return TreeEntry(inf, target.snapshot(inf, flags), None, False)
    except target.TargetError as e:
        return TreeEntry(inf, None, e, False)


def _pids(snap: model.Snapshot) -> Set[int]:
    return {p.pid for p in snap.processes}


def _any_python(snap: model.Snapshot) -> bool:
    return any(p.python for p in snap.processes)


def entries(flags: int = 0, children: bool = True, max_depth: int = 0,
            nonblocking: bool = False) -> List[TreeEntry]:
    """Every inferior with a process, in GDB's order: a live one with
    descendants as its whole tree (at most max_depth levels), the others
    alone (from the per-stop cache). An inferior already in an earlier tree
    is not repeated. nonblocking reads the descendants without stopping
    them (py-ps). Raises TargetError when no inferior has a process, or no
    Python could be read anywhere."""
    infs = [inf for inf in gdb.inferiors() if inf.pid]
    if not infs:
        raise target.TargetError(target.NO_PROCESS)
    trees: Dict[int, model.Snapshot] = {}
    covered: Set[int] = set()
    if children:
        table = process_table()
        parents = set(table.values())
        live = live_inferiors()
        snap_flags = flags | (_lib.SNAP_NONBLOCKING if nonblocking else _lib.SNAP_HELD_BY_CALLER)
        # Roots first, so that an inferior below another one is covered by
        # the upper tree whatever GDB's numbering.
        order = _roots(table, live)
        order += [pid for pid in live if pid not in order]
        for pid in order:
            # Which processes are below it is the C side's walk; here only
            # whether there is any, so a childless inferior keeps its
            # per-stop snapshot.
            if pid in covered or pid not in parents:
                continue
            try:
                snap = _take_tree(live[pid], snap_flags, max_depth)
            except target.TargetError:
                continue  # the inferior alone says why (no permission, gone)
            if len(snap.processes) < 2:  # they exited meanwhile
                snap.close()
                continue
            trees[pid] = snap
            covered |= _pids(snap)
    out = []
    for inf in infs:
        if inf.pid in trees:
            out.append(TreeEntry(inf, trees[inf.pid], None, True))
        elif inf.pid not in covered or target.connection_type(inf) != "native":
            out.append(_plain(inf, flags))
    if not any(e.snapshot is not None and (not e.tree or _any_python(e.snapshot))
               for e in out):
        errors = [e.error or target.TargetError("%s: no Python in its process tree"
                                                % target.describe(e.inferior))
                  for e in out]
        if len(errors) == 1:
            raise errors[0]
        raise target.TargetError("; ".join(str(e) for e in errors))
    return out


def inferior_numbers() -> Dict[int, int]:
    """pid -> GDB inferior number, for every inferior with a process."""
    return {inf.pid: inf.num for inf in gdb.inferiors() if inf.pid}
