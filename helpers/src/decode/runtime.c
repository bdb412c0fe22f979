/* SPDX-License-Identifier: MIT */
/* Interpreters and threads. The interpreter list starts at
 * _PyRuntime.interpreters.head (3.7+) or the static interp_head (3.6); each
 * interpreter's threads at tstate_head / threads.head. The GIL holder is
 * _gil_runtime_state.last_holder while .locked is set: in _PyRuntime.ceval
 * for 3.7-3.11, behind interp->ceval.gil for 3.12+ (pycore_gil.h), and the
 * _PyThreadState_Current global in 3.6. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "code.h"
#include "frames.h"
#include "objects.h"
#include "runtime.h"
#include "../util/cycle.h"


int pyx_runtime_detect(struct pyx_memsrc *src, const struct pyx_dec_roots *syms,
		       struct pyx_layout *layout, struct pyx_error *err)
{
	uint32_t hex = syms->version_hex;
	if (syms->py_version) {
		/* const unsigned long Py_Version (Include/pylifecycle.h): 8 bytes */
		uint64_t v;
		int rc = pyx_memsrc_read_u64(src, syms->py_version, &v, err);
		if (rc < 0) {
			pyx_error_wrap(err, "reading Py_Version");
			return rc;
		}
		if (v >> 32)
			return pyx_error_set(err, PYX_E_BAD_DATA, 0, syms->py_version,
					     "Py_Version holds 0x%llx, not a version",
					     (unsigned long long)v);
		hex = (uint32_t)v;
	}
	if (!hex)
		return pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				     "cannot tell which Python version %s is: it has no Py_Version "
				     "(so it is older than 3.11) and its file name has no version",
				     syms->path ? syms->path : "the interpreter");
	unsigned minor = (hex >> 16) & 0xff;
	uint64_t debug_offsets = (hex >> 24) == 3 && minor >= 13 ? syms->runtime : 0;
	return pyx_layout_init(layout, hex, src, debug_offsets, err);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* sys.version's first word ("3.10.13", "3.9.18+") refines a version known
 * only as 3.X: its text, when it holds only what a version does (digits,
 * letters, '.', '+': nothing a terminal acts on), and in *hex its
 * major.minor.patch as PY_VERSION_HEX (0 when it has no three numbers).
 * By hand, not sscanf: the stub decodes from a signal handler. */
static const char *sys_version(struct pyx_decoder *d, uint64_t interp_buf_sysdict, uint32_t *hex)
{
	uint64_t v;
	const char *s = NULL;
	*hex = 0;
	if (!interp_buf_sysdict || pyx_dict_get_str(d, interp_buf_sysdict, "version", &v, NULL) < 0 ||
	    pyx_obj_str(d, v, &s, NULL) < 0)
		return NULL;
	size_t n = strcspn(s, " ");
	if (!n || n >= 32)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    s[i] != '.' && s[i] != '+')
			return NULL;
	unsigned part[3] = {0};
	size_t i = 0;
	for (int k = 0; k < 3; k++) {
		int digits = 0;
		while (i < n && is_digit(s[i]) && digits < 3) {
			part[k] = part[k] * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || (k < 2 && (i >= n || s[i++] != '.')))
			break;
		if (k == 2 && part[2] < 256)
			*hex = (part[0] << 24) | (part[1] << 16) | (part[2] << 8) | 0xf0;
	}
	return pyx_arena_strndup(d->arena, s, n);
}

static uint64_t gil_holder(struct pyx_decoder *d, const struct pyx_dec_roots *syms,
			   uint64_t interp_addr, const unsigned char *ibuf)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t gil = 0, holder = 0;
	int32_t locked = 0;
	switch (d->layout->gil_model) {
	case PYX_GIL_TSTATE_CURRENT_GLOBAL:
		if (syms->tstate_current)
			pyx_memsrc_read_u64(d->src, syms->tstate_current, &holder, NULL);
		return holder;
	case PYX_GIL_RUNTIME:
		if (!PYX_HAS(o->runtime_state.ceval_gil))
			return 0;
		gil = syms->runtime + (uint64_t)o->runtime_state.ceval_gil;
		break;
	case PYX_GIL_INTERP:
		if (!PYX_HAS(o->interpreter_state.ceval_gil))
			return 0;
		gil = pyx_get_u64(ibuf, o->interpreter_state.ceval_gil);
		break;
	}
	(void)interp_addr;
	if (!gil || pyx_memsrc_read(d->src, gil + (uint64_t)o->gil_runtime_state.locked, &locked,
				    sizeof locked, NULL) < 0 || !locked)
		return 0;
	if (pyx_memsrc_read_u64(d->src, gil + (uint64_t)o->gil_runtime_state.last_holder, &holder,
				NULL) < 0)
		return 0;
	return holder;
}

/* Whether the interpreter's garbage collector is running: gc.collecting
 * of the struct _gc_runtime_state in each interpreter (3.9+,
 * pycore_interp.h) or in _PyRuntime (3.7, 3.8, pycore_pymem.h / pystate.h).
 * -1 when the layout cannot tell (3.6 keeps it in gcmodule.c's statics). */
static int gc_collecting(struct pyx_decoder *d, const struct pyx_dec_roots *roots,
			 const unsigned char *ibuf)
{
	const struct pyx_offsets *o = &d->layout->off;
	int32_t v;
	if (!PYX_HAS(o->gc.collecting))
		return -1;
	if (PYX_HAS(o->interpreter_state.gc))
		return pyx_get_i32(ibuf, o->interpreter_state.gc + o->gc.collecting) != 0;
	if (PYX_HAS(o->runtime_state.gc) && roots->runtime &&
	    pyx_memsrc_read(d->src,
			    roots->runtime + (uint64_t)o->runtime_state.gc + (uint64_t)o->gc.collecting,
			    &v, sizeof v, NULL) == 0)
		return v != 0;
	return -1;
}

struct name_ctx {
	struct pyx_dec_interp *interp;
};

static void on_thread_name(void *ctx, uint64_t ident, const char *name)
{
	struct name_ctx *nc = ctx;
	for (size_t i = 0; i < nc->interp->nthreads; i++)
		if (nc->interp->threads[i].thread_id == ident && !nc->interp->threads[i].name)
			nc->interp->threads[i].name = name;
}

static int decode_threads(struct pyx_decoder *d, struct pyx_dec_interp *in, uint64_t tstate,
			  uint64_t holder, struct pyx_error *err)
{
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	size_t tsize = (size_t)o->thread_state.size;
	unsigned char *tbuf = d->tstate_buf;
	size_t cap = 0;
	int rc = 0;
	if (tsize == 0 || tsize > PYX_TSTATE_BUF_MAX)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "bad thread state size %zu", tsize);
	struct pyx_cycle cyc;
	uint64_t first = tstate;
	pyx_cycle_init(&cyc);
	while (tstate) {
		struct pyx_error e;
		pyx_error_clear(&e);
		if (in->nthreads >= d->opts.limits.max_threads) {
			rc = pyx_error_set(err, PYX_E_LIMIT, 0, tstate,
					   "more than %zu threads in interpreter %lld",
					   d->opts.limits.max_threads, (long long)in->id);
			goto out;
		}
		if (pyx_memsrc_read(d->src, tstate, tbuf, tsize, &e) < 0) {
			rc = pyx_error_set(err, e.code, e.sys_errno, tstate,
					   "thread list broken at 0x%llx: %s",
					   (unsigned long long)tstate, e.msg);
			goto out;
		}
		if (in->nthreads == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct pyx_dec_thread *nt = pyx_arena_grow(d->arena, in->threads, in->nthreads,
							       ncap, sizeof *nt);
			if (!nt) {
				rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
				goto out;
			}
			in->threads = nt;
			cap = ncap;
		}
		struct pyx_dec_thread *th = &in->threads[in->nthreads++];
		th->tstate_addr = tstate;
		th->thread_id = pyx_get_u64(tbuf, o->thread_state.thread_id);
		th->tid = PYX_HAS(o->thread_state.native_thread_id)
				  ? (int64_t)pyx_get_u64(tbuf, o->thread_state.native_thread_id)
				  : -1;
		if (th->tid == 0)
			th->tid = -1;
		th->holds_gil = holder && holder == tstate;
		uint64_t frame = 0;
		if (L->frame_model == PYX_FRAMES_OBJECT)
			frame = pyx_get_u64(tbuf, o->thread_state.frame);
		else if (L->tstate_frame == PYX_TSTATE_FRAME_CFRAME) {
			uint64_t cframe = pyx_get_u64(tbuf, o->thread_state.cframe);
			if (cframe && pyx_memsrc_read_u64(d->src,
							  cframe + (uint64_t)o->cframe.current_frame,
							  &frame, &e) < 0) {
				th->truncated = e.code;
				th->truncated_msg = pyx_arena_strdup(d->arena, e.msg);
				frame = 0;
			}
		} else
			frame = pyx_get_u64(tbuf, o->thread_state.current_frame);
		rc = pyx_frames_walk(d, frame, th, err);
		if (rc < 0)
			goto out;
		tstate = pyx_get_u64(tbuf, o->thread_state.next);
		/* Back to the head (the usual corruption) is caught at once, any
		 * other loop within a few turns. */
		if (tstate && (tstate == first || pyx_cycle_check(&cyc, tstate))) {
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, tstate, "thread list loops");
			goto out;
		}
	}
out:
	/* The list is newest first; show the oldest (usually MainThread) first. */
	for (size_t i = 0, j = in->nthreads ? in->nthreads - 1 : 0; i < j; i++, j--) {
		struct pyx_dec_thread tmp = in->threads[i];
		in->threads[i] = in->threads[j];
		in->threads[j] = tmp;
	}
	return rc;
}

int pyx_runtime_decode(struct pyx_decoder *d, const struct pyx_dec_roots *syms,
		       struct pyx_dec_result *proc, struct pyx_error *err)
{
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	uint64_t interp = 0, main_interp = 0;
	unsigned char *ibuf = d->interp_buf;
	size_t isize = pyx_interp_read_size(o), cap = 0;
	int rc;
	memset(proc, 0, sizeof *proc);
	proc->version_hex = L->version_hex;
	char version[32];
	pyx_layout_format_version(L->version_hex, version, sizeof version);
	proc->version = pyx_arena_strdup(d->arena, version);
	proc->layout_source = L->source;
	if (L->has_runtime) {
		rc = pyx_memsrc_read_u64(d->src, syms->runtime + (uint64_t)o->runtime_state.interpreters_head,
					 &interp, err);
		if (rc < 0) {
			pyx_error_wrap(err, "reading _PyRuntime");
			return rc;
		}
		if (PYX_HAS(o->runtime_state.interpreters_main))
			pyx_memsrc_read_u64(d->src,
					    syms->runtime + (uint64_t)o->runtime_state.interpreters_main,
					    &main_interp, NULL);
	} else if (syms->interp_head) {
		rc = pyx_memsrc_read_u64(d->src, syms->interp_head, &interp, err);
		if (rc < 0) {
			pyx_error_wrap(err, "reading interp_head");
			return rc;
		}
	}
	if (!interp)
		return pyx_error_set(err, PYX_E_NOT_INITIALIZED, 0, 0,
				     "the Python interpreter is not initialized (starting up or "
				     "already finalized)");
	if (isize == 0 || isize > PYX_INTERP_BUF_MAX)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "bad interpreter size %zu", isize);
	rc = 0;
	struct pyx_cycle icyc;
	uint64_t first_interp = interp;
	pyx_cycle_init(&icyc);
	for (size_t index = 0; interp; index++) {
		struct pyx_error e;
		pyx_error_clear(&e);
		if (index >= d->opts.limits.max_interpreters) {
			rc = pyx_error_set(err, PYX_E_LIMIT, 0, interp,
					   "more than %zu interpreters (or a loop in their list)",
					   d->opts.limits.max_interpreters);
			goto out;
		}
		if (proc->ninterps == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct pyx_dec_interp *ni = pyx_arena_grow(d->arena, proc->interps,
							       proc->ninterps, ncap, sizeof *ni);
			if (!ni) {
				rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
				goto out;
			}
			proc->interps = ni;
			cap = ncap;
		}
		struct pyx_dec_interp *in = &proc->interps[proc->ninterps++];
		in->addr = interp;
		in->gc_collecting = -1;
		if (pyx_memsrc_read(d->src, interp, ibuf, isize, &e) < 0) {
			in->error = e.code;
			in->error_msg = pyx_arena_printf(d->arena, "interpreter at 0x%llx: %s",
							 (unsigned long long)interp, e.msg);
			break;
		}
		in->id = PYX_HAS(o->interpreter_state.id) ? pyx_get_i64(ibuf, o->interpreter_state.id)
							   : (int64_t)index;
		uint64_t holder = gil_holder(d, syms, interp, ibuf);
		in->gc_collecting = gc_collecting(d, syms, ibuf);
		if (!syms->py_version && index == 0 && PYX_HAS(o->interpreter_state.sysdict)) {
			uint32_t hex;
			const char *v = sys_version(d, pyx_get_u64(ibuf, o->interpreter_state.sysdict),
						    &hex);
			if (v)
				proc->version = v;
			/* The patch level, for layout rules inside one minor
			 * (pyx_layout_refine_version). */
			if (hex && (hex >> 16) == (L->version_hex >> 16))
				proc->version_hex = hex;
		}
		rc = decode_threads(d, in, pyx_get_u64(ibuf, o->interpreter_state.threads_head),
				    holder, &e);
		if (rc == -PYX_E_NOMEM) {
			*err = e;
			goto out;
		}
		rc = 0;
		if (e.code) {
			in->error = e.code;
			in->error_msg = pyx_arena_strdup(d->arena, e.msg);
		}
		if (d->opts.thread_names) {
			struct name_ctx nc = {in};
			pyx_thread_names(d, interp, on_thread_name, &nc, NULL);
			const char *role = NULL;
			if (in->id == 0 && pyx_process_name(d, interp, &role, NULL) == 0 &&
			    strcmp(role, "MainProcess"))
				proc->role = role;
		}
		interp = pyx_get_u64(ibuf, o->interpreter_state.next);
		if (interp && (interp == first_interp || pyx_cycle_check(&icyc, interp))) {
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, interp,
					   "the interpreter list loops");
			goto out;
		}
	}
out:
	/* Newest first in the list; sort by id so the main interpreter leads. */
	for (size_t i = 1; i < proc->ninterps; i++) {
		struct pyx_dec_interp tmp = proc->interps[i];
		size_t j = i;
		while (j > 0 && proc->interps[j - 1].id > tmp.id) {
			proc->interps[j] = proc->interps[j - 1];
			j--;
		}
		proc->interps[j] = tmp;
	}
	for (size_t i = 0; i < proc->ninterps; i++)
		proc->interps[i].is_main = main_interp ? proc->interps[i].addr == main_interp
						       : proc->interps[i].id == 0;
	return rc;
}
