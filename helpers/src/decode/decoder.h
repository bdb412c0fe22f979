/* SPDX-License-Identifier: MIT */
/* The decoder's contract: what to decode (struct pyx_decode_opts), where the
 * runtime starts (struct pyx_dec_roots), and the results it fills (struct
 * pyx_dec_*), all in the arena it is given. It knows memory sources and
 * layouts only: no pid, no file, no public snapshot model, which the
 * snapshot layer builds from these results. Internal to helpers/src. */
#ifndef PYX_DECODER_H
#define PYX_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>

#include "../layout/layout.h"
#include "../util/arena.h"

/* Bounds on everything read from the target (pyx_limits_default). */
struct pyx_limits {
	size_t max_frames;	  /* frames kept per thread, both ends (default 4096) */
	size_t max_walk;	  /* frames walked per thread to count them (default 1<<20) */
	size_t max_threads;	  /* per interpreter (default 4096) */
	size_t max_interpreters;  /* per process (default 256) */
	size_t max_string_bytes;  /* UTF-8 bytes kept of one str (default 1024) */
	size_t max_linetable;	  /* bytes of a line table (default 1 MiB) */
	size_t max_container_items; /* items shown of a container (default 32) */
	size_t max_dict_entries;  /* entries scanned in a lookup (default 1<<20) */
	size_t max_code_objects;  /* distinct code objects cached (default 1<<16) */
	size_t max_tasks;	  /* asyncio tasks per interpreter (default 1<<20) */
	size_t max_awaits;	  /* coroutines followed from one task (default 1024) */
};

/* Sets the default limits. */
void pyx_limits_default(struct pyx_limits *out);

/* What to decode. */
struct pyx_decode_opts {
	int locals;		/* each kept frame's fast locals (not signal-safe: reprs) */
	int thread_names;	/* threading names and the multiprocessing role */
	int tasks;		/* asyncio tasks: their coroutine stacks and awaits (asyncio.c) */
	struct pyx_limits limits;
};

/* Where the runtime state starts: relocated addresses found by the caller
 * (from ELF files, or a host's symbol lookup). */
struct pyx_dec_roots {
	uint64_t runtime;	 /* _PyRuntime (3.7+), 0 when absent */
	uint64_t py_version;	 /* Py_Version (3.11+), 0 when absent */
	uint64_t tstate_current; /* _PyThreadState_Current (3.6) */
	uint64_t interp_head;	 /* the static interp_head (3.6) */
	uint32_t version_hex;	 /* major.minor when known without Py_Version, else 0 */
	const char *path;	 /* the object holding them, for messages */
};

struct pyx_code; /* code.h */

struct pyx_dec_var {
	const char *name;
	const char *repr;	/* bounded repr, NULL when undecodable */
	const char *kind;	/* "arg", "local", "cell", "free"; children: "item",
				   "entry", "attr" (children.h) */
	uint64_t addr;		/* the object (a cell's content), 0 when none */
	uint64_t nchildren;	/* what pyx_obj_children would list, 0 when nothing */
	int indexed;		/* they are items named [i] (a list, tuple or set) */
};

struct pyx_dec_frame {
	uint64_t frame_addr, code_addr, globals_addr;
	const struct pyx_code *code; /* NULL when the frame failed to decode */
	int line;		/* 0 when unknown */
	int is_entry;		/* first Python frame of an evaluation call (3.11+) */
	int error;		/* 0, or PYX_E_* */
	const char *error_msg;
	struct pyx_dec_var *locals; /* with opts.locals */
	size_t nlocals;
};

enum pyx_dec_task_state {
	PYX_DEC_TASK_PENDING = 1,   /* waits to be scheduled or on what it awaits */
	PYX_DEC_TASK_RUNNING = 2,   /* its coroutine runs on a thread now */
	PYX_DEC_TASK_CANCELLING = 3, /* cancel() was asked and it has not ended yet */
};

/* One asyncio task that is not done. */
struct pyx_dec_task {
	uint64_t addr;		/* the Task object: the task's id */
	uint64_t loop_addr;	/* its event loop */
	uint64_t waiter_addr;	/* the future it waits on (fut_waiter), 0 when none */
	const char *name;	/* NULL when unreadable */
	int state;		/* enum pyx_dec_task_state */
	int is_python;		/* the pure-Python asyncio.Task (or a subclass) */
	uint64_t coro_frame;	/* its outermost coroutine's frame (running tasks) */
	struct pyx_dec_frame *frames; /* its coroutine stack, innermost first */
	size_t nframes;
	uint64_t *awaits;	/* addresses of the tasks it waits on */
	size_t nawaits, awaits_cap;
	int error;		/* 0, or PYX_E_*: the stack was cut there */
	const char *error_msg;
};

struct pyx_dec_thread {
	uint64_t tstate_addr;
	uint64_t running_loop;	/* with opts.tasks: the event loop it runs, 0 none */
	uint64_t thread_id;	/* pthread_t */
	int64_t tid;		/* native_thread_id as recorded (3.11+), -1 when none */
	const char *name;
	int holds_gil;
	struct pyx_dec_frame *frames; /* innermost first: the inner end, then the outer */
	size_t nframes;
	size_t omitted;		/* frames left out between the two ends */
	size_t omitted_at;	/* index in frames where they were (== inner count) */
	int truncated;		/* 0, or PYX_E_LIMIT / PYX_E_BAD_DATA / PYX_E_FAULT */
	const char *truncated_msg;
};

struct pyx_dec_interp {
	int64_t id;
	int is_main;
	uint64_t addr;
	int gc_collecting;	/* the garbage collector is running, -1 unknown */
	struct pyx_dec_thread *threads; /* oldest first */
	size_t nthreads;
	int error;
	const char *error_msg;
	struct pyx_dec_task *tasks; /* with opts.tasks: pending tasks, in discovery order */
	size_t ntasks;
	const char *tasks_source; /* where they were found, for the reader */
	int tasks_error;	/* 0, or PYX_E_*: the tasks are incomplete */
	const char *tasks_error_msg;
};

struct pyx_dec_result {
	uint32_t version_hex;
	const char *version;	/* "3.11.7" */
	const char *layout_source;
	const char *role;	/* multiprocessing name other than MainProcess, or NULL */
	struct pyx_dec_interp *interps; /* main first, then by id */
	size_t ninterps;
};

struct pyx_code_cache; /* code.c */

/* Largest thread state and interpreter prefix the decoder copies. */
enum { PYX_TSTATE_BUF_MAX = 65536, PYX_INTERP_BUF_MAX = 1 << 20 };

struct pyx_decoder {
	struct pyx_memsrc *src;
	const struct pyx_layout *layout;
	struct pyx_arena *arena;	/* results and working memory live here */
	struct pyx_decode_opts opts;
	struct pyx_code_cache *codes;	/* code object address -> decoded names, lines */
	unsigned char *tstate_buf;	/* scratch: one thread state */
	unsigned char *interp_buf;	/* scratch: the used part of an interpreter */
	uint64_t str_type_addr;		/* remote PyUnicode_Type once seen, or 0 */
	uint64_t code_type_addr;	/* remote PyCode_Type once seen, or 0 */
};

/* Prepares d over src and layout; results and caches go to arena. Does not
 * allocate outside the arena. 0 or -PYX_E_NOMEM. */
int pyx_decoder_init(struct pyx_decoder *d, struct pyx_memsrc *src,
		     const struct pyx_layout *layout, struct pyx_arena *arena,
		     const struct pyx_decode_opts *opts, struct pyx_error *err);

/* Bytes of PyInterpreterState the decoder copies (up to its last used
 * field), 0 when the layout is inconsistent. */
size_t pyx_interp_read_size(const struct pyx_offsets *o);

/* Reads a pointer-sized word at addr. */
static inline int pyx_dec_read_ptr(struct pyx_decoder *d, uint64_t addr, uint64_t *out,
				   struct pyx_error *err)
{
	return pyx_memsrc_read_u64(d->src, addr, out, err);
}

#endif
