/* SPDX-License-Identifier: MIT */
/* Source files named by a target (co_filename is target data): read
 * bounded, cached one file at a time, written through the one escaper.
 * Used by the text report (the line under each frame) and the front-end
 * formatters (py-list's listing, py-up's line, the TUI window). */
#ifndef PYX_FORMAT_SOURCE_H
#define PYX_FORMAT_SOURCE_H

#include <stddef.h>

#include "out.h"

/* The last file read. Zero-initialize; release with pyx_source_cache_deinit. */
struct pyx_source_cache {
	char *path;
	char *text; /* NULL when the file could not be read */
	size_t len;
	int error;  /* 0, or the PYX_E_* code of the failed read */
};

void pyx_source_cache_deinit(struct pyx_source_cache *c);

/* Loads `path` into the cache (a no-op when it is the cached file). Only a
 * regular file, opened without blocking (a FIFO must not hang us), of at
 * most PYX_SOURCE_FILE_MAX bytes. Returns 0 or the negative PYX_E_* code
 * of the failure (also kept in c->error): -PYX_E_NOT_FOUND, -PYX_E_LIMIT,
 * -PYX_E_NOMEM. */
int pyx_source_load(struct pyx_source_cache *c, const char *path);

/* Line `line` (1-based) of the cached file, without its line end; *len is
 * its length. NULL past the end or when nothing is cached. */
const char *pyx_source_get_line(const struct pyx_source_cache *c, int line, size_t *len);

/* Writes len bytes of source text with tabs expanded to 8-column stops
 * (from column `col`) and everything else through pyx_out_textn. */
void pyx_source_write(struct pyx_out *o, const char *text, size_t len, size_t col);

#endif
