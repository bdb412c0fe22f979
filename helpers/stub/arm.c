/* SPDX-License-Identifier: MIT */
/* Arming: the stub's exported entry points (pyxray_arm, pyxray_disarm,
 * pyxray_stub_error, pyxray_stub_stat) and its constructor, which arms from
 * PYXRAY_DUMP_ON / PYXRAY_DUMP_DIR / PYXRAY_DUMP_FORMAT when preloaded.
 * Everything a handler needs is reserved here, outside signal context: the
 * own-memory source with its page cache, the snapshot buffer, the dump
 * stack, an alternate signal stack for the arming thread, and the
 * interpreter's symbols. */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../src/acquire/locate.h"
#include "../src/acquire/proc.h"
#include "../src/format/out.h"
#include "stub.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int pyxray_arm(const char *on, const char *dir, const char *format);
EXPORT int pyxray_disarm(void);
EXPORT const char *pyxray_stub_error(void);
EXPORT long long pyxray_stub_stat(const char *name);

struct pyx_stub pyx_stub;

/* Arming and disarming are serialized; handlers never take this mutex. */
static pthread_mutex_t arm_mutex = PTHREAD_MUTEX_INITIALIZER;
static char last_error[512];
static int reserved;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return -1;
}

const char *pyxray_stub_error(void)
{
	return last_error;
}

/* An anonymous mapping of len bytes above a PROT_NONE guard page; NULL on
 * failure. Untouched pages cost address space only. */
static unsigned char *reserve(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, page, PROT_NONE) < 0) {
		munmap(p, len + page);
		return NULL;
	}
	return p + page;
}

/* A fork's child: one thread, its own pid. Nobody holds the dump lock (a
 * dump under way in another thread of the parent was not copied). */
static void after_fork_child(void)
{
	pyx_stub.owner = 0;
	pyx_memsrc_invalidate(pyx_stub.mem);
}

/* A version the names could not tell (an executable that links a Python
 * older than 3.11 statically, named otherwise): the interpreter's search
 * path "python3.X" in the object's read-only mappings, as locate.c finds it
 * in .rodata, read through the own-memory source. */
static void version_from_memory(void)
{
	struct pyx_stub *s = &pyx_stub;
	struct pyx_arena *arena = pyx_arena_create();
	struct pyx_map *maps = NULL;
	size_t n = 0;
	int minor = -1, ambiguous = 0;
	enum { CHUNK = 64 * 1024, OVERLAP = 16 };
	static char chunk[CHUNK + OVERLAP];
	if (!arena || pyx_proc_maps(getpid(), arena, &maps, &n, NULL) < 0)
		goto out;
	for (size_t i = 0; i < n && !ambiguous; i++) {
		const struct pyx_map *m = &maps[i];
		if (!m->path || strcmp(m->path, s->python_path) || m->perms[0] != 'r' ||
		    m->perms[1] == 'w')
			continue;
		for (uint64_t a = m->start; a < m->end && !ambiguous; a += CHUNK) {
			size_t len = m->end - a > CHUNK + OVERLAP ? CHUNK + OVERLAP : m->end - a;
			if (pyx_memsrc_read(s->mem, a, chunk, len, NULL) == 0)
				ambiguous = pyx_version_scan(chunk, len, &minor) < 0;
		}
	}
	if (!ambiguous && minor >= 0)
		s->syms.version_hex = 0x03000000u | ((uint32_t)minor << 16);
out:
	pyx_arena_destroy(arena);
}

/* Finds the interpreter in the loader's list in memory, the lookup a
 * handler can repeat later (no file is read: the stub needs no ELF reader),
 * then, outside any handler, names the object by its real path as
 * /proc/PID/maps (and so `pyxray dump`) does, and finds a version the
 * names did not give. */
static void find_python(void)
{
	struct pyx_stub *s = &pyx_stub;
	char real[PATH_MAX];
	if (s->have_syms || !pyx_stub_find_python_now())
		return;
	if (realpath(s->python_path, real) && strlen(real) < sizeof s->python_path) {
		memcpy(s->python_path, real, strlen(real) + 1);
		if (!s->syms.py_version && !s->syms.version_hex)
			s->syms.version_hex = pyx_version_from_filename(real);
	}
	if (!s->syms.py_version && !s->syms.version_hex)
		version_from_memory();
}

static int reserve_once(void)
{
	struct pyx_stub *s = &pyx_stub;
	struct pyx_error err;
	if (reserved)
		return 0;
	if (pyx_memsrc_open_self(PYX_MEMSRC_CACHE | PYX_MEMSRC_PREALLOC, &s->mem, &err) < 0)
		return fail("%s", err.msg);
	s->buf_len = PYX_STUB_BUFFER;
	s->stack_len = PYX_STUB_DUMP_STACK;
	if (!(s->buf = reserve(s->buf_len)) || !(s->stack = reserve(s->stack_len)))
		return fail("cannot reserve memory for dumps: %s", strerror(errno));
	/* Painted, so that pyxray_stub_stat("stack_used") can tell how deep
	 * dumps went. */
	memset(s->stack, 0xa5, s->stack_len);
	s->r_debug = (uint64_t)(uintptr_t)&_r_debug;
	ssize_t n = readlink("/proc/self/exe", s->exe, sizeof s->exe - 1);
	s->exe[n > 0 ? n : 0] = '\0';
	if (pthread_atfork(NULL, NULL, after_fork_child) != 0)
		return fail("pthread_atfork failed");
	reserved = 1;
	return 0;
}

/* The calling thread gets an alternate signal stack unless it has one:
 * a crash from a stack overflow still reaches the handler. */
static void give_alt_stack(void)
{
	stack_t cur;
	if (sigaltstack(NULL, &cur) < 0 || !(cur.ss_flags & SS_DISABLE))
		return;
	unsigned char *p = reserve(PYX_STUB_ALT_STACK);
	if (!p)
		return;
	stack_t ss = {.ss_sp = p, .ss_size = PYX_STUB_ALT_STACK};
	sigaltstack(&ss, NULL);
}

static int is_ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == pyx_stub_handler;
}

static int install(int sig)
{
	struct pyx_stub *s = &pyx_stub;
	struct sigaction cur, ours;
	if (sigaction(sig, NULL, &cur) < 0)
		return fail("cannot read the handler of signal %d: %s", sig, strerror(errno));
	if (s->installed & pyx_sigbit(sig))
		return 0; /* ours, or a later handler's that leads to ours */
	memset(&ours, 0, sizeof ours);
	ours.sa_sigaction = pyx_stub_handler;
	ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	/* Asynchronous signals wait while we dump; faults do not. */
	sigfillset(&ours.sa_mask);
	static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
	for (size_t i = 0; i < sizeof sync_sigs / sizeof *sync_sigs; i++)
		sigdelset(&ours.sa_mask, sync_sigs[i]);
	/* prev is complete before our handler can run and read it. */
	s->prev[sig] = cur;
	if (sigaction(sig, &ours, NULL) < 0)
		return fail("cannot install a handler for signal %d: %s", sig, strerror(errno));
	s->installed |= pyx_sigbit(sig);
	return 0;
}

/* Gives sig back to what it had, if our handler is still the one in
 * place; otherwise a later handler leads to ours and it stays. */
static void uninstall(int sig)
{
	struct pyx_stub *s = &pyx_stub;
	struct sigaction cur;
	if (!(s->installed & pyx_sigbit(sig)) || sigaction(sig, NULL, &cur) < 0 || !is_ours(&cur))
		return;
	if (sigaction(sig, &s->prev[sig], NULL) == 0)
		s->installed &= ~pyx_sigbit(sig);
}

static int absolute_dir(const char *dir, char *out, size_t size)
{
	char cwd[PATH_MAX];
	struct stat st;
	if (!dir || !*dir) {
		if (!getcwd(cwd, sizeof cwd))
			return fail("cannot tell the current directory: %s", strerror(errno));
		dir = cwd;
	}
	if (dir[0] != '/') {
		char rel[PATH_MAX];
		if (!getcwd(rel, sizeof rel))
			return fail("cannot tell the current directory: %s", strerror(errno));
		if ((size_t)snprintf(out, size, "%s/%s", rel, dir) >= size)
			return fail("dump directory path too long");
	} else if ((size_t)snprintf(out, size, "%s", dir) >= size) {
		return fail("dump directory path too long");
	}
	if (stat(out, &st) < 0)
		return fail("dump directory %s: %s", out, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail("dump directory %s is not a directory", out);
	if (access(out, W_OK | X_OK) < 0)
		return fail("dump directory %s is not writable: %s", out, strerror(errno));
	return 0;
}

static int arm_locked(const char *on, const char *dir, const char *format)
{
	struct pyx_stub *s = &pyx_stub;
	uint64_t mask;
	char why[256], path[PATH_MAX];
	int json;
	if (!on || !*on)
		on = getenv("PYXRAY_DUMP_ON");
	if (!on || !*on)
		on = "usr2,crash";
	if (pyx_stub_spec_parse(on, &mask, why, sizeof why) < 0)
		return fail("%s", why);
	if (!dir || !*dir)
		dir = getenv("PYXRAY_DUMP_DIR");
	if (absolute_dir(dir, path, sizeof path) < 0)
		return -1;
	if (!format || !*format)
		format = getenv("PYXRAY_DUMP_FORMAT");
	if (!format || !*format || !strcmp(format, "text"))
		json = 0;
	else if (!strcmp(format, "json"))
		json = 1;
	else
		return fail("dump format '%s': use text or json", format);
	if (reserve_once() < 0)
		return -1;
	find_python();
	give_alt_stack();
	/* Handlers see a consistent configuration: it changes only while no
	 * dump runs. */
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (pyx_stub_lock(tid, PYX_STUB_LOCK_WAIT_MS) != 1)
		return fail("a dump is under way and did not finish");
	memcpy(s->dir, path, sizeof path);
	s->json = json;
	int rc = 0;
	for (int sig = 1; sig <= PYX_STUB_MAXSIG && rc == 0; sig++)
		if (mask & pyx_sigbit(sig))
			rc = install(sig);
	if (rc == 0) {
		for (int sig = 1; sig <= PYX_STUB_MAXSIG; sig++)
			if (!(mask & pyx_sigbit(sig)))
				uninstall(sig);
		__atomic_store_n(&s->mask, mask, __ATOMIC_RELEASE);
	}
	pyx_stub_unlock();
	return rc;
}

int pyxray_arm(const char *on, const char *dir, const char *format)
{
	pthread_mutex_lock(&arm_mutex);
	last_error[0] = '\0';
	int rc = arm_locked(on, dir, format);
	pthread_mutex_unlock(&arm_mutex);
	return rc;
}

int pyxray_disarm(void)
{
	pthread_mutex_lock(&arm_mutex);
	last_error[0] = '\0';
	int rc = 0;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (pyx_stub_lock(tid, PYX_STUB_LOCK_WAIT_MS) != 1) {
		rc = fail("a dump is under way and did not finish");
	} else {
		__atomic_store_n(&pyx_stub.mask, 0, __ATOMIC_RELEASE);
		for (int sig = 1; sig <= PYX_STUB_MAXSIG; sig++)
			uninstall(sig);
		pyx_stub_unlock();
	}
	pthread_mutex_unlock(&arm_mutex);
	return rc;
}

/* How deep dumps went on the painted dump stack. */
static long long stack_used(void)
{
	size_t i = 0;
	if (!pyx_stub.stack)
		return 0;
	while (i < pyx_stub.stack_len && pyx_stub.stack[i] == 0xa5)
		i++;
	return (long long)(pyx_stub.stack_len - i);
}

long long pyxray_stub_stat(const char *name)
{
	struct pyx_stub *s = &pyx_stub;
	if (!strcmp(name, "armed"))
		return (long long)s->mask;
	if (!strcmp(name, "python"))
		return s->have_syms;
	if (!strcmp(name, "dumps"))
		return s->dumps;
	if (!strcmp(name, "last_dump_ns"))
		return s->last_dump_ns;
	if (!strcmp(name, "last_dump_cpu_ns"))
		return s->last_dump_cpu_ns;
	if (!strcmp(name, "buffer_used"))
		return s->max_buffer;
	if (!strcmp(name, "stack_used"))
		return stack_used();
	if (!strcmp(name, "stack_budget"))
		return PYX_STUB_STACK_BUDGET;
	return -1;
}

/* Preloaded: armed from the environment, or left loaded and idle. */
__attribute__((constructor)) static void stub_load(void)
{
	const char *on = getenv("PYXRAY_DUMP_ON");
	if (!on || !*on)
		return;
	if (pyxray_arm(on, NULL, NULL) < 0) {
		/* The reason may quote the variable's value: escaped. */
		struct pyx_out o;
		pyx_out_init_fd(&o, 2);
		pyx_out_puts(&o, "pyxray-stub: not armed: ");
		pyx_out_text(&o, last_error);
		pyx_out_putc(&o, '\n');
		pyx_out_finish(&o, NULL);
	}
}
