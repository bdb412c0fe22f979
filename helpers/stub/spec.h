/* SPDX-License-Identifier: MIT */
/* Which signals the stub answers: PYXRAY_DUMP_ON and `pyxray arm --on`.
 * Shared by the stub (which parses the spec it is given, in the target) and
 * the CLI (which checks it and warns about handlers already installed). */
#ifndef PYX_STUB_SPEC_H
#define PYX_STUB_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* Signals 1..64, bit sig - 1. */
enum { PYX_STUB_MAXSIG = 64 };

static inline uint64_t pyx_sigbit(int sig)
{
	return sig >= 1 && sig <= PYX_STUB_MAXSIG ? 1ull << (sig - 1) : 0;
}

/* Parses a comma list: "crash" (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT),
 * signal names with or without "SIG" in any case ("usr2", "SIGTERM"),
 * "rtmin+N" / "rtmax-N", or numbers. SIGKILL and SIGSTOP cannot be caught
 * and are refused. 0 and the set in *mask, or -1 with a one-line reason in
 * why. */
int pyx_stub_spec_parse(const char *spec, uint64_t *mask, char *why, size_t why_size);

/* "SIGUSR2", "SIGRTMIN+3" for sig, in buf. */
const char *pyx_stub_sig_name(int sig, char *buf, size_t size);

/* The signals a crash raises (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT):
 * their dump names the crashing thread and the faulting address. */
int pyx_stub_sig_is_crash(int sig);

/* Signals whose default action is to terminate that the stub keeps as its
 * own while armed (SIGUSR1, SIGUSR2, real-time signals): after the dump the
 * process goes on. For every other signal the stub lets the disposition
 * it found act after its dump (terminate, dump core, ignore). */
int pyx_stub_sig_is_owned(int sig);

/* Whether the default action of sig is to ignore it. */
int pyx_stub_sig_default_ignores(int sig);

#endif
