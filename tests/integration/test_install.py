# SPDX-License-Identifier: MIT
"""`make install` and `make uninstall` from the build tree, as GNU and
Debian expect: everything under the prefix (the GDB loader in
$(sysconfdir)/gdb/gdbinit.d by default), a DESTDIR stage holding nothing
else, the installed extension loading in GDB with the installed library,
and an uninstall that removes every file and every directory the install
created, and nothing that was there before (another program's loader in the
same gdbinit directory, an existing bin/)."""
import os
import re
import subprocess

import gdb_support
import support

BUILDDIR = os.environ.get("PYXRAY_BUILDDIR") or support.SRCDIR


def make(*args, **kw):
    """make in the build tree, outside the jobserver of a `make check`
    that may be running this test."""
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(name, None)
    res = subprocess.run(["make", "-s", "-C", BUILDDIR] + list(args), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    out = res.stdout.decode("utf-8", "replace")
    assert res.returncode == kw.get("rc", 0), out
    return out


def configured(name):
    """A variable of the generated Makefile (prefix, GDB_GDBINIT_DIR...)."""
    with open(os.path.join(BUILDDIR, "Makefile")) as f:
        m = re.search(r"^%s = (.*)$" % re.escape(name), f.read(), re.M)
    assert m, name
    return m.group(1).strip()


def tree(root):
    out = set()
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def test_default_loader_under_the_prefix():
    assert configured("GDB_GDBINIT_DIR") in ("${sysconfdir}/gdb/gdbinit.d",
                                             "$(sysconfdir)/gdb/gdbinit.d"), \
        "configure was given --with-gdb-gdbinit-dir; this test wants the default"


def test_destdir_stage_holds_only_the_prefix(tmp_path):
    stage = str(tmp_path / "stage")
    os.mkdir(stage)
    make("install", "DESTDIR=" + stage)
    prefix = configured("prefix").lstrip("/")
    parts = prefix.split("/")
    ancestors = {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}
    outside = [p for p in tree(stage) if p not in ancestors and
               not p.startswith(prefix + "/")]
    assert not outside, "installed outside %s: %s" % (prefix, outside)
    got = tree(os.path.join(stage, prefix))
    for want in ("bin/pyxray", "lib/libpyxray.so.0", "include/pyxray/pyxray.h",
                 "share/man/man1/pyxray.1", "share/pyxray/gdbext/pyxray/__init__.py",
                 "share/pyxray/gdbext/pyxray/_config.py", "etc/gdb/gdbinit.d/pyxray.py"):
        assert want in got, (want, sorted(got))
    make("uninstall", "DESTDIR=" + stage)
    assert tree(stage) == set(), sorted(tree(stage))


def test_prefix_install_loads_and_uninstall_leaves_what_was_there(tmp_path):
    prefix = str(tmp_path / "p")
    # What another install left: an existing bin/ and another loader.
    os.makedirs(os.path.join(prefix, "bin"))
    other = os.path.join(prefix, "etc", "gdb", "gdbinit.d", "other.py")
    os.makedirs(os.path.dirname(other))
    with open(other, "w") as f:
        f.write("# another program's loader\n")
    before = tree(prefix)
    make("install", "prefix=" + prefix)
    res = subprocess.run([os.path.join(prefix, "bin", "pyxray"), "--version"],
                         stdout=subprocess.PIPE, check=True)
    assert res.stdout.startswith(b"pyxray "), res
    # The installed loader, the installed package, the installed library.
    loader = os.path.join(prefix, "etc", "gdb", "gdbinit.d", "pyxray.py")
    env = {k: v for k, v in gdb_support.gdb_env().items() if k != "PYXRAY_LIBRARY"}
    run = subprocess.run(
        [gdb_support.gdb_path(), "-batch", "-nx", "-x", loader, "-ex", "help pyxray",
         "-ex", "python import pyxray, pyxray._lib as L; print(pyxray.__file__); "
                "L.lib(); print(L._lib._name)"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
    out = run.stdout.decode()
    assert run.returncode == 0, out
    assert os.path.join(prefix, "share", "pyxray", "gdbext", "pyxray", "__init__.py") in out, out
    assert os.path.join(prefix, "lib", "libpyxray.so.0") in out, out
    assert "pyxray bt-all" in out, out
    make("uninstall", "prefix=" + prefix)
    assert tree(prefix) == before, sorted(tree(prefix) ^ before)
    with open(other) as f:
        assert f.read() == "# another program's loader\n"


def test_reinstall_keeps_the_created_list(tmp_path):
    """A second install over the first must not forget the directories the
    first created."""
    prefix = str(tmp_path / "q")
    make("install", "prefix=" + prefix)
    make("install", "prefix=" + prefix)
    make("uninstall", "prefix=" + prefix)
    assert not os.path.exists(prefix), sorted(tree(prefix))

