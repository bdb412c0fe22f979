// SPDX-License-Identifier: MIT
// The VS Code extension: `vsce package` makes a .vsix whose manifest
// declares the pyxray-gdb debugger (its adapter program, launch.json
// snippets for attach, launch and core) and the pyxray.attachChildren
// command, and which carries the adapter with its production node modules.
'use strict';

const assert = require('node:assert/strict');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { it } = require('node:test');

const DAP = path.resolve(__dirname, '..');
const MODULES = process.env.PYXRAY_DAP_NODE_MODULES || path.join(DAP, 'node_modules');

it('packages a .vsix with the debugger, its snippets and the adapter', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyxray-vsix-'));
    try {
        const vsix = path.join(dir, 'pyxray-gdb.vsix');
        const vsce = path.join(MODULES, '.bin', 'vsce');
        assert.ok(fs.existsSync(vsce), 'vsce is missing: run ./dev (npm ci in frontend/dap)');
        // A copy of the package (the source tree may be read-only) with the
        // node modules linked in.
        const pkg = path.join(dir, 'pkg');
        fs.mkdirSync(path.join(pkg, 'src'), { recursive: true });
        for (const f of ['package.json', 'README.md', '.vscodeignore']) {
            fs.copyFileSync(path.join(DAP, f), path.join(pkg, f));
        }
        for (const f of fs.readdirSync(path.join(DAP, 'src')).filter((x) => x.endsWith('.js'))) {
            fs.copyFileSync(path.join(DAP, 'src', f), path.join(pkg, 'src', f));
        }
        fs.symlinkSync(MODULES, path.join(pkg, 'node_modules'));
        cp.execFileSync(vsce, ['package', '--allow-missing-repository', '--skip-license',
            '--out', vsix], { cwd: pkg, stdio: 'pipe', timeout: 300000 });
        const list = cp.execFileSync('python3', ['-m', 'zipfile', '-l', vsix],
            { encoding: 'utf8' });
        for (const f of ['extension/package.json', 'extension/src/pyxray-dap.js',
            'extension/src/session.js', 'extension/src/extension.js',
            'extension/src/processes.js',
            'extension/node_modules/cdt-gdb-adapter/package.json',
            'extension/node_modules/@vscode/debugadapter/package.json']) {
            assert.ok(list.includes(f), `${f} not in the .vsix`);
        }
        assert.ok(!/extension\/test\//.test(list) && !list.includes('@vscode/vsce/'),
            'tests or dev dependencies in the .vsix');
        const manifest = JSON.parse(cp.execFileSync('python3', ['-c',
            'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1])' +
            '.read("extension/package.json").decode())', vsix], { encoding: 'utf8' }));
        const dbg = manifest.contributes.debuggers.find((d) => d.type === 'pyxray-gdb');
        assert.ok(dbg, 'no pyxray-gdb debugger');
        assert.equal(dbg.program, './src/pyxray-dap.js');
        const bodies = dbg.configurationSnippets.map((s) => s.body);
        assert.ok(bodies.some((b) => b.request === 'attach' && b.processId));
        assert.ok(bodies.some((b) => b.request === 'launch' && b.arguments));
        assert.ok(bodies.some((b) => b.request === 'launch' && b.coreFile));
        assert.ok(dbg.configurationAttributes.launch.properties.coreFile);
        // ${command:pickProcess} in the attach snippet is this extension's.
        assert.equal(dbg.variables.pickProcess, 'pyxray.pickProcess');
        assert.ok(manifest.activationEvents.includes('onCommand:pyxray.pickProcess'));
        assert.deepEqual(manifest.contributes.commands.map((c) => c.command),
            ['pyxray.attachChildren']);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
