/* SPDX-License-Identifier: MIT */
/* Live process memory through pread on /proc/PID/mem, or process_vm_readv
 * where that file cannot be opened. /proc/PID/mem checks ptrace access once,
 * at open; process_vm_readv checks it on every call, which made each page
 * read about twice as slow (bench/README.md). Short reads are retried until
 * the range is complete or a page is found unmapped. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "memsrc_impl.h"

struct live {
	pid_t pid;
	int mem_fd; /* /proc/PID/mem, opened on the first read; -1 before */
	int use_mem; /* 1: read mem_fd; 0: not tried yet; -1: process_vm_readv */
};

static int live_error(struct live *lv, int e, uint64_t addr, size_t len, struct pyx_error *err)
{
	switch (e) {
	case EFAULT:
	case EIO:
		return pyx_error_set(err, PYX_E_FAULT, e, addr,
				     "pid %d: %zu bytes at 0x%llx are not readable", (int)lv->pid,
				     len, (unsigned long long)addr);
	case ESRCH:
		return pyx_error_set(err, PYX_E_EXITED, e, addr, "pid %d exited while being read",
				     (int)lv->pid);
	case EPERM:
	case EACCES:
		return pyx_error_set(err, PYX_E_PERM, e, addr,
				     "permission denied reading the memory of pid %d (ptrace)",
				     (int)lv->pid);
	case ENOMEM: /* our side ran out of memory, not the target's */
		return pyx_error_set(err, PYX_E_NOMEM, e, addr, "out of memory reading pid %d",
				     (int)lv->pid);
	}
	return pyx_error_set(err, PYX_E_OS, e, addr, "reading pid %d memory: %s", (int)lv->pid,
			     strerror(e));
}

static int open_mem_file(struct live *lv)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)lv->pid);
	lv->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	return lv->mem_fd < 0 ? -errno : 0;
}

static int read_mem_file(struct live *lv, uint64_t addr, void *buf, size_t len,
			 struct pyx_error *err)
{
	if (lv->mem_fd < 0) {
		int e = -open_mem_file(lv);
		if (e)
			return live_error(lv, e == ENOENT ? ESRCH : e, addr, len, err);
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(lv->mem_fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return live_error(lv, n == 0 ? EFAULT : errno, addr + done, len - done, err);
		done += (size_t)n;
	}
	return 0;
}

static int live_read(void *ctx, uint64_t addr, void *buf, size_t len, struct pyx_error *err)
{
	struct live *lv = ctx;
	if (addr >= (UINT64_C(1) << 63)) /* kernel half: never user memory (and off_t < 0) */
		return live_error(lv, EFAULT, addr, len, err);
	if (lv->use_mem == 0) {
		/* Where the file cannot be opened (another security model, a
		 * restricted /proc), process_vm_readv may still be allowed. */
		int e = -open_mem_file(lv);
		lv->use_mem = e ? -1 : 1;
		if (e == ENOENT)
			return live_error(lv, ESRCH, addr, len, err);
	}
	if (lv->use_mem > 0)
		return read_mem_file(lv, addr, buf, len, err);
	size_t done = 0;
	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec remote = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t n = process_vm_readv(lv->pid, &local, 1, &remote, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOSYS) {
			lv->use_mem = 1;
			return read_mem_file(lv, addr + done, (char *)buf + done, len - done, err);
		}
		if (n <= 0)
			return live_error(lv, n == 0 ? EFAULT : errno, addr + done, len - done, err);
		done += (size_t)n;
	}
	return 0;
}

static void live_close(void *ctx)
{
	struct live *lv = ctx;
	if (lv->mem_fd >= 0)
		close(lv->mem_fd);
	free(lv);
}

static const struct pyx_memsrc_ops live_ops = {
	.name = "live",
	.read = live_read,
	.close = live_close,
};

int pyx_memsrc_open_live(pid_t pid, unsigned flags, struct pyx_memsrc **out,
			 struct pyx_error *err)
{
	if (pid <= 0)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "invalid pid %d", (int)pid);
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return pyx_error_set(err, PYX_E_NO_PROCESS, ESRCH, 0, "no such process: pid %d",
				     (int)pid);
	struct live *lv = calloc(1, sizeof *lv);
	if (!lv)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	lv->pid = pid;
	lv->mem_fd = -1;
	return pyx_memsrc_open_ops(&live_ops, lv, flags, out, err);
}
