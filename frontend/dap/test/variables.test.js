// SPDX-License-Identifier: MIT
// Expanding a Python frame's variables through pyxray-dap, under each
// interpreter it must cover: vars_target.py parks in a frame holding a
// list, a tuple, a set, a dict, a dict of lists, an instance and a list of
// 2500 ints; each expands to its children with the values Python would
// show, nested containers expand in turn, scalars do not, and a long list
// pages with DAP's start and count.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const support = require('./support');

for (const interp of support.interpreters()) {
    describe(`variables, ${interp.id}`, () => {
        let t;
        let dc;
        let locals; // name -> DAP variable of hold()'s Locals scope
        let args; // and of its Arguments scope

        const expand = async (v, extra = {}) => (await dc.variablesRequest(
            { variablesReference: v.variablesReference, ...extra })).body.variables;
        const byName = (vars) => new Map(vars.map((v) => [v.name, v]));
        const pairs = (vars) => vars.map((v) => [v.name, v.value]);

        before(async () => {
            const exe = support.requireInterpreter(interp);
            t = new support.Target(exe, path.join(support.PROGRAMS, 'vars_target.py'));
            await t.ready();
            await t.parked();
            dc = support.client();
            await support.attachPaused(dc, t.pid);
            const threads = (await dc.threadsRequest()).body.threads;
            // one thread: GDB's first (it runs hold())
            assert.equal(threads.length, 1, JSON.stringify(threads));
            const main = threads[0];
            assert.match(main.name, /^MainThread \(LWP \d+\)/, JSON.stringify(threads));
            const frames = (await dc.stackTraceRequest({ threadId: main.id })).body.stackFrames;
            const hold = frames.find((f) => f.name === 'hold');
            assert.ok(hold, JSON.stringify(frames.map((f) => f.name)));
            const scopes = (await dc.scopesRequest({ frameId: hold.id })).body.scopes;
            const scope = async (name) => byName((await dc.variablesRequest({
                variablesReference: scopes.find((s) => s.name === name).variablesReference,
            })).body.variables);
            locals = await scope('Locals');
            args = await scope('Arguments');
        });

        after(() => support.endAttached(dc, t));

        it('expands a list to its items, and a nested list in turn', async () => {
            const numbers = locals.get('numbers');
            assert.equal(numbers.value, "[1, 'two', 3.5, [4, 5]]");
            assert.equal(numbers.indexedVariables, 4);
            const items = await expand(numbers);
            assert.deepEqual(pairs(items),
                [['[0]', '1'], ['[1]', "'two'"], ['[2]', '3.5'], ['[3]', '[4, 5]']]);
            assert.deepEqual(items.slice(0, 3).map((v) => v.variablesReference), [0, 0, 0]);
            assert.deepEqual(pairs(await expand(items[3])), [['[0]', '4'], ['[1]', '5']]);
        });

        it('expands a tuple and a set', async () => {
            const pair = await expand(locals.get('pair'));
            assert.deepEqual(pairs(pair), [['[0]', "[1, 'two', 3.5, [4, 5]]"], ['[1]', 'None']]);
            assert.equal((await expand(pair[0])).length, 4);
            assert.deepEqual(pairs(await expand(locals.get('flags'))), [['[0]', "'on'"]]);
        });

        it('expands a dict to entries named by their keys', async () => {
            const table = locals.get('table');
            assert.equal(table.namedVariables, 2);
            const entries = await expand(table);
            assert.deepEqual(pairs(entries), [["'a'", '1'], ["'b'", '[2, 3]']]);
            assert.equal(entries[0].variablesReference, 0);
            assert.deepEqual(pairs(await expand(entries[1])), [['[0]', '2'], ['[1]', '3']]);
        });

        it('expands a dict of lists, level by level', async () => {
            const nested = await expand(locals.get('nested'));
            assert.deepEqual(pairs(nested),
                [["'xs'", '[1, 2, 3]'], ["'ys'", '[]'], ["'zs'", "{'k': [7]}"]]);
            assert.deepEqual(pairs(await expand(nested[0])),
                [['[0]', '1'], ['[1]', '2'], ['[2]', '3']]);
            assert.equal(nested[1].variablesReference, 0); // an empty list: nothing to expand
            const zs = await expand(nested[2]);
            assert.deepEqual(pairs(zs), [["'k'", '[7]']]);
            assert.deepEqual(pairs(await expand(zs[0])), [['[0]', '7']]);
        });

        it('expands an instance to its attributes', async () => {
            const point = locals.get('point');
            assert.match(point.value, /^<Point object at 0x[0-9a-f]+>$/);
            assert.equal(point.namedVariables, 3);
            const attrs = await expand(point);
            assert.deepEqual(pairs(attrs), [['x', '1'], ['y', '2'], ['tags', "['a', 'b']"]]);
            assert.deepEqual(pairs(await expand(attrs[2])), [['[0]', "'a'"], ['[1]', "'b'"]]);
        });

        it('pages a long list with start and count', async () => {
            const big = locals.get('big');
            assert.equal(big.indexedVariables, 2500);
            const page = await expand(big, { filter: 'indexed', start: 1990, count: 20 });
            assert.deepEqual(pairs(page), Array.from({ length: 20 },
                (_, i) => [`[${1990 + i}]`, String(1990 + i)]));
            const first = await expand(big);
            assert.equal(first.length, 1000);
            assert.deepEqual(pairs(first.slice(-1)), [['[999]', '999']]);
            const across = await expand(big, { start: 500, count: 1500 });
            assert.equal(across.length, 1500);
            assert.deepEqual(pairs([across[0], across[1499]]),
                [['[500]', '500'], ['[1999]', '1999']]);
        });

        it('leaves scalars unexpandable', () => {
            assert.equal(args.get('fd').value, String(t.report.threads.main.fd));
            assert.equal(args.get('fd').variablesReference, 0);
            for (const name of ['numbers', 'pair', 'flags', 'table', 'nested', 'point', 'big']) {
                assert.ok(locals.get(name).variablesReference > 0, name);
            }
        });
    });
}
