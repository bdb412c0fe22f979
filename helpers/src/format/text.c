/* SPDX-License-Identifier: MIT */
/* The human-readable report: one block per process, interpreter and thread,
 * frames innermost first as "qualname (file:line)", the py-spy convention
 * Python engineers already read; or python-gdb.py's traceback style for
 * py-bt. Threads with identical stacks can be grouped. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../snapshot/snapshot_priv.h"

enum { SOURCE_LINE_MAX = 512, SOURCE_FILE_MAX = 16 << 20 };

struct text_ctx {
	unsigned flags;
	int64_t only_tid;
	FILE *out;
	size_t threads_printed; /* without headers, a blank line separates threads */
	/* source cache: the last file read */
	char *src_path;
	char *src_text;
	size_t src_len;
};

/* Writes a string that came from the target (names, file names, argv) with
 * control characters escaped, so that it cannot drive the terminal. */
static void tstr(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "?");
	for (;;) {
		const unsigned char *run = p;
		while (*p >= 0x20 && *p != 0x7f)
			p++;
		if (p > run)
			fwrite(run, 1, (size_t)(p - run), out);
		if (!*p)
			return;
		fprintf(out, "\\x%02x", *p++);
	}
}

/* A source file named by the target (co_filename is target data): only a
 * regular file, opened without blocking (a FIFO must not hang us), at most
 * SOURCE_FILE_MAX bytes. NULL when it cannot be read. */
static char *read_source(const char *path, size_t *len)
{
	struct stat st;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SOURCE_FILE_MAX)
		goto out;
	size_t size = (size_t)st.st_size, got = 0;
	text = malloc(size + 1);
	while (text && got < size) {
		ssize_t n = read(fd, text + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (text)
		*len = got;
out:
	close(fd);
	return text;
}

/* Line `line` of `path` (from a one-file cache), or NULL. */
static const char *source_line(struct text_ctx *c, const char *path, int line, size_t *len)
{
	if (!c->src_path || strcmp(c->src_path, path)) {
		free(c->src_path);
		free(c->src_text);
		c->src_path = strdup(path);
		c->src_text = NULL;
		c->src_len = 0;
		c->src_text = read_source(path, &c->src_len);
	}
	if (!c->src_text || line <= 0)
		return NULL;
	const char *p = c->src_text, *end = p + c->src_len;
	for (int i = 1; i < line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	if (*len > SOURCE_LINE_MAX)
		*len = SOURCE_LINE_MAX;
	return p;
}

static void print_locals(struct text_ctx *c, const struct pyx_frame *f, const char *indent)
{
	for (size_t i = 0; i < f->nlocals; i++)
		fprintf(c->out, "%s%s = %s\n", indent, f->locals[i].name,
			f->locals[i].repr ? f->locals[i].repr : "<unreadable>");
}

static void print_frame(struct text_ctx *c, const struct pyx_frame *f)
{
	FILE *out = c->out;
	if (f->error) {
		fprintf(out, "    ??? (frame 0x%" PRIx64 ": %s)\n", f->frame_addr,
			f->error_msg ? f->error_msg : "undecodable");
		return;
	}
	if (c->flags & PYX_FMT_TRACEBACK) {
		fputs("  File \"", out);
		tstr(out, f->file);
		fprintf(out, "\", line %d, in ", f->line);
		tstr(out, f->qualname);
		fputc('\n', out);
		size_t len;
		const char *text;
		if ((c->flags & PYX_FMT_SOURCE) && (text = source_line(c, f->file, f->line, &len)))
			fprintf(out, "    %.*s\n", (int)len, text);
		if (c->flags & PYX_FMT_LOCALS)
			print_locals(c, f, "      ");
		return;
	}
	fputs("    ", out);
	tstr(out, f->qualname);
	fputs(" (", out);
	tstr(out, f->file);
	if (f->line > 0)
		fprintf(out, ":%d", f->line);
	fputc(')', out);
	if (c->flags & PYX_FMT_ADDRS)
		fprintf(out, " [frame 0x%" PRIx64 " code 0x%" PRIx64 "]", f->frame_addr,
			f->code_addr);
	fputc('\n', out);
	if (c->flags & PYX_FMT_LOCALS)
		print_locals(c, f, "        ");
}

static void print_thread_id(struct text_ctx *c, const struct pyx_thread *th)
{
	if (th->tid >= 0)
		fprintf(c->out, "%" PRId64, th->tid);
	else
		fprintf(c->out, "0x%" PRIx64, th->thread_id);
	if (th->name) {
		fputs(" \"", c->out);
		tstr(c->out, th->name);
		fputc('"', c->out);
	}
	if (th->holds_gil)
		fputs(" (holds the GIL)", c->out);
}

static void print_frames(struct text_ctx *c, const struct pyx_thread *th)
{
	if (c->flags & PYX_FMT_TRACEBACK)
		fputs("Traceback (most recent call first):\n", c->out);
	for (size_t i = 0; i < th->nframes; i++)
		print_frame(c, &th->frames[i]);
	if (!th->nframes && !th->truncated)
		fputs("    (no Python frames)\n", c->out);
	if (th->truncated)
		fprintf(c->out, "    ... stack cut here: %s\n", th->truncated_msg);
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

/* Identical Python stacks (and locals, when they are shown). */
static int same_stack(const struct pyx_thread *a, const struct pyx_thread *b, unsigned flags)
{
	if (a->nframes != b->nframes || a->truncated != b->truncated)
		return 0;
	for (size_t i = 0; i < a->nframes; i++) {
		const struct pyx_frame *x = &a->frames[i], *y = &b->frames[i];
		if (x->error || y->error || x->line != y->line ||
		    strcmp(x->qualname, y->qualname) || strcmp(x->file, y->file))
			return 0;
		if ((flags & PYX_FMT_LOCALS) && !same_locals(x, y))
			return 0;
	}
	return 1;
}

static void print_threads(struct text_ctx *c, const struct pyx_interp *in)
{
	char *done = calloc(in->nthreads ? in->nthreads : 1, 1);
	for (size_t j = 0; j < in->nthreads; j++) {
		const struct pyx_thread *th = &in->threads[j];
		if ((done && done[j]) || (c->only_tid >= 0 && th->tid != c->only_tid))
			continue;
		size_t same = 0;
		if ((c->flags & PYX_FMT_GROUP) && done)
			for (size_t k = j + 1; k < in->nthreads; k++)
				same += !done[k] && same_stack(th, &in->threads[k], c->flags);
		if (!(c->flags & PYX_FMT_NO_HEADER) || c->threads_printed)
			fputc('\n', c->out);
		c->threads_printed++;
		if (same) {
			fprintf(c->out, "%zu threads with this stack: ", same + 1);
			print_thread_id(c, th);
			for (size_t k = j + 1; k < in->nthreads; k++)
				if (!done[k] && same_stack(th, &in->threads[k], c->flags)) {
					done[k] = 1;
					fputs(", ", c->out);
					print_thread_id(c, &in->threads[k]);
				}
			fputc('\n', c->out);
		} else if (!(c->flags & PYX_FMT_NO_HEADER) || c->only_tid < 0) {
			/* A caller that names the thread and wants no headers (GDB's
			 * py-bt) gets python-gdb.py's layout: the traceback alone. */
			fputs("Thread ", c->out);
			print_thread_id(c, th);
			fputc('\n', c->out);
		}
		print_frames(c, th);
	}
	free(done);
}

static void print_process_id(struct text_ctx *c, const struct pyx_process *p)
{
	fprintf(c->out, "%d", (int)p->pid);
	if (p->role) {
		fputs(" \"", c->out);
		tstr(c->out, p->role);
		fputc('"', c->out);
	}
}

static void print_process_header(struct text_ctx *c, const struct pyx_process *p)
{
	FILE *out = c->out;
	fputs("Process ", out);
	print_process_id(c, p);
	if (p->ppid)
		fprintf(out, " (ppid %d)", (int)p->ppid);
	fputc(':', out);
	for (size_t i = 0; i < p->argc; i++) {
		fputc(' ', out);
		tstr(out, p->argv[i]);
	}
	if (!p->argc && p->executable)
		fprintf(out, " %s", p->executable);
	fputc('\n', out);
}

/* OS threads of a process: a thread that entered several interpreters has
 * a thread state in each, counted once. */
static void print_process_body(struct text_ctx *c, const struct pyx_process *p)
{
	FILE *out = c->out;
	if (p->error) {
		if (p->error == PYX_E_NOT_PYTHON)
			fputs("(not a Python process)\n", out);
		else
			fprintf(out, "error: %s\n", p->error_msg);
		if (!p->ninterps)
			return;
	}
	if (!(c->flags & PYX_FMT_NO_HEADER)) {
		size_t n = p->nthreads;
		fprintf(out, "Python %s (%s), %zu thread%s\n",
			p->python_version ? p->python_version : "?",
			p->python_path ? p->python_path : "?", n, n == 1 ? "" : "s");
	}
	for (size_t i = 0; i < p->ninterps; i++) {
		const struct pyx_interp *in = &p->interps[i];
		if (!(c->flags & PYX_FMT_NO_HEADER) && (p->ninterps > 1 || !in->is_main))
			fprintf(out, "\nInterpreter %" PRId64 "%s\n", in->id,
				in->is_main ? " (main)" : "");
		if (in->error)
			fprintf(out, "error: %s\n", in->error_msg);
		print_threads(c, in);
	}
}

/* Two processes whose every thread has the same Python stack. */
static int same_process(const struct pyx_process *a, const struct pyx_process *b, unsigned flags)
{
	if (a->error || b->error || !a->is_python || !b->is_python || a->ninterps != b->ninterps ||
	    !a->python_version || !b->python_version ||
	    strcmp(a->python_version, b->python_version))
		return 0;
	for (size_t i = 0; i < a->ninterps; i++) {
		const struct pyx_interp *x = &a->interps[i], *y = &b->interps[i];
		if (x->nthreads != y->nthreads || x->error || y->error)
			return 0;
		for (size_t j = 0; j < x->nthreads; j++)
			if (!same_stack(&x->threads[j], &y->threads[j], flags))
				return 0;
	}
	return 1;
}

static void print_processes(struct text_ctx *c, const struct pyx_snapshot *snap)
{
	char *done = calloc(snap->nprocs ? snap->nprocs : 1, 1);
	int group = (c->flags & PYX_FMT_GROUP) && snap->nprocs > 1 && done;
	for (size_t i = 0, shown = 0; i < snap->nprocs; i++) {
		const struct pyx_process *p = &snap->procs[i];
		if (done && done[i])
			continue;
		if (shown++)
			fputc('\n', c->out);
		size_t same = 0;
		for (size_t k = i + 1; group && k < snap->nprocs; k++)
			same += !done[k] && same_process(p, &snap->procs[k], c->flags);
		if (!same) {
			if (!(c->flags & PYX_FMT_NO_HEADER))
				print_process_header(c, p);
			print_process_body(c, p);
			continue;
		}
		fprintf(c->out, "%zu processes with these stacks: ", same + 1);
		print_process_id(c, p);
		for (size_t k = i + 1; k < snap->nprocs; k++)
			if (!done[k] && same_process(p, &snap->procs[k], c->flags)) {
				done[k] = 1;
				fputs(", ", c->out);
				print_process_id(c, &snap->procs[k]);
			}
		fputc('\n', c->out);
		fprintf(c->out, "(threads of pid %d shown)\n", (int)p->pid);
		print_process_header(c, p);
		print_process_body(c, p);
	}
	free(done);
}

static int format_text(const struct pyx_snapshot *snap, unsigned flags, int64_t only_tid, FILE *out,
		       struct pyx_error *err)
{
	struct text_ctx c = {.flags = flags, .only_tid = only_tid, .out = out};
	print_processes(&c, snap);
	free(c.src_path);
	free(c.src_text);
	if (fflush(out) != 0 || ferror(out))
		return pyx_error_set(err, PYX_E_OS, errno, 0, "writing the report: %s",
				     strerror(errno));
	return 0;
}

int pyx_format_text(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err)
{
	return format_text(snap, flags, -1, out, err);
}

int pyx_format_string(const struct pyx_snapshot *snap, int json, unsigned flags, int64_t only_tid,
		      char **out, struct pyx_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return pyx_error_set(err, PYX_E_NOMEM, errno, 0, "out of memory");
	int rc = json ? pyx_format_json_thread(snap, flags, only_tid, f, err)
		      : format_text(snap, flags, only_tid, f, err);
	if (fclose(f) != 0 && rc == 0)
		rc = pyx_error_set(err, PYX_E_NOMEM, errno, 0, "out of memory");
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

void pyx_free(void *p)
{
	free(p);
}
