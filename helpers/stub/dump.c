/* SPDX-License-Identifier: MIT */
/* One dump, from inside a signal handler: a snapshot of the calling process
 * taken in the reserved buffer through the fault-safe own-memory source,
 * written by the library's formatters to DIR/.pyxray-PID.txt.tmp and renamed
 * to DIR/pyxray-PID.txt, so that a reader never sees half a file (the same
 * for .json). No malloc, no stdio, no lock (tests/c/test_signal_safe.c and
 * tests/integration/test_stub.py's interposed embedder check it). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pyxray/format.h>

#include "../src/acquire/linkmap.h"
#include "../src/acquire/self.h"
#include "../src/snapshot/snapshot_priv.h"
#include "../src/util/fmt.h"
#include "stub.h"

int pyx_stub_find_python_now(void)
{
	struct pyx_stub *s = &pyx_stub;
	struct pyx_python_syms syms;
	if (s->have_syms)
		return 0;
	pyx_memsrc_invalidate(s->mem);
	if (!s->r_debug || pyx_linkmap_find_python(s->mem, s->r_debug, s->exe, &syms,
						   s->python_path, sizeof s->python_path, NULL) < 0)
		return 0;
	s->syms = syms;
	s->have_syms = 1;
	return 1;
}

/* Paths and messages live here, not on the dump stack: one dump runs at a
 * time (the dump lock). */
static char tmp[PATH_MAX], path[PATH_MAX], line[PATH_MAX + 96];

/* One line on the process's stderr when a dump cannot be written: the only
 * place left to say it. */
static void complain(const char *what, int e)
{
	int n = pyx_snprintf(line, sizeof line, "pyxray-stub: cannot write %s (errno %d)\n", what,
			     e);
	if (n > 0)
		(void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void write_report(struct pyx_snapshot *snap, enum pyx_report kind, const char *ext,
			 pid_t pid)
{
	struct pyx_error err;
	const char *dir = pyx_stub.dir;
	if (pyx_snprintf(path, sizeof path, "%s/pyxray-%d.%s", dir, (int)pid, ext) >=
		    (int)sizeof path ||
	    pyx_snprintf(tmp, sizeof tmp, "%s/.pyxray-%d.%s.tmp", dir, (int)pid, ext) >=
		    (int)sizeof tmp)
		return;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		complain(tmp, errno);
		return;
	}
	struct pyx_format_opts fo = {.only_tid = -1};
	int rc = pyx_format_write(snap, kind, &fo, fd, &err);
	int e = rc < 0 ? err.sys_errno : 0;
	if (close(fd) < 0 && !e)
		e = errno;
	if (e) {
		unlink(tmp);
		complain(tmp, e);
		return;
	}
	if (rename(tmp, path) < 0) {
		complain(path, errno);
		unlink(tmp);
	}
}

void pyx_stub_dump(struct pyx_stub_job *job)
{
	struct pyx_stub *s = &pyx_stub;
	long long t0 = pyx_stub_now_ns(), c0 = pyx_stub_cpu_ns();
	pid_t pid = getpid();
	struct pyx_error err;
	struct pyx_target *t = NULL;
	pyx_error_clear(&err);
	pyx_stub_find_python_now();
	/* The process ran since the last dump: nothing cached is true now. */
	pyx_memsrc_invalidate(s->mem);
	struct pyx_snapshot *snap = pyx_snapshot_new_in(s->buf, s->buf_len);
	if (!snap)
		return;
	struct pyx_self_crash crash = {.signo = job->sig};
	if (job->si) {
		crash.si_code = job->si->si_code;
		crash.fault_addr = (uint64_t)(uintptr_t)job->si->si_addr;
	}
	crash.tid = pyx_stub_sig_is_crash(job->sig) ? job->tid : 0;
	int rc = pyx_self_open_in(pyx_snapshot_arena(snap), s->mem, s->have_syms ? &s->syms : NULL,
				  job->fatal ? &crash : NULL, &t, &err);
	if (rc == 0)
		rc = pyx_snapshot_adopt(snap, t, &err);
	if (rc == 0) {
		struct pyx_snapshot_opts opts = {.flags = PYX_SNAP_NONBLOCKING};
		pyx_snapshot_read_target(snap, t, 0, &opts, &err);
	}
	/* Whatever was read is written: a process whose read failed carries
	 * its error in its record. */
	if (snap->nprocs) {
		write_report(snap, PYX_REPORT_TEXT, "txt", pid);
		if (s->json)
			write_report(snap, PYX_REPORT_JSON, "json", pid);
	}
	long long used = (long long)pyx_arena_used(pyx_snapshot_arena(snap));
	pyx_snapshot_destroy(snap);
	if (used > s->max_buffer)
		s->max_buffer = used;
	/* The touched pages are the kernel's to take back when memory is short;
	 * until then the next dump reuses them without faulting them in. */
	madvise(s->buf, s->buf_len, MADV_FREE);
	s->dumps++;
	s->last_dump_ns = pyx_stub_now_ns() - t0;
	s->last_dump_cpu_ns = pyx_stub_cpu_ns() - c0;
}
