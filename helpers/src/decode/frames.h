/* SPDX-License-Identifier: MIT */
/* Walking one thread's frame chain into pyx_frame records, innermost first:
 * PyFrameObject.f_back (<=3.10) or _PyInterpreterFrame.previous (3.11+),
 * skipping C-stack shim frames, bounded and cycle-checked. */
#ifndef PYX_FRAMES_H
#define PYX_FRAMES_H

#include <pyxray/snapshot.h>

#include "decoder.h"

/* Fills th->frames from the first frame address (tstate's current frame).
 * A frame that cannot be decoded becomes a placeholder carrying its error;
 * a chain that cannot continue (unreadable, a loop, too deep) sets
 * th->truncated. Returns 0 or -PYX_E_NOMEM. */
int pyx_frames_walk(struct pyx_decoder *d, uint64_t first_frame, unsigned flags,
		    struct pyx_thread *th, struct pyx_error *err);

#endif
