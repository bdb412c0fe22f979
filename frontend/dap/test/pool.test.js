// SPDX-License-Identifier: MIT
// A multiprocessing pool (tests/programs/tree_target.py): pyxray-dap
// attached to the parent brings the workers in with the custom request
// pyxray.attachChildren; their threads are named by pid and role, their
// stacks are the workers' own (as `pyxray dump --json` of each says), and
// every process runs on untraced after the session.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const support = require('./support');

for (const interp of support.interpreters()) {
    describe(`pool with attachChildren, ${interp.id}`, () => {
        let t;
        let dc;
        let info;
        let attached;
        let threads;

        before(async () => {
            const exe = support.requireInterpreter(interp);
            t = new support.Target(exe, path.join(support.PROGRAMS, 'tree_target.py'),
                ['--workers', '2']);
            info = await t.ready();
            dc = support.client();
            await support.attachPaused(dc, t.pid);
            attached = (await dc.customRequest('pyxray.attachChildren')).body;
            threads = (await dc.threadsRequest()).body.threads;
        });

        after(async () => {
            await support.endSession(dc);
            try {
                if (info) {
                    for (const pid of [info.parent, ...info.workers]) {
                        await support.unharmed(pid);
                    }
                }
            } finally {
                if (t) {
                    t.kill(); // the parent and its workers: one process group
                }
            }
        });

        it('attaches every worker', () => {
            assert.deepEqual(attached.attached.map((a) => a.pid).sort(), [...info.workers].sort());
            for (const a of attached.attached) {
                assert.match(a.label, /^ForkPoolWorker-\d+$/);
            }
            assert.match(attached.report, /^Inferior \d+: pid \d+ "ForkPoolWorker-\d+"/m);
        });

        it('names each worker\'s threads by pid and role', () => {
            for (const pid of info.workers) {
                const main = threads.filter((th) => th.name.startsWith(`pid ${pid} `));
                assert.ok(main.some((th) => new RegExp(
                    `^pid ${pid} ForkPoolWorker-\\d+: MainThread \\(LWP ${pid}\\)`).test(th.name)),
                JSON.stringify(threads.map((x) => x.name)));
            }
            assert.ok(threads.some((th) => new RegExp(
                `^pid ${info.parent} tree_target\\.py: MainThread \\(LWP ${info.parent}\\)`)
                .test(th.name)), JSON.stringify(threads.map((x) => x.name)));
        });

        it('shows each worker\'s own Python stack', async () => {
            for (const pid of info.workers) {
                const th = threads.find((x) => x.name.includes(`MainThread (LWP ${pid})`));
                const frames = (await dc.stackTraceRequest({ threadId: th.id })).body.stackFrames
                    .filter((f) => f.source && f.source.path && f.source.path.endsWith('.py'));
                const want = support.dumpStacks(support.dumpJson(pid).processes[0]).get(pid);
                assert.deepEqual(frames.map((f) => ({ qualname: f.name, file: f.source.path,
                    line: f.line })), want);
                assert.equal(frames[0].name, 'park_worker');
            }
        });
    });
}
