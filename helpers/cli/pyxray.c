/* SPDX-License-Identifier: MIT */
/* The pyxray command: `pyxray dump PID` prints every thread's Python stack
 * of a live process, `pyxray core CORE...` those of core files, as text or
 * JSON; `pyxray arm PID` (arm.c) loads the stub into a process. A thin front
 * end over the snapshot model; errors are one line on stderr and a non-zero
 * exit. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pyxray/pyxray.h>

#include "args.h"
#include "options.h"
#include "arm.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* A report command's own options, then the shared ones. */
enum { MAX_OPTIONS = 64 };

static const char usage_text[] =
	"Usage: pyxray dump [--json] [--nonblocking] [--locals] [--group | --no-group]\n"
	"                   [--children] [--depth N] [--max-frames N] [--addrs]\n"
	"                   [--no-source] [--color=WHEN] [--short-paths] [--tasks]\n"
	"                   [--native | --native-all] [--debug-dir DIRS]\n"
	"                   [--stop-timeout MS] [--max-memory MB] PID\n"
	"       pyxray ps [--json] [--depth N] PID\n"
	"       pyxray core [--json] [--locals] [--exe PATH] [--sysroot DIR] [--force]\n"
	"                   [--group | --no-group] [--max-frames N] [--addrs]\n"
	"                   [--no-source] [--color=WHEN] [--short-paths] [--tasks]\n"
	"                   [--native | --native-all] [--debug-dir DIRS]\n"
	"                   [--max-memory MB] CORE...\n"
	PYX_CLI_ARM_USAGE
	"       pyxray --help | --version\n"
	"\n"
	"Show the Python stack of every thread of every interpreter of a live\n"
	"CPython process (3.6 to 3.15), or of a core file, no debug symbols needed.\n"
	"\n"
	"Commands:\n"
	"  dump PID          print the Python stacks of process PID\n"
	"  ps PID            list PID and its descendants: Python version, state,\n"
	"                    threads, sub-interpreters, GIL holder (read without\n"
	"                    stopping them)\n"
	"  core CORE...      print the Python stacks from core files (kernel cores,\n"
	"                    gcore, zstd/lz4/xz compressed as systemd-coredump keeps\n"
	"                    them): the crash first; several cores (a pool's) as one\n"
	"                    tree, identical processes grouped\n"
	PYX_CLI_ARM_HELP
	"\n"
	"Options for dump:\n"
	"  --json            print one JSON document (see docs/json.md)\n"
	"  --nonblocking     read without stopping the process (stacks may be\n"
	"                    inconsistent if it is running)\n"
	"  --locals          show each frame's local variables (bounded reprs)\n"
	"  --group           print threads (and processes) with identical stacks once;\n"
	"                    on by default with --children\n"
	"  --no-group        print every thread, process and task on its own, and\n"
	"                    repeated frames one by one\n"
	"  --children        every descendant process too (multiprocessing pools,\n"
	"                    subprocesses), each stopped only while it is read\n"
	"  --depth N         with --children or ps: at most N levels below PID\n"
	"  --max-frames N    keep at most N frames per thread, the innermost and the\n"
	"                    outermost halves of a deeper stack (default 4096)\n"
	"  --addrs           show frame and code object addresses (text)\n"
	"  --no-source       no source line under each frame (text)\n"
	"  --color=WHEN      colour the text: auto (on a terminal, unless NO_COLOR is\n"
	"                    set; the default), always or never\n"
	"  --short-paths     file names relative to the current folder or to\n"
	"                    site-packages (text)\n"
	"  --tasks           asyncio tasks too (3.8+): each task's coroutine stack,\n"
	"                    grouped when identical, and the tree of who awaits whom\n"
	"  --native          native (C) frames too, in call order with the Python\n"
	"                    frames: each interpreter frame gives its place to the\n"
	"                    Python frames it runs; threads without Python are\n"
	"                    listed with their native stacks\n"
	"  --native-all      like --native, keeping the interpreter's own frames\n"
	"                    (its evaluation loop and call machinery)\n"
	"  --debug-dir DIRS  folders with separate debug files, colon-separated\n"
	"                    (default /usr/lib/debug; '' for none)\n"
	"  --stop-timeout MS give up stopping a thread after MS milliseconds\n"
	"                    (default 300); threads that did not stop are named and\n"
	"                    the stacks marked as possibly inconsistent\n"
	"  --max-memory MB   hold at most MB MiB of stacks (default 1024); a process\n"
	"                    past it is cut, and said so (docs/limits.md)\n"
	"  -h, --help        show this help\n"
	"\n"
	"Options for core (and --json, --locals, --group, --no-group, --max-frames,\n"
	"--max-memory, --addrs, --no-source, --color, --short-paths, --tasks,\n"
	"--native, --native-all, --debug-dir as for dump):\n"
	"  --exe PATH        the executable that made the core, when it is not where\n"
	"                    the core says (moved, or copied from another machine)\n"
	"  --sysroot DIR     open every file the core names under DIR (a copy of the\n"
	"                    crashed machine's files)\n"
	"  --force           read files whose build-id differs from the core's\n"
	"\n"
	"Options may come before or after PID (or CORE); '--' ends them.\n"
	"\n"
	"Exit status: 0 on success, 1 when the process (or a core) cannot be read,\n"
	"2 on bad usage.\n"
	"On SIGINT or SIGTERM every stopped thread is resumed before pyxray exits.\n";

/* SIGINT/SIGTERM: the library resumes every thread it stopped, then we die
 * of the same signal. */
static volatile int cancel_flag;
static volatile sig_atomic_t cancel_signal;

static void on_cancel(int sig)
{
	cancel_signal = sig;
	cancel_flag = 1;
}

static void catch_cancel_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_cancel;
	sa.sa_flags = SA_RESTART; /* the report's writes go on; the library polls */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* After a cancel: die of the signal, as the shell expects. */
static void die_of_cancel_signal(void)
{
	int sig = cancel_signal ? cancel_signal : SIGINT;
	signal(sig, SIG_DFL);
	raise(sig);
	exit(128 + sig);
}

enum report { REPORT_TEXT, REPORT_JSON, REPORT_PS };

/* Takes the snapshot and prints it; the command's exit status. */
static int take_and_print(pid_t pid, const struct pyx_snapshot_opts *sopts, int ps,
			  enum report report, unsigned fmt_flags)
{
	struct pyx_error err;
	struct pyx_snapshot *snap = NULL;
	pyx_error_clear(&err);
	if (pyx_snapshot_take_pid(pid, sopts, &snap, &err) < 0) {
		if (cancel_flag)
			die_of_cancel_signal();
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	if (cancel_flag) {
		pyx_snapshot_destroy(snap);
		die_of_cancel_signal();
	}
	/* A tree where no process could be read, PID first: PID's error is the
	 * answer, for dump; ps lists what /proc still says. */
	size_t unread = 0;
	for (size_t i = 0; i < snap->nprocs; i++)
		unread += snap->procs[i].error != 0;
	if (!ps && unread == snap->nprocs) {
		cli_error("%s", snap->procs[0].error_msg);
		pyx_snapshot_destroy(snap);
		return EXIT_RUNTIME;
	}
	struct pyx_format_opts fopts = {
		.flags = fmt_flags,
		.only_tid = -1,
		.frames_hint = "--max-frames N",
	};
	int rc = pyx_format_file(snap,
				 report == REPORT_JSON ? PYX_REPORT_JSON
				 : report == REPORT_PS ? PYX_REPORT_PS
						       : PYX_REPORT_TEXT,
				 &fopts, stdout, &err);
	/* The table marks processes we may not read; why, once. */
	size_t denied = 0, first = 0;
	for (size_t i = 0; i < snap->nprocs; i++)
		if (snap->procs[i].error == PYX_E_PERM && !denied++)
			first = i;
	if (ps && denied)
		cli_error("%zu of %zu processes not readable: %s", denied, snap->nprocs,
			  snap->procs[first].error_msg);
	pyx_snapshot_destroy(snap);
	if (rc < 0) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* `dump` and `ps`: ps takes a subset (it always covers the tree and never
 * stops a process). */
static int cmd_report(const char *cmd, int argc, char **argv)
{
	static const struct option dump_own[] = {
		{"nonblocking", no_argument, NULL, 'n'},
		{"children", no_argument, NULL, 'c'},
		{"depth", required_argument, NULL, 'd'},
		{"stop-timeout", required_argument, NULL, 's'},
		{0, 0, 0, 0},
	};
	static const struct option ps_opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"depth", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct option dump_opts[MAX_OPTIONS];
	int ps = !strcmp(cmd, "ps");
	int c, rc;
	long v;
	struct report_args ra;
	report_args_init(&ra);
	ra.sopts.cancel = &cancel_flag;
	if (ps)
		ra.sopts.flags = PYX_SNAP_CHILDREN | PYX_SNAP_NONBLOCKING;
	/* GNU order: options anywhere ("dump PID --json"), "--" ends them. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h",
				ps ? ps_opts : report_options(dump_own, dump_opts, MAX_OPTIONS),
				NULL)) != -1) {
		switch (c) {
		case 'n':
			ra.sopts.flags |= PYX_SNAP_NONBLOCKING;
			continue;
		case 'c':
			ra.sopts.flags |= PYX_SNAP_CHILDREN;
			continue;
		case 'd':
			if ((v = number_arg("--depth", optarg, 1, 1000)) < 0)
				return EXIT_USAGE;
			ra.sopts.max_depth = (int)v;
			continue;
		case 's':
			if ((v = number_arg("--stop-timeout", optarg, 1, 60000)) < 0)
				return EXIT_USAGE;
			ra.sopts.stop_timeout_ms = (unsigned)v;
			continue;
		}
		if ((rc = report_option(&ra, c, optarg)) == 0)
			continue;
		if (rc != 1)
			return rc;
		return option_end(c, argv, cmd, usage_text);
	}
	pid_t pid = 0;
	if ((rc = pid_operand(cmd, argc, argv, &pid)) != 0)
		return rc;
	if (ra.sopts.max_depth && !(ra.sopts.flags & PYX_SNAP_CHILDREN))
		return usage_error("--depth goes with --children");
	if ((ra.sopts.flags & PYX_SNAP_NATIVE) && (ra.sopts.flags & PYX_SNAP_NONBLOCKING))
		return usage_error("--native reads each thread's registers, which needs the "
				   "process stopped: drop --nonblocking");
	if ((rc = report_args_check(&ra)) != 0)
		return rc;
	unsigned fmt_flags = report_format_flags(&ra, !!(ra.sopts.flags & PYX_SNAP_CHILDREN));
	enum report report = ra.json ? REPORT_JSON : ps ? REPORT_PS : REPORT_TEXT;
	catch_cancel_signals();
	return take_and_print(pid, &ra.sopts, ps, report, ps ? 0 : fmt_flags);
}

/* The index of the first of paths[0..i) that is the same file as paths[i]
 * (same device and inode: one core named twice, or by two names); i when
 * none is, or when paths[i] cannot be read (opening it says why). */
static size_t same_file_before(char **paths, size_t i)
{
	struct stat a, b;
	if (stat(paths[i], &a) < 0)
		return i;
	for (size_t j = 0; j < i; j++)
		if (stat(paths[j], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return j;
	return i;
}

/* `core CORE...`: the cores are opened one by one (a file that is not a
 * core is reported and the others go on), then read as one snapshot: a
 * pool's cores become one tree. */
static int cmd_core(int argc, char **argv)
{
	static const struct option own[] = {
		{"exe", required_argument, NULL, 'e'},
		{"sysroot", required_argument, NULL, 'r'},
		{"force", no_argument, NULL, 'f'},
		{0, 0, 0, 0},
	};
	struct option opts[MAX_OPTIONS];
	struct pyx_core_opts copts = {0};
	struct report_args ra;
	int c, rc, failed = 0;
	report_args_init(&ra);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", report_options(own, opts, MAX_OPTIONS), NULL)) !=
	       -1) {
		switch (c) {
		case 'e':
			copts.exe = optarg;
			continue;
		case 'r':
			copts.sysroot = optarg;
			continue;
		case 'f':
			copts.force = 1;
			continue;
		}
		if ((rc = report_option(&ra, c, optarg)) == 0)
			continue;
		if (rc != 1)
			return rc;
		return option_end(c, argv, "core", usage_text);
	}
	if (optind >= argc)
		return usage_error("core needs a core file");
	if ((rc = report_args_check(&ra)) != 0)
		return rc;
	size_t n = (size_t)(argc - optind), opened = 0;
	struct pyx_target **targets = calloc(n, sizeof *targets);
	if (!targets) {
		fputs("pyxray: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	struct pyx_error err;
	for (size_t i = 0; i < n; i++) {
		const char *path = argv[optind + (int)i];
		size_t same = same_file_before(argv + optind, i);
		if (same < i) {
			cli_error("note: %s is %s again: read once", path, argv[optind + (int)same]);
			continue;
		}
		pyx_error_clear(&err);
		if (pyx_target_open_core(path, &copts, &targets[opened], &err) < 0) {
			cli_error("%s", err.msg);
			failed = 1;
			continue;
		}
		opened++;
	}
	if (!opened) {
		free(targets);
		return EXIT_RUNTIME;
	}
	struct pyx_snapshot *snap = NULL;
	pyx_error_clear(&err);
	rc = pyx_snapshot_take(targets, opened, &ra.sopts, &snap, &err);
	free(targets);
	if (rc < 0) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < snap->nprocs; i++)
		failed |= snap->procs[i].error != 0;
	struct pyx_format_opts fopts = {
		.flags = report_format_flags(&ra, snap->nprocs > 1),
		.only_tid = -1,
		.frames_hint = "--max-frames N",
	};
	rc = pyx_format_file(snap, ra.json ? PYX_REPORT_JSON : PYX_REPORT_TEXT, &fopts, stdout,
			     &err);
	pyx_snapshot_destroy(snap);
	if (rc < 0) {
		cli_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	return failed ? EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	/* A tree is read one process after the other, each with its own page
	 * cache: glibc would give that memory back to the kernel between two
	 * processes and fault it in again for the next (a sixth of the CPU time
	 * of dump --children on a 33-process pool, bench/README.md). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	if (argc < 2)
		return usage_error("missing command");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("pyxray %s\n", pyx_version());
		return 0;
	}
	if (!strcmp(cmd, "dump") || !strcmp(cmd, "ps"))
		return cmd_report(cmd, argc - 1, argv + 1);
	if (!strcmp(cmd, "core"))
		return cmd_core(argc - 1, argv + 1);
	if (!strcmp(cmd, "arm") || !strcmp(cmd, "disarm"))
		return pyx_cli_arm(argc - 1, argv + 1);
	char q[128];
	return usage_error("unknown command '%s'", cli_quote(cmd, q, sizeof q));
}
