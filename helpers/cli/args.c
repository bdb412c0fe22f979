/* SPDX-License-Identifier: MIT */
/* Strict reading of the command line's numbers (args.h). strtol() takes
 * leading spaces, a sign and, with base 0, hex and octal: a pid typed as
 * " 5" or "+1" would be read as another process than the user meant, or
 * as one at all when it is a typo. */
#include <limits.h>
#include <stdio.h>

#include "args.h"

int cli_parse_number(const char *s, long lo, long hi, long *out)
{
	long v = 0;
	if (!s || !*s || (s[0] == '0' && s[1]))
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		int d = *p - '0';
		if (v > (LONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_pid(const char *s, pid_t *out)
{
	long v;
	if (cli_parse_number(s, 1, INT_MAX, &v) < 0)
		return -1;
	*out = (pid_t)v;
	return 0;
}

const char *cli_quote(const char *s, char *buf, size_t len)
{
	size_t pos = 0;
	if (!len)
		return buf;
	for (const unsigned char *p = (const unsigned char *)s; *p && pos + 1 < len; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			buf[pos++] = (char)*p;
		} else if (pos + 5 < len) {
			snprintf(buf + pos, len - pos, "\\x%02x", *p);
			pos += 4;
		} else {
			break;
		}
	}
	buf[pos] = '\0';
	return buf;
}
