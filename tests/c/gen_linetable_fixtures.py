# SPDX-License-Identifier: MIT
"""Writes linetable_fixtures.h: real line tables and the line of every
bytecode offset, as each CPython version itself reports them.

Run with several interpreters, appending:
    python3.X gen_linetable_fixtures.py >> linetable_fixtures.h
(arrays are emitted under LINETABLE_ARRAYS, the list entries otherwise, so
the header is included twice).
The unit test checks our decoders against what the interpreter said.
"""
import sys
import types

SAMPLE = '''
def sample(a, b):
    total = 0
    for i in range(a):
        if i % 2:
            total += (i *
                      b)
        else:
            total -= 1
    try:
        x = [j for j in range(b)]
    except Exception:
        x = None


    return total, \\
        x

def far_lines(n):
    y = n
''' + '\n' * 300 + '''    y += 1
    return y
'''


def codes(co):
    yield co
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            for sub in codes(c):
                yield sub


def lines_by_unit(co):
    """Line of each 2-byte code unit, None when it has none."""
    n = len(co.co_code) // 2
    out = [None] * n
    v = sys.version_info
    if v >= (3, 11):
        for i, pos in enumerate(co.co_positions()):
            if i < n:
                out[i] = pos[0]
    elif v >= (3, 10):
        for start, end, line in co.co_lines():
            for off in range(start, end, 2):
                out[off // 2] = line
    else:
        import dis
        starts = dict(dis.findlinestarts(co))
        line = co.co_firstlineno
        for i in range(n):
            line = starts.get(i * 2, line)
            out[i] = line
    return out


def main():
    v = sys.version_info
    tag = "py%d%d" % (v[0], v[1])
    kind = "LNOTAB" if v < (3, 10) else "LINETABLE" if v < (3, 11) else "LOCATIONS"
    ns = {}
    exec(compile(SAMPLE, "sample.py", "exec"), ns)
    n = 0
    for top in (ns["sample"].__code__, ns["far_lines"].__code__):
        for co in codes(top):
            table = co.co_lnotab if v < (3, 10) else co.co_linetable
            lines = lines_by_unit(co)
            name = "%s_%d" % (tag, n)
            n += 1
            print("/* %s %s: %s */" % (sys.version.split()[0], kind, co.co_name))
            print("#ifdef LINETABLE_ARRAYS")
            print("static const unsigned char %s_table[] = {%s};" % (
                name, ", ".join(str(b) for b in table) or "0"))
            print("static const int %s_lines[] = {%s};" % (
                name, ", ".join(str(x or 0) for x in lines) or "0"))
            print("#else")
            print("FIXTURE(%s, %s, %d, %d, %d)" % (
                name, kind, co.co_firstlineno, len(table), len(lines)))
            print("#endif")


main()
