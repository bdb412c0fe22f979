/* SPDX-License-Identifier: MIT */
/* Snapshot lifetime, and taking one from a live process: locate Python,
 * choose the layout, stop the threads, decode, resume. Everything slow that
 * does not need the target stopped (ELF lookups, layout validation) happens
 * before the stop, so the target stays stopped only while its frames are read. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../decode/code.h"
#include "../decode/runtime.h"
#include "../target/freeze.h"
#include "../target/locate.h"
#include "../target/proc.h"
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
	struct pyx_process *procs = pyx_arena_grow(snap->priv->arena, snap->procs, snap->nprocs,
						   snap->nprocs + 1, sizeof *procs);
	if (!procs)
		return NULL;
	snap->procs = procs;
	struct pyx_process *p = &procs[snap->nprocs++];
	memset(p, 0, sizeof *p);
	p->stopped_us = -1;
	return p;
}

void pyx_snapshot_destroy(struct pyx_snapshot *snap)
{
	if (!snap)
		return;
	if (snap->priv)
		pyx_arena_destroy(snap->priv->arena);
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

/* glibc keeps the kernel tid inside struct pthread, whose address is the
 * pthread_t that CPython stores as thread_id. Its offset is not exported, so
 * find the one offset at which every thread's pthread holds one of the
 * process's tids (0x2d0 on current x86-64 glibc is tried first). */
static void resolve_tids_by_memory(struct pyx_memsrc *src, struct pyx_process *proc,
				   const pid_t *tasks, size_t ntasks)
{
	enum { SCAN = 0x1000 };
	size_t want = 0;
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++)
			want += proc->interps[i].threads[j].tid < 0;
	if (!want)
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t off = pass ? 0 : 0x2d0; off < SCAN; off += 4) {
			int all = 1, any = 0;
			for (size_t i = 0; i < proc->ninterps && all; i++) {
				struct pyx_interp *in = &proc->interps[i];
				for (size_t j = 0; j < in->nthreads && all; j++) {
					struct pyx_thread *th = &in->threads[j];
					uint32_t v;
					if (th->tid >= 0 || !th->thread_id)
						continue;
					int found = 0;
					if (pyx_memsrc_read(src, th->thread_id + off, &v, 4, NULL) == 0)
						for (size_t k = 0; k < ntasks && !found; k++)
							found = tasks[k] == (pid_t)v;
					all = found;
					any = 1;
				}
			}
			if (all && any) {
				for (size_t i = 0; i < proc->ninterps; i++)
					for (size_t j = 0; j < proc->interps[i].nthreads; j++) {
						struct pyx_thread *th = &proc->interps[i].threads[j];
						uint32_t v;
						if (th->tid < 0 && th->thread_id &&
						    pyx_memsrc_read(src, th->thread_id + off, &v, 4,
								    NULL) == 0)
							th->tid = (int64_t)v;
					}
				return;
			}
			if (!pass)
				break;
		}
	}
}

static void resolve_tids(struct pyx_memsrc *src, struct pyx_process *proc,
			 const struct pyx_freeze *fz)
{
	for (size_t i = 0; i < proc->ninterps; i++)
		for (size_t j = 0; j < proc->interps[i].nthreads; j++) {
			struct pyx_thread *th = &proc->interps[i].threads[j];
			for (size_t k = 0; th->tid < 0 && k < fz->n; k++)
				if (fz->threads[k].fs_base && fz->threads[k].fs_base == th->thread_id)
					th->tid = fz->threads[k].tid;
		}
	pid_t *tasks = NULL;
	size_t ntasks = 0;
	if (pyx_proc_tasks(proc->pid, &tasks, &ntasks, NULL) == 0)
		resolve_tids_by_memory(src, proc, tasks, ntasks);
	free(tasks);
}

static int take_live(struct pyx_snapshot *snap, pid_t pid, const struct pyx_snapshot_opts *opts,
		     struct pyx_error *err)
{
	struct pyx_arena *arena = snap->priv->arena;
	struct pyx_memsrc *src = NULL;
	struct pyx_freeze fz;
	struct pyx_layout layout;
	struct pyx_python_syms syms;
	struct pyx_proc_status st;
	struct pyx_map *maps = NULL;
	size_t nmaps = 0;
	struct pyx_decoder d;
	memset(&fz, 0, sizeof fz);
	memset(&d, 0, sizeof d);
	unsigned flags = opts ? opts->flags : 0;
	int rc = pyx_proc_status(pid, &st, err);
	if (rc < 0)
		return rc;
	struct pyx_process *proc = pyx_snapshot_add_process(snap);
	if (!proc)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	proc->pid = pid;
	proc->ppid = st.ppid;
	proc->executable = pyx_proc_exe(pid, arena);
	pyx_proc_cmdline(pid, arena, &proc->argv, &proc->argc, NULL);
	if (st.state == 'Z' || st.state == 'X')
		return pyx_error_set(err, PYX_E_EXITED, 0, 0, "pid %d is a zombie (it has exited)",
				     (int)pid);
	rc = pyx_proc_maps(pid, arena, &maps, &nmaps, err);
	if (rc < 0)
		goto out;
	rc = pyx_locate_python(pid, maps, nmaps, arena, &syms, err);
	if (rc < 0)
		goto out;
	proc->python_path = syms.path;
	rc = pyx_memsrc_open_live(pid, PYX_MEMSRC_CACHE, &src, err);
	if (rc < 0)
		goto out;
	rc = pyx_runtime_detect(src, &syms, &layout, err);
	if (rc < 0)
		goto out;
	if (!(flags & PYX_SNAP_NONBLOCKING)) {
		rc = pyx_freeze(pid, &fz, err);
		if (rc < 0)
			goto out;
		pyx_memsrc_invalidate(src);
	}
	d.src = src;
	d.layout = &layout;
	d.arena = arena;
	pyx_limits_default(&d.limits);
	if (opts && opts->max_frames)
		d.limits.max_frames = opts->max_frames;
	rc = pyx_code_cache_create(&d, err);
	if (rc < 0)
		goto out;
	rc = pyx_runtime_decode(&d, &syms, flags, proc, err);
	if (rc == 0)
		resolve_tids(src, proc, &fz);
out:
	if (fz.n)
		proc->stopped_us = pyx_thaw(&fz);
	pyx_code_cache_destroy(&d);
	free(d.visited);
	pyx_memsrc_close(src);
	if (rc < 0 && err && err->code == PYX_E_FAULT && kill(pid, 0) < 0)
		rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0, "pid %d exited while being read",
				   (int)pid);
	return rc;
}

int pyx_snapshot_take_pid(pid_t pid, const struct pyx_snapshot_opts *opts,
			  struct pyx_snapshot **out, struct pyx_error *err)
{
	struct pyx_snapshot *snap = pyx_snapshot_new();
	if (!snap)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	int rc = take_live(snap, pid, opts, err);
	if (rc < 0) {
		pyx_snapshot_destroy(snap);
		return rc;
	}
	*out = snap;
	return 0;
}
