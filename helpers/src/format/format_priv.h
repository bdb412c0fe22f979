/* SPDX-License-Identifier: MIT */
/* What the formatters share: each writes one report to a sink (out.h). */
#ifndef PYX_FORMAT_PRIV_H
#define PYX_FORMAT_PRIV_H

#include <pyxray/format.h>

#include "out.h"

void pyx_format_text_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
			struct pyx_out *out);
void pyx_format_json_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
			struct pyx_out *out);
void pyx_format_ps_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
		      struct pyx_out *out);

/* The process table after `prefix` on each line (NULL: none), with a
 * host's column before COMMAND (NULL: none); pyx_format_ps_to without. */
struct pyx_ps_column;
void pyx_format_ps_table(const struct pyx_snapshot *snap, const char *prefix,
			 const struct pyx_ps_column *extra, struct pyx_out *out);

/* One thread as a JSON object, as in the report (docs/json.md); tasks:
 * with its loop and tasks. */
void pyx_json_thread(struct pyx_out *o, const struct pyx_thread *th, int tasks);

/* How the task printer prints a frame the way the thread report does. */
struct pyx_task_printer {
	struct pyx_out *out;
	int group;		/* tasks with identical stacks printed once */
	int addrs;		/* show task addresses */
	void (*frame)(void *ctx, const struct pyx_frame *f);
	void *ctx;
};

/* "pending", "running", "cancelling". */
const char *pyx_task_state_name(enum pyx_task_state s);

/* The text of n tasks under a title ("asyncio tasks of loop 0x..."). */
void pyx_format_tasks_text(const struct pyx_task_printer *p, const struct pyx_interp *in,
			   const struct pyx_task *tasks, size_t n, const char *title);

/* The await tree of an interpreter's tasks, as python -m asyncio pstree
 * draws it, with cycles reported and cut; with group, sibling tasks that
 * await nothing and have one stack are drawn once with their count. */
void pyx_format_await_tree(struct pyx_out *out, const struct pyx_interp *in, int group);

/* "SIGSEGV", or NULL for an unknown number. Async-signal-safe. */
const char *pyx_signal_name(int signo);
/* "SEGV_MAPERR" for a signal's si_code, NULL when unknown. */
const char *pyx_signal_code_name(int signo, int code);

/* "Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x0" for a process
 * record with a signal, no newline. */
void pyx_format_signal_line(struct pyx_out *out, const struct pyx_process *p);

#endif
