/* SPDX-License-Identifier: MIT */
/* Signal specifications for the stub: names, "crash", real-time offsets.
 * Used outside signal handlers only (arming, the CLI). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spec.h"

static const struct {
	const char *name;
	int sig;
} names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	{"QUIT", SIGQUIT},     {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},	{"IOT", SIGIOT},       {"BUS", SIGBUS},
	{"FPE", SIGFPE},   {"USR1", SIGUSR1},	{"SEGV", SIGSEGV},     {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE}, {"ALRM", SIGALRM},	{"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT},
	{"CHLD", SIGCHLD}, {"CONT", SIGCONT},	{"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},
	{"TTOU", SIGTTOU}, {"URG", SIGURG},	{"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},
	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"POLL", SIGPOLL}, {"PWR", SIGPWR},	{"SYS", SIGSYS},
	{"KILL", SIGKILL}, {"STOP", SIGSTOP}, /* named, to be refused by name */
};

static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

int pyx_stub_sig_is_crash(int sig)
{
	for (size_t i = 0; i < sizeof crash_sigs / sizeof *crash_sigs; i++)
		if (crash_sigs[i] == sig)
			return 1;
	return 0;
}

int pyx_stub_sig_is_owned(int sig)
{
	return sig == SIGUSR1 || sig == SIGUSR2 || (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

int pyx_stub_sig_default_ignores(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* A number of at most 3 digits at s, its length in *len; -1 when none. */
static int small_number(const char *s, size_t n, size_t *len)
{
	int v = 0;
	size_t i = 0;
	while (i < n && i < 3 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (s[i++] - '0');
	*len = i;
	return i ? v : -1;
}

/* One item of the list (s, n bytes); 0 and its signals in *mask. */
static int parse_item(const char *s, size_t n, uint64_t *mask, char *why, size_t why_size)
{
	size_t len;
	int sig = -1;
	if (n == 5 && !strncasecmp(s, "crash", 5)) {
		for (size_t i = 0; i < sizeof crash_sigs / sizeof *crash_sigs; i++)
			*mask |= pyx_sigbit(crash_sigs[i]);
		return 0;
	}
	if (n > 3 && !strncasecmp(s, "SIG", 3)) {
		s += 3;
		n -= 3;
	}
	if (n >= 5 && (!strncasecmp(s, "rtmin", 5) || !strncasecmp(s, "rtmax", 5))) {
		int max = s[4] == 'x' || s[4] == 'X';
		int off = 0;
		if (n > 5) {
			if (s[5] != (max ? '-' : '+') ||
			    (off = small_number(s + 6, n - 6, &len)) < 0 || 6 + len != n)
				goto bad;
		}
		sig = max ? SIGRTMAX - off : SIGRTMIN + off;
		if (sig < SIGRTMIN || sig > SIGRTMAX) {
			snprintf(why, why_size, "'%.*s' is outside SIGRTMIN..SIGRTMAX (%d..%d)",
				 (int)n, s, SIGRTMIN, SIGRTMAX);
			return -1;
		}
	} else if ((sig = small_number(s, n, &len)) >= 0) {
		if (len != n)
			goto bad;
	} else {
		for (size_t i = 0; i < sizeof names / sizeof *names && sig < 0; i++)
			if (strlen(names[i].name) == n && !strncasecmp(s, names[i].name, n))
				sig = names[i].sig;
	}
	if (sig == SIGKILL || sig == SIGSTOP) {
		snprintf(why, why_size, "'%.*s' cannot be caught", (int)n, s);
		return -1;
	}
	if (sig < 1 || sig > PYX_STUB_MAXSIG || sig > SIGRTMAX)
		goto bad;
	if (sig > SIGSYS && sig < SIGRTMIN) {
		/* 32 and 33: glibc's own (thread cancellation, setxid). */
		snprintf(why, why_size, "signal %d is reserved by the C library", sig);
		return -1;
	}
	*mask |= pyx_sigbit(sig);
	return 0;
bad:
	snprintf(why, why_size,
		 "'%.*s' is not a signal (use names like usr2, term, rtmin+3, or crash)", (int)n,
		 s);
	return -1;
}

int pyx_stub_spec_parse(const char *spec, uint64_t *mask, char *why, size_t why_size)
{
	*mask = 0;
	const char *p = spec;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n && parse_item(p, n, mask, why, why_size) < 0)
			return -1;
		if (!end)
			break;
		p = end + 1;
	}
	if (!*mask) {
		snprintf(why, why_size, "no signal given (e.g. usr2,crash)");
		return -1;
	}
	return 0;
}

const char *pyx_stub_sig_name(int sig, char *buf, size_t size)
{
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		if (sig == SIGRTMIN)
			snprintf(buf, size, "SIGRTMIN");
		else if (sig - SIGRTMIN <= SIGRTMAX - sig)
			snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
		else
			snprintf(buf, size, "SIGRTMAX-%d", SIGRTMAX - sig);
		return buf;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].sig == sig) {
			snprintf(buf, size, "SIG%s", names[i].name);
			return buf;
		}
	snprintf(buf, size, "signal %d", sig);
	return buf;
}
