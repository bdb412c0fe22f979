/* SPDX-License-Identifier: MIT */
/* Options shared by the report commands (options.h), and the error lines
 * every command prints. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pyxray/pyxray.h>

#include "args.h"
#include "options.h"

const struct option report_long_options[] = {
	{"json", no_argument, NULL, 'j'},
	{"locals", no_argument, NULL, 'l'},
	{"tasks", no_argument, NULL, 't'},
	{"group", no_argument, NULL, 'g'},
	{"no-group", no_argument, NULL, 'G'},
	{"max-frames", required_argument, NULL, 'm'},
	{"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	{"addrs", no_argument, NULL, 'a'},
	{"no-source", no_argument, NULL, 'S'},
	{"color", required_argument, NULL, 'C'},
	{"colour", required_argument, NULL, 'C'},
	{"short-paths", no_argument, NULL, 'P'},
	{"native", no_argument, NULL, OPT_NATIVE},
	{"native-all", no_argument, NULL, OPT_NATIVE_ALL},
	{"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
	{"help", no_argument, NULL, 'h'},
	{0, 0, 0, 0},
};

struct option *report_options(const struct option *own, struct option *out, size_t cap)
{
	size_t n = 0;
	for (const struct option *o = own; o->name && n + 1 < cap; o++)
		out[n++] = *o;
	for (const struct option *o = report_long_options; o->name && n + 1 < cap; o++)
		out[n++] = *o;
	memset(&out[n], 0, sizeof out[n]);
	return out;
}

void cli_vsay(const char *tail, const char *fmt, va_list ap)
{
	char msg[1024];
	char *escaped = NULL;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (pyx_format_escaped(msg, &escaped, NULL) < 0)
		escaped = NULL;
	fprintf(stderr, "pyxray: %s%s\n", escaped ? escaped : "out of memory", tail);
	pyx_free(escaped);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vsay("", fmt, ap);
	va_end(ap);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vsay(" (see 'pyxray --help')", fmt, ap);
	va_end(ap);
	return 2;
}

long number_arg(const char *option, const char *arg, long lo, long hi)
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
int pid_operand(const char *cmd, int argc, char **argv, pid_t *pid)
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

void report_args_init(struct report_args *ra)
{
	memset(ra, 0, sizeof *ra);
	ra->group = -1;
	ra->source = 1;
	ra->color = -1;
}

int report_option(struct report_args *ra, int c, const char *arg)
{
	long v;
	char q[128];
	switch (c) {
	case 'j':
		ra->json = 1;
		return 0;
	case 'l':
		ra->sopts.flags |= PYX_SNAP_LOCALS;
		ra->fmt_flags |= PYX_FMT_LOCALS;
		return 0;
	case 't':
		ra->sopts.flags |= PYX_SNAP_TASKS;
		ra->fmt_flags |= PYX_FMT_TASKS;
		return 0;
	case 'g':
		ra->group = 1;
		return 0;
	case 'G':
		ra->group = 0;
		ra->fmt_flags |= PYX_FMT_NO_FOLD; /* tasks, and repeated frames, one by one */
		return 0;
	case 'm':
		if ((v = number_arg("--max-frames", arg, 1, 1000000)) < 0)
			return 2;
		ra->sopts.max_frames = (size_t)v;
		return 0;
	case OPT_MAX_MEMORY:
		if ((v = number_arg("--max-memory", arg, 16, 1 << 20)) < 0)
			return 2;
		ra->sopts.max_memory = (size_t)v << 20;
		return 0;
	case 'a':
		ra->fmt_flags |= PYX_FMT_ADDRS;
		return 0;
	case OPT_NATIVE:
		ra->sopts.flags |= PYX_SNAP_NATIVE;
		return 0;
	case OPT_NATIVE_ALL:
		ra->sopts.flags |= PYX_SNAP_NATIVE | PYX_SNAP_NATIVE_ALL;
		return 0;
	case OPT_DEBUG_DIR:
		ra->sopts.debug_dirs = arg;
		return 0;
	case 'S':
		ra->source = 0;
		return 0;
	case 'P':
		ra->fmt_flags |= PYX_FMT_SHORT_PATHS;
		return 0;
	case 'C':
		if (!strcmp(arg, "auto"))
			ra->color = -1;
		else if (!strcmp(arg, "always"))
			ra->color = 1;
		else if (!strcmp(arg, "never"))
			ra->color = 0;
		else
			return usage_error("--color takes auto, always or never, not '%s'",
					   cli_quote(arg, q, sizeof q));
		return 0;
	}
	return 1;
}

int option_end(int c, char **argv, const char *cmd, const char *usage)
{
	char q[128];
	if (c == 'h') {
		fputs(usage, stdout);
		return 0;
	}
	if (c == ':')
		return usage_error("option '%s' needs a value",
				   cli_quote(argv[optind - 1], q, sizeof q));
	if (optopt && optopt != '?')
		return usage_error("unknown option '-%c' for %s", optopt, cmd);
	return usage_error("unknown option '%s' for %s", cli_quote(argv[optind - 1], q, sizeof q),
			   cmd);
}

int report_args_check(const struct report_args *ra)
{
	if (ra->sopts.debug_dirs && !(ra->sopts.flags & PYX_SNAP_NATIVE))
		return usage_error("--debug-dir goes with --native");
	return 0;
}

unsigned report_format_flags(const struct report_args *ra, int group_default)
{
	unsigned flags = ra->fmt_flags;
	if (ra->group == 1 || (ra->group == -1 && group_default))
		flags |= PYX_FMT_GROUP;
	if (ra->source)
		flags |= PYX_FMT_SOURCE;
	int color = ra->color;
	if (color < 0) {
		const char *no = getenv("NO_COLOR");
		color = isatty(STDOUT_FILENO) && !(no && *no);
	}
	if (color)
		flags |= PYX_FMT_COLOR;
	return flags;
}
