// SPDX-License-Identifier: MIT
// The VS Code side of the pyxray-gdb debugger: the adapter itself is
// src/pyxray-dap.js (package.json's contributes.debuggers runs it); this
// adds the command "pyxray: Attach child processes" (pyxray.attachChildren),
// which sends the custom request of the same name to the active session,
// and pyxray.pickProcess, the process picker behind ${command:pickProcess}
// in an attach configuration (package.json's debuggers[].variables).
'use strict';

const vscode = require('vscode');
const { listProcesses } = require('./processes');

// The pid picked, as a string (processId), or undefined when cancelled.
async function pickProcess() {
    const items = listProcesses().map((p) => ({
        label: p.label, description: p.python ? 'Python' : '', detail: p.detail, pid: p.pid,
    }));
    const picked = await vscode.window.showQuickPick(items, {
        placeHolder: 'The process to attach to (Python processes first)',
        matchOnDescription: true, matchOnDetail: true,
    });
    return picked ? String(picked.pid) : undefined;
}

function activate(context) {
    context.subscriptions.push(vscode.commands.registerCommand('pyxray.pickProcess',
        pickProcess));
    context.subscriptions.push(vscode.commands.registerCommand('pyxray.attachChildren',
        async () => {
            const session = vscode.debug.activeDebugSession;
            if (!session || session.type !== 'pyxray-gdb') {
                vscode.window.showErrorMessage('pyxray: no pyxray-gdb debug session is active.');
                return;
            }
            try {
                const res = await session.customRequest('pyxray.attachChildren');
                const n = (res && res.attached ? res.attached.length : 0);
                vscode.window.showInformationMessage(
                    `pyxray: ${n} child process${n === 1 ? '' : 'es'} attached.`);
            } catch (err) {
                vscode.window.showErrorMessage(`pyxray: ${err.message || err}`);
            }
        }));
}

function deactivate() {}

module.exports = { activate, deactivate, pickProcess };
