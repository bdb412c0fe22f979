/* SPDX-License-Identifier: MIT */
/* Formatters over the snapshot model: the text report, one JSON document
 * (docs/json.md) and the process table. Every byte that came from a target
 * is escaped (text) or made valid UTF-8 (JSON). Writing to a file
 * descriptor is async-signal-safe for a snapshot taken in a fixed buffer. */
#ifndef PYXRAY_FORMAT_H
#define PYXRAY_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include <pyxray/error.h>
#include <pyxray/snapshot.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pyx_format_flags {
	PYX_FMT_LOCALS = 1u << 0, /* print locals under each frame (text) */
	PYX_FMT_ADDRS = 1u << 1,	/* print frame and code addresses (text) */
	PYX_FMT_GROUP = 1u << 2,	/* threads with identical stacks printed once (text) */
	PYX_FMT_TRACEBACK = 1u << 3, /* python-gdb.py's py-bt style: File "f", line N, in q */
	PYX_FMT_SOURCE = 1u << 4,	/* the source line under each frame, when readable */
	PYX_FMT_NO_HEADER = 1u << 5, /* no process and interpreter headers (text); with
				      only_tid, no thread header either */
	PYX_FMT_COLOR = 1u << 6,	/* ANSI colours (text) */
	PYX_FMT_SHORT_PATHS = 1u << 7, /* file names relative to the current folder or to
					site-packages (text) */
	PYX_FMT_NO_FOLD = 1u << 8,	/* print repeated frames, and tasks with one stack, one
				   by one (text) */
	PYX_FMT_ONLY_TASKS = 1u << 9,	/* asyncio tasks only: the threads that run a loop, their
				   tasks and the await tree, no thread stacks (text) */
	PYX_FMT_TASKS = 1u << 10,	/* the asyncio tasks a PYX_SNAP_TASKS snapshot holds, after
				   each thread's stack, and the await tree (text) */
};

enum pyx_report {
	PYX_REPORT_TEXT = 0,
	PYX_REPORT_JSON = 1,
	PYX_REPORT_PS = 2,
};

struct pyx_format_opts {
	unsigned flags;		/* PYX_FMT_* */
	int64_t only_tid;	/* >= 0: only the thread with this native id (JSON keeps
				   every process and interpreter) */
	const char *frames_hint; /* how the user shows more frames, quoted where frames were
				    left out ("--max-frames N", "set pyxray max-frames N");
				    NULL: nothing said */
};

/* Writes a report to a file descriptor, a stream, or a malloc'd string
 * (released with pyx_free; *len may be NULL). opts NULL: defaults. Return 0
 * or -PYX_E_OS (-PYX_E_NOMEM for the string) naming the write error. */
int pyx_format_write(const struct pyx_snapshot *snap, enum pyx_report kind,
		     const struct pyx_format_opts *opts, int fd, struct pyx_error *err);
int pyx_format_file(const struct pyx_snapshot *snap, enum pyx_report kind,
		    const struct pyx_format_opts *opts, FILE *out, struct pyx_error *err);
int pyx_format_alloc(const struct pyx_snapshot *snap, enum pyx_report kind,
		     const struct pyx_format_opts *opts, char **out, size_t *len,
		     struct pyx_error *err);

/* Shorthands for the above. */
int pyx_format_text(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err);
int pyx_format_json(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err);
int pyx_format_ps(const struct pyx_snapshot *snap, FILE *out, struct pyx_error *err);
/* The text (json 0) or JSON (json 1) report as a string (GDB through ctypes);
 * only_tid as in struct pyx_format_opts, -1 for all. */
int pyx_format_string(const struct pyx_snapshot *snap, int json, unsigned flags, int64_t only_tid,
		      char **out, struct pyx_error *err);
void pyx_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
