// SPDX-License-Identifier: MIT
// pyxray-dap launching a Python program under GDB (cdt-gdb-adapter's launch:
// program and arguments): once it parks, pause shows its whole Python stack
// (tests/programs/deep_target.py, 30 frames deep), and disconnecting ends it.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { it } = require('node:test');
const support = require('./support');

it('launches a program and shows its Python stack at a pause', async () => {
    const exe = support.requireInterpreter(support.interpreters()[0]);
    const script = path.join(support.PROGRAMS, 'deep_target.py');
    const dc = support.client();
    let frames = [];
    let pid = null;
    try {
        await support.startSession(dc, 'launch', { program: exe, arguments: `${script} 30` });
        await dc.configurationDoneRequest();
        // Until the program has reached its parking frame: pause, look, go on.
        await support.until(async () => {
            const stopped = dc.waitForEvent('stopped');
            await dc.pauseRequest({ threadId: 1 });
            await stopped;
            const th = (await dc.threadsRequest()).body.threads[0];
            const lwp = /\(LWP (\d+)\)/.exec(th.name); // once Python runs
            pid = lwp ? parseInt(lwp[1], 10) : pid;
            frames = (await dc.stackTraceRequest({ threadId: th.id })).body.stackFrames
                .filter((f) => f.source && (f.source.path || '').endsWith('.py'));
            if (frames.length && frames[0].name === 'park') {
                return true;
            }
            await dc.continueRequest({ threadId: th.id });
            return false;
        }, 'the launched program to park');
        assert.ok(pid, 'no Python thread name');
        assert.deepEqual(frames.map((f) => f.name),
            ['park', ...Array(31).fill('recurse'), 'main', '<module>']);
        assert.ok(frames.every((f) => f.source.path === script));
    } finally {
        await support.endSession(dc);
    }
    await support.until(() => !fs.existsSync(`/proc/${pid}`) ||
        /State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')),
    'the launched program to end', 20000);
});
