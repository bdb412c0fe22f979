# SPDX-License-Identifier: MIT
"""The crash report of docs/cores.md from a GDB batch session, through
pyxray's scripting API (docs/gdb.md, "Scripting"): every Python thread of
the core with its frames and their local variables, as JSON, with no text
parsed. The thread GDB selects when it loads a core took the signal; it
comes first.

    gdb -batch -nx -x gdbext/pyxray-gdb.py -x docs/examples/gdb_core_report.py PYTHON CORE
"""
import json

import gdb
import pyxray


def fatal_signal():
    """GDB's $_siginfo of the selected thread: (number, faulting address)."""
    try:
        info = gdb.parse_and_eval("$_siginfo")
        number = int(info["si_signo"])
        addr = int(info["_sifields"]["_sigfault"]["si_addr"]) if number in (4, 7, 8, 11) else 0
        return number, addr
    except gdb.error:
        return 0, 0


def main():
    snap = pyxray.snapshot(locals=True)
    proc = snap.process()
    first = gdb.selected_thread().ptid[1]
    signo, addr = fatal_signal()
    out = {"pid": proc.pid, "executable": proc.executable, "python": proc.python_version,
           "signal": signo, "addr": addr, "threads": []}
    for thread in sorted(proc.threads, key=lambda t: t.tid != first):
        out["threads"].append({
            "tid": thread.tid,
            "name": thread.name,
            "selected": thread.tid == first,
            "frames": [{"function": f.qualname, "file": f.file, "line": f.line,
                        "locals": {v.name: v.repr for v in f.locals or ()}}
                       for f in thread.frames],
        })
    gdb.write(json.dumps(out, indent=2) + "\n")


main()
