# SPDX-License-Identifier: MIT
"""pyxray for GDB: Python stacks, locals and interpreters of live processes,
cores and remote targets, decoded by libpyxray without CPython debug
symbols.

Layers, each importing only the ones before it:
  _lib        the ctypes binding to libpyxray
  model       Snapshot -> Process -> Interpreter -> Thread -> Frame -> Variable
  settings    `set pyxray ...`
  target      GDB inferiors -> snapshots (cached per stop); tree: process trees
  stacks      native and Python frames of a GDB thread in call order
  selection   the selected Python frame; inferiors: attach and follow forks
  commands, mi, framefilter, tui, api   peers: the front ends
  inject      py-inject, self-contained (`pyxray arm` sources it alone)

In GDB, importing the package registers the commands (py-bt-all, py-bt,
py-ps, py-inject, ... and the `pyxray` prefix), the MI commands, the frame filter and
the TUI window (`tui layout pyxray`). Scripts use the API below (api.py);
outside GDB only snapshot(pid=PID) and the model are available.
"""
from .api import selected_frame, snapshot, thread_frames, thread_stack  # noqa: F401
from .model import (Frame, Interpreter, OSThread, Process, PyxrayError,  # noqa: F401
                    Snapshot, Thread, Variable)

try:
    import gdb
except ImportError:  # a plain Python program: the API only
    gdb = None


def _install() -> None:
    from . import commands, inject, mi, selection, settings  # noqa: F401  (inject: py-inject)

    settings.install()
    selection.install()
    commands.install()
    mi.install()
    for name in ("framefilter", "tui"):  # the commands above must not depend on them
        try:
            __import__(__name__ + "." + name, fromlist=["install"]).install()
        except Exception as e:
            gdb.write("pyxray: %s not loaded: %s: %s\n" % (name, type(e).__name__, e),
                      gdb.STDERR)


if gdb is not None:
    _install()
