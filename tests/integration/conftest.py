# SPDX-License-Identifier: MIT
"""Integration fixtures. Helpers live in support.py, the list of what must
be covered in required.py.

Tests that take a `variant` argument run once per way of running the target
(support.discover). A test whose variant is absent fails at setup with the
reason (required.absent), never skips; the session's closing line says how
many variants ran.
"""
import os

import pytest

import required
import support


def pytest_configure(config):
    for v in support.VARIANTS:
        if v.absent:
            support.ABSENT[v.id] = v.absent


def pytest_generate_tests(metafunc):
    if "variant" not in metafunc.fixturenames:
        return
    metafunc.parametrize("variant", support.variant_params(), scope="module")


def _variants_in(value):
    if isinstance(value, support.Variant):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            for found in _variants_in(v):
                yield found


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture runs: a test on an absent variant fails here
    (whichever fixture carries it: variant, rv, cv, ...)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return
    for value in callspec.params.values():
        for v in _variants_in(value):
            if v.absent:
                required.absent("%s: %s" % (v.id, v.absent))


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.write_sep("-", "pyxray interpreters")
    tr.write_line("ran: %s" % (" ".join(sorted(support.RAN)) or "(none)"))
    tr.write_line("absent: %s" % (" ".join(sorted(support.ABSENT))
                                  or "(none)"))
    for vid in sorted(support.ABSENT):
        tr.write_line("  %s: %s" % (vid, support.ABSENT[vid]))


def pytest_unconfigure(config):
    """The closing line of the run, after pytest's own totals."""
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is None or config.option.collectonly:
        return
    absent = sorted(support.ABSENT)
    tr.write_line("pyxray: %d of %d variants ran%s" % (
        len(support.RAN), len(support.VARIANTS),
        "; absent: " + " ".join(absent) if absent else ""))


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
