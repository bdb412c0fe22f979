# SPDX-License-Identifier: MIT
"""Runs inside the sub-interpreter threads_target.py creates (3.8+): parks
the calling thread at a known line, blocked in os.read on the fd it is given.
Line tags as in threads_target.py."""
import os
import sys


def park_in_subinterp(fd):
    os.read(fd, 1)  # PARK:subinterp


def run(fd, report_path):
    # The file name CPython gives the code run_string/exec runs ("<string>",
    # "<script>" on 3.14) is reported so the test does not guess it.
    with open(report_path, "w") as f:
        f.write(sys._getframe(1).f_code.co_filename)
    park_in_subinterp(fd)  # CALL:subinterp-run
