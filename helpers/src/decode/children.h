/* SPDX-License-Identifier: MIT */
/* A container's children, for a debugger's variables view: the items of a
 * list, tuple or set, the entries of a dict, the attributes of an instance
 * (or a class), each with its bounded repr, its address and how many
 * children it has in turn. Paged: the caller bounds a page (the snapshot
 * layer by PYX_SNAP_CHILDREN_MAX), and a page never holds more than the
 * object has. */
#ifndef PYX_CHILDREN_H
#define PYX_CHILDREN_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"

enum {
	PYX_VAR_REPR_MAX = 256,    /* bytes of a variable's or child's repr */
	PYX_VAR_REPR_DEPTH = 2,    /* nesting shown in it */
	PYX_CHILD_NAME_MAX = 128,  /* bytes of a dict key's repr used as a name */
};

/* How many children pyx_obj_children would list for the object at addr
 * (a container's length, an instance's attribute count); 0 when it has
 * none, is not a container or cannot be read. Never fails. *indexed (NULL
 * allowed) tells items named [i] (list, tuple, set) from the rest. */
uint64_t pyx_obj_nchildren(struct pyx_decoder *d, uint64_t addr, int *indexed);

/* Children start .. start + max - 1 (max is the caller's bound) of
 * the object at addr, in the arena: items named "[i]" (kind "item"), dict
 * entries named by their key's repr ("entry"), attributes by name
 * ("attr"). *total is how many there are in all (a sequence's length, a
 * dict's ma_used), at most what can be listed (a dict's or set's entries
 * within limits.max_dict_entries). A start past the end gives none. -PYX_E_BAD_DATA
 * when the object is not a container (or its header is garbage),
 * -PYX_E_FAULT when it cannot be read; every read is bounded by
 * d->opts.limits. */
int pyx_obj_children(struct pyx_decoder *d, uint64_t addr, size_t start, size_t max,
		     struct pyx_dec_var **out, size_t *nout, uint64_t *total,
		     struct pyx_error *err);

#endif
