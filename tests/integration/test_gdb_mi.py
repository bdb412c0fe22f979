# SPDX-License-Identifier: MIT
"""The GDB extension's MI commands, for frontends: `gdb --interpreter=mi3
-nx -x EXT -p PID` driven through stdin. -py-bt-all answers
^done,processes=[...] (the JSON of docs/json.md as MI values: every scalar a
string) and -py-ps the interpreters per inferior; a bad option is an
^error record, never a traceback on the console stream.

Variants: the representative subset.
"""
import json
import re
import subprocess

import pytest

import gdb_support
import support


# ------------------------------------------------------------ MI parsing

class MIError(ValueError):
    pass


def _cstring(s, i):
    """A C string starting at s[i] == '"': (text, next index)."""
    assert s[i] == '"'
    i += 1
    out = bytearray()
    simple = {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "\\": b"\\",
              "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v", "e": b"\x1b"}
    while i < len(s):
        c = s[i]
        if c == '"':
            return out.decode("utf-8", "replace"), i + 1
        if c == "\\":
            n = s[i + 1]
            if n in simple:
                out += simple[n]
                i += 2
            elif n in "01234567":
                m = re.match(r"[0-7]{1,3}", s[i + 1:])
                out.append(int(m.group(0), 8))
                i += 1 + len(m.group(0))
            else:
                out += n.encode()
                i += 2
            continue
        out += c.encode("utf-8")
        i += 1
    raise MIError("unterminated string: %r" % s[:200])


def _value(s, i):
    c = s[i]
    if c == '"':
        return _cstring(s, i)
    if c == "{":
        if s[i + 1] == "}":
            return {}, i + 2
        d, i = _results(s, i + 1, "}")
        return d, i + 1
    if c == "[":
        if s[i + 1] == "]":
            return [], i + 2
        items = []
        i += 1
        while True:
            if s[i] in '"{[':
                v, i = _value(s, i)
            else:  # a result: name=value, the name dropped
                j = s.index("=", i)
                v, i = _value(s, j + 1)
            items.append(v)
            if s[i] == ",":
                i += 1
                continue
            if s[i] == "]":
                return items, i + 1
            raise MIError("bad list at %d: %r" % (i, s[i:i + 80]))
    raise MIError("bad value at %d: %r" % (i, s[i:i + 80]))


def _results(s, i, end=None):
    out = {}
    while i < len(s) and (end is None or s[i] != end):
        j = s.index("=", i)
        name = s[i:j]
        v, i = _value(s, j + 1)
        out[name] = v
        if i < len(s) and s[i] == ",":
            i += 1
    return out, i


def parse_record(line):
    """'12^done,a="1"' -> ("12", "done", {"a": "1"})."""
    m = re.match(r"^(\d*)\^(\w+)(?:,(.*))?$", line)
    if not m:
        return None
    results = {}
    if m.group(3):
        results, end = _results(m.group(3), 0)
        if end != len(m.group(3)):
            raise MIError("trailing data: %r" % m.group(3)[end:end + 80])
    return m.group(1), m.group(2), results


def console_text(lines):
    """The console stream records (~"...") joined."""
    return "".join(_cstring(l, 1)[0] for l in lines if l.startswith('~"'))


def run_mi(args, commands, timeout=gdb_support.GDB_TIMEOUT):
    """Runs gdb's MI with commands numbered 1..N on stdin; returns
    ({token: (class, results, console text before it)}, raw stdout)."""
    gdb = gdb_support.gdb_path()
    argv = [gdb, "--interpreter=mi3", "-nx"] + gdb_support.quiet_args() + \
        ["-x", gdb_support.ext_path()] + list(args)
    stdin = "".join("%d%s\n" % (i, c) for i, c in enumerate(commands, 1))
    stdin += "%d-gdb-exit\n" % (len(commands) + 1)
    proc = subprocess.run(argv, input=stdin.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout,
                          env=gdb_support.gdb_env())
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    run = gdb_support.GdbRun(argv, proc.returncode, out, err)
    gdb_support.assert_gdb_sane(run)
    records = {}
    pending = []
    for line in out.splitlines():
        rec = parse_record(line)
        if rec is None:
            pending.append(line)
            continue
        token, cls, results = rec
        records[token] = (cls, results, console_text(pending))
        pending = []
    for i in range(1, len(commands) + 1):
        assert str(i) in records, ("no answer to %s" % commands[i - 1], run)
    return records, run


# ------------------------------------------------------------ tests

COMMANDS = ["-py-bt-all", "-py-ps", "-py-bt-all --locals",
            "-py-bt-all --bogus", "-py-ps extra",
            '-interpreter-exec console "py-bt-all --json"']


@pytest.fixture(scope="module", params=gdb_support.subset_params())
def mv(request):
    return request.param


@pytest.fixture(scope="module")
def mi(mv, workdir):
    t = support.start_target(mv, workdir)
    try:
        t.wait_ready()
        t.wait_parked()
        support.RAN.add(mv.id)
        records, run = run_mi(["-p", str(t.pid)], COMMANDS)
        yield t, records, run
    finally:
        t.kill()


def check_version(got, t):
    if t.report["releaselevel"] == "final":
        assert got == t.report["version"], got
    else:  # "3.15.0rc1"
        assert got.startswith(t.report["version"]), got


def answer(records, command):
    return records[str(COMMANDS.index(command) + 1)]


def test_mi_bt_all(mi):
    t, records, run = mi
    cls, res, _ = answer(records, "-py-bt-all")
    assert cls == "done", (res, run)
    procs = res["processes"]
    assert len(procs) == 1, procs
    p = procs[0]
    assert p["pid"] == str(t.pid)
    check_version(p["python_version"], t)
    exp = support.expected_stacks(t)
    main = [i for i in p["interpreters"] if i["main"] == "true"]
    assert len(main) == 1 and main[0]["id"] == "0", p["interpreters"]
    got = {th.get("name"): th for th in main[0]["threads"]}
    assert sorted(got) == sorted(exp["main"]), sorted(got)
    for name, frames in exp["main"].items():
        th = got[name]
        r = t.report["threads"]["subinterp" if name == "subinterp-host"
                                else name]
        assert th["tid"] == str(r["tid"]), name
        assert th["thread_id"] == str(r["ident"]), name
        want = [{k: str(f[k]) for k in ("function", "qualname", "file",
                                        "line")} for f in frames]
        have = [{k: fr[k] for k in ("function", "qualname", "file", "line")}
                for fr in th["frames"]]
        assert have == want, name
        assert all("locals" not in fr for fr in th["frames"]), name
    if exp["sub"]:
        sub = [i for i in p["interpreters"] if i["main"] != "true"]
        assert len(sub) == 1, p["interpreters"]
        live = [th for th in sub[0]["threads"] if th.get("frames")]
        assert [fr["qualname"] for fr in live[0]["frames"]] == \
            [f["qualname"] for f in exp["sub"]]


def test_mi_bt_all_locals(mi):
    t, records, run = mi
    cls, res, _ = answer(records, "-py-bt-all --locals")
    assert cls == "done", res
    threads = [th for i in res["processes"][0]["interpreters"]
               for th in i["threads"]]
    w2 = [th for th in threads if th.get("name") == "worker-2"][0]
    loc = {l["name"]: l["repr"] for l in w2["frames"][0]["locals"]}
    assert loc["fd"] == str(t.report["threads"]["worker-2"]["fd"]), loc


def test_mi_ps(mi):
    t, records, run = mi
    cls, res, _ = answer(records, "-py-ps")
    assert cls == "done", res
    (row,) = res["inferiors"]
    assert row["pid"] == str(t.pid)
    check_version(row["python_version"], t)
    exp = support.expected_stacks(t)
    interps = row["interpreters"]
    assert len(interps) == (2 if exp["sub"] else 1), interps
    main = [i for i in interps if i["main"] == "true"][0]
    assert main["threads"] == str(len(exp["main"])), main


def test_mi_bad_options(mi):
    t, records, run = mi
    for command in ("-py-bt-all --bogus", "-py-ps extra"):
        cls, res, console = answer(records, command)
        assert cls == "error", (command, res)
        assert "Usage" in res["msg"] or "usage" in res["msg"], res
        assert len(res["msg"].splitlines()) == 1, res


def test_mi_console_json(mi):
    """CLI commands still work through MI: their text on the console
    stream."""
    t, records, run = mi
    cls, res, console = answer(
        records, '-interpreter-exec console "py-bt-all --json"')
    assert cls == "done", res
    (p,) = json.loads(console)["processes"]
    gdb_support.check_stacks(p, t)


def test_mi_target_unharmed(mi):
    t, records, run = mi
    gdb_support.after_session(t)
