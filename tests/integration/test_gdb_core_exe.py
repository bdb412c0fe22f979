# SPDX-License-Identifier: MIT
"""GDB on a core loaded with the wrong Python executable (issue 7 item 5):
`gdb /usr/bin/python3.11 CORE-OF-PYENV-3.11` resolves _PyRuntime in the
wrong file and read memory the core does not hold ("reading Py_Version: 8
bytes ... are not readable"). The extension compares the core's executable
(NT_FILE, and the build-id in the core's copy of its ELF header) with the
one GDB loaded, through pyx_core_check_exe, and says which one made the
core. With the right executable, stripped or not, py-bt-all reads it."""
import os
import subprocess

import pytest

import gdb_support
import support
from gdb_support import Session

SMALL_CORE_ENV = {"MALLOC_ARENA_MAX": "1"}


def python_of(vid):
    for v in support.VARIANTS:
        if v.id == vid:
            if v.absent:
                pytest.skip(v.absent)
            return v
    pytest.skip("no variant " + vid)


@pytest.fixture(scope="module")
def pyenv_core(workdir):
    v = python_of("3.11")
    t = gdb_support.start_program(v, workdir, support.TARGET, extra_env=SMALL_CORE_ENV)
    try:
        t.wait_ready()
        t.wait_parked()
        prefix = os.path.join(workdir, "wrong-exe")
        subprocess.run(["gcore", "-o", prefix, str(t.pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=gdb_support.GDB_TIMEOUT, check=True)
        path = "%s.%d" % (prefix, t.pid)
        yield v, os.readlink("/proc/%d/exe" % t.pid), path
    finally:
        t.kill()
    os.unlink(path)


def session(exe, core, workdir):
    s = Session()
    s.cmd("bt-all", "py-bt-all")
    s.cmd("bt", "py-bt")
    s.execute([exe, core], workdir)
    return s


def test_core_with_another_python(pyenv_core, workdir):
    debian = python_of("debian-3.11")
    v, exe, core = pyenv_core
    s = session(debian.interp.exe, core, workdir)
    for key in ("bt-all", "bt"):
        msg = gdb_support.error_of(s[key])
        assert "the core was made by %s" % exe in msg, msg
        assert "not by %s" % debian.interp.exe in msg and "build-id" in msg, msg
        assert "load it with 'file %s'" % exe in msg, msg
        assert "not readable" not in msg, msg


def test_core_with_its_python(pyenv_core, workdir):
    v, exe, core = pyenv_core
    s = session(exe, core, workdir)
    assert '"worker-1"' in gdb_support.out_of(s["bt-all"])


def test_check_exe_binding(pyenv_core):
    """The C check the extension calls, directly: same file, other file."""
    debian = python_of("debian-3.11")
    v, exe, core = pyenv_core
    code = ("import sys; sys.path.insert(0, %r); from pyxray import _lib; "
            "print(_lib.core_check_exe(%r, %r)); print(_lib.core_check_exe(%r, %r))"
            % (os.path.join(support.SRCDIR, "gdbext"), core, exe, core, debian.interp.exe))
    run = gdb_support.run_gdb(["-ex", "python " + code], ext=False)
    lines = run.out.splitlines()
    assert lines[0] == "None", run
    assert lines[1].startswith("the core was made by %s (build-id " % exe), run
