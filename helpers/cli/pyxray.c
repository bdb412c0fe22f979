/* SPDX-License-Identifier: MIT */
/* The pyxray command: `pyxray dump PID` prints every thread's Python stack
 * of a live process, `pyxray core CORE...` those of core files, as text or
 * JSON. A thin front end over the snapshot model; errors are one line on
 * stderr and a non-zero exit. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pyxray/pyxray.h>

#include "args.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
	"Usage: pyxray dump [--json] [--nonblocking] [--locals] [--group | --no-group]\n"
	"                   [--children] [--depth N] [--max-frames N] [--addrs]\n"
	"                   [--no-source] [--color=WHEN] [--short-paths] [--tasks]\n"
	"                   [--stop-timeout MS] PID\n"
	"       pyxray ps [--json] [--depth N] PID\n"
	"       pyxray core [--json] [--locals] [--exe PATH] [--sysroot DIR] [--force]\n"
	"                   [--group | --no-group] [--max-frames N] [--addrs]\n"
	"                   [--no-source] [--color=WHEN] [--short-paths] [--tasks] CORE...\n"
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
	"  --stop-timeout MS give up stopping a thread after MS milliseconds\n"
	"                    (default 300); threads that did not stop are named and\n"
	"                    the stacks marked as possibly inconsistent\n"
	"  -h, --help        show this help\n"
	"\n"
	"Options for core (and --json, --locals, --group, --no-group, --max-frames,\n"
	"--addrs, --no-source, --color, --short-paths, --tasks as for dump):\n"
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

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pyxray: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see 'pyxray --help')\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

/* A number option in lo..hi; -1 (after printing the usage error) otherwise. */
static long number_arg(const char *option, const char *arg, long lo, long hi)
{
	long v;
	char q[128];
	if (cli_parse_number(arg, lo, hi, &v) < 0) {
		usage_error("%s takes a number from %ld to %ld, not '%s'", option, lo, hi,
			    cli_quote(arg, q, sizeof q));
		return -1;
	}
	return v;
}

/* The one PID operand of a command, after the options (getopt moved the
 * operands to the end); 0 or the usage exit status. */
static int pid_operand(const char *cmd, int argc, char **argv, pid_t *pid)
{
	char q[128];
	if (optind >= argc)
		return usage_error("%s needs a process id", cmd);
	if (optind + 1 < argc)
		return usage_error("%s takes one process id, got extra '%s'", cmd,
				   cli_quote(argv[optind + 1], q, sizeof q));
	if (cli_parse_pid(argv[optind], pid) < 0)
		return usage_error("'%s' is not a process id (a decimal number such as 4242)",
				   cli_quote(argv[optind], q, sizeof q));
	return 0;
}

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
		fprintf(stderr, "pyxray: %s\n", err.msg);
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
		fprintf(stderr, "pyxray: %s\n", snap->procs[0].error_msg);
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
		fprintf(stderr, "pyxray: %zu of %zu processes not readable: %s\n", denied,
			snap->nprocs, snap->procs[first].error_msg);
	pyx_snapshot_destroy(snap);
	if (rc < 0) {
		fprintf(stderr, "pyxray: %s\n", err.msg);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* `dump` and `ps`: one option parser, ps taking a subset (it always covers
 * the tree and never stops a process). */
static int cmd_report(const char *cmd, int argc, char **argv)
{
	static const struct option dump_opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"nonblocking", no_argument, NULL, 'n'},
		{"max-frames", required_argument, NULL, 'm'},
		{"addrs", no_argument, NULL, 'a'},
		{"locals", no_argument, NULL, 'l'},
		{"group", no_argument, NULL, 'g'},
		{"no-group", no_argument, NULL, 'G'},
		{"children", no_argument, NULL, 'c'},
		{"depth", required_argument, NULL, 'd'},
		{"no-source", no_argument, NULL, 'S'},
		{"color", required_argument, NULL, 'C'},
		{"colour", required_argument, NULL, 'C'},
		{"short-paths", no_argument, NULL, 'P'},
		{"tasks", no_argument, NULL, 't'},
		{"stop-timeout", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	static const struct option ps_opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"depth", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int ps = !strcmp(cmd, "ps");
	int json = 0, c, group = -1, rc, source = 1, color = -1;
	long depth, frames, timeout;
	unsigned fmt_flags = 0;
	struct pyx_snapshot_opts sopts = {.cancel = &cancel_flag};
	if (ps)
		sopts.flags = PYX_SNAP_CHILDREN | PYX_SNAP_NONBLOCKING;
	char q[128];
	/* GNU order: options anywhere ("dump PID --json"), "--" ends them. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", ps ? ps_opts : dump_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			sopts.flags |= PYX_SNAP_NONBLOCKING;
			break;
		case 'a':
			fmt_flags |= PYX_FMT_ADDRS;
			break;
		case 'l':
			sopts.flags |= PYX_SNAP_LOCALS;
			fmt_flags |= PYX_FMT_LOCALS;
			break;
		case 'g':
			group = 1;
			break;
		case 'G':
			group = 0;
			fmt_flags |= PYX_FMT_NO_FOLD; /* tasks, and repeated frames, one by one */
			break;
		case 'c':
			sopts.flags |= PYX_SNAP_CHILDREN;
			break;
		case 'd':
			if ((depth = number_arg("--depth", optarg, 1, 1000)) < 0)
				return EXIT_USAGE;
			sopts.max_depth = (int)depth;
			break;
		case 'm':
			if ((frames = number_arg("--max-frames", optarg, 1, 1000000)) < 0)
				return EXIT_USAGE;
			sopts.max_frames = (size_t)frames;
			break;
		case 'S':
			source = 0;
			break;
		case 'C':
			if (!strcmp(optarg, "auto"))
				color = -1;
			else if (!strcmp(optarg, "always"))
				color = 1;
			else if (!strcmp(optarg, "never"))
				color = 0;
			else
				return usage_error("--color takes auto, always or never, not '%s'",
						   optarg);
			break;
		case 'P':
			fmt_flags |= PYX_FMT_SHORT_PATHS;
			break;
		case 't':
			sopts.flags |= PYX_SNAP_TASKS;
			fmt_flags |= PYX_FMT_TASKS;
			break;
		case 's':
			if ((timeout = number_arg("--stop-timeout", optarg, 1, 60000)) < 0)
				return EXIT_USAGE;
			sopts.stop_timeout_ms = (unsigned)timeout;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value",
					   cli_quote(argv[optind - 1], q, sizeof q));
		default:
			if (optopt && optopt != '?')
				return usage_error("unknown option '-%c' for %s", optopt, cmd);
			return usage_error("unknown option '%s' for %s",
					   cli_quote(argv[optind - 1], q, sizeof q), cmd);
		}
	}
	pid_t pid = 0;
	if ((rc = pid_operand(cmd, argc, argv, &pid)) != 0)
		return rc;
	if (sopts.max_depth && !(sopts.flags & PYX_SNAP_CHILDREN))
		return usage_error("--depth goes with --children");
	if (group == 1 || (group == -1 && (sopts.flags & PYX_SNAP_CHILDREN)))
		fmt_flags |= PYX_FMT_GROUP;
	if (source)
		fmt_flags |= PYX_FMT_SOURCE;
	if (color < 0) {
		const char *no = getenv("NO_COLOR");
		color = isatty(STDOUT_FILENO) && !(no && *no);
	}
	if (color)
		fmt_flags |= PYX_FMT_COLOR;
	enum report report = json ? REPORT_JSON : ps ? REPORT_PS : REPORT_TEXT;
	catch_cancel_signals();
	return take_and_print(pid, &sopts, ps, report, ps ? 0 : fmt_flags);
}

/* --color=WHEN: 1 always, 0 never, -1 auto; -2 (after the usage error)
 * for anything else. */
static int color_arg(const char *arg)
{
	if (!strcmp(arg, "auto"))
		return -1;
	if (!strcmp(arg, "always"))
		return 1;
	if (!strcmp(arg, "never"))
		return 0;
	usage_error("--color takes auto, always or never, not '%s'", arg);
	return -2;
}

/* `core CORE...`: the cores are opened one by one (a file that is not a
 * core is reported and the others go on), then read as one snapshot: a
 * pool's cores become one tree. */
static int cmd_core(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"locals", no_argument, NULL, 'l'},
		{"exe", required_argument, NULL, 'e'},
		{"sysroot", required_argument, NULL, 'r'},
		{"force", no_argument, NULL, 'f'},
		{"group", no_argument, NULL, 'g'},
		{"no-group", no_argument, NULL, 'G'},
		{"max-frames", required_argument, NULL, 'm'},
		{"addrs", no_argument, NULL, 'a'},
		{"no-source", no_argument, NULL, 'S'},
		{"color", required_argument, NULL, 'C'},
		{"colour", required_argument, NULL, 'C'},
		{"short-paths", no_argument, NULL, 'P'},
		{"tasks", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct pyx_core_opts copts = {0};
	struct pyx_snapshot_opts sopts = {0};
	unsigned fmt_flags = 0;
	int json = 0, group = -1, source = 1, color = -1, c, failed = 0;
	long frames;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'l':
			sopts.flags |= PYX_SNAP_LOCALS;
			fmt_flags |= PYX_FMT_LOCALS;
			break;
		case 'e':
			copts.exe = optarg;
			break;
		case 'r':
			copts.sysroot = optarg;
			break;
		case 'f':
			copts.force = 1;
			break;
		case 'g':
		case 'G':
			group = c == 'g';
			break;
		case 'm':
			if ((frames = number_arg("--max-frames", optarg, 1, 1000000)) < 0)
				return EXIT_USAGE;
			sopts.max_frames = (size_t)frames;
			break;
		case 'a':
			fmt_flags |= PYX_FMT_ADDRS;
			break;
		case 'S':
			source = 0;
			break;
		case 'C':
			if ((color = color_arg(optarg)) == -2)
				return EXIT_USAGE;
			break;
		case 'P':
			fmt_flags |= PYX_FMT_SHORT_PATHS;
			break;
		case 't':
			sopts.flags |= PYX_SNAP_TASKS;
			fmt_flags |= PYX_FMT_TASKS;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			if (optopt && strchr("emrC", optopt))
				return usage_error("%s needs a value", argv[optind - 1]);
			return usage_error("unknown option '%s' for core", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("core needs a core file");
	size_t n = (size_t)(argc - optind), opened = 0;
	struct pyx_target **targets = calloc(n, sizeof *targets);
	if (!targets) {
		fputs("pyxray: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	struct pyx_error err;
	for (size_t i = 0; i < n; i++) {
		pyx_error_clear(&err);
		if (pyx_target_open_core(argv[optind + (int)i], &copts, &targets[opened], &err) < 0) {
			fprintf(stderr, "pyxray: %s\n", err.msg);
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
	int rc = pyx_snapshot_take(targets, opened, &sopts, &snap, &err);
	free(targets);
	if (rc < 0) {
		fprintf(stderr, "pyxray: %s\n", err.msg);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < snap->nprocs; i++)
		failed |= snap->procs[i].error != 0;
	if (group == 1 || (group == -1 && snap->nprocs > 1))
		fmt_flags |= PYX_FMT_GROUP;
	if (source)
		fmt_flags |= PYX_FMT_SOURCE;
	if (color < 0) {
		const char *no = getenv("NO_COLOR");
		color = isatty(STDOUT_FILENO) && !(no && *no);
	}
	if (color)
		fmt_flags |= PYX_FMT_COLOR;
	struct pyx_format_opts fopts = {
		.flags = fmt_flags,
		.only_tid = -1,
		.frames_hint = "--max-frames N",
	};
	rc = pyx_format_file(snap, json ? PYX_REPORT_JSON : PYX_REPORT_TEXT, &fopts, stdout, &err);
	pyx_snapshot_destroy(snap);
	if (rc < 0) {
		fprintf(stderr, "pyxray: %s\n", err.msg);
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
	char q[128];
	return usage_error("unknown command '%s'", cli_quote(cmd, q, sizeof q));
}
