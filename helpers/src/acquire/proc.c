/* SPDX-License-Identifier: MIT */
/* Reading /proc/PID/{maps,task,cmdline,exe,status}. The process may exit at
 * any point; every failure becomes a pyx_error, never a crash. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "../util/fmt.h"

static int proc_errno(pid_t pid, const char *what, int e, struct pyx_error *err)
{
	if (e == ENOENT || e == ESRCH)
		return pyx_error_set(err, PYX_E_NO_PROCESS, e, 0, "no such process: pid %d",
				     (int)pid);
	if (e == EACCES || e == EPERM) /* why: pyx_access_explain */
		return pyx_error_set(err, PYX_E_PERM, e, 0,
				     "permission denied reading /proc/%d/%s: it needs ptrace access "
				     "to pid %d",
				     (int)pid, what, (int)pid);
	return pyx_error_set(err, PYX_E_OS, e, 0, "reading %s of pid %d: %s", what, (int)pid,
			     strerror(e));
}

/* Reads a whole small /proc file into a malloc'd NUL-terminated buffer. */
static int slurp(pid_t pid, const char *name, size_t max, char **out, size_t *out_len,
		 struct pyx_error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_errno(pid, name, errno, err);
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap + 1);
	int rc = 0;
	if (!buf) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				rc = pyx_error_set(err, PYX_E_LIMIT, 0, 0,
						   "/proc/%d/%s is larger than %zu bytes", (int)pid,
						   name, max);
				goto out;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
				goto out;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = proc_errno(pid, name, errno, err);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

static int parse_hex(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;
	for (;; (*p)++, digits++) {
		char c = **p;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		if (digits == 16)
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return digits ? 0 : -1;
}

static const char *skip_field(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* One line of /proc/PID/maps: "start-end perms offset dev inode   path".
 * Hand-parsed: sscanf was half of a 32-process tree dump's instructions. */
static int parse_map_line(const char *line, struct pyx_map *m, const char **path)
{
	const char *p = line;
	if (parse_hex(&p, &m->start) < 0 || *p++ != '-' || parse_hex(&p, &m->end) < 0 || *p++ != ' ')
		return -1;
	for (int i = 0; i < 4; i++) {
		if (!p[i])
			return -1;
		m->perms[i] = p[i];
	}
	m->perms[4] = '\0';
	p = skip_field(p);
	if (parse_hex(&p, &m->offset) < 0)
		return -1;
	p = skip_field(skip_field(skip_field(p))); /* to dev, past dev, past inode */
	*path = p;
	return 0;
}

int pyx_proc_maps(pid_t pid, struct pyx_arena *arena, struct pyx_map **out, size_t *out_n,
		  struct pyx_error *err)
{
	char *text = NULL;
	size_t len = 0, n = 0, cap = 64;
	struct pyx_map *maps = NULL;
	int rc = slurp(pid, "maps", 64u << 20, &text, &len, err);
	if (rc < 0)
		return rc;
	maps = pyx_arena_calloc(arena, cap, sizeof *maps);
	const char *last_path = NULL;
	for (char *line = text, *next; maps && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct pyx_map m;
		const char *path;
		if (parse_map_line(line, &m, &path) < 0)
			continue;
		if (n == PYX_PROC_MAX_MAPS) {
			rc = pyx_error_set(err, PYX_E_LIMIT, 0, 0, "pid %d has over %d mappings",
					   (int)pid, PYX_PROC_MAX_MAPS);
			goto out;
		}
		if (n == cap) {
			maps = pyx_arena_grow(arena, maps, n, cap * 2, sizeof *maps);
			cap *= 2;
			if (!maps)
				break;
		}
		/* Consecutive mappings of one file share its path string. */
		if (!*path)
			m.path = NULL;
		else if (last_path && !strcmp(last_path, path))
			m.path = last_path;
		else
			m.path = last_path = pyx_arena_strdup(arena, path);
		maps[n++] = m;
	}
	if (!maps) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto out;
	}
	*out = maps;
	*out_n = n;
out:
	free(text);
	return rc;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int pyx_proc_tasks(pid_t pid, pid_t **out, size_t *out_n, struct pyx_error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return proc_errno(pid, "task", errno, err);
	size_t n = 0, cap = 16;
	pid_t *tids = malloc(cap * sizeof *tids);
	int rc = 0, nomem = !tids;
	struct dirent *de;
	while (!nomem && (de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == PYX_PROC_MAX_TASKS) {
			rc = pyx_error_set(err, PYX_E_LIMIT, 0, 0, "pid %d has over %d threads",
					   (int)pid, PYX_PROC_MAX_TASKS);
			goto out;
		}
		if (n == cap) {
			pid_t *nt = realloc(tids, cap * 2 * sizeof *tids);
			if (!nt) {
				nomem = 1;
				break;
			}
			tids = nt;
			cap *= 2;
		}
		tids[n++] = (pid_t)atoi(de->d_name);
	}
	if (nomem) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto out;
	}
	if (n == 0) {
		rc = pyx_error_set(err, PYX_E_NO_PROCESS, ESRCH, 0, "no such process: pid %d",
				   (int)pid);
		goto out;
	}
	qsort(tids, n, sizeof *tids, cmp_pid);
	*out = tids;
	*out_n = n;
	tids = NULL;
out:
	free(tids);
	closedir(dir);
	return rc;
}

int pyx_proc_cmdline(pid_t pid, struct pyx_arena *arena, const char ***out, size_t *out_n,
		     struct pyx_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = slurp(pid, "cmdline", 1u << 20, &text, &len, err);
	if (rc < 0)
		return rc;
	char *copy = pyx_arena_alloc(arena, len + 1);
	const char **argv = NULL;
	if (copy) {
		memcpy(copy, text, len);
		copy[len] = '\0';
		argv = pyx_proc_split_args(copy, len, arena, out_n);
	}
	free(text);
	if (!argv)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	*out = argv;
	return 0;
}

const char **pyx_proc_split_args(const char *text, size_t len, struct pyx_arena *arena,
				 size_t *out_n)
{
	size_t argc = 0;
	for (size_t i = 0; i < len; i++)
		argc += text[i] == '\0';
	if (len && text[len - 1] != '\0')
		argc++;
	if (argc > PYX_PROC_MAX_ARGS)
		argc = PYX_PROC_MAX_ARGS;
	const char **argv = pyx_arena_calloc(arena, argc + 1, sizeof *argv);
	if (!argv)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < len && k < argc; k++) {
		argv[k] = text + i;
		i += strnlen(text + i, len - i) + 1;
	}
	*out_n = k;
	return argv;
}

const char *pyx_proc_exe(pid_t pid, struct pyx_arena *arena)
{
	char path[64], buf[PATH_MAX];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return pyx_arena_strdup(arena, buf);
}

/* The fields of a stat file (/proc/PID/stat or a task's) after its comm
 * field, read into buf; NULL when unreadable. comm may hold spaces and
 * parentheses, so the fields start after the last ')'. */
static const char *stat_fields(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p ? p + 1 : NULL;
}

/* The flags field (9th) of /proc/PID/stat, 0 when unreadable. */
static unsigned long stat_flags(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	const char *p = stat_fields(path, buf, sizeof buf);
	unsigned long flags = 0;
	/* "state ppid pgrp session tty_nr tpgid flags" */
	if (!p || sscanf(p, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return 0;
	return flags;
}

enum { PF_KTHREAD = 0x00200000 }; /* include/linux/sched.h */

int pyx_proc_status(pid_t pid, struct pyx_proc_status *out, struct pyx_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int has_kthread = 0;
	int rc = slurp(pid, "status", 1u << 20, &text, &len, err);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof *out);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "Name:", 5)) {
			const char *p = line + 5;
			while (*p == ' ' || *p == '\t')
				p++;
			snprintf(out->name, sizeof out->name, "%s", p);
		} else if (!strncmp(line, "State:", 6)) {
			const char *p = line + 6;
			while (*p == ' ' || *p == '\t')
				p++;
			out->state = *p;
		} else if (!strncmp(line, "PPid:", 5)) {
			out->ppid = (pid_t)atoi(line + 5);
		} else if (!strncmp(line, "TracerPid:", 10)) {
			out->tracer = (pid_t)atoi(line + 10);
		} else if (!strncmp(line, "Threads:", 8)) {
			out->nthreads = atoi(line + 8);
		} else if (!strncmp(line, "Kthread:", 8)) {
			out->kthread = atoi(line + 8) == 1;
			has_kthread = 1;
		}
	}
	free(text);
	if (!has_kthread) /* before Linux 6.5: the flags field of stat */
		out->kthread = (stat_flags(pid) & PF_KTHREAD) != 0;
	return 0;
}

const char *pyx_proc_file_path(pid_t pid, const char *path, struct pyx_arena *arena)
{
	char *rooted = pyx_arena_printf(arena, "/proc/%d/root%s", (int)pid, path);
	if (rooted && access(rooted, R_OK) == 0)
		return rooted;
	return path;
}

/* ppid from /proc/PID/stat, -1 when unreadable. */
static pid_t stat_ppid(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	const char *p = stat_fields(path, buf, sizeof buf);
	char state;
	int ppid;
	if (!p || sscanf(p, " %c %d", &state, &ppid) != 2)
		return -1;
	return (pid_t)ppid;
}

char pyx_proc_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	const char *p = stat_fields(path, buf, sizeof buf);
	return p && p[0] == ' ' ? p[1] : 0;
}

const char *pyx_proc_state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk-sleep";
	case 'T':
		return "stopped";
	case 't':
		return "tracing-stop";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle";
	}
	return NULL;
}

struct pp {
	pid_t pid, ppid;
};

int pyx_proc_descendants(pid_t root, int max_depth, pid_t **out, int **depth_out, size_t *out_n,
			 struct pyx_error *err)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return pyx_error_set(err, PYX_E_OS, errno, 0, "cannot list /proc: %s", strerror(errno));
	size_t n = 0, cap = 256, nout = 0;
	struct pp *all = malloc(cap * sizeof *all);
	pid_t *res = NULL;
	int *depth = NULL, rc = 0;
	struct dirent *de;
	while (all && (de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(de->d_name);
		pid_t ppid = stat_ppid(pid);
		if (ppid < 0)
			continue;
		if (n == cap) {
			struct pp *na = realloc(all, cap * 2 * sizeof *all);
			if (!na) {
				free(all);
				all = NULL;
				break;
			}
			all = na;
			cap *= 2;
		}
		all[n++] = (struct pp){pid, ppid};
	}
	closedir(dir);
	res = malloc(PYX_PROC_MAX_TREE * sizeof *res);
	depth = malloc(PYX_PROC_MAX_TREE * sizeof *depth);
	if (!all || !res || !depth) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto out;
	}
	/* Breadth first: res[] is the queue; children sorted by pid per parent. */
	for (size_t head = 0, parent_i = (size_t)-1;; head++) {
		pid_t parent = parent_i == (size_t)-1 ? root : res[parent_i];
		int d = parent_i == (size_t)-1 ? 0 : depth[parent_i];
		if (!max_depth || d < max_depth) {
			size_t first = nout;
			for (size_t i = 0; i < n; i++) {
				if (all[i].ppid != parent || all[i].pid == root)
					continue;
				if (nout == PYX_PROC_MAX_TREE) {
					rc = pyx_error_set(err, PYX_E_LIMIT, 0, 0,
							   "pid %d has over %d descendants", (int)root,
							   PYX_PROC_MAX_TREE);
					goto out;
				}
				res[nout] = all[i].pid;
				depth[nout++] = d + 1;
			}
			for (size_t i = first + 1; i < nout; i++) /* insertion sort by pid */
				for (size_t j = i; j > first && res[j - 1] > res[j]; j--) {
					pid_t t = res[j];
					res[j] = res[j - 1];
					res[j - 1] = t;
				}
		}
		parent_i = head;
		if (head >= nout)
			break;
	}
	*out = res;
	*depth_out = depth;
	*out_n = nout;
	res = NULL;
	depth = NULL;
out:
	free(all);
	free(res);
	free(depth);
	return rc;
}

/* Reads a small /proc file into buf (NUL-terminated); its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int pyx_proc_task_info(pid_t pid, pid_t tid, char *state, int64_t *syscall)
{
	char path[80], buf[512];
	pyx_snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return -1;
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	/* "running", "-1 SP PC" (blocked outside a system call) or "NR ARGS..."
	 * (Documentation/filesystems/proc.rst); unreadable without ptrace
	 * rights on the task. */
	*syscall = -2;
	pyx_snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof buf) > 0) {
		/* By hand, not strtol: the stub reads its own threads from a
		 * signal handler. */
		const char *q = buf;
		int neg = *q == '-', digits = 0;
		int64_t nr = 0;
		q += neg;
		while (*q >= '0' && *q <= '9' && digits++ < 9)
			nr = nr * 10 + (*q++ - '0');
		if (!strncmp(buf, "running", 7))
			*syscall = -1;
		else if (digits)
			*syscall = neg ? -1 : nr;
	}
	return 0;
}

const char *pyx_proc_task_name(pid_t pid, pid_t tid, struct pyx_arena *arena)
{
	char path[80], buf[64];
	pyx_snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	ssize_t n = read_small(path, buf, sizeof buf);
	if (n <= 0)
		return NULL;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	return pyx_arena_strndup(arena, buf, (size_t)n);
}

const char *pyx_proc_cwd(pid_t pid, struct pyx_arena *arena)
{
	char path[64], buf[PATH_MAX];
	pyx_snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return pyx_arena_strdup(arena, buf);
}
