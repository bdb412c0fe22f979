/* SPDX-License-Identifier: MIT */
/* The stub's promise, checked: taking a snapshot in a caller's buffer and
 * writing it to a file descriptor, from a signal handler on a small
 * alternate stack, calls no malloc/free and no stdio (they abort here while
 * the handler runs), stays within the documented stack budget, and prints
 * exactly what the ordinary path prints, for every layout. The own-process
 * memory source turns a bad address into an error, not a SIGSEGV. */
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pyxray/format.h>

#include "acquire/linkmap.h"
#include "acquire/self.h"
#include "acquire/target.h"
#include "snapshot/snapshot_priv.h"
#include "tap.h"
#include "world.h"

/* ---- interposed allocator and stdio: abort while `forbidden` ---- */

static volatile sig_atomic_t forbidden;

static void violation(const char *what)
{
	static const char msg[] = "test_signal_safe: called in the signal handler: ";
	write(2, msg, sizeof msg - 1);
	write(2, what, strlen(what));
	write(2, "\n", 1);
	abort();
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n)
{
	if (forbidden)
		violation("malloc");
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	if (forbidden)
		violation("calloc");
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	if (forbidden)
		violation("realloc");
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (forbidden)
		violation("free");
	__libc_free(p);
}

void *aligned_alloc(size_t a, size_t n)
{
	if (forbidden)
		violation("aligned_alloc");
	return __libc_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
	if (forbidden)
		violation("posix_memalign");
	*out = __libc_memalign(a, n);
	return *out ? 0 : 12;
}

/* stdio entry points the library could reach: forbidden in the handler,
 * forwarded to libc otherwise (found before anything is forbidden). */
static int (*real_vsnprintf)(char *, size_t, const char *, va_list);
static int (*real_vfprintf)(FILE *, const char *, va_list);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static int (*real_fputs)(const char *, FILE *);
static int (*real_fflush)(FILE *);

int vsnprintf(char *b, size_t n, const char *f, va_list ap)
{
	if (forbidden)
		violation("vsnprintf");
	return real_vsnprintf(b, n, f, ap);
}

int snprintf(char *b, size_t n, const char *f, ...)
{
	va_list ap;
	if (forbidden)
		violation("snprintf");
	va_start(ap, f);
	int r = real_vsnprintf(b, n, f, ap);
	va_end(ap);
	return r;
}

int vfprintf(FILE *s, const char *f, va_list ap)
{
	if (forbidden)
		violation("vfprintf");
	return real_vfprintf(s, f, ap);
}

int fprintf(FILE *s, const char *f, ...)
{
	va_list ap;
	if (forbidden)
		violation("fprintf");
	va_start(ap, f);
	int r = real_vfprintf(s, f, ap);
	va_end(ap);
	return r;
}

int printf(const char *f, ...)
{
	va_list ap;
	if (forbidden)
		violation("printf");
	va_start(ap, f);
	int r = real_vfprintf(stdout, f, ap);
	va_end(ap);
	return r;
}

size_t fwrite(const void *p, size_t a, size_t b, FILE *s)
{
	if (forbidden)
		violation("fwrite");
	return real_fwrite(p, a, b, s);
}

int fputs(const char *p, FILE *s)
{
	if (forbidden)
		violation("fputs");
	return real_fputs(p, s);
}

int fflush(FILE *s)
{
	if (forbidden)
		violation("fflush");
	return real_fflush(s);
}

static char *(*real_strerror)(int);

char *strerror(int e)
{
	if (forbidden)
		violation("strerror");
	return real_strerror(e);
}

static void find_real(void)
{
	real_vsnprintf = (int (*)(char *, size_t, const char *, va_list))dlsym(RTLD_NEXT, "vsnprintf");
	real_vfprintf = (int (*)(FILE *, const char *, va_list))dlsym(RTLD_NEXT, "vfprintf");
	real_fwrite = (size_t (*)(const void *, size_t, size_t, FILE *))dlsym(RTLD_NEXT, "fwrite");
	real_fputs = (int (*)(const char *, FILE *))dlsym(RTLD_NEXT, "fputs");
	real_fflush = (int (*)(FILE *))dlsym(RTLD_NEXT, "fflush");
	real_strerror = (char *(*)(int))dlsym(RTLD_NEXT, "strerror");
	if (!real_strerror || !real_vsnprintf || !real_vfprintf || !real_fwrite || !real_fputs || !real_fflush)
		abort();
}

/* ---- the dump, as the stub does it ---- */

/* The stack budget documented in docs/stub.md: the handler's whole frame
 * chain (decoder, layout validation, formatter) fits in it. */
enum { STACK_BUDGET = 48 * 1024, ALT_STACK = 256 * 1024, SNAP_BUF = 8 << 20 };

static const struct pyx_target_ops image_ops = {.kind = "image"};

struct job {
	struct pyx_memsrc *src;
	uint64_t runtime;
	uint32_t version_hex;
	int fd_text, fd_json;
	int rc_take, rc_text, rc_json;
	size_t arena_used;
};

static struct job job;
static unsigned char snap_buf[SNAP_BUF];

static void dump_into(struct job *j, void *buf, size_t len)
{
	struct pyx_error err;
	struct pyx_snapshot *snap = buf ? pyx_snapshot_new_in(buf, len) : pyx_snapshot_new();
	struct pyx_target *t = snap ? pyx_target_new_in(pyx_snapshot_arena(snap), &image_ops) : NULL;
	if (!t) {
		j->rc_take = -PYX_E_NOMEM;
		return;
	}
	t->mem = j->src;
	t->mem_borrowed = 1;
	t->pid = 4242;
	t->has_syms = 1;
	t->syms.runtime = j->runtime;
	t->syms.version_hex = j->version_hex;
	struct pyx_snapshot_opts opts = {.flags = PYX_SNAP_NONBLOCKING};
	j->rc_take = pyx_snapshot_adopt(snap, t, &err);
	if (j->rc_take == 0)
		j->rc_take = pyx_snapshot_read_target(snap, t, 0, &opts, &err);
	struct pyx_format_opts fo = {.flags = PYX_FMT_GROUP, .only_tid = -1};
	j->rc_text = pyx_format_write(snap, PYX_REPORT_TEXT, &fo, j->fd_text, &err);
	j->rc_json = pyx_format_write(snap, PYX_REPORT_JSON, &fo, j->fd_json, &err);
	j->arena_used = pyx_arena_used(pyx_snapshot_arena(snap));
	pyx_snapshot_destroy(snap);
}

static void handler(int sig)
{
	(void)sig;
	forbidden = 1;
	dump_into(&job, snap_buf, sizeof snap_buf);
	forbidden = 0;
}

static char *slurp_fd(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *s = calloc(1, (size_t)n + 1);
	pread(fd, s, (size_t)n, 0);
	return s;
}

static int tmp_fd(void)
{
	char path[] = "/tmp/pyxray-sigsafe-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	return fd;
}

/* How much of the alternate stack the handler wrote to. */
static size_t stack_used(const unsigned char *stack, size_t size)
{
	size_t i = 0;
	while (i < size && stack[i] == 0xa5)
		i++;
	return size - i;
}

static void test_layout(int minor, unsigned char *alt)
{
	struct world w;
	world_init(&w, minor);
	if (!w.L.has_runtime) { /* 3.6 starts from interp_head: covered by test_frames */
		timg_free(&w.img);
		return;
	}
	uint64_t interps[2], tstates[3], gil;
	uint64_t rt = world_runtime(&w, interps, tstates, &gil);
	struct job ref = {.src = timg_memsrc(&w.img), .runtime = rt, .version_hex = w.L.version_hex};
	ref.fd_text = tmp_fd();
	ref.fd_json = tmp_fd();
	dump_into(&ref, NULL, 0); /* the ordinary path, malloc allowed */

	memset(&job, 0, sizeof job);
	job.src = ref.src;
	job.runtime = rt;
	job.version_hex = w.L.version_hex;
	job.fd_text = tmp_fd();
	job.fd_json = tmp_fd();
	memset(alt, 0xa5, ALT_STACK);
	raise(SIGUSR1);
	size_t used = stack_used(alt, ALT_STACK);

	is_int(job.rc_take, 0, "3.%d: snapshot taken in the handler", minor);
	ok(job.rc_text == 0 && job.rc_json == 0, "3.%d: both reports written", minor);
	char *a = slurp_fd(ref.fd_text), *b = slurp_fd(job.fd_text);
	ok(strstr(b, "inner (/src/a.py:13)") && strstr(b, "holds the GIL"), "3.%d: the stacks are there",
	   minor);
	is_str(b, a, "3.%d: text equals the ordinary path's", minor);
	free(a);
	free(b);
	a = slurp_fd(ref.fd_json);
	b = slurp_fd(job.fd_json);
	is_str(b, a, "3.%d: JSON equals the ordinary path's", minor);
	free(a);
	free(b);
	ok(used < STACK_BUDGET, "3.%d: handler stack %zu bytes, budget %d", minor, used,
	   STACK_BUDGET);
	ok(job.arena_used < SNAP_BUF / 8, "3.%d: buffer use %zu bytes", minor, job.arena_used);
	close(ref.fd_text);
	close(ref.fd_json);
	close(job.fd_text);
	close(job.fd_json);
	pyx_memsrc_close(ref.src);
	timg_free(&w.img);
}

/* ---- the own-process memory source ---- */

static struct pyx_memsrc *self_src;
static int self_rc_good, self_rc_bad;
static uint64_t self_value;

static void self_handler(int sig)
{
	static const uint64_t here = 0x1122334455667788ull;
	struct pyx_error err;
	(void)sig;
	forbidden = 1;
	self_rc_good = pyx_memsrc_read_u64(self_src, (uint64_t)(uintptr_t)&here, &self_value, &err);
	/* an unmapped page and a kernel address: errors, never SIGSEGV */
	self_rc_bad = pyx_memsrc_read_u64(self_src, 0x10, &self_value, &err) == -PYX_E_FAULT &&
		      pyx_memsrc_read_u64(self_src, 0xffffffffff600000ull + 0x1000, &self_value,
					  &err) < 0;
	pyx_memsrc_read_u64(self_src, (uint64_t)(uintptr_t)&here, &self_value, &err);
	forbidden = 0;
}

static void test_self(void)
{
	struct pyx_error err;
	is_int(pyx_memsrc_open_self(PYX_MEMSRC_CACHE | PYX_MEMSRC_PREALLOC, &self_src, &err), 0,
	       "self: opened with a preallocated cache");
	signal(SIGUSR2, self_handler);
	raise(SIGUSR2);
	is_int(self_rc_good, 0, "self: own memory read in a handler");
	ok(self_value == 0x1122334455667788ull, "self: the right bytes");
	ok(self_rc_bad, "self: bad addresses are errors, not signals");
	pyx_memsrc_close(self_src);
}

/* ---- the stub's own process: its target and the loader's list ---- */

static struct {
	int rc_open, rc_read, rc_text, rc_find, rc_sym, sym_ok;
	size_t nthreads;
	int fd;
} selfdump;

static void self_target_handler(int sig)
{
	static unsigned char buf[1 << 20];
	struct pyx_error err;
	struct pyx_self_crash crash = {.signo = SIGSEGV, .si_code = 1, .fault_addr = 8,
				       .tid = (pid_t)getpid()};
	struct pyx_target *t = NULL;
	(void)sig;
	forbidden = 1;
	struct pyx_snapshot *snap = pyx_snapshot_new_in(buf, sizeof buf);
	selfdump.rc_open =
		snap ? pyx_self_open_in(pyx_snapshot_arena(snap), self_src, NULL, &crash, &t, &err)
		     : -1;
	if (selfdump.rc_open == 0 && pyx_snapshot_adopt(snap, t, &err) == 0) {
		selfdump.nthreads = t->nthreads;
		struct pyx_snapshot_opts opts = {.flags = PYX_SNAP_NONBLOCKING};
		selfdump.rc_read = pyx_snapshot_read_target(snap, t, 0, &opts, &err);
		struct pyx_format_opts fo = {.only_tid = -1};
		selfdump.rc_text = pyx_format_write(snap, PYX_REPORT_TEXT, &fo, selfdump.fd, &err);
	}
	pyx_snapshot_destroy(snap);
	/* This test is no Python: the loader's list says so, and a libc
	 * symbol comes out where dlsym (called outside) puts it. */
	struct pyx_python_syms syms;
	char path[256];
	selfdump.rc_find = pyx_linkmap_find_python(self_src, (uint64_t)(uintptr_t)&_r_debug, NULL,
						   &syms, path, sizeof path, &err);
	selfdump.rc_sym = -1;
	for (struct link_map *lm = _r_debug.r_map; lm; lm = lm->l_next) {
		uint64_t addr;
		if (pyx_linkmap_symbol(self_src, (uint64_t)(uintptr_t)lm, "process_vm_readv", &addr,
				       &err) == 0) {
			selfdump.rc_sym = 0;
			selfdump.sym_ok = addr == (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT,
									      "process_vm_readv");
			break;
		}
	}
	forbidden = 0;
}

static void test_self_target(void)
{
	struct pyx_error err;
	is_int(pyx_memsrc_open_self(PYX_MEMSRC_CACHE | PYX_MEMSRC_PREALLOC, &self_src, &err), 0,
	       "self target: memory source");
	/* dlsym before the handler: its first call may allocate. */
	ok(dlsym(RTLD_DEFAULT, "process_vm_readv") != NULL, "process_vm_readv found by dlsym");
	selfdump.fd = tmp_fd();
	signal(SIGUSR2, self_target_handler);
	raise(SIGUSR2);
	is_int(selfdump.rc_open, 0, "self target opened in a handler");
	ok(selfdump.nthreads >= 1, "its threads listed (%zu)", selfdump.nthreads);
	is_int(selfdump.rc_read, -PYX_E_NOT_PYTHON, "no interpreter: said, not searched for");
	is_int(selfdump.rc_text, 0, "the report written");
	char *text = slurp_fd(selfdump.fd);
	ok(strstr(text, "Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x8 in thread") != NULL,
	   "the crash is in the report");
	ok(strstr(text, "(not a Python process)") != NULL, "and that it is not Python");
	free(text);
	is_int(selfdump.rc_find, -PYX_E_NOT_PYTHON, "the loader's list holds no interpreter");
	is_int(selfdump.rc_sym, 0, "a libc symbol found in the loader's list");
	ok(selfdump.sym_ok, "at the address dlsym gives");
	close(selfdump.fd);
	pyx_memsrc_close(self_src);
}

int main(void)
{
	find_real();
	static unsigned char alt_mem[ALT_STACK];
	stack_t ss = {.ss_sp = alt_mem, .ss_size = ALT_STACK};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0)
		abort();
	for (int minor = 7; minor <= 15; minor++)
		test_layout(minor, alt_mem);
	test_self();
	test_self_target();
	return tap_done();
}
