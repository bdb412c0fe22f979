/* SPDX-License-Identifier: MIT */
/* The JSON report (schema in docs/json.md). Written by hand, streaming: the
 * model is simple and a JSON library would be the only dependency. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "../snapshot/snapshot_priv.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid:
 * target strings may hold lone surrogates or arbitrary bytes. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n = c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
		return 0; /* overlong, or a UTF-16 surrogate */
	if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* A JSON string: control characters escaped, invalid UTF-8 as U+FFFD, so
 * the document is valid RFC 8259 whatever the target's bytes. */
static void jstr(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(out, "\\u%04x", *p);
			} else if (*p >= 0x80) {
				size_t n = utf8_len(p);
				if (!n) {
					fputs("\\ufffd", out);
					p++;
					continue;
				}
				fwrite(p, 1, n, out);
				p += n;
				continue;
			} else {
				fputc(*p, out);
			}
		}
		p++;
	}
	fputc('"', out);
}

static void jframe(FILE *out, const struct pyx_frame *f, unsigned flags)
{
	fputs("{\"function\": ", out);
	jstr(out, f->function);
	fputs(", \"qualname\": ", out);
	jstr(out, f->qualname);
	fputs(", \"file\": ", out);
	jstr(out, f->file);
	fprintf(out, ", \"line\": %d, \"entry\": %s", f->line, f->is_entry ? "true" : "false");
	fprintf(out, ", \"frame_addr\": %" PRIu64 ", \"code_addr\": %" PRIu64, f->frame_addr,
		f->code_addr);
	if (f->error) {
		fputs(", \"error\": ", out);
		jstr(out, f->error_msg);
	}
	if (f->locals) {
		fputs(", \"locals\": [", out);
		for (size_t i = 0; i < f->nlocals; i++) {
			fputs(i ? ", {\"name\": " : "{\"name\": ", out);
			jstr(out, f->locals[i].name);
			fputs(", \"kind\": ", out);
			jstr(out, f->locals[i].kind);
			fputs(", \"repr\": ", out);
			jstr(out, f->locals[i].repr);
			fputc('}', out);
		}
		fputc(']', out);
	}
	(void)flags;
	fputc('}', out);
}

static void jthread(FILE *out, const struct pyx_thread *th, unsigned flags)
{
	fprintf(out, "{\"tid\": %" PRId64 ", \"thread_id\": %" PRIu64 ", \"name\": ", th->tid,
		th->thread_id);
	jstr(out, th->name);
	fprintf(out, ", \"holds_gil\": %s, \"frames\": [", th->holds_gil ? "true" : "false");
	for (size_t i = 0; i < th->nframes; i++) {
		if (i)
			fputs(", ", out);
		jframe(out, &th->frames[i], flags);
	}
	fputc(']', out);
	if (th->truncated) {
		fputs(", \"truncated\": ", out);
		jstr(out, th->truncated_msg);
	}
	fputc('}', out);
}

static void jprocess(FILE *out, const struct pyx_snapshot *snap, const struct pyx_process *p,
		     unsigned flags, int64_t only_tid)
{
	fprintf(out, "{\"pid\": %d, \"ppid\": %d, \"depth\": %d, \"python\": %s", (int)p->pid,
		(int)p->ppid, p->depth, p->is_python ? "true" : "false");
	fputs(", \"state\": ", out);
	jstr(out, pyx_state_name(p->state));
	fputs(", \"role\": ", out);
	jstr(out, p->role);
	fputs(", \"children\": [", out);
	int first = 1;
	for (size_t i = 0; i < snap->nprocs; i++)
		if (snap->procs[i].ppid == p->pid && &snap->procs[i] != p) {
			fprintf(out, first ? "%d" : ", %d", (int)snap->procs[i].pid);
			first = 0;
		}
	fprintf(out, "], \"threads\": %zu, \"python_version\": ", p->nthreads);
	jstr(out, p->python_version);
	fputs(", \"executable\": ", out);
	jstr(out, p->executable);
	fputs(", \"argv\": [", out);
	for (size_t i = 0; i < p->argc; i++) {
		if (i)
			fputs(", ", out);
		jstr(out, p->argv[i]);
	}
	fputs("], \"python_path\": ", out);
	jstr(out, p->python_path);
	fputs(", \"layout\": ", out);
	jstr(out, p->layout_source);
	if (p->stopped_us >= 0)
		fprintf(out, ", \"stopped_us\": %" PRId64, p->stopped_us);
	if (p->error) {
		fputs(", \"error\": ", out);
		jstr(out, p->error_msg);
	}
	fputs(", \"interpreters\": [", out);
	for (size_t i = 0; i < p->ninterps; i++) {
		const struct pyx_interp *in = &p->interps[i];
		if (i)
			fputs(", ", out);
		fprintf(out, "{\"id\": %" PRId64 ", \"main\": %s", in->id, in->is_main ? "true" : "false");
		if (in->error) {
			fputs(", \"error\": ", out);
			jstr(out, in->error_msg);
		}
		fputs(", \"threads\": [", out);
		for (size_t j = 0, shown = 0; j < in->nthreads; j++) {
			if (only_tid >= 0 && in->threads[j].tid != only_tid)
				continue;
			if (shown++)
				fputs(", ", out);
			jthread(out, &in->threads[j], flags);
		}
		fputs("]}", out);
	}
	fputs("]}", out);
}

int pyx_format_json_thread(const struct pyx_snapshot *snap, unsigned flags, int64_t only_tid,
			   FILE *out, struct pyx_error *err)
{
	fprintf(out, "{\"schema_version\": %d, \"processes\": [", snap->schema_version);
	for (size_t i = 0; i < snap->nprocs; i++) {
		if (i)
			fputs(", ", out);
		jprocess(out, snap, &snap->procs[i], flags, only_tid);
	}
	fputs("]}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return pyx_error_set(err, PYX_E_OS, errno, 0, "writing the report: %s",
				     strerror(errno));
	return 0;
}

int pyx_format_json(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err)
{
	return pyx_format_json_thread(snap, flags, -1, out, err);
}
