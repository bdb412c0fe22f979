// SPDX-License-Identifier: MIT
// The VS Code process picker behind ${command:pickProcess} in an attach
// configuration: extension.js, loaded with a stand-in for VS Code's API,
// registers pyxray.pickProcess; it offers a running Python program first,
// marked Python, its hostile command line shown without control
// characters, and answers the pid picked (undefined when cancelled).
'use strict';

const assert = require('node:assert/strict');
const Module = require('node:module');
const { it } = require('node:test');
const support = require('./support');

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function loadExtension(showQuickPick) {
    const commands = new Map();
    const vscode = {
        commands: { registerCommand: (name, fn) => { commands.set(name, fn); return {}; } },
        window: { showQuickPick, showErrorMessage() {}, showInformationMessage() {} },
        debug: {},
    };
    const load = Module._load;
    Module._load = function (request, ...rest) {
        return request === 'vscode' ? vscode : load.call(this, request, ...rest);
    };
    try {
        const file = require.resolve('../src/extension.js');
        delete require.cache[file];
        require(file).activate({ subscriptions: [] });
    } finally {
        Module._load = load;
    }
    return commands;
}

it('pyxray.pickProcess offers Python processes first, escaped, and answers a pid', async () => {
    const exe = support.requireInterpreter(support.interpreters()[0]);
    const t = new support.Target(exe, '-c',
        ['import sys, time; print("READY {}", flush=True); time.sleep(600)',
            'evil\x1b]0;pwned\x07\u202earg']);
    try {
        await t.ready();
        let offered = null;
        const commands = loadExtension(async (items) => {
            offered = items;
            return items.find((i) => i.pid === t.pid);
        });
        assert.ok(commands.has('pyxray.pickProcess'), `registered: ${[...commands.keys()]}`);
        assert.ok(commands.has('pyxray.attachChildren'));
        assert.equal(await commands.get('pyxray.pickProcess')(), String(t.pid));
        const mine = offered.find((i) => i.pid === t.pid);
        assert.equal(mine.description, 'Python');
        assert.match(mine.detail, /evil\ufffd\]0;pwned\ufffd\ufffdarg$/);
        for (const i of offered) {
            assert.doesNotMatch(i.label + i.detail, UNSAFE, `item ${JSON.stringify(i)}`);
        }
        const firstOther = offered.findIndex((i) => i.description !== 'Python');
        assert.ok(firstOther === -1 || offered.slice(firstOther).every((i) => !i.description),
            'a Python process after another one');
        assert.equal(await loadExtension(async () => undefined).get('pyxray.pickProcess')(),
            undefined);
    } finally {
        t.kill();
    }
});
