/* SPDX-License-Identifier: MIT */
/* The output sink every formatter writes to, and the one escaper for bytes
 * that come from a target. A sink buffers into a fixed array and flushes to
 * a file descriptor (async-signal-safe: write(2) only), a stdio stream, or a
 * growing memory buffer (for hosts that want a string). */
#ifndef PYX_OUT_H
#define PYX_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pyxray/error.h>

#include "../util/utf8.h"

enum { PYX_OUT_BUF = 4096 };

/* Text styles, used only when the sink has colour on. */
enum pyx_style {
	PYX_STYLE_NONE = 0,
	PYX_STYLE_FUNC,	   /* a Python function's name */
	PYX_STYLE_FILE,	   /* file and line */
	PYX_STYLE_HEADER,  /* process and thread headers */
	PYX_STYLE_GIL,	   /* the GIL holder, the crashing thread */
	PYX_STYLE_ERROR,   /* errors, cuts */
	PYX_STYLE_NOTE,	   /* repeated frames, left-out frames, source lines */
	PYX_STYLE_NATIVE,  /* a native frame */
};

struct pyx_out {
	char buf[PYX_OUT_BUF];
	size_t len;
	int (*flush)(struct pyx_out *o, const char *data, size_t n); /* 0 or an errno */
	int fd;
	FILE *file;
	char *mem;		/* memory sink: malloc'd, NUL-terminated at finish */
	size_t mem_len, mem_cap;
	int error;		/* first errno from flush, 0 when none */
	int color;		/* write ANSI styles */
};

/* Sinks. The fd sink only calls write(2) (async-signal-safe). */
void pyx_out_init_fd(struct pyx_out *o, int fd);
void pyx_out_init_file(struct pyx_out *o, FILE *f);
void pyx_out_init_mem(struct pyx_out *o);

/* Raw bytes and formatted text from the library itself (not target data). */
void pyx_out_write(struct pyx_out *o, const char *s, size_t n);
void pyx_out_puts(struct pyx_out *o, const char *s);
void pyx_out_putc(struct pyx_out *o, char c);
void pyx_out_printf(struct pyx_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A string from a target, for a terminal: valid UTF-8 kept, every control
 * character (C0, DEL, C1), every invalid byte and every bidirectional
 * override written as \xNN or \u{NNNN}, so that it cannot drive the
 * terminal or hide text. NULL prints "?". */
void pyx_out_text(struct pyx_out *o, const char *s);
/* The same for at most n bytes of s. */
void pyx_out_textn(struct pyx_out *o, const char *s, size_t n);

/* A string from a target as a JSON string literal (RFC 8259): quotes,
 * backslashes and control characters escaped, invalid UTF-8 as U+FFFD.
 * NULL prints null. */
void pyx_out_json(struct pyx_out *o, const char *s);

/* Starts/ends a style (no-op without colour). */
void pyx_out_style(struct pyx_out *o, enum pyx_style style);

/* Flushes. Returns 0, or -PYX_E_OS naming the write error. For the memory
 * sink, o->mem and o->mem_len hold the result (the caller frees o->mem). */
int pyx_out_finish(struct pyx_out *o, struct pyx_error *err);

#endif
