# SPDX-License-Identifier: MIT
"""pyxray's GDB settings: `set pyxray ...` / `show pyxray ...`.

  max-frames N         Python frames kept per thread (1 to 1000000, default 4096)
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
    """Set how many Python frames pyxray keeps per thread.

Usage: set pyxray max-frames N

N from 1 to 1000000 (default 4096). Of a deeper stack the innermost and the
outermost frames are kept, N in all: py-bt, py-bt-all and bt (through the
frame filter) say how many frames were left out between them and that this
setting shows them. A larger N reads more of the target's memory at each
stop."""

    set_doc = "Set how many Python frames pyxray keeps per thread."
    show_doc = "Show how many Python frames pyxray keeps per thread."

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
        return "pyxray keeps at most %s Python frames per thread." % svalue


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


# How a report says that frames were left out, and how to read more.
FRAMES_HINT = "set pyxray max-frames N"


def omitted_text(n: int) -> str:
    """The line shown where n Python frames of a deep stack were left out."""
    return "<%d Python frame%s left out: %s shows more>" % (n, "" if n == 1 else "s",
                                                          FRAMES_HINT)


def install() -> None:
    if _params:
        return
    _SetPrefix()
    _ShowPrefix()
    _params.extend([MaxFrames(), FrameArguments()])
