/* SPDX-License-Identifier: MIT */
/* The formatters' entry points (a file descriptor, a stream, a string) and
 * what they share: signal names for crash reports. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "format_priv.h"

static void run(const struct pyx_snapshot *snap, enum pyx_report kind,
		const struct pyx_format_opts *opts, struct pyx_out *out)
{
	struct pyx_format_opts defaults = {.only_tid = -1};
	if (!opts)
		opts = &defaults;
	out->color = !!(opts->flags & PYX_FMT_COLOR) && kind == PYX_REPORT_TEXT;
	switch (kind) {
	case PYX_REPORT_JSON:
		pyx_format_json_to(snap, opts, out);
		break;
	case PYX_REPORT_PS:
		pyx_format_ps_to(snap, opts, out);
		break;
	default:
		pyx_format_text_to(snap, opts, out);
		break;
	}
}

int pyx_format_write(const struct pyx_snapshot *snap, enum pyx_report kind,
		     const struct pyx_format_opts *opts, int fd, struct pyx_error *err)
{
	struct pyx_out out;
	pyx_out_init_fd(&out, fd);
	run(snap, kind, opts, &out);
	return pyx_out_finish(&out, err);
}

int pyx_format_file(const struct pyx_snapshot *snap, enum pyx_report kind,
		    const struct pyx_format_opts *opts, FILE *f, struct pyx_error *err)
{
	struct pyx_out out;
	pyx_out_init_file(&out, f);
	run(snap, kind, opts, &out);
	return pyx_out_finish(&out, err);
}

int pyx_format_alloc(const struct pyx_snapshot *snap, enum pyx_report kind,
		     const struct pyx_format_opts *opts, char **res, size_t *len,
		     struct pyx_error *err)
{
	struct pyx_out out;
	pyx_out_init_mem(&out);
	run(snap, kind, opts, &out);
	int rc = pyx_out_finish(&out, err);
	if (rc < 0) {
		free(out.mem);
		return rc;
	}
	*res = out.mem;
	if (len)
		*len = out.mem_len;
	return 0;
}

int pyx_format_text(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err)
{
	struct pyx_format_opts o = {.flags = flags, .only_tid = -1};
	return pyx_format_file(snap, PYX_REPORT_TEXT, &o, out, err);
}

int pyx_format_json(const struct pyx_snapshot *snap, unsigned flags, FILE *out,
		    struct pyx_error *err)
{
	struct pyx_format_opts o = {.flags = flags, .only_tid = -1};
	return pyx_format_file(snap, PYX_REPORT_JSON, &o, out, err);
}

int pyx_format_ps(const struct pyx_snapshot *snap, FILE *out, struct pyx_error *err)
{
	return pyx_format_file(snap, PYX_REPORT_PS, NULL, out, err);
}

int pyx_format_string(const struct pyx_snapshot *snap, int json, unsigned flags, int64_t only_tid,
		      char **out, struct pyx_error *err)
{
	struct pyx_format_opts o = {.flags = flags, .only_tid = only_tid};
	return pyx_format_alloc(snap, json ? PYX_REPORT_JSON : PYX_REPORT_TEXT, &o, out, NULL, err);
}

void pyx_free(void *p)
{
	free(p);
}

const char *pyx_signal_name(int signo)
{
	switch (signo) {
#define SIG(name) \
	case name:    \
		return #name;
		SIG(SIGHUP) SIG(SIGINT) SIG(SIGQUIT) SIG(SIGILL) SIG(SIGTRAP) SIG(SIGABRT)
		SIG(SIGBUS) SIG(SIGFPE) SIG(SIGKILL) SIG(SIGUSR1) SIG(SIGSEGV) SIG(SIGUSR2)
		SIG(SIGPIPE) SIG(SIGALRM) SIG(SIGTERM) SIG(SIGSTKFLT) SIG(SIGCHLD) SIG(SIGCONT)
		SIG(SIGSTOP) SIG(SIGTSTP) SIG(SIGTTIN) SIG(SIGTTOU) SIG(SIGURG) SIG(SIGXCPU)
		SIG(SIGXFSZ) SIG(SIGVTALRM) SIG(SIGPROF) SIG(SIGWINCH) SIG(SIGIO) SIG(SIGPWR)
		SIG(SIGSYS)
#undef SIG
	}
	return NULL;
}

const char *pyx_signal_code_name(int signo, int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_KERNEL:
		return "SI_KERNEL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TKILL:
		return "SI_TKILL";
	}
	switch (signo) {
	case SIGSEGV:
		return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : NULL;
	case SIGBUS:
		return code == BUS_ADRALN   ? "BUS_ADRALN"
		       : code == BUS_ADRERR ? "BUS_ADRERR"
		       : code == BUS_OBJERR ? "BUS_OBJERR"
					    : NULL;
	case SIGFPE:
		return code == FPE_INTDIV   ? "FPE_INTDIV"
		       : code == FPE_INTOVF ? "FPE_INTOVF"
		       : code == FPE_FLTDIV ? "FPE_FLTDIV"
		       : code == FPE_FLTINV ? "FPE_FLTINV"
					    : NULL;
	case SIGILL:
		return code == ILL_ILLOPC ? "ILL_ILLOPC" : code == ILL_ILLOPN ? "ILL_ILLOPN" : NULL;
	}
	return NULL;
}

static int has_address(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE;
}

void pyx_format_signal_line(struct pyx_out *out, const struct pyx_process *p)
{
	const char *name = pyx_signal_name(p->signal);
	const char *code = pyx_signal_code_name(p->signal, p->signal_code);
	if (name)
		pyx_out_printf(out, "Fatal signal %s", name);
	else
		pyx_out_printf(out, "Fatal signal %d", p->signal);
	if (code)
		pyx_out_printf(out, " (%s)", code);
	else if (p->signal_code)
		pyx_out_printf(out, " (code %d)", p->signal_code);
	if (has_address(p->signal) && p->signal_code > 0)
		pyx_out_printf(out, " at address 0x%llx", (unsigned long long)p->fault_addr);
	if (p->crash_tid > 0)
		pyx_out_printf(out, " in thread %d", (int)p->crash_tid);
}
