/* SPDX-License-Identifier: MIT */
/* Internal to helpers/src/decode: str decoding with an explicit length, for
 * callers that must keep embedded NULs (repr). pyx_obj_str is built on it. */
#ifndef PYX_UNICODE_H
#define PYX_UNICODE_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"

/* Decodes the str at str_addr into out[0..cap) as UTF-8 (lone surrogates
 * encoded like other code points), at most cap - 1 bytes cut at a character
 * boundary, NUL-terminated; cap >= 1. *out_len gets the byte length (NULs
 * inside the string included), *truncated whether characters were left out.
 * -PYX_E_BAD_DATA when str_addr is not a str or its header is inconsistent. */
int pyx_unicode_decode(struct pyx_decoder *d, uint64_t str_addr, char *out, size_t cap,
		       size_t *out_len, int *truncated, struct pyx_error *err);

#endif
