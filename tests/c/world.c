/* SPDX-License-Identifier: MIT */
/* The synthetic world of world.h. */
#include <stdio.h>
#include <string.h>

#include "world.h"

/* Tables giving units 0-1 line first+1 and units 2-3 line first+3. */
static const unsigned char lnotab[] = {0, 1, 4, 2};
static const unsigned char linetable310[] = {4, 1, 4, 2};
static const unsigned char locations[] = {0xe9, 2, 0xe9, 4};

void world_init(struct world *w, int minor)
{
	timg_init(&w->img, 0x7f0000000000ull);
	pyobj_layout(&w->L, minor);
	pyobj_env_init(&w->env, &w->img, &w->L);
	const void *tab = locations;
	size_t tlen = sizeof locations;
	if (w->L.linetable == PYX_LINES_LNOTAB) {
		tab = lnotab;
		tlen = sizeof lnotab;
	} else if (w->L.linetable == PYX_LINES_LINETABLE) {
		tab = linetable310;
		tlen = sizeof linetable310;
	}
	w->codes[0] = pyobj_code(&w->env, "inner", "Outer.inner", "/src/a.py", 10, tab, tlen, 4);
	w->codes[1] = pyobj_code(&w->env, "middle", "middle", "/src/a.py", 20, tab, tlen, 4);
	w->codes[2] = pyobj_code(&w->env, "<module>", "<module>", "/src/main.py", 1, tab, tlen, 4);
}

/* A frame running `code` at code unit `unit`, linked to `back`. */
uint64_t make_frame(struct world *w, uint64_t code, int unit, uint64_t back, int owner)
{
	const struct pyx_offsets *o = &w->L.off;
	if (w->L.frame_model == PYX_FRAMES_OBJECT) {
		uint64_t f = timg_alloc(&w->img, (size_t)o->frame_object.size);
		timg_put_u64(&w->img, f + (uint64_t)o->frame_object.f_back, back);
		timg_put_u64(&w->img, f + (uint64_t)o->frame_object.f_code, code);
		int lasti = w->L.linetable == PYX_LINES_LNOTAB ? unit * 2 : unit;
		timg_put_u32(&w->img, f + (uint64_t)o->frame_object.f_lasti, (uint32_t)lasti);
		return f;
	}
	uint64_t f = timg_alloc(&w->img, (size_t)o->interpreter_frame.size + 64);
	uint64_t exe = code;
	if (w->L.executable_is_stackref)
		exe |= 1; /* a deferred reference carries a tag bit */
	timg_put_u64(&w->img, f + (uint64_t)o->interpreter_frame.previous, back);
	timg_put_u64(&w->img, f + (uint64_t)o->interpreter_frame.executable, exe);
	uint64_t start = code + (uint64_t)o->code_object.co_code_adaptive;
	timg_put_u64(&w->img, f + (uint64_t)o->interpreter_frame.instr_ptr, start + 2 * (uint64_t)unit);
	if (PYX_HAS(o->interpreter_frame.owner))
		timg_put_u8(&w->img, f + (uint64_t)o->interpreter_frame.owner, (uint8_t)owner);
	return f;
}

/* Builds <module> -> middle -> inner (innermost), with a C-stack shim below
 * the outermost frame where the layout has them. Returns the innermost. */
uint64_t build_chain(struct world *w)
{
	const struct pyx_offsets *o = &w->L.off;
	uint64_t shim = 0;
	if (w->L.frame_has_owner) {
		int owner = PYX_HAS(o->consts.frame_owned_by_interpreter)
				    ? o->consts.frame_owned_by_interpreter
				    : o->consts.frame_owned_by_cstack;
		shim = make_frame(w, w->codes[2], 0, 0, owner);
	}
	uint64_t mod = make_frame(w, w->codes[2], 0, shim, 0);
	if (PYX_HAS(o->interpreter_frame.is_entry))
		timg_put_u8(&w->img, mod + (uint64_t)o->interpreter_frame.is_entry, 1);
	uint64_t mid = make_frame(w, w->codes[1], 1, mod, 0);
	return make_frame(w, w->codes[0], 2, mid, 0);
}

#define FIELD(off, field_off) (*(const int32_t *)(const void *)((const char *)(off) + (field_off)))

void set_word(struct do_image *im, const char *member, uint64_t v)
{
	int i = pyx_do_index(im->desc, member);
	if (i < 0) {
		printf("# no member %s in 3.%d\n", member, im->desc->minor);
		return;
	}
	im->words[i] = v;
}

/* An image of what a build matching our table would carry. */
void build_image(struct do_image *im, int minor, uint32_t version_hex)
{
	const struct pyx_offsets *t = pyx_layout_table(minor);

	memset(im, 0, sizeof *im);
	im->desc = pyx_do_desc_for(minor);
	memcpy(&im->words[0], "xdebugpy", 8);
	im->words[1] = version_hex;
	for (size_t i = 0; i < pyx_do_map_len; i++) {
		const struct pyx_do_map *m = &pyx_do_map[i];
		int32_t v = FIELD(t, m->field_off);
		if (pyx_do_index(im->desc, m->member) < 0)
			continue;
		if (m->base)
			v += t->interpreter_state.gil_runtime_state;
		set_word(im, m->member, (uint64_t)(int64_t)v);
	}
	set_word(im, "interpreter_state.gil_runtime_state",
		 (uint64_t)t->interpreter_state.gil_runtime_state);
}

uint64_t world_runtime(struct world *w, uint64_t interps[2], uint64_t tstates[3], uint64_t *gil_out)
{
	const struct pyx_offsets *o = &w->L.off;
	uint64_t rt = timg_alloc(&w->img, (size_t)o->runtime_state.size);
	if (pyx_do_desc_for(w->L.minor)) {
		/* 3.13+: _PyRuntime starts with _Py_DebugOffsets. */
		struct do_image im;
		build_image(&im, w->L.minor, w->L.version_hex);
		timg_put(&w->img, rt, im.words, im.desc->n_words * 8);
	}
	uint64_t gil = 0;
	if (w->L.gil_model == PYX_GIL_RUNTIME)
		gil = rt + (uint64_t)o->runtime_state.ceval_gil;
	else
		gil = timg_alloc(&w->img, (size_t)o->gil_runtime_state.size);
	for (int i = 0; i < 2; i++) {
		interps[i] = timg_alloc(&w->img, (size_t)o->interpreter_state.size);
		timg_put_u64(&w->img, interps[i] + (uint64_t)o->interpreter_state.id, (uint64_t)i);
		if (w->L.gil_model == PYX_GIL_INTERP)
			timg_put_u64(&w->img, interps[i] + (uint64_t)o->interpreter_state.ceval_gil, gil);
	}
	/* list order is newest first: sub-interpreter, then main */
	timg_put_u64(&w->img, rt + (uint64_t)o->runtime_state.interpreters_head, interps[1]);
	timg_put_u64(&w->img, interps[1] + (uint64_t)o->interpreter_state.next, interps[0]);
	for (int i = 0; i < 3; i++) {
		tstates[i] = timg_alloc(&w->img, (size_t)o->thread_state.size);
		timg_put_u64(&w->img, tstates[i] + (uint64_t)o->thread_state.thread_id, 0x1000u + (unsigned)i);
		if (PYX_HAS(o->thread_state.native_thread_id))
			timg_put_u64(&w->img, tstates[i] + (uint64_t)o->thread_state.native_thread_id,
				     500u + (unsigned)i);
		uint64_t top = build_chain(w);
		if (w->L.frame_model == PYX_FRAMES_OBJECT)
			timg_put_u64(&w->img, tstates[i] + (uint64_t)o->thread_state.frame, top);
		else if (w->L.tstate_frame == PYX_TSTATE_FRAME_CFRAME) {
			uint64_t cf = timg_alloc(&w->img, (size_t)o->cframe.size);
			timg_put_u64(&w->img, cf + (uint64_t)o->cframe.current_frame, top);
			timg_put_u64(&w->img, tstates[i] + (uint64_t)o->thread_state.cframe, cf);
		} else
			timg_put_u64(&w->img, tstates[i] + (uint64_t)o->thread_state.current_frame, top);
	}
	/* main: tstate 1 (newest) -> tstate 0; sub: tstate 2 */
	timg_put_u64(&w->img, interps[0] + (uint64_t)o->interpreter_state.threads_head, tstates[1]);
	timg_put_u64(&w->img, tstates[1] + (uint64_t)o->thread_state.next, tstates[0]);
	timg_put_u64(&w->img, interps[1] + (uint64_t)o->interpreter_state.threads_head, tstates[2]);
	timg_put_u32(&w->img, gil + (uint64_t)o->gil_runtime_state.locked, 1);
	timg_put_u64(&w->img, gil + (uint64_t)o->gil_runtime_state.last_holder, tstates[1]);

	*gil_out = gil;
	return rt;
}
