// SPDX-License-Identifier: MIT
// pyxray-dap attached to threads_target.py under each interpreter it must
// cover: pause; every thread's stack has every Python frame, in order, with
// its absolute source path and line, as `pyxray dump --json` of the same
// stopped process says; the interpreter's own native frames are subtle;
// thread names are Python's with the GIL holder marked; a frame's
// arguments and locals; evaluate answers a name as py-print does.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const support = require('./support');

// A frame of a DAP stack that shows Python code.
function isPython(f) {
    const src = f.source || {};
    return Boolean((src.path && src.path.endsWith('.py')) || (src.name && src.name.startsWith('<')));
}

function lwpOf(thread) {
    const m = /\(LWP (\d+)\)/.exec(thread.name);
    return m ? parseInt(m[1], 10) : null;
}

for (const interp of support.interpreters()) {
    describe(`attach, ${interp.id}`, () => {
        let t;
        let dc;
        let dump;
        let threads;
        const stacks = new Map(); // LWP -> stackFrames

        before(async () => {
            const exe = support.requireInterpreter(interp);
            t = support.threadsTarget(exe);
            await t.ready();
            await t.parked();
            dc = support.client();
            await support.attachPaused(dc, t.pid);
            dump = support.dumpJson(t.pid);
            threads = (await dc.threadsRequest()).body.threads;
            for (const th of threads) {
                const res = await dc.stackTraceRequest({ threadId: th.id });
                stacks.set(lwpOf(th), res.body);
            }
        });

        after(() => support.endAttached(dc, t));

        it('names threads as Python does, the GIL holder marked', () => {
            const names = new Map(threads.map((th) => [lwpOf(th), th.name]));
            for (const [name, r] of Object.entries(t.report.threads)) {
                const want = name === 'subinterp' ? 'subinterp-host' : name;
                assert.match(names.get(r.tid), new RegExp(`^${want} \\(LWP ${r.tid}\\)( \\[GIL\\])?$`));
            }
            const holders = threads.filter((th) => th.name.endsWith('[GIL]'));
            const dumped = dump.processes[0].interpreters.flatMap((i) => i.threads)
                .filter((th) => th.holds_gil).map((th) => th.tid);
            assert.deepEqual(holders.map(lwpOf), dumped);
        });

        it('shows every Python frame of every thread with its source and line', () => {
            const want = support.dumpStacks(dump.processes[0]);
            assert.equal(threads.length, new Set([...want.keys()]).size);
            for (const [lwp, frames] of want) {
                const body = stacks.get(lwp);
                assert.ok(body, `no stack for LWP ${lwp}`);
                const py = body.stackFrames.filter(isPython);
                assert.deepEqual(py.map((f) => ({ qualname: f.name,
                    file: f.source.path || f.source.name, line: f.line })), frames,
                `LWP ${lwp}`);
                for (const f of py) {
                    if (f.source.path) {
                        assert.ok(path.isAbsolute(f.source.path), f.source.path);
                    }
                }
                assert.equal(body.totalFrames, body.stackFrames.length);
            }
        });

        it('marks the interpreter\'s own native frames subtle, no other frame', () => {
            const body = stacks.get(t.report.threads['worker-1'].tid);
            const native = body.stackFrames.filter((f) => !isPython(f));
            const subtle = native.filter((f) => f.presentationHint === 'subtle');
            assert.ok(subtle.length > 0, JSON.stringify(native.map((f) => f.name)));
            assert.ok(native.some((f) => /libc_read|__read|^read$/.test(f.name) &&
                f.presentationHint !== 'subtle'), JSON.stringify(native.map((f) => f.name)));
            assert.ok(body.stackFrames.filter(isPython).every((f) => !f.presentationHint));
        });

        it('pages a stack with startFrame and levels', async () => {
            const tid = t.report.threads['worker-2'].tid;
            const th = threads.find((x) => lwpOf(x) === tid);
            const all = stacks.get(tid).stackFrames;
            const page = (await dc.stackTraceRequest({ threadId: th.id, startFrame: 2,
                levels: 3 })).body;
            assert.deepEqual(page.stackFrames.map((f) => [f.name, f.line]),
                all.slice(2, 5).map((f) => [f.name, f.line]));
            assert.equal(page.totalFrames, all.length);
        });

        it('gives a Python frame\'s arguments and locals', async () => {
            const tid = t.report.threads['worker-1'].tid;
            const top = stacks.get(tid).stackFrames.find(isPython);
            const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
            assert.deepEqual(scopes.map((s) => s.name), ['Arguments', 'Locals', 'Cells']);
            const vars = async (i) => (await dc.variablesRequest(
                { variablesReference: scopes[i].variablesReference })).body.variables;
            const args = await vars(0);
            assert.deepEqual(args.map((v) => v.name), ['self']);
            assert.match(args[0].value, /^<Parker object at 0x[0-9a-f]+>$/);
            // self expands to its attributes: the Registry it holds
            const attrs = (await dc.variablesRequest(
                { variablesReference: args[0].variablesReference })).body.variables;
            assert.deepEqual(attrs.map((v) => v.name), ['reg']);
            assert.match(attrs[0].value, /^<Registry object at 0x[0-9a-f]+>$/);
            const locals = await vars(1);
            assert.deepEqual(locals.map((v) => [v.name, v.value]),
                [['fd', String(t.report.threads['worker-1'].fd)]]);
            // cells: worker_two's inner function reads reg from its closure
            const w2 = stacks.get(t.report.threads['worker-2'].tid).stackFrames.filter(isPython);
            const inner = (await dc.scopesRequest({ frameId: w2[0].id })).body.scopes;
            const cells = (await dc.variablesRequest(
                { variablesReference: inner[2].variablesReference })).body.variables;
            assert.deepEqual(cells.map((v) => v.name), ['reg']);
            assert.match(cells[0].value, /^<Registry object at 0x[0-9a-f]+>$/);
        });

        it('evaluates a name in a Python frame as py-print does', async () => {
            const tid = t.report.threads['worker-1'].tid;
            const py = stacks.get(tid).stackFrames.filter(isPython);
            const ev = (expression, f = py[0]) => dc.evaluateRequest({ expression,
                frameId: f.id, context: 'watch' });
            const self = (await ev('self')).body;
            assert.match(self.result, /^<Parker object at 0x[0-9a-f]+>$/);
            assert.equal(self.type, 'local');
            assert.equal((await ev('os')).body.type, 'global');
            assert.equal((await ev('len')).body.type, 'builtin');
            assert.equal((await ev('reg', py[2])).body.type, 'local');
            await assert.rejects(ev('no_such_name'), /'no_such_name' not found/);
            await assert.rejects(ev('self.x'), /not a name/);
        });
    });
}
