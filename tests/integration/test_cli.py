# SPDX-License-Identifier: MIT
"""The command line as GNU tools read it: options before or after the
process id (getopt permutes them; POSIXLY_CORRECT turns that off), `--`
ends the options, and values after their option in either place."""
import pytest

import support
from support import run_pyxray


@pytest.fixture(scope="module")
def target(workdir):
    yield from support.parked_target(workdir)


def test_options_after_pid(pyxray_bin, target):
    pid = str(target.pid)
    before = run_pyxray(pyxray_bin, "dump", "--json", "--max-frames", "3", pid).json()
    after = run_pyxray(pyxray_bin, "dump", pid, "--json", "--max-frames", "3").json()
    mixed = run_pyxray(pyxray_bin, "dump", "--max-frames", "3", pid, "--json").json()
    for doc in (before, after, mixed):
        threads = [t for i in doc["processes"][0]["interpreters"] for t in i["threads"]]
        assert threads and all(len(t["frames"]) <= 3 for t in threads), doc
        assert doc["processes"][0]["pid"] == target.pid
    text = run_pyxray(pyxray_bin, "dump", pid, "--children", "--depth", "1")
    assert text.rc == 0 and text.out.startswith("Process %s " % pid), text
    ps = run_pyxray(pyxray_bin, "ps", pid, "--json").json()
    assert ps["processes"][0]["pid"] == target.pid


def test_double_dash_ends_options(pyxray_bin, target):
    pid = str(target.pid)
    res = run_pyxray(pyxray_bin, "dump", "--json", "--", pid)
    assert res.json()["processes"][0]["pid"] == target.pid
    res = run_pyxray(pyxray_bin, "dump", pid, "--", "--json")
    assert res.rc == 2, res
    assert res.err.startswith("pyxray: dump takes one process id, got extra '--json'"), res


def test_posixly_correct_keeps_posix_order(pyxray_bin, target):
    res = run_pyxray(pyxray_bin, "dump", str(target.pid), "--json",
                     env=dict(support.os.environ, POSIXLY_CORRECT="1"))
    assert res.rc == 2 and "got extra '--json'" in res.err, res
