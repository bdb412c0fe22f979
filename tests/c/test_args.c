/* SPDX-License-Identifier: MIT */
/* The command line's strict numbers (helpers/cli/args.c): what is a process
 * id and what is not, option values in range, quoting in messages. */
#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "args.h"
#include "tap.h"

static void test_pids(void)
{
	static const char *const bad[] = {
	    "",	   " 5",   "5 ",    "+1",	  "-1",
	    "0",   "0x10", "010",   "1e3",	  "5\n",
	    "1.0", "abc",  "12abc", "2147483648", "99999999999999999999999",
	};
	pid_t pid = 0;
	is_int(cli_parse_pid("1", &pid), 0, "1 is a pid");
	is_int(pid, 1, "... read as 1");
	is_int(cli_parse_pid("4242", &pid), 0, "4242 is a pid");
	is_int(pid, 4242, "... read as 4242");
	is_int(cli_parse_pid("2147483647", &pid), 0, "INT_MAX is a pid");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char q[64];
		pid = 7;
		is_int(cli_parse_pid(bad[i], &pid), -1, "'%s' is refused",
		       cli_quote(bad[i], q, sizeof q));
		is_int(pid, 7, "... and nothing written");
	}
}

static void test_numbers(void)
{
	long v = 0;
	is_int(cli_parse_number("300", 1, 60000, &v), 0, "300 in 1..60000");
	is_int(v, 300, "... read as 300");
	is_int(cli_parse_number("60001", 1, 60000, &v), -1, "past the top refused");
	is_int(cli_parse_number("0", 1, 60000, &v), -1, "under the bottom refused");
	is_int(cli_parse_number("0", 0, 5, &v), 0, "0 where 0 is allowed");
	is_int(cli_parse_number(" 3", 1, 9, &v), -1, "a leading space refused");
	is_int(cli_parse_number(NULL, 1, 9, &v), -1, "NULL refused");
}

static void test_quote(void)
{
	char buf[32];
	is_str(cli_quote("a\x1b[31mb", buf, sizeof buf), "a\\x1b[31mb", "ESC escaped");
	is_str(cli_quote(" 5", buf, sizeof buf), " 5", "spaces kept");
	is_str(cli_quote("abcdefghijklmnopqrstuvwxyz0123456789", buf, 8), "abcdefg", "cut to fit");
	is_str(cli_quote("ab\x07", buf, 5), "ab", "an escape that does not fit is dropped");
}

int main(void)
{
	test_pids();
	test_numbers();
	test_quote();
	return tap_done();
}
