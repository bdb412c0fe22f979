/* SPDX-License-Identifier: MIT */
/* ptrace-based stop/resume, bounded in time. A tracer thread of our own
 * seizes every thread (PTRACE_SEIZE + PTRACE_INTERRUPT: no SIGSTOP left in
 * the target's signal state), interrupts them all before waiting for any, and
 * polls for their stops until a deadline. A signal that arrives while we hold
 * a thread is re-delivered at detach, so the target continues as it would
 * have. The kernel refuses PTRACE_DETACH on a thread that is not stopped; a
 * thread seized but never stopped (uninterruptible sleep) is released
 * instead by the tracer thread's exit, which undoes its pending interrupt. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "freeze.h"
#include "proc.h"

enum tracee_state { T_SEIZED, T_STOPPED, T_GONE };

struct tracee {
	pid_t tid;
	enum tracee_state st;
	int fresh; /* seized this round, not interrupted yet */
	int pending_signal;
	uint64_t fs_base;
	int has_regs;
	struct user_regs_struct regs; /* at the stop, for native unwinding */
};

enum phase { PH_FREEZING, PH_FROZEN, PH_FAILED, PH_THAW };

struct pyx_freezer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic int phase; /* enum phase; changed under mu (set_phase) */
	/* Inputs, set before the thread starts. */
	pid_t pid;
	int64_t deadline_us;
	int max_rounds;
	const volatile int *cancel;
	/* Owned by the tracer thread until it publishes a phase. */
	struct tracee *t; /* sorted by tid after each round's seizes */
	size_t n, cap;
	size_t pending; /* seized and interrupted, not stopped or gone yet */
	pid_t *late;	/* threads listed last that were never seized */
	size_t nlate;
	int rc;
	struct pyx_error err;
	int64_t started_us, thawed_us;
};

static int cancelled(const struct pyx_freezer *f)
{
	return f->cancel && *f->cancel;
}

static void sleep_us(int64_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
	/* Only this thread's own time: an interrupted sleep is just shorter. */
	nanosleep(&ts, NULL);
}

void pyx_freeze_test_point(const char *point, const volatile int *cancel)
{
	const char *want = getenv("PYXRAY_TEST_PAUSE");
	size_t len = strlen(point);
	if (!want || strncmp(want, point, len) || (want[len] && want[len] != ':'))
		return;
	long ms = want[len] == ':' ? strtol(want + len + 1, NULL, 10) : 10000;
	const char *fd_text = getenv("PYXRAY_TEST_PAUSE_FD");
	if (fd_text) {
		char line[64];
		int n = snprintf(line, sizeof line, "%s\n", point);
		if (write(atoi(fd_text), line, (size_t)n) < 0)
			return;
	}
	for (int64_t end = pyx_now_us() + ms * 1000; pyx_now_us() < end;) {
		if (cancel && *cancel)
			return;
		sleep_us(1000);
	}
}

static int cmp_tracee(const void *a, const void *b)
{
	pid_t x = ((const struct tracee *)a)->tid, y = ((const struct tracee *)b)->tid;
	return (x > y) - (x < y);
}

/* Among the first n (sorted) tracees; only while a round seizes is the tail
 * of f->t unsorted. */
static struct tracee *find_in(struct pyx_freezer *f, size_t n, pid_t tid)
{
	struct tracee key = {.tid = tid};
	return n ? bsearch(&key, f->t, n, sizeof *f->t, cmp_tracee) : NULL;
}

static struct tracee *find(struct pyx_freezer *f, pid_t tid)
{
	return find_in(f, f->n, tid);
}

static int add(struct pyx_freezer *f, pid_t tid, struct pyx_error *err)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct tracee *t = realloc(f->t, cap * sizeof *t);
		if (!t)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		f->t = t;
		f->cap = cap;
	}
	f->t[f->n++] = (struct tracee){.tid = tid, .st = T_SEIZED, .fresh = 1};
	return 0;
}

/* A wait status for one of our tracees. */
static void on_status(struct pyx_freezer *f, pid_t tid, int status)
{
	struct tracee *t = find(f, tid);
	if (!t || t->st != T_SEIZED)
		return;
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		t->st = T_GONE;
		f->pending--;
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	int sig = WSTOPSIG(status);
	int event = status >> 16;
	/* Our interrupt and group-stops report PTRACE_EVENT_STOP; anything else
	 * is a signal-delivery stop: the thread is stopped, but the signal must
	 * reach it once we let go. */
	if (event != PTRACE_EVENT_STOP && !(sig == SIGTRAP && event))
		t->pending_signal = sig;
	t->st = T_STOPPED;
	f->pending--;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) == 0) {
		t->fs_base = t->regs.fs_base;
		t->has_regs = 1;
	}
}

static size_t count(const struct pyx_freezer *f, enum tracee_state st)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++)
		k += f->t[i].st == st;
	return k;
}

/* Until every seized thread reported a stop (0), the deadline (1) or a
 * cancel (-PYX_E_INTERRUPTED). Polls: a blocking wait could not be bounded
 * without a signal, and signals belong to the host. While stops keep coming
 * (an interrupted thread stops within microseconds) and for 200 us after
 * the last one, polls only yield the CPU; then sleeps grow to 1 ms. Signals
 * are blocked here, so EINTR costs nothing either. */
static int wait_stops(struct pyx_freezer *f, struct pyx_error *err)
{
	int64_t nap = 20, idle_since = pyx_now_us();
	while (f->pending) {
		int status;
		pid_t r = waitpid(-1, &status, __WALL | __WNOTHREAD | WNOHANG);
		if (r > 0) {
			on_status(f, r, status);
			idle_since = 0;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) { /* ECHILD: none of ours is left to report */
			for (size_t i = 0; i < f->n; i++)
				if (f->t[i].st == T_SEIZED)
					f->t[i].st = T_GONE;
			f->pending = 0;
			break;
		}
		if (cancelled(f))
			return pyx_error_set(err, PYX_E_INTERRUPTED, EINTR, 0,
					     "interrupted while stopping pid %d", (int)f->pid);
		int64_t now = pyx_now_us(), left = f->deadline_us - now;
		if (left <= 0)
			return 1;
		if (!idle_since) {
			idle_since = now;
			nap = 20;
		}
		if (now - idle_since < 200) {
			sched_yield();
			continue;
		}
		sleep_us(nap < left ? nap : left);
		if (nap < 1000)
			nap *= 2;
	}
	return 0;
}

/* A thread we cannot seize: gone, a zombie (an exited thread-group leader
 * refuses PTRACE_SEIZE), or a real refusal. */
static int seize_failed(struct pyx_freezer *f, pid_t tid, int e, struct pyx_error *err)
{
	if (e == ESRCH)
		return 0;
	char st = pyx_proc_task_state(f->pid, tid);
	if (st == 'Z' || st == 'X' || st == 0)
		return 0;
	if (e == EPERM)
		return pyx_access_explain(f->pid, e, err);
	return pyx_error_set(err, PYX_E_OS, e, 0, "cannot ptrace pid %d: %s", (int)f->pid,
			     strerror(e));
}

static void detach_stopped(struct pyx_freezer *f)
{
	for (size_t i = 0, done = 0; i < f->n; i++) {
		struct tracee *t = &f->t[i];
		if (t->st != T_STOPPED)
			continue;
		ptrace(PTRACE_DETACH, t->tid, 0, (void *)(uintptr_t)t->pending_signal);
		t->st = T_GONE;
		if (!done++)
			pyx_freeze_test_point("detaching", f->cancel);
	}
}

/* Lists, seizes, interrupts and waits, round after round, until a listing
 * shows no thread we do not hold, the rounds or the deadline run out. */
static int freeze_all(struct pyx_freezer *f)
{
	struct pyx_error *err = &f->err;
	pid_t *tids = NULL;
	size_t ntids = 0;
	int rc = 0, stable = 0;
	for (int round = 0; round < f->max_rounds && !stable; round++) {
		free(tids);
		tids = NULL;
		rc = pyx_proc_tasks(f->pid, &tids, &ntids, err);
		if (rc < 0)
			goto out;
		if (!round)
			pyx_freeze_test_point("listed", f->cancel);
		size_t before = f->n;
		for (size_t i = 0; i < ntids; i++) {
			if (find_in(f, before, tids[i]))
				continue;
			if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0) {
				rc = seize_failed(f, tids[i], errno, err);
				if (rc < 0)
					goto out;
				continue;
			}
			/* On failure the seized thread is released by our exit. */
			if ((rc = add(f, tids[i], err)) < 0)
				goto out;
		}
		if (f->n > 1) /* none seized at all: f->t may be NULL */
			qsort(f->t, f->n, sizeof *f->t, cmp_tracee);
		stable = f->n == before && round > 0;
		if (!round)
			pyx_freeze_test_point("seized", f->cancel);
		if (!f->started_us && f->n > before)
			f->started_us = pyx_now_us();
		for (size_t i = 0; i < f->n; i++) {
			struct tracee *t = &f->t[i];
			if (!t->fresh)
				continue;
			t->fresh = 0;
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
				t->st = T_GONE;
			else
				f->pending++;
		}
		if (!round)
			pyx_freeze_test_point("interrupted", f->cancel);
		rc = wait_stops(f, err);
		if (rc < 0)
			goto out;
		if (rc == 1) { /* the deadline: report the rest, keep what stopped */
			rc = 0;
			break;
		}
	}
	if (!count(f, T_STOPPED) && !count(f, T_SEIZED)) {
		rc = pyx_error_set(err, PYX_E_EXITED, ESRCH, 0, "pid %d exited", (int)f->pid);
		goto out;
	}
	if (!stable) {
		/* Threads that appeared after the last listing run on. */
		free(tids);
		tids = NULL;
		if (pyx_proc_tasks(f->pid, &tids, &ntids, NULL) == 0) {
			f->late = malloc(ntids * sizeof *f->late);
			for (size_t i = 0; f->late && i < ntids; i++)
				if (!find(f, tids[i]))
					f->late[f->nlate++] = tids[i];
		}
	}
	pyx_freeze_test_point("stopped", f->cancel);
	if (cancelled(f))
		rc = pyx_error_set(err, PYX_E_INTERRUPTED, EINTR, 0,
				   "interrupted while stopping pid %d", (int)f->pid);
out:
	free(tids);
	if (rc < 0)
		detach_stopped(f);
	return rc;
}

static void set_phase(struct pyx_freezer *f, enum phase ph)
{
	pthread_mutex_lock(&f->mu);
	atomic_store(&f->phase, ph);
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Until the phase is no longer `from`. The two hand-overs between the
 * caller and the tracer thread fall inside the time the target is stopped,
 * so each side first polls for spin_us, yielding the CPU (a wake-up through
 * the condition variable costs some 15 us, and a scheduler slice on a busy
 * machine), then sleeps on the condition variable. */
static enum phase await_phase(struct pyx_freezer *f, enum phase from, int64_t spin_us)
{
	int ph;
	int64_t until = pyx_now_us() + spin_us;
	while ((ph = atomic_load(&f->phase)) == (int)from && pyx_now_us() < until)
		sched_yield();
	if (ph != (int)from)
		return (enum phase)ph;
	pthread_mutex_lock(&f->mu);
	while ((ph = atomic_load(&f->phase)) == (int)from)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	return (enum phase)ph;
}

enum { SPIN_FROZEN_US = 2000, SPIN_THAW_US = 20000 };

static void *tracer_main(void *arg)
{
	struct pyx_freezer *f = arg;
	int rc = freeze_all(f);
	f->rc = rc;
	set_phase(f, rc < 0 ? PH_FAILED : PH_FROZEN);
	if (rc == 0)
		await_phase(f, PH_FROZEN, SPIN_THAW_US);
	if (rc == 0) {
		detach_stopped(f);
		/* A thread that stopped after the deadline can still be let go
		 * properly; one that did not is released when we exit. */
		int status;
		pid_t r;
		while ((r = waitpid(-1, &status, __WALL | __WNOTHREAD | WNOHANG)) > 0)
			on_status(f, r, status);
		detach_stopped(f);
	}
	f->thawed_us = pyx_now_us();
	return NULL;
}

static void freezer_destroy(struct pyx_freezer *f)
{
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->t);
	free(f->late);
	free(f);
}

/* The caller's view of a frozen process, from the tracer's records. */
static int publish(struct pyx_freezer *f, struct pyx_freeze *out, struct pyx_error *err)
{
	size_t nstop = count(f, T_STOPPED), nun = count(f, T_SEIZED) + f->nlate;
	out->threads = calloc(nstop ? nstop : 1, sizeof *out->threads);
	out->unstopped = calloc(nun ? nun : 1, sizeof *out->unstopped);
	if (!out->threads || !out->unstopped)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	for (size_t i = 0; i < f->n; i++) {
		const struct tracee *t = &f->t[i];
		if (t->st == T_STOPPED)
			out->threads[out->n++] =
			    (struct pyx_frozen_thread){.tid = t->tid,
						       .fs_base = t->fs_base,
						       .has_regs = t->has_regs,
						       .regs = t->regs,
						       .pending_signal = t->pending_signal};
		else if (t->st == T_SEIZED)
			out->unstopped[out->nunstopped++] = (struct pyx_unstopped_thread){
			    .tid = t->tid,
			    .state = pyx_proc_task_state(f->pid, t->tid),
			    .why = PYX_UNSTOPPED_TIMEOUT};
	}
	for (size_t i = 0; i < f->nlate; i++)
		out->unstopped[out->nunstopped++] =
		    (struct pyx_unstopped_thread){.tid = f->late[i],
						  .state = pyx_proc_task_state(f->pid, f->late[i]),
						  .why = PYX_UNSTOPPED_NEW};
	out->started_us = f->started_us;
	return 0;
}

int pyx_freeze(pid_t pid, const struct pyx_freeze_opts *opts, struct pyx_freeze *out,
	       struct pyx_error *err)
{
	memset(out, 0, sizeof *out);
	out->pid = pid;
	unsigned timeout =
	    opts && opts->timeout_ms ? opts->timeout_ms : PYX_FREEZE_DEFAULT_TIMEOUT_MS;
	if (timeout > PYX_FREEZE_MAX_TIMEOUT_MS)
		timeout = PYX_FREEZE_MAX_TIMEOUT_MS;
	out->timeout_ms = timeout;
	struct pyx_freezer *f = calloc(1, sizeof *f);
	if (!f)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->pid = pid;
	f->max_rounds = opts && opts->max_rounds > 0 ? opts->max_rounds : PYX_FREEZE_DEFAULT_ROUNDS;
	f->cancel = opts ? opts->cancel : NULL;
	f->deadline_us = pyx_now_us() + (int64_t)timeout * 1000;
	/* The tracer thread takes no signal: they stay the host's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&f->thread, NULL, tracer_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		freezer_destroy(f);
		return pyx_error_set(err, PYX_E_OS, e, 0,
				     "cannot start a thread to stop pid %d: %s", (int)pid,
				     strerror(e));
	}
	enum phase ph = await_phase(f, PH_FREEZING, SPIN_FROZEN_US);
	if (ph == PH_FAILED) {
		pthread_join(f->thread, NULL);
		int rc = f->rc;
		if (err)
			*err = f->err;
		freezer_destroy(f);
		return rc;
	}
	out->priv = f;
	int rc = publish(f, out, err);
	if (rc == 0) {
		pyx_freeze_test_point("frozen", f->cancel);
		if (cancelled(f))
			rc = pyx_error_set(err, PYX_E_INTERRUPTED, EINTR, 0,
					   "interrupted while pid %d was stopped", (int)pid);
	}
	if (rc < 0)
		pyx_thaw(out);
	return rc;
}

int64_t pyx_thaw(struct pyx_freeze *fz)
{
	int64_t stopped = 0;
	struct pyx_freezer *f = fz->priv;
	if (f) {
		set_phase(f, PH_THAW);
		pthread_join(f->thread, NULL);
		if (f->started_us)
			stopped = f->thawed_us - f->started_us;
		freezer_destroy(f);
	}
	free(fz->threads);
	free(fz->unstopped);
	memset(fz, 0, sizeof *fz);
	return stopped;
}

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	if (*pos >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	*pos += n > 0 ? (size_t)n : 0;
}

int pyx_freeze_describe(const struct pyx_freeze *fz, char *buf, size_t len)
{
	size_t pos = 0;
	if (!fz->nunstopped || !len)
		return 0;
	buf[0] = '\0';
	for (int why = PYX_UNSTOPPED_TIMEOUT; why <= PYX_UNSTOPPED_NEW; why++) {
		size_t k = 0, shown = 0;
		for (size_t i = 0; i < fz->nunstopped; i++)
			k += fz->unstopped[i].why == why;
		if (!k)
			continue;
		append(buf, len, &pos, "%s%s ", pos ? "; " : "", k == 1 ? "thread" : "threads");
		for (size_t i = 0; i < fz->nunstopped && shown < 8; i++) {
			const struct pyx_unstopped_thread *u = &fz->unstopped[i];
			if (u->why != why)
				continue;
			append(buf, len, &pos, "%s%d", shown++ ? ", " : "", (int)u->tid);
			if (u->state && pyx_proc_state_name(u->state))
				append(buf, len, &pos, " (%s)", pyx_proc_state_name(u->state));
		}
		if (k > shown)
			append(buf, len, &pos, " and %zu more", k - shown);
		if (why == PYX_UNSTOPPED_TIMEOUT)
			append(buf, len, &pos, " did not stop within %u ms", fz->timeout_ms);
		else
			append(buf, len, &pos, " started while the others were being stopped");
	}
	return 1;
}
