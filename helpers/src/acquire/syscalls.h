/* SPDX-License-Identifier: MIT */
/* Names of the system calls a thread can be blocked in (x86-64). */
#ifndef PYX_SYSCALLS_H
#define PYX_SYSCALLS_H

#include <stdint.h>

/* "futex", "epoll_wait", ... for a system call number; NULL when unknown. */
const char *pyx_syscall_name(int64_t nr);

#endif
