/* SPDX-License-Identifier: MIT */
/* Internals shared by the snapshot layer (snapshot.c: lifetime and
 * accessors; take.c: targets + decoder -> model) and the formatters. */
#ifndef PYX_SNAPSHOT_PRIV_H
#define PYX_SNAPSHOT_PRIV_H

#include <pyxray/snapshot.h>

#include "../util/arena.h"

struct pyx_target;
struct pyx_target_thread;
struct pyx_unwind_ops;
struct pyx_kept;

/* Everything here lives in the arena but `files` (and, for a snapshot made
 * over a caller's buffer, the snapshot and this struct live there too). */
struct pyx_snapshot_priv {
	struct pyx_arena *arena;
	int in_buffer;		/* made by pyx_snapshot_new_in: never malloc, never free */
	size_t procs_cap;	/* room in snap->procs */
	struct pyx_target **targets; /* owned; closed at destroy */
	size_t ntargets, targets_cap;
	struct pyx_kept **kept;	/* decoders kept for lookups (PYX_SNAP_KEEP_SOURCE) */
	size_t nkept, kept_cap;
	struct pyx_locate_cache *files; /* ELF lookups shared by a tree's processes, made
					   when first needed */
	/* the native unwinder (PYX_SNAP_NATIVE); NULL for a snapshot made in a
	 * caller's buffer (the stub), which never unwinds and links no libdw */
	const struct pyx_unwind_ops *unwind;
};

/* An empty snapshot with its arena; NULL on allocation failure. */
struct pyx_snapshot *pyx_snapshot_new(void);

/* An empty snapshot living in buf: taking it and formatting it to a file
 * descriptor then never call malloc (the stub's signal handler), given
 * targets that do not either (acquire/self.c). NULL when len is too small. */
struct pyx_snapshot *pyx_snapshot_new_in(void *buf, size_t len);

/* Appends a zeroed process record (arena memory); NULL on failure. */
struct pyx_process *pyx_snapshot_add_process(struct pyx_snapshot *snap);

/* The snapshot owns t from now on (closed at destroy). 0 or -PYX_E_NOMEM
 * (t is then closed). */
int pyx_snapshot_adopt(struct pyx_snapshot *snap, struct pyx_target *t, struct pyx_error *err);

/* Reads target t into a new process record at tree depth `depth`. The
 * target must have been adopted. Errors that concern only this process
 * are kept in its record and returned. */
int pyx_snapshot_read_target(struct pyx_snapshot *snap, struct pyx_target *t, int depth,
			     const struct pyx_snapshot_opts *opts, struct pyx_error *err);

/* A model thread's native id, pthread_t (its TLS base), state, system call
 * and crash flag from the target's record of that OS thread (take.c). */
void pyx_snapshot_thread_identity(struct pyx_thread *th, const struct pyx_target_thread *tt,
				  const struct pyx_target *t);

/* Fills proc's identity (pid, ppid, argv, state, crash...) from t. */
void pyx_snapshot_identity(struct pyx_process *proc, const struct pyx_target *t, int depth);

/* "running", "sleeping", "stopped", "zombie"... for a /proc state letter;
 * NULL when unknown. */
const char *pyx_state_name(char state);

/* "running", "idle", "stopped", or NULL, for a thread state. */
const char *pyx_thread_state_name(enum pyx_thread_state state);

/* Arena of a snapshot. */
struct pyx_arena *pyx_snapshot_arena(struct pyx_snapshot *snap);

#endif
