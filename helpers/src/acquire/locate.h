/* SPDX-License-Identifier: MIT */
/* Finding the interpreter in a target: which mapped object exports
 * _PyRuntime (executable, libpython, or an embedder), where it is loaded, and
 * which version it is when Py_Version cannot tell (before 3.11). Works from
 * the target's list of mapped objects and the files behind them, whatever
 * the source (live maps, a core's NT_FILE). */
#ifndef PYX_LOCATE_H
#define PYX_LOCATE_H

#include <stdint.h>

#include "target.h"

/* What ELF files said, kept across the processes of one snapshot (the
 * workers of a pool map the same files). */
struct pyx_locate_cache;
struct pyx_locate_cache *pyx_locate_cache_create(void); /* NULL on failure */
void pyx_locate_cache_destroy(struct pyx_locate_cache *cache); /* NULL allowed */

/* pyx_locate_python for a target's ops->locate: the cache is made on first
 * use (and freed with the snapshot). */
int pyx_locate_target(struct pyx_target *t, struct pyx_locate_cache **cache,
		      struct pyx_python_syms *out, struct pyx_error *err);

/* Fills *out from the target's mapped objects (opened where
 * pyx_target_file_path says). -PYX_E_NOT_PYTHON (message names the
 * executable) when no mapped object holds an interpreter. cache may be
 * NULL. Strings live in the target's arena. */
int pyx_locate_python(struct pyx_target *t, struct pyx_locate_cache *cache,
		      struct pyx_python_syms *out, struct pyx_error *err);

/* PY_VERSION_HEX of major.minor guessed from a file name such as
 * "libpython3.9.so.1.0", "libpython3.7m.so" or "python3.8"; 0 when none.
 * Async-signal-safe. */
uint32_t pyx_version_from_filename(const char *path);

/* interp_head from the 8 code bytes of PyInterpreterState_Head at fn (3.6):
 * `mov rax, [rip+disp32]; ret`; 0 when the code is not that. */
uint64_t pyx_interp_head_from_code(const unsigned char code[8], uint64_t fn);

struct pyx_elf;
/* major.minor found in an object's read-only data ("python3.X" search
 * paths), for interpreters without Py_Version whose file names do not tell;
 * 0 when absent or ambiguous. */
uint32_t pyx_version_from_rodata(struct pyx_elf *elf);

/* The same search over len bytes (the stub scans an object's mapped
 * read-only memory): *found starts at -1 and keeps the minor seen; -1 when
 * two different minors appear (cannot tell), else 0. */
int pyx_version_scan(const void *data, size_t len, int *found);

#endif
