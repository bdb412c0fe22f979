/* SPDX-License-Identifier: MIT */
/* What the formatters share: each writes one report to a sink (out.h). */
#ifndef PYX_FORMAT_PRIV_H
#define PYX_FORMAT_PRIV_H

#include <pyxray/format.h>

#include "out.h"

void pyx_format_text_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
			struct pyx_out *out);
void pyx_format_json_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
			struct pyx_out *out);
void pyx_format_ps_to(const struct pyx_snapshot *snap, const struct pyx_format_opts *opts,
		      struct pyx_out *out);

/* "SIGSEGV", or NULL for an unknown number. Async-signal-safe. */
const char *pyx_signal_name(int signo);
/* "SEGV_MAPERR" for a signal's si_code, NULL when unknown. */
const char *pyx_signal_code_name(int signo, int code);

/* "Fatal signal SIGSEGV (SEGV_MAPERR) at address 0x0" for a process
 * record with a signal, no newline. */
void pyx_format_signal_line(struct pyx_out *out, const struct pyx_process *p);

#endif
