/* SPDX-License-Identifier: MIT */
/* Interleaving a thread's native and Python frames. The interpreter runs
 * Python frames inside calls of its evaluation function; matching those
 * calls on the native stack (by symbol) with runs of Python frames (one
 * frame each before 3.11; from 3.11 a run ends at the frame the call
 * entered, pyx_frame.is_entry) puts every Python frame where it runs. The
 * two stacks are read at one stop, but a thread can be between the two
 * (a frame pushed, its evaluation not yet entered), which only ever
 * happens at the innermost end: so we pair from the outermost end when the
 * native stack reached it. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "native.h"
#include "snapshot_priv.h"

const char *const pyx_eval_symbols[] = {"_PyEval_EvalFrameDefault", NULL};

/* The interpreter's call machinery: what turns a call into an evaluation
 * (vectorcall, tp_call slots, the 3.6-3.10 call helpers), named as
 * CPython 3.6-3.15 name them. Only frames of the object that holds the
 * interpreter are judged, so an extension's "my_vectorcall" stays. */
static const char *const machinery_prefixes[] = {
    "_Py", "PyEval_", "PyObject_Call", "PyObject_Vectorcall", "PyVectorcall_", "PyCFunction_Call",
    NULL};
static const char *const machinery_names[] = {
    "call_function",
    "function_code_fastcall",
    "fast_function",
    "function_call",
    "do_call_core",
    "slot_tp_call",
    "type_call",
    "method_call",
    "wrapper_call",
    "wrapperdescr_call",
    "methoddescr_call",
    "classmethoddescr_call",
    "cfunction_call",
    "cfunction_call_varargs",
    "partial_call",
    "instancemethod_call",
    "proxy_call",
    "builtin_call",
    NULL,
};

int pyx_native_is_machinery(const struct pyx_native_frame *nf, const char *interp_path)
{
	if (!nf->symbol || !nf->module || !interp_path || strcmp(nf->module, interp_path))
		return 0;
	/* "method_vectorcall.lto_priv.0": the compiler's suffix is not the name. */
	size_t n = strcspn(nf->symbol, ".");
	for (const char *const *p = machinery_prefixes; *p; p++)
		if (!strncmp(nf->symbol, *p, strlen(*p)))
			return 1;
	for (const char *const *p = machinery_names; *p; p++)
		if (strlen(*p) == n && !strncmp(nf->symbol, *p, n))
			return 1;
	for (size_t i = 0; i + 10 <= n; i++)
		if (!strncasecmp(nf->symbol + i, "vectorcall", 10))
			return 1;
	return 0;
}

void pyx_native_frame_model(struct pyx_frame *f, const struct pyx_native_frame *nf)
{
	memset(f, 0, sizeof *f);
	f->kind = PYX_FRAME_NATIVE;
	f->function = f->qualname = nf->symbol;
	f->file = nf->file;
	f->line = nf->line;
	f->pc = nf->pc;
	f->symbol_offset = nf->symbol_offset;
	f->library = nf->module;
	f->library_offset = nf->module_offset;
	f->is_eval = nf->is_eval;
}

/* A run of Python frames one evaluation call runs: [start, end). */
struct group {
	size_t start, end;
	int open; /* its entry frame is not among them (left out) */
};

/* Splits frames [from, to) into runs; 0 or -PYX_E_NOMEM. */
static int split(const struct pyx_thread *th, size_t from, size_t to, int frame_per_eval,
		 struct pyx_arena *arena, struct group **out, size_t *n)
{
	*n = 0;
	*out = pyx_arena_calloc(arena, to - from + 1, sizeof **out);
	if (!*out)
		return -PYX_E_NOMEM;
	for (size_t i = from; i < to;) {
		size_t j = i;
		while (j + 1 < to && !frame_per_eval && !th->frames[j].is_entry)
			j++;
		(*out)[*n].start = i;
		(*out)[*n].end = j + 1;
		(*out)[*n].open = !frame_per_eval && !th->frames[j].is_entry;
		(*n)++;
		i = j + 1;
	}
	return 0;
}

struct merge {
	const struct pyx_thread *th;
	const struct pyx_native_stack *ns;
	int keep_eval;
	const int *owner;
	int self;
	const char *interp_path;
	struct pyx_frame *out;
	size_t n;
	size_t gap;	/* index in out of the left-out frames, (size_t)-1 none */
	size_t dropped; /* native frames left out with them */
};

/* Native frame i; the interpreter's own frames only with keep_eval, but
 * always when `stands_in` for another interpreter's Python frames. */
static void put_native(struct merge *m, size_t i, int stands_in)
{
	const struct pyx_native_frame *nf = &m->ns->frames[i];
	int own = nf->is_eval || pyx_native_is_machinery(nf, m->interp_path);
	if (own && !m->keep_eval && !stands_in)
		return;
	pyx_native_frame_model(&m->out[m->n], nf);
	m->out[m->n++].interp_internal = own;
}

/* A group's frames, run by native frame eval (or none: -1). Another
 * interpreter's frames are shown in its own section: here its evaluation
 * call stays a native frame. */
static void put_group(struct merge *m, const struct group *g, long eval)
{
	if (m->owner && m->owner[g->start] != m->self) {
		if (eval >= 0 && !m->keep_eval)
			put_native(m, (size_t)eval, 1);
		return;
	}
	for (size_t i = g->start; i < g->end; i++)
		m->out[m->n++] = m->th->frames[i];
}

static void put_eval(struct merge *m, size_t i)
{
	if (m->keep_eval)
		put_native(m, i, 0);
}

static void mark_gap(struct merge *m)
{
	if (m->gap == (size_t)-1)
		m->gap = m->n;
}

int pyx_native_merge(struct pyx_thread *out, const struct pyx_thread *th,
		     const struct pyx_native_stack *ns, const struct pyx_merge_opts *opts,
		     struct pyx_arena *arena)
{
	int frame_per_eval = opts->frame_per_eval;
	out->native = 1;
	out->native_error = ns->complete ? NULL : ns->error_msg;
	if (!ns->n) {
		/* Nothing to place the Python frames in: as they are. */
		if (out != th) {
			out->frames = th->frames;
			out->nframes = th->nframes;
			out->omitted = th->omitted;
			out->omitted_at = th->omitted_at;
		}
		return 0;
	}
	size_t inner_end = th->omitted ? th->omitted_at : th->nframes;
	struct group *gi, *go;
	size_t ngi, ngo, ne = 0;
	size_t *evals = pyx_arena_calloc(arena, ns->n + 1, sizeof *evals);
	/* A Python chain cut short misses its outer end: pair from the inner. */
	int outer_first = ns->complete && !th->truncated;
	if (!evals || split(th, 0, inner_end, frame_per_eval, arena, &gi, &ngi) < 0 ||
	    split(th, inner_end, th->nframes, frame_per_eval, arena, &go, &ngo) < 0)
		return -PYX_E_NOMEM;
	for (size_t i = 0; i < ns->n; i++)
		if (ns->frames[i].is_eval)
			evals[ne++] = i;
	struct merge m = {
	    .th = th,
	    .ns = ns,
	    .keep_eval = opts->keep_eval,
	    .owner = opts->owner,
	    .self = opts->self,
	    .interp_path = opts->interp_path,
	    .gap = (size_t)-1,
	};
	m.out = pyx_arena_calloc(arena, th->nframes + ns->n + 1, sizeof *m.out);
	if (!m.out)
		return -PYX_E_NOMEM;
	/* pair[i]: the inner group (>= 0) or outer group (<= -2) of native i,
	 * -1 for none. */
	long *pair = pyx_arena_calloc(arena, ns->n + 1, sizeof *pair);
	if (!pair)
		return -PYX_E_NOMEM;
	for (size_t i = 0; i < ns->n; i++)
		pair[i] = -1;
	size_t pi = 0, po = 0; /* pairs made at each end */
	if (!th->omitted && outer_first) {
		/* Everything from the outermost end: here the one part is "outer". */
		go = gi;
		ngo = ngi;
		ngi = 0;
	}
	for (; pi < ngi && pi < ne; pi++)
		pair[evals[pi]] = (long)pi;
	long last_inner = pi ? (long)evals[pi - 1] : -1;
	int spanning = 0;
	if (outer_first) {
		int may_span = ngi && gi[ngi - 1].open && th->omitted;
		while (po < ngo && po < ne) {
			size_t e = evals[ne - 1 - po];
			size_t j = ngo - 1 - po;
			if ((long)e > last_inner) {
				pair[e] = -2 - (long)j;
			} else if ((long)e == last_inner && may_span && j == 0) {
				spanning = 1; /* one evaluation call runs both ends' frames */
			} else {
				break;
			}
			po++;
		}
	}
	/* Native frames between the two ends run the frames left out. */
	size_t drop_from = ns->n, drop_to = ns->n;
	if (th->omitted && po && !spanning) {
		drop_from = (size_t)(last_inner + 1);
		drop_to = evals[ne - po];
	}
	size_t unpaired_outer = ngo - po; /* the innermost groups of go */
	size_t first_outer = po ? evals[ne - po] : ns->n;
	for (size_t i = 0; i < ns->n; i++) {
		if (i >= drop_from && i < drop_to) {
			/* Counted as left out if it would have been shown; an
			 * evaluation frame's Python frames are counted already. */
			m.dropped += !ns->frames[i].is_eval &&
				     (m.keep_eval ||
				      !pyx_native_is_machinery(&ns->frames[i], m.interp_path));
			continue;
		}
		if (i == first_outer && !th->omitted) {
			/* Python frames the innermost evaluation calls did not
			 * account for stay above the frames they called. */
			for (size_t j = 0; j < unpaired_outer; j++)
				put_group(&m, &go[j], -1);
		}
		if (pair[i] >= 0) {
			put_group(&m, &gi[pair[i]],
				  spanning && (long)i == last_inner ? -1 : (long)i);
			if (spanning && (long)i == last_inner) {
				mark_gap(&m);
				put_group(&m, &go[0], (long)i);
			}
			put_eval(&m, i);
			if ((long)i == last_inner && th->omitted && po && !spanning) {
				mark_gap(&m);
				for (size_t j = 0; j < unpaired_outer; j++)
					put_group(&m, &go[j], -1);
			}
		} else if (pair[i] <= -2) {
			put_group(&m, &go[-2 - pair[i]], (long)i);
			put_eval(&m, i);
		} else {
			put_native(&m, i, 0);
		}
	}
	/* What could not be paired, in order, after the native frames. */
	for (size_t j = pi; j < ngi; j++)
		put_group(&m, &gi[j], -1);
	if (th->omitted && (!po || !outer_first)) {
		mark_gap(&m);
		for (size_t j = 0; j < ngo; j++)
			put_group(&m, &go[j], -1);
	} else if (!th->omitted && !po && ngo) {
		for (size_t j = 0; j < ngo; j++)
			put_group(&m, &go[j], -1);
	}
	if (!pi && !po && th->nframes && !out->native_error)
		out->native_error = "no interpreter frame in the native stack (no symbols for "
				    "the interpreter?): Python frames listed after it";
	size_t omitted = th->omitted; /* th may be out */
	out->omitted = omitted ? omitted + m.dropped : 0;
	out->omitted_at = omitted ? (m.gap == (size_t)-1 ? m.n : m.gap) : m.n;
	out->frames = m.out;
	out->nframes = m.n;
	return 0;
}

/* ---- a process's threads ---- */

/* Copies of one OS thread's Python thread state, innermost interpreter
 * first: one entered from another runs above it. The main interpreter is
 * taken as the outermost and the others in decreasing id (a thread that
 * enters a sub-interpreter does so from the main one). */
struct copy {
	struct pyx_thread *th;
	int64_t interp_id;
	int is_main;
};

static int copy_order(const struct copy *a, const struct copy *b)
{
	if (a->is_main != b->is_main)
		return a->is_main ? 1 : -1;
	return a->interp_id > b->interp_id ? -1 : a->interp_id < b->interp_id;
}

static size_t copies_of(struct pyx_process *proc, int64_t tid, struct copy *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads && n < max; j++)
			if (proc->interps[i].threads[j].tid == tid) {
				struct copy c = {&proc->interps[i].threads[j], proc->interps[i].id,
						 proc->interps[i].is_main};
				size_t k = n++;
				while (k > 0 && copy_order(&c, &out[k - 1]) < 0) {
					out[k] = out[k - 1];
					k--;
				}
				out[k] = c;
			}
	return n;
}

enum { MAX_COPIES = 64 };

/* One OS thread: its native stack merged into each copy's frames. */
static int merge_copies(struct copy *c, size_t n, const struct pyx_native_stack *ns,
			const struct pyx_merge_opts *base, struct pyx_arena *arena)
{
	struct pyx_merge_opts o = *base;
	int alone = n == 1;
	for (size_t k = 0; k < n; k++)
		alone |= c[k].th->omitted != 0;
	if (alone) {
		/* A deep stack's ends are paired on their own: no combination. */
		for (size_t k = 0; k < n; k++)
			if (pyx_native_merge(c[k].th, c[k].th, ns, &o, arena) < 0)
				return -PYX_E_NOMEM;
		return 0;
	}
	struct pyx_thread all = {0};
	size_t total = 0;
	for (size_t k = 0; k < n; k++)
		total += c[k].th->nframes;
	all.frames = pyx_arena_calloc(arena, total + 1, sizeof *all.frames);
	int *owner = pyx_arena_calloc(arena, total + 1, sizeof *owner);
	if (!all.frames || !owner)
		return -PYX_E_NOMEM;
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < c[k].th->nframes; i++) {
			owner[all.nframes] = (int)k;
			all.frames[all.nframes++] = c[k].th->frames[i];
		}
		all.truncated |= c[k].th->truncated;
	}
	all.omitted_at = all.nframes;
	o.owner = owner;
	for (size_t k = 0; k < n; k++) {
		o.self = (int)k;
		if (pyx_native_merge(c[k].th, &all, ns, &o, arena) < 0)
			return -PYX_E_NOMEM;
	}
	return 0;
}

static int has_python(const struct pyx_process *proc, pid_t tid)
{
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++)
			if (proc->interps[i].threads[j].tid == tid)
				return 1;
	return 0;
}

static int native_threads(struct pyx_process *proc, struct pyx_target *t,
			  const struct pyx_unwind_ops *ops, struct pyx_unwinder *u,
			  struct pyx_arena *arena, struct pyx_error *err)
{
	if (!t->nthreads)
		return 0;
	/* Room for every thread; those without Python fill it (one pass). */
	proc->native_threads = pyx_arena_calloc(arena, t->nthreads, sizeof *proc->native_threads);
	if (!proc->native_threads)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct pyx_target_thread *tt = &t->threads[i];
		if (!tt->has_regs || has_python(proc, tt->tid))
			continue;
		struct pyx_thread *th = &proc->native_threads[proc->nnative_threads++];
		struct pyx_native_stack ns;
		pyx_snapshot_thread_identity(th, tt, t);
		th->name = tt->name;
		th->no_python = 1;
		th->native = 1;
		if (ops->thread(u, tt->tid, arena, &ns, err) < 0)
			return -PYX_E_NOMEM;
		th->frames = pyx_arena_calloc(arena, ns.n + 1, sizeof *th->frames);
		if (!th->frames)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		for (size_t k = 0; k < ns.n; k++)
			pyx_native_frame_model(&th->frames[k], &ns.frames[k]);
		th->nframes = th->omitted_at = ns.n;
		th->native_error = ns.complete ? NULL : ns.error_msg;
	}
	if (!proc->nnative_threads)
		proc->native_threads = NULL; /* every thread runs Python */
	return 0;
}

int pyx_native_model(struct pyx_process *proc, struct pyx_target *t,
		     const struct pyx_unwind_ops *ops, struct pyx_unwinder *u,
		     const struct pyx_merge_opts *opts, struct pyx_arena *arena,
		     struct pyx_error *err)
{
	struct copy copies[MAX_COPIES];
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++) {
			struct pyx_thread *th = &proc->interps[i].threads[j];
			if (th->native)
				continue; /* done with another interpreter's copy */
			if (th->tid < 0) {
				th->native = 1;
				th->native_error = "its native thread id is unknown";
				continue;
			}
			struct pyx_native_stack ns;
			if (ops->thread(u, (pid_t)th->tid, arena, &ns, err) < 0)
				return -PYX_E_NOMEM;
			size_t n = copies_of(proc, th->tid, copies, MAX_COPIES);
			if (merge_copies(copies, n, &ns, opts, arena) < 0)
				return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		}
	return native_threads(proc, t, ops, u, arena, err);
}
