/* SPDX-License-Identifier: MIT */
/* The calling process as a target (self.c): what the injectable stub reads
 * when it dumps from a signal handler. */
#ifndef PYX_SELF_H
#define PYX_SELF_H

#include "target.h"

/* What a fatal signal says, for the dump's header; zeroed when none. */
struct pyx_self_crash {
	int signo, si_code;
	uint64_t fault_addr;
	pid_t tid;		/* the thread that took it */
};

/* The calling process, in the caller's arena, reading through mem (opened
 * by the caller with pyx_memsrc_open_self and PYX_MEMSRC_PREALLOC; not
 * closed by the target) from the interpreter symbols the caller found.
 * Identity, threads (with their states) and the crash are read with system
 * calls only: async-signal-safe and allocation-free. syms NULL: no
 * interpreter was found (the snapshot then says so). crash NULL: none.
 * -PYX_E_NOMEM when the arena is full. */
int pyx_self_open_in(struct pyx_arena *arena, struct pyx_memsrc *mem,
		     const struct pyx_python_syms *syms, const struct pyx_self_crash *crash,
		     struct pyx_target **out, struct pyx_error *err);

#endif
