/* SPDX-License-Identifier: MIT */
/* What the three parts of the asyncio decoder share: the per-interpreter
 * working state, object classification by type (cached per type address),
 * and an address index. asyncio.c finds the tasks, asyncio_coro.c walks
 * their coroutine stacks, asyncio_awaits.c finds who awaits whom. Internal
 * to helpers/src/decode. */
#ifndef PYX_ASYNCIO_PRIV_H
#define PYX_ASYNCIO_PRIV_H

#include <stdint.h>

#include "decoder.h"

/* What an object is, as far as the asyncio decoder cares. */
enum ax_kind {
	AX_UNKNOWN = 0, /* not classified (cache slot empty) */
	AX_OTHER,
	AX_NONE,       /* None: a dead weak reference */
	AX_CORO,       /* coroutine */
	AX_GEN,	       /* generator (a generator-based awaitable such as Future.__await__) */
	AX_ASYNCGEN,   /* async_generator */
	AX_ASEND,      /* async_generator_asend: `await agen.__anext__()`, `async for` */
	AX_ATHROW,     /* async_generator_athrow: aclose(), athrow() */
	AX_CTASK,      /* _asyncio.Task or a subclass */
	AX_CFUTURE,    /* _asyncio.Future or a subclass (_GatheringFuture...) */
	AX_PYTASK,     /* asyncio.tasks.Task in pure Python (_PyTask), or a subclass */
	AX_PYFUTURE,   /* asyncio.futures.Future in pure Python */
	AX_FUTUREITER, /* _asyncio.FutureIter: what `await c_future` suspends on */
	AX_WAKEUP,     /* TaskWakeupMethWrapper (3.7-3.9): a C task's wakeup callback */
	AX_CMETHOD,    /* builtin_function_or_method: a C task's wakeup (3.10+) */
	AX_METHOD,     /* a bound method (Task.__wakeup, TaskGroup._on_task_done) */
	AX_PARTIAL,    /* functools.partial (wait_for's _release_waiter before 3.12) */
	AX_FUNCTION,   /* a function with a closure (gather's and shield's callbacks) */
};

enum { AX_GATHERING = 1 }; /* flag: a _GatheringFuture */

enum { AX_TYPES = 256 };

struct ax_type {
	uint64_t addr;
	uint8_t kind, flags;
};

/* Open-addressed map from a remote address to a value + 1 (0 = absent). */
struct ax_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

/* Per task, what the await pass needs besides the result record. */
struct ax_aux {
	uint64_t coro;
	uint64_t callback0;  /* C: fut_callback0 */
	uint64_t callbacks;  /* list of (callback, context) tuples, or 0 */
	uint64_t awaited_by; /* 3.14+: a task, a set of them, or 0 */
	int awaited_by_is_set;
	uint32_t next_same_waiter; /* index + 1 of the next task with the same waiter */
};

struct ax {
	struct pyx_decoder *d;
	struct pyx_dec_interp *in;
	struct ax_type types[AX_TYPES];
	struct ax_map index; /* task address -> index in in->tasks */
	struct ax_aux *aux;  /* parallel to in->tasks */
	size_t cap;	     /* room in in->tasks and aux */
	size_t seen;	     /* candidates looked at */
	int awaited_by;	     /* the interpreter keeps awaited_by (3.14+) */
};

/* Kind of the object at addr (AX_OTHER when its type cannot be read);
 * *flags gets AX_GATHERING when asked. */
enum ax_kind ax_classify(struct ax *x, uint64_t addr, uint8_t *flags);

static inline int ax_is_task(enum ax_kind k)
{
	return k == AX_CTASK || k == AX_PYTASK;
}

/* Index + 1 of the task at addr in x->in->tasks, or 0. */
size_t ax_task_at(const struct ax *x, uint64_t addr);

int ax_map_put(struct pyx_decoder *d, struct ax_map *m, uint64_t key, uint32_t val);
uint32_t ax_map_get(const struct ax_map *m, uint64_t key);

/* Calls fn for every key of a set or frozenset object (pyx_set_items; at
 * most limits.max_tasks, else -PYX_E_LIMIT); fn returns nonzero to stop.
 * -PYX_E_BAD_DATA when the set is inconsistent, -PYX_E_LIMIT when its
 * table is past the scan limit. */
int ax_set_items(struct ax *x, uint64_t set_addr, int (*fn)(struct ax *x, uint64_t key, void *ctx),
		 void *ctx, struct pyx_error *err);

/* Items of a list or tuple (at most `max`) into out; *n their count. */
int ax_seq_items(struct ax *x, uint64_t seq_addr, uint64_t *out, size_t max, size_t *n,
		 struct pyx_error *err);

/* The coroutine stack of task i: frames innermost first, the state running
 * when its outermost coroutine is executing. 0 or -PYX_E_NOMEM; other
 * failures are recorded in the task (error, error_msg). */
int ax_coro_stack(struct ax *x, size_t i);

/* Fills every task's awaits. 0 or -PYX_E_NOMEM. */
int ax_awaits(struct ax *x);

/* Records that task a waits on task b (both indices); 0 or -PYX_E_NOMEM. */
int ax_add_await(struct ax *x, size_t a, size_t b);

#endif
