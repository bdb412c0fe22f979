/* SPDX-License-Identifier: MIT */
/* The options every report command shares (dump and core): what to read
 * (--locals, --tasks, --native, --native-all, --debug-dir, --max-frames,
 * --max-memory) and how to print it
 * (--json, --group, --no-group, --addrs, --no-source, --color, --short-paths),
 * parsed in one place; each command adds its own. */
#ifndef PYX_CLI_OPTIONS_H
#define PYX_CLI_OPTIONS_H

#include <getopt.h>
#include <stdarg.h>

#include <pyxray/pyxray.h>

struct report_args {
	struct pyx_snapshot_opts sopts;
	unsigned fmt_flags;
	int json;
	int group;	/* 1 --group, 0 --no-group, -1 the command's default */
	int source;	/* source lines (not with --no-source) */
	int color;	/* 1 always, 0 never, -1 auto */
};

/* Option codes above the ASCII range, for the long options only. */
enum { OPT_MAX_MEMORY = 0x100, OPT_NATIVE, OPT_NATIVE_ALL, OPT_DEBUG_DIR };

/* The shared options, for getopt_long, ended by a zero entry; the caller's
 * own entries come first in the table it builds with report_options(). */
extern const struct option report_long_options[];

/* Appends the shared options to `own` (ending with a zero entry) in out,
 * which holds room for `cap` entries; returns out. */
struct option *report_options(const struct option *own, struct option *out, size_t cap);

void report_args_init(struct report_args *ra);

/* Handles one shared option: 0 when done, 1 when c is not a shared option,
 * or the usage exit status (2) after printing the error. */
int report_option(struct report_args *ra, int c, const char *arg);

/* Ends the option loop on an option neither the command nor report_option()
 * took: -h/--help prints `usage` and gives 0, a missing value or an unknown
 * option gives the usage exit status after the error naming it. */
int option_end(int c, char **argv, const char *cmd, const char *usage);

/* Checks the shared options together once all are read: 0, or the usage
 * exit status after printing the error. */
int report_args_check(const struct report_args *ra);

/* The format flags once the options are read: grouping (group_default when
 * neither --group nor --no-group was given), source lines, colour (auto:
 * on a terminal unless NO_COLOR is set). */
unsigned report_format_flags(const struct report_args *ra, int group_default);

/* Prints "pyxray: MESSAGE" and tail on stderr, the message escaped by the
 * library's one escaper (a message may quote a path the user typed or a
 * name that came from a target): every error line of the CLI. */
void cli_vsay(const char *tail, const char *fmt, va_list ap);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "pyxray: MESSAGE (see 'pyxray --help')" as cli_error does and
 * returns 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The one PID operand of a command, after its options (getopt moved the
 * operands to the end): 0, or the usage exit status after the error. */
int pid_operand(const char *cmd, int argc, char **argv, pid_t *pid);

/* A number option in lo..hi; -1 (after printing the usage error) otherwise. */
long number_arg(const char *option, const char *arg, long lo, long hi);

#endif
