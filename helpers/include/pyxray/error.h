/* SPDX-License-Identifier: MIT */
/* Error reporting for the pyxray library.
 *
 * Contract: a fallible function returns 0 on success or a negative PYX_E_* code.
 * When it fails and its `err` argument is not NULL it fills *err (code, errno,
 * faulting address, one-line message). No global state, no allocation on the
 * error path; struct pyx_error is caller-owned and may live on the stack. */
#ifndef PYXRAY_ERROR_H
#define PYXRAY_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pyx_error_code {
	PYX_OK = 0,
#define PYX_ERROR(name, value, desc) PYX_E_##name = value,
#include <pyxray/errors.def>
#undef PYX_ERROR
};

enum { PYX_ERROR_MSG_MAX = 384 };

struct pyx_error {
	int code;	/* positive PYX_E_* value, 0 when no error */
	int sys_errno;	/* errno of the failing system call, or 0 */
	uint64_t addr;	/* faulting remote address for PYX_E_FAULT, or 0 */
	char msg[PYX_ERROR_MSG_MAX]; /* one line, no trailing newline */
};

/* Clears *err (NULL allowed). */
void pyx_error_clear(struct pyx_error *err);

/* Fills *err (NULL allowed) with a printf-style message and returns -code.
 * Thread-safe and async-signal-safe: the message is formatted by the
 * library's own printf subset (integers, strings, characters; no floating
 * point), without stdio, locks or allocation. */
int pyx_error_set(struct pyx_error *err, int code, int sys_errno, uint64_t addr,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prefixes the existing message with "<prefix>: " and returns -err->code.
 * Used to add context while an error travels up. */
int pyx_error_wrap(struct pyx_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Static name of a code ("FAULT"), never NULL. */
const char *pyx_error_name(int code);

/* Static one-line description of a code, never NULL. */
const char *pyx_error_describe(int code);

#ifdef __cplusplus
}
#endif
#endif
