/* SPDX-License-Identifier: MIT */
/* The asyncio decoder on synthetic memory images for every layout 3.8-3.15:
 * coroutine chains through each version's way of telling a suspended await
 * (YIELD_FROM, RESUME's oparg, FRAME_SUSPENDED_YIELD_FROM; stack[-1] or
 * stack[-2]), async generators, awaits through fut_waiter; on 3.14+ the
 * per-thread task lists and awaited_by. Bad data is marked and cut: a
 * coroutine chain that loops, a task whose coroutine is gone, a task list
 * that loops or has a NULL link; the rest is still decoded. */
#include <stdlib.h>
#include <string.h>

#include "decode/asyncio.h"
#include "decode/asyncio_priv.h"
#include "decode/code.h"
#include "tap.h"
#include "world.h"

struct aworld {
	struct world w;
	uint64_t coro_type, task_type, asend_type;
	uint64_t codes_done; /* bit per world code: await opcodes written */
};

static void aworld_init(struct aworld *a, int minor)
{
	world_init(&a->w, minor);
	a->coro_type = pyobj_type(&a->w.env, "coroutine", 0);
	a->task_type = pyobj_type(&a->w.env, "_asyncio.Task", 0);
	a->asend_type = pyobj_type(&a->w.env, "async_generator_asend", 0);
	a->codes_done = 0;
}

/* Makes code index ci's instructions say "suspended in an await" at every
 * unit, the way this version tells it. */
static void await_code(struct aworld *a, int ci)
{
	const struct pyx_offsets *o = &a->w.L.off;
	struct test_image *img = &a->w.img;
	uint64_t code = a->w.codes[ci];
	if (a->codes_done & (1u << ci))
		return;
	a->codes_done |= 1u << ci;
	if (PYX_HAS(o->consts.opcode_yield_from)) {
		uint8_t ops[16];
		memset(ops, o->consts.opcode_yield_from, sizeof ops);
		timg_put_u64(img, code + (uint64_t)o->code_object.code,
			     pyobj_bytes(&a->w.env, ops, sizeof ops));
	} else if (a->w.L.await_model == PYX_AWAIT_RESUME) {
		for (int u = 0; u < 4; u++) {
			uint8_t unit[2] = {(uint8_t)o->consts.opcode_resume, 3};
			timg_put(img,
				 code + (uint64_t)o->code_object.co_code_adaptive + 2 * (uint64_t)u,
				 unit, 2);
		}
	}
}

/* A coroutine of code ci suspended at unit 1, awaiting `awaits` (0: its
 * stack slot is empty, so the chain ends there). Returns its address. */
static uint64_t make_coro(struct aworld *a, int ci, uint64_t awaits)
{
	const struct pyx_layout *L = &a->w.L;
	const struct pyx_offsets *o = &L->off;
	struct test_image *img = &a->w.img;
	uint64_t code = a->w.codes[ci];
	uint64_t slots = timg_alloc(img, 64);
	int depth = o->consts.awaited_stack_depth;
	if (awaits)
		await_code(a, ci);
	if (!PYX_HAS(o->gen_object.gi_iframe)) {
		uint64_t g = timg_alloc(img, (size_t)o->gen_object.size);
		uint64_t f = make_frame(&a->w, code, 1, 0, 0);
		timg_put_u64(img, g + (uint64_t)o->pyobject.ob_type, a->coro_type);
		timg_put_u64(img, g + (uint64_t)o->gen_object.gi_frame, f);
		timg_put_u64(img, slots, awaits);
		if (L->await_model == PYX_AWAIT_STACKTOP) {
			timg_put_u64(img, f + (uint64_t)o->frame_object.f_stacktop, slots + 8);
		} else {
			timg_put_u8(img, f + (uint64_t)o->frame_object.f_state,
				    (uint8_t)pyx_frame_state_const(o->consts.frame_suspended));
			timg_put_u64(img, f + (uint64_t)o->frame_object.f_valuestack, slots);
			timg_put_u32(img, f + (uint64_t)o->frame_object.f_stackdepth, 1);
		}
		return g;
	}
	size_t size =
	    (size_t)o->gen_object.gi_iframe + (size_t)o->interpreter_frame.localsplus + 64;
	uint64_t g = timg_alloc(img, size), f = g + (uint64_t)o->gen_object.gi_iframe;
	uint64_t exe = code | (L->executable_is_stackref ? 1 : 0);
	timg_put_u64(img, g + (uint64_t)o->pyobject.ob_type, a->coro_type);
	timg_put_u64(img, f + (uint64_t)o->interpreter_frame.executable, exe);
	timg_put_u64(img, f + (uint64_t)o->interpreter_frame.instr_ptr,
		     code + (uint64_t)o->code_object.co_code_adaptive + 2);
	int state = awaits && PYX_HAS(o->consts.frame_suspended_yield_from)
			? pyx_frame_state_const(o->consts.frame_suspended_yield_from)
			: pyx_frame_state_const(o->consts.frame_suspended);
	timg_put_u8(img, g + (uint64_t)o->gen_object.gi_frame_state, (uint8_t)(int8_t)state);
	uint64_t stack = f + (uint64_t)o->interpreter_frame.localsplus;
	timg_put_u64(img, stack, awaits | (L->executable_is_stackref && awaits ? 1 : 0));
	if (L->executable_is_stackref)
		timg_put_u64(img, f + (uint64_t)o->interpreter_frame.stackpointer,
			     stack + 8 * (uint64_t)depth);
	else
		timg_put_u32(img, f + (uint64_t)o->interpreter_frame.stackpointer, (uint32_t)depth);
	return g;
}

static uint64_t make_task(struct aworld *a, const char *name, uint64_t coro, int state)
{
	const struct pyx_offsets *o = &a->w.L.off;
	struct test_image *img = &a->w.img;
	uint64_t t = timg_alloc(img, (size_t)o->asyncio_task_object.size);
	timg_put_u64(img, t + (uint64_t)o->pyobject.ob_type, a->task_type);
	timg_put_u32(img, t + (uint64_t)o->asyncio_task_object.task_state, (uint32_t)state);
	timg_put_u64(img, t + (uint64_t)o->asyncio_task_object.task_coro, coro);
	timg_put_u64(img, t + (uint64_t)o->asyncio_task_object.task_name,
		     pyobj_str(&a->w.env, name));
	timg_put_u64(img, t + (uint64_t)o->asyncio_task_object.task_loop, 0x5000);
	return t;
}

static void decoder(struct pyx_decoder *d, struct aworld *a, struct pyx_memsrc **src)
{
	struct pyx_decode_opts opts = {.tasks = 1};
	pyx_limits_default(&opts.limits);
	*src = timg_memsrc(&a->w.img);
	struct pyx_arena *arena = pyx_arena_create();
	if (!arena || pyx_decoder_init(d, *src, &a->w.L, arena, &opts, NULL) < 0)
		abort();
}

static const char *fn(const struct pyx_dec_task *t, size_t i)
{
	return i < t->nframes && t->frames[i].code ? t->frames[i].code->name : NULL;
}

/* The coroutine walk and the await pass on one layout, through the
 * decoder's internal entry points (tasks put by hand). */
static void test_chains(int minor)
{
	struct aworld a;
	aworld_init(&a, minor);
	uint64_t inner = make_coro(&a, 0, 0);
	uint64_t outer = make_coro(&a, 1, inner);
	/* loop_a2 awaits loop_b2, whose stack slot is then rewritten to
	 * point back at loop_a2. */
	uint64_t loop_b2 = make_coro(&a, 1, inner);
	uint64_t loop_a2 = make_coro(&a, 0, loop_b2);
	const struct pyx_offsets *o = &a.w.L.off;
	uint64_t slot_b;
	if (PYX_HAS(o->gen_object.gi_iframe))
		slot_b = loop_b2 + (uint64_t)o->gen_object.gi_iframe +
			 (uint64_t)o->interpreter_frame.localsplus;
	else {
		uint64_t f;
		memcpy(&f,
		       a.w.img.bytes + (loop_b2 + (uint64_t)o->gen_object.gi_frame - a.w.img.base),
		       8);
		uint64_t top;
		int32_t off = PYX_HAS(o->frame_object.f_stacktop) ? o->frame_object.f_stacktop
								  : o->frame_object.f_valuestack;
		memcpy(&top, a.w.img.bytes + (f + (uint64_t)off - a.w.img.base), 8);
		slot_b = PYX_HAS(o->frame_object.f_stacktop) ? top - 8 : top;
	}
	timg_put_u64(&a.w.img, slot_b, loop_a2 | (a.w.L.executable_is_stackref ? 1 : 0));
	/* An async generator awaited through async_generator_asend. */
	uint64_t agen = make_coro(&a, 0, 0);
	uint64_t asend = timg_alloc(&a.w.img, 32);
	timg_put_u64(&a.w.img, asend + (uint64_t)o->pyobject.ob_type, a.asend_type);
	timg_put_u64(&a.w.img, asend + (uint64_t)o->asyncio_objects.asend_gen, agen);
	uint64_t consumer = make_coro(&a, 1, asend);

	struct pyx_decoder d;
	struct pyx_memsrc *src;
	decoder(&d, &a, &src);
	struct pyx_dec_interp in;
	memset(&in, 0, sizeof in);
	struct ax *x = pyx_arena_alloc(d.arena, sizeof *x);
	x->d = &d;
	x->in = &in;
	in.tasks = pyx_arena_calloc(d.arena, 8, sizeof *in.tasks);
	x->aux = pyx_arena_calloc(d.arena, 8, sizeof *x->aux);
	x->cap = 8;
	uint64_t coros[] = {outer, loop_a2, 0, consumer};
	const char *names[] = {"nested", "looping", "gone", "agen"};
	for (size_t i = 0; i < 4; i++) {
		uint64_t t = make_task(&a, names[i], coros[i], 0);
		in.tasks[i].addr = t;
		in.tasks[i].state = PYX_DEC_TASK_PENDING;
		x->aux[i].coro = coros[i];
		ax_map_put(&d, &x->index, t, (uint32_t)i);
	}
	in.ntasks = 4;
	in.tasks[1].waiter_addr = in.tasks[0].addr; /* "looping" awaits "nested" */
	/* The image changed after the source was made: a new one. */
	pyx_memsrc_close(src);
	src = timg_memsrc(&a.w.img);
	d.src = src;
	for (size_t i = 0; i < 4; i++)
		is_int(ax_coro_stack(x, i), 0, "3.%d: task %zu walked", minor, i);

	const struct pyx_dec_task *t = &in.tasks[0];
	is_int(t->nframes, 2, "3.%d: nested: two coroutine frames", minor);
	is_str(fn(t, 0), "inner", "3.%d: nested: innermost is the awaited coroutine", minor);
	is_str(fn(t, 1), "middle", "3.%d: nested: then the task's own coroutine", minor);
	is_int(t->error, 0, "3.%d: nested: not cut", minor);
	is_int(t->frames[0].line, 11, "3.%d: nested: line of unit 1", minor);

	t = &in.tasks[1];
	is_int(t->error, PYX_E_BAD_DATA, "3.%d: a looping chain is cut", minor);
	ok(t->error_msg && strstr(t->error_msg, "loops"), "3.%d: and says it loops", minor);
	ok(t->nframes >= 2 && t->nframes <= 8, "3.%d: its frames up to the loop are kept (%zu)",
	   minor, t->nframes);

	t = &in.tasks[2];
	is_int(t->error, PYX_E_BAD_DATA, "3.%d: a task whose coroutine is gone is marked", minor);
	is_int(t->nframes, 0, "3.%d: with no frames", minor);

	t = &in.tasks[3];
	is_int(t->nframes, 2, "3.%d: async for: the generator's frame too", minor);
	is_str(fn(t, 0), "inner", "3.%d: async for: innermost is the async generator", minor);

	is_int(ax_awaits(x), 0, "3.%d: awaits", minor);
	is_int(in.tasks[1].nawaits, 1, "3.%d: fut_waiter a task: one await", minor);
	if (in.tasks[1].nawaits)
		ok(in.tasks[1].awaits[0] == in.tasks[0].addr, "3.%d: it is the awaited task",
		   minor);
	is_int(in.tasks[0].nawaits, 0, "3.%d: the awaited task awaits none", minor);
	pyx_arena_destroy(d.arena);
	pyx_memsrc_close(src);
	timg_free(&a.w.img);
}

/* 3.14+: tasks in a thread's list and the interpreter's, awaited_by. */
static void test_lists(int minor, int corrupt)
{
	struct aworld a;
	aworld_init(&a, minor);
	const struct pyx_offsets *o = &a.w.L.off;
	struct test_image *img = &a.w.img;
	uint64_t interp = timg_alloc(img, (size_t)o->asyncio_interpreter_state.size);
	uint64_t tstate = timg_alloc(img, (size_t)o->asyncio_thread_state.size);
	uint64_t ihead = interp + (uint64_t)o->asyncio_interpreter_state.asyncio_tasks_head;
	uint64_t thead = tstate + (uint64_t)o->asyncio_thread_state.asyncio_tasks_head;
	uint64_t t1 = make_task(&a, "parked", make_coro(&a, 0, 0), 0);
	uint64_t t2 = make_task(&a, "waiter", make_coro(&a, 1, 0), 0);
	uint64_t t3 = make_task(&a, "done", make_coro(&a, 1, 0), 2);
	uint64_t t4 = make_task(&a, "orphan", make_coro(&a, 0, 0), 0);
	uint64_t tn = (uint64_t)o->asyncio_task_object.task_node;
	/* thread list: head -> t1 -> t2 -> t3 -> head */
	uint64_t chain[] = {thead, t1 + tn, t2 + tn, t3 + tn};
	for (size_t i = 0; i < 4; i++)
		timg_put_u64(img, chain[i] + (uint64_t)o->llist_node.next, chain[(i + 1) % 4]);
	if (corrupt == 1) /* t2 -> t2: a loop that never returns to the head */
		timg_put_u64(img, t2 + tn + (uint64_t)o->llist_node.next, t2 + tn);
	if (corrupt == 2) /* a NULL link after t2 */
		timg_put_u64(img, t2 + tn + (uint64_t)o->llist_node.next, 0);
	timg_put_u64(img, ihead + (uint64_t)o->llist_node.next, t4 + tn);
	timg_put_u64(img, t4 + tn + (uint64_t)o->llist_node.next, ihead);
	/* t1 is awaited by t2 (a single awaiter, not a set). */
	timg_put_u64(img, t1 + (uint64_t)o->asyncio_task_object.task_awaited_by, t2);
	timg_put_u8(img, t1 + (uint64_t)o->asyncio_task_object.task_is_task, 1);
	timg_put_u64(img, tstate + (uint64_t)o->asyncio_thread_state.asyncio_running_loop, 0x5000);

	struct pyx_decoder d;
	struct pyx_memsrc *src;
	decoder(&d, &a, &src);
	struct pyx_dec_result r;
	struct pyx_dec_thread th;
	memset(&r, 0, sizeof r);
	memset(&th, 0, sizeof th);
	th.tstate_addr = tstate;
	r.interps = pyx_arena_calloc(d.arena, 1, sizeof *r.interps);
	r.ninterps = 1;
	r.interps[0].addr = interp;
	r.interps[0].threads = &th;
	r.interps[0].nthreads = 1;
	is_int(pyx_asyncio_decode(&d, &r, NULL), 0, "3.%d/%d: decoded", minor, corrupt);
	const struct pyx_dec_interp *in = &r.interps[0];
	ok(in->tasks_source && strstr(in->tasks_source, "per-thread task lists"),
	   "3.%d/%d: the source says per-thread task lists", minor, corrupt);
	is_int(th.running_loop, 0x5000, "3.%d/%d: the thread's running loop", minor, corrupt);
	/* parked, waiter, orphan; "done" is skipped (or after the corruption) */
	is_int(in->ntasks, 3, "3.%d/%d: pending tasks found", minor, corrupt);
	int has_orphan = 0, has_waiter = 0;
	for (size_t i = 0; i < in->ntasks; i++) {
		has_orphan |= !strcmp(in->tasks[i].name, "orphan");
		if (!strcmp(in->tasks[i].name, "waiter")) {
			has_waiter = 1;
			is_int(in->tasks[i].nawaits, 1, "3.%d/%d: awaited_by gives waiter's await",
			       minor, corrupt);
			if (in->tasks[i].nawaits)
				ok(in->tasks[i].awaits[0] == t1, "3.%d/%d: waiter awaits parked",
				   minor, corrupt);
		}
	}
	ok(has_orphan, "3.%d/%d: the interpreter's list is read", minor, corrupt);
	ok(has_waiter, "3.%d/%d: tasks before a corruption are kept", minor, corrupt);
	if (corrupt)
		ok(in->tasks_error == PYX_E_BAD_DATA && in->tasks_error_msg &&
		       strstr(in->tasks_error_msg, "list"),
		   "3.%d/%d: the corrupt list is reported (%s)", minor, corrupt,
		   in->tasks_error_msg ? in->tasks_error_msg : "none");
	else
		is_int(in->tasks_error, 0, "3.%d: no error", minor);
	pyx_arena_destroy(d.arena);
	pyx_memsrc_close(src);
	timg_free(&a.w.img);
}

/* A target's Py_AsyncioModuleDebugOffsets is untrusted: a good copy is
 * taken (and said so), a bad one refused with the reason, the layout left
 * as it was. */
static void test_asyncio_debug(int minor)
{
	struct aworld a;
	aworld_init(&a, minor);
	const struct pyx_offsets *o = &a.w.L.off;
	uint64_t good[13] = {
	    (uint64_t)o->asyncio_task_object.size,
	    (uint64_t)o->asyncio_task_object.task_name,
	    (uint64_t)o->asyncio_task_object.task_awaited_by,
	    (uint64_t)o->asyncio_task_object.task_is_task,
	    (uint64_t)o->asyncio_task_object.task_awaited_by_is_set,
	    (uint64_t)o->asyncio_task_object.task_coro,
	    (uint64_t)o->asyncio_task_object.task_node,
	    (uint64_t)o->asyncio_interpreter_state.size,
	    (uint64_t)o->asyncio_interpreter_state.asyncio_tasks_head,
	    (uint64_t)o->asyncio_thread_state.size,
	    (uint64_t)o->asyncio_thread_state.asyncio_running_loop + 8,
	    (uint64_t)o->asyncio_thread_state.asyncio_running_task + 8,
	    (uint64_t)o->asyncio_thread_state.asyncio_tasks_head + 8,
	};
	struct {
		const char *what;
		int word;
		uint64_t value;
		const char *says;
	} cases[] = {
	    {"good (thread fields moved, as a build may)", -1, 0, NULL},
	    {"a zero task size", 0, 0, "not a sane size"},
	    {"a huge interpreter size", 7, 1ull << 40, "not a sane size"},
	    {"task_coro past TaskObj", 5, 4096, "does not fit"},
	    {"task_node where the table has another field", 6, 8, "not one pyxray knows"},
	    {"a thread state smaller than PyThreadState", 9, 16, "does not fit"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t words[13];
		memcpy(words, good, sizeof words);
		if (cases[i].word >= 0)
			words[cases[i].word] = cases[i].value;
		if (i == 0)
			words[9] += 64; /* room for the moved fields */
		uint64_t at = timg_alloc(&a.w.img, sizeof words);
		timg_put(&a.w.img, at, words, sizeof words);
		struct pyx_memsrc *src = timg_memsrc(&a.w.img);
		struct pyx_layout L = a.w.L;
		struct pyx_error err;
		pyx_error_clear(&err);
		int rc = pyx_layout_asyncio_debug(&L, src, at, sizeof words, &err);
		if (!cases[i].says) {
			is_int(rc, 0, "3.%d: %s: accepted", minor, cases[i].what);
			is_int(L.off.asyncio_thread_state.asyncio_tasks_head,
			       o->asyncio_thread_state.asyncio_tasks_head + 8,
			       "3.%d: the target's thread offsets are taken", minor);
			ok(L.asyncio_source && strstr(L.asyncio_source, "_AsyncioDebug"),
			   "3.%d: the layout says where they came from", minor);
		} else {
			is_int(rc, -PYX_E_BAD_DATA, "3.%d: %s: refused", minor, cases[i].what);
			ok(strstr(err.msg, cases[i].says), "3.%d: %s: says why (%s)", minor,
			   cases[i].what, err.msg);
			ok(!memcmp(&L.off, o, sizeof L.off), "3.%d: %s: layout unchanged", minor,
			   cases[i].what);
		}
		pyx_memsrc_close(src);
	}
	timg_free(&a.w.img);
}

static int count_cb(struct ax *x, uint64_t key, void *ctx)
{
	(void)x;
	(void)key;
	++*(size_t *)ctx;
	return 0;
}

/* A task set whose header is inconsistent is refused, not walked. */
static void test_corrupt_set(void)
{
	struct aworld a;
	aworld_init(&a, 12);
	const struct pyx_offsets *o = &a.w.L.off;
	uint64_t table = timg_alloc(&a.w.img, 8 * 32);
	uint64_t set = timg_alloc(&a.w.img, (size_t)o->set_object.size);
	timg_put_u64(&a.w.img, set + (uint64_t)o->set_object.table, table);
	timg_put_u64(&a.w.img, set + (uint64_t)o->set_object.mask, 7);
	timg_put_u64(&a.w.img, set + (uint64_t)o->set_object.used, 2);
	timg_put_u64(&a.w.img, table + 16, 0x1000); /* two live keys */
	timg_put_u64(&a.w.img, table + 48, 0x2000);
	timg_put_u64(&a.w.img, table + 64, 0x3000); /* a dummy: hash -1 */
	timg_put_u64(&a.w.img, table + 72, UINT64_MAX);
	struct pyx_decoder d;
	struct pyx_memsrc *src;
	decoder(&d, &a, &src);
	struct ax *x = pyx_arena_alloc(d.arena, sizeof *x);
	x->d = &d;
	size_t n = 0;
	struct pyx_error err;
	is_int(ax_set_items(x, set, count_cb, &n, &err), 0, "a good set is walked");
	is_int(n, 2, "its live keys, not the dummy");
	pyx_memsrc_close(src);
	timg_put_u64(&a.w.img, set + (uint64_t)o->set_object.mask, 6); /* not 2^n - 1 */
	src = timg_memsrc(&a.w.img);
	d.src = src;
	n = 0;
	is_int(ax_set_items(x, set, count_cb, &n, &err), -PYX_E_BAD_DATA, "a bad mask is refused");
	is_int(n, 0, "nothing walked");
	pyx_memsrc_close(src);
	timg_put_u64(&a.w.img, set + (uint64_t)o->set_object.mask, 7);
	timg_put_u64(&a.w.img, set + (uint64_t)o->set_object.used, 100); /* more than slots */
	src = timg_memsrc(&a.w.img);
	d.src = src;
	is_int(ax_set_items(x, set, count_cb, &n, &err), -PYX_E_BAD_DATA,
	       "more used entries than slots is refused");
	pyx_arena_destroy(d.arena);
	pyx_memsrc_close(src);
	timg_free(&a.w.img);
}

int main(void)
{
	for (int minor = 8; minor <= 15; minor++)
		test_chains(minor);
	for (int minor = 14; minor <= 15; minor++)
		for (int corrupt = 0; corrupt <= 2; corrupt++)
			test_lists(minor, corrupt);
	for (int minor = 14; minor <= 15; minor++)
		test_asyncio_debug(minor);
	test_corrupt_set();
	return tap_done();
}
