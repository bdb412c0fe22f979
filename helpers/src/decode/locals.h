/* SPDX-License-Identifier: MIT */
/* A frame's variables: the fast locals (arguments, locals, cells and free
 * variables) with bounded reprs, and name lookup through locals, globals and
 * builtins as py-print does it. */
#ifndef PYX_LOCALS_H
#define PYX_LOCALS_H

#include "code.h"
#include "decoder.h"

/* Fills f->locals for a decoded frame (f->frame_addr, f->code_addr set).
 * Unbound variables (NULL slots) are left out. Returns 0 or a negative
 * PYX_E_*; on failure f->locals stays NULL. Not async-signal-safe (reprs of
 * floats use libc). */
int pyx_locals_read(struct pyx_decoder *d, struct pyx_dec_frame *f, struct pyx_error *err);

/* The object a fast local (or a cell's content) of frame f holds, by name.
 * -PYX_E_NOT_FOUND when the frame has no such bound local. */
int pyx_locals_get(struct pyx_decoder *d, const struct pyx_dec_frame *f, const char *name,
		   uint64_t *out, struct pyx_error *err);

enum pyx_scope { PYX_SCOPE_LOCAL = 1, PYX_SCOPE_GLOBAL = 2, PYX_SCOPE_BUILTIN = 3 };

/* Looks a name up as Python would for a read in frame f: fast locals (cells
 * dereferenced), then f_globals, then the builtins. *repr_out is a bounded
 * repr in the arena. -PYX_E_NOT_FOUND when the name is unbound everywhere. */
int pyx_locals_lookup(struct pyx_decoder *d, const struct pyx_dec_frame *f, const char *name,
		      uint64_t builtins_addr, enum pyx_scope *scope_out, const char **repr_out,
		      struct pyx_error *err);

#endif
