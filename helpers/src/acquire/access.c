/* SPDX-License-Identifier: MIT */
/* Diagnosing a refused ptrace. The kernel only says EPERM/EACCES; the reason
 * is found by walking its rules in order (kernel/ptrace.c __ptrace_may_access,
 * security/commoncap.c cap_ptrace_access_check, security/yama): an existing
 * tracer, Yama, then user ids, dumpability and capabilities, checked against
 * what /proc says about both processes. What none of those explains is a
 * security module's (SELinux, AppArmor, a BPF LSM) or a hardened kernel's. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "proc.h"

enum { CAP_SYS_PTRACE_BIT = 19 };

static const char YAMA[] = "/proc/sys/kernel/yama/ptrace_scope";

/* Capability names by bit (linux/capability.h), for the message. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

/* The credentials /proc/PID/status gives. */
struct creds {
	int ok;
	unsigned long uid[4], gid[4]; /* real, effective, saved, fs */
	unsigned long long cap_prm, cap_eff;
};

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static struct creds read_creds(const char *status_path)
{
	struct creds c;
	char buf[8192];
	memset(&c, 0, sizeof c);
	if (read_small(status_path, buf, sizeof buf) < 0)
		return c;
	const char *p;
	if ((p = strstr(buf, "\nUid:")) &&
	    sscanf(p + 5, "%lu %lu %lu %lu", &c.uid[0], &c.uid[1], &c.uid[2], &c.uid[3]) == 4 &&
	    (p = strstr(buf, "\nGid:")) &&
	    sscanf(p + 5, "%lu %lu %lu %lu", &c.gid[0], &c.gid[1], &c.gid[2], &c.gid[3]) == 4 &&
	    (p = strstr(buf, "\nCapPrm:")) && sscanf(p + 8, "%llx", &c.cap_prm) == 1 &&
	    (p = strstr(buf, "\nCapEff:")) && sscanf(p + 8, "%llx", &c.cap_eff) == 1)
		c.ok = 1;
	return c;
}

/* "alice (uid 1000)", or "uid 1000" for a uid without a name. */
static void user_name(unsigned long uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
		snprintf(buf, len, "%s (uid %lu)", pw.pw_name, uid);
	else
		snprintf(buf, len, "uid %lu", uid);
}

/* Our user namespace is the initial one when uid_map maps every id. */
static int in_initial_user_ns(void)
{
	char buf[256];
	unsigned long inside, outside, count;
	if (read_small("/proc/self/uid_map", buf, sizeof buf) < 0)
		return 1;
	return sscanf(buf, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
	       outside == 0 && count == 4294967295UL && !strchr(strchr(buf, '\n') + 1, ' ');
}

/* Whether pid is a descendant of us (Yama's ptrace_scope 1 rule). */
static int is_our_descendant(pid_t pid)
{
	pid_t me = getpid();
	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		struct pyx_proc_status st;
		if (pyx_proc_status(pid, &st, NULL) < 0)
			return 0;
		if (st.ppid == me)
			return 1;
		pid = st.ppid;
	}
	return 0;
}

/* The capabilities target holds that we do not, as names. */
static void missing_caps(unsigned long long theirs, unsigned long long ours, char *buf, size_t len)
{
	unsigned long long extra = theirs & ~ours;
	size_t pos = 0, shown = 0, nnames = sizeof cap_names / sizeof cap_names[0];
	buf[0] = '\0';
	for (size_t bit = 0; bit < 64 && pos < len; bit++) {
		if (!(extra >> bit & 1))
			continue;
		int n = shown++ == 4   ? snprintf(buf + pos, len - pos, ", ...")
			: bit < nnames ? snprintf(buf + pos, len - pos, "%sCAP_%s", pos ? ", " : "",
						  cap_names[bit])
				       : snprintf(buf + pos, len - pos, "%scapability %zu",
						  pos ? ", " : "", bit);
		pos += n > 0 ? (size_t)n : 0;
		if (shown > 4)
			return;
	}
}

int pyx_access_explain(pid_t pid, int sys_errno, struct pyx_error *err)
{
	struct pyx_proc_status st;
	if (pyx_proc_status(pid, &st, NULL) == 0 && st.tracer)
		return pyx_error_set(err, PYX_E_PERM, sys_errno, 0,
				     "pid %d is already traced by pid %d (a debugger?); detach it "
				     "first or use --nonblocking to read without stopping",
				     (int)pid, (int)st.tracer);
	char path[64], yama[16];
	int scope = -1;
	if (read_small(YAMA, yama, sizeof yama) == 0)
		scope = atoi(yama);
	if (scope >= 3)
		return pyx_error_set(
		    err, PYX_E_PERM, sys_errno, 0,
		    "cannot ptrace pid %d: ptrace is disabled for every process on "
		    "this system, root included (kernel.yama.ptrace_scope is 3 in "
		    "%s; only a reboot lowers it)",
		    (int)pid, YAMA);
	struct creds me = read_creds("/proc/self/status");
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	struct creds them = read_creds(path);
	int have_ptrace_cap = me.ok && (me.cap_eff >> CAP_SYS_PTRACE_BIT & 1);
	if (have_ptrace_cap) {
		if (!in_initial_user_ns())
			return pyx_error_set(
			    err, PYX_E_PERM, sys_errno, 0,
			    "cannot ptrace pid %d: pyxray runs in a user namespace "
			    "(see /proc/self/uid_map), where its CAP_SYS_PTRACE does "
			    "not reach pid %d, a process of an outer namespace; run "
			    "pyxray outside the namespace (as root there, or as the "
			    "target's user)",
			    (int)pid, (int)pid);
		return pyx_error_set(err, PYX_E_PERM, sys_errno, 0,
				     "cannot ptrace pid %d: refused although pyxray has "
				     "CAP_SYS_PTRACE in the initial user namespace, which the "
				     "kernel's own rules accept: a Linux security module (SELinux, "
				     "AppArmor, a BPF LSM) or a hardened kernel protects it; see "
				     "the kernel log and the security policy",
				     (int)pid);
	}
	if (scope == 2)
		return pyx_error_set(
		    err, PYX_E_PERM, sys_errno, 0,
		    "cannot ptrace pid %d: kernel.yama.ptrace_scope is 2 (%s): only "
		    "a process with CAP_SYS_PTRACE may trace; run pyxray as root",
		    (int)pid, YAMA);
	if (me.ok && them.ok) {
		uid_t uid = getuid();
		int same_user = 1;
		for (int i = 0; i < 3; i++)
			same_user &= them.uid[i] == uid && them.gid[i] == (unsigned long)getgid();
		if (!same_user) {
			char who[128], us[128];
			unsigned long other = them.uid[1] != uid ? them.uid[1] : them.uid[0];
			user_name(other, who, sizeof who);
			user_name(uid, us, sizeof us);
			return pyx_error_set(
			    err, PYX_E_PERM, sys_errno, 0,
			    "cannot ptrace pid %d: it runs as %s and pyxray as %s; "
			    "run pyxray as that user, or as root (sudo)",
			    (int)pid, who, us);
		}
		struct stat sb;
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
		/* A process that is not dumpable has the files in its /proc
		 * folder owned by root (task_dump_owner); the folder itself
		 * keeps its owner. */
		if (stat(path, &sb) == 0 && sb.st_uid == 0 && uid != 0)
			return pyx_error_set(
			    err, PYX_E_PERM, sys_errno, 0,
			    "cannot ptrace pid %d: it is not dumpable (it changed "
			    "credentials, as a setuid or file-capability program does, "
			    "or called prctl(PR_SET_DUMPABLE, 0)): only CAP_SYS_PTRACE "
			    "may read it; run pyxray as root",
			    (int)pid);
		if (them.cap_prm & ~me.cap_prm) {
			char caps[160];
			missing_caps(them.cap_prm, me.cap_prm, caps, sizeof caps);
			return pyx_error_set(
			    err, PYX_E_PERM, sys_errno, 0,
			    "cannot ptrace pid %d: it holds capabilities pyxray "
			    "lacks (%s), which takes CAP_SYS_PTRACE; run pyxray as "
			    "root with its full capabilities",
			    (int)pid, caps);
		}
	}
	if (scope == 1 && !is_our_descendant(pid))
		return pyx_error_set(
		    err, PYX_E_PERM, sys_errno, 0,
		    "cannot ptrace pid %d: kernel.yama.ptrace_scope is 1 (%s): only "
		    "an ancestor of pid %d may trace it; run pyxray as root, set "
		    "ptrace_scope to 0, or have the target allow it "
		    "(prctl(PR_SET_PTRACER))",
		    (int)pid, YAMA, (int)pid);
	return pyx_error_set(err, PYX_E_PERM, sys_errno, 0,
			     "cannot ptrace pid %d: permission denied although it runs as pyxray's "
			     "user with no extra privilege: a Linux security module (SELinux, "
			     "AppArmor, a BPF LSM) refused; run pyxray as root",
			     (int)pid);
}
