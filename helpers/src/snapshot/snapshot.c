/* SPDX-License-Identifier: MIT */
/* Snapshot lifetime, and taking one from a live process: locate Python,
 * choose the layout, stop the threads, decode, resume. Everything slow that
 * does not need the target stopped (ELF lookups, layout validation) happens
 * before the stop, so the target stays stopped only while its frames are read. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../decode/code.h"
#include "../decode/locals.h"
#include "../decode/runtime.h"
#include "../acquire/freeze.h"
#include "../acquire/locate.h"
#include "../acquire/proc.h"
#include "../acquire/pthread.h"
#include "snapshot_priv.h"

struct pyx_snapshot *pyx_snapshot_new(void)
{
	struct pyx_snapshot *snap = calloc(1, sizeof *snap);
	struct pyx_snapshot_priv *priv = calloc(1, sizeof *priv);
	if (!snap || !priv || !(priv->arena = pyx_arena_create())) {
		free(snap);
		free(priv);
		return NULL;
	}
	snap->schema_version = PYX_JSON_SCHEMA_VERSION;
	snap->priv = priv;
	return snap;
}

struct pyx_arena *pyx_snapshot_arena(struct pyx_snapshot *snap)
{
	return snap->priv->arena;
}

struct pyx_process *pyx_snapshot_add_process(struct pyx_snapshot *snap)
{
	struct pyx_snapshot_priv *p = snap->priv;
	if (snap->nprocs == p->procs_cap) {
		size_t cap = p->procs_cap ? p->procs_cap * 2 : 4;
		struct pyx_process *procs =
			pyx_arena_grow(p->arena, snap->procs, snap->nprocs, cap, sizeof *procs);
		if (!procs)
			return NULL;
		snap->procs = procs;
		p->procs_cap = cap;
	}
	struct pyx_process *proc = &snap->procs[snap->nprocs++];
	memset(proc, 0, sizeof *proc);
	proc->stopped_us = -1;
	return proc;
}

static void proc_ctx_close(struct pyx_proc_ctx *c);

void pyx_snapshot_destroy(struct pyx_snapshot *snap)
{
	if (!snap)
		return;
	if (snap->priv) {
		for (size_t i = 0; i < snap->priv->nctxs; i++)
			proc_ctx_close(snap->priv->ctxs[i]);
		free(snap->priv->ctxs);
		pyx_locate_cache_destroy(snap->priv->files);
		pyx_arena_destroy(snap->priv->arena);
	}
	free(snap->priv);
	free(snap);
}

void pyx_limits_default(struct pyx_limits *out)
{
	out->max_frames = 4096;
	out->max_threads = 4096;
	out->max_interpreters = 256;
	out->max_string_bytes = 1024;
	out->max_linetable = 1u << 20;
	out->max_container_items = 32;
	out->max_dict_entries = 1u << 20;
}

/* Native ids of the threads that have none yet, from glibc's struct pthread
 * (acquire/pthread.c). */
static void resolve_tids_by_memory(struct pyx_memsrc *src, struct pyx_process *proc,
				   const pid_t *tasks, size_t ntasks)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++)
			n += proc->interps[i].threads[j].tid < 0;
	if (!n)
		return;
	uint64_t *pthreads = calloc(n, sizeof *pthreads);
	int64_t *tids = calloc(n, sizeof *tids);
	struct pyx_thread **which = calloc(n, sizeof *which);
	if (!pthreads || !tids || !which)
		goto out;
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++) {
			struct pyx_thread *th = &proc->interps[i].threads[j];
			if (th->tid >= 0)
				continue;
			which[k] = th;
			tids[k] = -1;
			pthreads[k++] = th->thread_id;
		}
	if (pyx_pthread_tids(src, pthreads, n, tasks, ntasks, tids))
		for (k = 0; k < n; k++)
			which[k]->tid = tids[k];
out:
	free(pthreads);
	free(tids);
	free(which);
}

/* Native ids from the stop: each seized thread's fs_base is its pthread_t.
 * Local work only, done while the threads are still held. */
static void resolve_tids_from_stop(struct pyx_process *proc, const struct pyx_freeze *fz)
{
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++) {
			struct pyx_thread *th = &proc->interps[i].threads[j];
			for (size_t k = 0; th->tid < 0 && k < fz->n; k++)
				if (fz->threads[k].fs_base && fz->threads[k].fs_base == th->thread_id)
					th->tid = fz->threads[k].tid;
		}
}

/* What the stop could not tell, from glibc's struct pthread: after the
 * target runs again, since it may scan remote memory. */
static void resolve_tids_after(struct pyx_memsrc *src, struct pyx_process *proc)
{
	pid_t *tasks = NULL;
	size_t ntasks = 0;
	if (pyx_proc_tasks(proc->pid, &tasks, &ntasks, NULL) == 0)
		resolve_tids_by_memory(src, proc, tasks, ntasks);
	free(tasks);
}

/* Everything needed to decode one process, kept after the snapshot when the
 * caller asked for later lookups (PYX_SNAP_KEEP_SOURCE). */
struct pyx_proc_ctx {
	struct pyx_process *proc;
	size_t proc_index;
	struct pyx_memsrc *src;
	struct pyx_layout layout;
	struct pyx_decoder d;
	struct pyx_python_syms syms;
};

static void proc_ctx_close(struct pyx_proc_ctx *c)
{
	if (!c)
		return;
	pyx_code_cache_destroy(&c->d);
	pyx_memsrc_close(c->src);
	free(c);
}

static int keep_ctx(struct pyx_snapshot *snap, struct pyx_proc_ctx *c, struct pyx_error *err)
{
	struct pyx_snapshot_priv *p = snap->priv;
	struct pyx_proc_ctx **n = realloc(p->ctxs, (p->nctxs + 1) * sizeof *n);
	if (!n)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	p->ctxs = n;
	p->ctxs[p->nctxs++] = c;
	return 0;
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

/* Version and layout from the target; then `stop` (may be NULL) runs, and
 * the interpreters are decoded. Reads that need no stopped target come
 * first. */
static int decode_process(struct pyx_proc_ctx *c, struct pyx_arena *arena,
			  const struct pyx_snapshot_opts *opts,
			  int (*stop)(void *ctx, struct pyx_error *err), void *stop_ctx,
			  struct pyx_error *err)
{
	unsigned flags = opts ? opts->flags : 0;
	c->proc->python_path = c->syms.path;
	int rc = pyx_runtime_detect(c->src, &c->syms, &c->layout, err);
	if (rc < 0)
		return rc;
	if (stop) {
		rc = stop(stop_ctx, err);
		if (rc < 0)
			return rc;
		pyx_memsrc_invalidate(c->src);
	}
	c->d.src = c->src;
	c->d.layout = &c->layout;
	c->d.arena = arena;
	pyx_limits_default(&c->d.limits);
	if (opts && opts->max_frames)
		c->d.limits.max_frames = opts->max_frames;
	rc = pyx_code_cache_create(&c->d, err);
	if (rc < 0)
		return rc;
	rc = pyx_runtime_decode(&c->d, &c->syms, flags, c->proc, err);
	c->proc->nthreads = count_os_threads(c->proc);
	return rc;
}

struct live_stop {
	pid_t pid;
	struct pyx_freeze fz;
};

static int live_stop(void *ctx, struct pyx_error *err)
{
	struct live_stop *ls = ctx;
	return pyx_freeze(ls->pid, &ls->fz, err);
}

static int take_live(struct pyx_snapshot *snap, pid_t pid, int depth,
		     const struct pyx_snapshot_opts *opts, struct pyx_error *err)
{
	struct pyx_arena *arena = snap->priv->arena;
	struct live_stop ls;
	struct pyx_proc_status st;
	struct pyx_map *maps = NULL;
	size_t nmaps = 0;
	unsigned flags = opts ? opts->flags : 0;
	memset(&ls, 0, sizeof ls);
	ls.pid = pid;
	struct pyx_proc_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	c->proc_index = snap->nprocs;
	c->proc = pyx_snapshot_add_process(snap);
	if (!c->proc) {
		free(c);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	struct pyx_process *proc = c->proc;
	proc->pid = pid;
	proc->depth = depth;
	int rc = pyx_proc_status(pid, &st, err);
	if (rc < 0)
		goto out;
	proc->ppid = st.ppid;
	proc->state = st.state;
	/* A debugger's own inferior: it holds it stopped, and a second seize
	 * would fail (EPERM). TracerPid is the tracing task, GDB's main thread. */
	if ((flags & PYX_SNAP_HELD_BY_CALLER) && st.tracer && st.tracer == getpid())
		flags |= PYX_SNAP_NONBLOCKING;
	proc->executable = pyx_proc_exe(pid, arena);
	pyx_proc_cmdline(pid, arena, &proc->argv, &proc->argc, NULL);
	if (st.state == 'Z' || st.state == 'X') {
		rc = pyx_error_set(err, PYX_E_EXITED, 0, 0, "pid %d is a zombie (it has exited)",
				   (int)pid);
		goto out;
	}
	rc = pyx_proc_maps(pid, arena, &maps, &nmaps, err);
	if (rc < 0)
		goto out;
	if (!snap->priv->files)
		snap->priv->files = pyx_locate_cache_create();
	rc = pyx_locate_python(pid, maps, nmaps, arena, snap->priv->files, &c->syms, err);
	if (rc == -PYX_E_NOT_PYTHON) {
		/* An exiting process loses its mappings before it is gone: do not
		 * call it non-Python. */
		struct pyx_proc_status now;
		if (pyx_proc_status(pid, &now, NULL) < 0 || now.state == 'Z' || now.state == 'X' ||
		    (!nmaps && !proc->executable))
			rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0,
					   "pid %d exited while being read", (int)pid);
	}
	if (rc < 0)
		goto out;
	rc = pyx_memsrc_open_live(pid, PYX_MEMSRC_CACHE, &c->src, err);
	if (rc < 0)
		goto out;
	rc = decode_process(c, arena, opts, (flags & PYX_SNAP_NONBLOCKING) ? NULL : live_stop, &ls,
			    err);
	if (rc == 0)
		resolve_tids_from_stop(proc, &ls.fz);
out:
	if (ls.fz.n)
		proc->stopped_us = pyx_thaw(&ls.fz);
	if (rc == 0) {
		resolve_tids_after(c->src, proc);
		proc->nthreads = count_os_threads(proc);
	}
	if (rc < 0 && err && err->code == PYX_E_FAULT && kill(pid, 0) < 0 &&
	    errno == ESRCH)
		rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0, "pid %d exited while being read",
				   (int)pid);
	if (rc < 0 && err) {
		proc->error = err->code;
		proc->error_msg = pyx_arena_strdup(arena, err->msg);
	}
	if (rc == 0 && (flags & PYX_SNAP_KEEP_SOURCE) && keep_ctx(snap, c, err) == 0)
		return 0;
	proc_ctx_close(c);
	return rc;
}

static struct pyx_snapshot *new_or_error(struct pyx_error *err)
{
	struct pyx_snapshot *snap = pyx_snapshot_new();
	if (!snap)
		pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	return snap;
}

int pyx_snapshot_take_pid(pid_t pid, const struct pyx_snapshot_opts *opts,
			  struct pyx_snapshot **out, struct pyx_error *err)
{
	struct pyx_snapshot *snap = new_or_error(err);
	if (!snap)
		return -PYX_E_NOMEM;
	int rc = take_live(snap, pid, 0, opts, err);
	if (rc < 0 && (!(opts && (opts->flags & PYX_SNAP_CHILDREN)) || rc == -PYX_E_NO_PROCESS ||
		       rc == -PYX_E_NOMEM || rc == -PYX_E_PERM)) {
		pyx_snapshot_destroy(snap);
		return rc;
	}
	if (opts && (opts->flags & PYX_SNAP_CHILDREN)) {
		pid_t *kids = NULL;
		int *depth = NULL;
		size_t n = 0;
		struct pyx_error e;
		pyx_error_clear(&e);
		if (pyx_proc_descendants(pid, opts->max_depth, &kids, &depth, &n, &e) < 0) {
			/* The tree is incomplete; say so on the first process. */
			snap->procs[0].error = e.code;
			snap->procs[0].error_msg = pyx_arena_strdup(snap->priv->arena, e.msg);
		}
		for (size_t i = 0; i < n; i++) {
			pyx_error_clear(&e);
			rc = take_live(snap, kids[i], depth[i], opts, &e);
			if (rc == -PYX_E_NOMEM) {
				free(kids);
				free(depth);
				pyx_snapshot_destroy(snap);
				*err = e;
				return rc;
			}
		}
		free(kids);
		free(depth);
	}
	*out = snap;
	return 0;
}

int pyx_snapshot_take_reader(pyx_memsrc_read_fn fn, void *ctx, const struct pyx_python_syms *syms,
			     const struct pyx_process_info *info,
			     const struct pyx_snapshot_opts *opts, struct pyx_snapshot **out,
			     struct pyx_error *err)
{
	unsigned flags = opts ? opts->flags : 0;
	struct pyx_snapshot *snap = new_or_error(err);
	if (!snap)
		return -PYX_E_NOMEM;
	struct pyx_arena *arena = snap->priv->arena;
	int rc;
	struct pyx_proc_ctx *c = calloc(1, sizeof *c);
	if (!c || !(c->proc = pyx_snapshot_add_process(snap))) {
		free(c);
		pyx_snapshot_destroy(snap);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	c->syms = *syms;
	if (info) {
		c->proc->pid = info->pid;
		c->proc->ppid = info->ppid;
		if (info->executable)
			c->proc->executable = pyx_arena_strdup(arena, info->executable);
		if (info->argc) {
			const char **argv = pyx_arena_calloc(arena, info->argc + 1, sizeof *argv);
			for (size_t i = 0; argv && i < info->argc; i++)
				argv[i] = pyx_arena_strdup(arena, info->argv[i] ? info->argv[i] : "");
			c->proc->argv = argv;
			c->proc->argc = argv ? info->argc : 0;
		}
	}
	if (syms->path)
		c->syms.path = pyx_arena_strdup(arena, syms->path);
	/* Before 3.11 (no Py_Version) the file names tell the version, as for
	 * live targets (acquire/locate.c). */
	if (!c->syms.version_hex && !c->syms.py_version && c->syms.path)
		c->syms.version_hex = pyx_version_from_filename(c->syms.path);
	if (!c->syms.version_hex && !c->syms.py_version && c->proc->executable)
		c->syms.version_hex = pyx_version_from_filename(c->proc->executable);
	rc = pyx_memsrc_open_callback(fn, ctx, PYX_MEMSRC_CACHE, &c->src, err);
	if (rc < 0)
		goto fail;
	if (!c->syms.runtime && !c->syms.interp_head && c->syms.interp_head_fn) {
		unsigned char code[8];
		if (pyx_memsrc_read(c->src, c->syms.interp_head_fn, code, sizeof code, NULL) == 0)
			c->syms.interp_head = pyx_interp_head_from_code(code, c->syms.interp_head_fn);
	}
	rc = decode_process(c, arena, opts, NULL, NULL, err);
	if (rc < 0)
		goto fail;
	if (info && info->ntids) {
		resolve_tids_by_memory(c->src, c->proc, info->tids, info->ntids);
		c->proc->nthreads = count_os_threads(c->proc);
	}
	if (flags & PYX_SNAP_KEEP_SOURCE) {
		rc = keep_ctx(snap, c, err);
		if (rc < 0)
			goto fail;
	} else
		proc_ctx_close(c);
	*out = snap;
	return 0;
fail:
	proc_ctx_close(c);
	pyx_snapshot_destroy(snap);
	return rc;
}

int pyx_snapshot_lookup(struct pyx_snapshot *snap, const struct pyx_frame *frame,
			const char *name, const char **scope, const char **repr,
			struct pyx_error *err)
{
	struct pyx_snapshot_priv *p = snap->priv;
	for (size_t i = 0; i < p->nctxs; i++) {
		struct pyx_proc_ctx *c = p->ctxs[i];
		struct pyx_process *proc = &snap->procs[c->proc_index];
		for (size_t j = 0; j < proc->ninterps; j++)
			for (size_t k = 0; k < proc->interps[j].nthreads; k++) {
				struct pyx_thread *th = &proc->interps[j].threads[k];
				if (frame < th->frames || frame >= th->frames + th->nframes)
					continue;
				enum pyx_scope sc;
				int rc = pyx_locals_lookup(&c->d, frame, name, 0, &sc, repr, err);
				if (rc == 0)
					*scope = sc == PYX_SCOPE_LOCAL    ? "local"
						 : sc == PYX_SCOPE_GLOBAL ? "global"
									  : "builtin";
				return rc;
			}
	}
	return pyx_error_set(err, PYX_E_INVALID, 0, 0,
			     "the frame is not in a snapshot taken with PYX_SNAP_KEEP_SOURCE");
}

const struct pyx_frame *pyx_snapshot_frame(const struct pyx_snapshot *snap, size_t proc,
					   size_t interp, size_t thread, size_t frame)
{
	if (proc >= snap->nprocs || interp >= snap->procs[proc].ninterps)
		return NULL;
	const struct pyx_interp *in = &snap->procs[proc].interps[interp];
	if (thread >= in->nthreads || frame >= in->threads[thread].nframes)
		return NULL;
	return &in->threads[thread].frames[frame];
}

const char *pyx_state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk-sleep";
	case 'T':
		return "stopped";
	case 't':
		return "tracing-stop";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle";
	}
	return NULL;
}
