/* SPDX-License-Identifier: MIT */
/* Reading one target into the model, whatever its source: find the
 * interpreter (or take the host's symbols), choose the layout, stop the
 * target, decode, resume, then turn the decoder's results into the model's
 * records with each thread's identity and state from the target. Everything
 * slow that needs no stopped target (ELF lookups, layout validation) comes
 * before the stop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../acquire/access.h"
#include "../acquire/live.h"
#include "../acquire/pthread.h"
#include "../acquire/syscalls.h"
#include "../decode/asyncio.h"
#include "../decode/children.h"
#include "../decode/code.h"
#include "../decode/locals.h"
#include "../decode/runtime.h"
#include "../util/fmt.h"
#include "native.h"
#include "snapshot_priv.h"

/* A target's decoder kept for lookups after the snapshot. */
struct pyx_kept {
	struct pyx_target *target;
	size_t proc_index;
	struct pyx_layout layout;
	struct pyx_decoder d;
};

static int keep(struct pyx_snapshot *snap, struct pyx_kept *k)
{
	struct pyx_snapshot_priv *p = snap->priv;
	if (p->nkept == p->kept_cap) {
		size_t cap = p->kept_cap ? p->kept_cap * 2 : 4;
		struct pyx_kept **n = pyx_arena_grow(p->arena, p->kept, p->nkept, cap, sizeof *n);
		if (!n)
			return -PYX_E_NOMEM;
		p->kept = n;
		p->kept_cap = cap;
	}
	p->kept[p->nkept++] = k;
	return 0;
}

/* ---- thread identities ---- */

/* Native ids: the one CPython recorded must belong to this process (a
 * forked child's thread state is a copy of its parent's, with the parent's
 * id); otherwise the thread's pthread_t is matched to a thread's TLS base
 * (fs_base), which a stop or a core gives. */
static void resolve_tids_from_target(struct pyx_dec_result *r, const struct pyx_target *t)
{
	for (size_t i = 0; i < r->ninterps; i++)
		for (size_t j = 0; j < r->interps[i].nthreads; j++) {
			struct pyx_dec_thread *th = &r->interps[i].threads[j];
			if (th->tid >= 0 && t->nthreads && !pyx_target_thread(t, (pid_t)th->tid))
				th->tid = -1;
			for (size_t k = 0; th->tid < 0 && k < t->nthreads; k++)
				if (t->threads[k].fs_base && t->threads[k].fs_base == th->thread_id)
					th->tid = t->threads[k].tid;
		}
}

/* What fs_base could not tell, from glibc's struct pthread in the target's
 * memory: after a live target runs again, since it may scan memory. */
static void resolve_tids_by_memory(struct pyx_dec_result *r, const struct pyx_target *t,
				   struct pyx_arena *arena)
{
	size_t n = 0, k = 0;
	if (!t->mem || !t->nthreads)
		return;
	for (size_t i = 0; i < r->ninterps; i++)
		for (size_t j = 0; j < r->interps[i].nthreads; j++)
			n += r->interps[i].threads[j].tid < 0;
	if (!n)
		return;
	uint64_t *pthreads = pyx_arena_calloc(arena, n, sizeof *pthreads);
	int64_t *tids = pyx_arena_calloc(arena, n, sizeof *tids);
	struct pyx_dec_thread **which = pyx_arena_calloc(arena, n, sizeof *which);
	pid_t *tasks = pyx_arena_calloc(arena, t->nthreads, sizeof *tasks);
	if (!pthreads || !tids || !which || !tasks)
		return;
	for (size_t i = 0; i < t->nthreads; i++)
		tasks[i] = t->threads[i].tid;
	for (size_t i = 0; i < r->ninterps; i++)
		for (size_t j = 0; j < r->interps[i].nthreads; j++) {
			struct pyx_dec_thread *th = &r->interps[i].threads[j];
			if (th->tid >= 0)
				continue;
			which[k] = th;
			tids[k] = -1;
			pthreads[k++] = th->thread_id;
		}
	if (pyx_pthread_tids(t->mem, pthreads, n, tasks, t->nthreads, tids))
		for (k = 0; k < n; k++)
			which[k]->tid = tids[k];
}

/* ---- the model ---- */

/* The model's copy of decoded variables (strings shared), NULL on no memory. */
static struct pyx_var *model_vars(const struct pyx_dec_var *dv, size_t n, struct pyx_arena *arena)
{
	struct pyx_var *v = pyx_arena_calloc(arena, n + 1, sizeof *v);
	for (size_t i = 0; v && i < n; i++) {
		v[i].name = dv[i].name;
		v[i].repr = dv[i].repr;
		v[i].kind = dv[i].kind;
		v[i].addr = dv[i].addr;
		v[i].nchildren = dv[i].nchildren;
		v[i].indexed = dv[i].indexed;
	}
	return v;
}

static void model_frame(struct pyx_frame *f, const struct pyx_dec_frame *df,
			struct pyx_arena *arena)
{
	f->frame_addr = df->frame_addr;
	f->code_addr = df->code_addr;
	f->globals_addr = df->globals_addr;
	f->line = df->line;
	f->is_entry = df->is_entry;
	f->error = df->error;
	f->error_msg = df->error_msg;
	if (df->code) {
		f->function = df->code->name;
		f->qualname = df->code->qualname;
		f->file = df->code->filename;
	} else {
		f->function = f->qualname = f->file = "???";
		if (!f->error)
			f->error = PYX_E_BAD_DATA;
	}
	if (df->locals) {
		f->locals = model_vars(df->locals, df->nlocals, arena);
		f->nlocals = f->locals ? df->nlocals : 0;
	}
}

static enum pyx_thread_state thread_state(const struct pyx_target_thread *tt)
{
	if (tt->syscall >= 0)
		return PYX_THREAD_IDLE;
	switch (tt->state) {
	case 'R':
		return PYX_THREAD_RUNNING;
	case 'S':
	case 'D':
	case 'I':
		return PYX_THREAD_IDLE;
	case 'T':
	case 't':
		/* Stopped by someone else: what it did before, if the kernel says. */
		return tt->syscall == PYX_SYSCALL_NONE ? PYX_THREAD_RUNNING : PYX_THREAD_STOPPED;
	}
	return tt->syscall == PYX_SYSCALL_NONE && tt->has_regs ? PYX_THREAD_RUNNING
							       : PYX_THREAD_UNKNOWN;
}

static int model_task(struct pyx_task *t, const struct pyx_dec_task *dt, struct pyx_arena *arena)
{
	t->id = dt->addr;
	t->name = dt->name;
	t->state = dt->state == PYX_DEC_TASK_RUNNING	  ? PYX_TASK_RUNNING
		   : dt->state == PYX_DEC_TASK_CANCELLING ? PYX_TASK_CANCELLING
							  : PYX_TASK_PENDING;
	t->is_python = dt->is_python;
	t->loop_addr = dt->loop_addr;
	t->awaits = dt->awaits;
	t->nawaits = dt->nawaits;
	t->error = dt->error;
	t->error_msg = dt->error_msg;
	t->frames = pyx_arena_calloc(arena, dt->nframes + 1, sizeof *t->frames);
	if (!t->frames)
		return -PYX_E_NOMEM;
	for (size_t i = 0; i < dt->nframes; i++)
		model_frame(&t->frames[i], &dt->frames[i], arena);
	t->nframes = dt->nframes;
	return 0;
}

/* Each task goes to the thread that runs its loop; tasks of loops that no
 * thread runs go to the interpreter's stopped_loop_tasks. */
static int model_tasks(struct pyx_interp *in, const struct pyx_dec_interp *di,
		       struct pyx_arena *arena)
{
	size_t *count = pyx_arena_calloc(arena, di->nthreads + 1, sizeof *count);
	size_t *owner = pyx_arena_calloc(arena, di->ntasks + 1, sizeof *owner);
	if (!count || !owner)
		return -PYX_E_NOMEM;
	in->tasks_read = 1;
	in->tasks_source = di->tasks_source;
	in->tasks_error = di->tasks_error;
	in->tasks_error_msg = di->tasks_error_msg;
	for (size_t i = 0; i < di->nthreads; i++)
		in->threads[i].loop_addr = di->threads[i].running_loop;
	for (size_t k = 0; k < di->ntasks; k++) {
		owner[k] = di->nthreads; /* none */
		for (size_t i = 0; di->tasks[k].loop_addr && i < di->nthreads; i++)
			if (di->threads[i].running_loop == di->tasks[k].loop_addr) {
				owner[k] = i;
				break;
			}
		count[owner[k]]++;
	}
	for (size_t i = 0; i <= di->nthreads; i++) {
		struct pyx_task *tasks = pyx_arena_calloc(arena, count[i] + 1, sizeof *tasks);
		if (!tasks)
			return -PYX_E_NOMEM;
		if (i < di->nthreads)
			in->threads[i].tasks = tasks;
		else
			in->stopped_loop_tasks = tasks;
	}
	for (size_t k = 0; k < di->ntasks; k++) {
		size_t i = owner[k];
		struct pyx_task *t = i < di->nthreads ? &in->threads[i].tasks[in->threads[i].ntasks++]
						      : &in->stopped_loop_tasks[in->nstopped_loop_tasks++];
		if (model_task(t, &di->tasks[k], arena) < 0)
			return -PYX_E_NOMEM;
	}
	return 0;
}

static void state_of(struct pyx_thread *th, const struct pyx_target_thread *tt)
{
	th->state = thread_state(tt);
	if (tt->syscall >= 0) {
		th->syscall = tt->syscall;
		th->syscall_name = pyx_syscall_name(tt->syscall);
	}
}

void pyx_snapshot_thread_identity(struct pyx_thread *th, const struct pyx_target_thread *tt,
				  const struct pyx_target *t)
{
	th->tid = tt->tid;
	th->thread_id = tt->fs_base;
	th->syscall = -1;
	state_of(th, tt);
	th->crashed = t->crash_tid > 0 && tt->tid == t->crash_tid;
}

static int model_thread(struct pyx_thread *th, const struct pyx_dec_thread *dt, int gc,
			const struct pyx_target *t, struct pyx_arena *arena)
{
	th->tstate_addr = dt->tstate_addr;
	th->thread_id = dt->thread_id;
	th->tid = dt->tid;
	th->name = dt->name;
	th->holds_gil = dt->holds_gil;
	th->in_gc = gc > 0 && dt->holds_gil;
	th->truncated = dt->truncated;
	th->truncated_msg = dt->truncated_msg;
	th->omitted = dt->omitted;
	th->omitted_at = dt->omitted_at;
	th->syscall = -1;
	const struct pyx_target_thread *tt =
		dt->tid >= 0 ? pyx_target_thread(t, (pid_t)dt->tid) : NULL;
	if (tt)
		state_of(th, tt);
	th->crashed = t->crash_tid > 0 && dt->tid == t->crash_tid;
	th->frames = pyx_arena_calloc(arena, dt->nframes + 1, sizeof *th->frames);
	if (!th->frames)
		return -PYX_E_NOMEM;
	for (size_t i = 0; i < dt->nframes; i++)
		model_frame(&th->frames[i], &dt->frames[i], arena);
	th->nframes = dt->nframes;
	return 0;
}

/* The thread that took a fatal signal leads its interpreter's list: a
 * crash report starts with it; the others keep their order. */
static void crashed_first(struct pyx_interp *in)
{
	for (size_t j = 1; j < in->nthreads; j++) {
		if (!in->threads[j].crashed)
			continue;
		struct pyx_thread crashed = in->threads[j];
		memmove(&in->threads[1], &in->threads[0], j * sizeof in->threads[0]);
		in->threads[0] = crashed;
		return;
	}
}

/* OS threads with a Python thread state: a thread that entered a
 * sub-interpreter has one in each, so count distinct native ids (pthread ids
 * when the native id is unknown). */
static size_t count_os_threads(const struct pyx_process *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = 0; j < p->interps[i].nthreads; j++) {
			const struct pyx_thread *th = &p->interps[i].threads[j];
			int seen = 0;
			for (size_t k = 0; k <= i && !seen; k++)
				for (size_t l = 0; l < (k < i ? p->interps[k].nthreads : j) && !seen;
				     l++) {
					const struct pyx_thread *o = &p->interps[k].threads[l];
					seen = th->tid >= 0 ? o->tid == th->tid
							    : o->tid < 0 && o->thread_id == th->thread_id;
				}
			n += !seen;
		}
	return n;
}

static int build_model(struct pyx_process *proc, const struct pyx_dec_result *r,
		       const struct pyx_target *t, struct pyx_arena *arena)
{
	proc->is_python = 1;
	proc->version_hex = r->version_hex;
	proc->python_version = r->version;
	proc->layout_source = r->layout_source;
	proc->role = r->role;
	proc->interps = pyx_arena_calloc(arena, r->ninterps + 1, sizeof *proc->interps);
	if (!proc->interps)
		return -PYX_E_NOMEM;
	for (size_t i = 0; i < r->ninterps; i++) {
		const struct pyx_dec_interp *di = &r->interps[i];
		struct pyx_interp *in = &proc->interps[i];
		in->id = di->id;
		in->is_main = di->is_main;
		in->addr = di->addr;
		in->error = di->error;
		in->error_msg = di->error_msg;
		in->gc_collecting = di->gc_collecting;
		in->threads = pyx_arena_calloc(arena, di->nthreads + 1, sizeof *in->threads);
		if (!in->threads)
			return -PYX_E_NOMEM;
		for (size_t j = 0; j < di->nthreads; j++)
			if (model_thread(&in->threads[j], &di->threads[j], di->gc_collecting, t,
					 arena) < 0)
				return -PYX_E_NOMEM;
		in->nthreads = di->nthreads;
		if ((di->tasks_source || di->tasks_error) && model_tasks(in, di, arena) < 0)
			return -PYX_E_NOMEM;
		/* after model_tasks, which pairs threads with the decoder's by index */
		crashed_first(in);
	}
	proc->ninterps = r->ninterps;
	proc->nthreads = count_os_threads(proc);
	return 0;
}

void pyx_snapshot_identity(struct pyx_process *proc, const struct pyx_target *t, int depth)
{
	proc->pid = t->pid;
	proc->ppid = t->ppid;
	proc->depth = depth;
	proc->state = t->state;
	proc->executable = t->exe;
	proc->argv = t->argv;
	proc->argc = t->argc;
	proc->cwd = t->cwd;
	proc->source = t->origin;
	proc->signal = t->signo;
	proc->signal_code = t->si_code;
	proc->fault_addr = t->fault_addr;
	proc->crash_tid = t->crash_tid;
	proc->core_file = t->core_path;
	proc->warnings = t->warnings;
	proc->nwarnings = t->nwarnings;
}

static void roots_of(const struct pyx_python_syms *s, struct pyx_dec_roots *r)
{
	memset(r, 0, sizeof *r);
	r->runtime = s->runtime;
	r->py_version = s->py_version;
	r->tstate_current = s->tstate_current;
	r->interp_head = s->interp_head;
	r->version_hex = s->version_hex;
	r->path = s->path;
}

/* Locate, detect, stop, decode, resume: everything that reads the target. */
/* Before the stop, so that opening and reading the mapped files costs no
 * stopped time. A failure leaves the Python frames and says why. */
static struct pyx_unwinder *open_unwinder(const struct pyx_unwind_ops *ops, struct pyx_target *t,
					  const struct pyx_snapshot_opts *opts,
					  struct pyx_process *proc, struct pyx_arena *arena)
{
	struct pyx_unwind_opts uo = {
		.debug_dirs = opts->debug_dirs,
		.eval_symbols = pyx_eval_symbols,
	};
	struct pyx_unwinder *u = NULL;
	struct pyx_error e;
	pyx_error_clear(&e);
	if (!strcmp(t->ops->kind, "live") && (opts->flags & PYX_SNAP_NONBLOCKING))
		proc->native_error = "native stacks need the process stopped (its registers): "
				     "not with a nonblocking read";
	else if (t->no_stop)
		proc->native_error = "native stacks need the registers of a process pyxray "
				     "stops; this one is held by its debugger";
	else if (!ops)
		proc->native_error = "native stacks are not read here";
	else if (ops->open(t, &uo, &u, &e) < 0)
		proc->native_error = pyx_arena_strdup(arena, e.msg);
	return u;
}

static int decode_target(struct pyx_snapshot *snap, struct pyx_target *t, struct pyx_kept *k,
			 const struct pyx_snapshot_opts *opts, struct pyx_dec_result *r,
			 struct pyx_process *proc, struct pyx_unwinder **u, struct pyx_error *err)
{
	unsigned flags = opts ? opts->flags : 0;
	struct pyx_python_syms syms;
	struct pyx_dec_roots roots;
	int rc;
	if (t->has_syms) {
		syms = t->syms;
	} else if (t->ops->locate) {
		if ((rc = t->ops->locate(t, &snap->priv->files, &syms, err)) < 0)
			return rc;
	} else if (t->pid > 0) {
		/* Nothing to look in: the stub's own process, no interpreter
		 * loaded (and nothing allocated: it may be in a signal handler). */
		return pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0, "pid %d (%s) has no Python interpreter",
				     (int)t->pid, t->exe ? t->exe : "unknown executable");
	} else {
		return pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0, "the process has no Python interpreter");
	}
	proc->python_path = syms.path;
	roots_of(&syms, &roots);
	rc = pyx_runtime_detect(t->mem, &roots, &k->layout, err);
	if (rc < 0)
		return rc;
	struct pyx_decode_opts dopts = {
		.locals = !!(flags & PYX_SNAP_LOCALS),
		.thread_names = !(flags & PYX_SNAP_NO_THREAD_NAMES),
		.tasks = !!(flags & PYX_SNAP_TASKS),
	};
	if (dopts.tasks && syms.asyncio_debug) {
		/* 3.14+: the _asyncio module's own offsets, untrusted input. */
		struct pyx_error e;
		pyx_error_clear(&e);
		if (pyx_layout_asyncio_debug(&k->layout, t->mem, syms.asyncio_debug,
					     syms.asyncio_debug_size, &e) < 0)
			pyx_snprintf(k->layout.asyncio_error, sizeof k->layout.asyncio_error,
				     "the target's _AsyncioDebug is refused: %s", e.msg);
	}
	pyx_limits_default(&dopts.limits);
	if (opts && opts->max_frames)
		dopts.limits.max_frames = opts->max_frames;
	rc = pyx_decoder_init(&k->d, t->mem, &k->layout, snap->priv->arena, &dopts, err);
	if (rc < 0)
		return rc;
	if (flags & PYX_SNAP_NATIVE)
		*u = open_unwinder(snap->priv->unwind, t, opts, proc, snap->priv->arena);
	if (!(flags & PYX_SNAP_NONBLOCKING)) {
		/* Bounded (acquire/freeze.c); what it could not hold is noted. */
		t->stop_timeout_ms = opts ? opts->stop_timeout_ms : 0;
		t->cancel = opts ? opts->cancel : NULL;
		rc = pyx_target_stop(t, err);
		if (rc < 0)
			return rc;
	}
	rc = pyx_runtime_decode(&k->d, &roots, r, err);
	if (rc == 0 && dopts.tasks) {
		/* Before 3.11 only sys.version tells the patch level. */
		pyx_layout_refine_version(&k->layout, r->version_hex);
		rc = pyx_asyncio_decode(&k->d, r, err);
	}
	resolve_tids_from_target(r, t); /* local work, while still held */
	/* The stacks' memory, read once while held: unwinding comes later. */
	if (rc == 0 && *u && snap->priv->unwind->capture(*u, err) < 0)
		rc = -PYX_E_NOMEM;
	pyx_target_resume(t);
	proc->stopped_us = t->stopped_us;
	if (t->stop_note) {
		proc->inconsistent = pyx_arena_strdup(snap->priv->arena, t->stop_note);
		int64_t *ids = pyx_arena_calloc(snap->priv->arena, t->nnot_stopped, sizeof *ids);
		for (size_t i = 0; ids && i < t->nnot_stopped; i++)
			ids[i] = t->not_stopped[i];
		proc->not_stopped = ids;
		proc->nnot_stopped = ids ? t->nnot_stopped : 0;
	}
	if (rc == 0 && opts && opts->cancel && *opts->cancel)
		rc = pyx_error_set(err, PYX_E_INTERRUPTED, EINTR, 0, "interrupted");
	if (rc < 0)
		return rc;
	resolve_tids_by_memory(r, t, snap->priv->arena);
	return 0;
}

/* The snapshot's total memory bound (docs/limits.md): a static message,
 * since the arena that would hold one is full. */
static const char memory_limit_msg[] =
	"the snapshot reached its memory limit before this process was read whole: raise it with --max-memory";

static int memory_limit(struct pyx_process *proc, struct pyx_error *err)
{
	if (proc) {
		proc->error = PYX_E_LIMIT;
		proc->error_msg = memory_limit_msg;
	}
	return pyx_error_set(err, PYX_E_LIMIT, 0, 0, "%s", memory_limit_msg);
}

int pyx_snapshot_read_target(struct pyx_snapshot *snap, struct pyx_target *t, int depth,
			     const struct pyx_snapshot_opts *opts, struct pyx_error *err)
{
	struct pyx_arena *arena = snap->priv->arena;
	unsigned flags = opts ? opts->flags : 0;
	if (!snap->priv->in_buffer)
		pyx_arena_set_limit(arena, opts && opts->max_memory
						   ? opts->max_memory
						   : (size_t)PYX_SNAP_DEFAULT_MAX_MEMORY_MB << 20);
	if (pyx_arena_exhausted(arena))
		return memory_limit(NULL, err);
	struct pyx_kept *k = pyx_arena_alloc(arena, sizeof *k);
	struct pyx_process *proc = pyx_snapshot_add_process(snap);
	struct pyx_dec_result r;
	struct pyx_unwinder *u = NULL;
	int rc;
	memset(&r, 0, sizeof r);
	if (!k || !proc)
		return pyx_arena_exhausted(arena)
			       ? memory_limit(proc, err)
			       : pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	k->target = t;
	k->proc_index = (size_t)(proc - snap->procs);
	pyx_snapshot_identity(proc, t, depth);
	/* A debugger's own inferior: it holds it stopped, and a second seize
	 * would fail (EPERM). TracerPid is the tracing task, the caller. */
	if ((flags & PYX_SNAP_HELD_BY_CALLER) && t->tracer && t->tracer == getpid())
		t->no_stop = 1;
	if (!t->mem)
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0, "the target has no memory to read");
	else
		rc = decode_target(snap, t, k, opts, &r, proc, &u, err);
	if (rc == -PYX_E_PERM && !strcmp(t->ops->kind, "live")) /* say what is missing */
		rc = pyx_access_explain(t->pid, err ? err->sys_errno : EPERM, err);
	if (rc == -PYX_E_NOT_PYTHON && !strcmp(t->ops->kind, "live") &&
	    (pyx_live_gone(t) || (!t->nmaps && !t->exe)))
		/* An exiting process loses its mappings before it is gone: do
		 * not call it non-Python. */
		rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0, "pid %d exited while being read",
				   (int)t->pid);
	else if (rc < 0 && err && err->code == PYX_E_FAULT && !strcmp(t->ops->kind, "live") &&
		 pyx_live_gone(t))
		rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0, "pid %d exited while being read",
				   (int)t->pid);
	if ((r.ninterps || rc == 0) && build_model(proc, &r, t, arena) < 0)
		rc = -PYX_E_NOMEM;
	if (rc == 0 && u) {
		struct pyx_merge_opts mo = {
			.frame_per_eval = k->layout.frame_model == PYX_FRAMES_OBJECT,
			.keep_eval = !!(flags & PYX_SNAP_NATIVE_ALL),
			.interp_path = proc->python_path,
		};
		rc = pyx_native_model(proc, t, snap->priv->unwind, u, &mo, arena, err);
	}
	if (u)
		snap->priv->unwind->close(u);
	if (rc == -PYX_E_NOMEM && pyx_arena_exhausted(arena)) {
		pyx_target_release(t);
		return memory_limit(proc, err);
	}
	if (rc == -PYX_E_NOMEM && (!err || err->code != PYX_E_NOMEM))
		pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	if (rc < 0) {
		proc->error = err ? err->code : -rc;
		proc->error_msg = err ? pyx_arena_strdup(arena, err->msg) : NULL;
	}
	if (rc == 0 && (flags & PYX_SNAP_KEEP_SOURCE) && keep(snap, k) == 0)
		return 0;
	pyx_target_release(t);
	return rc;
}

/* The decoder kept for the process `frame` belongs to, NULL when none. */
static struct pyx_kept *kept_for(struct pyx_snapshot *snap, const struct pyx_frame *frame)
{
	struct pyx_snapshot_priv *p = snap->priv;
	for (size_t i = 0; i < p->nkept; i++) {
		struct pyx_kept *k = p->kept[i];
		struct pyx_process *proc = &snap->procs[k->proc_index];
		for (size_t j = 0; j < proc->ninterps; j++)
			for (size_t l = 0; l < proc->interps[j].nthreads; l++) {
				struct pyx_thread *th = &proc->interps[j].threads[l];
				if (frame >= th->frames && frame < th->frames + th->nframes)
					return k;
			}
	}
	return NULL;
}

static int not_kept(struct pyx_error *err)
{
	return pyx_error_set(err, PYX_E_INVALID, 0, 0,
			     "the frame is not in a snapshot taken with PYX_SNAP_KEEP_SOURCE");
}

int pyx_snapshot_lookup(struct pyx_snapshot *snap, const struct pyx_frame *frame,
			const char *name, const char **scope, const char **repr,
			struct pyx_error *err)
{
	struct pyx_kept *k = kept_for(snap, frame);
	if (!k)
		return not_kept(err);
	struct pyx_dec_frame df = {
	    .frame_addr = frame->frame_addr,
	    .code_addr = frame->code_addr,
	    .globals_addr = frame->globals_addr,
	    .error = frame->error,
	    .error_msg = frame->error_msg,
	};
	enum pyx_scope sc;
	int rc = pyx_locals_lookup(&k->d, &df, name, 0, &sc, repr, err);
	if (rc == 0)
		*scope = sc == PYX_SCOPE_LOCAL ? "local" : sc == PYX_SCOPE_GLOBAL ? "global" : "builtin";
	return rc;
}

int pyx_snapshot_children(struct pyx_snapshot *snap, const struct pyx_frame *frame,
			  uint64_t obj_addr, size_t start, size_t max,
			  const struct pyx_var **vars, size_t *n, uint64_t *total,
			  struct pyx_error *err)
{
	struct pyx_kept *k = kept_for(snap, frame);
	struct pyx_dec_var *dv;
	size_t nd = 0;
	*vars = NULL;
	*n = 0;
	*total = 0;
	if (!k)
		return not_kept(err);
	if (max > PYX_SNAP_CHILDREN_MAX)
		max = PYX_SNAP_CHILDREN_MAX;
	int rc = pyx_obj_children(&k->d, obj_addr, start, max, &dv, &nd, total, err);
	if (rc < 0)
		return rc;
	struct pyx_var *v = model_vars(dv, nd, snap->priv->arena);
	if (!v)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	*vars = v;
	*n = nd;
	return 0;
}
