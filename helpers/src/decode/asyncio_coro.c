/* SPDX-License-Identifier: MIT */
/* A task's coroutine stack: its coroutine's frame, then the coroutine that
 * one awaits, and so on, innermost last while walking (reversed at the end).
 * A suspended generator awaits the object on top of its value stack when it
 * is suspended in a `yield from` / `await` (Objects/genobject.c _PyGen_yf):
 * the next instruction is YIELD_FROM (<=3.10) or a RESUME with oparg >= 2
 * (3.11, 3.12); 3.13+ mark it with FRAME_SUSPENDED_YIELD_FROM. The awaited
 * object is also checked by type: only coroutines, generators and async
 * generator awaitables are followed; a future (or the FutureIter of one)
 * ends the stack. */
#include <errno.h>
#include <string.h>

#include "asyncio_priv.h"
#include "code.h"
#include "../util/cycle.h"

enum { GEN_BUF_MAX = 1024, FRAME_BUF_MAX = 1024 };

/* One generator's frame, as read. */
struct gen_frame {
	uint64_t frame_addr; /* PyFrameObject (<=3.10) or the embedded frame */
	uint64_t code_addr, pos;
	int running, finished;
	uint64_t awaits; /* the object it is suspended on in an await, or 0 */
};

static int opcode_at(struct ax *x, uint64_t addr, int *op, int *arg)
{
	uint8_t unit[2];
	if (pyx_memsrc_read(x->d->src, addr, unit, 2, NULL) < 0)
		return -1;
	*op = unit[0];
	*arg = unit[1];
	return 0;
}

/* <=3.10: gi_frame is a PyFrameObject. */
static int old_gen(struct ax *x, const unsigned char *gbuf, struct gen_frame *g,
		   struct pyx_error *err)
{
	const struct pyx_layout *L = x->d->layout;
	const struct pyx_offsets *o = &L->off;
	unsigned char f[FRAME_BUF_MAX];
	size_t fsize = (size_t)o->frame_object.size;
	g->frame_addr = pyx_get_u64(gbuf, o->gen_object.gi_frame);
	if (!g->frame_addr) {
		g->finished = 1;
		return 0;
	}
	if (fsize == 0 || fsize > sizeof f)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "bad frame size");
	int rc = pyx_memsrc_read(x->d->src, g->frame_addr, f, fsize, err);
	if (rc < 0)
		return rc;
	g->code_addr = pyx_get_u64(f, o->frame_object.f_code);
	int lasti = pyx_get_i32(f, o->frame_object.f_lasti);
	g->pos = (uint64_t)(int64_t)lasti;
	uint64_t slot = 0;
	if (L->await_model == PYX_AWAIT_STACKTOP) {
		g->running = pyx_get_u8(gbuf, o->gen_object.gi_running) != 0;
		uint64_t top = pyx_get_u64(f, o->frame_object.f_stacktop);
		if (g->running || !top || lasti < 0)
			return 0;
		slot = top - 8;
	} else {
		int state = (int8_t)pyx_get_u8(f, o->frame_object.f_state);
		g->running = state == pyx_frame_state_const(o->consts.frame_executing);
		int depth = pyx_get_i32(f, o->frame_object.f_stackdepth);
		if (state != pyx_frame_state_const(o->consts.frame_suspended) || depth <= 0 ||
		    lasti < 0)
			return 0;
		slot = pyx_get_u64(f, o->frame_object.f_valuestack) + (uint64_t)(depth - 1) * 8;
	}
	/* In an await only when the next instruction is YIELD_FROM: f_lasti
	 * counts bytes before 3.10, code units in 3.10. */
	uint64_t co_code = 0;
	int op, arg;
	uint64_t next =
	    L->linetable == PYX_LINES_LNOTAB ? (uint64_t)lasti + 2 : ((uint64_t)lasti + 1) * 2;
	if (pyx_dec_read_ptr(x->d, g->code_addr + (uint64_t)o->code_object.code, &co_code, NULL) <
		0 ||
	    opcode_at(x, co_code + (uint64_t)o->bytes_object.ob_sval + next, &op, &arg) < 0 ||
	    op != o->consts.opcode_yield_from)
		return 0;
	pyx_dec_read_ptr(x->d, slot, &g->awaits, NULL);
	return 0;
}

/* 3.11+: the frame is embedded at gi_iframe, its state in gi_frame_state. */
static int new_gen(struct ax *x, uint64_t gen, const unsigned char *gbuf, struct gen_frame *g)
{
	const struct pyx_layout *L = x->d->layout;
	const struct pyx_offsets *o = &L->off;
	const unsigned char *f = gbuf + o->gen_object.gi_iframe;
	int state = (int8_t)pyx_get_u8(gbuf, o->gen_object.gi_frame_state);
	uint64_t tag = L->executable_is_stackref ? (uint64_t)o->consts.stackref_tag_mask : 0;
	g->frame_addr = gen + (uint64_t)o->gen_object.gi_iframe;
	if (state >= pyx_frame_state_const(o->consts.frame_cleared) ||
	    (state > pyx_frame_state_const(o->consts.frame_executing))) {
		g->finished = 1;
		return 0;
	}
	g->code_addr = pyx_get_u64(f, o->interpreter_frame.executable) & ~tag;
	g->pos = pyx_get_u64(f, o->interpreter_frame.instr_ptr);
	g->running = state == pyx_frame_state_const(o->consts.frame_executing);
	uint64_t slot;
	if (L->await_model == PYX_AWAIT_RESUME) {
		int op, arg;
		if (state != pyx_frame_state_const(o->consts.frame_suspended) ||
		    opcode_at(x, g->pos + 2, &op, &arg) < 0 ||
		    (op != o->consts.opcode_resume && op != o->consts.opcode_resume_quick &&
		     op != o->consts.opcode_instrumented_resume) ||
		    arg < 2)
			return 0;
	} else if (state != pyx_frame_state_const(o->consts.frame_suspended_yield_from)) {
		return 0;
	}
	int depth = o->consts.awaited_stack_depth > 0 ? o->consts.awaited_stack_depth : 1;
	if (L->executable_is_stackref) {
		uint64_t sp = pyx_get_u64(f, o->interpreter_frame.stackpointer);
		if (!sp)
			return 0;
		slot = sp - 8 * (uint64_t)depth;
	} else {
		int top = pyx_get_i32(f, o->interpreter_frame.stackpointer);
		if (top < depth || top > (1 << 20))
			return 0;
		slot = g->frame_addr + (uint64_t)o->interpreter_frame.localsplus +
		       (uint64_t)(top - depth) * 8;
	}
	if (pyx_dec_read_ptr(x->d, slot, &g->awaits, NULL) == 0)
		g->awaits &= ~tag;
	return 0;
}

static int read_gen(struct ax *x, uint64_t gen, struct gen_frame *g, struct pyx_error *err)
{
	const struct pyx_offsets *o = &x->d->layout->off;
	unsigned char buf[GEN_BUF_MAX];
	size_t size = PYX_HAS(o->gen_object.gi_iframe) ? (size_t)o->gen_object.gi_iframe +
							     (size_t)o->interpreter_frame.localsplus
						       : (size_t)o->gen_object.size;
	memset(g, 0, sizeof *g);
	if (size == 0 || size > sizeof buf)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, gen, "bad generator size %zu", size);
	int rc = pyx_memsrc_read(x->d->src, gen, buf, size, err);
	if (rc < 0)
		return rc;
	return PYX_HAS(o->gen_object.gi_iframe) ? new_gen(x, gen, buf, g) : old_gen(x, buf, g, err);
}

static int push_frame(struct ax *x, struct pyx_dec_task *t, size_t *cap, const struct gen_frame *g)
{
	struct pyx_decoder *d = x->d;
	if (t->nframes == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct pyx_dec_frame *nf =
		    pyx_arena_grow(d->arena, t->frames, t->nframes, ncap, sizeof *nf);
		if (!nf)
			return -PYX_E_NOMEM;
		t->frames = nf;
		*cap = ncap;
	}
	struct pyx_dec_frame *f = &t->frames[t->nframes++];
	struct pyx_code *code = NULL;
	struct pyx_error e;
	memset(f, 0, sizeof *f);
	pyx_error_clear(&e);
	f->frame_addr = g->frame_addr;
	f->code_addr = g->code_addr;
	int rc = pyx_code_get(d, g->code_addr, &code, &e);
	if (rc == -PYX_E_NOMEM)
		return rc;
	if (rc < 0) {
		f->error = e.code ? e.code : PYX_E_BAD_DATA;
		f->error_msg = pyx_arena_strdup(d->arena, e.msg[0] ? e.msg : "undecodable frame");
		return 0;
	}
	f->code = code;
	f->line = pyx_code_line(d, code, g->pos);
	return 0;
}

static void cut(struct ax *x, struct pyx_dec_task *t, int code, const char *msg)
{
	if (t->error)
		return;
	t->error = code;
	t->error_msg = pyx_arena_strdup(x->d->arena, msg);
}

int ax_coro_stack(struct ax *x, size_t i)
{
	struct pyx_dec_task *t = &x->in->tasks[i];
	const struct pyx_offsets *o = &x->d->layout->off;
	uint64_t obj = x->aux[i].coro;
	struct pyx_cycle cyc;
	size_t cap = 0, depth = 0;
	pyx_cycle_init(&cyc);
	if (!obj) {
		cut(x, t, PYX_E_BAD_DATA, "the task has no coroutine (it is gone)");
		return 0;
	}
	while (obj) {
		struct pyx_error e;
		struct gen_frame g;
		pyx_error_clear(&e);
		if (++depth > x->d->opts.limits.max_awaits) {
			cut(x, t, PYX_E_LIMIT, "the await chain is deeper than the limit");
			break;
		}
		if (pyx_cycle_check(&cyc, obj)) {
			cut(x, t, PYX_E_BAD_DATA, "the coroutine chain loops back on itself");
			break;
		}
		enum ax_kind k = ax_classify(x, obj, NULL);
		uint64_t next = 0;
		switch (k) {
		case AX_CORO:
		case AX_GEN:
		case AX_ASYNCGEN:
			if (read_gen(x, obj, &g, &e) < 0) {
				cut(x, t, e.code ? e.code : PYX_E_FAULT,
				    pyx_arena_printf(x->d->arena, "coroutine at 0x%llx: %s",
						     (unsigned long long)obj, e.msg));
				break;
			}
			if (g.finished) {
				if (depth == 1)
					cut(x, t, PYX_E_BAD_DATA, "its coroutine has finished");
				break;
			}
			if (push_frame(x, t, &cap, &g) < 0)
				return -PYX_E_NOMEM;
			if (depth == 1) {
				t->coro_frame = g.frame_addr;
				if (g.running)
					t->state = PYX_DEC_TASK_RUNNING;
			}
			next = g.awaits;
			break;
		case AX_ASEND:
			pyx_dec_read_ptr(x->d, obj + (uint64_t)o->asyncio_objects.asend_gen, &next,
					 NULL);
			break;
		case AX_ATHROW:
			pyx_dec_read_ptr(x->d, obj + (uint64_t)o->asyncio_objects.athrow_gen, &next,
					 NULL);
			break;
		default:
			if (depth == 1)
				cut(x, t, PYX_E_BAD_DATA,
				    "its coroutine is not a coroutine object");
			break;
		}
		obj = next;
	}
	/* Walked outermost first: show innermost first. */
	for (size_t a = 0, b = t->nframes ? t->nframes - 1 : 0; a < b; a++, b--) {
		struct pyx_dec_frame tmp = t->frames[a];
		t->frames[a] = t->frames[b];
		t->frames[b] = tmp;
	}
	return 0;
}
