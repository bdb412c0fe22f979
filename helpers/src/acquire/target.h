/* SPDX-License-Identifier: MIT */
/* The acquisition interface (public handle: <pyxray/target.h>). A target
 * gives the snapshot layer everything it needs from one process, whatever
 * the source: memory, mapped objects, threads, identity, an optional stop
 * and resume, and for post-mortem sources the crash. Implementations: live.c
 * (a pid), reader.c (a host's reader), core.c (a core file), self.c (the
 * calling process). Nothing above this layer knows a pid's /proc or a file
 * descriptor. */
#ifndef PYX_TARGET_H
#define PYX_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/target.h>

#include "../util/arena.h"
#include "proc.h"

/* General registers of a thread, in the order of x86-64's
 * struct user_regs_struct (the NT_PRSTATUS and PTRACE_GETREGS layout). */
struct pyx_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi,
		orig_rax, rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};

enum {
	PYX_SYSCALL_NONE = -1,	  /* not in a system call */
	PYX_SYSCALL_UNKNOWN = -2, /* cannot tell */
};

struct pyx_target_thread {
	pid_t tid;
	char state;		/* the kernel's state letter before any stop (R, S, D, ...), 0 unknown */
	int64_t syscall;	/* system call it waits in, or PYX_SYSCALL_* */
	uint64_t fs_base;	/* its TLS base: glibc's pthread_self(); 0 unknown */
	const char *name;	/* the kernel's name for it (comm), NULL unknown */
	int has_regs;		/* regs holds its registers (a stop, a core) */
	struct pyx_regs regs;
};

struct pyx_target;
struct pyx_locate_cache;

struct pyx_target_ops {
	const char *kind;	/* "live", "core", "reader", "self" */
	/* Where a file the target maps can be opened from here (arena memory),
	 * or NULL when it cannot. NULL op: the path itself. */
	const char *(*file_path)(struct pyx_target *t, const char *path);
	/* Why file_path gave NULL for a file, in one line naming what fixes it
	 * (arena memory); NULL op or NULL: no reason known. */
	const char *(*file_problem)(struct pyx_target *t, const char *path);
	/* Fills t->maps when they are first needed (live: /proc/PID/maps, the
	 * costliest file of a process to read). NULL op: filled at open. */
	int (*read_maps)(struct pyx_target *t, struct pyx_error *err);
	/* Stops the target for a consistent read and fills each thread's
	 * fs_base and registers. NULL op: nothing to stop (already stopped). */
	int (*stop)(struct pyx_target *t, struct pyx_error *err);
	/* Lets it run again; sets t->stopped_us. Called only after stop. */
	void (*resume)(struct pyx_target *t);
	/* Releases the source (memory, descriptors); identity strings stay. */
	void (*release)(struct pyx_target *t);
	/* Finds the interpreter when the target does not know its symbols:
	 * pyx_locate_target (the mapped files, through *cache, made when first
	 * needed) for live processes and cores. NULL op: nothing to look in
	 * (the stub's own process without an interpreter), so no file reader
	 * is linked where it is not used. */
	int (*locate)(struct pyx_target *t, struct pyx_locate_cache **cache,
		      struct pyx_python_syms *out, struct pyx_error *err);
};

struct pyx_target {
	const struct pyx_target_ops *ops;
	void *ctx;		/* the implementation's state */
	struct pyx_arena *arena; /* identity strings, maps, threads */
	int own_arena;		/* arena and struct are ours to free */
	struct pyx_memsrc *mem;	/* NULL once released */
	int mem_borrowed;	/* mem belongs to the caller (the stub's): never closed */

	/* identity */
	pid_t pid, ppid;	/* 0 when unknown */
	const char *exe;	/* NULL when unknown */
	const char **argv;
	size_t argc;
	const char *cwd;	/* NULL when unknown */
	char state;		/* process state letter, 0 unknown */
	pid_t tracer;		/* live: TracerPid, 0 when none */
	const char *kernel_thread; /* its name when a kernel thread (no user memory), else NULL */

	/* mapped objects (live /proc maps, a core's NT_FILE): see pyx_target_maps */
	struct pyx_map *maps;
	size_t nmaps;
	int maps_read;		/* read_maps was called */

	/* threads */
	struct pyx_target_thread *threads;
	size_t nthreads;

	/* the interpreter's symbols when the source knows them (a host) */
	int has_syms;
	struct pyx_python_syms syms;

	/* a stop */
	int stopped;
	int64_t stopped_us;	/* how long it was held, -1 never */
	int no_stop;		/* held by someone else (a debugger): never stop */
	unsigned stop_timeout_ms; /* deadline for a stop; 0: the default (freeze.h) */
	const volatile int *cancel; /* NULL, or the caller's flag to give up a stop */
	/* What a stop could not hold (threads that ran on: uninterruptible
	 * sleep, or started meanwhile), filled by stop: one line and their ids. */
	const char *stop_note;	/* NULL when every thread was held */
	pid_t *not_stopped;
	size_t nnot_stopped;

	/* post-mortem: where the data comes from and the crash, if any */
	const char *origin;	/* "live", "core", "gcore", "stub", "reader" */
	int signo, si_code;	/* 0 when none */
	uint64_t fault_addr;
	pid_t crash_tid;	/* 0 when none */
	const char *core_path;	/* the core file read, NULL for other sources */

	/* what is wrong but not fatal, one line each (arena memory) */
	const char **warnings;
	size_t nwarnings;

	struct pyx_locate_cache *files; /* ELF lookups shared across targets, borrowed */
};

/* A zeroed target with its own arena (NULL on failure). */
struct pyx_target *pyx_target_new(const struct pyx_target_ops *ops);
/* A zeroed target living in the caller's arena (no malloc; NULL when full). */
struct pyx_target *pyx_target_new_in(struct pyx_arena *arena, const struct pyx_target_ops *ops);

/* Stops the target if it can be (no-op otherwise). */
int pyx_target_stop(struct pyx_target *t, struct pyx_error *err);
/* Resumes it if stopped. */
void pyx_target_resume(struct pyx_target *t);
/* Closes its memory and descriptors; identity strings stay valid. */
void pyx_target_release(struct pyx_target *t);

/* The thread record of tid, or NULL. */
struct pyx_target_thread *pyx_target_thread(const struct pyx_target *t, pid_t tid);

/* Path to open for a mapped file (see ops->file_path). */
const char *pyx_target_file_path(struct pyx_target *t, const char *path);

/* Makes t->maps available (ops->read_maps, once). 0 or its error. */
int pyx_target_maps(struct pyx_target *t, struct pyx_error *err);

/* Why a mapped file cannot be used (see ops->file_problem), or NULL. */
const char *pyx_target_file_problem(struct pyx_target *t, const char *path);

/* Adds a warning (printf-style, kept in the arena); dropped when out of
 * memory or past PYX_TARGET_MAX_WARNINGS. */
enum { PYX_TARGET_MAX_WARNINGS = 64 };
void pyx_target_warn(struct pyx_target *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
