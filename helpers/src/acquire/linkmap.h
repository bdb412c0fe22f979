/* SPDX-License-Identifier: MIT */
/* Finding the interpreter through the dynamic loader's own list of loaded
 * objects (linkmap.c), read through a memory source: no file is opened and
 * nothing is allocated, so the stub can look again from a signal handler
 * when an embedder loaded libpython after the stub was armed. */
#ifndef PYX_LINKMAP_H
#define PYX_LINKMAP_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>
#include <pyxray/target.h>

/* Looks up the exported symbol `name` in the object whose link_map entry is
 * at lm_addr, through the object's in-memory dynamic section (DT_GNU_HASH,
 * else DT_HASH). *out is the relocated address. -PYX_E_NOT_FOUND when the
 * object does not define it; -PYX_E_FAULT / -PYX_E_BAD_DATA when its
 * tables cannot be read. Every walk is bounded. Async-signal-safe given a
 * memory source that is (pyx_memsrc_open_self). */
int pyx_linkmap_symbol(struct pyx_memsrc *mem, uint64_t lm_addr, const char *name, uint64_t *out,
		       struct pyx_error *err);

/* Walks the loaded objects of the struct r_debug at r_debug_addr (glibc's
 * _r_debug), in load order, for the first that holds an interpreter
 * (_PyRuntime, or 3.6's _PyThreadState_Current and PyInterpreterState_Head)
 * and fills *out with its relocated symbols. Its path is copied to
 * path_buf (exe_path for the main program, whose link_map has no name) and
 * out->path points there; the version comes from Py_Version at read time
 * or from the file names. -PYX_E_NOT_PYTHON when no loaded object holds
 * one. At most 4096 objects are visited. Async-signal-safe as above. */
int pyx_linkmap_find_python(struct pyx_memsrc *mem, uint64_t r_debug_addr, const char *exe_path,
			    struct pyx_python_syms *out, char *path_buf, size_t path_size,
			    struct pyx_error *err);

#endif
