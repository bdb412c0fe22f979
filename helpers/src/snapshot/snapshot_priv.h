/* SPDX-License-Identifier: MIT */
/* Internals shared by the snapshot builders and formatters. */
#ifndef PYX_SNAPSHOT_PRIV_H
#define PYX_SNAPSHOT_PRIV_H

#include <pyxray/snapshot.h>

#include "../util/arena.h"

struct pyx_proc_ctx;

struct pyx_snapshot_priv {
	struct pyx_arena *arena;
	size_t procs_cap;	/* room in snap->procs */
	struct pyx_proc_ctx **ctxs; /* kept decoders (PYX_SNAP_KEEP_SOURCE) */
	size_t nctxs;
	struct pyx_locate_cache *files; /* ELF lookups shared by a tree's processes */
};

/* An empty snapshot with its arena; NULL on allocation failure. */
struct pyx_snapshot *pyx_snapshot_new(void);

/* Appends a zeroed process record (arena memory); NULL on failure. */
struct pyx_process *pyx_snapshot_add_process(struct pyx_snapshot *snap);

/* "running", "sleeping", "stopped", "zombie"... for a /proc state letter;
 * NULL when unknown. */
const char *pyx_state_name(char state);

/* The JSON report limited to the thread(s) with native id only_tid (every
 * thread when negative); processes and interpreters are all kept. */
int pyx_format_json_thread(const struct pyx_snapshot *snap, unsigned flags, int64_t only_tid,
			   FILE *out, struct pyx_error *err);

/* Arena of a snapshot. */
struct pyx_arena *pyx_snapshot_arena(struct pyx_snapshot *snap);

#endif
