/* SPDX-License-Identifier: MIT */
/* Every bound of struct pyx_limits at its edge, on a synthetic runtime of
 * each layout: exactly at the limit nothing is cut, one past it the cut is
 * made and said (docs/limits.md lists them). String, container and dict
 * bounds are checked in test_objects. */
#include <stdlib.h>
#include <string.h>

#include <pyxray/snapshot.h>

#include "acquire/target.h"
#include "decode/code.h"
#include "decode/frames.h"
#include "decode/runtime.h"
#include "snapshot/snapshot_priv.h"
#include "tap.h"
#include "world.h"

static void dec(struct pyx_decoder *d, struct world *w, struct pyx_memsrc *src,
		const struct pyx_limits *lim)
{
	struct pyx_decode_opts o = {.limits = *lim};
	struct pyx_arena *arena = pyx_arena_create();
	if (!arena || pyx_decoder_init(d, src, &w->L, arena, &o, NULL) < 0)
		abort();
}

static void test_minor(int minor)
{
	struct world w;
	struct pyx_limits lim;
	struct pyx_decoder d;
	struct pyx_dec_result r;
	struct pyx_error err;
	world_init(&w, minor);
	uint64_t interps[2], tstates[3], gil;
	uint64_t rt = world_runtime(&w, interps, tstates, &gil);
	/* a 10-deep chain of alternating code objects */
	uint64_t deep = 0;
	for (int i = 0; i < 10; i++)
		deep = make_frame(&w, w.codes[i % 3], 0, deep, 0);
	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_dec_roots roots = {.runtime = rt};

	/* frames kept: 10 at a limit of 10, 9 of 10 at 9 */
	pyx_limits_default(&lim);
	lim.max_frames = 10;
	dec(&d, &w, src, &lim);
	struct pyx_dec_thread th;
	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, deep, &th, &err);
	ok(th.nframes == 10 && th.omitted == 0 && !th.truncated, "3.%d max_frames at the edge",
	   minor);
	pyx_arena_destroy(d.arena);
	lim.max_frames = 9;
	dec(&d, &w, src, &lim);
	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, deep, &th, &err);
	ok(th.nframes == 9 && th.omitted == 1 && !th.truncated, "3.%d max_frames one past", minor);
	pyx_arena_destroy(d.arena);

	/* frames walked: 10 at 10; at 9 the chain is cut and said so */
	pyx_limits_default(&lim);
	lim.max_walk = 10;
	dec(&d, &w, src, &lim);
	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, deep, &th, &err);
	ok(th.nframes == 10 && !th.truncated, "3.%d max_walk at the edge", minor);
	pyx_arena_destroy(d.arena);
	lim.max_walk = 9;
	dec(&d, &w, src, &lim);
	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, deep, &th, &err);
	ok(th.truncated == PYX_E_LIMIT && th.truncated_msg, "3.%d max_walk one past", minor);
	pyx_arena_destroy(d.arena);

	/* distinct code objects: 3 at 3; at 2 the third frame is a placeholder */
	pyx_limits_default(&lim);
	lim.max_code_objects = 3;
	dec(&d, &w, src, &lim);
	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, deep, &th, &err);
	int bad = 0;
	for (size_t i = 0; i < th.nframes; i++)
		bad += th.frames[i].error != 0;
	ok(th.nframes == 10 && !bad, "3.%d max_code_objects at the edge", minor);
	pyx_arena_destroy(d.arena);
	lim.max_code_objects = 2;
	dec(&d, &w, src, &lim);
	memset(&th, 0, sizeof th);
	pyx_frames_walk(&d, deep, &th, &err);
	bad = 0;
	for (size_t i = 0; i < th.nframes; i++)
		bad += th.frames[i].error == PYX_E_LIMIT;
	ok(th.nframes == 10 && bad > 0, "3.%d max_code_objects one past: frames marked", minor);
	pyx_arena_destroy(d.arena);

	if (w.L.has_runtime) {
		/* threads per interpreter: the main one has 2 */
		pyx_limits_default(&lim);
		lim.max_threads = 2;
		dec(&d, &w, src, &lim);
		pyx_runtime_decode(&d, &roots, &r, &err);
		ok(r.ninterps == 2 && r.interps[0].nthreads == 2 && !r.interps[0].error,
		   "3.%d max_threads at the edge", minor);
		pyx_arena_destroy(d.arena);
		lim.max_threads = 1;
		dec(&d, &w, src, &lim);
		pyx_runtime_decode(&d, &roots, &r, &err);
		ok(r.ninterps == 2 && r.interps[0].nthreads == 1 &&
			   r.interps[0].error == PYX_E_LIMIT,
		   "3.%d max_threads one past: kept and said", minor);
		pyx_arena_destroy(d.arena);

		/* interpreters: 2 */
		pyx_limits_default(&lim);
		lim.max_interpreters = 2;
		dec(&d, &w, src, &lim);
		is_int(pyx_runtime_decode(&d, &roots, &r, &err), 0,
		       "3.%d max_interpreters at the edge", minor);
		pyx_arena_destroy(d.arena);
		lim.max_interpreters = 1;
		dec(&d, &w, src, &lim);
		ok(pyx_runtime_decode(&d, &roots, &r, &err) == -PYX_E_LIMIT && r.ninterps == 1,
		   "3.%d max_interpreters one past: the first kept, the cut said", minor);
		pyx_arena_destroy(d.arena);
	}
	pyx_memsrc_close(src);
	timg_free(&w.img);
}

static const struct pyx_target_ops image_ops = {.kind = "image"};

/* A snapshot of the world's runtime under a memory bound of `bytes`. */
static int take_bounded(struct world *w, struct pyx_memsrc *src, uint64_t rt, size_t bytes,
			struct pyx_snapshot **out)
{
	struct pyx_error err;
	struct pyx_snapshot *snap = pyx_snapshot_new();
	struct pyx_target *t = pyx_target_new_in(pyx_snapshot_arena(snap), &image_ops);
	t->mem = src;
	t->mem_borrowed = 1;
	t->has_syms = 1;
	t->syms.runtime = rt;
	t->syms.version_hex = w->L.version_hex;
	struct pyx_snapshot_opts opts = {.flags = PYX_SNAP_NONBLOCKING | PYX_SNAP_NO_THREAD_NAMES,
					 .max_memory = bytes};
	pyx_snapshot_adopt(snap, t, &err);
	int rc = pyx_snapshot_read_target(snap, t, 0, &opts, &err);
	*out = snap;
	return rc;
}

/* The snapshot's memory bound: the whole world fits in what it used; a
 * bound below that cuts the process and says so, never crashes. */
static void test_memory(int minor)
{
	struct world w;
	world_init(&w, minor);
	uint64_t interps[2], tstates[3], gil;
	uint64_t rt = world_runtime(&w, interps, tstates, &gil);
	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_snapshot *snap;
	is_int(take_bounded(&w, src, rt, 0, &snap), 0, "3.%d memory: default bound", minor);
	size_t used = pyx_arena_used(pyx_snapshot_arena(snap));
	pyx_snapshot_destroy(snap);
	is_int(take_bounded(&w, src, rt, used, &snap), 0, "3.%d memory: at the edge (%zu bytes)",
	       minor, used);
	ok(snap->nprocs == 1 && !snap->procs[0].error && snap->procs[0].ninterps == 2,
	   "3.%d memory: everything read at the edge", minor);
	pyx_snapshot_destroy(snap);
	for (size_t cut = used - 16; cut > 64; cut /= 2) {
		int rc = take_bounded(&w, src, rt, cut, &snap);
		/* Below the size of the process record itself there is none. */
		int said = snap->nprocs == 0 ||
			   (snap->nprocs == 1 && snap->procs[0].error == PYX_E_LIMIT &&
			    snap->procs[0].error_msg &&
			    strstr(snap->procs[0].error_msg, "memory limit"));
		if (rc != -PYX_E_LIMIT || !said) {
			ok(0, "3.%d memory: cut at %zu bytes and said (rc %d)", minor, cut, rc);
			pyx_snapshot_destroy(snap);
			break;
		}
		pyx_snapshot_destroy(snap);
		if (cut / 2 <= 64)
			ok(1, "3.%d memory: every bound below the need cuts and says so", minor);
	}
	pyx_memsrc_close(src);
	timg_free(&w.img);
}

int main(void)
{
	for (int minor = 7; minor <= 15; minor++)
		test_memory(minor);
	for (int minor = 6; minor <= 15; minor++)
		test_minor(minor);
	return tap_done();
}
