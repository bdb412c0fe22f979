// SPDX-License-Identifier: MIT
// What a client shows is safe and what it is told is clear: a program whose
// thread name, function name and argument name carry terminal escapes (ESC, BEL, a
// bidirectional override: tests/programs/evil_target.py) reaches the
// client escaped as `pyxray dump` prints it, and arguments that cannot
// work (a GDB that is not there, an extension folder without pyxray) fail
// the request with one line that says what to set.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { it } = require('node:test');
const support = require('./support');

// C0 and C1 controls, DEL, bidirectional overrides and isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

it('escapes thread and function names that carry terminal escapes', async () => {
    const exe = support.requireInterpreter(support.interpreters()[0]);
    const t = new support.Target(exe, path.join(support.PROGRAMS, 'evil_target.py'));
    const dc = support.client();
    try {
        await t.ready();
        await support.attachPaused(dc, t.pid);
        const threads = (await dc.threadsRequest()).body.threads;
        const main = threads.find((th) => th.name.startsWith('Main'));
        assert.ok(main, `no thread named Main...: ${JSON.stringify(threads)}`);
        assert.doesNotMatch(main.name, UNSAFE);
        assert.match(main.name, /^Main\\x1b\]0;pwned\\x07\\x1b\[31m\\u\{202e\} /);
        const frames = (await dc.stackTraceRequest({ threadId: main.id })).body.stackFrames;
        for (const f of frames) {
            assert.doesNotMatch(f.name, UNSAFE, `frame ${JSON.stringify(f.name)}`);
        }
        const park = frames.find((f) => f.name.startsWith('park'));
        assert.ok(park, `no park frame: ${frames.map((f) => f.name)}`);
        assert.equal(park.name, 'park\\x1b]0;pwned\\x07\\x1b[31m\\u{202e}');
        const scopes = (await dc.scopesRequest({ frameId: park.id })).body.scopes;
        const args = (await dc.variablesRequest({
            variablesReference: scopes.find((sc) => sc.name === 'Arguments').variablesReference,
        })).body.variables;
        const evil = args.find((v) => v.name.startsWith('arg'));
        assert.ok(evil, JSON.stringify(args));
        assert.equal(evil.name, 'arg\\x1b]0;pwned\\x07\\x1b[31m\\u{202e}');
        for (const v of args) {
            assert.doesNotMatch(v.name + v.value, UNSAFE, `variable ${JSON.stringify(v)}`);
        }
    } finally {
        await support.endAttached(dc, t);
    }
});

async function refused(args, pattern) {
    const dc = support.client();
    try {
        await dc.start();
        await dc.initializeRequest({ adapterID: 'pyxray-gdb', linesStartAt1: true,
            columnsStartAt1: true, pathFormat: 'path' });
        await assert.rejects(dc.launchRequest({ program: '/bin/true', ...args }),
            (err) => {
                assert.match(err.message, pattern);
                assert.doesNotMatch(err.message, /\n/);
                return true;
            });
    } finally {
        await dc.stop().catch(() => {});
    }
}

it('says to set gdb when GDB cannot be started', async () => {
    await refused({ gdb: '/nonexistent/gdb' },
        /^GDB '\/nonexistent\/gdb' did not start \(.*ENOENT.*\): set gdb to the path of a GDB/);
    await refused({ gdb: '/bin/false' }, /^GDB '\/bin\/false' did not start .*: set gdb to/);
});

it('says to set pyxrayGdbext when it holds no pyxray package', async () => {
    await refused({ pyxrayGdbext: '/nonexistent' },
        /^pyxrayGdbext \/nonexistent holds no pyxray package .*: set it to/);
});
