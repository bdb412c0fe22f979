#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// pyxray-dap: a Debug Adapter Protocol server on stdin/stdout for GDB with
// pyxray's Python frames (session.js). Editors start it as a debug adapter;
// it takes cdt-gdb-adapter's --config=JSON / --config-frozen=JSON options.
'use strict';

const USAGE = `Usage: pyxray-dap [--config=JSON | --config=@FILE] [--config-frozen=JSON]

A debug adapter (DAP over stdin/stdout) for GDB that shows Python frames
with their source, arguments and locals: cdt-gdb-adapter's attach and
launch arguments (program, processId, gdb, gdbArguments, initCommands,
...), plus coreFile (launch on a core file) and pyxrayGdbext (where the
pyxray package for GDB is). Custom request: pyxray.attachChildren.
--config gives default request arguments, --config-frozen ones that the
client cannot override. See docs/ide.md for editor configurations.
`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    process.exit(0);
}
if (process.argv.includes('--version')) {
    process.stdout.write(`pyxray-dap ${require('../package.json').version}\n`);
    process.exit(0);
}

const { PyxrayDebugSession } = require('./session');

PyxrayDebugSession.run(PyxrayDebugSession);
