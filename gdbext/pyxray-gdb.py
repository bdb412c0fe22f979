# SPDX-License-Identifier: MIT
# Loads pyxray into GDB from the build tree: gdb -x gdbext/pyxray-gdb.py ...
# (an installed pyxray is loaded by the script in GDB's system gdbinit
# directory instead).
import os
import sys

# GDB runs this in __main__, whose __file__ may name another script (one
# that sourced this one); the code object knows which file it came from.
_here = os.path.dirname(os.path.abspath(sys._getframe().f_code.co_filename))
if _here not in sys.path:
    sys.path.insert(0, _here)

import pyxray  # noqa: E402,F401  (registers the commands)
