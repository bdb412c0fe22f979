# SPDX-License-Identifier: MIT
"""Runs inside the sub-interpreter threads_target.py creates (3.8+): parks
the calling thread at a known line, blocked in os.read on the fd it is given.
Line tags as in threads_target.py."""
import os


def park_in_subinterp(fd):
    os.read(fd, 1)  # PARK:subinterp


def run(fd):
    park_in_subinterp(fd)  # CALL:subinterp-run
