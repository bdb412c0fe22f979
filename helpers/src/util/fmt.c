/* SPDX-License-Identifier: MIT */
/* printf without libc's stdio: glibc's vsnprintf may take locks or allocate
 * (wide strings, positional arguments, large precisions), which a signal
 * handler must not. Integers and strings are all the library prints. */
#include <stdint.h>
#include <string.h>

#include "fmt.h"

struct spec {
	int left, zero, space, plus, alt;
	int width, prec; /* prec < 0: none */
};

static void pad(pyx_fmt_put_fn put, void *ctx, char c, int n, int *total)
{
	static const char spaces[] = "                ", zeros[] = "0000000000000000";
	const char *src = c == '0' ? zeros : spaces;
	while (n > 0) {
		int k = n > 16 ? 16 : n;
		put(ctx, src, (size_t)k);
		*total += k;
		n -= k;
	}
}

static void emit(pyx_fmt_put_fn put, void *ctx, const char *s, size_t n, int *total)
{
	if (n) {
		put(ctx, s, n);
		*total += (int)n;
	}
}

/* A field of n bytes with padding to spec->width. */
static void field(pyx_fmt_put_fn put, void *ctx, const struct spec *sp, const char *s, size_t n,
		  int *total)
{
	int fill = sp->width > (int)n ? sp->width - (int)n : 0;
	if (!sp->left)
		pad(put, ctx, ' ', fill, total);
	emit(put, ctx, s, n, total);
	if (sp->left)
		pad(put, ctx, ' ', fill, total);
}

static void number(pyx_fmt_put_fn put, void *ctx, const struct spec *sp, uint64_t v, int neg,
		   unsigned base, int upper, int *total)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;
	while (v) {
		buf[sizeof buf - 1 - n++] = digits[v % base];
		v /= base;
	}
	int ndigits = n;
	int prec = sp->prec < 0 ? 1 : sp->prec;
	int zeros = prec > ndigits ? prec - ndigits : 0;
	const char *prefix = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	if (sp->alt && base == 16 && ndigits)
		prefix = upper ? "0X" : "0x";
	if (sp->alt && base == 8 && !zeros && (!ndigits || buf[sizeof buf - ndigits] != '0'))
		zeros = 1;
	int plen = (int)strlen(prefix);
	int len = plen + zeros + ndigits;
	int fill = sp->width > len ? sp->width - len : 0;
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += fill;
		fill = 0;
	}
	if (!sp->left)
		pad(put, ctx, ' ', fill, total);
	emit(put, ctx, prefix, (size_t)plen, total);
	pad(put, ctx, '0', zeros, total);
	emit(put, ctx, buf + sizeof buf - ndigits, (size_t)ndigits, total);
	if (sp->left)
		pad(put, ctx, ' ', fill, total);
}

static int parse_int(const char **p)
{
	int v = 0;
	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

int pyx_vformat(pyx_fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
{
	int total = 0;
	const char *p = fmt;
	while (*p) {
		const char *run = p;
		while (*p && *p != '%')
			p++;
		emit(put, ctx, run, (size_t)(p - run), &total);
		if (!*p)
			break;
		p++;
		struct spec sp = {.prec = -1};
		for (;; p++) {
			if (*p == '-')
				sp.left = 1;
			else if (*p == '0')
				sp.zero = 1;
			else if (*p == ' ')
				sp.space = 1;
			else if (*p == '+')
				sp.plus = 1;
			else if (*p == '#')
				sp.alt = 1;
			else
				break;
		}
		if (*p == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = 1;
				sp.width = -sp.width;
			}
			p++;
		} else {
			sp.width = parse_int(&p);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				sp.prec = va_arg(ap, int);
				p++;
			} else {
				sp.prec = parse_int(&p);
			}
		}
		int len = 0; /* 0 int, 1 long, 2 long long/size_t/intmax/ptrdiff, -1 short, -2 char */
		if (p[0] == 'h' && p[1] == 'h') {
			len = -2;
			p += 2;
		} else if (*p == 'h') {
			len = -1;
			p++;
		} else if (p[0] == 'l' && p[1] == 'l') {
			len = 2;
			p += 2;
		} else if (*p == 'l' || *p == 'z' || *p == 'j' || *p == 't') {
			len = *p == 'l' ? 1 : 2;
			p++;
		}
		char c = *p ? *p++ : '\0';
		switch (c) {
		case 'd':
		case 'i': {
			int64_t v = len >= 2 ? (int64_t)va_arg(ap, long long)
				    : len == 1 ? (int64_t)va_arg(ap, long)
						 : (int64_t)va_arg(ap, int);
			if (len == -1)
				v = (short)v;
			else if (len == -2)
				v = (signed char)v;
			number(put, ctx, &sp, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0,
			       10, 0, &total);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v = len >= 2 ? (uint64_t)va_arg(ap, unsigned long long)
				     : len == 1 ? (uint64_t)va_arg(ap, unsigned long)
						  : (uint64_t)va_arg(ap, unsigned);
			if (len == -1)
				v = (unsigned short)v;
			else if (len == -2)
				v = (unsigned char)v;
			sp.plus = sp.space = 0;
			number(put, ctx, &sp, v, 0, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X',
			       &total);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			sp.alt = 1;
			number(put, ctx, &sp, v, 0, 16, 0, &total);
			break;
		}
		case 'c': {
			char ch = (char)va_arg(ap, int);
			field(put, ctx, &sp, &ch, 1, &total);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = sp.prec >= 0 ? strnlen(s, (size_t)sp.prec) : strlen(s);
			field(put, ctx, &sp, s, n, &total);
			break;
		}
		case '%':
			emit(put, ctx, "%", 1, &total);
			break;
		default:
			/* Unsupported (floating point): the argument cannot be
			 * skipped safely, so stop here, visibly. */
			emit(put, ctx, "%?", 2, &total);
			return total;
		}
	}
	return total;
}

struct bounded {
	char *buf;
	size_t size, used;
};

static void put_bounded(void *ctx, const char *s, size_t n)
{
	struct bounded *b = ctx;
	if (b->size && b->used < b->size - 1) {
		size_t room = b->size - 1 - b->used;
		memcpy(b->buf + b->used, s, n < room ? n : room);
		b->used += n < room ? n : room;
	}
}

int pyx_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bounded b = {buf, size, 0};
	int n = pyx_vformat(put_bounded, &b, fmt, ap);
	if (size)
		buf[b.used] = '\0';
	return n;
}

int pyx_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = pyx_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
