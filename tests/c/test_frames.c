/* SPDX-License-Identifier: MIT */
/* Frame walking and runtime decoding on synthetic memory images, for every
 * layout we have a table for: names, qualnames, lines, entry frames and shim
 * frames; then damaged chains (loops, garbage pointers, non-code objects,
 * depth limits) and a whole runtime with interpreters, threads and the GIL. */
#include <stdlib.h>
#include <string.h>

#include "decode/code.h"
#include "decode/frames.h"
#include "decode/runtime.h"
#include "pyobj.h"
#include "tap.h"

struct world {
	struct test_image img;
	struct pyx_layout L;
	struct pyobj_env env;
	uint64_t codes[3];
};

/* Tables giving units 0-1 line first+1 and units 2-3 line first+3. */
static const unsigned char lnotab[] = {0, 1, 4, 2};
static const unsigned char linetable310[] = {4, 1, 4, 2};
static const unsigned char locations[] = {0xe9, 2, 0xe9, 4};

static void world_init(struct world *w, int minor)
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
static uint64_t make_frame(struct world *w, uint64_t code, int unit, uint64_t back, int owner)
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

static void decoder_init(struct pyx_decoder *d, struct pyx_memsrc *src, struct world *w)
{
	memset(d, 0, sizeof *d);
	d->src = src;
	d->layout = &w->L;
	d->arena = pyx_arena_create();
	pyx_limits_default(&d->limits);
	if (pyx_code_cache_create(d, NULL) < 0)
		abort();
}

static void decoder_deinit(struct pyx_decoder *d)
{
	pyx_code_cache_destroy(d);
	pyx_arena_destroy(d->arena);
}

/* Builds <module> -> middle -> inner (innermost), with a C-stack shim below
 * the outermost frame where the layout has them. Returns the innermost. */
static uint64_t build_chain(struct world *w)
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

static void test_walk(int minor)
{
	struct world w;
	world_init(&w, minor);
	uint64_t top = build_chain(&w);
	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_decoder d;
	decoder_init(&d, src, &w);
	struct pyx_thread th;
	memset(&th, 0, sizeof th);
	struct pyx_error err;
	is_int(pyx_frames_walk(&d, top, 0, &th, &err), 0, "3.%d: walk succeeds", minor);
	is_int(th.nframes, 3, "3.%d: three Python frames (shims skipped)", minor);
	if (th.nframes == 3) {
		const char *q0 = w.L.has_qualname ? "Outer.inner" : "inner";
		is_str(th.frames[0].qualname, q0, "3.%d: innermost qualname", minor);
		is_str(th.frames[0].function, "inner", "3.%d: innermost co_name", minor);
		is_str(th.frames[0].file, "/src/a.py", "3.%d: file", minor);
		is_int(th.frames[0].line, 13, "3.%d: innermost line from the line table", minor);
		is_int(th.frames[1].line, 21, "3.%d: middle line", minor);
		is_str(th.frames[2].qualname, "<module>", "3.%d: outermost is the module", minor);
		is_int(th.frames[2].line, 2, "3.%d: module line", minor);
		ok(th.frames[0].code_addr == w.codes[0], "3.%d: code address untagged", minor);
		if (w.L.frame_model == PYX_FRAMES_INTERP)
			ok(th.frames[2].is_entry && !th.frames[0].is_entry,
			   "3.%d: outermost frame marked as entered from C", minor);
	}
	ok(!th.truncated, "3.%d: chain not truncated", minor);
	decoder_deinit(&d);
	pyx_memsrc_close(src);
	timg_free(&w.img);
}

static void test_damage(int minor)
{
	struct world w;
	world_init(&w, minor);
	const struct pyx_offsets *o = &w.L.off;
	int32_t back = w.L.frame_model == PYX_FRAMES_OBJECT ? o->frame_object.f_back
							     : o->interpreter_frame.previous;
	/* a: loop b -> c -> b */
	uint64_t c = make_frame(&w, w.codes[1], 0, 0, 0);
	uint64_t b = make_frame(&w, w.codes[0], 0, c, 0);
	timg_put_u64(&w.img, c + (uint64_t)back, b);
	/* b: garbage pointer below the second frame */
	uint64_t g2 = make_frame(&w, w.codes[1], 0, 0xdead0000ull, 0);
	uint64_t g1 = make_frame(&w, w.codes[0], 0, g2, 0);
	/* c: a frame whose code is not a code object, above a good one */
	uint64_t n2 = make_frame(&w, w.codes[2], 0, 0, 0);
	uint64_t n1 = make_frame(&w, w.env.str_type, 0, n2, 0);
	/* e: a tail of 5 frames into a loop of 7 */
	uint64_t ring[7], tail = 0;
	ring[6] = make_frame(&w, w.codes[0], 0, 0, 0);
	for (int i = 5; i >= 0; i--)
		ring[i] = make_frame(&w, w.codes[i % 3], 0, ring[i + 1], 0);
	timg_put_u64(&w.img, ring[6] + (uint64_t)back, ring[0]);
	tail = ring[0];
	for (int i = 0; i < 5; i++)
		tail = make_frame(&w, w.codes[1], 0, tail, 0);
	/* f: 3.12+'s _Py_InitCleanup shim ("__init__" in file "__init__")
	 * between two frames is not shown */
	uint64_t shim_code = pyobj_code(&w.env, "__init__", "__init__", "__init__", 0, NULL, 0, 4);
	uint64_t s2 = make_frame(&w, w.codes[2], 0, 0, 0);
	uint64_t s1 = make_frame(&w, shim_code, 0, s2, 0);
	uint64_t s0 = make_frame(&w, w.codes[0], 0, s1, 0);
	/* d: a deep chain */
	uint64_t deep = 0;
	for (int i = 0; i < 50; i++)
		deep = make_frame(&w, w.codes[i % 3], 0, deep, 0);

	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_decoder d;
	decoder_init(&d, src, &w);
	struct pyx_thread th;
	struct pyx_error err;

	memset(&th, 0, sizeof th);
	is_int(pyx_frames_walk(&d, b, 0, &th, &err), 0, "3.%d loop: walk returns", minor);
	is_int(th.nframes, 2, "3.%d loop: the two real frames are kept", minor);
	is_int(th.truncated, PYX_E_BAD_DATA, "3.%d loop: chain marked as cut", minor);
	ok(th.truncated_msg && strstr(th.truncated_msg, "loop"), "3.%d loop: says why", minor);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, tail, 0, &th, &err);
	is_int(th.truncated, PYX_E_BAD_DATA, "3.%d long loop: found", minor);
	ok(th.nframes >= 12 && th.nframes <= 5 + 3 * 7,
	   "3.%d long loop: cut within three turns (%zu frames)", minor, th.nframes);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, g1, 0, &th, &err);
	is_int(th.nframes, 3, "3.%d garbage: two frames and a placeholder", minor);
	ok(th.nframes == 3 && th.frames[2].error == PYX_E_FAULT,
	   "3.%d garbage: placeholder carries the fault", minor);
	is_int(th.truncated, PYX_E_FAULT, "3.%d garbage: chain cut", minor);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, n1, 0, &th, &err);
	is_int(th.nframes, 2, "3.%d not-code: walk continues past a bad frame", minor);
	ok(th.nframes == 2 && th.frames[0].error == PYX_E_BAD_DATA &&
		   !strcmp(th.frames[1].function, "<module>"),
	   "3.%d not-code: placeholder then the good frame", minor);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, s0, 0, &th, &err);
	if (w.L.frame_model == PYX_FRAMES_INTERP)
		ok(th.nframes == 2 && !strcmp(th.frames[0].function, "inner") &&
			   !strcmp(th.frames[1].function, "<module>"),
		   "3.%d init-cleanup shim frame skipped", minor);
	else
		is_int(th.nframes, 3, "3.%d no shim skipping before 3.11", minor);

	memset(&th, 0, sizeof th);
	d.limits.max_frames = 20;
	pyx_frames_walk(&d, deep, 0, &th, &err);
	is_int(th.nframes, 20, "3.%d depth: stops at the frame limit", minor);
	is_int(th.truncated, PYX_E_LIMIT, "3.%d depth: marked as a limit", minor);

	decoder_deinit(&d);
	pyx_memsrc_close(src);
	timg_free(&w.img);
}

/* A whole runtime: main interpreter with two threads (the second holds the
 * GIL) and a sub-interpreter with one; then a thread list that loops. */
static void test_runtime(int minor)
{
	struct world w;
	world_init(&w, minor);
	const struct pyx_offsets *o = &w.L.off;
	if (!w.L.has_runtime) {
		timg_free(&w.img);
		return;
	}
	uint64_t rt = timg_alloc(&w.img, (size_t)o->runtime_state.size);
	uint64_t gil = 0;
	if (w.L.gil_model == PYX_GIL_RUNTIME)
		gil = rt + (uint64_t)o->runtime_state.ceval_gil;
	else
		gil = timg_alloc(&w.img, (size_t)o->gil_runtime_state.size);
	uint64_t interps[2], tstates[3];
	for (int i = 0; i < 2; i++) {
		interps[i] = timg_alloc(&w.img, (size_t)o->interpreter_state.size);
		timg_put_u64(&w.img, interps[i] + (uint64_t)o->interpreter_state.id, (uint64_t)i);
		if (w.L.gil_model == PYX_GIL_INTERP)
			timg_put_u64(&w.img, interps[i] + (uint64_t)o->interpreter_state.ceval_gil, gil);
	}
	/* list order is newest first: sub-interpreter, then main */
	timg_put_u64(&w.img, rt + (uint64_t)o->runtime_state.interpreters_head, interps[1]);
	timg_put_u64(&w.img, interps[1] + (uint64_t)o->interpreter_state.next, interps[0]);
	for (int i = 0; i < 3; i++) {
		tstates[i] = timg_alloc(&w.img, (size_t)o->thread_state.size);
		timg_put_u64(&w.img, tstates[i] + (uint64_t)o->thread_state.thread_id, 0x1000u + (unsigned)i);
		if (PYX_HAS(o->thread_state.native_thread_id))
			timg_put_u64(&w.img, tstates[i] + (uint64_t)o->thread_state.native_thread_id,
				     500u + (unsigned)i);
		uint64_t top = build_chain(&w);
		if (w.L.frame_model == PYX_FRAMES_OBJECT)
			timg_put_u64(&w.img, tstates[i] + (uint64_t)o->thread_state.frame, top);
		else if (w.L.tstate_frame == PYX_TSTATE_FRAME_CFRAME) {
			uint64_t cf = timg_alloc(&w.img, (size_t)o->cframe.size);
			timg_put_u64(&w.img, cf + (uint64_t)o->cframe.current_frame, top);
			timg_put_u64(&w.img, tstates[i] + (uint64_t)o->thread_state.cframe, cf);
		} else
			timg_put_u64(&w.img, tstates[i] + (uint64_t)o->thread_state.current_frame, top);
	}
	/* main: tstate 1 (newest) -> tstate 0; sub: tstate 2 */
	timg_put_u64(&w.img, interps[0] + (uint64_t)o->interpreter_state.threads_head, tstates[1]);
	timg_put_u64(&w.img, tstates[1] + (uint64_t)o->thread_state.next, tstates[0]);
	timg_put_u64(&w.img, interps[1] + (uint64_t)o->interpreter_state.threads_head, tstates[2]);
	timg_put_u32(&w.img, gil + (uint64_t)o->gil_runtime_state.locked, 1);
	timg_put_u64(&w.img, gil + (uint64_t)o->gil_runtime_state.last_holder, tstates[1]);

	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_decoder d;
	decoder_init(&d, src, &w);
	struct pyx_python_syms syms = {.runtime = rt};
	struct pyx_process proc;
	memset(&proc, 0, sizeof proc);
	struct pyx_error err;
	is_int(pyx_runtime_decode(&d, &syms, PYX_SNAP_NO_THREAD_NAMES, &proc, &err), 0,
	       "3.%d runtime: decodes", minor);
	is_int(proc.ninterps, 2, "3.%d runtime: two interpreters", minor);
	if (proc.ninterps == 2) {
		ok(proc.interps[0].id == 0 && proc.interps[0].is_main, "3.%d runtime: main first", minor);
		is_int(proc.interps[0].nthreads, 2, "3.%d runtime: main has two threads", minor);
		is_int(proc.interps[1].nthreads, 1, "3.%d runtime: sub has one thread", minor);
		if (proc.interps[0].nthreads == 2) {
			struct pyx_thread *t = proc.interps[0].threads;
			ok(t[0].thread_id == 0x1000 && t[1].thread_id == 0x1001,
			   "3.%d runtime: oldest thread first", minor);
			ok(!t[0].holds_gil && t[1].holds_gil, "3.%d runtime: GIL holder marked", minor);
			is_int(t[1].nframes, 3, "3.%d runtime: thread frames walked", minor);
			if (PYX_HAS(o->thread_state.native_thread_id))
				is_int(t[1].tid, 501, "3.%d runtime: native thread id", minor);
		}
	}
	/* Now make the main thread list loop: 1 -> 0 -> 1. */
	pyx_memsrc_close(src);
	timg_put_u64(&w.img, tstates[0] + (uint64_t)o->thread_state.next, tstates[1]);
	src = timg_memsrc(&w.img);
	decoder_deinit(&d);
	decoder_init(&d, src, &w);
	memset(&proc, 0, sizeof proc);
	is_int(pyx_runtime_decode(&d, &syms, PYX_SNAP_NO_THREAD_NAMES, &proc, &err), 0,
	       "3.%d looping thread list: still decodes", minor);
	ok(proc.ninterps == 2 && proc.interps[0].error == PYX_E_BAD_DATA &&
		   proc.interps[0].nthreads == 2,
	   "3.%d looping thread list: cut and reported, threads kept", minor);
	ok(proc.ninterps == 2 && proc.interps[1].nthreads == 1 && !proc.interps[1].error,
	   "3.%d looping thread list: other interpreter unaffected", minor);
	decoder_deinit(&d);
	pyx_memsrc_close(src);
	timg_free(&w.img);
}

int main(void)
{
	for (int minor = 6; minor <= 15; minor++) {
		if (!pyx_layout_table(minor)) {
			ok(0, "3.%d: no layout table", minor);
			continue;
		}
		test_walk(minor);
		test_damage(minor);
		test_runtime(minor);
	}
	return tap_done();
}
