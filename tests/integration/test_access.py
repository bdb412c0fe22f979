# SPDX-License-Identifier: MIT
"""Errors that say what is really wrong: a kernel thread is called one
(dump fails, ps marks it); a refused ptrace names what is missing (the
user, a capability, a user namespace, a security module) and names
/proc/sys/kernel/yama/ptrace_scope only where it exists; as another user,
`pyxray ps` lists the tree with the processes it may not read marked, and
`dump --children` still shows the readable ones."""
import json
import os
import pwd
import re
import subprocess
import sys
import time

import pytest

import required
import support
from support import run_pyxray

YAMA = "/proc/sys/kernel/yama/ptrace_scope"
DEBIAN_PYTHON = "/usr/bin/python3.11"  # runnable by any user (pyenv's is under /root)


def one_line_error(res):
    assert res.rc == 1, res
    assert res.out == "", res
    lines = res.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyxray: "), res
    return lines[0]


def yama_named_only_where_it_exists(msg):
    if not os.path.exists(YAMA):
        assert "ptrace_scope" not in msg and "yama" not in msg.lower(), msg


def kernel_thread_pid():
    """kthreadd (pid 2) on Linux; any process whose status says Kthread: 1
    otherwise."""
    for pid in [2] + sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if re.search(r"^Kthread:\s+1", status, re.M) or (pid == 2 and not cmdline):
            return pid, re.search(r"^Name:\s+(.*)$", status, re.M).group(1)
    pytest.fail("no kernel thread found in /proc")


def test_dump_kernel_thread(pyxray_bin):
    pid, name = kernel_thread_pid()
    for flags in ([], ["--json"], ["--nonblocking"], ["--children", "--depth", "1"]):
        msg = one_line_error(run_pyxray(pyxray_bin, "dump", *(flags + [pid])))
        assert msg == "pyxray: pid %d (%s) is a kernel thread: it has no user memory " \
                      "and runs no Python" % (pid, name), msg


def test_ps_kernel_thread(pyxray_bin):
    pid, name = kernel_thread_pid()
    res = run_pyxray(pyxray_bin, "ps", "--depth", "1", pid)
    assert res.rc == 0, res
    rows = res.out.splitlines()[1:]
    assert rows and rows[0].split()[0] == str(pid), res
    assert rows[0].endswith("[%s]  (kernel thread)" % name), res
    assert "exited" not in res.out, res
    doc = run_pyxray(pyxray_bin, "ps", "--json", "--depth", "1", pid).json()
    assert doc["processes"][0]["kernel_thread"] == name, doc["processes"][0]
    assert not doc["processes"][0]["python"]


@pytest.fixture(scope="module")
def parked():
    """A root-owned Python process parked in read()."""
    p = subprocess.Popen([sys.executable, "-c", "import os; os.write(1, b'R\\n'); os.read(0, 1)"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"R\n"
    yield p
    p.kill()
    p.wait()


def need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root: the test drops privileges or users")


def test_root_without_cap_sys_ptrace(pyxray_bin, parked):
    """Root whose CAP_SYS_PTRACE is dropped: the target holds capabilities
    pyxray lacks, so the message names them, not the user."""
    need_root()
    prefix = [required.tool("setpriv"), "--bounding-set", "-sys_ptrace", "--inh-caps",
              "-sys_ptrace"]
    for flags in ([], ["--nonblocking"]):
        msg = one_line_error(run_pyxray(pyxray_bin, "dump", *(flags + [parked.pid]),
                                        prefix=prefix))
        assert "holds capabilities pyxray lacks (CAP_SYS_PTRACE)" in msg, msg
        assert "run as the target's user" not in msg and "runs as" not in msg, msg
        yama_named_only_where_it_exists(msg)
    support.assert_not_stopped(parked.pid)


def test_root_in_user_namespace(pyxray_bin, parked):
    need_root()
    unshare = required.tool("unshare")
    msg = one_line_error(run_pyxray(pyxray_bin, "dump", parked.pid,
                                    prefix=[unshare, "--user", "--map-root-user"]))
    assert "pyxray runs in a user namespace" in msg, msg
    assert "CAP_SYS_PTRACE does not reach pid %d" % parked.pid in msg, msg
    yama_named_only_where_it_exists(msg)


def test_pid_1_as_root(pyxray_bin):
    """Whatever pid 1 is here: if root may not read it, the message does not
    tell root to become root."""
    need_root()
    res = run_pyxray(pyxray_bin, "dump", 1)
    if res.rc == 0:
        return
    msg = res.err.splitlines()[0]
    if "ptrace" not in msg and "permission" not in msg:
        return  # not Python, say: another test's business
    assert "as root" not in msg and "run as the same user" not in msg, msg
    assert re.search(r"security module|user namespace|ptrace_scope is 3", msg), msg
    yama_named_only_where_it_exists(msg)


@pytest.fixture(scope="module")
def other_user():
    """A user created for this run (useradd), removed at the end."""
    need_root()
    useradd, userdel = required.tool("useradd"), required.tool("userdel")
    name = "pyxt%d" % os.getpid()
    subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run([userdel, name], check=False)


def as_user(user):
    return [required.tool("runuser"), "-u", user.pw_name, "--"]


def test_other_users_process(pyxray_bin, parked, other_user):
    msg = one_line_error(run_pyxray(pyxray_bin, "dump", parked.pid,
                                    prefix=as_user(other_user)))
    assert "it runs as root (uid 0) and pyxray as %s (uid %d)" % (
        other_user.pw_name, other_user.pw_uid) in msg, msg
    assert "run pyxray as that user, or as root" in msg, msg
    yama_named_only_where_it_exists(msg)


# A parent that starts its child through argv[1:] (setpriv to the other user).
MIXED = r"""
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:] + [sys.executable, "-c", "import os; os.write(1, b'%d\\n' % os.getpid()); os.read(0, 1)"], stdout=subprocess.PIPE)
line = child.stdout.readline()
os.write(1, b'%d ' % os.getpid() + line)
os.read(0, 1)
child.kill()
"""


def test_ps_partial_tree_as_other_user(pyxray_bin, other_user, workdir):
    """A root Python whose child runs as the other user: as that user, ps
    lists both, the parent marked, the child read; dump --children shows
    the child's stack."""
    setpriv = required.tool("setpriv")
    drop = [setpriv, "--reuid", str(other_user.pw_uid), "--regid", str(other_user.pw_gid),
            "--clear-groups"]
    script = os.path.join(workdir, "mixed_users.py")
    with open(script, "w") as f:
        f.write(MIXED)
    os.chmod(workdir, 0o755)
    tree = subprocess.Popen([DEBIAN_PYTHON, script] + drop, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    child = None
    try:
        parent, child = [int(x) for x in tree.stdout.readline().split()]
        res = run_pyxray(pyxray_bin, "ps", parent, prefix=as_user(other_user))
        assert res.rc == 0, res
        rows = {int(r.split()[0]): r for r in res.out.splitlines()[1:]}
        assert set(rows) == {parent, child}, res
        assert rows[parent].endswith("(not permitted to read it)"), res
        assert " 3.11." in rows[child] and "not permitted" not in rows[child], res
        note = res.err.strip()
        assert note.startswith("pyxray: 1 of 2 processes not readable: cannot ptrace pid "
                               "%d: it runs as root (uid 0)" % parent), res
        doc = run_pyxray(pyxray_bin, "ps", "--json", parent, prefix=as_user(other_user)).json()
        procs = {p["pid"]: p for p in doc["processes"]}
        assert "runs as root" in procs[parent]["error"], doc
        assert procs[child]["python"] and "error" not in procs[child], doc

        res = run_pyxray(pyxray_bin, "dump", "--children", parent, prefix=as_user(other_user))
        assert res.rc == 0, res
        assert "error: cannot ptrace pid %d" % parent in res.out, res
        assert re.search(r"^Thread %d\b.*\n    <module> \(<string>:1\)$" % child,
                         res.out, re.M), res
        support.assert_not_stopped(child)
    finally:
        if child:
            os.kill(child, 9)
        tree.kill()
        tree.wait()


def test_not_dumpable(pyxray_bin, other_user):
    """A process of the same user that made itself non-dumpable (its /proc
    files then belong to root, its directory does not): said so, not
    blamed on a security module."""
    code = ("import ctypes, os; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); "
            "os.write(1, b'R\\n'); os.read(0, 1)")
    p = subprocess.Popen(as_user(other_user) + [DEBIAN_PYTHON, "-c", code],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"R\n"
        pid = int(subprocess.check_output(["pgrep", "-u", other_user.pw_name, "-f",
                                           "PR_SET|prctl"]).split()[0])
        msg = one_line_error(run_pyxray(pyxray_bin, "dump", pid,
                                        prefix=as_user(other_user)))
        assert "is not dumpable" in msg and "prctl(PR_SET_DUMPABLE, 0)" in msg, msg
        yama_named_only_where_it_exists(msg)
    finally:
        p.kill()
        p.wait()
