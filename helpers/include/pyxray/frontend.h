/* SPDX-License-Identifier: MIT */
/* What debugger front ends (the GDB extension, its MI commands and TUI
 * window, the DAP adapter) ask the library for beyond the reports: source
 * listings, one frame's line, the process table with a host's column, a
 * process summary, and the Python stacks of one OS thread. Every result is
 * a malloc'd NUL-terminated string released with pyx_free; every byte that
 * comes from a target or a file it names is escaped in text results. */
#ifndef PYXRAY_FRONTEND_H
#define PYXRAY_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>
#include <pyxray/format.h>
#include <pyxray/snapshot.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	PYX_SOURCE_FILE_MAX = 16 << 20, /* larger source files are not read */
	PYX_SOURCE_LINE_MAX = 512,	  /* bytes of one line shown, then "..." */
	PYX_SOURCE_LINES_MAX = 1000,	  /* lines of one listing */
};

/* Lines first..last (1-based, inclusive) of the source file `path`, as
 * python-gdb.py's py-list prints them: "%4d    text" per line, the line
 * `mark` (0: none) as ">N". Only a regular file is read, opened without
 * blocking, at most PYX_SOURCE_FILE_MAX bytes; tabs are expanded to
 * 8-column stops and every other control character, invalid UTF-8 and
 * bidirectional override escaped (pyx_out_text's rules); a line is cut after
 * PYX_SOURCE_LINE_MAX bytes and a listing after PYX_SOURCE_LINES_MAX lines. Lines past the end
 * of the file are left out (an empty result when first is past it).
 * Errors: -PYX_E_NOT_FOUND (no readable regular file: the message names
 * it), -PYX_E_LIMIT (file too large), -PYX_E_INVALID (first < 1 or last <
 * first), -PYX_E_NOMEM. */
int pyx_format_source(const char *path, int first, int last, int mark, char **out,
		      struct pyx_error *err);

/* One frame as py-up and py-down print it: "#number qualname (file:line)\n"
 * ("#number ??? (message)\n" for a frame that failed to decode), and with
 * PYX_FMT_SOURCE its stripped source line under it ("    text\n") when the
 * file is readable. -PYX_E_NOMEM only. */
int pyx_format_frame(const struct pyx_frame *frame, int number, unsigned flags, char **out,
		     struct pyx_error *err);

/* A host's column in the process table (GDB's inferior numbers): title and
 * the value of each listed pid; other pids show "-". */
struct pyx_ps_column {
	const char *title;
	const pid_t *pids;
	const char *const *values;
	size_t n;
};

/* pyx_format_ps as a string, each line after `indent` (NULL: none), with
 * the `extra` column (NULL: none) before COMMAND. -PYX_E_NOMEM only. */
int pyx_format_ps_string(const struct pyx_snapshot *snap, const char *indent,
			 const struct pyx_ps_column *extra, char **out, struct pyx_error *err);

/* What py-ps says about process `proc`: "<label><executable>\n" (label is
 * the host's, e.g. "Inferior 1 (process 42): "), then "  Python V (path)\n",
 * "  N threads; GIL: held by thread TID \"name\"\n" (or "not held"), and one
 * "  interpreter ID[ (main)]: N threads\n" line each when the process has a
 * sub-interpreter; or "  error: message\n" when it could not be read.
 * -PYX_E_INVALID for a bad index, -PYX_E_NOMEM. */
int pyx_format_summary(const struct pyx_snapshot *snap, size_t proc, const char *label,
		       char **out, struct pyx_error *err);

/* The Python stacks that OS thread `tid` (its LWP) runs in process `proc`,
 * innermost first, as JSON: {"tid": N, "pid": P, "python_version": V,
 * "python_path": PATH, "cwd": DIR, "role": R, "executable": E, "argv":
 * [...], "stacks": [{"interpreter": I,
 * "interpreter_id": ID, "main": BOOL, "index": J, "thread": {...}}]}, where
 * I and J are the thread state's indices (as for pyx_snapshot_frame), ID
 * and "main" its interpreter's, and "thread" is the thread object of
 * docs/json.md (with "locals" when the snapshot has them, "tasks" with
 * PYX_FMT_TASKS in flags). A thread
 * that entered sub-interpreters holds a thread state in each: those
 * stacks come first (the newest interpreter first), the main
 * interpreter's last. Thread states whose LWP the decoder does not know
 * (tid -1) match on thread_id (pthread_t) when it is not 0. "stacks" is
 * empty when the thread runs no Python. -PYX_E_INVALID for a bad index,
 * -PYX_E_NOMEM. */
int pyx_format_os_thread(const struct pyx_snapshot *snap, size_t proc, int64_t tid,
			 uint64_t thread_id, unsigned flags, char **out, struct pyx_error *err);

/* s, a string from a target (a thread name, an argv entry), escaped for a
 * terminal by the library's one escaper (pyx_out_text's rules; NULL gives
 * "?"). For hosts that print it beside their own text. -PYX_E_NOMEM only. */
int pyx_format_escaped(const char *s, char **out, struct pyx_error *err);

#ifdef __cplusplus
}
#endif
#endif
