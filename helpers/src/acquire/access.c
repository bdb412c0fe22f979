/* SPDX-License-Identifier: MIT */
/* Diagnosing a refused ptrace. The kernel only says EPERM/EACCES; the reason
 * is found by checking its rules in order (kernel/ptrace.c
 * __ptrace_may_access, security/commoncap.c, security/yama): an existing
 * tracer, then Yama, then user and capabilities. */
#include <errno.h>

#include "access.h"
#include "proc.h"

int pyx_access_explain(pid_t pid, int sys_errno, struct pyx_error *err)
{
	struct pyx_proc_status st;
	if (pyx_proc_status(pid, &st, NULL) == 0 && st.tracer)
		return pyx_error_set(err, PYX_E_PERM, sys_errno, 0,
				     "pid %d is already traced by pid %d (a debugger?); detach it "
				     "first or use --nonblocking to read without stopping",
				     (int)pid, (int)st.tracer);
	return pyx_error_set(err, PYX_E_PERM, sys_errno, 0,
			     "cannot ptrace pid %d: permission denied; run as the same user as "
			     "the target or as root, and check /proc/sys/kernel/yama/ptrace_scope "
			     "(0 allows tracing your own processes) or CAP_SYS_PTRACE",
			     (int)pid);
}
