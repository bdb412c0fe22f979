# SPDX-License-Identifier: MIT
"""pyxray for GDB: Python stacks, locals and interpreters of live processes,
cores and remote targets, decoded by libpyxray without CPython debug
symbols. Importing the package registers the commands (py-bt-all, py-bt,
py-ps, py-attach-children, py-follow-forks, py-inject, ... and the `pyxray`
prefix),
the MI commands and, when present, the frame filter.
"""
import gdb

from . import attach, commands, forks, mi  # noqa: F401  (attach, forks add commands)
from . import inject  # noqa: F401  (py-inject: self-contained, registers itself)

commands.install()
mi.install()

try:
    from . import framefilter  # noqa: F401  (registers itself)
except ImportError as e:
    if e.name != __name__ + ".framefilter":
        gdb.write("pyxray: frame filter not loaded: %s\n" % e, gdb.STDERR)
except Exception as e:  # the commands above must not depend on it
    gdb.write("pyxray: frame filter not loaded: %s: %s\n" % (type(e).__name__, e), gdb.STDERR)
