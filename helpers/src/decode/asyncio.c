/* SPDX-License-Identifier: MIT */
/* Finding asyncio's tasks and each thread's event loop. 3.14+ link every C
 * task into its thread's list (_PyThreadStateImpl.asyncio_tasks_head; tasks
 * of threads that are gone move to PyInterpreterState.asyncio_tasks_head),
 * through TaskObj.task_node. Before, and for pure-Python tasks on 3.14+,
 * asyncio.tasks keeps them in module globals: the weak set _all_tasks
 * (3.8-3.11), or the weak set _scheduled_tasks and the set _eager_tasks
 * (3.12+) (Lib/asyncio/tasks.py; with the C module they are _asyncio's own,
 * re-exported). A thread's loop is _PyThreadStateImpl.asyncio_running_loop
 * (3.13+), else in its thread-state dict under
 * "__asyncio_running_event_loop__" (3.12: the loop; 3.7-3.11: a
 * PyRunningLoopHolder), else the `self` of a BaseEventLoop.run_forever frame. */
#include <errno.h>
#include <string.h>

#include "asyncio.h"
#include "asyncio_priv.h"
#include "code.h"
#include "locals.h"
#include "objects.h"
#include "../util/cycle.h"

enum {
	TYPE_NAME_MAX = 64,
	MAX_BASES = 16,	      /* tp_base links followed when classifying */
	TASK_BUF_MAX = 1024,  /* largest TaskObj we copy */
	NAME_MAX_BYTES = 256, /* bytes kept of a task's name */
	PAGE = 4096,
};

/* ---- addresses ---- */

static size_t map_slot(const struct ax_map *m, uint64_t key)
{
	return (size_t)(((key >> 4) * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);
}

int ax_map_put(struct pyx_decoder *d, struct ax_map *m, uint64_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct ax_map g = {.cap = m->cap ? m->cap * 2 : 1024};
		g.keys = pyx_arena_calloc(d->arena, g.cap, sizeof *g.keys);
		g.vals = pyx_arena_calloc(d->arena, g.cap, sizeof *g.vals);
		if (!g.keys || !g.vals)
			return -PYX_E_NOMEM;
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i]) {
				size_t s = map_slot(&g, m->keys[i]);
				while (g.vals[s])
					s = (s + 1) & (g.cap - 1);
				g.keys[s] = m->keys[i];
				g.vals[s] = m->vals[i];
			}
		g.n = m->n;
		*m = g;
	}
	size_t s = map_slot(m, key);
	while (m->vals[s] && m->keys[s] != key)
		s = (s + 1) & (m->cap - 1);
	m->n += !m->vals[s];
	m->keys[s] = key;
	m->vals[s] = val + 1;
	return 0;
}

uint32_t ax_map_get(const struct ax_map *m, uint64_t key)
{
	if (!m->cap)
		return 0;
	for (size_t s = map_slot(m, key); m->vals[s]; s = (s + 1) & (m->cap - 1))
		if (m->keys[s] == key)
			return m->vals[s];
	return 0;
}

size_t ax_task_at(const struct ax *x, uint64_t addr)
{
	return addr ? ax_map_get(&x->index, addr) : 0;
}

/* ---- classification ---- */

/* A type's tp_name, at most TYPE_NAME_MAX - 1 bytes, read without crossing
 * into a page it does not need. */
static int type_name(struct ax *x, uint64_t type, char *buf)
{
	uint64_t name;
	if (pyx_dec_read_ptr(x->d, type + (uint64_t)x->d->layout->off.type_object.tp_name, &name,
			     NULL) < 0 ||
	    !name)
		return -1;
	size_t n = PAGE - (size_t)(name % PAGE);
	if (n > TYPE_NAME_MAX - 1)
		n = TYPE_NAME_MAX - 1;
	if (pyx_memsrc_read(x->d->src, name, buf, n, NULL) < 0)
		return -1;
	buf[n] = '\0';
	if (!memchr(buf, '\0', n) && n < TYPE_NAME_MAX - 1 &&
	    pyx_memsrc_read(x->d->src, name + n, buf + n, TYPE_NAME_MAX - 1 - n, NULL) == 0)
		buf[TYPE_NAME_MAX - 1] = '\0';
	return 0;
}

static const struct {
	const char *name;
	enum ax_kind kind;
} exact_types[] = {
    {"coroutine", AX_CORO},
    {"generator", AX_GEN},
    {"async_generator", AX_ASYNCGEN},
    {"async_generator_asend", AX_ASEND},
    {"async_generator_athrow", AX_ATHROW},
    {"_asyncio.FutureIter", AX_FUTUREITER},
    {"TaskWakeupMethWrapper", AX_WAKEUP},
    {"builtin_function_or_method", AX_CMETHOD},
    {"method", AX_METHOD},
    {"functools.partial", AX_PARTIAL},
    {"function", AX_FUNCTION},
    {"NoneType", AX_NONE},
};

/* Tasks and futures are recognized through their bases: _asyncio.Task and
 * _asyncio.Future for the C classes and their subclasses, Task and Future
 * (heap types of asyncio.tasks and asyncio.futures) for the pure-Python
 * ones. */
static enum ax_kind classify_type(struct ax *x, uint64_t type, uint8_t *flags)
{
	char name[TYPE_NAME_MAX];
	int saw_task = 0, saw_future = 0;
	*flags = 0;
	if (type_name(x, type, name) < 0)
		return AX_OTHER;
	for (size_t i = 0; i < sizeof exact_types / sizeof exact_types[0]; i++)
		if (!strcmp(name, exact_types[i].name))
			return exact_types[i].kind;
	for (int depth = 0; type && depth < MAX_BASES; depth++) {
		if (depth && type_name(x, type, name) < 0)
			break;
		if (!strcmp(name, "_asyncio.Task"))
			return AX_CTASK;
		if (!strcmp(name, "_asyncio.Future"))
			return saw_task ? AX_CTASK : AX_CFUTURE;
		if (!strcmp(name, "_GatheringFuture"))
			*flags |= AX_GATHERING;
		saw_task |= !strcmp(name, "Task");
		saw_future |= !strcmp(name, "Future");
		if (pyx_dec_read_ptr(x->d, type + (uint64_t)x->d->layout->off.type_object.tp_base,
				     &type, NULL) < 0)
			break;
	}
	if (saw_future)
		return saw_task ? AX_PYTASK : AX_PYFUTURE;
	return AX_OTHER;
}

enum ax_kind ax_classify(struct ax *x, uint64_t addr, uint8_t *flags)
{
	uint64_t type;
	uint8_t f = 0;
	if (flags)
		*flags = 0;
	if (!addr ||
	    pyx_dec_read_ptr(x->d, addr + (uint64_t)x->d->layout->off.pyobject.ob_type, &type,
			     NULL) < 0 ||
	    !type)
		return AX_OTHER;
	size_t s = (size_t)((type >> 4) * 0x9e3779b97f4a7c15ull >> 56) & (AX_TYPES - 1);
	for (size_t probe = 0; probe < AX_TYPES; probe++, s = (s + 1) & (AX_TYPES - 1)) {
		struct ax_type *t = &x->types[s];
		if (t->kind && t->addr == type) {
			if (flags)
				*flags = t->flags;
			return (enum ax_kind)t->kind;
		}
		if (!t->kind) {
			enum ax_kind k = classify_type(x, type, &f);
			t->addr = type;
			t->kind = (uint8_t)k;
			t->flags = f;
			if (flags)
				*flags = f;
			return k;
		}
	}
	return classify_type(x, type, flags ? flags : &f); /* the cache is full */
}

/* ---- containers ---- */

/* One set walk (pyx_set_items), counted against limits.max_tasks. */
struct set_keys {
	struct ax *x;
	int (*fn)(struct ax *x, uint64_t key, void *ctx);
	void *ctx;
	size_t found;
	int over;
};

static int set_keys_cb(void *ctx, uint64_t key)
{
	struct set_keys *w = ctx;

	if (++w->found > w->x->d->opts.limits.max_tasks) {
		w->over = 1;
		return 1;
	}
	return w->fn(w->x, key, w->ctx);
}

int ax_set_items(struct ax *x, uint64_t set_addr, int (*fn)(struct ax *x, uint64_t key, void *ctx),
		 void *ctx, struct pyx_error *err)
{
	struct set_keys w = {.x = x, .fn = fn, .ctx = ctx};
	int rc = pyx_set_items(x->d, set_addr, SIZE_MAX, set_keys_cb, &w, err);

	if (rc == 0 && w.over)
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, set_addr, "set at 0x%llx has more than %zu items",
				   (unsigned long long)set_addr, x->d->opts.limits.max_tasks);
	return rc;
}

int ax_seq_items(struct ax *x, uint64_t seq, uint64_t *out, size_t max, size_t *n,
		 struct pyx_error *err)
{
	const struct pyx_offsets *o = &x->d->layout->off;
	const char *type = NULL;
	uint64_t size, items;
	*n = 0;
	int rc = pyx_obj_type_name(x->d, seq, &type, err);
	if (rc < 0)
		return rc;
	int is_list = !strcmp(type, "list");
	if (!is_list && strcmp(type, "tuple"))
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, seq, "not a list or tuple");
	rc = pyx_dec_read_ptr(
	    x->d, seq + (uint64_t)(is_list ? o->list_object.ob_size : o->tuple_object.ob_size),
	    &size, err);
	if (rc < 0)
		return rc;
	if ((int64_t)size < 0 || size > (1u << 24))
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, seq, "sequence of size %lld",
				     (long long)size);
	if (size > max)
		size = max;
	items = seq + (uint64_t)o->tuple_object.ob_item;
	if (is_list &&
	    (rc = pyx_dec_read_ptr(x->d, seq + (uint64_t)o->list_object.ob_item, &items, err)) < 0)
		return rc;
	if (size && (rc = pyx_memsrc_read(x->d->src, items, out, (size_t)size * 8, err)) < 0)
		return rc;
	*n = (size_t)size;
	return 0;
}

/* ---- one task ---- */

static int nomem(struct pyx_error *err)
{
	return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
}

static struct pyx_dec_task *new_task(struct ax *x, uint64_t addr)
{
	struct pyx_dec_interp *in = x->in;
	if (in->ntasks == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct pyx_dec_task *t =
		    pyx_arena_grow(x->d->arena, in->tasks, in->ntasks, cap, sizeof *t);
		struct ax_aux *a = pyx_arena_grow(x->d->arena, x->aux, in->ntasks, cap, sizeof *a);
		if (!t || !a)
			return NULL;
		in->tasks = t;
		x->aux = a;
		x->cap = cap;
	}
	if (ax_map_put(x->d, &x->index, addr, (uint32_t)in->ntasks) < 0)
		return NULL;
	struct pyx_dec_task *t = &in->tasks[in->ntasks];
	memset(t, 0, sizeof *t);
	memset(&x->aux[in->ntasks], 0, sizeof x->aux[0]);
	in->ntasks++;
	t->addr = addr;
	t->state = PYX_DEC_TASK_PENDING;
	return t;
}

/* A task's name: a str, or an int n for "Task-n" (3.12+ name lazily). */
static const char *task_name(struct ax *x, uint64_t name)
{
	char buf[NAME_MAX_BYTES];
	int64_t n;
	if (!name)
		return NULL;
	/* A local buffer: pyx_obj_str would keep max_string_bytes per name. */
	if (pyx_obj_str_buf(x->d, name, buf, sizeof buf, NULL) == 0)
		return pyx_arena_strdup(x->d->arena, buf);
	if (pyx_obj_long_i64(x->d, name, &n, NULL) == 0)
		return pyx_arena_printf(x->d->arena, "Task-%lld", (long long)n);
	return NULL;
}

/* A C task (TaskObj, Modules/_asynciomodule.c). 1 when it is not done. */
static int c_task(struct ax *x, uint64_t addr, struct pyx_dec_task **out)
{
	const struct pyx_offsets *o = &x->d->layout->off;
	unsigned char buf[TASK_BUF_MAX];
	size_t size = (size_t)o->asyncio_task_object.size;
	if (size == 0 || size > sizeof buf || pyx_memsrc_read(x->d->src, addr, buf, size, NULL) < 0)
		return -1;
	if (pyx_get_i32(buf, o->asyncio_task_object.task_state) != 0)
		return 0; /* cancelled or finished */
	struct pyx_dec_task *t = new_task(x, addr);
	if (!t)
		return -PYX_E_NOMEM;
	struct ax_aux *a = &x->aux[t - x->in->tasks];
	t->loop_addr = pyx_get_u64(buf, o->asyncio_task_object.task_loop);
	t->waiter_addr = pyx_get_u64(buf, o->asyncio_task_object.task_fut_waiter);
	t->name = task_name(x, pyx_get_u64(buf, o->asyncio_task_object.task_name));
	if ((PYX_HAS(o->asyncio_task_object.task_must_cancel) &&
	     pyx_get_i32(buf, o->asyncio_task_object.task_must_cancel)) ||
	    (PYX_HAS(o->asyncio_task_object.task_num_cancels_requested) &&
	     pyx_get_i32(buf, o->asyncio_task_object.task_num_cancels_requested) > 0))
		t->state = PYX_DEC_TASK_CANCELLING;
	a->coro = pyx_get_u64(buf, o->asyncio_task_object.task_coro);
	a->callback0 = pyx_get_u64(buf, o->asyncio_task_object.task_callback0);
	a->callbacks = pyx_get_u64(buf, o->asyncio_task_object.task_callbacks);
	if (PYX_HAS(o->asyncio_task_object.task_awaited_by)) {
		a->awaited_by = pyx_get_u64(buf, o->asyncio_task_object.task_awaited_by);
		a->awaited_by_is_set =
		    pyx_get_u8(buf, o->asyncio_task_object.task_awaited_by_is_set);
	}
	*out = t;
	return 1;
}

static uint64_t attr(struct ax *x, uint64_t obj, const char *name)
{
	uint64_t v = 0;
	if (pyx_obj_getattr(x->d, obj, name, &v, NULL) < 0)
		return 0;
	return ax_classify(x, v, NULL) == AX_NONE ? 0 : v;
}

/* A pure-Python task (Lib/asyncio/tasks.py, futures.py): its state is the
 * string _state, which the instance dict holds once it is no longer the
 * class attribute's 'PENDING'. 1 when it is not done. */
static int py_task(struct ax *x, uint64_t addr, struct pyx_dec_task **out)
{
	char state[16];
	int64_t n = 0;
	uint64_t s = 0, coro;
	int rc = pyx_obj_getattr(x->d, addr, "_state", &s, NULL);
	if (rc == 0 &&
	    (pyx_obj_str_buf(x->d, s, state, sizeof state, NULL) < 0 || strcmp(state, "PENDING")))
		return 0;
	if (rc < 0 && rc != -PYX_E_NOT_FOUND)
		return -1;
	if (!(coro = attr(x, addr, "_coro")) && !attr(x, addr, "_loop"))
		return -1; /* no instance dict a task would have */
	struct pyx_dec_task *t = new_task(x, addr);
	if (!t)
		return -PYX_E_NOMEM;
	struct ax_aux *a = &x->aux[t - x->in->tasks];
	t->is_python = 1;
	t->loop_addr = attr(x, addr, "_loop");
	t->waiter_addr = attr(x, addr, "_fut_waiter");
	t->name = task_name(x, attr(x, addr, "_name"));
	uint64_t v = attr(x, addr, "_num_cancels_requested");
	uint64_t mc = attr(x, addr, "_must_cancel");
	if ((v && pyx_obj_long_i64(x->d, v, &n, NULL) == 0 && n > 0) ||
	    (mc && pyx_obj_long_i64(x->d, mc, &n, NULL) == 0 && n))
		t->state = PYX_DEC_TASK_CANCELLING;
	a->coro = coro;
	a->callbacks = attr(x, addr, "_callbacks");
	if (x->awaited_by) {
		a->awaited_by = attr(x, addr, "_Future__asyncio_awaited_by");
		a->awaited_by_is_set = 1;
	}
	*out = t;
	return 1;
}

static void note_error(struct ax *x, const struct pyx_error *e, const char *where);

/* One candidate from a list or set: decoded once, kept when pending. 0,
 * -PYX_E_NOMEM or -PYX_E_LIMIT (in err); an unreadable task is noted in the
 * interpreter's tasks_error and skipped. */
static int candidate(struct ax *x, uint64_t addr, struct pyx_error *err)
{
	struct pyx_dec_task *t = NULL;
	int rc;
	if (!addr || ax_task_at(x, addr))
		return 0;
	if (++x->seen > x->d->opts.limits.max_tasks)
		return pyx_error_set(err, PYX_E_LIMIT, 0, addr, "more than %zu tasks",
				     x->d->opts.limits.max_tasks);
	enum ax_kind k = ax_classify(x, addr, NULL);
	if (k == AX_CTASK)
		rc = c_task(x, addr, &t);
	else if (k == AX_PYTASK)
		rc = py_task(x, addr, &t);
	else
		return 0; /* a third-party task or a dead entry: not ours to decode */
	if (rc == -PYX_E_NOMEM)
		return nomem(err);
	if (rc < 0) {
		struct pyx_error e;
		pyx_error_set(&e, PYX_E_BAD_DATA, 0, addr, "task at 0x%llx is unreadable",
			      (unsigned long long)addr);
		note_error(x, &e, "a task");
	}
	return 0;
}

/* ---- where tasks are kept ---- */

static void note_error(struct ax *x, const struct pyx_error *e, const char *where)
{
	if (x->in->tasks_error || !e->code)
		return;
	x->in->tasks_error = e->code;
	x->in->tasks_error_msg = pyx_arena_printf(x->d->arena, "%s: %s", where, e->msg);
}

/* A circular list of TaskObj.task_node (Include/internal/pycore_llist.h),
 * whose head is inside a thread or interpreter state. */
static int walk_list(struct ax *x, uint64_t head, const char *where)
{
	const struct pyx_offsets *o = &x->d->layout->off;
	struct pyx_error e;
	struct pyx_cycle cyc;
	uint64_t node = 0;
	size_t n = 0;
	pyx_error_clear(&e);
	pyx_cycle_init(&cyc);
	if (pyx_dec_read_ptr(x->d, head + (uint64_t)o->llist_node.next, &node, &e) < 0)
		goto bad;
	while (node != head) {
		if (!node) {
			pyx_error_set(&e, PYX_E_BAD_DATA, 0, head,
				      "the list is broken (a NULL link)");
			goto bad;
		}
		if (pyx_cycle_check(&cyc, node) || ++n > x->d->opts.limits.max_tasks) {
			pyx_error_set(&e, PYX_E_BAD_DATA, 0, node,
				      "the list loops without coming back to its head");
			goto bad;
		}
		uint64_t task = node - (uint64_t)o->asyncio_task_object.task_node;
		if (candidate(x, task, &e) < 0) {
			if (e.code == PYX_E_NOMEM)
				return -PYX_E_NOMEM;
			goto bad;
		}
		if (pyx_dec_read_ptr(x->d, node + (uint64_t)o->llist_node.next, &node, &e) < 0)
			goto bad;
	}
	return 0;
bad:
	note_error(x, &e, where);
	return 0;
}

struct set_walk {
	int weak; /* the items are weak references */
	struct pyx_error err;
};

static int set_cb(struct ax *x, uint64_t key, void *ctx)
{
	struct set_walk *w = ctx;
	uint64_t obj = key;
	if (w->weak &&
	    pyx_dec_read_ptr(x->d, key + (uint64_t)x->d->layout->off.weakref_object.wr_object, &obj,
			     NULL) < 0)
		return 0;
	return candidate(x, obj, &w->err) < 0;
}

/* asyncio.tasks.<name>: a set, or a weakref.WeakSet (its `data` is a set
 * of weak references). */
static int walk_set(struct ax *x, uint64_t interp, const char *name)
{
	struct pyx_error e;
	struct set_walk w = {0};
	uint64_t obj = 0, data = 0;
	const char *type = NULL;
	pyx_error_clear(&e);
	pyx_error_clear(&w.err);
	if (pyx_module_global(x->d, interp, "asyncio.tasks", name, &obj, &e) < 0) {
		if (e.code != PYX_E_NOT_FOUND)
			note_error(x, &e, name);
		return 0;
	}
	if (pyx_obj_type_name(x->d, obj, &type, &e) < 0)
		goto bad;
	if (!strcmp(type, "WeakSet")) {
		if (pyx_obj_getattr(x->d, obj, "data", &data, &e) < 0)
			goto bad;
		w.weak = 1;
	} else if (!strcmp(type, "set")) {
		data = obj;
	} else {
		pyx_error_set(&e, PYX_E_BAD_DATA, 0, obj, "is a %s, not a set", type);
		goto bad;
	}
	if (ax_set_items(x, data, set_cb, &w, &e) < 0)
		goto bad;
	if (w.err.code == PYX_E_NOMEM)
		return -PYX_E_NOMEM;
	if (w.err.code)
		note_error(x, &w.err, name);
	return 0;
bad:
	note_error(x, &e, name);
	return 0;
}

/* ---- threads ---- */

static int is_run_forever(const struct pyx_dec_frame *f)
{
	static const char suffix[] = "/asyncio/base_events.py";
	const char *file = f->code ? f->code->filename : NULL;
	size_t n = file ? strlen(file) : 0, k = sizeof suffix - 1;
	return f->code && !strcmp(f->code->name, "run_forever") && n >= k &&
	       !strcmp(file + n - k, suffix);
}

static void thread_loop(struct ax *x, struct pyx_dec_thread *th)
{
	struct pyx_decoder *d = x->d;
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	uint64_t loop = 0, dict = 0, v = 0;
	if (L->running_loop_model == PYX_RLOOP_TSTATE) {
		pyx_dec_read_ptr(
		    d, th->tstate_addr + (uint64_t)o->asyncio_thread_state.asyncio_running_loop,
		    &loop, NULL);
	} else if (pyx_dec_read_ptr(d, th->tstate_addr + (uint64_t)o->thread_state.dict, &dict,
				    NULL) == 0 &&
		   dict &&
		   pyx_dict_get_str(d, dict, "__asyncio_running_event_loop__", &v, NULL) == 0) {
		if (L->running_loop_model == PYX_RLOOP_DICT)
			loop = v;
		else if (PYX_HAS(o->asyncio_objects.running_loop_holder_loop))
			pyx_dec_read_ptr(d,
					 v + (uint64_t)o->asyncio_objects.running_loop_holder_loop,
					 &loop, NULL);
	}
	if (loop && ax_classify(x, loop, NULL) == AX_NONE)
		loop = 0;
	/* The pure-Python running loop lives in a threading.local: the
	 * run_forever frame tells instead. */
	for (size_t i = 0; !loop && i < th->nframes; i++)
		if (is_run_forever(&th->frames[i]))
			pyx_locals_get(d, &th->frames[i], "self", &loop, NULL);
	th->running_loop = loop;
}

/* A running task's coroutine frames are on its thread's stack: the frames
 * from the innermost down to the task's outermost coroutine frame. */
static void running_frames(struct ax *x, struct pyx_dec_task *t)
{
	for (size_t i = 0; i < x->in->nthreads; i++) {
		struct pyx_dec_thread *th = &x->in->threads[i];
		for (size_t j = 0; j < th->nframes; j++)
			if (th->frames[j].frame_addr == t->coro_frame) {
				t->frames = th->frames;
				t->nframes = j + 1;
				return;
			}
	}
}

static int decode_interp(struct pyx_decoder *d, struct pyx_dec_interp *in, struct pyx_error *err)
{
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	struct ax *x = pyx_arena_alloc(d->arena, sizeof *x);
	if (!x)
		return nomem(err);
	x->d = d;
	x->in = in;
	for (size_t i = 0; i < in->nthreads; i++)
		thread_loop(x, &in->threads[i]);
	if (L->tasks_model == PYX_TASKS_NONE) {
		in->tasks_error = PYX_E_UNSUPPORTED_VERSION;
		in->tasks_error_msg = "asyncio tasks are read from Python 3.8 on";
		return 0;
	}
	if (L->asyncio_error[0]) {
		in->tasks_error = PYX_E_BAD_DATA;
		in->tasks_error_msg = pyx_arena_strdup(d->arena, L->asyncio_error);
		return 0;
	}
	/* Before 3.14 the tasks are only in asyncio.tasks' sets; from 3.14 C
	 * tasks are in the interpreter's lists whatever is imported. */
	uint64_t name = 0;
	int have_module = pyx_module_global(d, in->addr, "asyncio.tasks", "__name__", &name,
					    NULL) != -PYX_E_NOT_FOUND;
	if (L->tasks_model == PYX_TASKS_LISTS) {
		x->awaited_by = 1;
		in->tasks_source = pyx_arena_printf(
		    d->arena, "the interpreter's per-thread task lists (%s)%s",
		    L->asyncio_source ? L->asyncio_source : L->source,
		    have_module ? ", and asyncio.tasks._scheduled_tasks and _eager_tasks for "
				  "Python tasks"
				: "");
		for (size_t i = 0; i < in->nthreads; i++)
			if (walk_list(x,
				      in->threads[i].tstate_addr +
					  (uint64_t)o->asyncio_thread_state.asyncio_tasks_head,
				      "a thread's task list") < 0)
				return nomem(err);
		if (walk_list(x,
			      in->addr + (uint64_t)o->asyncio_interpreter_state.asyncio_tasks_head,
			      "the interpreter's task list") < 0)
			return nomem(err);
	} else {
		in->tasks_source = L->tasks_model == PYX_TASKS_ALL
				       ? "asyncio.tasks._all_tasks"
				       : "asyncio.tasks._scheduled_tasks and _eager_tasks";
	}
	if (!have_module && !in->ntasks && !in->tasks_error) {
		in->tasks_source = "nowhere: asyncio is not imported";
		return 0;
	}
	static const char *const sets_all[] = {"_all_tasks", NULL};
	static const char *const sets_sched[] = {"_scheduled_tasks", "_eager_tasks", NULL};
	for (const char *const *s = L->tasks_model == PYX_TASKS_ALL ? sets_all : sets_sched;
	     have_module && *s; s++)
		if (walk_set(x, in->addr, *s) < 0)
			return nomem(err);
	for (size_t i = 0; i < in->ntasks; i++) {
		if (ax_coro_stack(x, i) < 0)
			return nomem(err);
		if (in->tasks[i].state == PYX_DEC_TASK_RUNNING)
			running_frames(x, &in->tasks[i]);
	}
	if (ax_awaits(x) < 0)
		return nomem(err);
	return 0;
}

int pyx_asyncio_decode(struct pyx_decoder *d, struct pyx_dec_result *r, struct pyx_error *err)
{
	for (size_t i = 0; i < r->ninterps; i++) {
		struct pyx_dec_interp *in = &r->interps[i];
		if (in->error && !in->nthreads)
			continue;
		int rc = decode_interp(d, in, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
