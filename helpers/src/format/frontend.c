/* SPDX-License-Identifier: MIT */
/* The pieces debugger front ends print beside the reports (frontend.h):
 * one frame's line (py-up, py-down, the TUI window), a process summary
 * (py-ps), the process table with a host's column, the Python stacks of
 * one OS thread (the frame filter, MI, the DAP adapter) and a target's
 * string escaped. Each writes to a memory sink handed back as a string. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <pyxray/frontend.h>

#include "../snapshot/snapshot_priv.h"
#include "format_priv.h"
#include "source.h"

/* The memory sink's string: 0 with *out set, or the sink's error. */
static int finish(struct pyx_out *o, char **out, struct pyx_error *err)
{
	int rc = pyx_out_finish(o, err);
	if (rc < 0) {
		free(o->mem);
		return rc;
	}
	*out = o->mem;
	return 0;
}

int pyx_format_escaped(const char *s, char **out, struct pyx_error *err)
{
	struct pyx_out o;
	pyx_out_init_mem(&o);
	pyx_out_text(&o, s);
	return finish(&o, out, err);
}

int pyx_format_frame(const struct pyx_frame *frame, int number, unsigned flags, char **out,
		     struct pyx_error *err)
{
	struct pyx_out o;
	pyx_out_init_mem(&o);
	pyx_out_printf(&o, "#%d ", number);
	if (frame->error) {
		pyx_out_puts(&o, "??? (");
		pyx_out_text(&o, frame->error_msg ? frame->error_msg : "undecodable");
		pyx_out_puts(&o, ")\n");
		return finish(&o, out, err);
	}
	pyx_out_text(&o, frame->qualname);
	pyx_out_puts(&o, " (");
	pyx_out_text(&o, frame->file);
	if (frame->line > 0)
		pyx_out_printf(&o, ":%d", frame->line);
	pyx_out_puts(&o, ")\n");
	struct pyx_source_cache c = {0};
	size_t n;
	const char *text;
	if ((flags & PYX_FMT_SOURCE) && frame->file && pyx_source_load(&c, frame->file) == 0 &&
	    (text = pyx_source_get_line(&c, frame->line, &n))) {
		while (n && (*text == ' ' || *text == '\t')) {
			text++;
			n--;
		}
		int cut = n > PYX_SOURCE_LINE_MAX;
		pyx_out_puts(&o, "    ");
		pyx_source_write(&o, text, cut ? PYX_SOURCE_LINE_MAX : n, 4);
		pyx_out_puts(&o, cut ? "...\n" : "\n");
	}
	pyx_source_cache_deinit(&c);
	return finish(&o, out, err);
}

/* "TID \"name\"" of a thread, or its thread_id when the LWP is unknown. */
static void thread_label(struct pyx_out *o, const struct pyx_thread *th)
{
	if (th->tid >= 0)
		pyx_out_printf(o, "%" PRId64, th->tid);
	else
		pyx_out_printf(o, "0x%" PRIx64, th->thread_id);
	if (th->name) {
		pyx_out_puts(o, " \"");
		pyx_out_text(o, th->name);
		pyx_out_putc(o, '"');
	}
}

static const struct pyx_thread *gil_holder(const struct pyx_process *p)
{
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = 0; j < p->interps[i].nthreads; j++)
			if (p->interps[i].threads[j].holds_gil)
				return &p->interps[i].threads[j];
	return NULL;
}

static void summary(struct pyx_out *o, const struct pyx_process *p, const char *label)
{
	pyx_out_puts(o, label ? label : "");
	pyx_out_text(o, p->executable);
	pyx_out_putc(o, '\n');
	if (p->error) {
		pyx_out_puts(o, "  error: ");
		pyx_out_text(o, p->error_msg);
		pyx_out_putc(o, '\n');
		return;
	}
	pyx_out_puts(o, "  Python ");
	pyx_out_text(o, p->python_version);
	pyx_out_puts(o, " (");
	pyx_out_text(o, p->python_path);
	pyx_out_puts(o, ")\n");
	const struct pyx_thread *holder = gil_holder(p);
	pyx_out_printf(o, "  %zu thread%s; GIL: ", p->nthreads, p->nthreads == 1 ? "" : "s");
	if (holder) {
		pyx_out_puts(o, "held by thread ");
		thread_label(o, holder);
	} else {
		pyx_out_puts(o, "not held");
	}
	pyx_out_putc(o, '\n');
	if (p->ninterps > 1 || (p->ninterps && !p->interps[0].is_main))
		for (size_t i = 0; i < p->ninterps; i++) {
			const struct pyx_interp *in = &p->interps[i];
			pyx_out_printf(o, "  interpreter %" PRId64 "%s: %zu thread%s\n", in->id,
				       in->is_main ? " (main)" : "", in->nthreads,
				       in->nthreads == 1 ? "" : "s");
		}
}

int pyx_format_summary(const struct pyx_snapshot *snap, size_t proc, const char *label,
		       char **out, struct pyx_error *err)
{
	if (proc >= snap->nprocs)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "no process %zu in the snapshot",
				     proc);
	struct pyx_out o;
	pyx_out_init_mem(&o);
	summary(&o, &snap->procs[proc], label);
	return finish(&o, out, err);
}

int pyx_format_ps_string(const struct pyx_snapshot *snap, const char *indent,
			 const struct pyx_ps_column *extra, char **out, struct pyx_error *err)
{
	struct pyx_out o;
	pyx_out_init_mem(&o);
	pyx_format_ps_table(snap, indent, extra, &o);
	return finish(&o, out, err);
}

static int thread_matches(const struct pyx_thread *th, int64_t tid, uint64_t thread_id)
{
	if (tid >= 0 && th->tid == tid)
		return 1;
	return th->tid < 0 && thread_id && th->thread_id == thread_id;
}

/* Whether interpreter a's stack of a thread is inner to b's: a thread
 * enters a sub-interpreter from the main one (or from an older one), so
 * the main interpreter's frames are outermost and newer (higher id)
 * interpreters' frames inner. */
static int inner_first(const struct pyx_interp *a, const struct pyx_interp *b)
{
	if (a->is_main != b->is_main)
		return b->is_main;
	return a->id > b->id;
}

int pyx_format_os_thread(const struct pyx_snapshot *snap, size_t proc, int64_t tid,
			 uint64_t thread_id, unsigned flags, char **out, struct pyx_error *err)
{
	if (proc >= snap->nprocs)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "no process %zu in the snapshot",
				     proc);
	const struct pyx_process *p = &snap->procs[proc];
	/* Interpreter indices in output order: a selection sort over at most
	 * ninterps entries, which the decoder bounds. */
	size_t *order = calloc(p->ninterps ? p->ninterps : 1, sizeof *order);
	if (!order)
		return pyx_error_set(err, PYX_E_NOMEM, 0, 0, "out of memory");
	for (size_t i = 0; i < p->ninterps; i++)
		order[i] = i;
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = i + 1; j < p->ninterps; j++)
			if (inner_first(&p->interps[order[j]], &p->interps[order[i]])) {
				size_t t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
	struct pyx_out o;
	pyx_out_init_mem(&o);
	pyx_out_printf(&o, "{\"tid\": %" PRId64 ", \"pid\": %d, \"python_version\": ", tid,
		       (int)p->pid);
	pyx_out_json(&o, p->python_version);
	pyx_out_puts(&o, ", \"python_path\": ");
	pyx_out_json(&o, p->python_path);
	pyx_out_puts(&o, ", \"cwd\": ");
	pyx_out_json(&o, p->cwd);
	pyx_out_puts(&o, ", \"role\": ");
	pyx_out_json(&o, p->role);
	pyx_out_puts(&o, ", \"executable\": ");
	pyx_out_json(&o, p->executable);
	pyx_out_puts(&o, ", \"argv\": [");
	for (size_t i = 0; i < p->argc; i++) {
		if (i)
			pyx_out_puts(&o, ", ");
		pyx_out_json(&o, p->argv[i]);
	}
	pyx_out_puts(&o, "], \"stacks\": [");
	size_t shown = 0;
	for (size_t i = 0; i < p->ninterps; i++) {
		const struct pyx_interp *in = &p->interps[order[i]];
		for (size_t j = 0; j < in->nthreads; j++) {
			if (!thread_matches(&in->threads[j], tid, thread_id))
				continue;
			pyx_out_printf(&o,
				       "%s{\"interpreter\": %zu, \"interpreter_id\": %" PRId64
				       ", \"main\": %s, \"index\": %zu, \"thread\": ",
				       shown++ ? ", " : "", order[i], in->id,
				       in->is_main ? "true" : "false", j);
			pyx_json_thread(&o, &in->threads[j], (flags & PYX_FMT_TASKS) != 0);
			pyx_out_putc(&o, '}');
		}
	}
	pyx_out_puts(&o, "]}\n");
	free(order);
	return finish(&o, out, err);
}
