/* SPDX-License-Identifier: MIT */
/* The command line's operands and option values, read strictly: a process id
 * or a count is decimal digits and nothing else (no sign, no space, no 0x,
 * no leading zero), so " 5", "+1", "0x10" and "5 " are refused. */
#ifndef PYX_CLI_ARGS_H
#define PYX_CLI_ARGS_H

#include <stddef.h>
#include <sys/types.h>

/* *out = s as a number in lo..hi (lo >= 0); 0, or -1 when s is anything
 * else. */
int cli_parse_number(const char *s, long lo, long hi, long *out);

/* *out = s as a process id (1..INT_MAX); 0 or -1. */
int cli_parse_pid(const char *s, pid_t *out);

/* s for an error message: control bytes and bytes past 0x7e written as
 * \xNN, cut to fit len (NUL included); returns buf. */
const char *cli_quote(const char *s, char *buf, size_t len);

#endif
