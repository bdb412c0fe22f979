/* SPDX-License-Identifier: MIT */
/* The calling process's own memory, read through process_vm_readv on our own
 * pid so that a bad pointer taken from target structures is an error, never a
 * SIGSEGV inside the process being inspected (the injectable stub's path).
 * Reads make one system call and touch no libc state: async-signal-safe. */
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "memsrc_impl.h"

static int self_read(void *ctx, uint64_t addr, void *buf, size_t len, struct pyx_error *err)
{
	(void)ctx;
	size_t done = 0;
	/* getpid() each time: a forked child reads its own memory. */
	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec remote = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return pyx_error_set(err, n < 0 && errno == ENOMEM ? PYX_E_NOMEM : PYX_E_FAULT,
					     n < 0 ? errno : EFAULT, addr + done,
					     "%zu bytes at 0x%llx are not readable", len - done,
					     (unsigned long long)(addr + done));
		done += (size_t)n;
	}
	return 0;
}

static const struct pyx_memsrc_ops self_ops = {
	.name = "self",
	.read = self_read,
	.close = NULL,
};

int pyx_memsrc_open_self(unsigned flags, struct pyx_memsrc **out, struct pyx_error *err)
{
	return pyx_memsrc_open_ops(&self_ops, NULL, flags, out, err);
}
