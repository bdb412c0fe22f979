/* SPDX-License-Identifier: MIT */
/* The front-end formatters (frontend.h) on a snapshot built by hand: source
 * listings of hostile and odd files, one frame's line, the process summary,
 * the ps table with a host column, and one OS thread's stacks across
 * interpreters in call order. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pyxray/frontend.h>

#include "tap.h"

static char dir[] = "/tmp/pyxray-test-frontend-XXXXXX";

static char *path_in_dir(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	fwrite(text, 1, len, f);
	fclose(f);
}

static void test_source(void)
{
	struct pyx_error err;
	char *out = NULL;
	const char *src = "one\n\ttwo\nthree \x1b[31mred\a\r\nfour";
	char *file = path_in_dir("a.py");
	write_file(file, src, strlen(src));
	is_int(pyx_format_source(file, 1, 10, 3, &out, &err), 0, "listing of a small file");
	is_str(out, "   1    one\n   2            two\n  >3    three \\x1b[31mred\\x07\n   4    four\n",
	       "tabs expanded, ESC and BEL escaped, CR LF ends a line, the last line has no newline");
	free(out);
	is_int(pyx_format_source(file, 2, 2, 0, &out, &err), 0, "one line");
	is_str(out, "   2            two\n", "only line 2, unmarked");
	free(out);
	is_int(pyx_format_source(file, 9, 12, 0, &out, &err), 0, "past the end");
	is_str(out, "", "nothing past the end");
	free(out);
	is_int(pyx_format_source(file, 0, 3, 0, &out, &err), -PYX_E_INVALID, "line 0 refused");
	is_int(pyx_format_source(file, 5, 3, 0, &out, &err), -PYX_E_INVALID, "reversed range");

	char *longf = path_in_dir("long.py");
	char *text = malloc(2000);
	memset(text, 'x', 1999);
	text[1999] = '\n';
	write_file(longf, text, 2000);
	free(text);
	is_int(pyx_format_source(longf, 1, 1, 0, &out, &err), 0, "a long line");
	ok(out && strlen(out) == 8 + PYX_SOURCE_LINE_MAX + 4 && !strcmp(out + strlen(out) - 4, "...\n"),
	   "cut at PYX_SOURCE_LINE_MAX bytes and marked");
	free(out);

	char *many = path_in_dir("many.py");
	FILE *f = fopen(many, "w");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%d\n", i);
	fclose(f);
	is_int(pyx_format_source(many, 1, 1000000, 0, &out, &err), 0, "a huge range");
	size_t lines = 0;
	for (const char *p = out; p && *p; p++)
		lines += *p == '\n';
	is_int(lines, PYX_SOURCE_LINES_MAX, "a listing stops at PYX_SOURCE_LINES_MAX lines");
	free(out);

	char *fifo = path_in_dir("fifo.py");
	mkfifo(fifo, 0600);
	is_int(pyx_format_source(fifo, 1, 2, 0, &out, &err), -PYX_E_NOT_FOUND,
	       "a FIFO is refused without blocking");
	is_int(pyx_format_source(dir, 1, 2, 0, &out, &err), -PYX_E_NOT_FOUND, "a directory too");
	/* ESC, a C1 control (U+009B), a bidi override and an isolate. */
	char *evil = path_in_dir("nope\x1b[2J\xc2\x9b\xe2\x80\xae\xe2\x81\xa6.py");
	is_int(pyx_format_source(evil, 1, 2, 0, &out, &err), -PYX_E_NOT_FOUND, "missing file");
	ok(!strchr(err.msg, 0x1b) && !strstr(err.msg, "\xc2\x9b") && !strstr(err.msg, "\xe2\x80\xae") &&
	       !strstr(err.msg, "\xe2\x81\xa6") &&
	       strstr(err.msg, "nope\\x1b[2J\\u{009b}\\u{202e}\\u{2066}.py: not a readable regular file"),
	   "the message quotes the name escaped as every target string is: %s", err.msg);
	char ctl[160];
	memset(ctl, 0x1b, sizeof ctl - 1);
	ctl[sizeof ctl - 1] = '\0';
	is_int(pyx_format_source(ctl, 1, 2, 0, &out, &err), -PYX_E_NOT_FOUND, "a name of controls");
	ok(strlen(err.msg) < sizeof err.msg - 1 && !strchr(err.msg, 0x1b) &&
	       strstr(err.msg, "\\x1b...: not a readable regular file"),
	   "its escaped form is cut, and says so: %s", err.msg);
	unlink(fifo);
	unlink(many);
	unlink(longf);
}

/* A process with a main interpreter and a sub-interpreter; OS thread 101
 * holds a thread state in both, 102 only in the main one. */
static struct pyx_frame main_frames[] = {
	{.function = "run", .qualname = "Host.run", .file = NULL, .line = 2},
	{.function = "<module>", .qualname = "<module>", .file = NULL, .line = 4, .is_entry = 1},
};
static struct pyx_frame sub_frames[] = {
	{.function = "park", .qualname = "park\x1b]0;x\a", .file = NULL, .line = 1},
};
static struct pyx_frame other_frames[] = {
	{.function = "w", .qualname = "w", .file = "/nonexistent/w.py", .line = 7},
	{.error = PYX_E_FAULT, .error_msg = "reading the frame: fault", .frame_addr = 0x10},
};
static struct pyx_thread main_threads[] = {
	{.tid = 101, .thread_id = 0xa1, .name = "MainThread", .frames = main_frames, .nframes = 2},
	{.tid = 102, .thread_id = 0xa2, .name = "w\x1b", .holds_gil = 1, .frames = other_frames,
	 .nframes = 2},
	{.tid = -1, .thread_id = 0xa3, .name = NULL, .frames = NULL, .nframes = 0},
};
static struct pyx_thread sub_threads[] = {
	{.tid = 101, .thread_id = 0xa1, .frames = sub_frames, .nframes = 1},
};
/* The sub-interpreter first, as CPython's list has the newest at its head. */
static struct pyx_interp interps[] = {
	{.id = 1, .is_main = 0, .threads = sub_threads, .nthreads = 1},
	{.id = 0, .is_main = 1, .threads = main_threads, .nthreads = 3},
};
static const char *argv[] = {"python3", "app.py"};
static struct pyx_process procs[] = {
	{.pid = 42, .ppid = 1, .executable = "/usr/bin/python3\x1b", .state = 'S', .is_python = 1,
	 .argv = argv, .argc = 2, .python_version = "3.12.1", .python_path = "/usr/lib/libpython3.12.so",
	 .interps = interps, .ninterps = 2, .nthreads = 3, .stopped_us = -1},
	{.pid = 43, .ppid = 42, .executable = "/bin/sleep", .state = 'S', .depth = 1,
	 .error = PYX_E_NOT_PYTHON, .error_msg = "pid 43 has no Python interpreter",
	 .stopped_us = -1},
};
static struct pyx_snapshot snap = {.schema_version = 1, .procs = procs, .nprocs = 2};

static void test_frame(void)
{
	struct pyx_error err;
	char *out = NULL;
	char *file = path_in_dir("a.py");
	main_frames[0].file = file;
	main_frames[1].file = file;
	sub_frames[0].file = file;
	is_int(pyx_format_frame(&main_frames[0], 1, PYX_FMT_SOURCE, &out, &err), 0, "frame line");
	char want[512];
	snprintf(want, sizeof want, "#1 Host.run (%s:2)\n    two\n", file);
	is_str(out, want, "number, qualname, file:line, the source line stripped");
	free(out);
	is_int(pyx_format_frame(&sub_frames[0], 0, 0, &out, &err), 0, "without source");
	snprintf(want, sizeof want, "#0 park\\x1b]0;x\\x07 (%s:1)\n", file);
	is_str(out, want, "a hostile qualname is escaped");
	free(out);
	is_int(pyx_format_frame(&other_frames[0], 3, PYX_FMT_SOURCE, &out, &err), 0, "no file");
	is_str(out, "#3 w (/nonexistent/w.py:7)\n", "an unreadable file gives no source line");
	free(out);
	is_int(pyx_format_frame(&other_frames[1], 4, PYX_FMT_SOURCE, &out, &err), 0, "bad frame");
	is_str(out, "#4 ??? (reading the frame: fault)\n", "a frame that failed says why");
	free(out);
}

static void test_summary(void)
{
	struct pyx_error err;
	char *out = NULL;
	is_int(pyx_format_summary(&snap, 0, "Inferior 1 (process 42): ", &out, &err), 0,
	       "summary");
	is_str(out,
	       "Inferior 1 (process 42): /usr/bin/python3\\x1b\n"
	       "  Python 3.12.1 (/usr/lib/libpython3.12.so)\n"
	       "  3 threads; GIL: held by thread 102 \"w\\x1b\"\n"
	       "  interpreter 1: 1 thread\n"
	       "  interpreter 0 (main): 3 threads\n",
	       "version, threads, the GIL holder escaped, interpreters");
	free(out);
	is_int(pyx_format_summary(&snap, 1, "X: ", &out, &err), 0, "summary of a non-Python one");
	is_str(out, "X: /bin/sleep\n  error: pid 43 has no Python interpreter\n", "its error");
	free(out);
	is_int(pyx_format_summary(&snap, 2, "", &out, &err), -PYX_E_INVALID, "bad index");
}

static void test_ps(void)
{
	struct pyx_error err;
	char *out = NULL;
	pid_t pids[] = {43};
	const char *values[] = {"2"};
	struct pyx_ps_column inf = {.title = "INF", .pids = pids, .values = values, .n = 1};
	is_int(pyx_format_ps_string(&snap, "  ", &inf, &out, &err), 0, "ps table");
	ok(out && !strncmp(out, "  PID ", 6) && strstr(out, " GIL   INF  COMMAND\n"),
	   "indented header with the host's column before COMMAND");
	const char *row2 = out ? strstr(out, "\n    43 ") : NULL;
	ok(row2 && strstr(row2, "     2  /bin/sleep") , "the column's value on its pid's row");
	const char *row1 = out ? strstr(out, "\n  42 ") : NULL;
	ok(row1 && strstr(row1, "    -  python3 app.py"), "\"-\" for other pids");
	free(out);
	is_int(pyx_format_ps_string(&snap, NULL, NULL, &out, &err), 0, "plain table");
	ok(out && !strncmp(out, "PID ", 4) && strstr(out, " GIL  COMMAND\n"), "as pyxray ps");
	free(out);
}

static void test_os_thread(void)
{
	struct pyx_error err;
	char *out = NULL;
	is_int(pyx_format_os_thread(&snap, 0, 101, 0, 0, &out, &err), 0, "thread 101");
	const char *first = "{\"tid\": 101, \"pid\": 42, \"python_version\": \"3.12.1\", "
			    "\"python_path\": \"/usr/lib/libpython3.12.so\", \"cwd\": null, "
			    "\"role\": null, \"executable\": \"/usr/bin/python3\\u001b\", "
			    "\"argv\": [\"python3\", \"app.py\"], \"stacks\": [{\"interpreter\": 0, "
			    "\"interpreter_id\": 1, \"main\": false, \"index\": 0, "
			    "\"thread\": {\"tid\": 101,";
	ok(out && !strncmp(out, first, strlen(first)),
	   "the process, then the sub-interpreter's stack first: %.300s", out ? out : "");
	ok(out && strstr(out, "}}, {\"interpreter\": 1, \"interpreter_id\": 0, \"main\": true, "
			      "\"index\": 0, \"thread\": {\"tid\": 101"),
	   "then the main interpreter's");
	ok(out && strstr(out, "\"qualname\": \"park\\u001b]0;x\\u0007\""), "JSON-escaped");
	free(out);
	is_int(pyx_format_os_thread(&snap, 0, 999, 0xa3, 0, &out, &err), 0, "by pthread_t");
	ok(out && strstr(out, "\"main\": true, \"index\": 2,"),
	   "a thread state without LWP matches on thread_id");
	free(out);
	is_int(pyx_format_os_thread(&snap, 0, 7, 0, 0, &out, &err), 0, "no such thread");
	ok(out && strstr(out, "\"stacks\": []}\n"), "no stacks");
	free(out);
	is_int(pyx_format_os_thread(&snap, 5, 7, 0, 0, &out, &err), -PYX_E_INVALID, "bad process");
}

static void test_escaped(void)
{
	struct pyx_error err;
	char *out = NULL;
	is_int(pyx_format_escaped("w\x1b]0;title\a\xff ok", &out, &err), 0, "escaped");
	is_str(out, "w\\x1b]0;title\\x07\\xff ok", "ESC, BEL and an invalid byte escaped");
	free(out);
	is_int(pyx_format_escaped(NULL, &out, &err), 0, "NULL");
	is_str(out, "?", "NULL prints ?");
	free(out);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_source();
	test_frame();
	test_summary();
	test_ps();
	test_os_thread();
	test_escaped();
	unlink(path_in_dir("a.py"));
	rmdir(dir);
	return tap_done();
}
