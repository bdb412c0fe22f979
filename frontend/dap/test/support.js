// SPDX-License-Identifier: MIT
// Helpers for the pyxray-dap tests: the interpreters they must cover, target
// programs started and waited for (never a blind sleep), `pyxray dump
// --json` of the same process, and a DAP client driving the adapter.
'use strict';

const assert = require('node:assert/strict');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const SRCDIR = process.env.PYXRAY_SRCDIR || path.resolve(HERE, '..', '..', '..');
const BUILDDIR = process.env.PYXRAY_BUILDDIR || SRCDIR;
const PROGRAMS = path.join(SRCDIR, 'tests', 'programs');
const ADAPTER = path.resolve(HERE, '..', 'src', 'pyxray-dap.js');
const TIMEOUT = 120000; // ms for one DAP request or target wait (slow machines)

function version(exe) {
    const out = cp.execFileSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
        { encoding: 'utf8', timeout: 60000 });
    return out.trim();
}

// The interpreters every test must cover: Debian's stripped python3.11, a
// pyenv 3.12, and a 3.14 from PYXRAY_EXTRA_PYTHONS (./dev test unpacks
// ../shared/interpreters and sets it). A missing one is a failure.
function interpreters() {
    const out = [];
    const debian = '/usr/bin/python3.11';
    const root = process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv');
    let pyenv312 = null;
    try {
        const dirs = fs.readdirSync(path.join(root, 'versions'))
            .filter((d) => /^3\.12\.\d+$/.test(d)).sort();
        if (dirs.length) {
            pyenv312 = path.join(root, 'versions', dirs[dirs.length - 1], 'bin', 'python3.12');
        }
    } catch (err) {
        pyenv312 = null;
    }
    const extras = (process.env.PYXRAY_EXTRA_PYTHONS || '').split(':').filter(Boolean);
    const py314 = extras.find((p) => fs.existsSync(p) && version(p) === '3.14');
    out.push({ id: 'debian-3.11', exe: debian,
        missing: fs.existsSync(debian) ? null : `${debian} is missing (apt-get install python3.11)` });
    out.push({ id: 'pyenv-3.12', exe: pyenv312,
        missing: pyenv312 && fs.existsSync(pyenv312) ? null :
            `no CPython 3.12 under ${root}/versions` });
    out.push({ id: '3.14', exe: py314,
        missing: py314 ? null : 'no Python 3.14 in PYXRAY_EXTRA_PYTHONS (./dev test unpacks ' +
            '../shared/interpreters and sets it)' });
    return out;
}

function requireInterpreter(it) {
    assert.equal(it.missing, null, `${it.id}: ${it.missing}`);
    return it.exe;
}

// /proc/PID/task/TID/syscall says read(fd, ...)?
function inRead(pid, tid, fd) {
    try {
        const f = fs.readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ');
        return f[0] === '0' && parseInt(f[1], 16) === fd;
    } catch (err) {
        return false;
    }
}

async function until(pred, what, timeout = TIMEOUT) {
    const deadline = Date.now() + timeout;
    for (;;) {
        const got = await pred();
        if (got) {
            return got;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 20));
    }
}

// A running program that prints "READY <json>" on stdout; stdin stays open.
class Target {
    constructor(exe, script, args = [], opts = {}) {
        const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
        delete env.PYTHONPATH;
        delete env.PYTHONHOME;
        // A session of its own: kill() ends every process it started (a
        // pool replaces killed workers while its parent lives, and they
        // would hold our pipes open).
        this.proc = cp.spawn(exe, [script, ...args], {
            stdio: ['pipe', 'pipe', 'pipe'], env, cwd: opts.cwd || os.tmpdir(), detached: true,
        });
        this.exe = exe;
        this.pid = this.proc.pid;
        this.out = '';
        this.err = '';
        this.proc.stdout.on('data', (d) => { this.out += d.toString(); });
        this.proc.stderr.on('data', (d) => { this.err += d.toString(); });
    }

    async ready() {
        const line = await until(() => {
            if (this.proc.exitCode !== null) {
                throw new Error(`target exited (${this.proc.exitCode}): ${this.err.slice(-2000)}`);
            }
            const m = /^READY (.*)$/m.exec(this.out);
            return m && m[1];
        }, 'the target to be READY');
        this.report = JSON.parse(line);
        return this.report;
    }

    // threads_target.py: every parked thread inside read() on its own fd.
    async parked() {
        await until(() => Object.values(this.report.threads)
            .filter((t) => t.fd !== null)
            .every((t) => inRead(this.pid, t.tid, t.fd)), 'the threads to park');
    }

    kill() {
        try {
            process.kill(-this.pid, 'SIGKILL');
        } catch (err) {
            // gone already
        }
    }
}

function threadsTarget(exe) {
    return new Target(exe, path.join(PROGRAMS, 'threads_target.py'));
}

// pyxray dump --json of a live process GDB holds stopped (read in place).
function dumpJson(pid) {
    const out = cp.execFileSync(path.join(BUILDDIR, 'pyxray'),
        ['dump', '--json', '--nonblocking', String(pid)], { encoding: 'utf8', timeout: 60000 });
    return JSON.parse(out);
}

// {tid: [{qualname, file, line}]} of one process of a dump, a thread's
// sub-interpreter frames first (inner), as the adapter shows them.
function dumpStacks(proc) {
    const byTid = new Map();
    const interps = [...proc.interpreters].sort((a, b) =>
        (a.main === b.main ? b.id - a.id : (a.main ? 1 : -1)));
    for (const it of interps) {
        for (const th of it.threads) {
            const frames = byTid.get(th.tid) || [];
            for (const f of th.frames) {
                frames.push({ qualname: f.qualname, file: f.file, line: f.line });
            }
            byTid.set(th.tid, frames);
        }
    }
    return byTid;
}

// No thread of pid left stopped or traced.
async function unharmed(pid) {
    assert.ok(fs.existsSync(`/proc/${pid}`), `pid ${pid} is gone`);
    await until(() => fs.readdirSync(`/proc/${pid}/task`).every((tid) => {
        const st = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        const state = /^State:\s+(\S)/m.exec(st)[1];
        const tracer = /^TracerPid:\s+(\d+)/m.exec(st)[1];
        return 'SR'.includes(state) && tracer === '0';
    }), `pid ${pid} to run untraced`, 20000);
}

function client() {
    let DebugClient;
    try {
        ({ DebugClient } = require('@vscode/debugadapter-testsupport'));
    } catch (err) {
        throw new Error('the node modules are missing: run ./dev (npm ci in frontend/dap)');
    }
    // PYXRAY_DAP: an installed pyxray-dap (a shell script) instead of the
    // source tree's, with the GDB extension it was installed with.
    const installed = process.env.PYXRAY_DAP;
    const env = installed ? { ...process.env }
        : { ...process.env, PYXRAY_GDBEXT: path.join(SRCDIR, 'gdbext') };
    // A VPATH build: the library is in the build tree.
    const lib = path.join(BUILDDIR, '.libs', 'libpyxray.so');
    if (BUILDDIR !== SRCDIR && fs.existsSync(lib) && !env.PYXRAY_LIBRARY) {
        env.PYXRAY_LIBRARY = lib;
    }
    const dc = installed ? new DebugClient('/bin/sh', installed, 'pyxray-gdb', { env }, true)
        : new DebugClient('node', ADAPTER, 'pyxray-gdb', { env }, true);
    dc.defaultTimeout = TIMEOUT;
    return dc;
}

const GDB_ARGS = ['-iex', 'set debuginfod enabled off'];

async function startSession(dc, request, args) {
    await dc.start();
    await dc.initializeRequest({ adapterID: 'pyxray-gdb', linesStartAt1: true,
        columnsStartAt1: true, pathFormat: 'path' });
    const initialized = dc.waitForEvent('initialized');
    const full = { gdbArguments: GDB_ARGS, ...args };
    if (request === 'attach') {
        await dc.attachRequest(full);
    } else {
        await dc.launchRequest(full);
    }
    await initialized;
}

// Attaches to pid, lets the session start and pauses it (stopped).
async function attachPaused(dc, pid) {
    await startSession(dc, 'attach', { processId: String(pid) });
    await dc.configurationDoneRequest();
    const stopped = dc.waitForEvent('stopped');
    await dc.pauseRequest({ threadId: 1 });
    await stopped;
}

// Ends a session (dc may be unset) without waiting on a dead adapter.
async function endSession(dc) {
    if (dc) {
        await dc.disconnectRequest({}).catch(() => {});
        await dc.stop().catch(() => {});
    }
}

// Ends a session, checks its target runs on untraced, and kills it.
async function endAttached(dc, t) {
    await endSession(dc);
    if (t) {
        if (t.proc.exitCode === null) {
            await unharmed(t.pid);
        }
        t.kill();
    }
}

module.exports = {
    ADAPTER, BUILDDIR, PROGRAMS, SRCDIR, TIMEOUT, Target, attachPaused, client, dumpJson,
    dumpStacks, endAttached, endSession, interpreters, requireInterpreter, startSession,
    threadsTarget, unharmed, until,
};
