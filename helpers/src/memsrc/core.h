/* SPDX-License-Identifier: MIT */
/* The core-file memory source (core.c): a process's memory as an ELF core
 * recorded it, with the file-backed bytes it left out read from the mapped
 * files. The core target (acquire/core.c) parses the core and fills the
 * layout; this source only reads. */
#ifndef PYX_MEMSRC_CORE_H
#define PYX_MEMSRC_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/memsrc.h>

/* A PT_LOAD segment: [vaddr, vaddr + filesz) is at core offset `offset`;
 * [vaddr + filesz, vaddr + memsz) is not in the core. */
struct pyx_core_seg {
	uint64_t vaddr, filesz, memsz, offset;
};

/* A file mapping (NT_FILE): [start, end) maps file `file` from `offset`. */
struct pyx_core_fmap {
	uint64_t start, end, offset;
	size_t file; /* index into pyx_core_layout.files */
};

struct pyx_core_layout {
	int fd;	       /* the core, read with pread; owned by the source once open */
	uint64_t size; /* its size: data past it is missing (a cut core) */
	const struct pyx_core_seg *segs;
	size_t nsegs;
	const struct pyx_core_fmap *fmaps;
	size_t nfmaps;
	const char *const *files; /* where each mapped file is opened from here; NULL
				     when it cannot be used (missing, another build) */
	const char *const *names; /* the paths the core gives, for messages */
	size_t nfiles;
};

/* Opens the source; copies everything in *layout and takes its fd (closed
 * by pyx_memsrc_close, or here on failure). Reads are all or nothing: bytes
 * that are neither in the core nor in a usable mapped file are a fault
 * (-PYX_E_FAULT whose message says which: past the end of a cut core, a
 * missing file, or not recorded). */
int pyx_memsrc_open_core(const struct pyx_core_layout *layout, unsigned flags,
			 struct pyx_memsrc **out, struct pyx_error *err);

/* Sets where mapped file `index` is read from (after the core target has
 * checked it); NULL: not at all. Until then no file is read. */
void pyx_memsrc_core_set_file(struct pyx_memsrc *src, size_t index, const char *path);

/* Reads only what the core itself holds (no mapped file), bypassing the
 * cache: to tell what the process had mapped from what is on disk now. */
int pyx_memsrc_core_read_dumped(struct pyx_memsrc *src, uint64_t addr, void *buf, size_t len,
				struct pyx_error *err);

#endif
