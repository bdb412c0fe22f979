/* SPDX-License-Identifier: MIT */
/* The layout of CPython's own _Py_DebugOffsets (3.13+), per version, and the
 * reader that validates a target's copy as untrusted input and overlays what
 * it carries onto our table. Internal to helpers/src/layout. */
#ifndef PYX_DEBUG_OFFSETS_H
#define PYX_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>

#include "layout.h"

/* Upper bound on the number of 64-bit words of any known _Py_DebugOffsets. */
enum { PYX_DO_MAX_WORDS = 160 };

/* One _Py_DebugOffsets layout. `words` names every 64-bit member in struct
 * order ("section.member"), so a member's index is its position: words[0] is
 * the 8-byte cookie, words[1] the version, words[2] free_threaded. */
struct pyx_do_desc {
	int minor;
	uint32_t first_hex;	/* first release with this layout (PY_VERSION_HEX) */
	const char *first_name; /* the same, spelled "3.13.0rc2" */
	const char *header;	/* where CPython declares it, for messages */
	const char *const *words;
	size_t n_words;
};

/* How one field of struct pyx_offsets is taken from _Py_DebugOffsets.
 * value = word(`member`), or word(`member`) - word(`base`) when base is set
 * (an offset inside an embedded struct, e.g. interp->_gil.locked - interp->_gil).
 * `width` is how many bytes the decoder reads there (0 for a size). */
struct pyx_do_map {
	size_t field_off;   /* offsetof(struct pyx_offsets, section.field) */
	const char *field;  /* "section.field" (ours) */
	const char *member; /* "section.member" (theirs) */
	const char *base;   /* or NULL */
	uint8_t width;
};

extern const struct pyx_do_map pyx_do_map[];
extern const size_t pyx_do_map_len;

/* The descriptor for 3.minor, or NULL when 3.minor has no _Py_DebugOffsets
 * pyxray knows. */
const struct pyx_do_desc *pyx_do_desc_for(int minor);

/* Index of member `name` in d->words, or -1 when this version lacks it. */
int pyx_do_index(const struct pyx_do_desc *d, const char *name);

/* A target's _Py_DebugOffsets as read: the raw words of desc's layout. */
struct pyx_debug_offsets {
	const struct pyx_do_desc *desc;
	uint64_t words[PYX_DO_MAX_WORDS];
};

/* Reads desc->n_words words at `addr` into out and checks the header: the
 * cookie "xdebugpy" and that the version's major.minor equals version_hex's.
 * Sets *free_threaded from the struct. Returns 0, -PYX_E_BAD_DATA or a memsrc
 * error. Does not validate the offsets (see pyx_do_apply). */
int pyx_do_read(struct pyx_memsrc *src, uint64_t addr, uint32_t version_hex,
		const struct pyx_do_desc *desc, struct pyx_debug_offsets *out, int *free_threaded,
		struct pyx_error *err);

/* Validates every value `do_` carries that we use (section sizes sane, each
 * offset plus its width inside its section) and overlays them onto *off,
 * which holds our table for the same version. A carried offset that differs
 * from the table in a section from which the decoder also reads table-only
 * fields fails with -PYX_E_BAD_DATA naming the field: that build's layout is
 * not the one the table describes. Returns 0 or -PYX_E_BAD_DATA; *off is only
 * modified on success. */
int pyx_do_apply(const struct pyx_debug_offsets *do_, struct pyx_offsets *off,
		 struct pyx_error *err);

#endif
