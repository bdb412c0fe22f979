/* SPDX-License-Identifier: MIT */
/* Walking one thread's frame chain into pyx_dec_frame records, innermost
 * first: PyFrameObject.f_back (<=3.10) or _PyInterpreterFrame.previous
 * (3.11+), skipping shim frames, bounded and cycle-checked. */
#ifndef PYX_FRAMES_H
#define PYX_FRAMES_H

#include "decoder.h"

/* Fills th->frames from the first frame address (tstate's current frame).
 * At most opts.limits.max_frames are kept: the innermost half and the
 * outermost half, with th->omitted frames left out at th->omitted_at. A
 * frame that cannot be decoded becomes a placeholder carrying its error; a
 * chain that cannot continue (unreadable, a loop, past max_walk) sets
 * th->truncated. Returns 0 or -PYX_E_NOMEM. */
int pyx_frames_walk(struct pyx_decoder *d, uint64_t first_frame, struct pyx_dec_thread *th,
		    struct pyx_error *err);

#endif
