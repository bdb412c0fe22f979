/* SPDX-License-Identifier: MIT */
/* The process table behind `pyxray ps` and py-ps: one line per process of a
 * snapshot (a whole tree usually), indented by depth, with what Python says
 * about it: version, threads, sub-interpreters, the GIL holder. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "../snapshot/snapshot_priv.h"

/* Native id of the GIL holder of the main interpreter, -1 when none. */
static int64_t gil_holder(const struct pyx_process *p)
{
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = 0; j < p->interps[i].nthreads; j++)
			if (p->interps[i].threads[j].holds_gil)
				return p->interps[i].threads[j].tid;
	return -1;
}

int pyx_format_ps(const struct pyx_snapshot *snap, FILE *out, struct pyx_error *err)
{
	fprintf(out, "%-10s %7s  %-9s %-12s %7s %7s %8s  %s\n", "PID", "PPID", "PYTHON", "STATE",
		"THREADS", "INTERPS", "GIL", "COMMAND");
	for (size_t i = 0; i < snap->nprocs; i++) {
		const struct pyx_process *p = &snap->procs[i];
		char pid[32], gil[24];
		int indent = p->depth < 8 ? p->depth * 2 : 16;
		snprintf(pid, sizeof pid, "%*s%d", indent, "", (int)p->pid);
		int64_t holder = gil_holder(p);
		if (holder >= 0)
			snprintf(gil, sizeof gil, "%" PRId64, holder);
		else
			snprintf(gil, sizeof gil, "-");
		const char *state = pyx_state_name(p->state);
		fprintf(out, "%-10s %7d  %-9s %-12s ", pid, (int)p->ppid,
			p->is_python && p->python_version ? p->python_version : "-",
			state ? state : "?");
		if (p->is_python)
			fprintf(out, "%7zu %7zu %8s  ", p->nthreads,
				p->ninterps ? p->ninterps - 1 : 0, gil);
		else
			fprintf(out, "%7s %7s %8s  ", "-", "-", "-");
		if (p->role)
			fprintf(out, "[%s] ", p->role);
		for (size_t k = 0; k < p->argc; k++)
			fprintf(out, k ? " %s" : "%s", p->argv[k]);
		if (!p->argc && p->executable)
			fputs(p->executable, out);
		if (p->error && p->error != PYX_E_NOT_PYTHON)
			fprintf(out, "  (%s)", p->error_msg);
		fputc('\n', out);
	}
	if (fflush(out) != 0 || ferror(out))
		return pyx_error_set(err, PYX_E_OS, errno, 0, "writing the report: %s",
				     strerror(errno));
	return 0;
}
