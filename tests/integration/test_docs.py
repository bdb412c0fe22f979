# SPDX-License-Identifier: MIT
"""The documentation agrees with the program: every command and option of
`pyxray --help` is in docs/cli.md and the man page; every GDB command (the
`pyxray` prefix's subcommands, their py-* names and each option their help
names), setting and MI command is in docs/gdb.md, and every GDB command in
the man page; every key of the JSON reports is in docs/json.md; every
relative link between the documents leads to a file and a heading that
exist."""
import glob
import json
import os
import re
import subprocess

import pytest

import gdb_support
import support
from support import run_pyxray

DOCS = os.path.join(support.SRCDIR, "docs")
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def read(name):
    with open(os.path.join(support.SRCDIR, name)) as f:
        return f.read()


def man_text():
    """docs/pyxray.1 with roff's escapes and fonts taken out."""
    text = read("docs/pyxray.1")
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\(em", "-")


def options_in(text):
    return sorted(set(m.group(1) for m in OPTION.finditer(text)))


def missing(words, text):
    return [w for w in words if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(w), text)]


# ------------------------------------------------------------------ the CLI

def cli_help(pyxray_bin):
    res = run_pyxray(pyxray_bin, "--help")
    assert res.rc == 0, res
    return res.out


def cli_commands(help_text):
    cmds = set(re.findall(r"^\s*(?:Usage:)?\s*pyxray (\w[\w-]*)", help_text, re.M))
    section = help_text.split("Commands:", 1)[1].split("\n\n", 1)[0]
    cmds |= set(re.findall(r"^  (\w[\w-]*) ", section, re.M))
    assert {"dump", "ps"} <= cmds, cmds
    return sorted(cmds)


@pytest.mark.parametrize("doc", ["docs/cli.md", "docs/pyxray.1"])
def test_cli_help_documented(pyxray_bin, doc):
    text = man_text() if doc.endswith(".1") else read(doc)
    help_text = cli_help(pyxray_bin)
    opts = options_in(help_text)
    assert "--json" in opts and "--stop-timeout" in opts, opts
    assert not missing(cli_commands(help_text), text), \
        "commands of pyxray --help missing from %s" % doc
    assert not missing(opts, text), "options of pyxray --help missing from %s: %s" % (
        doc, missing(opts, text))


def synopses(text):
    """{command: options} of the "pyxray CMD [...]" lines of a synopsis
    (continuation lines, indented, belong to the line above)."""
    out, cmd = {}, None
    for line in text.splitlines():
        m = re.match(r"^\s*(?:Usage:\s*)?(?:\.B )?pyxray (\w[\w-]*)\b(.*)$", line)
        if m:
            cmd = m.group(1)
            out.setdefault(cmd, set()).update(options_in(m.group(2)))
        elif cmd and re.match(r"^\s+\[", line):
            out[cmd].update(options_in(line))
        else:
            cmd = None
    return out


def man_synopsis():
    text = man_text()
    body = text.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
    # ".B pyxray core" then its options on the next line.
    return synopses(re.sub(r"(\.B pyxray \w+)\n(?!\.)", r"\1 ", body))


def doc_synopsis(name):
    """The first fenced block of a doc that has pyxray command lines."""
    for block in re.findall(r"```\n(.*?)```", read(name), re.S):
        found = synopses(block)
        if found:
            return found
    return {}


@pytest.mark.parametrize("doc", ["docs/cli.md", "docs/pyxray.1", "docs/cores.md"])
def test_synopsis_matches_help(pyxray_bin, doc):
    """Each command's synopsis lists the options --help's usage lists, no
    more and no fewer (they drifted when options were added)."""
    usage = cli_help(pyxray_bin).split("\n\n", 1)[0]
    want = synopses(usage)
    got = man_synopsis() if doc.endswith(".1") else doc_synopsis(doc)
    assert got, "no synopsis found in %s" % doc
    for cmd, opts in got.items():
        assert cmd in want, "%s: pyxray %s is not in --help" % (doc, cmd)
        assert opts == want[cmd], "%s: pyxray %s: missing %s, extra %s" % (
            doc, cmd, sorted(want[cmd] - opts), sorted(opts - want[cmd]))


# ------------------------------------------------------------------ GDB

GDB_LIST = r'''
import gc, json, re
import gdb
out = {"subcommands": [], "help": {}, "settings": [], "mi": []}
text = gdb.execute("help pyxray", to_string=True)
out["subcommands"] = re.findall(r"^pyxray ([\w-]+)(?:,|\s--)", text, re.M)
for sub in out["subcommands"]:
    h = gdb.execute("help pyxray " + sub, to_string=True)
    alias = "py-" + sub
    try:
        gdb.execute("help " + alias, to_string=True)
    except gdb.error:
        alias = None
    out["help"][sub] = {"text": h, "alias": alias}
for kind in ("set", "show"):
    try:
        t = gdb.execute("help %s pyxray" % kind, to_string=True)
    except gdb.error:
        continue
    out["settings"] += re.findall(r"^%s pyxray ([\w-]+)" % kind, t, re.M)
mi = getattr(gdb, "MICommand", None)
if mi is not None:
    out["mi"] = sorted(set(o.name for o in gc.get_objects() if isinstance(o, mi)))
print("PYXRAY-DOCS " + json.dumps(out))
'''


@pytest.fixture(scope="module")
def gdb_commands(workdir):
    script = os.path.join(workdir, "list_commands.py")
    with open(script, "w") as f:
        f.write(GDB_LIST)
    run = gdb_support.run_gdb(["-x", script])
    line = [ln for ln in run.out.splitlines() if ln.startswith("PYXRAY-DOCS ")]
    assert line, run
    got = json.loads(line[0][len("PYXRAY-DOCS "):])
    assert "bt-all" in got["subcommands"], got
    return got


def test_gdb_commands_documented(gdb_commands):
    gdb_md, man = read("docs/gdb.md"), man_text()
    for sub, info in sorted(gdb_commands["help"].items()):
        name = info["alias"] or "pyxray " + sub
        assert not missing([name], gdb_md), "%s is not in docs/gdb.md" % name
        assert not missing([name], man), "%s is not in docs/pyxray.1" % name
        opts = [o for o in options_in(info["text"]) if o.startswith("--")]
        assert not missing(opts, gdb_md), "options of %s missing from docs/gdb.md: %s" % (
            name, missing(opts, gdb_md))


def test_gdb_settings_and_mi_documented(gdb_commands):
    gdb_md = read("docs/gdb.md")
    for s in sorted(set(gdb_commands["settings"])):
        assert re.search(r"(set|show) pyxray %s\b" % re.escape(s), gdb_md), \
            "setting pyxray %s is not in docs/gdb.md" % s
    assert not missing(gdb_commands["mi"], gdb_md), \
        "MI commands missing from docs/gdb.md: %s" % missing(gdb_commands["mi"], gdb_md)


# ------------------------------------------------------------------ JSON

def keys_of(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            keys_of(v, out)
    elif isinstance(value, list):
        for v in value:
            keys_of(v, out)
    return out


@pytest.fixture(scope="module")
def target(workdir):
    yield from support.parked_target(workdir)


@pytest.fixture(scope="module")
def tasks_target(target):
    """tests/programs/asyncio_target.py under 3.11, every task parked."""
    proc = subprocess.Popen([target.variant.interp.exe,
                             os.path.join(support.PROGRAMS, "asyncio_target.py"), "--cycle"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("READY "), line
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_json_keys_documented(pyxray_bin, target, tasks_target):
    keys = set()
    for pid in (target.pid, tasks_target.pid):
        for args in (["dump", "--json", "--locals"], ["dump", "--json", "--nonblocking"],
                     ["dump", "--json", "--tasks", "--locals"], ["ps", "--json"],
                     ["dump", "--json", "--native-all"]):
            keys_of(run_pyxray(pyxray_bin, *(args + [pid])).json(), keys)
    assert "tasks" in keys and "native_threads" in keys and "library" in keys, sorted(keys)
    doc = read("docs/json.md")
    undocumented = sorted(k for k in keys if "`%s`" % k not in doc)
    assert not undocumented, "JSON keys not in docs/json.md: %s" % undocumented


# ------------------------------------------------------------------ links

def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def test_links_resolve():
    pages = [os.path.join(support.SRCDIR, "README.md")] + sorted(glob.glob(os.path.join(DOCS, "*.md")))
    broken = []
    for page in pages:
        with open(page) as f:
            text = f.read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, mailto:
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(dest):
                broken.append("%s: %s (no such file)" % (os.path.basename(page), target))
                continue
            if anchor and dest.endswith(".md"):
                with open(dest) as f:
                    heads = [slug(h) for h in re.findall(r"^#+ (.*)$", f.read(), re.M)]
                if anchor not in heads:
                    broken.append("%s: %s (no such heading)" % (os.path.basename(page), target))
    assert not broken, broken
