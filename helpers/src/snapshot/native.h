/* SPDX-License-Identifier: MIT */
/* Native frames in the model: a thread's native stack interleaved with its
 * Python frames in call order, and the native stacks of threads without
 * Python. Internal to the snapshot layer (take.c calls it after the target
 * runs again; the stacks were captured while it was stopped). */
#ifndef PYX_SNAPSHOT_NATIVE_H
#define PYX_SNAPSHOT_NATIVE_H

#include <pyxray/snapshot.h>

#include "../unwind/unwind.h"
#include "../util/arena.h"

/* The evaluation functions of every supported CPython (3.6+): each call
 * runs one Python frame before 3.11, and from 3.11 the frames from one
 * entry frame (pyx_frame.is_entry) inwards. NULL-terminated. */
extern const char *const pyx_eval_symbols[];

struct pyx_merge_opts {
	int frame_per_eval; /* one Python frame per evaluation call (before 3.11) */
	/* Keep the interpreter's own frames: evaluation frames below their
	 * Python frames, and its call machinery (pyx_native_is_machinery),
	 * which is left out otherwise. */
	int keep_eval;
	const char *interp_path; /* the object holding the interpreter, NULL: unknown */
	/* An OS thread with thread states in several interpreters runs all
	 * their frames on one native stack: in's frames are then all of them,
	 * owner[i] says whose frame i is, and only self's are placed; the
	 * others' evaluation calls stay as native frames. NULL: all are own. */
	const int *owner;
	int self;
};

/* Sets out's frames to in's Python frames and ns's native frames in call
 * order, innermost first (in and out may be the same thread): each native
 * evaluation frame gives its place to the Python frames it runs (one per
 * frame with frame_per_eval, else a run ending at an entry frame) and
 * stays below them with keep_eval; the interpreter's call machinery is
 * left out without keep_eval. Python frames are paired with
 * evaluation frames from the outermost end when ns is complete (the
 * innermost end is where a thread may be between two states) and from the
 * innermost otherwise; those left unpaired stay in order where pairing ran
 * out, and out->native_error says so when nothing could be paired. With
 * frames left out of a deep stack (in->omitted), each end is paired on its
 * own and the native frames between them are left out too (counted in
 * out->omitted). Sets out->native; an early end of ns becomes
 * out->native_error. -PYX_E_NOMEM only. */
int pyx_native_merge(struct pyx_thread *out, const struct pyx_thread *in,
		     const struct pyx_native_stack *ns, const struct pyx_merge_opts *opts,
		     struct pyx_arena *arena);

/* Unwinds every thread of proc (read from target t, whose stacks u
 * captured, through ops) and merges its native frames into its Python frames; then
 * adds t's threads that have registers but no Python thread state as
 * proc->native_threads, with their native stacks. -PYX_E_NOMEM only: a
 * thread that cannot be unwound keeps its Python frames and says why. */
int pyx_native_model(struct pyx_process *proc, struct pyx_target *t,
		     const struct pyx_unwind_ops *ops, struct pyx_unwinder *u,
		     const struct pyx_merge_opts *opts, struct pyx_arena *arena,
		     struct pyx_error *err);

/* Whether nf is the interpreter's own call machinery (vectorcall, tp_call
 * slots, _Py* helpers...): a frame of interp_path, the object holding the
 * interpreter, with such a name. */
int pyx_native_is_machinery(const struct pyx_native_frame *nf, const char *interp_path);

/* A native frame as a model frame. */
void pyx_native_frame_model(struct pyx_frame *f, const struct pyx_native_frame *nf);

#endif
