/* SPDX-License-Identifier: MIT */
/* `pyxray arm [--on SPEC] [--dir DIR] PID` and `pyxray disarm PID`: load
 * the stub (libpyxray-stub.so) into a running process and arm it, or give
 * its signals back (docs/stub.md). On CPython 3.14+ through the
 * interpreter's own safe point, sys.remote_exec (PEP 768); otherwise, or
 * when that cannot be used, through GDB (gdbext/pyxray/inject.py: dlopen
 * and the stub's arm function called on a thread outside the dynamic loader
 * and the allocator). Every wait has a deadline, every error is one line,
 * and the process is left running and untraced. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pyxray/pyxray.h>

#include "../stub/spec.h"
#include "args.h"
#include "arm.h"
#include "options.h"

extern char **environ;

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, OUT_MAX = 64 * 1024 };

struct opts {
	int disarm;
	const char *on, *format, *via;
	char dir[PATH_MAX];
	int timeout_s;
	uint64_t mask;
};

struct status {
	char state;
	pid_t tracer;
	uid_t uid;
	gid_t gid;
	uint64_t caught; /* SigCgt */
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vsay("", fmt, ap);
	va_end(ap);
	return EXIT_RUNTIME;
}

/* snprintf whose truncation is expected and harmless (messages, paths
 * checked afterwards). */
static int say(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- the target, from /proc ---- */

static int read_status(pid_t pid, struct status *st)
{
	char path[64], line[256];
	say(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	memset(st, 0, sizeof *st);
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		unsigned a, b;
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &st->state);
		else if (sscanf(line, "TracerPid: %u", &a) == 1)
			st->tracer = (pid_t)a;
		else if (sscanf(line, "Uid: %u", &a) == 1)
			st->uid = a;
		else if (sscanf(line, "Gid: %u", &b) == 1)
			st->gid = b;
		else if (sscanf(line, "SigCgt: %llx", &v) == 1)
			st->caught = v;
	}
	fclose(f);
	return 0;
}

/* The stub's path as mapped by pid (into buf), or NULL. */
static const char *mapped_stub(pid_t pid, char *buf, size_t size)
{
	char path[64], line[PATH_MAX + 128];
	const char *found = NULL;
	say(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		line[strcspn(line, "\n")] = '\0';
		if (p && strstr(p, "/libpyxray-stub.so") &&
		    !strcmp(p + strlen(p) - strlen("/libpyxray-stub.so"), "/libpyxray-stub.so") &&
		    (size_t)say(buf, size, "%s", p) < size)
			found = buf;
	}
	fclose(f);
	return found;
}

static int exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Our own directory: a build tree has the stub and the GDB script there. */
static const char *own_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return buf;
}

/* $PYXRAY_STUB, the build tree's, or the installed one. */
static const char *find_stub(char *buf, size_t size)
{
	char dir[PATH_MAX];
	const char *env = getenv("PYXRAY_STUB");
	if (env && *env)
		return env;
	if (own_dir(dir, sizeof dir) &&
	    (size_t)say(buf, size, "%s/.libs/libpyxray-stub.so", dir) < size && exists(buf))
		return buf;
	return PYX_STUB_INSTALLED;
}

/* $PYXRAY_INJECT_PY, the build tree's gdbext, or the installed one. */
static const char *find_inject_py(char *buf, size_t size)
{
	char dir[PATH_MAX];
	const char *env = getenv("PYXRAY_INJECT_PY");
	if (env && *env)
		return env;
	const char *srcdir = getenv("PYXRAY_SRCDIR");
	if (srcdir && (size_t)say(buf, size, "%s/gdbext/pyxray/inject.py", srcdir) < size &&
	    exists(buf))
		return buf;
	if (own_dir(dir, sizeof dir) &&
	    (size_t)say(buf, size, "%s/gdbext/pyxray/inject.py", dir) < size && exists(buf))
		return buf;
	return PYX_INJECT_INSTALLED;
}

/* ---- running a helper with a deadline ---- */

/* Runs argv with stdout and stderr captured into out (the last OUT_MAX - 1
 * bytes), stdin from /dev/null. Its wait status, or -1 when it could not
 * start; at the deadline it gets SIGINT (GDB then abandons a call in
 * progress and detaches), 5 s later SIGKILL. *timed_out says so. */
static int run(char *const argv[], long long deadline, char *out, int *timed_out)
{
	int pipefd[2];
	posix_spawn_file_actions_t fa;
	pid_t child;
	size_t len = 0;
	*timed_out = 0;
	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	int rc = posix_spawnp(&child, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		errno = rc;
		return -1;
	}
	int signalled = 0, open_ = 1, status = 0;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0 && signalled < 2) {
			*timed_out = 1;
			kill(child, signalled ? SIGKILL : SIGINT);
			deadline = now_ms() + 5000;
			signalled++;
			left = 5000;
		} else if (left <= 0) {
			/* Killed 5 s ago and the pipe is still open (a process it
			 * started holds it): stop reading, reap the child. */
			open_ = 0;
		}
		if (open_) {
			struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
			if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) > 0) {
				char chunk[4096];
				ssize_t n = read(pipefd[0], chunk, sizeof chunk);
				if (n <= 0) {
					open_ = 0;
				} else {
					if (len + (size_t)n >= OUT_MAX) {
						size_t drop = len + (size_t)n - (OUT_MAX - 1);
						drop = drop > len ? len : drop;
						memmove(out, out + drop, len - drop);
						len -= drop;
					}
					size_t k = (size_t)n < OUT_MAX - 1 - len ? (size_t)n
										  : OUT_MAX - 1 - len;
					memcpy(out + len, chunk, k);
					len += k;
					out[len] = '\0';
				}
			}
		} else {
			pid_t w = waitpid(child, &status, WNOHANG);
			if (w == child)
				break;
			sleep_ms(10);
		}
	}
	close(pipefd[0]);
	return status;
}

/* The line of out that starts with prefix (its rest in line), or NULL. */
static const char *find_line(const char *out, const char *prefix, char *line, size_t size)
{
	for (const char *p = out; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t plen = strlen(prefix);
		if (n >= plen && !strncmp(p, prefix, plen)) {
			n -= plen;
			if (n >= size)
				n = size - 1;
			memcpy(line, p + plen, n);
			line[n] = '\0';
			return line;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* The last non-empty line of out, for messages. */
static const char *last_line(const char *out, char *line, size_t size)
{
	const char *best = NULL;
	size_t best_n = 0;
	for (const char *p = out; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n) {
			best = p;
			best_n = n;
		}
		p = end ? end + 1 : NULL;
	}
	if (best_n >= size)
		best_n = size - 1;
	memcpy(line, best ? best : "", best_n);
	line[best_n] = '\0';
	return line;
}

/* ---- GDB ---- */

/* A word for GDB's shlex-style py-inject command line. */
static void quote(char *dst, size_t size, const char *s)
{
	size_t n = 0;
	if (size < 3)
		return;
	dst[n++] = '\'';
	for (; *s && n + 5 < size; s++) {
		if (*s == '\'') {
			memcpy(dst + n, "'\"'\"'", 5);
			n += 5;
		} else {
			dst[n++] = *s;
		}
	}
	dst[n++] = '\'';
	dst[n] = '\0';
}

enum { INJECT_OK, INJECT_UNSAFE, INJECT_FAILED };

static int gdb_once(pid_t pid, const struct opts *o, const char *stub, const char *script,
		    long long deadline, char *msg, size_t msg_size, uint64_t *armed)
{
	char q_stub[PATH_MAX * 2], q_on[512], q_dir[PATH_MAX * 2], q_fmt[64], cmd[PATH_MAX * 5];
	char pid_s[16], line[512];
	static char out[OUT_MAX];
	quote(q_stub, sizeof q_stub, stub);
	quote(q_on, sizeof q_on, o->on);
	quote(q_dir, sizeof q_dir, o->dir);
	quote(q_fmt, sizeof q_fmt, o->format ? o->format : "text");
	if (o->disarm)
		say(cmd, sizeof cmd, "py-inject --batch --disarm --stub %s", q_stub);
	else
		say(cmd, sizeof cmd, "py-inject --batch --stub %s --on %s --dir %s --format %s",
			 q_stub, q_on, q_dir, q_fmt);
	say(pid_s, sizeof pid_s, "%d", (int)pid);
	char *argv[] = {"gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off",
			"-iex", "set auto-load off", "-iex", "set pagination off",
			"-iex", "set confirm off", "-p", pid_s, "-x", (char *)script,
			"-ex", cmd, NULL};
	int timed_out;
	int status = run(argv, deadline, out, &timed_out);
	if (status < 0) {
		say(msg, msg_size, "cannot run gdb: %s (install it: apt-get install gdb)",
			 strerror(errno));
		return INJECT_FAILED;
	}
	if (find_line(out, "PYXRAY-INJECT ok ", line, sizeof line)) {
		*armed = strtoull(line, NULL, 10);
		return INJECT_OK;
	}
	if (find_line(out, "PYXRAY-INJECT unsafe ", line, sizeof line)) {
		say(msg, msg_size, "%s", line);
		return INJECT_UNSAFE;
	}
	if (find_line(out, "PYXRAY-INJECT error ", line, sizeof line))
		say(msg, msg_size, "%s", line);
	else if (strstr(out, "ptrace: Operation not permitted"))
		say(msg, msg_size,
			 "GDB cannot attach to pid %d: ptrace is refused (a process that is not "
			 "dumpable, another user's, or ptrace restricted); start it with the stub "
			 "preloaded instead: LD_PRELOAD=%s PYXRAY_DUMP_ON=%s",
			 (int)pid, stub, o->on);
	else if (timed_out)
		say(msg, msg_size, "GDB did not finish within the timeout (%d s)", o->timeout_s);
	else
		say(msg, msg_size, "GDB failed: %s", last_line(out, line, sizeof line));
	return INJECT_FAILED;
}

static int via_gdb(pid_t pid, const struct opts *o, const char *stub, long long deadline,
		   char *msg, size_t msg_size, uint64_t *armed)
{
	char buf[PATH_MAX];
	const char *script = find_inject_py(buf, sizeof buf);
	if (!exists(script)) {
		say(msg, msg_size, "GDB's injection script %s is missing (set PYXRAY_INJECT_PY)",
			 script);
		return INJECT_FAILED;
	}
	for (int attempt = 0;; attempt++) {
		int rc = gdb_once(pid, o, stub, script, deadline, msg, msg_size, armed);
		if (rc != INJECT_UNSAFE)
			return rc;
		/* Not at a safe point now: let it run a moment and look again. */
		if (now_ms() + 200 >= deadline)
			return INJECT_FAILED;
		sleep_ms(100 + 100 * (attempt < 5 ? attempt : 5));
	}
}

/* ---- PEP 768 ---- */

/* A python of the target's exact version: its own executable, or the one
 * installed beside its libpython. */
static const char *remote_python(const struct pyx_process *p, char *buf, size_t size)
{
	const char *exe = p->executable;
	const char *base = exe ? strrchr(exe, '/') : NULL;
	if (base && !strncmp(base + 1, "python3.", 8) && access(exe, X_OK) == 0)
		return exe;
	const char *lib = p->python_path;
	const char *lbase = lib ? strrchr(lib, '/') : NULL;
	if (lbase && !strncmp(lbase + 1, "libpython", 9)) {
		say(buf, size, "%.*s/../bin/python%u.%u", (int)(lbase - lib), lib,
			 p->version_hex >> 24, (p->version_hex >> 16) & 0xff);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

static void py_string(char *dst, size_t size, const char *s)
{
	size_t n = 0;
	dst[n++] = 'b';
	dst[n++] = '\'';
	for (; *s && n + 6 < size; s++)
		n += (size_t)say(dst + n, size - n, "\\x%02x", (unsigned char)*s);
	dst[n++] = '\'';
	dst[n] = '\0';
}

static const char remote_script[] =
	"import ctypes, os, shutil\n"
	"d = %s.decode()\n"
	"def run():\n"
	"    try:\n"
	"        lib = ctypes.CDLL(%s.decode())\n"
	"        lib.pyxray_stub_error.restype = ctypes.c_char_p\n"
	"        lib.pyxray_stub_stat.restype = ctypes.c_longlong\n"
	"        lib.pyxray_stub_stat.argtypes = [ctypes.c_char_p]\n"
	"        rc = %s\n"
	"        if rc < 0:\n"
	"            return 'refused ' + (lib.pyxray_stub_error() or b'').decode('utf-8', 'replace')\n"
	"        return 'ok %%d' %% lib.pyxray_stub_stat(b'armed')\n"
	"    except Exception as e:\n"
	"        return 'error %%s: %%s' %% (type(e).__name__, e)\n"
	"r = run()\n"
	"if os.path.exists(os.path.join(d, 'abandoned')):\n"
	"    shutil.rmtree(d, True)\n"
	"else:\n"
	"    with open(os.path.join(d, 'result.tmp'), 'w') as f:\n"
	"        f.write(r)\n"
	"    os.rename(os.path.join(d, 'result.tmp'), os.path.join(d, 'result'))\n"
	"    os.unlink(os.path.join(d, 'arm.py'))\n";

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	int ok = write(fd, text, n) == (ssize_t)n;
	return close(fd) == 0 && ok ? 0 : -1;
}

enum { REMOTE_OK, REMOTE_FALLBACK, REMOTE_FAILED };

/* The queued script may still run later: make it a no-op that cleans up. */
static void abandon(const char *dir)
{
	char path[PATH_MAX], tmp[PATH_MAX], q_dir[PATH_MAX * 4 + 8], text[PATH_MAX * 5];
	say(path, sizeof path, "%s/abandoned", dir);
	write_file(path, "");
	py_string(q_dir, sizeof q_dir, dir);
	say(text, sizeof text, "import shutil\nshutil.rmtree(%s.decode(), True)\n", q_dir);
	say(tmp, sizeof tmp, "%s/arm.py.new", dir);
	say(path, sizeof path, "%s/arm.py", dir);
	if (write_file(tmp, text) == 0)
		rename(tmp, path);
}

static int via_remote_exec(pid_t pid, const struct opts *o, const struct pyx_process *p,
			   const struct status *st, const char *stub, long long deadline, char *msg,
			   size_t msg_size, uint64_t *armed)
{
	char python[PATH_MAX], dir[] = "/tmp/pyxray-arm-XXXXXX", path[PATH_MAX], line[1024];
	char q_dir[PATH_MAX * 4 + 8], q_stub[PATH_MAX * 4 + 8], q_on[1024], q_out[PATH_MAX * 4 + 8];
	char q_fmt[64], call[PATH_MAX * 5], code[PATH_MAX * 12], pid_s[16];
	static char out[OUT_MAX];
	const char *py = remote_python(p, python, sizeof python);
	if (!py) {
		say(msg, msg_size, "no python%u.%u found beside the process's interpreter",
			 p->version_hex >> 24, (p->version_hex >> 16) & 0xff);
		return REMOTE_FALLBACK;
	}
	if (!mkdtemp(dir)) {
		say(msg, msg_size, "cannot make a directory in /tmp: %s", strerror(errno));
		return REMOTE_FAILED;
	}
	/* The target writes its answer here, as its own user. */
	if (geteuid() == 0 && st->uid != 0 && chown(dir, st->uid, st->gid) < 0) {
		say(msg, msg_size, "cannot hand %s to uid %u: %s", dir, (unsigned)st->uid,
			 strerror(errno));
		rmdir(dir);
		return REMOTE_FAILED;
	}
	chmod(dir, 0755);
	py_string(q_dir, sizeof q_dir, dir);
	py_string(q_stub, sizeof q_stub, stub);
	if (o->disarm) {
		say(call, sizeof call, "lib.pyxray_disarm()");
	} else {
		py_string(q_on, sizeof q_on, o->on);
		py_string(q_out, sizeof q_out, o->dir);
		py_string(q_fmt, sizeof q_fmt, o->format ? o->format : "text");
		say(call, sizeof call, "lib.pyxray_arm(%s, %s, %s)", q_on, q_out, q_fmt);
	}
	say(code, sizeof code, remote_script, q_dir, q_stub, call);
	say(path, sizeof path, "%s/arm.py", dir);
	if (write_file(path, code) < 0 ||
	    (geteuid() == 0 && st->uid != 0 && chown(path, st->uid, st->gid) < 0)) {
		say(msg, msg_size, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		rmdir(dir);
		return REMOTE_FAILED;
	}
	say(pid_s, sizeof pid_s, "%d", (int)pid);
	char *argv[] = {(char *)py, "-I", "-c", "import sys; sys.remote_exec(int(sys.argv[1]), sys.argv[2])",
			pid_s, path, NULL};
	int timed_out;
	int status = run(argv, deadline, out, &timed_out);
	if (status < 0)
		say(msg, msg_size, "cannot run %s: %s", py, strerror(errno));
	else if (status != 0)
		say(msg, msg_size, "sys.remote_exec failed: %s", last_line(out, line, sizeof line));
	if (status != 0) {
		unlink(path);
		rmdir(dir);
		return REMOTE_FALLBACK;
	}
	/* Queued: the main thread runs it at its next check of the eval
	 * breaker. Give it a few seconds; a main thread blocked outside
	 * Python code never gets there. */
	char result[PATH_MAX];
	say(result, sizeof result, "%s/result", dir);
	long long wait_until = now_ms() + 5000 < deadline ? now_ms() + 5000 : deadline;
	while (!exists(result) && now_ms() < wait_until)
		sleep_ms(20);
	if (!exists(result)) {
		abandon(dir);
		say(msg, msg_size,
			 "its main thread did not reach a safe point within 5 s (it is not running "
			 "Python code)");
		return REMOTE_FALLBACK;
	}
	FILE *f = fopen(result, "re");
	line[0] = '\0';
	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	unlink(result);
	unlink(path);
	rmdir(dir);
	if (!strncmp(line, "ok ", 3)) {
		*armed = strtoull(line + 3, NULL, 10);
		return REMOTE_OK;
	}
	if (!strncmp(line, "refused ", 8)) {
		say(msg, msg_size, "the stub refused: %s", line + 8);
		return REMOTE_FAILED;
	}
	say(msg, msg_size, "the remote script failed: %s", line);
	return REMOTE_FALLBACK;
}

/* ---- the command ---- */

static void signal_list(uint64_t mask, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int sig = 1; sig <= PYX_STUB_MAXSIG && n < size; sig++) {
		char name[32];
		if (!(mask & pyx_sigbit(sig)))
			continue;
		n += (size_t)say(buf + n, size - n, "%s%s", n ? ", " : "",
				      pyx_stub_sig_name(sig, name, sizeof name));
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{"on", required_argument, NULL, 'o'},	  {"dir", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'}, {"via", required_argument, NULL, 'v'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *dir = NULL;
	char why[256];
	int c;
	memset(o, 0, sizeof *o);
	o->disarm = !strcmp(argv[0], "disarm");
	o->on = "usr2,crash";
	o->via = "auto";
	o->timeout_s = 30;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		char q[128];
		long secs;
		switch (c) {
		case 'o':
			o->on = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return usage_error("--format takes text or json, not '%s'",
					     cli_quote(optarg, q, sizeof q));
			o->format = optarg;
			break;
		case 'v':
			if (strcmp(optarg, "auto") && strcmp(optarg, "gdb") &&
			    strcmp(optarg, "remote-exec"))
				return usage_error("--via takes auto, gdb or remote-exec, not '%s'",
					     cli_quote(optarg, q, sizeof q));
			o->via = optarg;
			break;
		case 't':
			if (cli_parse_number(optarg, 1, 3600, &secs) < 0)
				return usage_error("--timeout takes seconds from 1 to 3600, not '%s'",
					     cli_quote(optarg, q, sizeof q));
			o->timeout_s = (int)secs;
			break;
		case 'h':
			fputs("Usage:\n" PYX_CLI_ARM_USAGE "\n" PYX_CLI_ARM_HELP, stdout);
			return -1;
		default:
			return usage_error("unknown option '%s' for %s",
				     cli_quote(argv[optind - 1], q, sizeof q), argv[0]);
		}
	}
	if (o->disarm && (dir || o->format || strcmp(o->on, "usr2,crash")))
		return usage_error("disarm takes no --on, --dir or --format");
	if (pyx_stub_spec_parse(o->on, &o->mask, why, sizeof why) < 0)
		return usage_error("--on: %s", why);
	if (!dir && !getcwd(o->dir, sizeof o->dir))
		return fail("cannot tell the current directory: %s", strerror(errno));
	if (dir && !realpath(dir, o->dir))
		return fail("--dir %s: %s", dir, strerror(errno));
	struct stat sb;
	if (!o->disarm && (stat(o->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)))
		return fail("--dir %s is not a directory", o->dir);
	return 0;
}

/* Reads the process (without stopping it) for its Python version. */
static int probe_python(pid_t pid, struct pyx_snapshot **snap, const char *stub, const char *on)
{
	struct pyx_error err;
	struct pyx_snapshot_opts so = {.flags = PYX_SNAP_NONBLOCKING | PYX_SNAP_NO_THREAD_NAMES};
	pyx_error_clear(&err);
	if (pyx_snapshot_take_pid(pid, &so, snap, &err) < 0) {
		if (err.code == PYX_E_PERM)
			return fail("%s; a process that cannot be traced can only have the stub "
				    "from its start: LD_PRELOAD=%s PYXRAY_DUMP_ON=%s",
				    err.msg, stub, on);
		return fail("%s", err.msg);
	}
	if ((*snap)->nprocs != 1 || !(*snap)->procs[0].is_python)
		return fail("pid %d has no Python interpreter", (int)pid);
	return 0;
}

static void wait_detached(pid_t pid, char before)
{
	struct status st;
	long long until = now_ms() + 2000;
	while (read_status(pid, &st) == 0 && (st.tracer || st.state == 't') && now_ms() < until)
		sleep_ms(10);
	if (read_status(pid, &st) == 0 && st.state == 'T' && before != 'T') {
		kill(pid, SIGCONT);
		fprintf(stderr, "pyxray: warning: pid %d was left stopped; continued it\n", (int)pid);
	}
}

int pyx_cli_arm(int argc, char **argv)
{
	struct opts o;
	struct status st;
	pid_t pid;
	char stub_buf[PATH_MAX], mapped[PATH_MAX], msg[2048], list[512];
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = pid_operand(argv[0], argc, argv, &pid)) != 0)
		return rc;
	long long deadline = now_ms() + (long long)o.timeout_s * 1000;

	if (read_status(pid, &st) < 0)
		return fail("no such process: pid %d", (int)pid);
	if (st.state == 'Z')
		return fail("pid %d is a zombie: nothing runs there to arm", (int)pid);
	if (st.tracer)
		return fail("pid %d is already traced by pid %d (a debugger?); detach it first, "
			    "or use py-inject inside that debugger",
			    (int)pid, (int)st.tracer);
	const char *stub = mapped_stub(pid, mapped, sizeof mapped);
	int loaded = stub != NULL;
	if (o.disarm && !loaded)
		return fail("pid %d is not armed: libpyxray-stub.so is not loaded in it", (int)pid);
	if (!stub)
		stub = find_stub(stub_buf, sizeof stub_buf);
	if (!loaded && !exists(stub))
		return fail("the stub %s does not exist (build it, install it, or set PYXRAY_STUB)",
			    stub);
	struct pyx_snapshot *snap = NULL;
	if ((rc = probe_python(pid, &snap, stub, o.on)) != 0) {
		pyx_snapshot_destroy(snap);
		return rc;
	}
	const struct pyx_process *p = &snap->procs[0];
	uint64_t busy = st.caught & o.mask;
	if (!o.disarm && !loaded && busy) {
		signal_list(busy, list, sizeof list);
		fprintf(stderr,
			"pyxray: warning: pid %d already handles %s: the stub dumps first, then "
			"calls that handler; a handler the program installs after arming replaces "
			"the stub's\n",
			(int)pid, list);
	}
	uint64_t armed = 0;
	const char *how = NULL;
	int done = 0;
	unsigned minor = (p->version_hex >> 16) & 0xff;
	int pep768 = (p->version_hex >> 24) == 3 && minor >= 14;
	if (!strcmp(o.via, "remote-exec") && !pep768) {
		pyx_snapshot_destroy(snap);
		return fail("pid %d runs Python %u.%u: sys.remote_exec (PEP 768) needs 3.14 or "
			    "later; use --via gdb or --via auto",
			    (int)pid, (unsigned)(p->version_hex >> 24), minor);
	}
	if (!strcmp(o.via, "remote-exec") || (!strcmp(o.via, "auto") && pep768)) {
		int r = via_remote_exec(pid, &o, p, &st, stub, deadline, msg, sizeof msg, &armed);
		if (r == REMOTE_OK) {
			done = 1;
			how = "sys.remote_exec (PEP 768: the interpreter's own safe point)";
		} else if (r == REMOTE_FAILED || !strcmp(o.via, "remote-exec")) {
			pyx_snapshot_destroy(snap);
			return fail("cannot %s pid %d through sys.remote_exec: %s", argv[0], (int)pid,
				    msg);
		} else {
			cli_error("sys.remote_exec not used: %s; using GDB", msg);
		}
	}
	pyx_snapshot_destroy(snap);
	if (!done) {
		char before = st.state;
		int r = via_gdb(pid, &o, stub, deadline, msg, sizeof msg, &armed);
		wait_detached(pid, before);
		if (r != INJECT_OK)
			return fail("cannot %s pid %d: %s", argv[0], (int)pid, msg);
		how = "GDB (a call at a safe point)";
	}
	if (o.disarm) {
		printf("pyxray: disarmed pid %d through %s\n", (int)pid, how);
		return 0;
	}
	signal_list(armed, list, sizeof list);
	printf("pyxray: armed pid %d through %s: %s dump to %s/pyxray-%d.txt\n", (int)pid, how,
	       list, o.dir, (int)pid);
	return 0;
}
