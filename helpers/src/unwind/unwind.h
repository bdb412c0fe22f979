/* SPDX-License-Identifier: MIT */
/* Native stacks of a target's threads, unwound by elfutils' libdwfl from
 * each thread's registers and the target's memory (CFI from .eh_frame and
 * .debug_frame, a frame-pointer fallback), and named from the mapped files'
 * symbols (.symtab, .dynsym, MiniDebugInfo, separate debug files) and line
 * tables. Works on any target with registers: a stopped live process, a
 * core. The snapshot layer calls it; the decoder never does. Not
 * signal-safe (libdwfl allocates). */
#ifndef PYX_UNWIND_H
#define PYX_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>

#include "../acquire/target.h"
#include "../util/arena.h"

struct pyx_native_frame {
	uint64_t pc;		/* the innermost frame's pc; a return address above it */
	const char *symbol;	/* the function, NULL when no symbol covers pc */
	uint64_t symbol_offset; /* pc - the symbol's address */
	const char *module;	/* the mapped object holding pc (the target's path), NULL
				   when none */
	uint64_t module_offset; /* pc as an address in that object's file (what addr2line
				   takes) */
	const char *file;	/* source file from the line table, NULL when none */
	int line;		/* its line, 0 when unknown */
	int is_eval;		/* symbol is one of the options' eval_symbols */
};

struct pyx_native_stack {
	struct pyx_native_frame *frames; /* innermost first (arena memory) */
	size_t n;
	int complete;	       /* the walk reached the outermost frame */
	int error;	       /* 0, or PYX_E_* when the walk stopped before it */
	const char *error_msg; /* why, one line (arena), NULL when complete */
};

struct pyx_unwind_opts {
	/* Folders holding separate debug files (DIR/.build-id/xx/rest.debug,
	 * DIR/path/of/file/debuglink), colon-separated; NULL: /usr/lib/debug.
	 * An empty string looks in none of them. */
	const char *debug_dirs;
	/* Symbols whose frames run interpreted code (marked is_eval), a
	 * NULL-terminated list; a name also covers its compiler-made parts
	 * ("name.cold", "name.part.0"). NULL: none. */
	const char *const *eval_symbols;
	size_t max_frames; /* frames per thread; 0: 16384 */
	int64_t thread_us; /* time for one thread's walk; 0: 250 ms */
	int64_t total_us;  /* time for every walk of this target; 0: 5 s */
	size_t max_stack;  /* stack bytes copied per thread at capture; 0: 8 MiB */
	size_t max_stacks; /* stack bytes copied for every thread; 0: 256 MiB */
};

struct pyx_unwinder;

/* Prepares unwinding for target t: reports every object t maps to libdwfl
 * (opened where pyx_target_file_path says; the vDSO from t's memory), so
 * that the slow work is done before any stop. Keeps t and opts->debug_dirs
 * borrowed until pyx_unwind_close. -PYX_E_NOMEM, or -PYX_E_NOT_FOUND when
 * no mapped object could be used. */
int pyx_unwind_open(struct pyx_target *t, const struct pyx_unwind_opts *opts,
		    struct pyx_unwinder **out, struct pyx_error *err);

/* Copies the stack of every thread of t that has registers, from its stack
 * pointer to the top of its stack (bounded by max_stack and max_stacks), so
 * that walks may come after the target runs again. Call while the target
 * is stopped; the copies are "read once": walks read them, not the target.
 * -PYX_E_NOMEM only; a stack that cannot be read is read lazily instead. */
int pyx_unwind_capture(struct pyx_unwinder *u, struct pyx_error *err);

/* Unwinds thread tid and names its frames, into *out (arena memory). An
 * early stop (no CFI, unreadable stack, a limit, the deadline) is not a
 * failure: out->complete is 0 and out->error says why. Fails only with
 * -PYX_E_NOMEM. */
int pyx_unwind_thread(struct pyx_unwinder *u, pid_t tid, struct pyx_arena *arena,
		      struct pyx_native_stack *out, struct pyx_error *err);

/* NULL allowed. */
void pyx_unwind_close(struct pyx_unwinder *u);

/* The functions above as a table: the snapshot layer calls the unwinder
 * through it, so that a build that never unwinds (the stub, which takes
 * snapshots only in a caller's buffer) links no libdw at all. */
struct pyx_unwind_ops {
	int (*open)(struct pyx_target *t, const struct pyx_unwind_opts *opts,
		    struct pyx_unwinder **out, struct pyx_error *err);
	int (*capture)(struct pyx_unwinder *u, struct pyx_error *err);
	int (*thread)(struct pyx_unwinder *u, pid_t tid, struct pyx_arena *arena,
		      struct pyx_native_stack *out, struct pyx_error *err);
	void (*close)(struct pyx_unwinder *u);
};

/* The libdwfl unwinder. */
extern const struct pyx_unwind_ops pyx_unwind_dwfl;

/* The file name of a separate debug file for an object, searched the way
 * pyx_unwind_open's libdwfl callback does (exposed for tests): by build-id
 * under each of dirs, then by the .gnu_debuglink name under each of dirs
 * (DIR/folder/of/object/link; never beside the object itself), accepting a
 * linked file only when its build-id is the object's. Returns an open
 * descriptor and sets *path (malloc'd), or -1. */
int pyx_debug_file_find(const char *dirs, const unsigned char *build_id, size_t build_id_len,
			const char *object_path, const char *debuglink, char **path);

#endif
