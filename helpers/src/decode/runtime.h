/* SPDX-License-Identifier: MIT */
/* From the runtime symbols to interpreters and threads: version detection,
 * layout choice, the interpreter list, each interpreter's thread list, GIL
 * holder and thread names. */
#ifndef PYX_RUNTIME_H
#define PYX_RUNTIME_H

#include "decoder.h"

/* Determines the target's version (Py_Version, else roots->version_hex) and
 * fills *layout. -PYX_E_UNSUPPORTED_VERSION names the version and why. */
int pyx_runtime_detect(struct pyx_memsrc *src, const struct pyx_dec_roots *roots,
		       struct pyx_layout *layout, struct pyx_error *err);

/* Decodes every interpreter and thread into *out (version refined from
 * sys.version before 3.11). Errors inside one interpreter are stored in it;
 * the return value is for errors that leave nothing to show (no interpreter
 * list, out of memory), and *out is still filled as far as it got. */
int pyx_runtime_decode(struct pyx_decoder *d, const struct pyx_dec_roots *roots,
		       struct pyx_dec_result *out, struct pyx_error *err);


#endif
