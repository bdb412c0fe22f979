/* SPDX-License-Identifier: MIT */
/* Snapshot lifetime and the public ways to take one: from targets, from a
 * pid (with its descendants), from a host's reader. Reading one target into
 * the model is take.c's job; this file owns the records and the targets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../acquire/access.h"
#include "../acquire/live.h"
#include "../acquire/locate.h"
#include "../acquire/proc.h"
#include "../unwind/unwind.h"
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
	priv->unwind = &pyx_unwind_dwfl;
	return snap;
}

struct pyx_snapshot *pyx_snapshot_new_in(void *buf, size_t len)
{
	struct pyx_arena *arena = pyx_arena_create_in(buf, len);
	if (!arena)
		return NULL;
	struct pyx_snapshot *snap = pyx_arena_alloc(arena, sizeof *snap);
	struct pyx_snapshot_priv *priv = pyx_arena_alloc(arena, sizeof *priv);
	if (!snap || !priv)
		return NULL;
	priv->arena = arena;
	priv->in_buffer = 1;
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

int pyx_snapshot_adopt(struct pyx_snapshot *snap, struct pyx_target *t, struct pyx_error *err)
{
	struct pyx_snapshot_priv *p = snap->priv;
	if (p->ntargets == p->targets_cap) {
		size_t cap = p->targets_cap ? p->targets_cap * 2 : 8;
		struct pyx_target **n =
			pyx_arena_grow(p->arena, p->targets, p->ntargets, cap, sizeof *n);
		if (!n) {
			pyx_target_close(t);
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		}
		p->targets = n;
		p->targets_cap = cap;
	}
	p->targets[p->ntargets++] = t;
	return 0;
}

void pyx_snapshot_destroy(struct pyx_snapshot *snap)
{
	if (!snap)
		return;
	struct pyx_snapshot_priv *p = snap->priv;
	for (size_t i = 0; i < p->ntargets; i++)
		pyx_target_close(p->targets[i]);
	pyx_locate_cache_destroy(p->files);
	if (p->in_buffer)
		return; /* everything lives in the caller's buffer */
	pyx_arena_destroy(p->arena);
	free(p);
	free(snap);
}

static struct pyx_snapshot *new_or_error(struct pyx_error *err)
{
	struct pyx_snapshot *snap = pyx_snapshot_new();
	if (!snap)
		pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	return snap;
}

/* Several processes of one tree (the cores a pool left): each parent
 * before its children, breadth first, children by pid, with their depth
 * below the nearest parent in the set; unrelated ones keep their order. */
static void tree_order(struct pyx_target *const *t, size_t n, size_t *order, int *depth)
{
	size_t done = 0;
	unsigned char *placed = calloc(n ? n : 1, 1);
	if (!placed) {
		for (size_t i = 0; i < n; i++)
			order[i] = i, depth[i] = 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int has_parent = 0;
		for (size_t j = 0; j < n && !has_parent; j++)
			has_parent = j != i && t[i]->ppid > 0 && t[j]->pid == t[i]->ppid;
		if (!has_parent) {
			placed[i] = 1;
			depth[done] = 0;
			order[done++] = i;
		}
	}
	for (size_t k = 0; k < done; k++) {
		pid_t parent = t[order[k]]->pid;
		for (;;) { /* its children, lowest pid first */
			size_t best = n;
			for (size_t i = 0; i < n; i++)
				if (!placed[i] && parent > 0 && t[i]->ppid == parent &&
				    (best == n || t[i]->pid < t[best]->pid))
					best = i;
			if (best == n)
				break;
			placed[best] = 1;
			depth[done] = depth[k] + 1;
			order[done++] = best;
		}
	}
	for (size_t i = 0; i < n; i++) /* a loop of ppids: as given */
		if (!placed[i]) {
			depth[done] = 0;
			order[done++] = i;
		}
	free(placed);
}

int pyx_snapshot_take(struct pyx_target *const *targets, size_t n,
		      const struct pyx_snapshot_opts *opts, struct pyx_snapshot **out,
		      struct pyx_error *err)
{
	struct pyx_snapshot *snap = new_or_error(err);
	size_t *order = malloc((n ? n : 1) * sizeof *order);
	int *depth = malloc((n ? n : 1) * sizeof *depth);
	size_t i = 0;
	int rc = 0;
	if (!snap || !order || !depth) {
		for (i = 0; i < n; i++)
			pyx_target_close(targets[i]);
		free(order);
		free(depth);
		pyx_snapshot_destroy(snap);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	tree_order(targets, n, order, depth);
	for (; i < n; i++) {
		struct pyx_error e;
		struct pyx_target *t = targets[order[i]];
		pyx_error_clear(&e);
		rc = pyx_snapshot_adopt(snap, t, &e);
		if (rc == 0)
			rc = pyx_snapshot_read_target(snap, t, depth[i], opts, &e);
		if (rc == -PYX_E_NOMEM || (rc < 0 && n == 1)) {
			if (err)
				*err = e;
			i++;
			break;
		}
		rc = 0;
	}
	for (; i < n; i++) /* ownership was taken: never leak a target */
		pyx_target_close(targets[order[i]]);
	free(order);
	free(depth);
	if (rc < 0) {
		pyx_snapshot_destroy(snap);
		return rc;
	}
	*out = snap;
	return 0;
}

/* One live process of a tree: opened, adopted and read. */
static int take_live(struct pyx_snapshot *snap, pid_t pid, int depth,
		     const struct pyx_snapshot_opts *opts, struct pyx_error *err)
{
	struct pyx_target *t = NULL;
	int rc = pyx_live_open(pid, &t, err);
	if (!t)
		return rc;
	int arc = pyx_snapshot_adopt(snap, t, rc < 0 ? NULL : err);
	if (arc < 0)
		return rc < 0 ? rc : arc;
	if (rc < 0) {
		/* What could be read of it is shown with the error. */
		struct pyx_process *proc = pyx_snapshot_add_process(snap);
		if (!proc)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		if (rc == -PYX_E_PERM) /* acquire/access.c: say what is missing */
			rc = pyx_access_explain(pid, err ? err->sys_errno : EPERM, err);
		pyx_snapshot_identity(proc, t, depth);
		proc->kernel_thread = t->kernel_thread;
		proc->pid = pid;
		proc->error = err ? err->code : -rc;
		proc->error_msg = err ? pyx_arena_strdup(snap->priv->arena, err->msg) : NULL;
		return rc;
	}
	return pyx_snapshot_read_target(snap, t, depth, opts, err);
}

int pyx_snapshot_take_pid(pid_t pid, const struct pyx_snapshot_opts *opts,
			  struct pyx_snapshot **out, struct pyx_error *err)
{
	struct pyx_snapshot *snap = new_or_error(err);
	if (!snap)
		return -PYX_E_NOMEM;
	int children = opts && (opts->flags & PYX_SNAP_CHILDREN);
	int rc = take_live(snap, pid, 0, opts, err);
	int full = pyx_arena_exhausted(snap->priv->arena); /* the memory bound: keep what was read */
	/* With the tree, a first process we may not read is kept with its
	 * error: its descendants may be readable (another user's workers). */
	if (rc < 0 && !full &&
	    (!children || rc == -PYX_E_NO_PROCESS || rc == -PYX_E_NOMEM ||
	     rc == -PYX_E_INTERRUPTED)) {
		pyx_snapshot_destroy(snap);
		return rc;
	}
	if (children && !full) {
		pid_t *kids = NULL;
		int *depth = NULL;
		size_t n = 0;
		struct pyx_error e;
		pyx_error_clear(&e);
		if (pyx_proc_descendants(pid, opts->max_depth, &kids, &depth, &n, &e) < 0 &&
		    snap->nprocs) {
			/* The tree is incomplete; say so on the first process. */
			snap->procs[0].error = e.code;
			snap->procs[0].error_msg = pyx_arena_strdup(snap->priv->arena, e.msg);
		}
		for (size_t i = 0; i < n && !pyx_arena_exhausted(snap->priv->arena); i++) {
			pyx_error_clear(&e);
			rc = take_live(snap, kids[i], depth[i], opts, &e);
			if (pyx_arena_exhausted(snap->priv->arena))
				break; /* the memory bound: the last record says so */
			if (rc == -PYX_E_NOMEM || rc == -PYX_E_INTERRUPTED) {
				free(kids);
				free(depth);
				pyx_snapshot_destroy(snap);
				if (err)
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
	struct pyx_target *t = NULL;
	int rc = pyx_target_open_reader(fn, ctx, syms, info, &t, err);
	if (rc < 0)
		return rc;
	return pyx_snapshot_take(&t, 1, opts, out, err);
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
	return pyx_proc_state_name(state);
}

const char *pyx_thread_state_name(enum pyx_thread_state state)
{
	switch (state) {
	case PYX_THREAD_RUNNING:
		return "running";
	case PYX_THREAD_IDLE:
		return "idle";
	case PYX_THREAD_STOPPED:
		return "stopped";
	case PYX_THREAD_UNKNOWN:
		break;
	}
	return NULL;
}
