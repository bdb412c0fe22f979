// SPDX-License-Identifier: MIT
// Where pyxray's GDB extension (the directory holding the `pyxray` Python
// package) is: $PYXRAY_GDBEXT, else what `make install` wrote into
// config.json next to this file, else the source tree this file sits in,
// else the usual install prefixes (the VS Code extension carries no copy:
// GDB's own gdbinit loader may have imported pyxray already).
'use strict';

const fs = require('fs');
const path = require('path');

function gdbextDir() {
    if (process.env.PYXRAY_GDBEXT) {
        return process.env.PYXRAY_GDBEXT;
    }
    try {
        const cfg = JSON.parse(fs.readFileSync(path.join(__dirname, 'config.json'), 'utf8'));
        if (cfg.gdbext) {
            return cfg.gdbext;
        }
    } catch (err) {
        if (err.code !== 'ENOENT') {
            throw new Error(`pyxray-dap: ${path.join(__dirname, 'config.json')}: ${err.message}`);
        }
    }
    const candidates = [path.resolve(__dirname, '..', '..', '..', 'gdbext'),
        '/usr/local/share/pyxray/gdbext', '/usr/share/pyxray/gdbext'];
    for (const dir of candidates) {
        if (fs.existsSync(path.join(dir, 'pyxray', '__init__.py'))) {
            return dir;
        }
    }
    return candidates[0];
}

module.exports = { gdbextDir };
