/* SPDX-License-Identifier: MIT */
/* Stopping a live process's threads for a consistent read: ptrace seize and
 * interrupt every thread, then resume and detach. Also records each thread's
 * fs_base, which on x86-64 glibc is its pthread_t (threading.get_ident()). */
#ifndef PYX_FREEZE_H
#define PYX_FREEZE_H

#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>

struct pyx_frozen_thread {
	pid_t tid;
	uint64_t fs_base;	/* pthread_self() of that thread, 0 when unknown */
	int pending_signal;	/* signal to re-deliver at detach, 0 when none */
};

struct pyx_freeze {
	pid_t pid;
	struct pyx_frozen_thread *threads;
	size_t n;
	int64_t started_us;	/* monotonic time of the first stop */
};

/* Seizes and stops every thread of pid (threads created meanwhile too).
 * -PYX_E_PERM names the tracer when one is attached already and explains
 * ptrace permissions otherwise; -PYX_E_NO_PROCESS / -PYX_E_EXITED when the
 * process is gone. On failure nothing stays attached. */
int pyx_freeze(pid_t pid, struct pyx_freeze *out, struct pyx_error *err);

/* Resumes and detaches every thread (re-delivering pending signals) and
 * returns how long the process was stopped, in microseconds. Safe on a
 * zeroed struct. */
int64_t pyx_thaw(struct pyx_freeze *fz);


/* Monotonic clock in microseconds. */
int64_t pyx_now_us(void);

#endif
