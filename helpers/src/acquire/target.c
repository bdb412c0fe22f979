/* SPDX-License-Identifier: MIT */
/* What every target shares: creation with its own arena, stop/resume
 * bookkeeping, release and close. The implementations fill the rest. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

struct pyx_target *pyx_target_new(const struct pyx_target_ops *ops)
{
	struct pyx_target *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->arena = pyx_arena_create();
	if (!t->arena) {
		free(t);
		return NULL;
	}
	t->own_arena = 1;
	t->ops = ops;
	t->stopped_us = -1;
	t->origin = ops->kind;
	return t;
}

struct pyx_target *pyx_target_new_in(struct pyx_arena *arena, const struct pyx_target_ops *ops)
{
	struct pyx_target *t = pyx_arena_alloc(arena, sizeof *t);
	if (!t)
		return NULL;
	t->arena = arena;
	t->ops = ops;
	t->stopped_us = -1;
	t->origin = ops->kind;
	return t;
}

int pyx_target_stop(struct pyx_target *t, struct pyx_error *err)
{
	if (t->stopped || t->no_stop || !t->ops->stop)
		return 0;
	int rc = t->ops->stop(t, err);
	if (rc == 0)
		t->stopped = 1;
	return rc;
}

void pyx_target_resume(struct pyx_target *t)
{
	if (!t->stopped)
		return;
	if (t->ops->resume)
		t->ops->resume(t);
	t->stopped = 0;
}

void pyx_target_release(struct pyx_target *t)
{
	if (!t)
		return;
	pyx_target_resume(t);
	if (t->ops->release)
		t->ops->release(t);
	if (!t->mem_borrowed)
		pyx_memsrc_close(t->mem);
	t->mem = NULL;
}

void pyx_target_close(struct pyx_target *t)
{
	if (!t)
		return;
	pyx_target_release(t);
	if (t->own_arena) {
		pyx_arena_destroy(t->arena);
		free(t);
	}
}

struct pyx_target_thread *pyx_target_thread(const struct pyx_target *t, pid_t tid)
{
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return &t->threads[i];
	return NULL;
}

const char *pyx_target_file_path(struct pyx_target *t, const char *path)
{
	return t->ops->file_path ? t->ops->file_path(t, path) : path;
}

int pyx_target_maps(struct pyx_target *t, struct pyx_error *err)
{
	if (t->maps_read || !t->ops->read_maps)
		return 0;
	t->maps_read = 1;
	return t->ops->read_maps(t, err);
}

const char *pyx_target_file_problem(struct pyx_target *t, const char *path)
{
	return t->ops->file_problem ? t->ops->file_problem(t, path) : NULL;
}

void pyx_target_warn(struct pyx_target *t, const char *fmt, ...)
{
	char buf[PYX_ERROR_MSG_MAX * 2];
	va_list ap;
	if (t->nwarnings >= PYX_TARGET_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	const char **w = pyx_arena_grow(t->arena, t->warnings, t->nwarnings, t->nwarnings + 1,
					sizeof *w);
	const char *copy = pyx_arena_strdup(t->arena, buf);
	if (!w || !copy)
		return;
	w[t->nwarnings++] = copy;
	t->warnings = w;
}
