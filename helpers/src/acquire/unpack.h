/* SPDX-License-Identifier: MIT */
/* Opening a core file that may be compressed (zstd, lz4 or xz, as
 * systemd-coredump stores them): a compressed core is decompressed once into
 * an anonymous temporary file, which is then read like any core. */
#ifndef PYX_UNPACK_H
#define PYX_UNPACK_H

#include <stddef.h>

#include <pyxray/error.h>

struct pyx_unpacked {
	int fd;		    /* the uncompressed bytes, read with pread */
	const char *format; /* "zstd", "lz4", "xz", or NULL when stored plain */
	int cut;	    /* the compressed stream ended early: what came before
			       it is there, the rest is missing */
	char cut_msg[160];  /* why, when cut */
};

/* Opens path (a regular file) for reading. For a compressed file the
 * temporary file is made in $TMPDIR (default /tmp), unlinked from the start
 * (O_TMPFILE), or in memory (memfd) where O_TMPFILE is not supported; runs
 * of zero pages are left as holes. -PYX_E_NOT_FOUND, -PYX_E_PERM,
 * -PYX_E_INVALID (not a regular file), -PYX_E_OS (no room to decompress). */
int pyx_unpack_open(const char *path, struct pyx_unpacked *out, struct pyx_error *err);

#endif
