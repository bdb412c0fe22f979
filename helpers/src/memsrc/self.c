/* SPDX-License-Identifier: MIT */
/* The calling process's own memory, read through process_vm_readv on our own
 * pid so that a bad pointer taken from target structures is an error, never a
 * SIGSEGV inside the process being inspected (the injectable stub's path). */
#include <unistd.h>

#include "memsrc_impl.h"

int pyx_memsrc_open_self(unsigned flags, struct pyx_memsrc **out, struct pyx_error *err)
{
	/* process_vm_readv on getpid() faults cleanly (EFAULT) on unmapped
	 * addresses and needs no ptrace permission for ourselves. */
	return pyx_memsrc_open_live(getpid(), flags, out, err);
}
