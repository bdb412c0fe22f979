/* SPDX-License-Identifier: MIT */
/* Building a repr's text (reprtext.h): a bounded buffer, int and float
 * digits as Python writes them, and Python's repr escaping for str, bytes
 * and type names. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reprtext.h"
#include "../util/utf8.h"

void pyx_sb_put(struct pyx_sb *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->full = 1;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

void pyx_sb_str(struct pyx_sb *b, const char *s)
{
	pyx_sb_put(b, s, strlen(s));
}

void pyx_sb_printf(struct pyx_sb *b, const char *fmt, ...)
{
	char tmp[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		pyx_sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Decimal digits of a magnitude, by repeated division by 10^9. */
void pyx_sb_long(struct pyx_sb *b, struct pyx_long *v)
{
	char dec[PYX_LONG_MAX_DIGITS * 10 + 2];
	uint32_t *num = v->digits;
	size_t n = v->ndigits, pos = sizeof dec - 1;

	dec[pos] = '\0';
	while (n && !num[n - 1])
		n--;
	if (!n) {
		pyx_sb_str(b, "0");
		return;
	}
	while (n) {
		uint64_t rem = 0;
		for (size_t i = n; i-- > 0;) {
			uint64_t cur = (rem << v->shift) | num[i];
			num[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (n && !num[n - 1])
			n--;
		for (int k = 0; k < 9 && (n || rem); k++) {
			dec[--pos] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	if (v->negative)
		dec[--pos] = '-';
	pyx_sb_str(b, dec + pos);
}

/* Python's float repr: the shortest digits that round-trip, positional
 * notation for exponents in [-4, 16), else d.ddde+XX (Python/pystrtod.c). */
void pyx_sb_float(struct pyx_sb *b, double x)
{
	char tmp[64], digits[32], out[80];
	int exp10 = 0, nd = 0, neg, pos = 0;
	const char *p;

	if (isnan(x)) {
		pyx_sb_str(b, "nan");
		return;
	}
	if (isinf(x)) {
		pyx_sb_str(b, x < 0 ? "-inf" : "inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	/* tmp is "[-]d[<point>ddd]e[+-]XX"; the point follows the locale. */
	p = tmp;
	neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits - 1)
			digits[nd++] = *p;
	if (*p == 'e')
		exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (neg)
		out[pos++] = '-';
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			out[pos++] = '0';
			out[pos++] = '.';
			for (int i = 0; i < -exp10 - 1; i++)
				out[pos++] = '0';
			for (int i = 0; i < nd; i++)
				out[pos++] = digits[i];
		} else {
			for (int i = 0; i <= exp10; i++)
				out[pos++] = i < nd ? digits[i] : '0';
			out[pos++] = '.';
			if (nd > exp10 + 1)
				for (int i = exp10 + 1; i < nd; i++)
					out[pos++] = digits[i];
			else
				out[pos++] = '0';
		}
		out[pos] = '\0';
	} else {
		out[pos++] = digits[0];
		if (nd > 1) {
			out[pos++] = '.';
			for (int i = 1; i < nd; i++)
				out[pos++] = digits[i];
		}
		snprintf(out + pos, sizeof out - (size_t)pos, "e%c%02d", exp10 < 0 ? '-' : '+',
			 exp10 < 0 ? -exp10 : exp10);
	}
	pyx_sb_str(b, out);
}

/* Approximates Py_UNICODE_ISPRINTABLE for non-ASCII code points: controls,
 * separators, format characters, surrogates, private use and noncharacters
 * of the BMP are escaped; a few rarer ones are not. */
static int printable(uint32_t c)
{
	static const uint32_t ranges[][2] = {
	    {0x80, 0xa0},     {0xad, 0xad},	  {0x600, 0x605},      {0x61c, 0x61c},
	    {0x6dd, 0x6dd},   {0x70f, 0x70f},	  {0x1680, 0x1680},    {0x180e, 0x180e},
	    {0x2000, 0x200f}, {0x2028, 0x202f},	  {0x205f, 0x2064},    {0x2066, 0x206f},
	    {0x3000, 0x3000}, {0xd800, 0xf8ff},	  {0xfeff, 0xfeff},    {0xfff9, 0xfffb},
	    {0xfffe, 0xffff}, {0xe0000, 0xe0fff}, {0xf0000, 0x10ffff},
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return 0;
	return 1;
}

/* Next code point of our own (well-formed, surrogates allowed) UTF-8. */
static uint32_t next_cp(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint32_t c = *p++;
	int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (more)
		c &= 0x3fu >> more;
	while (more-- && (*p & 0xc0) == 0x80)
		c = (c << 6) | (*p++ & 0x3fu);
	*pp = p;
	return c;
}

/* How put_escaped reads its input: str contents as we decoded them (UTF-8,
 * surrogates allowed), bytes, or a C string read from the target (a
 * tp_name), whose bytes that are not valid UTF-8 are escaped as bytes. */
enum esc_mode { ESC_STR, ESC_BYTES, ESC_CSTR };

/* Python's repr escaping of string contents, the one rule for every target
 * string in a repr: quote (0 for none) and backslash escaped, controls and
 * unprintable code points as \xNN, \uNNNN or \UNNNNNNNN. */
static void put_escaped(struct pyx_sb *b, const unsigned char *s, size_t n, enum esc_mode mode,
			char quote)
{
	const unsigned char *p = s, *end = s + n;

	while (p < end && !b->full) {
		const unsigned char *start = p;
		int byte = mode == ESC_BYTES ||
			   (mode == ESC_CSTR && !pyx_utf8_len(p, (size_t)(end - p)));
		uint32_t c = byte ? *p++ : next_cp(&p);
		if ((quote && c == (uint32_t)quote) || c == '\\')
			pyx_sb_printf(b, "\\%c", (char)c);
		else if (c == '\t')
			pyx_sb_str(b, "\\t");
		else if (c == '\n')
			pyx_sb_str(b, "\\n");
		else if (c == '\r')
			pyx_sb_str(b, "\\r");
		else if (c < 0x20 || c == 0x7f || (byte && c > 0x7f))
			pyx_sb_printf(b, "\\x%02x", c);
		else if (c < 0x7f || printable(c))
			pyx_sb_put(b, (const char *)start, (size_t)(p - start));
		else if (c <= 0xff)
			pyx_sb_printf(b, "\\x%02x", c);
		else if (c <= 0xffff)
			pyx_sb_printf(b, "\\u%04x", c);
		else
			pyx_sb_printf(b, "\\U%08x", c);
	}
}

void pyx_sb_quoted(struct pyx_sb *b, const unsigned char *s, size_t n, int is_bytes)
{
	char quote = '\'';

	if (memchr(s, '\'', n) && !memchr(s, '"', n))
		quote = '"';
	pyx_sb_put(b, &quote, 1);
	put_escaped(b, s, n, is_bytes ? ESC_BYTES : ESC_STR, quote);
	pyx_sb_put(b, &quote, 1);
}

void pyx_sb_name(struct pyx_sb *b, const char *name, char quote)
{
	put_escaped(b, (const unsigned char *)name, strlen(name), ESC_CSTR, quote);
}
