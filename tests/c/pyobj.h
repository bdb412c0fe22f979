/* SPDX-License-Identifier: MIT */
/* Builders for synthetic CPython objects in a test image, laid out by a
 * pyx_layout: type objects, str, bytes, code objects, frames. Only the fields
 * the decoder reads are filled. */
#ifndef PYX_TEST_PYOBJ_H
#define PYX_TEST_PYOBJ_H

#include <stdint.h>

#include "image.h"
#include "layout/layout.h"

struct pyobj_env {
	struct test_image *img;
	const struct pyx_layout *L;
	uint64_t str_type, bytes_type, code_type, int_type;
};

/* A layout for 3.minor from our tables, with capabilities. */
void pyobj_layout(struct pyx_layout *L, int minor);

/* Creates the basic type objects. */
void pyobj_env_init(struct pyobj_env *env, struct test_image *img, const struct pyx_layout *L);

uint64_t pyobj_type(struct pyobj_env *env, const char *name, uint64_t flags);
uint64_t pyobj_str(struct pyobj_env *env, const char *ascii);
uint64_t pyobj_bytes(struct pyobj_env *env, const void *data, size_t n);

/* A code object; for 3.11+ `ncode` code units of bytecode follow inline. */
uint64_t pyobj_code(struct pyobj_env *env, const char *name, const char *qualname,
		    const char *file, int firstlineno, const void *linetable, size_t tlen,
		    int ncode);

#endif
