/* SPDX-License-Identifier: MIT */
/* Shared between the memory-source dispatcher and its backends. */
#ifndef PYX_MEMSRC_IMPL_H
#define PYX_MEMSRC_IMPL_H

#include <pyxray/memsrc.h>

/* Returns the backend context of a source opened with the given ops, or
 * NULL when src uses other ops (used by pyx_memsrc_image_add). */
void *pyx_memsrc_ctx_if(struct pyx_memsrc *src, const struct pyx_memsrc_ops *ops);

#endif
