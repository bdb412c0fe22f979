/* SPDX-License-Identifier: MIT */
/* The calling process as a target, for the stub's signal handler: no malloc,
 * no stdio, no locks. Identity from getpid/getppid and /proc/self, threads
 * from /proc/self/task read with getdents64, memory through the caller's
 * self memory source. Nothing can be stopped: the other threads run on while
 * a handler reads (the stub's report says so). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"
#include "self.h"

static const struct pyx_target_ops self_ops = {
	.kind = "stub",
};

static const char *read_link(struct pyx_arena *a, const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return pyx_arena_strdup(a, buf);
}

/* argv from /proc/self/cmdline, NUL-separated, at most 64 KiB. */
static void read_argv(struct pyx_target *t)
{
	enum { MAX = 64 * 1024 };
	char *text = pyx_arena_alloc(t->arena, MAX + 1);
	if (!text)
		return;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t len = 0;
	while (len < MAX) {
		ssize_t n = read(fd, text + len, MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	size_t argc = 0;
	const char **argv = pyx_proc_split_args(text, len, t->arena, &argc);
	if (!argv)
		return;
	t->argv = argv;
	t->argc = argc;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Thread ids from /proc/self/task, with their states. */
static int read_threads(struct pyx_target *t, struct pyx_error *err)
{
	size_t cap = 64;
	t->threads = pyx_arena_calloc(t->arena, cap, sizeof *t->threads);
	if (!t->threads)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pyx_error_set(err, PYX_E_OS, errno, 0, "cannot list /proc/self/task");
	char buf[2048];
	pid_t self = (pid_t)syscall(SYS_gettid);
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
			off += de->d_reclen;
			pid_t tid = 0;
			const char *p = de->d_name;
			if (*p < '0' || *p > '9')
				continue;
			while (*p >= '0' && *p <= '9' && tid < PYX_PROC_MAX_TASKS * 1000)
				tid = tid * 10 + (*p++ - '0');
			if (t->nthreads == cap) {
				if (cap >= PYX_PROC_MAX_TASKS)
					break;
				struct pyx_target_thread *nt = pyx_arena_grow(
					t->arena, t->threads, t->nthreads, cap * 2, sizeof *nt);
				if (!nt)
					break;
				t->threads = nt;
				cap *= 2;
			}
			struct pyx_target_thread *th = &t->threads[t->nthreads++];
			th->tid = tid;
			th->syscall = PYX_SYSCALL_UNKNOWN;
			if (tid == self) {
				/* Running this very code, not waiting in the read
				 * that /proc would show. */
				th->state = 'R';
				th->syscall = PYX_SYSCALL_NONE;
			} else if (pyx_proc_task_info(t->pid, tid, &th->state, &th->syscall) < 0) {
				th->state = 0;
			}
		}
	}
	close(fd);
	return 0;
}

int pyx_self_open_in(struct pyx_arena *arena, struct pyx_memsrc *mem,
		     const struct pyx_python_syms *syms, const struct pyx_self_crash *crash,
		     struct pyx_target **out, struct pyx_error *err)
{
	struct pyx_target *t = pyx_target_new_in(arena, &self_ops);
	if (!t)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	t->mem = mem;
	t->mem_borrowed = 1;
	t->pid = getpid();
	t->ppid = getppid();
	t->state = 'R';
	t->exe = read_link(arena, "/proc/self/exe");
	t->cwd = read_link(arena, "/proc/self/cwd");
	read_argv(t);
	if (syms) {
		t->has_syms = 1;
		t->syms = *syms;
	}
	if (crash) {
		t->signo = crash->signo;
		t->si_code = crash->si_code;
		t->fault_addr = crash->fault_addr;
		t->crash_tid = crash->tid;
	}
	int rc = read_threads(t, err);
	if (rc < 0)
		return rc;
	*out = t;
	return 0;
}
