/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for bench/run-bench-native: logs when a tool stops and
 * lets go of a thread (ptrace ATTACH, SEIZE, INTERRUPT, DETACH), with a
 * monotonic timestamp, to the file named by $PYXRAY_PTRACE_LOG. Every tool
 * compared (pyxray, pystack, GDB) calls libc's ptrace(), so the same
 * measure applies to all of them, at the cost of one write per such call;
 * strace would stop GDB's own ptrace self-test child and hang it.
 * Build: cc -shared -fPIC -O2 -o ptrace-clock.so ptrace-clock.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

long ptrace(enum __ptrace_request request, ...)
{
	static ptrace_fn real;
	va_list ap;
	va_start(ap, request);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	long rc = real((int)request, pid, addr, data);
	const char *name = request == PTRACE_ATTACH	 ? "ATTACH"
			   : request == PTRACE_SEIZE	 ? "SEIZE"
			   : request == PTRACE_INTERRUPT ? "INTERRUPT"
			   : request == PTRACE_DETACH	 ? "DETACH"
							 : NULL;
	static int fd = -1;
	const char *log = getenv("PYXRAY_PTRACE_LOG");
	if (name && log && rc == 0) {
		struct timespec ts;
		char line[96];
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int n = snprintf(line, sizeof line, "%lld.%09ld %s %d\n", (long long)ts.tv_sec,
				 ts.tv_nsec, name, (int)pid);
		if (fd < 0)
			fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && write(fd, line, (size_t)n) < 0)
			fd = -1;
	}
	return rc;
}
