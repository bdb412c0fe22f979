/* SPDX-License-Identifier: MIT */
/* Synthetic ELF cores for the unit tests (tests/c/test_core.c) and the
 * fuzz corpus (tests/fuzz/gen_corpus.c): notes (NT_PRSTATUS x 2,
 * NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, and GDB's note for a gcore),
 * the executable's first page, a file mapping left out of the core, data,
 * a partly recorded anonymous segment, an optional incompressible one, and
 * an initial stack with argc/argv/envp/auxv. */
#ifndef PYX_TEST_CORE_IMAGE_H
#define PYX_TEST_CORE_IMAGE_H

#include <stddef.h>

enum {
	CORE_EXE_BASE = 0x400000,
	CORE_EXE_SIZE = 0x3000,
	CORE_LIB_BASE = 0x500000,
	CORE_DATA_BASE = 0x600000, /* 0x1000 bytes: i ^ 0x5a */
	CORE_PART_BASE = 0x700000, /* 0x1000 recorded of 0x2000 */
	CORE_BIG_BASE = 0x800000,
	CORE_STACK_BASE = 0x7ffd0000,
	CORE_STACK_SIZE = 0x2000,
	CORE_ENTRY = CORE_EXE_BASE + 0x1234,
};

struct core_image_spec {
	int gcore;		/* no signal (pr_cursig 0) and GDB's target note */
	const char *exe_name;	/* NT_FILE's path of the executable */
	const char *hdr_from;	/* the file whose first page the core holds for it */
	const char *lib_name;	/* a second mapping (from its second page), left out */
	size_t big_size;	/* an incompressible segment of this size, 0 none */
};

/* Writes the core at path (aborts on an I/O error); returns its size. */
size_t core_image_write(const char *path, const struct core_image_spec *sp);

/* The whole of a file (malloc'd; aborts when unreadable). */
unsigned char *core_image_read_file(const char *path, size_t *len);
void core_image_write_file(const char *path, const void *p, size_t len);

#endif
