/* SPDX-License-Identifier: MIT */
/* Line-table decoding. Formats from CPython's Objects/lnotab_notes.txt (3.6-3.9,
 * 3.10) and Objects/locations.md (3.11+); reimplemented here over bounded
 * local buffers. */
#include "linetable.h"

#include <stdint.h>

/* Lines and addresses are summed from target data: 64-bit sums cannot
 * overflow for tables within max_linetable, and the result is clamped. */
static int clamp_line(int64_t line)
{
	return line > 0 && line <= INT32_MAX ? (int)line : 0;
}

int pyx_line_lnotab(const uint8_t *tab, size_t len, int firstlineno, int lasti)
{
	int64_t line = firstlineno, addr = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += tab[i];
		if (addr > lasti)
			break;
		line += (int8_t)tab[i + 1];
	}
	return clamp_line(line);
}

int pyx_line_linetable310(const uint8_t *tab, size_t len, int firstlineno, int addr)
{
	int64_t line = firstlineno, start = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		int64_t end = start + tab[i];
		int8_t ldelta = (int8_t)tab[i + 1];
		if (ldelta != -128)
			line += ldelta;
		if (addr >= start && addr < end)
			return ldelta == -128 ? 0 : clamp_line(line);
		start = end;
	}
	return 0;
}

/* Reads a 6-bit-chunk varint; returns 0 when the table ends first. */
static int read_varint(const uint8_t *tab, size_t len, size_t *pos, unsigned *out)
{
	unsigned val = 0, shift = 0;
	for (;;) {
		if (*pos >= len || shift > 24)
			return 0;
		uint8_t b = tab[(*pos)++];
		val |= (unsigned)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	*out = val;
	return 1;
}

static int read_svarint(const uint8_t *tab, size_t len, size_t *pos, int *out)
{
	unsigned u;
	if (!read_varint(tab, len, pos, &u))
		return 0;
	*out = (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
	return 1;
}

int pyx_line_locations(const uint8_t *tab, size_t len, int firstlineno, int offset)
{
	int64_t line = firstlineno, addr = 0;
	size_t pos = 0;
	while (pos < len) {
		uint8_t first = tab[pos++];
		if (!(first & 0x80))
			return 0; /* not at an entry start: malformed */
		int code = (first >> 3) & 15, length = (first & 7) + 1, delta = 0;
		unsigned skip;
		switch (code) {
		case 15: /* no location */
			break;
		case 14: /* long form: line delta, end line delta, col+1, end col+1 */
			if (!read_svarint(tab, len, &pos, &delta) || !read_varint(tab, len, &pos, &skip) ||
			    !read_varint(tab, len, &pos, &skip) || !read_varint(tab, len, &pos, &skip))
				return 0;
			break;
		case 13: /* no column */
			if (!read_svarint(tab, len, &pos, &delta))
				return 0;
			break;
		case 10:
		case 11:
		case 12: /* one-line form */
			delta = code - 10;
			pos += 2;
			break;
		default: /* short form, same line */
			pos += 1;
			break;
		}
		line += delta;
		if (offset >= addr && offset < addr + length)
			return code == 15 ? 0 : clamp_line(line);
		addr += length;
	}
	return 0;
}
