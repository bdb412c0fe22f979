/* SPDX-License-Identifier: MIT */
/* Memory supplied by a host through a callback: GDB reading a core file or a
 * remote target. Such reads are slow (a Python call and a target round trip
 * each), so callers open it with PYX_MEMSRC_CACHE. */
#include <errno.h>
#include <stdlib.h>

#include "memsrc_impl.h"

struct callback {
	pyx_memsrc_read_fn fn;
	void *ctx;
};

static int callback_read(void *ctx, uint64_t addr, void *buf, size_t len, struct pyx_error *err)
{
	struct callback *cb = ctx;
	if (cb->fn(cb->ctx, addr, buf, len) != 0)
		return pyx_error_set(err, PYX_E_FAULT, 0, addr,
				     "%zu bytes at 0x%llx are not readable", len,
				     (unsigned long long)addr);
	return 0;
}

static const struct pyx_memsrc_ops callback_ops = {
	.name = "callback",
	.read = callback_read,
	.close = free,
};

int pyx_memsrc_open_callback(pyx_memsrc_read_fn fn, void *ctx, unsigned flags,
			     struct pyx_memsrc **out, struct pyx_error *err)
{
	struct callback *cb = calloc(1, sizeof *cb);
	if (!cb)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	cb->fn = fn;
	cb->ctx = ctx;
	return pyx_memsrc_open_ops(&callback_ops, cb, flags, out, err);
}
