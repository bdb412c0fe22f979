/* SPDX-License-Identifier: MIT */
/* Frame-chain walking for both frame models. 3.11+ runs several Python frames
 * in one C eval loop: 3.11 marks the first with is_entry; 3.12 and 3.13 put a
 * shim frame owned by the C stack (FRAME_OWNED_BY_CSTACK, pycore_frame.h)
 * below it, 3.14+ one owned by the interpreter (FRAME_OWNED_BY_INTERPRETER,
 * pycore_interpframe_structs.h). We skip shims and mark the frame above each
 * as an entry frame.
 *
 * A stack deeper than max_frames keeps both ends: the innermost half is
 * decoded as it is walked, the outermost half is kept in a ring of raw
 * frames while the walk goes on (up to max_walk frames), and decoded at the
 * end; the count in between is recorded, so `<module>` and `main` are never
 * lost. */
#include <errno.h>
#include <string.h>

#include "code.h"
#include "frames.h"
#include "../util/cycle.h"
#include "locals.h"

enum { FRAME_BUF_MAX = 1024 };

/* A frame as read from the chain, before its line and locals. */
struct raw {
	uint64_t addr, code_addr, pos, globals;
	int is_entry;
};

struct walk {
	struct pyx_decoder *d;
	struct pyx_dec_thread *th;
	size_t cap;		/* room in th->frames */
	size_t inner_max, outer_max;
	struct raw *ring;	/* outer_max slots */
	size_t ring_n;		/* raw frames pushed (the ring keeps the last outer_max) */
	int last_in_ring;	/* the last Python frame is in the ring (else in th->frames) */
	int flushed;		/* the ring was decoded: th->omitted_at is set */
};

static void frame_error(struct pyx_decoder *d, struct pyx_dec_frame *f, const struct pyx_error *e)
{
	f->error = e->code ? e->code : PYX_E_BAD_DATA;
	f->error_msg = pyx_arena_strdup(d->arena, e->msg[0] ? e->msg : "undecodable frame");
	f->code = NULL;
}

static void truncate_chain(struct pyx_decoder *d, struct pyx_dec_thread *th, int code,
			   const char *msg)
{
	th->truncated = code;
	th->truncated_msg = pyx_arena_strdup(d->arena, msg);
}

/* Line and locals of a frame whose code object decoded. */
static int finish_frame(struct pyx_decoder *d, struct pyx_dec_frame *f, struct pyx_code *code,
			uint64_t pos)
{
	struct pyx_error e;
	pyx_error_clear(&e);
	f->code = code;
	f->line = pyx_code_line(d, code, pos);
	if (d->opts.locals && pyx_locals_read(d, f, &e) < 0 && e.code == PYX_E_NOMEM)
		return -PYX_E_NOMEM;
	return 0;
}

/* Room for `more` frames in th->frames (arena memory, grown by doubling). */
static int reserve(struct walk *w, size_t more)
{
	struct pyx_dec_thread *th = w->th;
	if (th->nframes + more <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap * 2 : 32;
	while (cap < th->nframes + more)
		cap *= 2;
	struct pyx_dec_frame *nf =
		pyx_arena_grow(w->d->arena, th->frames, th->nframes, cap, sizeof *nf);
	if (!nf)
		return -PYX_E_NOMEM;
	th->frames = nf;
	w->cap = cap;
	return 0;
}

static struct pyx_dec_frame *next_slot(struct walk *w)
{
	if (reserve(w, 1) < 0)
		return NULL;
	struct pyx_dec_frame *f = &w->th->frames[w->th->nframes++];
	memset(f, 0, sizeof *f);
	return f;
}

static void mark_last_entry(struct walk *w)
{
	if (w->last_in_ring) {
		if (w->ring_n)
			w->ring[(w->ring_n - 1) % w->outer_max].is_entry = 1;
	} else if (w->th->nframes) {
		w->th->frames[w->th->nframes - 1].is_entry = 1;
	}
}

/* One Python frame of the chain. 1 when it is an interpreter shim (not a
 * Python frame), 0 when kept, -PYX_E_NOMEM. */
static int add_frame(struct walk *w, const struct raw *r)
{
	struct pyx_decoder *d = w->d;
	struct pyx_error e;
	struct pyx_code *code = NULL;
	pyx_error_clear(&e);
	int rc = pyx_code_get(d, r->code_addr, &code, &e);
	if (rc == -PYX_E_NOMEM)
		return rc;
	if (rc == 0 && code->is_shim)
		return 1;
	if (w->th->nframes < w->inner_max) {
		struct pyx_dec_frame *f = next_slot(w);
		if (!f)
			return -PYX_E_NOMEM;
		f->frame_addr = r->addr;
		f->code_addr = r->code_addr;
		f->globals_addr = r->globals;
		f->is_entry = r->is_entry;
		w->last_in_ring = 0;
		if (rc < 0) {
			frame_error(d, f, &e);
			return 0;
		}
		return finish_frame(d, f, code, r->pos);
	}
	if (!w->outer_max) {
		w->th->omitted++;
		return 0;
	}
	if (!w->ring) {
		w->ring = pyx_arena_calloc(d->arena, w->outer_max, sizeof *w->ring);
		if (!w->ring)
			return -PYX_E_NOMEM;
	}
	if (w->ring_n >= w->outer_max)
		w->th->omitted++; /* the oldest ring entry falls out */
	w->ring[w->ring_n++ % w->outer_max] = *r;
	w->last_in_ring = 1;
	return 0;
}

/* Decodes the ring's frames (the outer end), oldest pushed first. */
static int flush_ring(struct walk *w)
{
	size_t n = w->ring_n < w->outer_max ? w->ring_n : w->outer_max;
	size_t first = w->ring_n - n;
	w->th->omitted_at = w->th->nframes;
	w->flushed = 1;
	if (reserve(w, n) < 0)
		return -PYX_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct raw *r = &w->ring[(first + i) % w->outer_max];
		struct pyx_dec_frame *f = next_slot(w);
		struct pyx_code *code = NULL;
		struct pyx_error e;
		pyx_error_clear(&e);
		f->frame_addr = r->addr;
		f->code_addr = r->code_addr;
		f->globals_addr = r->globals;
		f->is_entry = r->is_entry;
		int rc = pyx_code_get(w->d, r->code_addr, &code, &e);
		if (rc == -PYX_E_NOMEM)
			return rc;
		if (rc < 0)
			frame_error(w->d, f, &e);
		else if (finish_frame(w->d, f, code, r->pos) < 0)
			return -PYX_E_NOMEM;
	}
	return 0;
}

/* A frame that could not be read ends the chain with a placeholder. */
static int unreadable(struct walk *w, uint64_t addr, const struct pyx_error *e)
{
	struct pyx_dec_frame *f;
	if (w->ring_n) {
		/* Keep it after the ring's frames: decode those first. */
		int rc = flush_ring(w);
		w->ring_n = 0;
		if (rc < 0)
			return rc;
	}
	f = next_slot(w);
	if (!f)
		return -PYX_E_NOMEM;
	f->frame_addr = addr;
	frame_error(w->d, f, e);
	truncate_chain(w->d, w->th, e->code, e->msg);
	return 0;
}

static int walk_objects(struct walk *w, uint64_t addr)
{
	struct pyx_decoder *d = w->d;
	const struct pyx_offsets *o = &d->layout->off;
	unsigned char buf[FRAME_BUF_MAX];
	size_t size = (size_t)o->frame_object.size, steps = 0;
	struct pyx_cycle cyc;
	pyx_cycle_init(&cyc);
	while (addr) {
		struct pyx_error e;
		pyx_error_clear(&e);
		if (++steps > d->opts.limits.max_walk) {
			truncate_chain(d, w->th, PYX_E_LIMIT, "stack deeper than the walk limit");
			break;
		}
		if (pyx_cycle_check(&cyc, addr)) {
			truncate_chain(d, w->th, PYX_E_BAD_DATA, "frame chain loops back on itself");
			break;
		}
		if (pyx_memsrc_read(d->src, addr, buf, size, &e) < 0)
			return unreadable(w, addr, &e);
		struct raw r = {
			.addr = addr,
			.code_addr = pyx_get_u64(buf, o->frame_object.f_code),
			.pos = (uint64_t)(int64_t)pyx_get_i32(buf, o->frame_object.f_lasti),
			.globals = pyx_get_u64(buf, o->frame_object.f_globals),
		};
		if (add_frame(w, &r) == -PYX_E_NOMEM)
			return -PYX_E_NOMEM;
		addr = pyx_get_u64(buf, o->frame_object.f_back);
	}
	return 0;
}

static int walk_interp(struct walk *w, uint64_t addr)
{
	struct pyx_decoder *d = w->d;
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	unsigned char buf[FRAME_BUF_MAX];
	size_t size = (size_t)o->interpreter_frame.localsplus, steps = 0;
	uint64_t tag_mask = L->executable_is_stackref ? (uint64_t)o->consts.stackref_tag_mask : 0;
	struct pyx_cycle cyc;
	int any = 0;
	pyx_cycle_init(&cyc);
	while (addr) {
		struct pyx_error e;
		pyx_error_clear(&e);
		/* Python frames count toward the bound, shims toward twice it. */
		if (++steps > 2 * d->opts.limits.max_walk ||
		    w->th->nframes + w->th->omitted + (w->ring_n < w->outer_max ? w->ring_n : w->outer_max) >=
			    d->opts.limits.max_walk) {
			truncate_chain(d, w->th, PYX_E_LIMIT, "stack deeper than the walk limit");
			break;
		}
		if (pyx_cycle_check(&cyc, addr)) {
			truncate_chain(d, w->th, PYX_E_BAD_DATA, "frame chain loops back on itself");
			break;
		}
		if (pyx_memsrc_read(d->src, addr, buf, size, &e) < 0)
			return unreadable(w, addr, &e);
		uint64_t prev = pyx_get_u64(buf, o->interpreter_frame.previous);
		int owner = PYX_HAS(o->interpreter_frame.owner)
				    ? (int)(int8_t)pyx_get_u8(buf, o->interpreter_frame.owner)
				    : 0;
		if (L->frame_has_owner &&
		    ((PYX_HAS(o->consts.frame_owned_by_cstack) &&
		      owner == o->consts.frame_owned_by_cstack) ||
		     (PYX_HAS(o->consts.frame_owned_by_interpreter) &&
		      owner == o->consts.frame_owned_by_interpreter))) {
			if (any)
				mark_last_entry(w);
			addr = prev;
			continue;
		}
		struct raw r = {
			.addr = addr,
			.code_addr = pyx_get_u64(buf, o->interpreter_frame.executable) & ~tag_mask,
			.pos = pyx_get_u64(buf, o->interpreter_frame.instr_ptr),
			.globals = pyx_get_u64(buf, o->interpreter_frame.globals),
			.is_entry = PYX_HAS(o->interpreter_frame.is_entry) &&
				    pyx_get_u8(buf, o->interpreter_frame.is_entry) != 0,
		};
		int rc = add_frame(w, &r);
		if (rc == -PYX_E_NOMEM)
			return rc;
		any |= rc == 0;
		addr = prev;
	}
	if (any && L->frame_has_owner)
		mark_last_entry(w); /* the outermost frame was entered from C */
	return 0;
}

int pyx_frames_walk(struct pyx_decoder *d, uint64_t first_frame, struct pyx_dec_thread *th,
		    struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	size_t max = d->opts.limits.max_frames ? d->opts.limits.max_frames : 1;
	size_t size = d->layout->frame_model == PYX_FRAMES_OBJECT
			      ? (size_t)o->frame_object.size
			      : (size_t)o->interpreter_frame.localsplus;
	if (size == 0 || size > FRAME_BUF_MAX)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "bad frame size %zu", size);
	struct walk w = {.d = d, .th = th, .inner_max = (max + 1) / 2, .outer_max = max / 2};
	th->frames = NULL;
	th->nframes = th->omitted = th->omitted_at = 0;
	int rc = 0;
	if (first_frame)
		rc = d->layout->frame_model == PYX_FRAMES_OBJECT ? walk_objects(&w, first_frame)
								  : walk_interp(&w, first_frame);
	if (rc == 0 && w.ring_n)
		rc = flush_ring(&w);
	if (rc == 0 && !w.flushed)
		th->omitted_at = th->nframes;
	if (rc < 0)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	return 0;
}
