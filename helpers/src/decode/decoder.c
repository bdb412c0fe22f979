/* SPDX-License-Identifier: MIT */
/* Setting up a decoder: default limits, the code-object cache and scratch
 * buffers, all in the caller's arena, so that a decoder over an arena made
 * on a fixed buffer never calls malloc (the stub's signal handler). */
#include <errno.h>
#include <string.h>

#include "code.h"
#include "decoder.h"

void pyx_limits_default(struct pyx_limits *out)
{
	out->max_frames = 4096;
	out->max_walk = 1u << 20;
	out->max_threads = 4096;
	out->max_interpreters = 256;
	out->max_string_bytes = 1024;
	out->max_linetable = 1u << 20;
	out->max_container_items = 32;
	out->max_dict_entries = 1u << 20;
	out->max_code_objects = 1u << 16;
	out->max_tasks = 1u << 20;
	out->max_awaits = 1024;
}

/* The part of PyInterpreterState the decoder reads: up to its last field
 * used (runtime.c). The whole structure is 195-346 KiB on 3.12+. */
size_t pyx_interp_read_size(const struct pyx_offsets *o)
{
	const int32_t used[] = {
		o->interpreter_state.id,	    o->interpreter_state.next,
		o->interpreter_state.threads_head, o->interpreter_state.sysdict,
		o->interpreter_state.ceval_gil,
	};
	size_t end = 0;
	for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
		if (PYX_HAS(used[i]) && (size_t)used[i] + 8 > end)
			end = (size_t)used[i] + 8;
	/* gc.collecting, an int inside the embedded struct _gc_runtime_state */
	if (PYX_HAS(o->interpreter_state.gc) && PYX_HAS(o->gc.collecting) &&
	    (size_t)o->interpreter_state.gc + (size_t)o->gc.collecting + 4 > end)
		end = (size_t)o->interpreter_state.gc + (size_t)o->gc.collecting + 4;
	if (o->interpreter_state.size < 0 || end > (size_t)o->interpreter_state.size)
		return 0; /* reported as a bad interpreter size when decoding */
	return end;
}

int pyx_decoder_init(struct pyx_decoder *d, struct pyx_memsrc *src,
		     const struct pyx_layout *layout, struct pyx_arena *arena,
		     const struct pyx_decode_opts *opts, struct pyx_error *err)
{
	memset(d, 0, sizeof *d);
	d->src = src;
	d->layout = layout;
	d->arena = arena;
	if (opts)
		d->opts = *opts;
	else
		pyx_limits_default(&d->opts.limits);
	size_t tsize = layout->off.thread_state.size > 0 ? (size_t)layout->off.thread_state.size : 0;
	size_t isize = pyx_interp_read_size(&layout->off);
	if (tsize && tsize <= PYX_TSTATE_BUF_MAX && !(d->tstate_buf = pyx_arena_alloc(arena, tsize)))
		goto nomem;
	if (isize && isize <= PYX_INTERP_BUF_MAX && !(d->interp_buf = pyx_arena_alloc(arena, isize)))
		goto nomem;
	return pyx_code_cache_create(d, err);
nomem:
	return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
}
