# SPDX-License-Identifier: MIT
"""pyxray's GDB settings: `set pyxray ...` / `show pyxray ...`.

  max-frames N         Python frames read per thread (1 to 1000000, default 4096)
  frame-arguments on   the frame filter shows each Python frame's arguments

They are read by the layers that take snapshots (target.py, tree.py) and by
the frame filter; nothing here imports the rest of the package.
"""
from __future__ import annotations

import gdb

MAX_FRAMES_DEFAULT = 4096
MAX_FRAMES_LIMIT = 1000000


class _SetPrefix(gdb.Command):
    """Set pyxray's options.

Usage: set pyxray SETTING VALUE"""

    def __init__(self):
        super().__init__("set pyxray", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, prefix=True)


class _ShowPrefix(gdb.Command):
    """Show pyxray's options.

Usage: show pyxray [SETTING]"""

    def __init__(self):
        super().__init__("show pyxray", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, prefix=True)

    def invoke(self, arg: str, from_tty: bool) -> None:
        if arg.strip():
            raise gdb.GdbError("show pyxray: unknown setting '%s'" % arg.strip())
        for param in _params:
            gdb.write("%s\n" % param.get_show_string(param.shown()))


class MaxFrames(gdb.Parameter):
    """Set how many Python frames pyxray reads per thread.

Usage: set pyxray max-frames N

N from 1 to 1000000 (default 4096). A deeper stack is cut: py-bt, py-bt-all
and bt (through the frame filter) say how many frames were left out and
that this setting shows them. A larger N reads more of the target's memory
at each stop."""

    set_doc = "Set how many Python frames pyxray reads per thread."
    show_doc = "Show how many Python frames pyxray reads per thread."

    def __init__(self):
        super().__init__("pyxray max-frames", gdb.COMMAND_DATA, gdb.PARAM_ZUINTEGER)
        self.value = MAX_FRAMES_DEFAULT
        self._good = MAX_FRAMES_DEFAULT

    def get_set_string(self) -> str:
        if not 1 <= self.value <= MAX_FRAMES_LIMIT:
            bad, self.value = self.value, self._good
            raise gdb.GdbError("set pyxray max-frames: %d is out of range: give 1 to %d"
                               % (bad, MAX_FRAMES_LIMIT))
        self._good = self.value
        return ""

    def shown(self) -> str:
        return str(self.value)

    def get_show_string(self, svalue: str) -> str:
        return "pyxray reads at most %s Python frames per thread." % svalue


class FrameArguments(gdb.Parameter):
    """Set whether the frame filter shows Python frames' arguments.

Usage: set pyxray frame-arguments on|off

on (the default): bt shows each Python frame's arguments with their bounded
reprs, as python-gdb.py's py-bt does; reading them takes each frame's
locals, which costs time on deep stacks. off: Python frames show no
arguments."""

    set_doc = "Set whether the frame filter shows Python frames' arguments."
    show_doc = "Show whether the frame filter shows Python frames' arguments."

    def __init__(self):
        super().__init__("pyxray frame-arguments", gdb.COMMAND_DATA, gdb.PARAM_BOOLEAN)
        self.value = True

    def get_set_string(self) -> str:
        return ""

    def shown(self) -> str:
        return "on" if self.value else "off"

    def get_show_string(self, svalue: str) -> str:
        return "The pyxray frame filter shows Python frames' arguments: %s." % svalue


_params: list = []


def max_frames() -> int:
    """The max-frames setting (its default before install())."""
    return _params[0].value if _params else MAX_FRAMES_DEFAULT


def frame_arguments() -> bool:
    return bool(_params[1].value) if _params else True


def cut_note(n: int) -> str:
    """The line after a report in which n thread stacks were cut at the
    frame limit: how many, and the setting that reads more ("" for none)."""
    if not n:
        return ""
    return ("pyxray: %d thread stack%s deeper than %d Python frames cut; "
            "'set pyxray max-frames N' (up to %d) reads more\n"
            % (n, "" if n == 1 else "s", max_frames(), MAX_FRAMES_LIMIT))


def install() -> None:
    if _params:
        return
    _SetPrefix()
    _ShowPrefix()
    _params.extend([MaxFrames(), FrameArguments()])
