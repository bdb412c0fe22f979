/* SPDX-License-Identifier: MIT */
/* Text of a repr in a bounded buffer: appending (cut, and marked full, at
 * the cap), Python's int and float digits, and Python's repr escaping,
 * the one rule for every target string in a repr (str and bytes contents,
 * type names). No target reads: objects.c decodes, this writes. */
#ifndef PYX_REPRTEXT_H
#define PYX_REPRTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "long.h"

/* A buffer of cap bytes (buf holds cap + 1 for a NUL the caller adds);
 * full once something did not fit. */
struct pyx_sb {
	char *buf;
	size_t len, cap;
	int full;
};

/* Appends n bytes of s (what fits). */
void pyx_sb_put(struct pyx_sb *b, const char *s, size_t n);
void pyx_sb_str(struct pyx_sb *b, const char *s);
void pyx_sb_printf(struct pyx_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An int's decimal digits (consumes v's digits). */
void pyx_sb_long(struct pyx_sb *b, struct pyx_long *v);

/* A float as Python's repr writes it. */
void pyx_sb_float(struct pyx_sb *b, double x);

/* str contents (our UTF-8, surrogates allowed) or bytes, quoted and
 * escaped as Python's repr does. */
void pyx_sb_quoted(struct pyx_sb *b, const unsigned char *s, size_t n, int is_bytes);

/* A type's name (a C string from the target) escaped by the same rule;
 * `quote` (0 for none) escaped too when it sits in quotes. */
void pyx_sb_name(struct pyx_sb *b, const char *name, char quote);

#endif
