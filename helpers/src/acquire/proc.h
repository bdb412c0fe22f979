/* SPDX-License-Identifier: MIT */
/* What /proc says about a live process: mappings, threads, argv, exe, ppid,
 * state. Every list read from /proc is bounded. */
#ifndef PYX_PROC_H
#define PYX_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>

#include "../util/arena.h"

struct pyx_map {
	uint64_t start, end, offset;
	char perms[5];
	const char *path; /* NULL for anonymous mappings */
};

enum { PYX_PROC_MAX_MAPS = 1 << 16, PYX_PROC_MAX_TASKS = 1 << 15, PYX_PROC_MAX_ARGS = 4096 };

/* Mappings of pid, from /proc/PID/maps. */
int pyx_proc_maps(pid_t pid, struct pyx_arena *arena, struct pyx_map **out, size_t *out_n,
		  struct pyx_error *err);

/* Thread ids (LWPs) of pid, from /proc/PID/task. */
int pyx_proc_tasks(pid_t pid, pid_t **out, size_t *out_n, struct pyx_error *err);

/* argv (NUL-separated /proc/PID/cmdline), in the arena. */
int pyx_proc_cmdline(pid_t pid, struct pyx_arena *arena, const char ***out, size_t *out_n,
		     struct pyx_error *err);

/* The NUL-separated arguments in text[0..len) (a cmdline file's bytes,
 * NUL-terminated at len) as at most PYX_PROC_MAX_ARGS pointers into text,
 * the array from the arena (signal-safe with a caller-buffer arena); NULL
 * when the arena is full. */
const char **pyx_proc_split_args(const char *text, size_t len, struct pyx_arena *arena,
				 size_t *out_n);

/* readlink /proc/PID/exe, in the arena; NULL when unreadable. */
const char *pyx_proc_exe(pid_t pid, struct pyx_arena *arena);

struct pyx_proc_status {
	pid_t ppid;
	pid_t tracer;	/* TracerPid, 0 when none */
	char state;	/* R, S, D, T, t, Z, X */
	char name[32];	/* Name: (comm) */
	int nthreads;
	int kthread;	/* a kernel thread: no user memory (Kthread:, or PF_KTHREAD) */
};

/* Parses /proc/PID/status. -PYX_E_NO_PROCESS when the pid is gone. */
int pyx_proc_status(pid_t pid, struct pyx_proc_status *out, struct pyx_error *err);

/* State letter of one thread (/proc/PID/task/TID/stat), 0 when unreadable. */
char pyx_proc_task_state(pid_t pid, pid_t tid);

/* "running", "sleeping", "disk-sleep", "stopped"... for a /proc state
 * letter; NULL when unknown. */
const char *pyx_proc_state_name(char state);

/* Descendants of root (not root itself), breadth first, each with its depth
 * (children 1, grandchildren 2, ...), at most max_depth deep (0: no limit)
 * and PYX_PROC_MAX_TREE processes. One scan of /proc: processes started
 * meanwhile may be missed, ones that exit meanwhile are simply gone. */
enum { PYX_PROC_MAX_TREE = 4096 };
int pyx_proc_descendants(pid_t root, int max_depth, pid_t **out, int **depth_out, size_t *out_n,
			 struct pyx_error *err);

/* A thread's state letter (/proc/PID/task/TID/stat) and the system call it
 * is blocked in (/proc/.../syscall: its number, -1 when it is not in one or
 * running, -2 when that cannot be read). 0, or -1 when the thread is gone.
 * System calls only: async-signal-safe (the stub's self target). */
int pyx_proc_task_info(pid_t pid, pid_t tid, char *state, int64_t *syscall);

/* A thread's name as the kernel keeps it (/proc/PID/task/TID/comm, at most
 * 15 bytes), in the arena; NULL when unreadable. */
const char *pyx_proc_task_name(pid_t pid, pid_t tid, struct pyx_arena *arena);

/* readlink /proc/PID/cwd, in the arena; NULL when unreadable. */
const char *pyx_proc_cwd(pid_t pid, struct pyx_arena *arena);

/* Path to open a file the process maps, seen from inside its mount
 * namespace ("/proc/PID/root" + path) when that exists, else path. */
const char *pyx_proc_file_path(pid_t pid, const char *path, struct pyx_arena *arena);

#endif
