// SPDX-License-Identifier: MIT
// The processes an attach can pick (VS Code's ${command:pickProcess} in a
// pyxray-gdb configuration): every process in /proc this user can see,
// Python ones first, each with its pid and command line. What a process
// put in its command line is shown with control characters replaced, so a
// hostile argv cannot reach the picker's text as controls.
'use strict';

const fs = require('fs');
const path = require('path');

const MAX_PROCESSES = 32768; // pid_max's default
const MAX_CMDLINE = 4096; // bytes of a command line shown
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffd]/g;
const PYTHON = /^python[0-9.]*[dmu]?$/;

function readHead(file, max) {
    let fd;
    try {
        fd = fs.openSync(file, 'r');
        const buf = Buffer.alloc(max);
        const n = fs.readSync(fd, buf, 0, max, 0);
        return buf.subarray(0, n);
    } catch (err) {
        return null; // gone, or not ours to read
    } finally {
        if (fd !== undefined) {
            fs.closeSync(fd);
        }
    }
}

// [{pid, python, label, detail}], Python processes first, then by pid;
// the caller's own process left out.
function listProcesses(proc = '/proc') {
    const out = [];
    let names;
    try {
        names = fs.readdirSync(proc);
    } catch (err) {
        throw new Error(`cannot list processes in ${proc}: ${err.message}`);
    }
    for (const name of names) {
        if (!/^[1-9][0-9]*$/.test(name) || out.length >= MAX_PROCESSES) {
            continue;
        }
        const pid = parseInt(name, 10);
        if (pid === process.pid) {
            continue;
        }
        const raw = readHead(path.join(proc, name, 'cmdline'), MAX_CMDLINE);
        if (!raw || raw.length === 0) {
            continue; // a kernel thread, or a zombie
        }
        const argv = raw.toString('utf8').replace(/\0+$/, '').split('\0')
            .map((a) => a.replace(UNSAFE, '\ufffd'));
        const python = argv.slice(0, 2).some((a) => PYTHON.test(path.basename(a)));
        out.push({ pid, python, label: `${pid}  ${path.basename(argv[0])}`,
            detail: argv.join(' ') });
    }
    out.sort((a, b) => (a.python === b.python ? a.pid - b.pid : (a.python ? -1 : 1)));
    return out;
}

module.exports = { listProcesses };
