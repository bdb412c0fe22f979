/* SPDX-License-Identifier: MIT */
/* The stub's state, shared by arming (arm.c: the constructor and the
 * exported entry points), the signal handler (handler.c) and the dump
 * (dump.c). Everything a handler touches is set up before the handlers are
 * installed and lives in memory reserved at arming: a handler allocates
 * nothing and takes no lock but the dump lock, whose waits have deadlines. */
#ifndef PYX_STUB_H
#define PYX_STUB_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/memsrc.h>
#include <pyxray/target.h>

#include "spec.h"

/* Budgets (docs/stub.md): the snapshot buffer holds the whole model of one
 * dump (about 1.2 KiB per frame kept, measured: 16 threads x 500 frames need
 * 10 MiB); address space reserved, not memory, until a dump touches it. The
 * dump runs on its own stack (one dump at a time), whose measured use is
 * about 16 KiB for the budget of 48 KiB; the alternate signal stack of the
 * threads that arm holds the kernel's signal frame, the handler's entry and
 * any handler it chains to. */
enum {
	PYX_STUB_BUFFER = 64 << 20,
	PYX_STUB_DUMP_STACK = 256 << 10,
	PYX_STUB_STACK_BUDGET = 48 << 10,
	PYX_STUB_ALT_STACK = 64 << 10,
	PYX_STUB_LOCK_WAIT_MS = 3000,	/* a crash waits this long for a dump in progress */
};

struct pyx_stub {
	/* reserved at the first arming, kept for the life of the process */
	struct pyx_memsrc *mem;		/* own memory, preallocated page cache */
	unsigned char *buf;		/* snapshot buffer */
	size_t buf_len;
	unsigned char *stack;		/* the dump's stack (above a guard page) */
	size_t stack_len;
	uint64_t r_debug;		/* the loader's struct r_debug, for later lookups */
	char exe[PATH_MAX];

	/* the interpreter, found when arming or by a later dump */
	volatile int have_syms;
	struct pyx_python_syms syms;
	char python_path[PATH_MAX];

	/* what is armed: changed under the dump lock */
	volatile uint64_t mask;		/* signals that dump */
	char dir[PATH_MAX];
	int json;
	uint64_t installed;		/* signals whose handler we installed and that
					   still lead to us */
	struct sigaction prev[PYX_STUB_MAXSIG + 1]; /* what each had before */

	/* the dump lock: the tid that holds it, 0 when free */
	volatile pid_t owner;

	/* statistics (pyxray_stub_stat) */
	volatile long long dumps, last_dump_ns, last_dump_cpu_ns, max_buffer;
};

extern struct pyx_stub pyx_stub;

/* The signal handler (installed with SA_SIGINFO). */
void pyx_stub_handler(int sig, siginfo_t *si, void *uc);

/* The dump lock. pyx_stub_lock: 1 taken, 0 held by another thread (after
 * waiting up to wait_ms), -1 held by this very thread (a fault inside our
 * own dump). A holder that no longer exists (a fork) is replaced. */
int pyx_stub_lock(pid_t tid, int wait_ms);
void pyx_stub_unlock(void);

/* Writes DIR/pyxray-PID.txt (and .json) for the signal; the thread tid took
 * it, crash says whether it is a fatal one. Runs on the dump stack. */
struct pyx_stub_job {
	int sig;
	const siginfo_t *si;
	pid_t tid;
	int fatal;		/* the signal ends the process after the dump */
};
void pyx_stub_dump(struct pyx_stub_job *job);

/* Looks for the interpreter again (signal-safe: the loader's list in
 * memory); 1 when found now. */
int pyx_stub_find_python_now(void);

/* The stack switch (onstack.S): calls fn(arg) with its stack pointer at top. */
void pyx_stub_call_on_stack(void (*fn)(void *), void *arg, void *top);

/* Nanoseconds of CLOCK_MONOTONIC, or of the calling thread's CPU time
 * (async-signal-safe). */
long long pyx_stub_now_ns(void);
long long pyx_stub_cpu_ns(void);

#endif
