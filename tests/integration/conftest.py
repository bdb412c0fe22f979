# SPDX-License-Identifier: MIT
"""Integration fixtures. Helpers live in support.py.

Tests that take a `variant` argument run once per way of running the target
(support.discover); absent interpreters are skipped with the reason, and the
session ends with a summary of which variants ran and which were absent.
"""
import os

import pytest

import support


def pytest_configure(config):
    for v in support.VARIANTS:
        if v.absent:
            support.ABSENT[v.id] = v.absent


def pytest_generate_tests(metafunc):
    if "variant" not in metafunc.fixturenames:
        return
    params = []
    for v in support.VARIANTS:
        marks = [pytest.mark.skip(reason=v.absent)] if v.absent else []
        params.append(pytest.param(v, id=v.id, marks=marks))
    metafunc.parametrize("variant", params, scope="module")


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.write_sep("-", "pyxray interpreters")
    tr.write_line("ran: %s" % (" ".join(sorted(support.RAN)) or "(none)"))
    tr.write_line("absent: %s" % (" ".join(sorted(support.ABSENT))
                                  or "(none)"))
    for vid in sorted(support.ABSENT):
        tr.write_line("  %s: %s" % (vid, support.ABSENT[vid]))


@pytest.fixture(scope="session")
def pyxray_bin():
    path = support.pyxray_path()
    if not os.access(path, os.X_OK):
        pytest.fail("pyxray binary not found at %s (build it, or set "
                    "PYXRAY_BUILDDIR or PYXRAY)" % path)
    return path


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """Stripped libraries, compiled embedders and target logs go here."""
    return str(tmp_path_factory.mktemp("pyxray"))


@pytest.fixture(scope="module")
def target(variant, workdir):
    """threads_target.py running under variant with every thread parked;
    killed when the module's tests are done."""
    t = support.start_target(variant, workdir)
    try:
        t.wait_ready()
        t.wait_parked()
        if t.expected_lib:
            support.assert_maps_file(t.pid, t.expected_lib)
        if variant.kind == "stripped":
            # Really without debug info: the original is not mapped.
            with open("/proc/%d/maps" % t.pid) as f:
                assert os.path.realpath(variant.interp.libpython) \
                    not in f.read()
        support.RAN.add(variant.id)
        yield t
    finally:
        t.kill()
