/* SPDX-License-Identifier: MIT */
/* Reading an int object's magnitude and sign (long.c), for objects.c's
 * repr and int64 conversion. */
#ifndef PYX_LONG_H
#define PYX_LONG_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"

enum { PYX_LONG_MAX_DIGITS = 256 }; /* ~2300 decimal digits; larger ints are summarized */

/* An int's magnitude as little-endian digits of `shift` bits each. */
struct pyx_long {
	int negative;
	unsigned shift;
	size_t ndigits;
	uint32_t digits[PYX_LONG_MAX_DIGITS];
};

/* Decodes the sign and digit count; reads the digits when there are at most
 * max_digits of them, else fails with -PYX_E_LIMIT (v->ndigits is set). */
int pyx_long_read(struct pyx_decoder *d, uint64_t addr, size_t max_digits, struct pyx_long *v,
		  struct pyx_error *err);

#endif
