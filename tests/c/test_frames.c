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
#include "tap.h"
#include "world.h"

static void decoder_init(struct pyx_decoder *d, struct pyx_memsrc *src, struct world *w)
{
	memset(d, 0, sizeof *d);
	d->src = src;
	d->layout = &w->L;
	struct pyx_arena *arena = pyx_arena_create();
	if (!arena || pyx_decoder_init(d, src, &w->L, arena, NULL, NULL) < 0)
		abort();
}

static void decoder_deinit(struct pyx_decoder *d)
{
	pyx_arena_destroy(d->arena);
}

/* A decoded frame's names, NULL for a placeholder. */
static const char *qualname_of(const struct pyx_dec_frame *f)
{
	return f->code ? f->code->qualname : NULL;
}

static const char *function_of(const struct pyx_dec_frame *f)
{
	return f->code ? f->code->name : NULL;
}

static const char *file_of(const struct pyx_dec_frame *f)
{
	return f->code ? f->code->filename : NULL;
}

static void test_walk(int minor)
{
	struct world w;
	world_init(&w, minor);
	uint64_t top = build_chain(&w);
	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_decoder d;
	decoder_init(&d, src, &w);
	struct pyx_dec_thread th;
	memset(&th, 0, sizeof th);
	struct pyx_error err;
	is_int(pyx_frames_walk(&d, top, &th, &err), 0, "3.%d: walk succeeds", minor);
	is_int(th.nframes, 3, "3.%d: three Python frames (shims skipped)", minor);
	if (th.nframes == 3) {
		const char *q0 = w.L.has_qualname ? "Outer.inner" : "inner";
		is_str(qualname_of(&th.frames[0]), q0, "3.%d: innermost qualname", minor);
		is_str(function_of(&th.frames[0]), "inner", "3.%d: innermost co_name", minor);
		is_str(file_of(&th.frames[0]), "/src/a.py", "3.%d: file", minor);
		is_int(th.frames[0].line, 13, "3.%d: innermost line from the line table", minor);
		is_int(th.frames[1].line, 21, "3.%d: middle line", minor);
		is_str(qualname_of(&th.frames[2]), "<module>", "3.%d: outermost is the module", minor);
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
	struct pyx_dec_thread th;
	struct pyx_error err;

	memset(&th, 0, sizeof th);
	is_int(pyx_frames_walk(&d, b, &th, &err), 0, "3.%d loop: walk returns", minor);
	is_int(th.nframes, 2, "3.%d loop: the two real frames are kept", minor);
	is_int(th.truncated, PYX_E_BAD_DATA, "3.%d loop: chain marked as cut", minor);
	ok(th.truncated_msg && strstr(th.truncated_msg, "loop"), "3.%d loop: says why", minor);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, tail, &th, &err);
	is_int(th.truncated, PYX_E_BAD_DATA, "3.%d long loop: found", minor);
	ok(th.nframes >= 12 && th.nframes <= 5 + 3 * 7,
	   "3.%d long loop: cut within three turns (%zu frames)", minor, th.nframes);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, g1, &th, &err);
	is_int(th.nframes, 3, "3.%d garbage: two frames and a placeholder", minor);
	ok(th.nframes == 3 && th.frames[2].error == PYX_E_FAULT,
	   "3.%d garbage: placeholder carries the fault", minor);
	is_int(th.truncated, PYX_E_FAULT, "3.%d garbage: chain cut", minor);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, n1, &th, &err);
	is_int(th.nframes, 2, "3.%d not-code: walk continues past a bad frame", minor);
	ok(th.nframes == 2 && th.frames[0].error == PYX_E_BAD_DATA &&
		   !strcmp(function_of(&th.frames[1]), "<module>"),
	   "3.%d not-code: placeholder then the good frame", minor);

	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, s0, &th, &err);
	if (w.L.frame_model == PYX_FRAMES_INTERP)
		ok(th.nframes == 2 && !strcmp(function_of(&th.frames[0]), "inner") &&
			   !strcmp(function_of(&th.frames[1]), "<module>"),
		   "3.%d init-cleanup shim frame skipped", minor);
	else
		is_int(th.nframes, 3, "3.%d no shim skipping before 3.11", minor);

	/* Deeper than the frame limit: both ends kept, the middle counted. */
	memset(&th, 0, sizeof th);
	d.opts.limits.max_frames = 20;
	pyx_frames_walk(&d, deep, &th, &err);
	is_int(th.nframes, 20, "3.%d depth: keeps max_frames frames", minor);
	is_int(th.omitted, 30, "3.%d depth: counts the frames left out", minor);
	is_int(th.omitted_at, 10, "3.%d depth: the innermost half comes first", minor);
	ok(!th.truncated, "3.%d depth: nothing cut", minor);
	ok(th.nframes == 20 && th.frames[0].code_addr == w.codes[49 % 3] &&
		   th.frames[19].code_addr == w.codes[0] && th.frames[10].code_addr == w.codes[9 % 3],
	   "3.%d depth: innermost and outermost frames in order", minor);
	ok(th.nframes == 20 && th.frames[19].code, "3.%d depth: the outer end is decoded", minor);

	/* An odd limit keeps one more inner frame. */
	memset(&th, 0, sizeof th);
	d.opts.limits.max_frames = 7;
	pyx_frames_walk(&d, deep, &th, &err);
	ok(th.nframes == 7 && th.omitted == 43 && th.omitted_at == 4,
	   "3.%d odd limit: 4 inner, 3 outer", minor);

	/* Past the walk limit the chain is cut, and said so. */
	memset(&th, 0, sizeof th);
	d.opts.limits.max_walk = 30;
	pyx_frames_walk(&d, deep, &th, &err);
	is_int(th.truncated, PYX_E_LIMIT, "3.%d walk limit: marked as a limit", minor);
	ok(th.nframes <= 7 && th.omitted + th.nframes <= 30, "3.%d walk limit: bounded", minor);
	d.opts.limits.max_walk = 1u << 20;

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
	uint64_t interps[2], tstates[3], gil;
	uint64_t rt = world_runtime(&w, interps, tstates, &gil);
	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_decoder d;
	decoder_init(&d, src, &w);
	struct pyx_dec_roots syms = {.runtime = rt};
	struct pyx_dec_result proc;
	memset(&proc, 0, sizeof proc);
	struct pyx_error err;
	is_int(pyx_runtime_decode(&d, &syms, &proc, &err), 0,
	       "3.%d runtime: decodes", minor);
	is_int(proc.ninterps, 2, "3.%d runtime: two interpreters", minor);
	if (proc.ninterps == 2) {
		ok(proc.interps[0].id == 0 && proc.interps[0].is_main, "3.%d runtime: main first", minor);
		is_int(proc.interps[0].nthreads, 2, "3.%d runtime: main has two threads", minor);
		is_int(proc.interps[1].nthreads, 1, "3.%d runtime: sub has one thread", minor);
		if (proc.interps[0].nthreads == 2) {
			struct pyx_dec_thread *t = proc.interps[0].threads;
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
	is_int(pyx_runtime_decode(&d, &syms, &proc, &err), 0,
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
