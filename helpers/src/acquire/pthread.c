/* SPDX-License-Identifier: MIT */
/* glibc keeps the kernel tid inside struct pthread, whose address is the
 * pthread_t that CPython stores as thread_id. The offset is not exported, so
 * find the one offset at which every thread's struct pthread holds one of
 * the process's tids; 0x2d0, current x86-64 glibc's, is tried first. */
#include "pthread.h"

enum { SCAN = 0x1000, GLIBC_X86_64 = 0x2d0 };

static int is_task(pid_t v, const pid_t *tasks, size_t ntasks)
{
	for (size_t k = 0; k < ntasks; k++)
		if (tasks[k] == v)
			return 1;
	return 0;
}

/* Does every pthread hold a task's tid at off? */
static int offset_fits(struct pyx_memsrc *src, const uint64_t *pthreads, size_t n,
		       const pid_t *tasks, size_t ntasks, uint32_t off)
{
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		if (!pthreads[i])
			continue;
		if (pyx_memsrc_read(src, pthreads[i] + off, &v, sizeof v, NULL) < 0 ||
		    !is_task((pid_t)v, tasks, ntasks))
			return 0;
		any = 1;
	}
	return any;
}

size_t pyx_pthread_tids(struct pyx_memsrc *src, const uint64_t *pthreads, size_t n,
			const pid_t *tasks, size_t ntasks, int64_t *tids)
{
	uint32_t off = GLIBC_X86_64;
	if (!offset_fits(src, pthreads, n, tasks, ntasks, off)) {
		for (off = 0; off < SCAN; off += 4)
			if (off != GLIBC_X86_64 && offset_fits(src, pthreads, n, tasks, ntasks, off))
				break;
		if (off >= SCAN)
			return 0;
	}
	size_t set = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		if (pthreads[i] && pyx_memsrc_read(src, pthreads[i] + off, &v, sizeof v, NULL) == 0) {
			tids[i] = (int64_t)v;
			set++;
		}
	}
	return set;
}
