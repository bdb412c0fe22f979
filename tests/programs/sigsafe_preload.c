/* SPDX-License-Identifier: MIT */
/* The stub's signal-safety promise, checked on real interpreters: preloaded
 * (LD_PRELOAD=sigsafe_preload.so, with $PYXRAY_STUB naming the stub), it
 * interposes malloc, free and their kin, stdio, strerror and
 * dl_iterate_phdr for the whole process, loads and arms the stub, and puts
 * its own SIGUSR2 handler in front of the stub's: while the stub's handler
 * runs on a thread, any call of those from that thread writes
 * "SIGSAFE VIOLATION: <name>" to stderr and aborts. Other threads (the
 * interpreter's) use them freely. After each dump it writes
 * "SIGSAFE ok stack=N budget=N buffer=N dumps=N ns=N cpu_ns=N" to stderr:
 * the stub's deepest use of its dump stack, its budget, its buffer use, its
 * dump count and the last dump's duration, wall clock and CPU.
 * Build: cc -shared -fPIC -o sigsafe_preload.so sigsafe_preload.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __thread int forbidden __attribute__((tls_model("initial-exec")));
static struct sigaction stub_action;
static long long (*stub_stat)(const char *);

static void say(const char *s)
{
	(void)!write(2, s, strlen(s));
}

static void violation(const char *what)
{
	forbidden = 0;
	say("SIGSAFE VIOLATION: ");
	say(what);
	say(" called in the stub's signal handler\n");
	abort();
}

#define CHECK(name)              \
	do {                     \
		if (forbidden)   \
			violation(name); \
	} while (0)

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

void *malloc(size_t n)
{
	CHECK("malloc");
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	CHECK("calloc");
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	CHECK("realloc");
	return __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t m)
{
	CHECK("reallocarray");
	if (m && n > (size_t)-1 / m)
		return NULL;
	return __libc_realloc(p, n * m);
}

void free(void *p)
{
	CHECK("free");
	__libc_free(p);
}

void *memalign(size_t a, size_t n)
{
	CHECK("memalign");
	return __libc_memalign(a, n);
}

void *aligned_alloc(size_t a, size_t n)
{
	CHECK("aligned_alloc");
	return __libc_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
	CHECK("posix_memalign");
	*out = __libc_memalign(a, n);
	return *out ? 0 : 12;
}

void *valloc(size_t n)
{
	CHECK("valloc");
	return __libc_valloc(n);
}

void *pvalloc(size_t n)
{
	CHECK("pvalloc");
	return __libc_pvalloc(n);
}

/* stdio and friends: forwarded to libc's, found before any handler runs. */
static int (*real_vsnprintf)(char *, size_t, const char *, va_list);
static int (*real_vfprintf)(FILE *, const char *, va_list);
static int (*real_vsprintf)(char *, const char *, va_list);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static int (*real_fputs)(const char *, FILE *);
static int (*real_puts)(const char *);
static int (*real_fputc)(int, FILE *);
static int (*real_fflush)(FILE *);
static FILE *(*real_fopen)(const char *, const char *);
static int (*real_fclose)(FILE *);
static char *(*real_strerror)(int);
static int (*real_dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

int vsnprintf(char *b, size_t n, const char *f, va_list ap)
{
	CHECK("vsnprintf");
	return real_vsnprintf(b, n, f, ap);
}

int snprintf(char *b, size_t n, const char *f, ...)
{
	va_list ap;
	CHECK("snprintf");
	va_start(ap, f);
	int r = real_vsnprintf(b, n, f, ap);
	va_end(ap);
	return r;
}

int vsprintf(char *b, const char *f, va_list ap)
{
	CHECK("vsprintf");
	return real_vsprintf(b, f, ap);
}

int sprintf(char *b, const char *f, ...)
{
	va_list ap;
	CHECK("sprintf");
	va_start(ap, f);
	int r = real_vsprintf(b, f, ap);
	va_end(ap);
	return r;
}

int vfprintf(FILE *s, const char *f, va_list ap)
{
	CHECK("vfprintf");
	return real_vfprintf(s, f, ap);
}

int fprintf(FILE *s, const char *f, ...)
{
	va_list ap;
	CHECK("fprintf");
	va_start(ap, f);
	int r = real_vfprintf(s, f, ap);
	va_end(ap);
	return r;
}

int printf(const char *f, ...)
{
	va_list ap;
	CHECK("printf");
	va_start(ap, f);
	int r = real_vfprintf(stdout, f, ap);
	va_end(ap);
	return r;
}

size_t fwrite(const void *p, size_t a, size_t b, FILE *s)
{
	CHECK("fwrite");
	return real_fwrite(p, a, b, s);
}

int fputs(const char *p, FILE *s)
{
	CHECK("fputs");
	return real_fputs(p, s);
}

int puts(const char *p)
{
	CHECK("puts");
	return real_puts(p);
}

int fputc(int c, FILE *s)
{
	CHECK("fputc");
	return real_fputc(c, s);
}

int fflush(FILE *s)
{
	CHECK("fflush");
	return real_fflush(s);
}

FILE *fopen(const char *p, const char *m)
{
	CHECK("fopen");
	return real_fopen(p, m);
}

int fclose(FILE *s)
{
	CHECK("fclose");
	return real_fclose(s);
}

char *strerror(int e)
{
	CHECK("strerror");
	return real_strerror(e);
}

int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	CHECK("dl_iterate_phdr (the loader's lock)");
	return real_dl_iterate_phdr(cb, data);
}

static void put_num(char **p, const char *key, long long v)
{
	char digits[24];
	int n = 0;
	unsigned long long u = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < 23);
	size_t k = strlen(key);
	memcpy(*p, key, k);
	*p += k;
	if (v < 0)
		*(*p)++ = '-';
	while (n)
		*(*p)++ = digits[--n];
}

static void front(int sig, siginfo_t *si, void *uc)
{
	char line[320], *p = line;
	forbidden = 1;
	stub_action.sa_sigaction(sig, si, uc);
	forbidden = 0;
	memcpy(p, "SIGSAFE ok", 10);
	p += 10;
	put_num(&p, " stack=", stub_stat("stack_used"));
	put_num(&p, " budget=", stub_stat("stack_budget"));
	put_num(&p, " buffer=", stub_stat("buffer_used"));
	put_num(&p, " dumps=", stub_stat("dumps"));
	put_num(&p, " ns=", stub_stat("last_dump_ns"));
	put_num(&p, " cpu_ns=", stub_stat("last_dump_cpu_ns"));
	*p++ = '\n';
	(void)!write(2, line, (size_t)(p - line));
}

static void fatal(const char *what)
{
	say("sigsafe_preload: ");
	say(what);
	say("\n");
	_exit(3);
}

__attribute__((constructor)) static void setup(void)
{
	real_vsnprintf = (int (*)(char *, size_t, const char *, va_list))dlsym(RTLD_NEXT, "vsnprintf");
	real_vfprintf = (int (*)(FILE *, const char *, va_list))dlsym(RTLD_NEXT, "vfprintf");
	real_vsprintf = (int (*)(char *, const char *, va_list))dlsym(RTLD_NEXT, "vsprintf");
	real_fwrite = (size_t (*)(const void *, size_t, size_t, FILE *))dlsym(RTLD_NEXT, "fwrite");
	real_fputs = (int (*)(const char *, FILE *))dlsym(RTLD_NEXT, "fputs");
	real_puts = (int (*)(const char *))dlsym(RTLD_NEXT, "puts");
	real_fputc = (int (*)(int, FILE *))dlsym(RTLD_NEXT, "fputc");
	real_fflush = (int (*)(FILE *))dlsym(RTLD_NEXT, "fflush");
	real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
	real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
	real_strerror = (char *(*)(int))dlsym(RTLD_NEXT, "strerror");
	real_dl_iterate_phdr =
		(int (*)(int (*)(struct dl_phdr_info *, size_t, void *), void *))dlsym(
			RTLD_NEXT, "dl_iterate_phdr");
	if (!real_vsnprintf || !real_vfprintf || !real_vsprintf || !real_fwrite || !real_fputs ||
	    !real_puts || !real_fputc || !real_fflush || !real_fopen || !real_fclose ||
	    !real_strerror || !real_dl_iterate_phdr)
		fatal("libc's stdio not found");
	const char *stub = getenv("PYXRAY_STUB");
	if (!stub)
		fatal("PYXRAY_STUB is not set");
	/* The stub arms from PYXRAY_DUMP_ON in its constructor. */
	void *h = dlopen(stub, RTLD_NOW);
	if (!h)
		fatal(dlerror());
	stub_stat = (long long (*)(const char *))dlsym(h, "pyxray_stub_stat");
	if (!stub_stat || sigaction(SIGUSR2, NULL, &stub_action) < 0 ||
	    !(stub_action.sa_flags & SA_SIGINFO))
		fatal("the stub did not arm SIGUSR2 (is PYXRAY_DUMP_ON set?)");
	struct sigaction sa = stub_action;
	sa.sa_sigaction = front;
	if (sigaction(SIGUSR2, &sa, NULL) < 0)
		fatal("sigaction failed");
}
