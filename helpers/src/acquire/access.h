/* SPDX-License-Identifier: MIT */
/* Why the kernel refuses to let us read or trace a process: another tracer,
 * a user or capability we lack, a user namespace, Yama or another security
 * module. One line that says what is missing and what to do about it. */
#ifndef PYX_ACCESS_H
#define PYX_ACCESS_H

#include <sys/types.h>

#include <pyxray/error.h>

/* Fills *err with why ptrace access to pid was refused (sys_errno is the
 * errno of the refused call) and returns -PYX_E_PERM. */
int pyx_access_explain(pid_t pid, int sys_errno, struct pyx_error *err);

#endif
