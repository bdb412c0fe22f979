# SPDX-License-Identifier: MIT
"""A crash report for CI from `pyxray core --json` (docs/cores.md), with no
text parsing: one Markdown section per process that took a fatal signal,
the crashed thread's innermost frames first, then the other processes of
the set in one line each. Exit status 1 when a process crashed, so a CI step
fails with the report as its log.

    pyxray core --json core.* | python3 core_report.py > crash.md
"""
import json
import sys

FRAMES = 8  # innermost frames of the crashed thread


def where(frame):
    return "%s (%s:%d)" % (frame["qualname"], frame["file"], frame["line"])


def crashed_thread(proc):
    for interp in proc["interpreters"]:
        for thread in interp["threads"]:
            if thread.get("crashed"):
                return thread
    return None


def report(doc, out):
    crashes = 0
    for proc in doc["processes"]:
        sig = proc.get("signal")
        name = "%d%s" % (proc["pid"], " (%s)" % proc["role"] if proc["role"] else "")
        if not sig:
            what = proc.get("error") or "%d thread(s), no fatal signal" % proc["threads"]
            out.write("- process %s: %s\n" % (name, what))
            continue
        crashes += 1
        out.write("\n## Process %s: %s (%s)" % (name, sig["name"], sig["code_name"] or sig["code"]))
        if sig["name"] in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE"):
            out.write(" at address 0x%x" % sig["addr"])
        out.write("\n\n`%s`, Python %s, core `%s`\n\n" % (
            " ".join(proc["argv"]), proc["python_version"], proc["core_file"]))
        for w in proc["warnings"]:
            out.write("> warning: %s\n" % w)
        thread = crashed_thread(proc)
        if thread is None:
            out.write("The thread that crashed (%d) ran no Python code.\n" % sig["thread"])
            continue
        out.write("Thread %d %s crashed in:\n\n" % (thread["tid"], thread["name"] or ""))
        for frame in thread["frames"][:FRAMES]:
            out.write("    %s\n" % where(frame))
        if len(thread["frames"]) > FRAMES:
            out.write("    ... %d more frames\n" % (len(thread["frames"]) - FRAMES))
    return crashes


if __name__ == "__main__":
    sys.exit(1 if report(json.load(sys.stdin), sys.stdout) else 0)
