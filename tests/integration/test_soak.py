# SPDX-License-Identifier: MIT
"""Soak: a pool computing a known checksum is dumped hundreds of times,
with `pyxray dump --children` and with `py-bt-all` in GDB attaching and
detaching; the checksum, the exit status and the program's output are
unchanged, and no process is ever left stopped or traced (issue 11)."""
import importlib.util
import os
import subprocess
import sys
import time

import pytest

import support

TARGET = os.path.join(support.PROGRAMS, "checksum_pool.py")
GDB_EXT = os.path.join(support.SRCDIR, "gdbext", "pyxray-gdb.py")
CLI_DUMPS = 300
GDB_DUMPS = 60


def load_target_module():
    spec = importlib.util.spec_from_file_location("checksum_pool", TARGET)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tree(pid):
    out = [pid]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    return out


def assert_running(pids):
    for pid in pids:
        for tid, (state, tracer) in support.task_states(pid).items():
            assert state not in "tT" and tracer == 0, (pid, tid, state, tracer)


def soak_python():
    for v in support.VARIANTS:
        if v.kind == "base" and v.version == (3, 12) and not v.absent:
            return v.interp.exe
    pytest.fail("the soak test needs pyenv's 3.12 (tests/integration/required.py)")


def test_soak(pyxray_bin):
    exe = soak_python()
    proc = subprocess.Popen([exe, TARGET], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("ready "), (line, proc.stderr.read())
        pids = tree(proc.pid)
        assert len(pids) == 5, pids
        for i in range(CLI_DUMPS):
            args = ["dump", "--children"] + (["--json"] if i % 2 else [])
            p = subprocess.run([pyxray_bin] + args + [str(proc.pid)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            assert p.returncode == 0, p.stderr
            if i % 25 == 0:
                assert_running(pids)
        for i in range(GDB_DUMPS):
            p = subprocess.run(["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off",
                                "-x", GDB_EXT, "-p", str(proc.pid), "-ex", "py-bt-all"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            assert p.returncode == 0 and b"Process %d" % proc.pid in p.stdout, p.stderr[-2000:]
            assert_running(pids)
        assert_running(pids)
        proc.stdin.close()
        proc.wait(timeout=120)
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    rounds, total = map(int, out.decode().split())
    assert rounds >= 1
    assert total == load_target_module().checksum(rounds)
    assert err == b"", err
