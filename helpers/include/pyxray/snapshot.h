/* SPDX-License-Identifier: MIT */
/* The snapshot model every front end prints from: processes -> interpreters
 * -> threads -> frames. A snapshot owns all its memory (one arena) and is
 * immutable once taken. Text and JSON formatters live here too. */
#ifndef PYXRAY_SNAPSHOT_H
#define PYXRAY_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PYX_JSON_SCHEMA_VERSION = 1 };

struct pyx_var {
	const char *name;
	const char *repr;	/* bounded repr, or NULL when undecodable */
	const char *kind;	/* "arg", "local", "cell", "free" */
};

struct pyx_frame {
	const char *function;	/* co_name */
	const char *qualname;	/* co_qualname on 3.11+, co_name before */
	const char *file;	/* co_filename */
	int line;		/* 1-based; 0 when unknown */
	int is_entry;		/* first Python frame entered from C (3.11+), else 0 */
	uint64_t frame_addr;	/* remote frame address */
	uint64_t code_addr;	/* remote code object address */
	uint64_t globals_addr;	/* remote f_globals dict, 0 when unknown */
	int error;		/* 0, or PYX_E_* when this frame failed to decode */
	const char *error_msg;	/* NULL unless error */
	struct pyx_var *locals;	/* with PYX_SNAP_LOCALS, else NULL */
	size_t nlocals;
};

struct pyx_thread {
	uint64_t tstate_addr;
	uint64_t thread_id;	/* threading.get_ident(): pthread_self() */
	int64_t tid;		/* native thread id (LWP), -1 when unknown */
	const char *name;	/* threading name, NULL when unknown */
	int holds_gil;
	struct pyx_frame *frames; /* innermost first */
	size_t nframes;
	int truncated;		/* 0, or PYX_E_LIMIT / PYX_E_BAD_DATA: chain cut */
	const char *truncated_msg; /* why the chain was cut, NULL if not */
};

struct pyx_interp {
	int64_t id;		/* 0 for the main interpreter */
	int is_main;
	uint64_t addr;
	struct pyx_thread *threads;
	size_t nthreads;
	int error;		/* 0, or PYX_E_* when its thread list failed */
	const char *error_msg;
};

struct pyx_process {
	pid_t pid;		/* 0 when unknown (a bare memory image) */
	pid_t ppid;
	const char *executable;	/* NULL when unknown */
	const char *role;	/* multiprocessing name ("ForkPoolWorker-3"), NULL when none */
	char state;		/* /proc state: 'R', 'S', 'D', 'T', 't', 'Z'; 0 when unknown */
	int depth;		/* 0 for the process asked for, 1 for its children, ... */
	int is_python;		/* an interpreter was found */
	const char **argv;	/* argc entries */
	size_t argc;
	const char *python_version; /* "3.11.7" */
	uint32_t version_hex;
	const char *python_path; /* the object that holds the interpreter */
	const char *layout_source; /* "table 3.11", "_Py_DebugOffsets + table 3.14" */
	struct pyx_interp *interps;
	size_t ninterps;
	size_t nthreads;	/* OS threads running Python (one thread may hold a
				   thread state in several interpreters) */
	int error;		/* 0, or PYX_E_* when this process could not be read */
	const char *error_msg;
	int64_t stopped_us;	/* how long it was kept stopped, -1 when not stopped */
};

struct pyx_snapshot {
	int schema_version;
	struct pyx_process *procs;
	size_t nprocs;
	struct pyx_snapshot_priv *priv;
};

/* Where a target's interpreter lives: relocated addresses of the symbols the
 * decoder starts from. Found from ELF files for live pids; a host such as GDB
 * may fill it from its own symbol lookup. */
struct pyx_python_syms {
	uint64_t runtime;	 /* _PyRuntime (3.7+), 0 when absent */
	uint64_t py_version;	 /* Py_Version (3.11+), 0 when absent */
	uint64_t tstate_current; /* _PyThreadState_Current (3.6), 0 when absent */
	uint64_t interp_head;	 /* the static interp_head variable (3.6), 0 when absent */
	uint64_t interp_head_fn; /* PyInterpreterState_Head (3.6), when interp_head is not
				    known: its one load instruction gives interp_head */
	uint32_t version_hex;	 /* when known without Py_Version: major.minor only (low
				    16 bits zero), else 0: readers then take it from the
				    file names of path and the executable */
	const char *path;	 /* the executable or library that holds them */
};

enum pyx_snapshot_flags {
	PYX_SNAP_NONBLOCKING = 1u << 0, /* do not stop the target while reading */
	PYX_SNAP_LOCALS = 1u << 1,	 /* decode each frame's local variables */
	PYX_SNAP_NO_THREAD_NAMES = 1u << 2, /* skip threading name lookup */
	PYX_SNAP_KEEP_SOURCE = 1u << 3, /* keep the memory source for pyx_snapshot_lookup */
	PYX_SNAP_CHILDREN = 1u << 4,	 /* every descendant process too (pyx_snapshot_take_pid) */
	/* A process the caller itself traces (a debugger's inferior, which its
	 * tracer holds stopped) is read without being stopped again; ptrace
	 * could not seize it anyway. The others, descendants included, are
	 * still stopped while read unless PYX_SNAP_NONBLOCKING. */
	PYX_SNAP_HELD_BY_CALLER = 1u << 5,
};

/* Identity of a process whose memory comes from a host reader (cores,
 * remote targets): what /proc would say for a live pid. */
struct pyx_process_info {
	pid_t pid, ppid;
	const char *executable;
	const char *const *argv;
	size_t argc;
	const pid_t *tids;	/* the process's threads (LWPs), NULL allowed: before 3.11
				   CPython keeps no native thread id, and these map its
				   thread ids (pthread_t) to LWPs */
	size_t ntids;
};

struct pyx_snapshot_opts {
	unsigned flags;		/* PYX_SNAP_* */
	size_t max_frames;	/* 0: default (4096 per thread) */
	int max_depth;		/* with PYX_SNAP_CHILDREN: 0 no limit, 1 children only, ... */
};

/* Takes a snapshot of a live process. Stops every thread of the target
 * (ptrace seize + interrupt) while it reads, then resumes and detaches,
 * unless PYX_SNAP_NONBLOCKING. With PYX_SNAP_CHILDREN every descendant
 * follows the process asked for (breadth first), each stopped only while it
 * is read; a descendant that cannot be read (not Python, exited, a zombie)
 * is kept with its error and the rest go on, and the call fails only when
 * the first process does not exist. Fails (with a one-line message in *err) with
 * -PYX_E_NO_PROCESS, -PYX_E_PERM, -PYX_E_NOT_PYTHON,
 * -PYX_E_UNSUPPORTED_VERSION, -PYX_E_EXITED, -PYX_E_NOMEM. Decode failures
 * inside the process (a bad frame chain) are kept in the snapshot instead.
 * opts may be NULL. *out must be released with pyx_snapshot_destroy. */
int pyx_snapshot_take_pid(pid_t pid, const struct pyx_snapshot_opts *opts,
			  struct pyx_snapshot **out, struct pyx_error *err);

/* Takes a snapshot through a host's reader (GDB for cores and remote
 * targets; the host keeps the target stopped). syms gives the relocated
 * symbol addresses the host knows; info (NULL allowed) the process identity.
 * With PYX_SNAP_KEEP_SOURCE, fn and ctx must stay valid until the snapshot
 * is destroyed. Errors as for pyx_snapshot_take_pid. */
int pyx_snapshot_take_reader(pyx_memsrc_read_fn fn, void *ctx, const struct pyx_python_syms *syms,
			     const struct pyx_process_info *info,
			     const struct pyx_snapshot_opts *opts, struct pyx_snapshot **out,
			     struct pyx_error *err);

/* Looks `name` up as Python would when reading it in `frame` (one of this
 * snapshot's frames): locals, then globals, then builtins. *scope is
 * "local", "global" or "builtin"; *repr a bounded repr. Both live as long as
 * the snapshot. Needs PYX_SNAP_KEEP_SOURCE; -PYX_E_NOT_FOUND when unbound. */
int pyx_snapshot_lookup(struct pyx_snapshot *snap, const struct pyx_frame *frame,
			const char *name, const char **scope, const char **repr,
			struct pyx_error *err);

/* NULL allowed. */
void pyx_snapshot_destroy(struct pyx_snapshot *snap);

enum pyx_format_flags {
	PYX_FMT_LOCALS = 1u << 0, /* print locals under each frame (text) */
	PYX_FMT_ADDRS = 1u << 1,	/* print frame and code addresses (text) */
	PYX_FMT_GROUP = 1u << 2,	/* threads with identical stacks printed once (text) */
	PYX_FMT_TRACEBACK = 1u << 3, /* python-gdb.py's py-bt style: File "f", line N, in q */
	PYX_FMT_SOURCE = 1u << 4,	/* with TRACEBACK: the source line under each frame */
	PYX_FMT_NO_HEADER = 1u << 5, /* no process and interpreter headers (text); with
				      only_tid, no thread header either */
};

/* Text report. Returns 0 or -PYX_E_OS on write errors. */
int pyx_format_text(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err);

/* One JSON document (docs/json.md), newline-terminated. */
int pyx_format_json(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err);

/* One line per process: pid (indented by depth), ppid, Python version,
 * state, threads, sub-interpreters, GIL holder, command (pyxray ps). */
int pyx_format_ps(const struct pyx_snapshot *snap, FILE *out, struct pyx_error *err);

/* For hosts that cannot pass a FILE (GDB through ctypes): the text (json 0)
 * or JSON (json 1) report in a malloc'd string, released with pyx_free.
 * only_tid >= 0 limits the report to the thread with that native id (JSON:
 * every process and interpreter, only that thread). */
int pyx_format_string(const struct pyx_snapshot *snap, int json, unsigned flags, int64_t only_tid,
		      char **out, struct pyx_error *err);
void pyx_free(void *p);

/* The frame at these indices (as in the JSON arrays), or NULL. */
const struct pyx_frame *pyx_snapshot_frame(const struct pyx_snapshot *snap, size_t proc,
					   size_t interp, size_t thread, size_t frame);

#ifdef __cplusplus
}
#endif
#endif
