/* SPDX-License-Identifier: MIT */
/* The decoder's shared context: where bytes come from (memsrc), how to read
 * them (layout), where results go (arena), the per-snapshot caches and the
 * safety limits. Internal to helpers/src/decode. */
#ifndef PYX_DECODER_H
#define PYX_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>

#include "../layout/layout.h"
#include "../util/arena.h"

/* Bounds on everything read from the target. */
struct pyx_limits {
	size_t max_frames;	  /* per thread (default 4096) */
	size_t max_threads;	  /* per interpreter (default 4096) */
	size_t max_interpreters;  /* per process (default 256) */
	size_t max_string_bytes;  /* UTF-8 bytes kept of one str (default 1024) */
	size_t max_linetable;	  /* bytes of a line table (default 1 MiB) */
	size_t max_container_items; /* items shown of a container (default 32) */
	size_t max_dict_entries;  /* entries scanned in a lookup (default 1<<20) */
};

struct pyx_code_cache; /* code.c */

struct pyx_decoder {
	struct pyx_memsrc *src;
	const struct pyx_layout *layout;
	struct pyx_arena *arena;	/* results live here */
	struct pyx_limits limits;
	struct pyx_code_cache *codes;	/* code object address -> decoded names, lines */
	uint64_t str_type_addr;		/* remote PyUnicode_Type once seen, or 0 */
	uint64_t code_type_addr;	/* remote PyCode_Type once seen, or 0 */
};

/* Sets default limits. */
void pyx_limits_default(struct pyx_limits *out);

/* Reads a pointer-sized word at addr. */
static inline int pyx_dec_read_ptr(struct pyx_decoder *d, uint64_t addr, uint64_t *out,
				   struct pyx_error *err)
{
	return pyx_memsrc_read_u64(d->src, addr, out, err);
}

#endif
