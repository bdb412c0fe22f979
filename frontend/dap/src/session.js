// SPDX-License-Identifier: MIT
// pyxray's debug session: cdt-gdb-adapter's GDBDebugSession (used as a
// library, not forked) with the Python side from pyxray's GDB extension.
// The extension is loaded into GDB at spawn; stackTrace, scopes, variables,
// evaluate and threads ask its MI commands (-py-stack-list-frames,
// -py-frame-variables, -py-evaluate, -py-threads: docs/gdb.md, "Frames for
// frontends"); everything else (breakpoints, stepping, native frames'
// variables, the GDB console) is cdt-gdb-adapter's. Launch also takes a
// core file (coreFile), and the custom request pyxray.attachChildren brings
// a process's descendants into the session. A Python variable holding a
// container expands through -py-var-children, paged.
'use strict';

const fs = require('fs');
const path = require('path');
const { GDBDebugSession } = require('cdt-gdb-adapter');
const { Scope, Source, StackFrame, StoppedEvent, OutputEvent, InitializedEvent } =
    require('@vscode/debugadapter');
const { gdbextDir } = require('./config');

// DAP scopes of a Python frame, by variable kind (docs/gdb.md).
const SCOPES = [
    ['Arguments', ['arg']],
    ['Locals', ['local']],
    ['Cells', ['cell', 'free']],
];


// A Python name (what -py-evaluate looks up, as py-print does).
const PY_NAME = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/;

function pyString(s) {
    return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

function miQuote(s) {
    return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

class PyxrayDebugSession extends GDBDebugSession {
    constructor(backendFactory) {
        super(backendFactory);
        this.pyStacks = new Map(); // threadId -> -py-stack-list-frames result, per stop
        this.pyVariables = new Map(); // "thread:pyframe" -> variables, per stop
        this.isCore = false;
    }

    // ---- GDB with pyxray's extension ----

    async spawn(args, gdb) {
        const dir = args.pyxrayGdbext || gdbextDir();
        if (args.pyxrayGdbext &&
            !fs.existsSync(path.join(dir, 'pyxray', '__init__.py'))) {
            throw new Error(`pyxrayGdbext ${dir} holds no pyxray package ` +
                '(pyxray/__init__.py): set it to the gdbext directory of a pyxray ' +
                'source tree or install, or leave it out');
        }
        try {
            await super.spawn(args, gdb);
        } catch (err) {
            const what = errText(err).trim()
                .replace(/\s+/g, ' ');
            throw new Error(`GDB '${args.gdb || 'gdb'}' did not start (${what}): set gdb ` +
                'to the path of a GDB built with Python (Debian: apt-get install gdb)');
        }
        const backend = gdb || this.gdb;
        // A pyxray that GDB's gdbinit loader imported already stays.
        const code = 'import os, sys; d = ' + pyString(dir) + '; ' +
            "(sys.path.insert(0, d) if os.path.isdir(os.path.join(d, 'pyxray')) " +
            'and d not in sys.path else None); import pyxray';
        try {
            await backend.sendCommand('-interpreter-exec console ' + miQuote('python ' + code));
        } catch (err) {
            throw new Error(`pyxray's GDB extension did not load from ${dir}: ` +
                `${errText(err)}; set pyxrayGdbext to the ` +
                'directory that holds the pyxray package');
        }
        const probe = await backend.sendCommand('-info-gdb-mi-command py-stack-list-frames');
        if (!probe.command || probe.command.exists !== 'true') {
            throw new Error(`pyxray's GDB extension did not load from ${dir}: GDB has no ` +
                '-py-stack-list-frames (a GDB without Python, or older than 12?)');
        }
    }

    forget() {
        this.pyStacks.clear();
        this.pyVariables.clear();
        this.pyErrorShown = false;
    }

    sendStoppedEvent(reason, threadId, allThreadsStopped) {
        this.forget();
        super.sendStoppedEvent(reason, threadId, allThreadsStopped);
    }

    handleGDBResume(result) {
        this.forget();
        super.handleGDBResume(result);
    }

    // ---- cores: launch with coreFile ----

    async launchRequest(response, args) {
        if (!args.coreFile) {
            return super.launchRequest(response, args);
        }
        try {
            const [, resolved] = this.applyRequestArguments('launch', args);
            this.validateRequestArguments(resolved);
            if (!resolved.program) {
                throw new Error('a core file needs the program that dumped it: set program ' +
                    '(the python executable)');
            }
            await this.setupCommonLoggerAndBackends(resolved);
            this.initializeSessionArguments(resolved);
            await this.spawn(resolved);
            await this.gdb.sendFileExecAndSymbols(resolved.program);
            await this.gdb.sendCommands(resolved.preConnectCommands);
            // core-file takes the rest of its line as the file name, verbatim.
            await this.gdb.sendCommand('-interpreter-exec console ' +
                miQuote('core-file ' + resolved.coreFile));
            await this.gdb.sendCommands(resolved.initCommands);
            this.isCore = true;
            this.isRunning = false;
            this.sendEvent(new InitializedEvent());
            this.isInitialized = true;
            this.configuringState = 4; // DONE: nothing to resume
            this.sendResponse(response);
        } catch (err) {
            this.sendErrorResponse(response, 1, errText(err));
        }
    }

    async configurationDoneRequest(response, args) {
        if (!this.isCore) {
            return super.configurationDoneRequest(response, args);
        }
        this.sendResponse(response);
        let threadId = 1;
        try {
            const info = await this.gdb.sendCommand('-thread-info');
            threadId = parseInt(info['current-thread-id'] || '1', 10);
        } catch (err) {
            this.logger.verbose(String(err));
        }
        this.sendStoppedEvent('core', threadId, true);
    }

    async continueRequest(response, args) {
        if (this.isCore) {
            return this.sendErrorResponse(response, 1, 'A core file cannot run: it is a ' +
                'snapshot of a process that is gone.');
        }
        return super.continueRequest(response, args);
    }

    // ---- threads ----

    async pythonThreads() {
        try {
            const res = await this.gdb.sendCommand('-py-threads');
            return res.threads || [];
        } catch (err) {
            this.logger.verbose(`-py-threads: ${errText(err)}`);
            return [];
        }
    }

    async threadsRequest(response) {
        if (this.isRunning && !this.gdb.isNonStopMode()) {
            response.body = { threads: this.threads };
            return this.sendResponse(response);
        }
        try {
            const info = await this.gdb.sendCommand('-thread-info');
            const rows = await this.pythonThreads();
            const byId = new Map(rows.map((r) => [r.id, r]));
            const pids = new Set(rows.map((r) => r.pid));
            this.threads = (info.threads || []).map((t) => {
                const th = this.convertThread(t);
                const r = byId.get(t.id);
                if (r) {
                    th.name = threadName(r, pids.size > 1) || th.name;
                }
                return th;
            }).sort((a, b) => a.id - b.id);
            response.body = { threads: this.threads };
            this.sendResponse(response);
        } catch (err) {
            this.sendErrorResponse(response, 1, errText(err));
        }
    }

    // ---- stacks ----

    async pyStack(threadId) {
        let res = this.pyStacks.get(threadId);
        if (!res) {
            const got = await this.gdb.sendCommand(
                `-py-stack-list-frames --thread ${threadId} --json`);
            res = JSON.parse(got.json);
            this.pyStacks.set(threadId, res);
            if (res.python_error && !this.pyErrorShown) {
                this.pyErrorShown = true; // once per stop
                this.sendEvent(new OutputEvent(`pyxray: ${res.python_error}\n`, 'console'));
            }
        }
        return res;
    }

    async stackTraceRequest(response, args) {
        try {
            const res = await this.pyStack(args.threadId);
            const stack = res.stack || [];
            const start = args.startFrame || 0;
            const end = args.levels ? Math.min(stack.length, start + args.levels) : stack.length;
            const frames = [];
            for (let i = start; i < end; i++) {
                frames.push(this.dapFrame(args.threadId, stack[i]));
            }
            response.body = { stackFrames: frames, totalFrames: stack.length };
            this.sendResponse(response);
        } catch (err) {
            this.sendErrorResponse(response, 1, errText(err));
        }
    }

    dapFrame(threadId, f) {
        const level = parseInt(f.level, 10);
        const python = f.kind === 'python';
        const ref = { threadId, frameId: level };
        if (python) {
            ref.pyframe = parseInt(f.pyframe, 10);
        }
        const id = this.frameHandles.create(ref);
        let source;
        const where = f.fullname || f.file;
        if (where) {
            if (path.isAbsolute(where)) {
                // The name shown is the escaped file (f.file), the path the real one.
                source = new Source(path.basename(f.file || where), where);
            } else {
                source = new Source(where);
                source.presentationHint = 'deemphasize';
            }
        }
        const line = f.line ? parseInt(f.line, 10) : 0;
        const sf = new StackFrame(id, f.func || '??', source, line, line ? 1 : 0);
        if (f.kind === 'omitted') {
            // Frames of a deep stack left out ("<N Python frames left out: ...>").
            sf.presentationHint = 'label';
            return sf;
        }
        if (f.addr) {
            sf.instructionPointerReference = f.addr;
        }
        if (!python && f.interp === '1') {
            sf.presentationHint = 'subtle';
        } else if (python && f.error) {
            sf.presentationHint = 'label';
        }
        return sf;
    }

    // ---- scopes, variables, evaluate ----

    pyRef(frameId) {
        const ref = frameId !== undefined ? this.frameHandles.get(frameId) : undefined;
        return ref && ref.pyframe !== undefined ? ref : undefined;
    }

    scopesRequest(response, args) {
        const ref = this.pyRef(args.frameId);
        if (!ref) {
            return super.scopesRequest(response, args);
        }
        response.body = {
            scopes: SCOPES.map(([name, kinds]) => {
                const scope = new Scope(name, this.variableHandles.create(
                    { type: 'python', frameHandle: args.frameId, kinds }), false);
                scope.presentationHint = name === 'Arguments' ? 'arguments' : 'locals';
                return scope;
            }),
        };
        this.sendResponse(response);
    }

    async pyFrameVariables(ref) {
        const key = `${ref.threadId}:${ref.pyframe}`;
        let vars = this.pyVariables.get(key);
        if (!vars) {
            const res = await this.gdb.sendCommand(
                `-py-frame-variables --thread ${ref.threadId} ${ref.pyframe}`);
            vars = res.variables || [];
            this.pyVariables.set(key, vars);
        }
        return vars;
    }

    // A DAP variable for a row of -py-frame-variables or -py-var-children:
    // one with children gets a handle that expands it (thread, Python
    // frame, address: valid until the program runs on).
    pyVariable(ref, v) {
        const out = {
            name: v.name,
            value: v.value,
            variablesReference: 0,
            presentationHint: { kind: 'data', attributes: ['readOnly'] },
        };
        const n = parseInt(v.children || '0', 10);
        if (n > 0) {
            out.variablesReference = this.variableHandles.create({ type: 'pychildren',
                threadId: ref.threadId, pyframe: ref.pyframe, addr: v.addr });
            if (v.indexed === 'true') {
                out.indexedVariables = n;
            } else {
                out.namedVariables = n;
            }
        }
        return out;
    }

    // Children of a container, honouring DAP's start and count: without a
    // count, what one MI call gives (the library's page: 1000); with one, as
    // many MI calls as it takes.
    async pyChildren(vref, start, count) {
        const rows = [];
        let at = start;
        for (;;) {
            const want = count ? count - rows.length : 1 << 30;
            const res = await this.gdb.sendCommand(`-py-var-children --thread ${vref.threadId} ` +
                `${vref.pyframe} ${vref.addr} ${at} ${want}`);
            const got = res.children || [];
            rows.push(...got);
            at += got.length;
            const total = parseInt(res.total || '0', 10);
            if (!got.length || at >= total || !count || rows.length >= count) {
                return rows;
            }
        }
    }

    async variablesRequest(response, args) {
        const vref = this.variableHandles.get(args.variablesReference);
        if (!vref || (vref.type !== 'python' && vref.type !== 'pychildren')) {
            return super.variablesRequest(response, args);
        }
        try {
            if (vref.type === 'pychildren') {
                const rows = await this.pyChildren(vref, args.start || 0, args.count || 0);
                response.body = { variables: rows.map((v) => this.pyVariable(vref, v)) };
                return this.sendResponse(response);
            }
            const ref = this.frameHandles.get(vref.frameHandle);
            const vars = await this.pyFrameVariables(ref);
            response.body = {
                variables: vars.filter((v) => vref.kinds.includes(v.kind))
                    .map((v) => this.pyVariable(ref, v)),
            };
            this.sendResponse(response);
        } catch (err) {
            this.sendErrorResponse(response, 1, errText(err));
        }
    }

    async evaluateRequest(response, args) {
        const ref = this.pyRef(args.frameId);
        const expression = (args.expression || '').trim();
        if (!ref || (expression.startsWith('>') && args.context === 'repl')) {
            return super.evaluateRequest(response, args);
        }
        if (!PY_NAME.test(expression)) {
            return this.sendErrorResponse(response, 1, `pyxray reads names in a Python frame, ` +
                `as py-print does: '${expression}' is not a name (prefix a GDB command with '>')`);
        }
        try {
            const res = await this.gdb.sendCommand(
                `-py-evaluate --thread ${ref.threadId} ${ref.pyframe} ${expression}`);
            response.body = { result: res.value, type: res.scope, variablesReference: 0 };
            this.sendResponse(response);
        } catch (err) {
            this.sendErrorResponse(response, 1, errText(err));
        }
    }

    // ---- pyxray.attachChildren ----

    async customRequest(command, response, args) {
        if (command !== 'pyxray.attachChildren') {
            return super.customRequest(command, response, args);
        }
        if (this.isCore) {
            return this.sendErrorResponse(response, 1, 'A core file has no child processes ' +
                'to attach: attachChildren needs a live process.');
        }
        try {
            // Continuing must resume the children too.
            await this.gdb.sendCommand('-gdb-set schedule-multiple on');
            await this.pauseIfNeeded();
            let res;
            try {
                const depth = args && args.depth ? ` --depth ${parseInt(args.depth, 10)}` : '';
                res = await this.gdb.sendCommand('-py-attach-children' + depth);
            } finally {
                await this.continueIfNeeded();
            }
            this.forget();
            if (res.report) {
                this.sendEvent(new OutputEvent(res.report, 'console'));
            }
            response.body = {
                attached: (res.attached || []).map((a) => ({
                    inferior: parseInt(a.inferior, 10), pid: parseInt(a.pid, 10), label: a.label,
                })),
                report: res.report || '',
            };
            this.sendResponse(response);
        } catch (err) {
            this.sendErrorResponse(response, 1, errText(err));
        }
    }
}

// "MainThread (LWP 42)", "spinner (LWP 45) [GIL]"; with several processes
// "pid 47 ForkPoolWorker-1: MainThread (LWP 47)".
// What went wrong, as one string (an Error's message, or the thrown value).
function errText(err) {
    return err instanceof Error ? err.message : String(err);
}

function threadName(r, manyProcesses) {
    if (r.python !== 'true' && !r.name) {
        return manyProcesses ? `pid ${r.pid} ${r.process || ''}: ${r.gdb_name || 'LWP ' + r.lwp}`
            : null;
    }
    let name = `${r.name || r.gdb_name || 'thread'} (LWP ${r.lwp})`;
    if (r.holds_gil === 'true') {
        name += ' [GIL]';
    }
    if (manyProcesses) {
        name = `pid ${r.pid} ${r.process || ''}: ${name}`;
    }
    return name;
}

module.exports = { PyxrayDebugSession, threadName };
