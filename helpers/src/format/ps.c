/* SPDX-License-Identifier: MIT */
/* The process table behind `pyxray ps` and py-ps: one line per process of a
 * snapshot (a whole tree usually), indented by depth, with what Python says
 * about it: version, threads, sub-interpreters, the GIL holder. */
#include <inttypes.h>
#include <string.h>

#include <pyxray/frontend.h>

#include "../snapshot/snapshot_priv.h"
#include "../util/fmt.h"
#include "format_priv.h"

/* Native id of the GIL holder of the main interpreter, -1 when none. */
static int64_t gil_holder(const struct pyx_process *p)
{
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = 0; j < p->interps[i].nthreads; j++)
			if (p->interps[i].threads[j].holds_gil)
				return p->interps[i].threads[j].tid;
	return -1;
}

/* The host's value of the extra column for pid, "-" when none. */
static const char *extra_value(const struct pyx_ps_column *extra, pid_t pid)
{
	for (size_t i = 0; i < extra->n; i++)
		if (extra->pids[i] == pid && extra->values[i])
			return extra->values[i];
	return "-";
}

void pyx_format_ps_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
		      struct pyx_out *out)
{
	(void)opts;
	pyx_format_ps_table(snap, NULL, NULL, out);
}

void pyx_format_ps_table(const struct pyx_snapshot *snap, const char *prefix,
			 const struct pyx_ps_column *extra, struct pyx_out *out)
{
	prefix = prefix ? prefix : "";
	pyx_out_printf(out, "%s%-10s %7s  %-9s %-12s %7s %7s %8s  ", prefix, "PID", "PPID",
		       "PYTHON", "STATE", "THREADS", "INTERPS", "GIL");
	if (extra)
		pyx_out_printf(out, "%4s  ", extra->title);
	pyx_out_puts(out, "COMMAND\n");
	for (size_t i = 0; i < snap->nprocs; i++) {
		const struct pyx_process *p = &snap->procs[i];
		char pid[32], gil[24];
		int indent = p->depth < 8 ? p->depth * 2 : 16;
		pyx_snprintf(pid, sizeof pid, "%*s%d", indent, "", (int)p->pid);
		int64_t holder = gil_holder(p);
		if (holder >= 0)
			pyx_snprintf(gil, sizeof gil, "%" PRId64, holder);
		else
			pyx_snprintf(gil, sizeof gil, "-");
		const char *state = pyx_state_name(p->state);
		pyx_out_printf(out, "%s%-10s %7d  %-9s %-12s ", prefix, pid, (int)p->ppid,
			       p->is_python && p->python_version ? p->python_version : "-",
			       state ? state : "?");
		if (p->is_python)
			pyx_out_printf(out, "%7zu %7zu %8s  ", p->nthreads,
				       p->ninterps ? p->ninterps - 1 : 0, gil);
		else
			pyx_out_printf(out, "%7s %7s %8s  ", "-", "-", "-");
		if (extra)
			pyx_out_printf(out, "%4s  ", extra_value(extra, p->pid));
		if (p->role) {
			pyx_out_putc(out, '[');
			pyx_out_text(out, p->role);
			pyx_out_puts(out, "] ");
		}
		for (size_t k = 0; k < p->argc; k++) {
			if (k)
				pyx_out_putc(out, ' ');
			pyx_out_text(out, p->argv[k]);
		}
		if (!p->argc && p->executable)
			pyx_out_text(out, p->executable);
		if (p->kernel_thread) {
			pyx_out_putc(out, '[');
			pyx_out_text(out, p->kernel_thread);
			pyx_out_puts(out, "]  (kernel thread)");
		} else if (p->error == PYX_E_PERM) {
			pyx_out_puts(out, "  (not permitted to read it)");
		} else if (p->error && p->error != PYX_E_NOT_PYTHON) {
			pyx_out_puts(out, "  (");
			pyx_out_text(out, p->error_msg);
			pyx_out_putc(out, ')');
		}
		pyx_out_putc(out, '\n');
	}
}
