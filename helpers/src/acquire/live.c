/* SPDX-License-Identifier: MIT */
/* A live process as a target: identity and threads from /proc, memory
 * through /proc/PID/mem, and a stop by ptrace (freeze.c) that also gives
 * each thread's registers (native unwinding reads them). Everything that
 * needs no stopped process is read when the target is opened, so the stop
 * lasts only as long as the decoder's reads; the mappings only if locating
 * the interpreter needs them (a pool's workers are located from their
 * parent's, see locate.c). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "freeze.h"
#include "live.h"
#include "locate.h"
#include "proc.h"

struct live {
	struct pyx_freeze fz;
};

static const char *live_file_path(struct pyx_target *t, const char *path)
{
	return pyx_proc_file_path(t->pid, path, t->arena);
}

static struct pyx_target_thread *add_thread(struct pyx_target *t, pid_t tid, size_t *cap)
{
	if (t->nthreads == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct pyx_target_thread *nt =
			pyx_arena_grow(t->arena, t->threads, t->nthreads, ncap, sizeof *nt);
		if (!nt)
			return NULL;
		t->threads = nt;
		*cap = ncap;
	}
	struct pyx_target_thread *th = &t->threads[t->nthreads++];
	memset(th, 0, sizeof *th);
	th->tid = tid;
	th->syscall = PYX_SYSCALL_UNKNOWN;
	return th;
}

/* The threads the freeze could not hold, into the target (before the thaw
 * frees the freeze's lists). */
static void note_unstopped(struct pyx_target *t, const struct pyx_freeze *fz)
{
	char msg[PYX_ERROR_MSG_MAX];
	if (!pyx_freeze_describe(fz, msg, sizeof msg))
		return;
	t->not_stopped = pyx_arena_calloc(t->arena, fz->nunstopped, sizeof *t->not_stopped);
	for (size_t i = 0; t->not_stopped && i < fz->nunstopped; i++)
		t->not_stopped[i] = fz->unstopped[i].tid;
	t->nnot_stopped = t->not_stopped ? fz->nunstopped : 0;
	t->stop_note = pyx_arena_strdup(t->arena, msg);
}

/* ptrace's register block to ours (the same fields, named once). */
static void regs_from_user(struct pyx_regs *r, const struct user_regs_struct *u)
{
	r->r15 = u->r15;
	r->r14 = u->r14;
	r->r13 = u->r13;
	r->r12 = u->r12;
	r->rbp = u->rbp;
	r->rbx = u->rbx;
	r->r11 = u->r11;
	r->r10 = u->r10;
	r->r9 = u->r9;
	r->r8 = u->r8;
	r->rax = u->rax;
	r->rcx = u->rcx;
	r->rdx = u->rdx;
	r->rsi = u->rsi;
	r->rdi = u->rdi;
	r->orig_rax = u->orig_rax;
	r->rip = u->rip;
	r->cs = u->cs;
	r->eflags = u->eflags;
	r->rsp = u->rsp;
	r->ss = u->ss;
	r->fs_base = u->fs_base;
	r->gs_base = u->gs_base;
	r->ds = u->ds;
	r->es = u->es;
	r->fs = u->fs;
	r->gs = u->gs;
}

static int live_stop(struct pyx_target *t, struct pyx_error *err)
{
	struct live *lv = t->ctx;
	struct pyx_freeze_opts fopts = {.timeout_ms = t->stop_timeout_ms, .cancel = t->cancel};
	int rc = pyx_freeze(t->pid, &fopts, &lv->fz, err);
	if (rc < 0)
		return rc;
	note_unstopped(t, &lv->fz);
	size_t cap = t->nthreads;
	for (size_t i = 0; i < lv->fz.n; i++) {
		const struct pyx_frozen_thread *f = &lv->fz.threads[i];
		struct pyx_target_thread *th = pyx_target_thread(t, f->tid);
		if (!th && !(th = add_thread(t, f->tid, &cap)))
			continue; /* out of memory: that thread's fs_base stays unknown */
		th->fs_base = f->fs_base;
		if (f->has_regs) {
			regs_from_user(&th->regs, &f->regs);
			th->has_regs = 1;
		}
	}
	pyx_memsrc_invalidate(t->mem);
	return 0;
}

static void live_resume(struct pyx_target *t)
{
	struct live *lv = t->ctx;
	t->stopped_us = pyx_thaw(&lv->fz);
}

static void live_release(struct pyx_target *t)
{
	free(t->ctx);
	t->ctx = NULL;
}

static int live_maps(struct pyx_target *t, struct pyx_error *err)
{
	return pyx_proc_maps(t->pid, t->arena, &t->maps, &t->nmaps, err);
}

static const struct pyx_target_ops live_ops = {
	.kind = "live",
	.file_path = live_file_path,
	.read_maps = live_maps,
	.stop = live_stop,
	.resume = live_resume,
	.release = live_release,
	.locate = pyx_locate_target,
};

static int read_threads(struct pyx_target *t, struct pyx_error *err)
{
	pid_t *tids = NULL;
	size_t n = 0, cap = 0;
	int rc = pyx_proc_tasks(t->pid, &tids, &n, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct pyx_target_thread *th = add_thread(t, tids[i], &cap);
		if (!th) {
			rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
			break;
		}
		if (pyx_proc_task_info(t->pid, tids[i], &th->state, &th->syscall) < 0)
			th->state = 0;
		th->name = pyx_proc_task_name(t->pid, tids[i], t->arena);
	}
	free(tids);
	return rc;
}

int pyx_live_open(pid_t pid, struct pyx_target **out, struct pyx_error *err)
{
	struct pyx_proc_status st;
	*out = NULL;
	if (pid <= 0)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "invalid pid %d", (int)pid);
	int rc = pyx_proc_status(pid, &st, err);
	if (rc < 0)
		return rc;
	struct pyx_target *t = pyx_target_new(&live_ops);
	struct live *lv = calloc(1, sizeof *lv);
	if (!t || !lv) {
		free(lv);
		pyx_target_close(t);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	t->ctx = lv;
	t->pid = pid;
	t->ppid = st.ppid;
	t->state = st.state;
	t->exe = pyx_proc_exe(pid, t->arena);
	t->cwd = pyx_proc_cwd(pid, t->arena);
	pyx_proc_cmdline(pid, t->arena, &t->argv, &t->argc, NULL);
	/* A debugger's inferior: its tracer holds it, and a second seize would
	 * fail. The snapshot layer decides whether that tracer is the caller. */
	t->tracer = st.tracer;
	if (st.kthread) {
		t->kernel_thread = pyx_arena_strdup(t->arena, st.name);
		rc = pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0,
				   "pid %d (%s) is a kernel thread: it has no user memory and runs "
				   "no Python",
				   (int)pid, st.name);
		goto fail;
	}
	if (st.state == 'Z' || st.state == 'X') {
		rc = pyx_error_set(err, PYX_E_EXITED, 0, 0, "pid %d is a zombie (it has exited)",
				   (int)pid);
		goto fail;
	}
	rc = read_threads(t, err);
	if (rc < 0)
		goto fail;
	rc = pyx_memsrc_open_live(pid, PYX_MEMSRC_CACHE, &t->mem, err);
	if (rc < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	*out = t; /* identity is still worth showing: the caller closes it */
	return rc;
}

int pyx_target_open_pid(pid_t pid, struct pyx_target **out, struct pyx_error *err)
{
	struct pyx_target *t = NULL;
	int rc = pyx_live_open(pid, &t, err);
	if (rc < 0) {
		pyx_target_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int pyx_live_gone(const struct pyx_target *t)
{
	return t->pid > 0 && kill(t->pid, 0) < 0 && errno == ESRCH;
}
