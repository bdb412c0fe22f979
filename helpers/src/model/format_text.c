/* SPDX-License-Identifier: MIT */
/* The human-readable report: one block per process, interpreter and thread,
 * frames innermost first as "qualname (file:line)", the py-spy convention
 * Python engineers already read. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "snapshot_priv.h"

static void print_frame(const struct pyx_frame *f, unsigned flags, FILE *out)
{
	if (f->error) {
		fprintf(out, "    ??? (frame 0x%" PRIx64 ": %s)\n", f->frame_addr,
			f->error_msg ? f->error_msg : "undecodable");
		return;
	}
	if (f->line > 0)
		fprintf(out, "    %s (%s:%d)", f->qualname, f->file, f->line);
	else
		fprintf(out, "    %s (%s)", f->qualname, f->file);
	if (flags & PYX_FMT_ADDRS)
		fprintf(out, " [frame 0x%" PRIx64 " code 0x%" PRIx64 "]", f->frame_addr, f->code_addr);
	fputc('\n', out);
	if (flags & PYX_FMT_LOCALS)
		for (size_t i = 0; i < f->nlocals; i++)
			fprintf(out, "        %s = %s\n", f->locals[i].name,
				f->locals[i].repr ? f->locals[i].repr : "<unreadable>");
}

static void print_thread(const struct pyx_thread *th, unsigned flags, FILE *out)
{
	if (th->tid >= 0)
		fprintf(out, "Thread %" PRId64, th->tid);
	else
		fprintf(out, "Thread 0x%" PRIx64, th->thread_id);
	if (th->name)
		fprintf(out, " \"%s\"", th->name);
	if (th->holds_gil)
		fputs(" (holds the GIL)", out);
	fputc('\n', out);
	for (size_t i = 0; i < th->nframes; i++)
		print_frame(&th->frames[i], flags, out);
	if (!th->nframes && !th->truncated)
		fputs("    (no Python frames)\n", out);
	if (th->truncated)
		fprintf(out, "    ... stack cut here: %s\n", th->truncated_msg);
}

static void print_process(const struct pyx_process *p, unsigned flags, FILE *out)
{
	fprintf(out, "Process %d", (int)p->pid);
	if (p->ppid)
		fprintf(out, " (ppid %d)", (int)p->ppid);
	fputc(':', out);
	for (size_t i = 0; i < p->argc; i++)
		fprintf(out, " %s", p->argv[i]);
	if (!p->argc && p->executable)
		fprintf(out, " %s", p->executable);
	fputc('\n', out);
	if (p->error) {
		fprintf(out, "error: %s\n", p->error_msg);
		return;
	}
	fprintf(out, "Python %s (%s)\n", p->python_version ? p->python_version : "?",
		p->python_path ? p->python_path : "?");
	for (size_t i = 0; i < p->ninterps; i++) {
		const struct pyx_interp *in = &p->interps[i];
		if (p->ninterps > 1 || !in->is_main)
			fprintf(out, "\nInterpreter %" PRId64 "%s\n", in->id,
				in->is_main ? " (main)" : "");
		if (in->error)
			fprintf(out, "error: %s\n", in->error_msg);
		for (size_t j = 0; j < in->nthreads; j++) {
			fputc('\n', out);
			print_thread(&in->threads[j], flags, out);
		}
	}
}

int pyx_format_text(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err)
{
	for (size_t i = 0; i < snap->nprocs; i++) {
		if (i)
			fputc('\n', out);
		print_process(&snap->procs[i], flags, out);
	}
	if (fflush(out) != 0 || ferror(out))
		return pyx_error_set(err, PYX_E_OS, errno, 0, "writing the report: %s",
				     strerror(errno));
	return 0;
}
