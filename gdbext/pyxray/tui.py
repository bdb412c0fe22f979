# SPDX-License-Identifier: MIT
"""A TUI window for GDB: `python` shows the selected thread's Python stack
(the frame py-up/py-down selected marked '>') over the source lines around
the selected frame's line, redrawn at every stop, on py-up, py-down and
thread switches (before each prompt), and when resized; while the program
runs it says so. `tui layout pyxray`
is a ready layout: the window over GDB's command window.

A peer of commands.py: frames come from selection.py, each frame's line and
the source listing from the C formatters (escaped and bounded); lines are
cut at the window's width here.
"""
from __future__ import annotations

import gdb

from . import _lib, model, selection, target

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing typing slows GDB's startup
    from typing import List, Optional

WINDOW = "python"
LAYOUT = "tui new-layout pyxray python 1 status 0 cmd 1"


def _content(height: int) -> List[str]:
    """The window's lines for the selected thread, at most `height`."""
    try:
        frames, index, thread = selection.frames()
    except (gdb.GdbError, target.TargetError) as e:
        return [str(e)]
    except gdb.error as e:
        return ["pyxray: %s" % e]
    lines = []
    ost_name = frames[0].thread.name
    lines.append("Thread %d (LWP %d)%s: %d Python frame%s"
                 % (thread.num, thread.ptid[1],
                    ' "%s"' % model.escape(ost_name) if ost_name else "",
                    len(frames), "" if len(frames) == 1 else "s"))
    # The stack takes at most half the window; the selected frame stays in it.
    room = max(1, min(len(frames), (height - 1) // 2))
    first = min(max(index - room // 2, 0), max(len(frames) - room, 0))
    for i in range(first, min(first + room, len(frames))):
        text = frames[i].text(i, source=False).rstrip("\n")
        lines.append(("> " if i == index else "  ") + text)
    fr = frames[index]
    left = height - len(lines) - 1
    if left > 0 and fr.line > 0 and not fr.error:
        lines.append("")
        start = max(1, fr.line - (left - 1) // 2)
        try:
            listing = model.source_listing(fr.file, start, start + left - 1, fr.line)
            lines.extend(listing.splitlines())
        except _lib.PyxrayError as e:
            lines.append(str(e))
    return lines[:height]


class PythonWindow:
    """GDB calls render() when the window is shown or resized; the events
    below redraw it when the stack or the selection may have changed."""

    def __init__(self, win):
        self.win = win
        self.win.title = "Python stack"
        self._last: Optional[str] = None
        self._running = False
        gdb.events.stop.connect(self._stopped)
        gdb.events.before_prompt.connect(self._changed)
        gdb.events.cont.connect(self._continued)

    def _stopped(self, *_args) -> None:
        self._running = False
        self._changed()

    def _continued(self, *_args) -> None:
        self._running = True
        self._changed()

    def _changed(self, *_args) -> None:
        if self.win.is_valid():
            self.render()

    def render(self) -> None:
        try:
            width, height = self.win.width, self.win.height
            if self._running:
                lines = ["The program is running: its Python stack shows when it stops."]
            else:
                lines = _content(height)
        except Exception as e:  # never an error out of GDB's redraw
            lines = ["pyxray: %s: %s" % (type(e).__name__, e)]
            width = self.win.width
        text = "\n".join(line.expandtabs(8)[:width] for line in lines)
        if text == self._last:
            return
        self._last = text
        self.win.erase()
        self.win.write(text)

    def close(self) -> None:
        for registry, fn in ((gdb.events.stop, self._stopped),
                             (gdb.events.before_prompt, self._changed),
                             (gdb.events.cont, self._continued)):
            try:
                registry.disconnect(fn)
            except (ValueError, RuntimeError):
                pass


def install() -> None:
    if not hasattr(gdb, "register_window_type"):
        return  # a GDB without TUI support
    gdb.register_window_type(WINDOW, PythonWindow)
    try:
        gdb.execute(LAYOUT, to_string=True)
    except gdb.error:
        pass  # no TUI in this GDB
