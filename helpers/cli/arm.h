/* SPDX-License-Identifier: MIT */
/* `pyxray arm` and `pyxray disarm` (arm.c): loading the stub into a running
 * process. Kept apart from the other commands' option parsing. */
#ifndef PYX_CLI_ARM_H
#define PYX_CLI_ARM_H

/* Usage lines and option help for pyxray --help (string literals). */
#define PYX_CLI_ARM_USAGE \
	"       pyxray arm [--on SPEC] [--dir DIR] [--format text|json]\n" \
	"                  [--via auto|gdb|remote-exec] [--timeout SECONDS] PID\n" \
	"       pyxray disarm [--via auto|gdb|remote-exec] [--timeout SECONDS] PID\n"

#define PYX_CLI_ARM_HELP \
	"  arm PID           load pyxray's stub into PID: from then on it writes its\n" \
	"                    threads' Python stacks to DIR/pyxray-PID.txt on a signal\n" \
	"                    or a crash, without a debugger (docs/stub.md)\n" \
	"  disarm PID        give the stub's signals back to their earlier handlers\n" \
	"\n" \
	"Options for arm and disarm:\n" \
	"  --on SPEC         signals that dump: a comma list of usr1, usr2, rtmin+N,\n" \
	"                    other signal names, and crash (SIGSEGV, SIGBUS, SIGILL,\n" \
	"                    SIGFPE, SIGABRT); default usr2,crash\n" \
	"  --dir DIR         where dumps go (default: the current directory); the\n" \
	"                    process must be able to write there\n" \
	"  --format json     also write DIR/pyxray-PID.json (pyxray dump --json's schema)\n" \
	"  --via HOW         remote-exec: sys.remote_exec (CPython 3.14+, PEP 768);\n" \
	"                    gdb: a call made by GDB at a safe point; auto (default):\n" \
	"                    remote-exec on 3.14+, else gdb\n" \
	"  --timeout SECONDS give up after this long (default 30)\n"

/* The command's exit status: 0, 1 (cannot arm), 2 (bad usage). argv[0] is
 * "arm" or "disarm". */
int pyx_cli_arm(int argc, char **argv);

#endif
