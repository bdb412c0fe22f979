/* SPDX-License-Identifier: MIT */
/* The JSON report (schema in docs/json.md). Written by hand, streaming, on
 * the library's sink: the model is simple, and a JSON library would be the
 * only dependency and could not run in a signal handler. */
#include <inttypes.h>
#include <string.h>

#include "../snapshot/snapshot_priv.h"
#include "format_priv.h"

static void jbool(struct pyx_out *o, const char *key, int v)
{
	pyx_out_printf(o, ", \"%s\": %s", key, v ? "true" : "false");
}

static void jkey_str(struct pyx_out *o, const char *key, const char *s)
{
	pyx_out_printf(o, ", \"%s\": ", key);
	pyx_out_json(o, s);
}

static void jnative(struct pyx_out *o, const struct pyx_frame *f)
{
	pyx_out_puts(o, "{\"kind\": \"native\", \"function\": ");
	pyx_out_json(o, f->function);
	pyx_out_printf(o, ", \"offset\": %" PRIu64, f->symbol_offset);
	jkey_str(o, "library", f->library);
	pyx_out_printf(o, ", \"library_offset\": %" PRIu64, f->library_offset);
	jkey_str(o, "file", f->file);
	pyx_out_printf(o, ", \"line\": %d, \"pc\": %" PRIu64, f->line, f->pc);
	jbool(o, "eval", f->is_eval);
	jbool(o, "internal", f->interp_internal);
	pyx_out_putc(o, '}');
}

static void jframe(struct pyx_out *o, const struct pyx_frame *f)
{
	if (f->kind == PYX_FRAME_NATIVE) {
		jnative(o, f);
		return;
	}
	pyx_out_puts(o, "{\"kind\": \"python\", \"function\": ");
	pyx_out_json(o, f->function);
	jkey_str(o, "qualname", f->qualname);
	jkey_str(o, "file", f->file);
	pyx_out_printf(o, ", \"line\": %d", f->line);
	jbool(o, "entry", f->is_entry);
	pyx_out_printf(o, ", \"frame_addr\": %" PRIu64 ", \"code_addr\": %" PRIu64, f->frame_addr,
		       f->code_addr);
	if (f->error)
		jkey_str(o, "error", f->error_msg);
	if (f->locals) {
		pyx_out_puts(o, ", \"locals\": [");
		for (size_t i = 0; i < f->nlocals; i++) {
			pyx_out_puts(o, i ? ", {\"name\": " : "{\"name\": ");
			pyx_out_json(o, f->locals[i].name);
			jkey_str(o, "kind", f->locals[i].kind);
			jkey_str(o, "repr", f->locals[i].repr);
			pyx_out_printf(o, ", \"addr\": %" PRIu64 ", \"children\": %" PRIu64,
				       f->locals[i].addr, f->locals[i].nchildren);
			jbool(o, "indexed", f->locals[i].indexed);
			pyx_out_putc(o, '}');
		}
		pyx_out_putc(o, ']');
	}
	pyx_out_putc(o, '}');
}

static void jtasks(struct pyx_out *o, const char *key, const struct pyx_task *tasks, size_t n)
{
	pyx_out_printf(o, ", \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		const struct pyx_task *t = &tasks[i];
		pyx_out_printf(o, "%s{\"id\": %" PRIu64, i ? ", " : "", t->id);
		jkey_str(o, "name", t->name);
		jkey_str(o, "state", pyx_task_state_name(t->state));
		jbool(o, "python_task", t->is_python);
		pyx_out_printf(o, ", \"loop\": %" PRIu64 ", \"frames\": [", t->loop_addr);
		for (size_t j = 0; j < t->nframes; j++) {
			if (j)
				pyx_out_puts(o, ", ");
			jframe(o, &t->frames[j]);
		}
		pyx_out_puts(o, "], \"awaits\": [");
		for (size_t j = 0; j < t->nawaits; j++)
			pyx_out_printf(o, "%s%" PRIu64, j ? ", " : "", t->awaits[j]);
		pyx_out_putc(o, ']');
		if (t->error)
			jkey_str(o, "error", t->error_msg);
		pyx_out_putc(o, '}');
	}
	pyx_out_putc(o, ']');
}

void pyx_json_thread(struct pyx_out *o, const struct pyx_thread *th, int tasks)
{
	pyx_out_printf(o, "{\"tid\": %" PRId64 ", \"thread_id\": %" PRIu64, th->tid, th->thread_id);
	jkey_str(o, "name", th->name);
	jbool(o, "holds_gil", th->holds_gil);
	jbool(o, "in_gc", th->in_gc);
	jkey_str(o, "state", pyx_thread_state_name(th->state));
	jkey_str(o, "syscall", th->syscall_name);
	if (th->crashed)
		jbool(o, "crashed", 1);
	pyx_out_printf(o, ", \"omitted\": %zu, \"omitted_at\": %zu", th->omitted,
		       th->omitted ? th->omitted_at : th->nframes);
	pyx_out_puts(o, ", \"frames\": [");
	for (size_t i = 0; i < th->nframes; i++) {
		if (i)
			pyx_out_puts(o, ", ");
		jframe(o, &th->frames[i]);
	}
	pyx_out_putc(o, ']');
	if (th->truncated)
		jkey_str(o, "truncated", th->truncated_msg);
	if (tasks) {
		if (th->loop_addr)
			pyx_out_printf(o, ", \"loop\": %" PRIu64, th->loop_addr);
		else
			pyx_out_puts(o, ", \"loop\": null");
		jtasks(o, "tasks", th->tasks, th->ntasks);
	}
	if (th->no_python)
		jbool(o, "python", 0);
	if (th->native_error)
		jkey_str(o, "native_error", th->native_error);
	pyx_out_putc(o, '}');
}

/* Whether native stacks were asked for: the key is then always there. */
static int has_native(const struct pyx_process *p)
{
	if (p->native_threads || p->native_error)
		return 1;
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = 0; j < p->interps[i].nthreads; j++)
			if (p->interps[i].threads[j].native)
				return 1;
	return 0;
}

static void jsignal(struct pyx_out *o, const struct pyx_process *p)
{
	pyx_out_printf(o, ", \"signal\": {\"number\": %d", p->signal);
	jkey_str(o, "name", pyx_signal_name(p->signal));
	pyx_out_printf(o, ", \"code\": %d", p->signal_code);
	jkey_str(o, "code_name", pyx_signal_code_name(p->signal, p->signal_code));
	pyx_out_printf(o, ", \"addr\": %llu, \"thread\": %d}", (unsigned long long)p->fault_addr,
		       (int)p->crash_tid);
}

static void jprocess(struct pyx_out *o, const struct pyx_snapshot *snap,
		     const struct pyx_process *p, int64_t only_tid)
{
	pyx_out_printf(o, "{\"pid\": %d, \"ppid\": %d, \"depth\": %d", (int)p->pid, (int)p->ppid,
		       p->depth);
	jbool(o, "python", p->is_python);
	jkey_str(o, "state", pyx_state_name(p->state));
	jkey_str(o, "role", p->role);
	jkey_str(o, "source", p->source);
	if (p->kernel_thread)
		jkey_str(o, "kernel_thread", p->kernel_thread);
	pyx_out_puts(o, ", \"children\": [");
	int first = 1;
	for (size_t i = 0; i < snap->nprocs; i++)
		if (snap->procs[i].ppid == p->pid && &snap->procs[i] != p) {
			pyx_out_printf(o, first ? "%d" : ", %d", (int)snap->procs[i].pid);
			first = 0;
		}
	pyx_out_printf(o, "], \"threads\": %zu", p->nthreads);
	jkey_str(o, "python_version", p->python_version);
	jkey_str(o, "executable", p->executable);
	pyx_out_puts(o, ", \"argv\": [");
	for (size_t i = 0; i < p->argc; i++) {
		if (i)
			pyx_out_puts(o, ", ");
		pyx_out_json(o, p->argv[i]);
	}
	pyx_out_putc(o, ']');
	jkey_str(o, "cwd", p->cwd);
	jkey_str(o, "python_path", p->python_path);
	jkey_str(o, "layout", p->layout_source);
	if (p->stopped_us >= 0)
		pyx_out_printf(o, ", \"stopped_us\": %" PRId64, p->stopped_us);
	if (p->inconsistent) {
		jkey_str(o, "inconsistent", p->inconsistent);
		pyx_out_puts(o, ", \"not_stopped\": [");
		for (size_t i = 0; i < p->nnot_stopped; i++)
			pyx_out_printf(o, i ? ", %" PRId64 : "%" PRId64, p->not_stopped[i]);
		pyx_out_puts(o, "]");
	}
	if (p->signal)
		jsignal(o, p);
	if (p->core_file)
		jkey_str(o, "core_file", p->core_file);
	pyx_out_puts(o, ", \"warnings\": [");
	for (size_t i = 0; i < p->nwarnings; i++) {
		if (i)
			pyx_out_puts(o, ", ");
		pyx_out_json(o, p->warnings[i]);
	}
	pyx_out_putc(o, ']');
	if (p->error)
		jkey_str(o, "error", p->error_msg);
	pyx_out_puts(o, ", \"interpreters\": [");
	for (size_t i = 0; i < p->ninterps; i++) {
		const struct pyx_interp *in = &p->interps[i];
		if (i)
			pyx_out_puts(o, ", ");
		pyx_out_printf(o, "{\"id\": %" PRId64, in->id);
		jbool(o, "main", in->is_main);
		if (in->gc_collecting < 0)
			pyx_out_puts(o, ", \"gc_collecting\": null");
		else
			jbool(o, "gc_collecting", in->gc_collecting);
		if (in->error)
			jkey_str(o, "error", in->error_msg);
		pyx_out_puts(o, ", \"threads\": [");
		for (size_t j = 0, shown = 0; j < in->nthreads; j++) {
			if (only_tid >= 0 && in->threads[j].tid != only_tid)
				continue;
			if (shown++)
				pyx_out_puts(o, ", ");
			pyx_json_thread(o, &in->threads[j], in->tasks_read);
		}
		pyx_out_putc(o, ']');
		if (in->tasks_read) {
			jkey_str(o, "tasks_source", in->tasks_source);
			if (in->tasks_error)
				jkey_str(o, "tasks_error", in->tasks_error_msg);
			jtasks(o, "tasks_of_stopped_loops", in->stopped_loop_tasks,
			       in->nstopped_loop_tasks);
		}
		pyx_out_putc(o, '}');
	}
	pyx_out_putc(o, ']');
	if (has_native(p)) {
		if (p->native_error)
			jkey_str(o, "native_error", p->native_error);
		pyx_out_puts(o, ", \"native_threads\": [");
		for (size_t j = 0, shown = 0; j < p->nnative_threads; j++) {
			if (only_tid >= 0 && p->native_threads[j].tid != only_tid)
				continue;
			if (shown++)
				pyx_out_puts(o, ", ");
			pyx_json_thread(o, &p->native_threads[j], 0);
		}
		pyx_out_putc(o, ']');
	}
	pyx_out_putc(o, '}');
}

void pyx_format_json_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
			struct pyx_out *o)
{
	pyx_out_printf(o, "{\"schema_version\": %d, \"processes\": [", snap->schema_version);
	for (size_t i = 0; i < snap->nprocs; i++) {
		if (i)
			pyx_out_puts(o, ", ");
		jprocess(o, snap, &snap->procs[i], opts->only_tid);
	}
	pyx_out_puts(o, "]}\n");
}
