/* SPDX-License-Identifier: MIT */
/* A synthetic CPython world in a test image for any layout: code objects,
 * frame chains, and a whole runtime (two interpreters, three threads, the
 * GIL held by one). Shared by the decoder and signal-safety tests. */
#ifndef PYX_TEST_WORLD_H
#define PYX_TEST_WORLD_H

#include <stdint.h>

#include "layout/debug_offsets.h"
#include "pyobj.h"

struct world {
	struct test_image img;
	struct pyx_layout L;
	struct pyobj_env env;
	uint64_t codes[3];
};

/* Image, layout of 3.minor and three code objects: inner (Outer.inner),
 * middle, <module>. */
void world_init(struct world *w, int minor);

/* A frame running `code` at code unit `unit`, linked to `back`; owner is
 * the 3.12+ frame owner (0 for a Python frame). */
uint64_t make_frame(struct world *w, uint64_t code, int unit, uint64_t back, int owner);

/* <module> -> middle -> inner (innermost), with a shim below the outermost
 * frame where the layout has them. Returns the innermost. */
uint64_t build_chain(struct world *w);

/* _PyRuntime with the main interpreter (threads 0 and 1, thread 1 holding
 * the GIL; list newest first) and a sub-interpreter (thread 2), each thread
 * running build_chain(). Thread i has thread_id 0x1000+i and native id
 * 500+i where the layout has one. Needs has_runtime (3.7+). */
uint64_t world_runtime(struct world *w, uint64_t interps[2], uint64_t tstates[3], uint64_t *gil);

/* A _Py_DebugOffsets image as a build matching our 3.minor table would
 * carry it. */
struct do_image {
	const struct pyx_do_desc *desc;
	uint64_t words[PYX_DO_MAX_WORDS];
};
void set_word(struct do_image *im, const char *member, uint64_t v);
void build_image(struct do_image *im, int minor, uint32_t version_hex);

#endif
