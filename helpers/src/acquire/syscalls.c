/* SPDX-License-Identifier: MIT */
/* System call numbers to names: what a thread that waits in the kernel is
 * waiting for (futex for a lock or the GIL, epoll_wait for an event loop,
 * read for a pipe...). The table is generated from the kernel's header. */
#include <stddef.h>

#include "syscalls.h"

static const char *const names[] = {
#include "syscall_table.h"
};

const char *pyx_syscall_name(int64_t nr)
{
	if (nr < 0 || (uint64_t)nr >= sizeof names / sizeof names[0])
		return NULL;
	return names[nr];
}
