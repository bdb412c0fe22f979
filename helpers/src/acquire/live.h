/* SPDX-License-Identifier: MIT */
/* Live processes as targets (live.c), for the snapshot layer. */
#ifndef PYX_LIVE_H
#define PYX_LIVE_H

#include "target.h"

/* Like pyx_target_open_pid, but on failure *out may still hold a target
 * with what could be read of the process's identity (the caller closes
 * it), so that a tree's unreadable process is shown with its command. */
int pyx_live_open(pid_t pid, struct pyx_target **out, struct pyx_error *err);

/* 1 when the live target's process no longer exists. */
int pyx_live_gone(const struct pyx_target *t);

#endif
