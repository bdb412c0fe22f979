/* SPDX-License-Identifier: MIT */
/* A printf subset that is async-signal-safe: no locale, no malloc, no stdio.
 * Every message and report the library writes goes through it, so the same
 * code serves the CLI, GDB and the in-process stub's signal handler. */
#ifndef PYX_FMT_H
#define PYX_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Conversions: %d %i %u %x %X %o %c %s %p %%, with flags '-' '0' ' ' '+' '#',
 * a width and a precision (numbers or '*'), and the length modifiers hh h l
 * ll z j t. Floating-point conversions are not supported: they print as
 * "%?" (the compiler's format check still applies). Writes at most size
 * bytes including the NUL (none when size is 0) and returns the length the
 * whole output would have, like vsnprintf. Async-signal-safe. */
int pyx_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int pyx_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same, writing through a callback in pieces (no length limit). */
typedef void (*pyx_fmt_put_fn)(void *ctx, const char *s, size_t n);
int pyx_vformat(pyx_fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
