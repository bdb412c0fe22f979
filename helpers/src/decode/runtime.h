/* SPDX-License-Identifier: MIT */
/* From the runtime symbols to interpreters and threads: version detection,
 * layout choice, the interpreter list, each interpreter's thread list, GIL
 * holder and thread names. */
#ifndef PYX_RUNTIME_H
#define PYX_RUNTIME_H

#include <pyxray/snapshot.h>

#include "decoder.h"

/* Determines the target's version (Py_Version, else syms->version_hex, then
 * refined from sys.version) and fills *layout. *version_out gets "3.11.7" in
 * arena memory. -PYX_E_UNSUPPORTED_VERSION names the version and why. */
int pyx_runtime_detect(struct pyx_memsrc *src, const struct pyx_python_syms *syms,
		       struct pyx_layout *layout, struct pyx_error *err);

/* Decodes every interpreter and thread into proc (interps, python_version).
 * d must have src, layout, arena and limits set. Errors inside one
 * interpreter are stored in it; the return value is for errors that leave
 * nothing to show (no interpreter list, out of memory). */
int pyx_runtime_decode(struct pyx_decoder *d, const struct pyx_python_syms *syms,
		       unsigned flags, struct pyx_process *proc, struct pyx_error *err);


#endif
