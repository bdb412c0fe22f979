/* SPDX-License-Identifier: MIT */
/* The one UTF-8 validator for bytes from a target, shared by the output
 * escaper (format/out.c) and the decoder's repr of names it reads as C
 * strings (decode/objects.c). Header only: pure, signal-safe. */
#ifndef PYX_UTF8_H
#define PYX_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1-4; at most `avail` bytes
 * looked at, avail >= 1), or 0 when it is not valid UTF-8 (overlong forms
 * and UTF-16 surrogates are not). */
static inline size_t pyx_utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n = c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	if (!n || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
		return 0; /* overlong, or a UTF-16 surrogate */
	if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

#endif
