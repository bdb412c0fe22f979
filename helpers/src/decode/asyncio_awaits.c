/* SPDX-License-Identifier: MIT */
/* Who awaits whom. 3.14+ record it in each awaited future: fut_awaited_by
 * (a task, or a set of them; the pure-Python Future's
 * _Future__asyncio_awaited_by), kept by Task.__step, gather, shield and
 * TaskGroup (Lib/asyncio/futures.py future_add_to_awaited_by). Before, a
 * waiting task's fut_waiter is what it awaits, and the done callbacks of the
 * awaited tasks tell the rest:
 *   - awaiting a task directly: fut_waiter is that task;
 *   - gather: fut_waiter is a _GatheringFuture, whose _children are the
 *     awaited futures and tasks;
 *   - TaskGroup: each child's callback is the bound method
 *     TaskGroup._on_task_done, whose self's _parent_task is the awaiter;
 *   - a task's wakeup as a child's callback (TaskWakeupMethWrapper before
 *     3.10, a bound builtin or Task.__wakeup after): its task awaits it;
 *   - shield and wait_for (before 3.12): fut_waiter is a plain future that a
 *     callback of the awaited task completes, held in that callback's
 *     closure (shield's _inner_done_callback) or its functools.partial
 *     arguments (wait_for's _release_waiter). */
#include <string.h>

#include "asyncio_priv.h"
#include "objects.h"

enum {
	MAX_CALLBACKS = 64,   /* callbacks looked at per task */
	MAX_CHILDREN = 4096,  /* children of one gather */
	MAX_GATHER_DEPTH = 8, /* gathers of gathers followed */
	MAX_CLOSURE = 16,     /* cells or partial arguments looked at */
};

int ax_add_await(struct ax *x, size_t a, size_t b)
{
	struct pyx_dec_task *t = &x->in->tasks[a];
	uint64_t id = x->in->tasks[b].addr;
	for (size_t i = 0; i < t->nawaits; i++)
		if (t->awaits[i] == id)
			return 0;
	if (t->nawaits == t->awaits_cap) {
		size_t cap = t->awaits_cap ? t->awaits_cap * 2 : 4;
		uint64_t *n = pyx_arena_grow(x->d->arena, t->awaits, t->nawaits, cap, sizeof *n);
		if (!n)
			return -PYX_E_NOMEM;
		t->awaits = n;
		t->awaits_cap = cap;
	}
	t->awaits[t->nawaits++] = id;
	return 0;
}

/* ---- 3.14+ ---- */

struct by_ctx {
	size_t awaited;
	int rc;
};

static int awaited_by_cb(struct ax *x, uint64_t waiter, void *ctx)
{
	struct by_ctx *c = ctx;
	size_t a = ax_task_at(x, waiter);
	if (a && (c->rc = ax_add_await(x, a - 1, c->awaited)) < 0)
		return 1;
	return 0;
}

static int from_awaited_by(struct ax *x, size_t b)
{
	const struct ax_aux *aux = &x->aux[b];
	struct by_ctx c = {.awaited = b};
	const char *type = NULL;
	if (!aux->awaited_by)
		return 0;
	if (!aux->awaited_by_is_set)
		return awaited_by_cb(x, aux->awaited_by, &c) ? c.rc : 0;
	/* A pure-Python future's is a Python set; a C one's a set too, but
	 * never a subclass. */
	if (pyx_obj_type_name(x->d, aux->awaited_by, &type, NULL) < 0 || strcmp(type, "set"))
		return 0;
	if (ax_set_items(x, aux->awaited_by, awaited_by_cb, &c, NULL) < 0)
		return 0; /* a corrupt set: no edges from it */
	return c.rc;
}

/* ---- before 3.14 ---- */

/* The tasks that wait on the future at addr (their fut_waiter): calls
 * add(a, b) for each such task a. */
static int waiters_of(struct ax *x, const struct ax_map *waiting, uint64_t fut, size_t b)
{
	uint32_t i = fut ? ax_map_get(waiting, fut) : 0;
	for (size_t n = 0; i && n < x->in->ntasks; n++) {
		int rc = ax_add_await(x, i - 1, b);
		if (rc < 0)
			return rc;
		i = x->aux[i - 1].next_same_waiter;
	}
	return 0;
}

/* A gather's children (and the children of gathers among them). */
static int gather_children(struct ax *x, size_t a, uint64_t gathering, int depth)
{
	uint64_t *kids, list = 0;
	size_t n = 0;
	if (!(kids = pyx_arena_calloc(x->d->arena, MAX_CHILDREN, sizeof *kids)))
		return -PYX_E_NOMEM;
	if (depth > MAX_GATHER_DEPTH ||
	    pyx_obj_getattr(x->d, gathering, "_children", &list, NULL) < 0 ||
	    ax_seq_items(x, list, kids, MAX_CHILDREN, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t flags = 0;
		size_t b = ax_task_at(x, kids[i]);
		int rc = 0;
		if (b)
			rc = ax_add_await(x, a, b - 1);
		else if (ax_classify(x, kids[i], &flags) == AX_CFUTURE && (flags & AX_GATHERING))
			rc = gather_children(x, a, kids[i], depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* What one done callback of task b says about who awaits b. */
static int from_callback(struct ax *x, const struct ax_map *waiting, uint64_t cb, size_t b)
{
	const struct pyx_offsets *o = &x->d->layout->off;
	uint64_t v = 0, items[MAX_CLOSURE];
	size_t n = 0, a;
	switch (ax_classify(x, cb, NULL)) {
	case AX_WAKEUP:
		pyx_dec_read_ptr(x->d, cb + (uint64_t)o->asyncio_objects.wakeup_task, &v, NULL);
		break;
	case AX_CMETHOD:
		pyx_dec_read_ptr(x->d, cb + (uint64_t)o->cfunction_object.m_self, &v, NULL);
		break;
	case AX_METHOD:
		pyx_dec_read_ptr(x->d, cb + (uint64_t)o->method_object.im_self, &v, NULL);
		if (v && !ax_task_at(x, v)) {
			uint64_t parent = 0; /* TaskGroup._on_task_done */
			pyx_obj_getattr(x->d, v, "_parent_task", &parent, NULL);
			v = parent;
		}
		break;
	case AX_FUNCTION: {
		uint64_t closure = 0;
		if (pyx_dec_read_ptr(x->d, cb + (uint64_t)o->function_object.func_closure, &closure,
				     NULL) < 0 ||
		    !closure || ax_seq_items(x, closure, items, MAX_CLOSURE, &n, NULL) < 0)
			return 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t content = 0;
			pyx_dec_read_ptr(x->d, items[i] + (uint64_t)o->cell_object.ob_ref, &content,
					 NULL);
			int rc = waiters_of(x, waiting, content, b);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	case AX_PARTIAL: {
		uint64_t args = 0;
		if (pyx_dec_read_ptr(x->d, cb + (uint64_t)o->partial_object.args, &args, NULL) <
			0 ||
		    !args || ax_seq_items(x, args, items, MAX_CLOSURE, &n, NULL) < 0)
			return 0;
		for (size_t i = 0; i < n; i++) {
			int rc = waiters_of(x, waiting, items[i], b);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	default:
		return 0;
	}
	if ((a = ax_task_at(x, v)))
		return ax_add_await(x, a - 1, b);
	return 0;
}

/* Task b's done callbacks: fut_callback0 and the (callback, context)
 * tuples of fut_callbacks (C), or _callbacks (pure Python). */
static int from_callbacks(struct ax *x, const struct ax_map *waiting, size_t b)
{
	const struct ax_aux *aux = &x->aux[b];
	uint64_t list[MAX_CALLBACKS], pair[2];
	size_t n = 0, m = 0;
	int rc = 0;
	if (aux->callback0 && (rc = from_callback(x, waiting, aux->callback0, b)) < 0)
		return rc;
	if (!aux->callbacks || ax_seq_items(x, aux->callbacks, list, MAX_CALLBACKS, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ax_seq_items(x, list[i], pair, 2, &m, NULL) == 0 && m >= 1 &&
		    (rc = from_callback(x, waiting, pair[0], b)) < 0)
			return rc;
	return 0;
}

int ax_awaits(struct ax *x)
{
	struct pyx_dec_interp *in = x->in;
	struct ax_map waiting = {0};
	int rc;
	if (x->awaited_by) {
		for (size_t b = 0; b < in->ntasks; b++)
			if ((rc = from_awaited_by(x, b)) < 0)
				return rc;
		return 0;
	}
	/* fut_waiter -> the tasks waiting on it, chained through the aux. */
	for (size_t a = 0; a < in->ntasks; a++) {
		uint64_t w = in->tasks[a].waiter_addr;
		if (!w)
			continue;
		x->aux[a].next_same_waiter = ax_map_get(&waiting, w);
		if (ax_map_put(x->d, &waiting, w, (uint32_t)a) < 0)
			return -PYX_E_NOMEM;
	}
	for (size_t a = 0; a < in->ntasks; a++) {
		uint64_t w = in->tasks[a].waiter_addr;
		uint8_t flags = 0;
		size_t b = ax_task_at(x, w);
		if (b)
			rc = ax_add_await(x, a, b - 1);
		else if (w && ax_classify(x, w, &flags) == AX_CFUTURE && (flags & AX_GATHERING))
			rc = gather_children(x, a, w, 0);
		else if (w && ax_classify(x, w, &flags) == AX_PYFUTURE && (flags & AX_GATHERING))
			rc = gather_children(x, a, w, 0);
		else
			rc = 0;
		if (rc < 0)
			return rc;
	}
	for (size_t b = 0; b < in->ntasks; b++)
		if ((rc = from_callbacks(x, &waiting, b)) < 0)
			return rc;
	return 0;
}
