/* SPDX-License-Identifier: MIT */
/* Frame-chain walking for both frame models. 3.11+ runs several Python frames
 * in one C eval loop: 3.11 marks the first with is_entry; 3.12 and 3.13 put a
 * shim frame owned by the C stack (FRAME_OWNED_BY_CSTACK, pycore_frame.h)
 * below it, 3.14+ one owned by the interpreter (FRAME_OWNED_BY_INTERPRETER,
 * pycore_interpframe_structs.h). We skip shims and mark the frame above each
 * as an entry frame. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "frames.h"
#include "../util/cycle.h"
#include "locals.h"
#include "objects.h"

enum { FRAME_BUF_MAX = 1024 };

static struct pyx_frame *new_frame(struct pyx_decoder *d, struct pyx_thread *th, size_t *cap)
{
	if (th->nframes == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct pyx_frame *nf = pyx_arena_grow(d->arena, th->frames, th->nframes, ncap,
						      sizeof *nf);
		if (!nf)
			return NULL;
		th->frames = nf;
		*cap = ncap;
	}
	struct pyx_frame *f = &th->frames[th->nframes++];
	memset(f, 0, sizeof *f);
	return f;
}

static void frame_error(struct pyx_decoder *d, struct pyx_frame *f, const struct pyx_error *e)
{
	f->error = e->code ? e->code : PYX_E_BAD_DATA;
	f->error_msg = pyx_arena_strdup(d->arena, e->msg[0] ? e->msg : "undecodable frame");
	f->function = f->qualname = "???";
	f->file = "???";
}

static void truncate_chain(struct pyx_decoder *d, struct pyx_thread *th, int code,
			   const char *msg)
{
	th->truncated = code;
	th->truncated_msg = pyx_arena_strdup(d->arena, msg);
}

static int fill_frame(struct pyx_decoder *d, struct pyx_frame *f, uint64_t frame_addr,
		      uint64_t code_addr, uint64_t pos, uint64_t globals, unsigned flags)
{
	struct pyx_error e;
	struct pyx_code *code;
	pyx_error_clear(&e);
	f->frame_addr = frame_addr;
	f->code_addr = code_addr;
	f->globals_addr = globals;
	if (pyx_code_get(d, code_addr, &code, &e) < 0) {
		if (e.code == PYX_E_NOMEM)
			return -PYX_E_NOMEM;
		frame_error(d, f, &e);
		return 0;
	}
	if (code->is_shim) {
		f->function = NULL; /* dropped by the caller */
		return 0;
	}
	f->function = code->name;
	f->qualname = code->qualname;
	f->file = code->filename;
	f->line = pyx_code_line(d, code, pos);
	if ((flags & PYX_SNAP_LOCALS) && pyx_locals_read(d, f, &e) < 0 && e.code == PYX_E_NOMEM)
		return -PYX_E_NOMEM;
	return 0;
}

static int walk_objects(struct pyx_decoder *d, uint64_t addr, unsigned flags,
			struct pyx_thread *th, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	unsigned char buf[FRAME_BUF_MAX];
	size_t size = (size_t)o->frame_object.size, cap = 0;
	struct pyx_cycle cyc;
	pyx_cycle_init(&cyc);
	if (size == 0 || size > sizeof buf)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "bad frame size %zu", size);
	while (addr) {
		struct pyx_error e;
		if (th->nframes >= d->limits.max_frames) {
			truncate_chain(d, th, PYX_E_LIMIT, "stack deeper than the frame limit");
			break;
		}
		if (pyx_cycle_check(&cyc, addr)) {
			truncate_chain(d, th, PYX_E_BAD_DATA, "frame chain loops back on itself");
			break;
		}
		struct pyx_frame *f = new_frame(d, th, &cap);
		if (!f)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		if (pyx_memsrc_read(d->src, addr, buf, size, &e) < 0) {
			frame_error(d, f, &e);
			f->frame_addr = addr;
			truncate_chain(d, th, e.code, e.msg);
			break;
		}
		int rc = fill_frame(d, f, addr, pyx_get_u64(buf, o->frame_object.f_code),
				    (uint64_t)(int64_t)pyx_get_i32(buf, o->frame_object.f_lasti),
				    PYX_HAS(o->frame_object.f_globals)
					    ? pyx_get_u64(buf, o->frame_object.f_globals)
					    : 0,
				    flags);
		if (rc < 0)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		addr = pyx_get_u64(buf, o->frame_object.f_back);
	}
	return 0;
}

static int walk_interp(struct pyx_decoder *d, uint64_t addr, unsigned flags,
		       struct pyx_thread *th, struct pyx_error *err)
{
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	unsigned char buf[FRAME_BUF_MAX];
	size_t size = (size_t)o->interpreter_frame.localsplus, cap = 0;
	uint64_t tag_mask = L->executable_is_stackref ? (uint64_t)o->consts.stackref_tag_mask : 0;
	if (size == 0 || size > sizeof buf)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "bad frame size %zu", size);
	size_t steps = 0;
	struct pyx_cycle cyc;
	pyx_cycle_init(&cyc);
	struct pyx_frame *last = NULL; /* last Python frame, to mark entries */
	while (addr) {
		struct pyx_error e;
		/* Shim frames count toward the bound too. */
		if (th->nframes >= d->limits.max_frames || ++steps > 2 * d->limits.max_frames) {
			truncate_chain(d, th, PYX_E_LIMIT, "stack deeper than the frame limit");
			break;
		}
		if (pyx_cycle_check(&cyc, addr)) {
			truncate_chain(d, th, PYX_E_BAD_DATA, "frame chain loops back on itself");
			break;
		}
		if (pyx_memsrc_read(d->src, addr, buf, size, &e) < 0) {
			struct pyx_frame *f = new_frame(d, th, &cap);
			if (!f)
				return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
			frame_error(d, f, &e);
			f->frame_addr = addr;
			truncate_chain(d, th, e.code, e.msg);
			break;
		}
		uint64_t prev = pyx_get_u64(buf, o->interpreter_frame.previous);
		int owner = PYX_HAS(o->interpreter_frame.owner)
				    ? (int)(int8_t)pyx_get_u8(buf, o->interpreter_frame.owner)
				    : 0;
		if (L->frame_has_owner &&
		    ((PYX_HAS(o->consts.frame_owned_by_cstack) &&
		      owner == o->consts.frame_owned_by_cstack) ||
		     (PYX_HAS(o->consts.frame_owned_by_interpreter) &&
		      owner == o->consts.frame_owned_by_interpreter))) {
			if (last)
				last->is_entry = 1;
			addr = prev;
			continue;
		}
		uint64_t code_addr = pyx_get_u64(buf, o->interpreter_frame.executable) & ~tag_mask;
		struct pyx_frame *f = new_frame(d, th, &cap);
		if (!f)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		if (fill_frame(d, f, addr, code_addr, pyx_get_u64(buf, o->interpreter_frame.instr_ptr),
			       PYX_HAS(o->interpreter_frame.globals)
				       ? pyx_get_u64(buf, o->interpreter_frame.globals)
				       : 0,
			       flags) < 0)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		if (!f->function) { /* an interpreter shim: not shown */
			th->nframes--;
			addr = prev;
			continue;
		}
		if (PYX_HAS(o->interpreter_frame.is_entry))
			f->is_entry = pyx_get_u8(buf, o->interpreter_frame.is_entry) != 0;
		last = f;
		addr = prev;
	}
	if (last && L->frame_has_owner)
		last->is_entry = 1; /* the outermost frame was entered from C */
	return 0;
}

int pyx_frames_walk(struct pyx_decoder *d, uint64_t first_frame, unsigned flags,
		    struct pyx_thread *th, struct pyx_error *err)
{
	if (d->layout->frame_model == PYX_FRAMES_OBJECT)
		return walk_objects(d, first_frame, flags, th, err);
	return walk_interp(d, first_frame, flags, th, err);
}
