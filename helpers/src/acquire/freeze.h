/* SPDX-License-Identifier: MIT */
/* Stopping a live process's threads for a consistent read, within a deadline,
 * and letting them all go again. Also records each stopped thread's
 * registers (for native unwinding) and fs_base, which on x86-64 glibc is its
 * pthread_t (threading.get_ident()). */
#ifndef PYX_FREEZE_H
#define PYX_FREEZE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include <pyxray/error.h>

#include "../util/clock.h"

enum {
	PYX_FREEZE_DEFAULT_TIMEOUT_MS = 300,
	PYX_FREEZE_MAX_TIMEOUT_MS = 60000,
	PYX_FREEZE_DEFAULT_ROUNDS = 16, /* task listings before giving up on new threads */
};

struct pyx_freeze_opts {
	unsigned timeout_ms; /* deadline for the whole stop; 0: the default */
	int max_rounds;	     /* 0: the default */
	/* NULL, or a flag that becomes non-zero when the caller wants out (a
	 * signal handler sets it): the freeze lets every thread go and fails
	 * with -PYX_E_INTERRUPTED. Read from another thread. */
	const volatile int *cancel;
};

struct pyx_frozen_thread {
	pid_t tid;
	uint64_t fs_base;   /* pthread_self() of that thread, 0 when unknown */
	int has_regs;	    /* regs holds its registers at the stop */
	struct user_regs_struct regs;
	int pending_signal; /* signal to re-deliver at detach, 0 when none */
};

enum pyx_unstopped_why {
	PYX_UNSTOPPED_TIMEOUT = 1, /* seized, but not stopped by the deadline */
	PYX_UNSTOPPED_NEW,	   /* appeared after the last listing of threads */
};

struct pyx_unstopped_thread {
	pid_t tid;
	char state; /* /proc state letter when given up on ('D', 'R'...), 0 unknown */
	int why;    /* enum pyx_unstopped_why */
};

struct pyx_freezer;

struct pyx_freeze {
	pid_t pid;
	struct pyx_frozen_thread *threads; /* the threads held stopped */
	size_t n;
	struct pyx_unstopped_thread *unstopped; /* threads that run on meanwhile */
	size_t nunstopped;
	unsigned timeout_ms; /* the deadline that was used */
	int64_t started_us;  /* monotonic time of the first stop */
	struct pyx_freezer *priv;
};

/* Seizes and stops every thread of pid, threads created meanwhile too, all
 * within opts->timeout_ms (opts may be NULL). The ptrace requests come from
 * a tracer thread of our own that blocks every signal, so a wait is never
 * cut short by one, and whatever it still holds is released by the kernel
 * when it exits: no thread stays seized or stopped past pyx_thaw(), nor past
 * a crash or kill of the caller. A thread that does not stop in time (in
 * uninterruptible sleep, say a vfork parent) or that appeared after the last
 * listing is reported in out->unstopped and the call still succeeds with
 * the others stopped. Fails with -PYX_E_PERM (naming the tracer when one is
 * attached already, else what is missing: pyx_access_explain),
 * -PYX_E_NO_PROCESS / -PYX_E_EXITED when the process is gone,
 * -PYX_E_INTERRUPTED when opts->cancel was raised, -PYX_E_NOMEM, -PYX_E_OS;
 * on failure nothing stays stopped. Every successful call needs a pyx_thaw. */
int pyx_freeze(pid_t pid, const struct pyx_freeze_opts *opts, struct pyx_freeze *out,
	       struct pyx_error *err);

/* Resumes and detaches every thread (re-delivering pending signals) and
 * returns how long the process was stopped, in microseconds. Safe on a
 * zeroed struct and after a failed pyx_freeze. */
int64_t pyx_thaw(struct pyx_freeze *fz);

/* One line on the threads that ran on ("thread 1234 (disk-sleep) did not
 * stop within 300 ms"), into buf; 0 when there were none. */
int pyx_freeze_describe(const struct pyx_freeze *fz, char *buf, size_t len);

/* Test hook: with PYXRAY_TEST_PAUSE=POINT[:MS] in the environment, the
 * freeze pauses at POINT ("listed", "seized", "interrupted", "stopped",
 * "frozen", "detaching") for MS milliseconds (default 10000), writing
 * "POINT\n" first to the file descriptor PYXRAY_TEST_PAUSE_FD when set.
 * Returns early when *cancel (may be NULL) becomes non-zero. */
void pyx_freeze_test_point(const char *point, const volatile int *cancel);

#endif
