/* SPDX-License-Identifier: MIT */
/* struct pyx_error helpers and the code table from errors.def. Nothing here
 * allocates or touches stdio (messages go through util/fmt.c), so errors can
 * be reported when memory is short and from the stub's signal handler. */
#include <stdarg.h>
#include <string.h>

#include <pyxray/error.h>

#include "fmt.h"

void pyx_error_clear(struct pyx_error *err)
{
	/* Not the whole message buffer: the decoder clears an error per frame. */
	if (err) {
		err->code = 0;
		err->sys_errno = 0;
		err->addr = 0;
		err->msg[0] = '\0';
	}
}

int pyx_error_set(struct pyx_error *err, int code, int sys_errno, uint64_t addr,
		  const char *fmt, ...)
{
	if (err) {
		err->code = code;
		err->sys_errno = sys_errno;
		err->addr = addr;
		va_list ap;
		va_start(ap, fmt);
		pyx_vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -code;
}

int pyx_error_wrap(struct pyx_error *err, const char *fmt, ...)
{
	if (!err)
		return -PYX_E_INVALID;
	char prefix[PYX_ERROR_MSG_MAX], old[PYX_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	pyx_vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t n = strnlen(prefix, sizeof prefix - 1);
	if (n > sizeof err->msg - 3)
		n = sizeof err->msg - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t room = sizeof err->msg - n - 2;
	size_t m = strnlen(old, room - 1);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
	return -(err->code ? err->code : PYX_E_INVALID);
}

const char *pyx_error_name(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case 0:
		return "OK";
#define PYX_ERROR(name, value, desc) \
	case value:                  \
		return #name;
#include <pyxray/errors.def>
#undef PYX_ERROR
	}
	return "UNKNOWN";
}

const char *pyx_error_describe(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case 0:
		return "no error";
#define PYX_ERROR(name, value, desc) \
	case value:                  \
		return desc;
#include <pyxray/errors.def>
#undef PYX_ERROR
	}
	return "unknown error";
}
