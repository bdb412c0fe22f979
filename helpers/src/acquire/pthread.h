/* SPDX-License-Identifier: MIT */
/* Native thread ids from pthread_t values, through glibc's struct pthread in
 * the target's memory: for targets whose threads were not stopped (no
 * fs_base to match) and versions without native_thread_id (<3.11). */
#ifndef PYX_PTHREAD_H
#define PYX_PTHREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/memsrc.h>

/* For each pthreads[i] (0 entries skipped) sets tids[i] to its kernel tid, or
 * leaves it when no one offset inside struct pthread holds a tid of `tasks`
 * for every pthread. Returns how many were set. */
size_t pyx_pthread_tids(struct pyx_memsrc *src, const uint64_t *pthreads, size_t n,
			const pid_t *tasks, size_t ntasks, int64_t *tids);

#endif
