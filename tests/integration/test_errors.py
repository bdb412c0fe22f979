# SPDX-License-Identifier: MIT
"""pyxray's failures: each one a single "pyxray: " line and an exit status,
never a crash, and the target left as it was."""
import os
import pwd
import re
import subprocess
import sys

import pytest

import required
import support
from support import run_pyxray


def one_line_error(res):
    assert res.rc == 1, res
    assert res.out == "", res
    lines = res.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyxray: "), res
    return lines[0]


def free_pid():
    """A pid that was just used and reaped, so nothing has it now."""
    p = subprocess.Popen(["true"])
    p.wait()
    assert not os.path.exists("/proc/%d" % p.pid)
    return p.pid


def test_no_such_process(pyxray_bin):
    pid = free_pid()
    for flags in ([], ["--json"], ["--nonblocking"]):
        msg = one_line_error(run_pyxray(pyxray_bin, "dump", *(flags + [pid])))
        assert "no such process" in msg
        assert str(pid) in msg


def test_not_python(pyxray_bin):
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        exe = os.readlink("/proc/%d/exe" % sleeper.pid)
        for flags in ([], ["--json"], ["--nonblocking"]):
            res = run_pyxray(pyxray_bin, "dump", *(flags + [sleeper.pid]))
            msg = one_line_error(res)
            assert "has no Python interpreter" in msg
            assert str(sleeper.pid) in msg and exe in msg
            support.assert_not_stopped(sleeper.pid)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def nobody_prefix():
    setpriv = required.tool("setpriv")
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        required.absent("no user 'nobody'")
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to 'nobody'")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def test_permission_denied(pyxray_bin):
    prefix = nobody_prefix()
    probe = subprocess.run(prefix + [pyxray_bin, "--version"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if probe.returncode in (126, 127) or b"ermission denied" in probe.stderr:
        pytest.fail("user nobody cannot run %s (a build tree under a "
                    "private folder?): %s"
                    % (pyxray_bin, probe.stderr.decode().strip()))
    # A root-owned python, parked in read().
    target = subprocess.Popen(
        [sys.executable, "-c",
         "import os; os.write(1, b'R\\n'); os.read(0, 1)"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert target.stdout.readline() == b"R\n"
        for flags in ([], ["--json"], ["--nonblocking"]):
            res = run_pyxray(pyxray_bin, "dump", *(flags + [target.pid]),
                             prefix=prefix)
            msg = one_line_error(res)
            assert "ptrace" in msg.lower(), msg
            # ... and says what to do about it.
            assert re.search(r"root|CAP_SYS_PTRACE|sudo|ptrace_scope",
                             msg, re.I), msg
            support.assert_not_stopped(target.pid)
        assert target.poll() is None
    finally:
        target.kill()
        target.wait()


@pytest.mark.parametrize("args", [
    [], ["dump"], ["dump", "abc"], ["dump", "12abc"], ["frobnicate"],
    ["dump", "--frobnicate", "1"], ["dump", "1", "2"], ["dump", "1", "--depth"],
    ["dump", "--", "--json"], ["dump", "1", "--", "2"],
], ids=lambda a: " ".join(a) or "no-args")
def test_bad_usage(pyxray_bin, args):
    res = run_pyxray(pyxray_bin, *args)
    assert res.rc == 2, res
    assert res.out == "", res
    lines = res.err.splitlines()
    assert lines and lines[0].startswith("pyxray: "), res
    assert "--help" in res.err or "usage" in res.err.lower(), res


@pytest.mark.parametrize("pid", [" 5", "+1", "0x10", "5 ", "010", "0", "1.0", "2147483648",
                                 "5\n", "\x1b[31m"])
@pytest.mark.parametrize("cmd", ["dump", "ps"])
def test_pid_refused(pyxray_bin, cmd, pid):
    """What strtol would take but is not a process id: one line, exit 2,
    the operand quoted with control bytes escaped."""
    res = run_pyxray(pyxray_bin, cmd, pid)
    assert res.rc == 2, res
    assert res.out == "", res
    quoted = "".join(c if " " <= c < "\x7f" else "\\x%02x" % ord(c) for c in pid)
    assert res.err == "pyxray: '%s' is not a process id (a decimal number such as 4242) " \
                      "(see 'pyxray --help')\n" % quoted, res


def test_help_and_version(pyxray_bin):
    res = run_pyxray(pyxray_bin, "--help")
    assert res.rc == 0, res
    assert "dump" in res.out and "--json" in res.out, res
    res = run_pyxray(pyxray_bin, "--version")
    assert res.rc == 0 and res.out.strip(), res


@pytest.mark.parametrize("delay_ms", [0, 10])
def test_exits_during_read(variant, pyxray_bin, workdir, delay_ms):
    """The target exits right after READY, while pyxray reads it: a clean
    error or a good snapshot, never a crash or a hang."""
    t = support.start_target(variant, workdir,
                             ["--exit-after-ready", str(delay_ms)])
    try:
        t.wait_ready()
        res = run_pyxray(pyxray_bin, "dump", "--json", t.pid)
        if res.rc == 0:
            doc = res.json()
            assert doc["processes"][0]["pid"] == t.pid
        else:
            assert res.rc == 1, res
            assert len(res.err.splitlines()) == 1, res
        assert t.proc.wait(timeout=60) == 0, t.stderr()
    finally:
        t.kill()


@pytest.mark.parametrize("exe", support.LEGACY or [None])
def test_unsupported_python_never_crashes(exe, pyxray_bin, workdir):
    """2.7 is outside what pyxray decodes; it must say so cleanly (or
    succeed), and leave the target running."""
    if exe is None:
        required.absent("python 2.7 (required.REQUIRED_LEGACY) is not under "
                        "%s/versions" % support.PYENV_ROOT)
    variant = support.Variant("2.7", "base", (2, 7),
                              support.Interp(exe, {
                                  "version": [2, 7, 0], "prefix": "",
                                  "shared": 0, "libdir": None,
                                  "soname": None}))
    t = support.start_target(variant, workdir)
    try:
        t.wait_ready()
        t.wait_parked()
        for flags in ([], ["--json"], ["--nonblocking"]):
            res = run_pyxray(pyxray_bin, "dump", *(flags + [t.pid]))
            if res.rc != 0:
                msg = one_line_error(res)
                # A version it names must be the target's own.
                for named in re.findall(r"\b2\.7\.\d+", msg):
                    assert named == t.report["version"], msg
            support.assert_not_stopped(t.pid)
            t.wait_parked()
        t.ping()
    finally:
        t.kill()


def test_target_strings_cannot_drive_the_terminal():
    """Names come from the target: control characters are escaped in text
    and the JSON stays valid and exact."""
    code = ("import threading\n"
            "t = threading.Thread(target=threading.Event().wait, name='evil\\x1b[31mred\\x07')\n"
            "t.start()\nprint('ready', flush=True)\nthreading.Event().wait()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        text = support.run_pyxray(support.pyxray_path(), "dump", proc.pid)
        assert text.rc == 0, text
        assert "\x1b" not in text.out and "\x07" not in text.out, text
        assert '"evil\\x1b[31mred\\x07"' in text.out, text
        doc = support.run_pyxray(support.pyxray_path(), "dump", "--json", proc.pid).json()
        names = [t["name"] for i in doc["processes"][0]["interpreters"] for t in i["threads"]]
        assert "evil\x1b[31mred\x07" in names, names
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("args", [
    ["core", "we\x1b]0;pwned\x07ird"],
    ["core", "--sysroot", "/nonexistent", "di\x1b[31mr/core"],
    ["dump", "--max-frames", "\x1b[31m", "1"],
    ["arm", "--dir", "d\x1b[2Jir", "1"],
], ids=["core-file", "core-path", "usage", "arm-dir"])
def test_error_lines_escaped(pyxray_bin, args):
    """What the user typed comes back in an error line escaped, by the same
    escaper as target strings: one line, no control character."""
    res = run_pyxray(pyxray_bin, *args)
    assert res.rc in (1, 2), res
    assert res.err.count("\n") == 1 and res.err.startswith("pyxray: "), res
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", res.err), res
    assert "\\x1b" in res.err, res
