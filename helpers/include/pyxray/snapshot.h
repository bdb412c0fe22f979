/* SPDX-License-Identifier: MIT */
/* The snapshot model every front end prints from: processes -> interpreters
 * -> threads -> frames, taken from one or more targets (<pyxray/target.h>).
 * A snapshot owns all its memory and is immutable once taken. The text,
 * JSON and ps formatters print it. */
#ifndef PYXRAY_SNAPSHOT_H
#define PYXRAY_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>
#include <pyxray/target.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PYX_JSON_SCHEMA_VERSION = 1 };

/* A frame's variable, or a child of one (pyx_snapshot_children). */
struct pyx_var {
	const char *name;	/* a child: "[i]", a dict key's repr, an attribute name */
	const char *repr;	/* bounded repr, or NULL when undecodable */
	const char *kind;	/* "arg", "local", "cell", "free"; a child: "item" (of
				   a list, tuple or set), "entry" (of a dict), "attr" */
	uint64_t addr;		/* the object (a cell's content); 0 for an empty cell */
	uint64_t nchildren;	/* children pyx_snapshot_children lists, 0 when none */
	int indexed;		/* they are items named [i] (a list, tuple or set),
				   not entries or attributes */
};

/* What a thread was doing when it was read, as far as the source tells. */
enum pyx_thread_state {
	PYX_THREAD_UNKNOWN = 0,
	PYX_THREAD_RUNNING,	/* on a CPU or runnable, not in a system call */
	PYX_THREAD_IDLE,	/* blocked in the kernel (py-spy's "idle"): see syscall */
	PYX_THREAD_STOPPED,	/* stopped by a signal or a debugger before we came */
};

enum pyx_frame_kind {
	PYX_FRAME_PYTHON = 0,	/* a Python function's frame */
	PYX_FRAME_NATIVE = 1,	/* a machine-code frame (PYX_SNAP_NATIVE) */
};

/* A Python frame, or with PYX_SNAP_NATIVE a native one: for those,
 * function and qualname are the symbol (NULL when none covers pc), file
 * and line the source position from debug information (NULL and 0 when
 * there is none), and the Python-only fields are zero. */
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
	enum pyx_frame_kind kind;
	/* native frames */
	uint64_t pc;		/* the innermost frame's pc, a return address above it */
	uint64_t symbol_offset;	/* pc - the symbol's address */
	const char *library;	/* the mapped object holding pc, NULL when none */
	uint64_t library_offset; /* pc as an address in that object's file (addr2line's) */
	int is_eval;		/* the interpreter's evaluation loop, which runs the Python
				   frames above it (kept with PYX_SNAP_NATIVE_ALL) */
	int interp_internal;	/* the interpreter's own frame: an evaluation loop or its
				   call machinery (kept with PYX_SNAP_NATIVE_ALL, or
				   standing in for another interpreter's Python frames) */
};

enum pyx_task_state {
	PYX_TASK_PENDING = 1,	/* waits to run, or on what it awaits */
	PYX_TASK_RUNNING = 2,	/* its coroutine is running on its thread now */
	PYX_TASK_CANCELLING = 3, /* cancel() was asked; it has not ended yet */
};

/* An asyncio task that is not done. */
struct pyx_task {
	uint64_t id;		/* the Task object's address */
	const char *name;	/* "Task-3" or the name the program gave; NULL unreadable */
	enum pyx_task_state state;
	int is_python;		/* the pure-Python asyncio.Task, not _asyncio's */
	uint64_t loop_addr;	/* its event loop */
	struct pyx_frame *frames; /* its coroutine stack, innermost first (a running
				     task: its thread's frames down to its coroutine) */
	size_t nframes;
	const uint64_t *awaits;	/* ids of the tasks it waits on */
	size_t nawaits;
	int error;		/* 0, or PYX_E_*: the stack was cut where it ends */
	const char *error_msg;
};

struct pyx_thread {
	uint64_t tstate_addr;
	uint64_t thread_id;	/* threading.get_ident(): pthread_self() */
	int64_t tid;		/* native thread id (LWP), -1 when unknown */
	const char *name;	/* threading name, NULL when unknown */
	int holds_gil;
	int in_gc;		/* it runs the garbage collector */
	enum pyx_thread_state state;
	int64_t syscall;	/* the system call it waits in, -1 none or unknown */
	const char *syscall_name; /* "futex", "epoll_wait"... NULL when none/unknown */
	int crashed;		/* the thread that took the fatal signal (cores, stub) */
	struct pyx_frame *frames; /* innermost first */
	size_t nframes;
	size_t omitted;		/* frames left out between the inner and outer ends */
	size_t omitted_at;	/* index in frames where they were (== nframes if none) */
	int truncated;		/* 0, or PYX_E_LIMIT / PYX_E_BAD_DATA: chain cut */
	const char *truncated_msg; /* why the chain was cut, NULL if not */
	uint64_t loop_addr;	/* with PYX_SNAP_TASKS: the event loop it runs, 0 none */
	struct pyx_task *tasks;	/* with PYX_SNAP_TASKS: the tasks of that loop */
	size_t ntasks;
	/* with PYX_SNAP_NATIVE */
	int native;		/* frames holds native frames too */
	int no_python;		/* an OS thread without a Python thread state
				   (struct pyx_process's native_threads) */
	const char *native_error; /* why its native stack ends early, NULL when it
				     reaches the thread's first frame */
};

struct pyx_interp {
	int64_t id;		/* 0 for the main interpreter */
	int is_main;
	uint64_t addr;
	struct pyx_thread *threads;
	size_t nthreads;
	int error;		/* 0, or PYX_E_* when its thread list failed */
	const char *error_msg;
	int gc_collecting;	/* its garbage collector is running; -1 unknown (3.6) */
	/* With PYX_SNAP_TASKS: */
	int tasks_read;		/* tasks were looked for */
	const char *tasks_source; /* where they were found ("per-thread task lists...") */
	int tasks_error;	/* 0, or PYX_E_*: some tasks could not be read */
	const char *tasks_error_msg;
	struct pyx_task *stopped_loop_tasks; /* tasks of loops that no thread runs */
	size_t nstopped_loop_tasks;
};

struct pyx_process {
	pid_t pid;		/* 0 when unknown (a bare memory image) */
	pid_t ppid;
	const char *executable;	/* NULL when unknown */
	const char *role;	/* multiprocessing name ("ForkPoolWorker-3"), NULL when none */
	const char *kernel_thread; /* a kernel thread's name ("kthreadd"): no user memory,
				      so no Python; NULL for a user process */
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
	const char *cwd;	/* its working directory, NULL when unknown */
	const char *source;	/* where it was read from: "live", "core", "gcore", "stub", "reader" */
	int signal;		/* the fatal signal (cores, stub crash dumps), 0 when none */
	int signal_code;	/* its si_code */
	uint64_t fault_addr;	/* si_addr for SIGSEGV, SIGBUS, SIGILL, SIGFPE */
	pid_t crash_tid;	/* the thread that took the fatal signal, 0 when none */
	const char *core_file;	/* the core file it was read from, NULL otherwise */
	const char **warnings;	/* what is wrong but not fatal, one line each (a file
				   missing or of another build, a core cut short) */
	size_t nwarnings;
	/* Read while some of its threads ran on (they did not stop within the
	 * deadline, e.g. in uninterruptible sleep, or kept appearing): the
	 * stacks may not all be from one moment. NULL when every thread was
	 * held (or with PYX_SNAP_NONBLOCKING, where running is the request). */
	const char *inconsistent; /* one line: which threads and why */
	const int64_t *not_stopped; /* their native ids */
	size_t nnot_stopped;
	/* with PYX_SNAP_NATIVE: the OS threads that have no Python thread
	 * state (a C library's thread pool), with their native stacks */
	struct pyx_thread *native_threads;
	size_t nnative_threads;
	const char *native_error; /* why no thread could be unwound, NULL when they could */
};

struct pyx_snapshot {
	int schema_version;
	struct pyx_process *procs;
	size_t nprocs;
	struct pyx_snapshot_priv *priv;
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
	/* Every asyncio task that is not done (3.8+): its coroutine stack, its
	 * state and the tasks it awaits, in the thread that runs its loop. */
	PYX_SNAP_TASKS = 1u << 6,
	/* Native frames too, unwound from each thread's registers while the
	 * target is stopped (a live target must be stopped: not with
	 * PYX_SNAP_NONBLOCKING), interleaved with the Python frames in call
	 * order: each interpreter evaluation frame is replaced by the Python
	 * frames it runs. OS threads without Python are listed too. */
	PYX_SNAP_NATIVE = 1u << 7,
	/* With PYX_SNAP_NATIVE: keep the interpreter's own frames as well:
	 * each evaluation frame below the Python frames it runs, and the call
	 * machinery between them (vectorcall, tp_call slots, _Py* helpers). */
	PYX_SNAP_NATIVE_ALL = 1u << 8,
};

struct pyx_snapshot_opts {
	unsigned flags;		/* PYX_SNAP_* */
	size_t max_frames;	/* frames kept per thread, the innermost and the outermost
				   halves; 0: default (4096) */
	int max_depth;		/* with PYX_SNAP_CHILDREN: 0 no limit, 1 children only, ... */
	unsigned stop_timeout_ms; /* deadline to stop one process's threads; 0: the default
				     (300 ms); the ones not stopped by then are reported
				     in pyx_process.inconsistent and the read goes on */
	/* NULL, or a flag (set by a signal handler or another thread) that ends
	 * the take early: every process resumed, -PYX_E_INTERRUPTED. */
	const volatile int *cancel;
	size_t max_memory;	/* bytes the snapshot may hold (docs/limits.md); 0: the
				   default, 1 GiB. Past it, the process being read is cut
				   with -PYX_E_LIMIT and no further process is read */
	/* With PYX_SNAP_NATIVE: folders holding separate debug files
	 * (DIR/.build-id/xx/rest.debug, DIR/path/of/object/debuglink),
	 * colon-separated; NULL: /usr/lib/debug; "": none. */
	const char *debug_dirs;
};

enum { PYX_SNAP_DEFAULT_MAX_MEMORY_MB = 1024 };

/* Takes a snapshot of the given targets and takes ownership of them (each
 * is closed, or kept for pyx_snapshot_lookup with PYX_SNAP_KEEP_SOURCE, by
 * the snapshot). Targets of one tree (say the cores a pool left) are
 * ordered as pyx_snapshot_take_pid orders a live tree: each parent before
 * its children (by ppid), breadth first, each with its depth; unrelated
 * targets keep the order given. Each is stopped, unless
 * PYX_SNAP_NONBLOCKING, only while it is read. A target that cannot be read
 * keeps its error in its process record; the call fails only with
 * -PYX_E_NOMEM, or when a single target fails (its error). */
int pyx_snapshot_take(struct pyx_target *const *targets, size_t n,
		      const struct pyx_snapshot_opts *opts, struct pyx_snapshot **out,
		      struct pyx_error *err);

/* Takes a snapshot of a live process. Stops every thread of the target
 * (ptrace seize + interrupt) while it reads, then resumes and detaches,
 * unless PYX_SNAP_NONBLOCKING. With PYX_SNAP_CHILDREN every descendant
 * follows the process asked for (breadth first), each stopped only while it
 * is read; a process that cannot be read (not Python, a kernel thread,
 * exited, a zombie, not permitted) is kept with its error and the rest go
 * on, and the call fails only when the first process does not exist. Fails (with a one-line message in *err) with
 * -PYX_E_NO_PROCESS, -PYX_E_PERM, -PYX_E_NOT_PYTHON,
 * -PYX_E_UNSUPPORTED_VERSION, -PYX_E_EXITED, -PYX_E_NOMEM, -PYX_E_INTERRUPTED
 * (opts->cancel). Stopping threads is bounded by opts->stop_timeout_ms, and
 * no thread stays stopped or traced when the call returns. Decode failures
 * inside the process (a bad frame chain) are kept in the snapshot instead.
 * opts may be NULL. *out must be released with pyx_snapshot_destroy. */
int pyx_snapshot_take_pid(pid_t pid, const struct pyx_snapshot_opts *opts,
			  struct pyx_snapshot **out, struct pyx_error *err);

/* Takes a snapshot through a host's reader (GDB for cores and remote
 * targets; the host keeps the target stopped): pyx_target_open_reader and
 * pyx_snapshot_take. syms gives the relocated symbol addresses the host
 * knows; info (NULL allowed) the process identity. With
 * PYX_SNAP_KEEP_SOURCE, fn and ctx must stay valid until the snapshot is
 * destroyed. Errors as for pyx_snapshot_take_pid. */
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

/* The children of the object at obj_addr in the process that `frame` (one
 * of this snapshot's frames) belongs to: the items of a list, tuple, set or
 * frozenset (named "[i]"), the entries of a dict (named by the key's
 * bounded repr), the attributes of an instance or a class (by name). Rows
 * start .. start + max - 1, at most PYX_SNAP_CHILDREN_MAX a call; *total is
 * how many there are. Each has its bounded repr (as in locals), address
 * and own child count, so a frontend can expand further. *vars lives as
 * long as the snapshot. Needs PYX_SNAP_KEEP_SOURCE (-PYX_E_INVALID
 * otherwise); -PYX_E_BAD_DATA when the object is not a container or is
 * garbage, -PYX_E_FAULT when it cannot be read. */
enum { PYX_SNAP_CHILDREN_MAX = 1000 };
int pyx_snapshot_children(struct pyx_snapshot *snap, const struct pyx_frame *frame,
			  uint64_t obj_addr, size_t start, size_t max,
			  const struct pyx_var **vars, size_t *n, uint64_t *total,
			  struct pyx_error *err);

/* NULL allowed. */
void pyx_snapshot_destroy(struct pyx_snapshot *snap);

/* The frame at these indices (as in the JSON arrays), or NULL. */
const struct pyx_frame *pyx_snapshot_frame(const struct pyx_snapshot *snap, size_t proc,
					   size_t interp, size_t thread, size_t frame);

#ifdef __cplusplus
}
#endif
#endif
