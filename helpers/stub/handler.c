/* SPDX-License-Identifier: MIT */
/* The stub's signal handler: one dump at a time per process, run on the
 * dump stack, then the signal goes where it would have gone without us:
 * to the handler installed before (faulthandler, the program's own), or to
 * the default action, re-raised so that the exit status and the core file
 * are those of the original signal. System calls only; every wait has a
 * deadline. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stub.h"

long long pyx_stub_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long pyx_stub_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int thread_exists(pid_t tid)
{
	return syscall(SYS_tgkill, getpid(), tid, 0) == 0 || errno != ESRCH;
}

int pyx_stub_lock(pid_t tid, int wait_ms)
{
	long long deadline = pyx_stub_now_ns() + (long long)wait_ms * 1000000LL;
	for (;;) {
		pid_t cur = 0;
		if (__atomic_compare_exchange_n(&pyx_stub.owner, &cur, tid, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		if (cur == tid)
			return -1;
		/* The holder is gone: a fork copied the lock without its thread. */
		if (!thread_exists(cur) &&
		    __atomic_compare_exchange_n(&pyx_stub.owner, &cur, tid, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		if (pyx_stub_now_ns() >= deadline)
			return 0;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
}

void pyx_stub_unlock(void)
{
	__atomic_store_n(&pyx_stub.owner, 0, __ATOMIC_RELEASE);
}

/* The signals a fault raises again when its instruction runs again. */
static int refaults(int sig, const siginfo_t *si)
{
	return si && si->si_code > 0 &&
	       (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
}

/* Lets the default action happen as if we had never been there. */
static void default_action(int sig, const siginfo_t *si, pid_t tid)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	if (refaults(sig, si))
		return; /* returning runs the faulting instruction again: same core */
	/* Sent (kill, raise, abort): blocked while we run, delivered as we
	 * return, to this thread. */
	syscall(SYS_tgkill, getpid(), tid, sig);
}

/* Hands the signal on to what was installed before us. */
static void chain(int sig, siginfo_t *si, void *uc, pid_t tid, int armed)
{
	const struct sigaction *p = &pyx_stub.prev[sig];
	if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
		p->sa_sigaction(sig, si, uc);
		return;
	}
	if (p->sa_handler == SIG_IGN)
		return;
	if (p->sa_handler != SIG_DFL) {
		p->sa_handler(sig);
		return;
	}
	if (pyx_stub_sig_default_ignores(sig) || (armed && pyx_stub_sig_is_owned(sig)))
		return; /* the dump was what this signal was for */
	default_action(sig, si, tid);
}

static void run_dump(void *arg)
{
	pyx_stub_dump(arg);
}

/* Whether the signal ends the process once we hand it on. */
static int is_fatal(int sig)
{
	const struct sigaction *p = &pyx_stub.prev[sig];
	if (pyx_stub_sig_is_crash(sig))
		return 1;
	return p->sa_handler == SIG_DFL && !(p->sa_flags & SA_SIGINFO) &&
	       !pyx_stub_sig_is_owned(sig) && !pyx_stub_sig_default_ignores(sig);
}

void pyx_stub_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int armed = sig > 0 && sig <= PYX_STUB_MAXSIG &&
		    (__atomic_load_n(&pyx_stub.mask, __ATOMIC_ACQUIRE) & pyx_sigbit(sig));
	if (armed) {
		/* A crash waits for a dump in progress (another thread's, or a
		 * SIGUSR2's) so that it is not lost; a dump request while one
		 * runs is dropped. A fault inside our own dump skips it. */
		int fatal = is_fatal(sig);
		int got = pyx_stub_lock(tid, pyx_stub_sig_is_crash(sig) ? PYX_STUB_LOCK_WAIT_MS : 0);
		if (got == 1) {
			struct pyx_stub_job job = {.sig = sig, .si = si, .tid = tid, .fatal = fatal};
			/* 16-byte aligned top of the dump stack */
			void *top = (void *)(((uintptr_t)pyx_stub.stack + pyx_stub.stack_len) &
					     ~(uintptr_t)15);
			pyx_stub_call_on_stack(run_dump, &job, top);
			pyx_stub_unlock();
		}
	}
	if (sig > 0 && sig <= PYX_STUB_MAXSIG)
		chain(sig, si, uc, tid, armed);
	errno = saved_errno;
}
