# SPDX-License-Identifier: MIT
"""What the integration suite must cover: the one list of required variants
and tools. On a machine prepared by ./dev every entry is present (./dev
installs the tools and `./dev test` unpacks ../shared/interpreters into
PYXRAY_EXTRA_PYTHONS); an absent entry FAILS the tests that need it, with
what to install or set. PYXRAY_ALLOW_ABSENT=1 turns those failures into
skips, for a machine ./dev did not prepare (say so when you use it).
"""
import os

import pytest

SUPPORTED_MINORS = [(3, m) for m in range(6, 16)]

# Every supported minor as a shared build (pyenv's, or the shared tarball's
# for 3.14 and 3.15), with its libpython stripped and embedded in a C
# program; the static builds of the tarballs; Debian's own python3.
REQUIRED_VARIANTS = (
    ["3.%d" % m for _, m in SUPPORTED_MINORS]
    + ["3.%d-stripped" % m for _, m in SUPPORTED_MINORS]
    + ["embed-3.%d" % m for _, m in SUPPORTED_MINORS]
    + ["3.14-static", "3.15-static", "debian-3.11"])

# Interpreters pyxray does not decode but must never crash on.
REQUIRED_LEGACY = ["2.7"]

# Tool -> what provides it (Debian package), for the failure message.
REQUIRED_TOOLS = {
    "gdb": "gdb",
    "gcore": "gdb",
    "gdbserver": "gdbserver",
    "setpriv": "util-linux",
    "runuser": "util-linux",
    "unshare": "util-linux",
    "useradd": "passwd",
    "userdel": "passwd",
    "cc": "gcc",
    "objcopy": "binutils",
    "readelf": "binutils",
    "nm": "binutils",
    "xz": "xz-utils",
    "tmux": "tmux",
}

HOW = ("./dev test provides it: it installs the tools and unpacks "
       "../shared/interpreters into PYXRAY_EXTRA_PYTHONS")


def allow_absent():
    return os.environ.get("PYXRAY_ALLOW_ABSENT", "") not in ("", "0")


def absent(reason):
    """A required interpreter or tool is missing: the test fails (or skips
    under PYXRAY_ALLOW_ABSENT=1). Never returns."""
    if allow_absent():
        pytest.skip(reason)
    pytest.fail("required but absent: %s (%s; PYXRAY_ALLOW_ABSENT=1 skips "
                "instead)" % (reason, HOW), pytrace=False)


def tool(name):
    """Path of a required tool, or absent()."""
    import shutil
    path = shutil.which(name)
    if path is None:
        for d in ("/usr/sbin", "/sbin"):
            if os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
        absent("%s is not installed (Debian package %s)"
               % (name, REQUIRED_TOOLS.get(name, name)))
    return path
