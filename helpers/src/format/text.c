/* SPDX-License-Identifier: MIT */
/* The human-readable report: one block per process, interpreter and thread,
 * frames innermost first as "qualname (file:line)", the py-spy convention
 * Python engineers already read, with the source line under each frame; or
 * python-gdb.py's traceback style for py-bt. Identical threads and
 * processes can be grouped, runs of one repeated frame are folded as
 * Python's tracebacks fold them, and frames left out of a deep stack are
 * counted where they were. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pyxray/frontend.h>

#include "../snapshot/snapshot_priv.h"
#include "../util/fmt.h"
#include "format_priv.h"
#include "source.h"

struct text_ctx {
	const struct pyx_format_opts *opts;
	unsigned flags;
	struct pyx_out *out;
	size_t threads_printed; /* without headers, a blank line separates threads */
	char cwd[1024];		/* ours, for --short-paths; "" when unknown */
	const struct pyx_process *proc; /* the process being printed */
	struct pyx_source_cache src; /* the last source file read */
};

/* ---- source lines ---- */

/* Line `line` of a frame's file (from a one-file cache), or NULL. A
 * relative co_filename is taken from the process's working directory. */
static const char *source_line(struct text_ctx *c, const struct pyx_process *p, const char *file,
			       int line, size_t *len)
{
	char joined[4096];
	const char *path = file;
	if (!file || line <= 0 || file[0] == '<')
		return NULL;
	if (file[0] != '/' && p && p->cwd) {
		pyx_snprintf(joined, sizeof joined, "%s/%s", p->cwd, file);
		path = joined;
	}
	const char *s;
	if (pyx_source_load(&c->src, path) < 0 || !(s = pyx_source_get_line(&c->src, line, len)))
		return NULL;
	while (*len && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == '\r' || s[*len - 1] == ' '))
		(*len)--;
	if (*len > PYX_SOURCE_LINE_MAX)
		*len = PYX_SOURCE_LINE_MAX;
	return *len ? s : NULL;
}

/* ---- frames ---- */

/* A file name as shown: with --short-paths, relative to our working folder
 * or to the site-packages folder it lies in. */
static void print_path(struct text_ctx *c, const char *file)
{
	const char *shown = file;
	if ((c->flags & PYX_FMT_SHORT_PATHS) && file) {
		size_t n = strlen(c->cwd);
		const char *site = strstr(file, "/site-packages/");
		const char *dist = strstr(file, "/dist-packages/");
		if (n > 1 && !strncmp(file, c->cwd, n) && file[n] == '/')
			shown = file + n + 1;
		else if (site)
			shown = site + 15;
		else if (dist)
			shown = dist + 15;
	}
	pyx_out_text(c->out, shown);
}

static void print_locals_list(struct text_ctx *c, const struct pyx_frame *f, int args,
			      const char *indent)
{
	for (size_t i = 0; i < f->nlocals; i++) {
		const struct pyx_var *v = &f->locals[i];
		if ((v->kind && !strcmp(v->kind, "arg")) != args)
			continue;
		pyx_out_puts(c->out, indent);
		pyx_out_text(c->out, v->name);
		pyx_out_puts(c->out, " = ");
		if (v->repr)
			pyx_out_text(c->out, v->repr);
		else
			pyx_out_puts(c->out, "<unreadable>");
		pyx_out_putc(c->out, '\n');
	}
}

static int has_kind(const struct pyx_frame *f, int args)
{
	for (size_t i = 0; i < f->nlocals; i++)
		if ((f->locals[i].kind && !strcmp(f->locals[i].kind, "arg")) == args)
			return 1;
	return 0;
}

static void print_locals(struct text_ctx *c, const struct pyx_frame *f, const char *indent,
			 const char *inner)
{
	for (int args = 1; args >= 0; args--) {
		if (!has_kind(f, args))
			continue;
		pyx_out_puts(c->out, indent);
		pyx_out_puts(c->out, args ? "Arguments:\n" : "Locals:\n");
		print_locals_list(c, f, args, inner);
	}
}

static void print_source(struct text_ctx *c, const struct pyx_process *p,
			 const struct pyx_frame *f, const char *indent)
{
	size_t len;
	const char *text;
	if (!(c->flags & PYX_FMT_SOURCE) || !(text = source_line(c, p, f->file, f->line, &len)))
		return;
	pyx_out_puts(c->out, indent);
	pyx_out_style(c->out, PYX_STYLE_NOTE);
	pyx_out_textn(c->out, text, len);
	pyx_out_style(c->out, PYX_STYLE_NONE);
	pyx_out_putc(c->out, '\n');
}

/* A library as shown: its base name with --short-paths. */
static void print_library(struct text_ctx *c, const char *lib)
{
	const char *slash = (c->flags & PYX_FMT_SHORT_PATHS) ? strrchr(lib, '/') : NULL;
	pyx_out_text(c->out, slash ? slash + 1 : lib);
}

/* "[native] symbol+0xOFF in LIBRARY (file:line)", "[native] ??? in
 * LIBRARY+0xOFF" without a symbol, "[native] 0xPC" outside any object. A
 * source line is shown under it only for an absolute file name: a
 * relative one is relative to a build folder, not to the process. */
static void print_native(struct text_ctx *c, const struct pyx_process *p, const struct pyx_frame *f)
{
	struct pyx_out *out = c->out;
	pyx_out_puts(out, "    ");
	pyx_out_style(out, PYX_STYLE_NATIVE);
	pyx_out_puts(out, "[native] ");
	pyx_out_style(out, PYX_STYLE_NONE);
	if (f->function) {
		pyx_out_style(out, PYX_STYLE_FUNC);
		pyx_out_text(out, f->function);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_printf(out, "+0x%" PRIx64, f->symbol_offset);
	} else if (f->library) {
		pyx_out_puts(out, "???");
	} else {
		pyx_out_printf(out, "0x%" PRIx64, f->pc);
	}
	if (f->library) {
		pyx_out_puts(out, " in ");
		pyx_out_style(out, PYX_STYLE_FILE);
		print_library(c, f->library);
		if (!f->function)
			pyx_out_printf(out, "+0x%" PRIx64, f->library_offset);
		pyx_out_style(out, PYX_STYLE_NONE);
	}
	if (f->file && f->line > 0) {
		pyx_out_puts(out, " (");
		pyx_out_style(out, PYX_STYLE_FILE);
		print_path(c, f->file);
		pyx_out_printf(out, ":%d", f->line);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, ')');
	}
	if (c->flags & PYX_FMT_ADDRS)
		pyx_out_printf(out, " [pc 0x%" PRIx64 "]", f->pc);
	pyx_out_putc(out, '\n');
	if (f->file && f->file[0] == '/')
		print_source(c, p, f, "        ");
}

static void print_frame(struct text_ctx *c, const struct pyx_process *p, const struct pyx_frame *f)
{
	struct pyx_out *out = c->out;
	if (f->kind == PYX_FRAME_NATIVE) {
		print_native(c, p, f);
		return;
	}
	if (f->error) {
		pyx_out_style(out, PYX_STYLE_ERROR);
		pyx_out_printf(out, "    ??? (frame 0x%" PRIx64 ": ", f->frame_addr);
		pyx_out_text(out, f->error_msg ? f->error_msg : "undecodable");
		pyx_out_putc(out, ')');
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
		return;
	}
	if (c->flags & PYX_FMT_TRACEBACK) {
		pyx_out_puts(out, "  File \"");
		pyx_out_style(out, PYX_STYLE_FILE);
		print_path(c, f->file);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_printf(out, "\", line %d, in ", f->line);
		pyx_out_style(out, PYX_STYLE_FUNC);
		pyx_out_text(out, f->qualname);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
		print_source(c, p, f, "    ");
		if (c->flags & PYX_FMT_LOCALS) {
			print_locals_list(c, f, 1, "      ");
			print_locals_list(c, f, 0, "      ");
		}
		return;
	}
	pyx_out_puts(out, "    ");
	pyx_out_style(out, PYX_STYLE_FUNC);
	pyx_out_text(out, f->qualname);
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_puts(out, " (");
	pyx_out_style(out, PYX_STYLE_FILE);
	print_path(c, f->file);
	if (f->line > 0)
		pyx_out_printf(out, ":%d", f->line);
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_putc(out, ')');
	if (c->flags & PYX_FMT_ADDRS)
		pyx_out_printf(out, " [frame 0x%" PRIx64 " code 0x%" PRIx64 "]", f->frame_addr,
			       f->code_addr);
	pyx_out_putc(out, '\n');
	print_source(c, p, f, "        ");
	if (c->flags & PYX_FMT_LOCALS)
		print_locals(c, f, "        ", "            ");
}

static int same_locals(const struct pyx_frame *x, const struct pyx_frame *y)
{
	if (x->nlocals != y->nlocals)
		return 0;
	for (size_t i = 0; i < x->nlocals; i++) {
		const char *a = x->locals[i].repr, *b = y->locals[i].repr;
		if (strcmp(x->locals[i].name, y->locals[i].name) || !a || !b || strcmp(a, b))
			return 0;
	}
	return 1;
}

static int same_frame(const struct pyx_frame *x, const struct pyx_frame *y, unsigned flags)
{
	if (x->kind != y->kind)
		return 0;
	if (x->kind == PYX_FRAME_NATIVE)
		return x->pc == y->pc;
	if (x->error || y->error || x->line != y->line || strcmp(x->qualname, y->qualname) ||
	    strcmp(x->file, y->file))
		return 0;
	return !(flags & PYX_FMT_LOCALS) || same_locals(x, y);
}

static void print_gap(struct text_ctx *c, const struct pyx_thread *th)
{
	pyx_out_style(c->out, PYX_STYLE_NOTE);
	pyx_out_printf(c->out, "    ... %zu frame%s left out here (%zu shown of %zu", th->omitted,
		       th->omitted == 1 ? "" : "s", th->nframes, th->nframes + th->omitted);
	if (c->opts->frames_hint)
		pyx_out_printf(c->out, "; %s shows more", c->opts->frames_hint);
	pyx_out_puts(c->out, ")");
	pyx_out_style(c->out, PYX_STYLE_NONE);
	pyx_out_putc(c->out, '\n');
}

/* Python's tracebacks print a repeated frame three times, then count the
 * rest (RECURSIVE_CUTOFF, Lib/traceback.py). */
enum { FOLD_AFTER = 3 };

/* Frames [from, to) with runs of one repeated frame folded. */
static void print_run(struct text_ctx *c, const struct pyx_process *p, const struct pyx_thread *th,
		      size_t from, size_t to)
{
	for (size_t i = from; i < to;) {
		size_t j = i + 1;
		if (!(c->flags & PYX_FMT_NO_FOLD))
			while (j < to && same_frame(&th->frames[i], &th->frames[j], c->flags))
				j++;
		size_t shown = j - i > FOLD_AFTER ? FOLD_AFTER : j - i;
		for (size_t k = 0; k < shown; k++)
			print_frame(c, p, &th->frames[i + k]);
		if (j - i > shown) {
			pyx_out_style(c->out, PYX_STYLE_NOTE);
			pyx_out_printf(c->out, "    [Previous frame repeated %zu more time%s]\n",
				       j - i - shown, j - i - shown == 1 ? "" : "s");
			pyx_out_style(c->out, PYX_STYLE_NONE);
		}
		i = j;
	}
}

static void print_frames(struct text_ctx *c, const struct pyx_process *p,
			 const struct pyx_thread *th)
{
	if (c->flags & PYX_FMT_TRACEBACK)
		pyx_out_puts(c->out, "Traceback (most recent call first):\n");
	size_t gap = th->omitted ? th->omitted_at : th->nframes;
	print_run(c, p, th, 0, gap);
	if (th->omitted)
		print_gap(c, th);
	print_run(c, p, th, gap, th->nframes);
	if (!th->nframes && !th->truncated)
		pyx_out_puts(c->out, th->native ? "    (no frames)\n" : "    (no Python frames)\n");
	if (th->truncated) {
		pyx_out_style(c->out, PYX_STYLE_ERROR);
		pyx_out_puts(c->out, "    ... stack cut here: ");
		pyx_out_text(c->out, th->truncated_msg);
		pyx_out_style(c->out, PYX_STYLE_NONE);
		pyx_out_putc(c->out, '\n');
	}
	if (th->native_error) {
		pyx_out_style(c->out, PYX_STYLE_ERROR);
		pyx_out_puts(c->out, "    ... native stack: ");
		pyx_out_text(c->out, th->native_error);
		pyx_out_style(c->out, PYX_STYLE_NONE);
		pyx_out_putc(c->out, '\n');
	}
}

/* ---- asyncio tasks ---- */

static int tasks_shown(const struct text_ctx *c, const struct pyx_interp *in)
{
	return in->tasks_read && (c->flags & (PYX_FMT_TASKS | PYX_FMT_ONLY_TASKS));
}

struct task_frame_ctx {
	struct text_ctx *c;
	const struct pyx_process *p;
};

static void task_frame(void *ctx, const struct pyx_frame *f)
{
	struct task_frame_ctx *t = ctx;
	print_frame(t->c, t->p, f);
}

static void print_tasks(struct text_ctx *c, const struct pyx_process *p,
			const struct pyx_interp *in, const struct pyx_task *tasks, size_t n,
			const char *title)
{
	struct task_frame_ctx tc = {c, p};
	struct pyx_task_printer tp = {
		.out = c->out,
		.group = !(c->flags & PYX_FMT_NO_FOLD),
		.addrs = !!(c->flags & PYX_FMT_ADDRS),
		.frame = task_frame,
		.ctx = &tc,
	};
	pyx_format_tasks_text(&tp, in, tasks, n, title);
}

static void print_thread_tasks(struct text_ctx *c, const struct pyx_process *p,
			       const struct pyx_interp *in, const struct pyx_thread *th)
{
	char title[96];
	pyx_snprintf(title, sizeof title, "asyncio tasks of the event loop 0x%llx it runs",
		     (unsigned long long)th->loop_addr);
	if (!th->ntasks) {
		pyx_out_printf(c->out, "\n%s: none pending\n", title);
		return;
	}
	print_tasks(c, p, in, th->tasks, th->ntasks, title);
}

/* After an interpreter's threads: where its tasks came from, the tasks of
 * loops no thread runs, and the await tree. */
static void print_interp_tasks(struct text_ctx *c, const struct pyx_process *p,
			       const struct pyx_interp *in)
{
	struct pyx_out *out = c->out;
	size_t n = in->nstopped_loop_tasks;
	for (size_t i = 0; i < in->nthreads; i++)
		n += in->threads[i].ntasks;
	print_tasks(c, p, in, in->stopped_loop_tasks, in->nstopped_loop_tasks,
		    "asyncio tasks of event loops that no thread is running");
	if (in->tasks_error) {
		pyx_out_style(out, PYX_STYLE_ERROR);
		pyx_out_puts(out, "\nasyncio tasks incomplete: ");
		pyx_out_text(out, in->tasks_error_msg);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
	}
	pyx_out_style(out, PYX_STYLE_NOTE);
	const char *src = in->tasks_source ? in->tasks_source : "?";
	pyx_out_printf(out, "\n%zu asyncio task%s pending, found %s", n, n == 1 ? "" : "s",
		       strncmp(src, "nowhere", 7) ? "in " : "");
	pyx_out_text(out, src);
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_putc(out, '\n');
	pyx_format_await_tree(out, in, !(c->flags & PYX_FMT_NO_FOLD));
}

/* ---- threads ---- */

static void print_thread_id(struct text_ctx *c, const struct pyx_thread *th)
{
	if (th->tid >= 0)
		pyx_out_printf(c->out, "%" PRId64, th->tid);
	else
		pyx_out_printf(c->out, "0x%" PRIx64, th->thread_id);
	if (th->name) {
		pyx_out_puts(c->out, " \"");
		pyx_out_text(c->out, th->name);
		pyx_out_putc(c->out, '"');
	}
}

/* A thread that ran on while its process was read (pyx_process.not_stopped). */
static int not_stopped(const struct pyx_process *p, const struct pyx_thread *th)
{
	for (size_t i = 0; p && th->tid >= 0 && i < p->nnot_stopped; i++)
		if (p->not_stopped[i] == th->tid)
			return 1;
	return 0;
}

/* " (holds the GIL, idle in futex)": what the thread was doing. */
static void print_thread_state(struct text_ctx *c, const struct pyx_thread *th)
{
	const char *sep = " (";
	if (th->no_python) {
		pyx_out_puts(c->out, " (no Python");
		sep = ", ";
	}
	if (not_stopped(c->proc, th)) {
		pyx_out_puts(c->out, sep);
		pyx_out_style(c->out, PYX_STYLE_ERROR);
		pyx_out_puts(c->out, "not stopped");
		pyx_out_style(c->out, PYX_STYLE_NONE);
		sep = ", ";
	}
	if (th->crashed) {
		pyx_out_puts(c->out, sep);
		pyx_out_style(c->out, PYX_STYLE_GIL);
		pyx_out_puts(c->out, "crashed");
		pyx_out_style(c->out, PYX_STYLE_NONE);
		sep = ", ";
	}
	if (th->holds_gil) {
		pyx_out_puts(c->out, sep);
		pyx_out_style(c->out, PYX_STYLE_GIL);
		pyx_out_puts(c->out, "holds the GIL");
		pyx_out_style(c->out, PYX_STYLE_NONE);
		sep = ", ";
	}
	if (th->in_gc) {
		pyx_out_puts(c->out, sep);
		pyx_out_puts(c->out, "in the garbage collector");
		sep = ", ";
	}
	const char *state = pyx_thread_state_name(th->state);
	if (state) {
		pyx_out_puts(c->out, sep);
		pyx_out_puts(c->out, state);
		if (th->state == PYX_THREAD_IDLE && th->syscall_name)
			pyx_out_printf(c->out, " in %s", th->syscall_name);
		sep = ", ";
	}
	if (sep[0] == ',')
		pyx_out_putc(c->out, ')');
}

/* Same crashed / GIL / GC / state / system call: one state line serves both. */
static int same_state(const struct pyx_process *p, const struct pyx_thread *a,
		      const struct pyx_thread *b)
{
	return a->no_python == b->no_python && a->crashed == b->crashed &&
	       a->holds_gil == b->holds_gil && a->in_gc == b->in_gc && a->state == b->state &&
	       a->syscall == b->syscall && not_stopped(p, a) == not_stopped(p, b);
}

/* Identical Python stacks (and locals, when they are shown). */
static int same_stack(const struct pyx_thread *a, const struct pyx_thread *b, unsigned flags)
{
	/* A thread that runs an event loop is shown with its own tasks. */
	if (a->loop_addr || b->loop_addr || a->ntasks || b->ntasks)
		return 0;
	if (a->nframes != b->nframes || a->truncated != b->truncated || a->omitted != b->omitted ||
	    !a->native_error != !b->native_error)
		return 0;
	for (size_t i = 0; i < a->nframes; i++)
		if (!same_frame(&a->frames[i], &b->frames[i], flags))
			return 0;
	return 1;
}

/* With grouping, a thread is printed by the first thread of its group. */
static int printed_before(const struct pyx_thread *threads, size_t j, unsigned flags, int64_t only)
{
	for (size_t k = 0; k < j; k++)
		if ((only < 0 || threads[k].tid == only) && same_stack(&threads[k], &threads[j], flags))
			return 1;
	return 0;
}

/* threads of interpreter in, or (in NULL) the threads without Python. */
static void print_threads(struct text_ctx *c, const struct pyx_process *p,
			  const struct pyx_interp *in, const struct pyx_thread *threads,
			  size_t nthreads)
{
	int group = c->flags & PYX_FMT_GROUP;
	int64_t only = c->opts->only_tid;
	for (size_t j = 0; j < nthreads; j++) {
		const struct pyx_thread *th = &threads[j];
		if ((only >= 0 && th->tid != only) ||
		    (group && printed_before(threads, j, c->flags, only)))
			continue;
		if ((c->flags & PYX_FMT_ONLY_TASKS) && !th->loop_addr && !th->ntasks)
			continue;
		size_t same = 0;
		for (size_t k = j + 1; group && k < nthreads; k++)
			same += same_stack(th, &threads[k], c->flags);
		if (!(c->flags & PYX_FMT_NO_HEADER) || c->threads_printed)
			pyx_out_putc(c->out, '\n');
		c->threads_printed++;
		pyx_out_style(c->out, PYX_STYLE_HEADER);
		if (same) {
			/* One state for the group when they all share it. */
			int shared = 1;
			for (size_t k = j + 1; k < nthreads; k++)
				if (same_stack(th, &threads[k], c->flags))
					shared &= same_state(p, th, &threads[k]);
			pyx_out_printf(c->out, "%zu threads with this stack: ", same + 1);
			print_thread_id(c, th);
			if (!shared)
				print_thread_state(c, th);
			for (size_t k = j + 1; k < nthreads; k++)
				if (same_stack(th, &threads[k], c->flags)) {
					pyx_out_puts(c->out, ", ");
					print_thread_id(c, &threads[k]);
					if (!shared)
						print_thread_state(c, &threads[k]);
				}
			if (shared)
				print_thread_state(c, th);
			pyx_out_putc(c->out, '\n');
		} else if (!(c->flags & PYX_FMT_NO_HEADER) || only < 0) {
			/* A caller that names the thread and wants no headers (GDB's
			 * py-bt) gets python-gdb.py's layout: the traceback alone. */
			pyx_out_puts(c->out, "Thread ");
			print_thread_id(c, th);
			print_thread_state(c, th);
			pyx_out_putc(c->out, '\n');
		}
		pyx_out_style(c->out, PYX_STYLE_NONE);
		if (!(c->flags & PYX_FMT_ONLY_TASKS))
			print_frames(c, p, th);
		if (in && tasks_shown(c, in) && (th->loop_addr || th->ntasks))
			print_thread_tasks(c, p, in, th);
	}
}

/* ---- processes ---- */

static void print_process_id(struct text_ctx *c, const struct pyx_process *p)
{
	pyx_out_printf(c->out, "%d", (int)p->pid);
	if (p->role) {
		pyx_out_puts(c->out, " \"");
		pyx_out_text(c->out, p->role);
		pyx_out_putc(c->out, '"');
	}
}

/* Where a post-mortem process came from, and what is wrong with it. */
static void print_core_lines(struct text_ctx *c, const struct pyx_process *p)
{
	struct pyx_out *out = c->out;
	if (p->core_file) {
		pyx_out_puts(out, "Core dump ");
		pyx_out_text(out, p->core_file);
		if (!p->signal)
			pyx_out_puts(out, ", taken from a live process (gcore): no fatal signal");
		else if (p->source && !strcmp(p->source, "gcore"))
			pyx_out_puts(out, ", taken by GDB from a process stopped by that signal");
		pyx_out_putc(out, '\n');
	}
	for (size_t i = 0; i < p->nwarnings; i++) {
		pyx_out_style(out, PYX_STYLE_ERROR);
		pyx_out_puts(out, "warning: ");
		pyx_out_text(out, p->warnings[i]);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
	}
}

static void print_process_header(struct text_ctx *c, const struct pyx_process *p)
{
	struct pyx_out *out = c->out;
	pyx_out_style(out, PYX_STYLE_HEADER);
	pyx_out_puts(out, "Process ");
	print_process_id(c, p);
	if (p->ppid)
		pyx_out_printf(out, " (ppid %d)", (int)p->ppid);
	pyx_out_putc(out, ':');
	for (size_t i = 0; i < p->argc; i++) {
		pyx_out_putc(out, ' ');
		pyx_out_text(out, p->argv[i]);
	}
	if (!p->argc && p->executable) {
		pyx_out_putc(out, ' ');
		pyx_out_text(out, p->executable);
	}
	if (p->kernel_thread) {
		pyx_out_puts(out, " [");
		pyx_out_text(out, p->kernel_thread);
		pyx_out_putc(out, ']');
	}
	pyx_out_style(out, PYX_STYLE_NONE);
	pyx_out_putc(out, '\n');
	if (p->signal) {
		pyx_out_style(out, PYX_STYLE_GIL);
		pyx_format_signal_line(out, p);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
	}
	print_core_lines(c, p);
}

static void print_process_body(struct text_ctx *c, const struct pyx_process *p)
{
	struct pyx_out *out = c->out;
	c->proc = p;
	if (p->error) {
		if (p->kernel_thread) {
			pyx_out_puts(out, "(a kernel thread: no user memory, no Python)\n");
		} else if (p->error == PYX_E_NOT_PYTHON) {
			pyx_out_puts(out, "(not a Python process)\n");
		} else {
			pyx_out_style(out, PYX_STYLE_ERROR);
			pyx_out_puts(out, "error: ");
			pyx_out_text(out, p->error_msg);
			pyx_out_style(out, PYX_STYLE_NONE);
			pyx_out_putc(out, '\n');
		}
		if (!p->ninterps)
			return;
	}
	if (!(c->flags & PYX_FMT_NO_HEADER)) {
		size_t n = p->nthreads;
		pyx_out_printf(out, "Python %s (", p->python_version ? p->python_version : "?");
		pyx_out_text(out, p->python_path ? p->python_path : "?");
		pyx_out_printf(out, "), %zu thread%s", n, n == 1 ? "" : "s");
		if (p->nnative_threads)
			pyx_out_printf(out, " and %zu without Python", p->nnative_threads);
		pyx_out_putc(out, '\n');
		if (p->source && !strcmp(p->source, "stub"))
			/* The stub reads from a signal handler: nothing stops
			 * the process's other threads. */
			pyx_out_puts(out, "(read from inside the process: other threads kept "
					  "running, their stacks may be moments apart)\n");
	}
	if (p->inconsistent) {
		pyx_out_style(out, PYX_STYLE_ERROR);
		pyx_out_puts(out, "warning: stacks may be inconsistent: ");
		pyx_out_text(out, p->inconsistent);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
	}
	for (size_t i = 0; i < p->ninterps; i++) {
		const struct pyx_interp *in = &p->interps[i];
		if (!(c->flags & PYX_FMT_NO_HEADER) && (p->ninterps > 1 || !in->is_main))
			pyx_out_printf(out, "\nInterpreter %" PRId64 "%s\n", in->id,
				       in->is_main ? " (main)" : "");
		if (in->error) {
			pyx_out_style(out, PYX_STYLE_ERROR);
			pyx_out_puts(out, "error: ");
			pyx_out_text(out, in->error_msg);
			pyx_out_style(out, PYX_STYLE_NONE);
			pyx_out_putc(out, '\n');
		}
		print_threads(c, p, in, in->threads, in->nthreads);
		if (tasks_shown(c, in) && c->opts->only_tid < 0)
			print_interp_tasks(c, p, in);
	}
	if (p->native_error) {
		pyx_out_style(out, PYX_STYLE_ERROR);
		pyx_out_puts(out, "native stacks: ");
		pyx_out_text(out, p->native_error);
		pyx_out_style(out, PYX_STYLE_NONE);
		pyx_out_putc(out, '\n');
	}
	print_threads(c, p, NULL, p->native_threads, p->nnative_threads);
}

/* Two processes whose every thread has the same Python stack. */
static int same_process(const struct pyx_process *a, const struct pyx_process *b, unsigned flags)
{
	if (a->error || b->error || a->inconsistent || b->inconsistent || !a->is_python ||
	    !b->is_python || a->ninterps != b->ninterps ||
	    !a->python_version || !b->python_version ||
	    strcmp(a->python_version, b->python_version) || a->signal || b->signal ||
	    a->nwarnings != b->nwarnings)
		return 0;
	for (size_t i = 0; i < a->ninterps; i++) {
		const struct pyx_interp *x = &a->interps[i], *y = &b->interps[i];
		if (x->nthreads != y->nthreads || x->error || y->error)
			return 0;
		for (size_t j = 0; j < x->nthreads; j++)
			if (!same_stack(&x->threads[j], &y->threads[j], flags))
				return 0;
	}
	if (a->nnative_threads != b->nnative_threads || !a->native_error != !b->native_error)
		return 0;
	for (size_t j = 0; j < a->nnative_threads; j++)
		if (!same_stack(&a->native_threads[j], &b->native_threads[j], flags))
			return 0;
	return 1;
}

static void print_processes(struct text_ctx *c, const struct pyx_snapshot *snap)
{
	int group = (c->flags & PYX_FMT_GROUP) && snap->nprocs > 1;
	for (size_t i = 0, shown = 0; i < snap->nprocs; i++) {
		const struct pyx_process *p = &snap->procs[i];
		int before = 0;
		for (size_t k = 0; group && k < i && !before; k++)
			before = same_process(&snap->procs[k], p, c->flags);
		if (before)
			continue;
		if (shown++)
			pyx_out_putc(c->out, '\n');
		size_t same = 0;
		for (size_t k = i + 1; group && k < snap->nprocs; k++)
			same += same_process(p, &snap->procs[k], c->flags);
		if (!same) {
			if (!(c->flags & PYX_FMT_NO_HEADER))
				print_process_header(c, p);
			print_process_body(c, p);
			continue;
		}
		pyx_out_style(c->out, PYX_STYLE_HEADER);
		pyx_out_printf(c->out, "%zu processes with these stacks: ", same + 1);
		print_process_id(c, p);
		for (size_t k = i + 1; k < snap->nprocs; k++)
			if (same_process(p, &snap->procs[k], c->flags)) {
				pyx_out_puts(c->out, ", ");
				print_process_id(c, &snap->procs[k]);
			}
		pyx_out_style(c->out, PYX_STYLE_NONE);
		pyx_out_putc(c->out, '\n');
		pyx_out_printf(c->out, "(threads of pid %d shown)\n", (int)p->pid);
		print_process_header(c, p);
		print_process_body(c, p);
	}
}

void pyx_format_text_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
			struct pyx_out *out)
{
	struct text_ctx c = {.opts = opts, .flags = opts->flags, .out = out};
	if ((opts->flags & PYX_FMT_SHORT_PATHS) && !getcwd(c.cwd, sizeof c.cwd))
		c.cwd[0] = '\0';
	print_processes(&c, snap);
	if (c.src.path) /* only with PYX_FMT_SOURCE, which the stub does not ask */
		pyx_source_cache_deinit(&c.src);
}
