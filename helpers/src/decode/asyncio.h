/* SPDX-License-Identifier: MIT */
/* asyncio tasks: every task of an interpreter that is not done, with its
 * coroutine stack, its state, its event loop and the tasks it waits on; and
 * the loop each thread runs. Found in the structures each version keeps
 * (per-thread task lists on 3.14+, asyncio.tasks' sets before). */
#ifndef PYX_ASYNCIO_H
#define PYX_ASYNCIO_H

#include "decoder.h"

/* Fills each interpreter's tasks (and each thread's running_loop) of a
 * result pyx_runtime_decode made. Failures inside an interpreter (a corrupt
 * task set, an unreadable coroutine) are recorded there (tasks_error, a
 * task's error) and the rest is still decoded; returns 0 or -PYX_E_NOMEM. */
int pyx_asyncio_decode(struct pyx_decoder *d, struct pyx_dec_result *r, struct pyx_error *err);

#endif
