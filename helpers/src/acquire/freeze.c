/* SPDX-License-Identifier: MIT */
/* ptrace-based stop/resume. PTRACE_SEIZE + PTRACE_INTERRUPT leave no trace
 * in the target's signal state (unlike PTRACE_ATTACH's SIGSTOP); a signal that
 * arrives while we hold a thread is recorded and re-delivered at detach, so
 * the target continues exactly as it would have. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

#include "freeze.h"
#include "proc.h"

enum { MAX_ROUNDS = 16 };

int64_t pyx_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int perm_error(pid_t pid, int e, struct pyx_error *err)
{
	struct pyx_proc_status st;
	if (pyx_proc_status(pid, &st, NULL) == 0 && st.tracer)
		return pyx_error_set(err, PYX_E_PERM, e, 0,
				     "pid %d is already traced by pid %d (a debugger?); detach it "
				     "first or use --nonblocking to read without stopping",
				     (int)pid, (int)st.tracer);
	return pyx_error_set(err, PYX_E_PERM, e, 0,
			     "cannot ptrace pid %d: permission denied; run as the same user as "
			     "the target or as root, and check /proc/sys/kernel/yama/ptrace_scope "
			     "(0 allows tracing your own processes) or CAP_SYS_PTRACE",
			     (int)pid);
}

static int is_frozen(const struct pyx_freeze *fz, pid_t tid)
{
	for (size_t i = 0; i < fz->n; i++)
		if (fz->threads[i].tid == tid)
			return 1;
	return 0;
}

/* Waits until tid reports a stop; records a signal to re-deliver. Returns 0,
 * or -1 when the thread is gone. */
static int wait_stopped(struct pyx_frozen_thread *t)
{
	for (int tries = 0; tries < 64; tries++) {
		int status;
		pid_t r = waitpid(t->tid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			return -1;
		if (!WIFSTOPPED(status))
			continue;
		int sig = WSTOPSIG(status);
		int event = status >> 16;
		if (event == PTRACE_EVENT_STOP || (sig == SIGTRAP && event))
			return 0; /* our interrupt, or a group-stop */
		/* A signal-delivery stop: the thread is stopped, but the signal
		 * must reach it once we let go. */
		t->pending_signal = sig;
		return 0;
	}
	return -1;
}

int pyx_freeze(pid_t pid, struct pyx_freeze *out, struct pyx_error *err)
{
	memset(out, 0, sizeof *out);
	out->pid = pid;
	int rc = 0;
	size_t cap = 0;
	pid_t *tids = NULL;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		size_t ntids = 0, added = 0;
		free(tids);
		tids = NULL;
		rc = pyx_proc_tasks(pid, &tids, &ntids, err);
		if (rc < 0)
			goto fail;
		for (size_t i = 0; i < ntids; i++) {
			if (is_frozen(out, tids[i]))
				continue;
			if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0) {
				if (errno == ESRCH)
					continue; /* thread exited meanwhile */
				rc = errno == EPERM ? perm_error(pid, errno, err)
						    : pyx_error_set(err, PYX_E_OS, errno, 0,
								    "cannot ptrace pid %d: %s", (int)pid,
								    strerror(errno));
				goto fail;
			}
			if (!out->started_us)
				out->started_us = pyx_now_us();
			if (out->n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct pyx_frozen_thread *nt =
					realloc(out->threads, ncap * sizeof *nt);
				if (!nt) {
					ptrace(PTRACE_DETACH, tids[i], 0, 0);
					rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
					goto fail;
				}
				out->threads = nt;
				cap = ncap;
			}
			struct pyx_frozen_thread *t = &out->threads[out->n++];
			memset(t, 0, sizeof *t);
			t->tid = tids[i];
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 || wait_stopped(t) < 0) {
				/* Gone or not stopping: never leave it seized. */
				ptrace(PTRACE_DETACH, t->tid, 0,
				       (void *)(uintptr_t)t->pending_signal);
				out->n--;
				continue;
			}
			struct user_regs_struct regs;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) == 0)
				t->fs_base = regs.fs_base;
			added++;
		}
		if (added == 0 && round > 0)
			break;
		if (added == 0 && out->n == 0) {
			rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0, "pid %d exited", (int)pid);
			goto fail;
		}
	}
	free(tids);
	return 0;
fail:
	free(tids);
	pyx_thaw(out);
	return rc;
}

int64_t pyx_thaw(struct pyx_freeze *fz)
{
	int64_t stopped = fz->started_us ? pyx_now_us() - fz->started_us : 0;
	for (size_t i = 0; i < fz->n; i++)
		ptrace(PTRACE_DETACH, fz->threads[i].tid, 0,
		       (void *)(uintptr_t)fz->threads[i].pending_signal);
	free(fz->threads);
	fz->threads = NULL;
	fz->n = 0;
	fz->started_us = 0;
	return stopped;
}
