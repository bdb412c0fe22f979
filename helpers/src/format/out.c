/* SPDX-License-Identifier: MIT */
/* Output sinks and the escaper for target strings. Every byte a target
 * controls (names, file names, argv, reprs, thread names, messages quoting
 * target data) reaches a terminal or a JSON document only through
 * pyx_out_text or pyx_out_json. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/fmt.h"
#include "out.h"

static int flush_fd(struct pyx_out *o, const char *data, size_t n)
{
	while (n) {
		ssize_t w = write(o->fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush_file(struct pyx_out *o, const char *data, size_t n)
{
	if (fwrite(data, 1, n, o->file) != n)
		return errno ? errno : EIO;
	return 0;
}

static int flush_mem(struct pyx_out *o, const char *data, size_t n)
{
	if (o->mem_len + n + 1 > o->mem_cap) {
		size_t cap = o->mem_cap ? o->mem_cap : 4096;
		while (cap < o->mem_len + n + 1)
			cap *= 2;
		char *m = realloc(o->mem, cap);
		if (!m)
			return ENOMEM;
		o->mem = m;
		o->mem_cap = cap;
	}
	memcpy(o->mem + o->mem_len, data, n);
	o->mem_len += n;
	o->mem[o->mem_len] = '\0';
	return 0;
}

static void init(struct pyx_out *o, int (*flush)(struct pyx_out *, const char *, size_t))
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->flush = flush;
}

void pyx_out_init_fd(struct pyx_out *o, int fd)
{
	init(o, flush_fd);
	o->fd = fd;
}

void pyx_out_init_file(struct pyx_out *o, FILE *f)
{
	init(o, flush_file);
	o->file = f;
}

void pyx_out_init_mem(struct pyx_out *o)
{
	init(o, flush_mem);
}

static void drain(struct pyx_out *o)
{
	if (o->len && !o->error)
		o->error = o->flush(o, o->buf, o->len);
	o->len = 0;
}

void pyx_out_write(struct pyx_out *o, const char *s, size_t n)
{
	while (n) {
		if (o->len == sizeof o->buf)
			drain(o);
		size_t k = sizeof o->buf - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void pyx_out_puts(struct pyx_out *o, const char *s)
{
	pyx_out_write(o, s, strlen(s));
}

void pyx_out_putc(struct pyx_out *o, char c)
{
	if (o->len == sizeof o->buf)
		drain(o);
	o->buf[o->len++] = c;
}

static void put_cb(void *ctx, const char *s, size_t n)
{
	pyx_out_write(ctx, s, n);
}

void pyx_out_printf(struct pyx_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pyx_vformat(put_cb, o, fmt, ap);
	va_end(ap);
}

static uint32_t utf8_decode(const unsigned char *p, size_t n)
{
	if (n == 1)
		return p[0];
	uint32_t cp = p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* Code points a terminal would act on or that reorder what is shown: C1
 * controls, and the bidirectional embeddings, overrides and isolates. */
static int dangerous(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

void pyx_out_textn(struct pyx_out *o, const char *s, size_t len)
{
	if (!s) {
		pyx_out_putc(o, '?');
		return;
	}
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		const unsigned char *run = p;
		while (p < end && *p >= 0x20 && *p < 0x7f)
			p++;
		pyx_out_write(o, (const char *)run, (size_t)(p - run));
		if (p >= end)
			break;
		size_t n = *p >= 0x80 ? pyx_utf8_len(p, (size_t)(end - p)) : 0;
		if (n) {
			uint32_t cp = utf8_decode(p, n);
			if (dangerous(cp))
				pyx_out_printf(o, "\\u{%04x}", (unsigned)cp);
			else
				pyx_out_write(o, (const char *)p, n);
			p += n;
			continue;
		}
		pyx_out_printf(o, "\\x%02x", *p++);
	}
}

void pyx_out_text(struct pyx_out *o, const char *s)
{
	pyx_out_textn(o, s, s ? strlen(s) : 0);
}

void pyx_out_json(struct pyx_out *o, const char *s)
{
	if (!s) {
		pyx_out_write(o, "null", 4);
		return;
	}
	pyx_out_putc(o, '"');
	const unsigned char *p = (const unsigned char *)s;
	size_t avail = strlen(s);
	while (*p) {
		const unsigned char *run = p;
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		pyx_out_write(o, (const char *)run, (size_t)(p - run));
		avail -= (size_t)(p - run);
		if (!*p)
			break;
		switch (*p) {
		case '"':
			pyx_out_write(o, "\\\"", 2);
			break;
		case '\\':
			pyx_out_write(o, "\\\\", 2);
			break;
		case '\n':
			pyx_out_write(o, "\\n", 2);
			break;
		case '\t':
			pyx_out_write(o, "\\t", 2);
			break;
		case '\r':
			pyx_out_write(o, "\\r", 2);
			break;
		default:
			if (*p < 0x80) {
				pyx_out_printf(o, "\\u%04x", *p);
				break;
			}
			size_t n = pyx_utf8_len(p, avail);
			if (!n) {
				pyx_out_write(o, "\\ufffd", 6);
				break;
			}
			pyx_out_write(o, (const char *)p, n);
			p += n;
			avail -= n;
			continue;
		}
		p++;
		avail--;
	}
	pyx_out_putc(o, '"');
}

void pyx_out_style(struct pyx_out *o, enum pyx_style style)
{
	static const char *const sgr[] = {
		[PYX_STYLE_NONE] = "\033[0m",	  [PYX_STYLE_FUNC] = "\033[1;33m",
		[PYX_STYLE_FILE] = "\033[32m",	  [PYX_STYLE_HEADER] = "\033[1m",
		[PYX_STYLE_GIL] = "\033[1;31m",	  [PYX_STYLE_ERROR] = "\033[31m",
		[PYX_STYLE_NOTE] = "\033[2m",	  [PYX_STYLE_NATIVE] = "\033[36m",
	};
	if (o->color && (size_t)style < sizeof sgr / sizeof sgr[0])
		pyx_out_puts(o, sgr[style]);
}

/* strerror may consult the locale: not for a signal handler. */
static const char *errno_text(int e)
{
	switch (e) {
	case EPIPE:
		return "broken pipe";
	case ENOSPC:
		return "no space left on device";
	case EDQUOT:
		return "disk quota exceeded";
	case EFBIG:
		return "file too large";
	case EIO:
		return "input/output error";
	case EBADF:
		return "bad file descriptor";
	case ENOMEM:
		return "out of memory";
	}
	return "write failed";
}

int pyx_out_finish(struct pyx_out *o, struct pyx_error *err)
{
	drain(o);
	if (!o->error && o->file && fflush(o->file) != 0)
		o->error = errno ? errno : EIO;
	if (!o->error && o->flush == flush_mem && !o->mem)
		o->error = flush_mem(o, "", 0);
	if (o->error)
		return pyx_error_set(err, o->error == ENOMEM ? PYX_E_NOMEM : PYX_E_OS, o->error, 0,
				     "writing the report: %s (errno %d)", errno_text(o->error),
				     o->error);
	return 0;
}
