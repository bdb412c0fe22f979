/* SPDX-License-Identifier: MIT */
/* pyxray: decode CPython stacks from live processes, cores and GDB.
 * Umbrella header for the public C API. */
#ifndef PYXRAY_H
#define PYXRAY_H

#include <pyxray/error.h>
#include <pyxray/format.h>
#include <pyxray/frontend.h>
#include <pyxray/memsrc.h>
#include <pyxray/snapshot.h>
#include <pyxray/target.h>

/* Library version, e.g. "0.1.0". */
const char *pyx_version(void);

#endif
