// SPDX-License-Identifier: MIT
// Post-mortem: pyxray-dap launched on a gcore core of threads_target.py
// (launch with program and coreFile) stops at once and shows the same
// Python stacks, with sources, as `pyxray dump --json` of the live process
// the core was taken from; continuing is refused.
'use strict';

const assert = require('node:assert/strict');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const support = require('./support');

function lwpOf(thread) {
    const m = /\(LWP (\d+)\)/.exec(thread.name);
    return m ? parseInt(m[1], 10) : null;
}

for (const interp of support.interpreters()) {
    describe(`core file, ${interp.id}`, () => {
        let t;
        let dc;
        let dump;
        let threads;
        let stopped;
        let core;

        before(async () => {
            const exe = support.requireInterpreter(interp);
            t = support.threadsTarget(exe);
            await t.ready();
            await t.parked();
            dump = support.dumpJson(t.pid);
            core = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pyxray dap-core-')), 'core');
            cp.execFileSync('gdb', ['-batch', '-nx', '-iex', 'set debuginfod enabled off',
                '-p', String(t.pid), '-ex', `gcore ${core}`], { stdio: 'ignore', timeout: 120000 });
            await support.unharmed(t.pid);
            t.kill();
            dc = support.client();
            const stop = dc.waitForEvent('stopped');
            await support.startSession(dc, 'launch', { program: fs.realpathSync(exe),
                coreFile: core });
            await dc.configurationDoneRequest();
            stopped = await stop;
            threads = (await dc.threadsRequest()).body.threads;
        });

        after(async () => {
            await support.endSession(dc);
            if (t) {
                t.kill();
            }
            if (core) {
                fs.rmSync(path.dirname(core), { recursive: true, force: true });
            }
        });

        it('stops at once, every thread stopped', () => {
            assert.equal(stopped.body.reason, 'core');
            assert.equal(stopped.body.allThreadsStopped, true);
        });

        it('shows the Python stacks the live process had', async () => {
            const want = support.dumpStacks(dump.processes[0]);
            assert.deepEqual(threads.map(lwpOf).sort(), [...want.keys()].sort());
            for (const th of threads) {
                const frames = (await dc.stackTraceRequest({ threadId: th.id })).body.stackFrames
                    .filter((f) => f.source && ((f.source.path || '').endsWith('.py') ||
                        (f.source.name || '').startsWith('<')));
                assert.deepEqual(frames.map((f) => ({ qualname: f.name,
                    file: f.source.path || f.source.name, line: f.line })), want.get(lwpOf(th)),
                th.name);
            }
        });

        it('refuses to continue', async () => {
            await assert.rejects(dc.continueRequest({ threadId: threads[0].id }),
                /core file cannot run/);
        });
    });
}
