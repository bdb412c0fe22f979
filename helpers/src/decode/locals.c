/* SPDX-License-Identifier: MIT */
/* Frame variables. Both frame models keep the fast locals in one array after
 * the frame header (f_localsplus <=3.10, localsplus 3.11+), in the order of
 * co_varnames + co_cellvars + co_freevars (<=3.10) or co_localsplusnames
 * (3.11+). Cell and free slots hold cell objects once the frame has started
 * (MAKE_CELL / COPY_FREE_VARS), so a slot whose object is a cell is shown
 * through it. 3.14+ slots are _PyStackRefs: the tag bits are cleared. */
#include <errno.h>
#include <string.h>

#include "children.h"
#include "locals.h"
#include "objects.h"

enum { MAX_LOCALS = 4096 };

static uint64_t localsplus_addr(struct pyx_decoder *d, uint64_t frame_addr)
{
	const struct pyx_offsets *o = &d->layout->off;
	if (d->layout->frame_model == PYX_FRAMES_OBJECT)
		return frame_addr + (uint64_t)o->frame_object.f_localsplus;
	return frame_addr + (uint64_t)o->interpreter_frame.localsplus;
}

static uint64_t slot_mask(struct pyx_decoder *d)
{
	return d->layout->executable_is_stackref ? ~(uint64_t)d->layout->off.consts.stackref_tag_mask
						 : ~(uint64_t)0;
}

/* If obj is a cell, its content (0 when empty); else obj itself. */
static uint64_t through_cell(struct pyx_decoder *d, uint64_t obj)
{
	const char *type = NULL;
	uint64_t ref = 0;
	if (!obj || pyx_obj_type_name(d, obj, &type, NULL) < 0 || strcmp(type, "cell"))
		return obj;
	if (pyx_memsrc_read_u64(d->src, obj + (uint64_t)d->layout->off.cell_object.ob_ref, &ref,
				NULL) < 0)
		return 0;
	return ref;
}

/* The frame's fast-local slots, in arena memory (*slots NULL when none). */
static int read_slots(struct pyx_decoder *d, const struct pyx_dec_frame *f, struct pyx_code **code,
		      uint64_t **slots_out, int *n, struct pyx_error *err)
{
	uint64_t *slots;
	*slots_out = NULL;
	int rc = pyx_code_get(d, f->code_addr, code, err);
	if (rc < 0)
		return rc;
	rc = pyx_code_local_names(d, *code, err);
	if (rc < 0)
		return rc;
	*n = (*code)->nlocalsplus;
	if (*n > MAX_LOCALS)
		return pyx_error_set(err, PYX_E_LIMIT, 0, f->code_addr, "%d locals is over the limit %d",
				     *n, MAX_LOCALS);
	if (*n == 0)
		return 0;
	slots = pyx_arena_calloc(d->arena, (size_t)*n, sizeof *slots);
	if (!slots)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	*slots_out = slots;
	rc = pyx_memsrc_read(d->src, localsplus_addr(d, f->frame_addr), slots,
			     (size_t)*n * sizeof *slots, err);
	if (rc < 0)
		return rc;
	uint64_t mask = slot_mask(d);
	for (int i = 0; i < *n; i++)
		slots[i] &= mask;
	return 0;
}

static const char *kind_of(struct pyx_decoder *d, const struct pyx_code *code, int i, int nargs)
{
	if (code->localkinds) {
		uint8_t k = code->localkinds[i];
		/* 3.11+: the arguments lead localsplus, cells among them too
		 * (an argument a closure captures). */
		if (i < nargs)
			return "arg";
		if (k & PYX_CO_FAST_CELL)
			return "cell";
		if (k & PYX_CO_FAST_FREE)
			return "free";
	} else if (i >= code->nvarnames + code->ncellvars) {
		return "free"; /* <=3.10: varnames, then cellvars, then freevars */
	} else if (i >= code->nvarnames) {
		return "cell";
	}
	if (i < nargs)
		return "arg";
	(void)d;
	return "local";
}

int pyx_locals_read(struct pyx_decoder *d, struct pyx_dec_frame *f, struct pyx_error *err)
{
	uint64_t *slots = NULL;
	struct pyx_code *code;
	int n = 0;
	if (f->error)
		return 0;
	int rc = read_slots(d, f, &code, &slots, &n, err);
	if (rc < 0)
		return rc;
	struct pyx_dec_var *vars = pyx_arena_calloc(d->arena, (size_t)n + 1, sizeof *vars);
	if (!vars)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	/* Arguments come first: positional, keyword-only, *args, **kwargs. */
	uint64_t flags = 0;
	int32_t flags_off = d->layout->off.code_object.flags;
	uint32_t co_flags = 0, kwonly = 0;
	if (PYX_HAS(flags_off) &&
	    pyx_memsrc_read(d->src, f->code_addr + (uint64_t)flags_off, &co_flags, 4, NULL) == 0)
		flags = co_flags;
	if (PYX_HAS(d->layout->off.code_object.kwonlyargcount))
		pyx_memsrc_read(d->src, f->code_addr + (uint64_t)d->layout->off.code_object.kwonlyargcount,
				&kwonly, 4, NULL);
	/* Counts are target data: summed wide, so that garbage cannot overflow. */
	int64_t nargs64 = (int64_t)code->argcount + (int64_t)kwonly + !!(flags & PYX_CO_VARARGS) +
			  !!(flags & PYX_CO_VARKEYWORDS);
	int nargs = nargs64 < 0 ? 0 : nargs64 > n ? n : (int)nargs64;
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		uint64_t value = slots[i];
		if (!value)
			continue; /* unbound */
		struct pyx_dec_var *v = &vars[k++];
		v->name = code->localnames[i];
		v->kind = kind_of(d, code, i, nargs);
		value = through_cell(d, value);
		if (!value) {
			v->repr = "<empty cell>";
			continue;
		}
		v->addr = value;
		if (pyx_obj_repr(d, value, PYX_VAR_REPR_MAX, PYX_VAR_REPR_DEPTH, &v->repr, NULL) < 0)
			v->repr = pyx_arena_printf(d->arena, "<unreadable object at 0x%llx>",
						   (unsigned long long)value);
		v->nchildren = pyx_obj_nchildren(d, value, &v->indexed);
	}
	f->locals = vars;
	f->nlocals = k;
	return 0;
}

int pyx_locals_get(struct pyx_decoder *d, const struct pyx_dec_frame *f, const char *name,
		   uint64_t *out, struct pyx_error *err)
{
	uint64_t *slots = NULL;
	struct pyx_code *code;
	int n = 0;
	*out = 0;
	if (f->error)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, f->frame_addr, "frame not decodable");
	int rc = read_slots(d, f, &code, &slots, &n, err);
	if (rc < 0)
		return rc;
	for (int i = 0; i < n; i++)
		if (!strcmp(code->localnames[i], name) && (*out = through_cell(d, slots[i])))
			return 0;
	return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "no local '%s'", name);
}

static int repr_of(struct pyx_decoder *d, uint64_t value, const char **out, struct pyx_error *err)
{
	return pyx_obj_repr(d, value, 4096, 3, out, err);
}

int pyx_locals_lookup(struct pyx_decoder *d, const struct pyx_dec_frame *f, const char *name,
		      uint64_t builtins_addr, enum pyx_scope *scope_out, const char **repr_out,
		      struct pyx_error *err)
{
	uint64_t *slots = NULL, value = 0;
	struct pyx_code *code;
	int n = 0;
	if (f->error)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, f->frame_addr, "%s",
				     f->error_msg ? f->error_msg : "frame not decodable");
	int rc = read_slots(d, f, &code, &slots, &n, err);
	if (rc < 0)
		return rc;
	for (int i = 0; i < n; i++) {
		if (strcmp(code->localnames[i], name) || !slots[i])
			continue;
		value = through_cell(d, slots[i]);
		if (!value)
			break; /* an empty cell: unbound, look further */
		*scope_out = PYX_SCOPE_LOCAL;
		return repr_of(d, value, repr_out, err);
	}
	if (f->globals_addr && pyx_dict_get_str(d, f->globals_addr, name, &value, NULL) == 0) {
		*scope_out = PYX_SCOPE_GLOBAL;
		return repr_of(d, value, repr_out, err);
	}
	uint64_t builtins = builtins_addr;
	if (f->globals_addr) {
		uint64_t b;
		const char *type = NULL;
		/* __builtins__ is the builtins module in __main__, its dict elsewhere. */
		if (pyx_dict_get_str(d, f->globals_addr, "__builtins__", &b, NULL) == 0 &&
		    pyx_obj_type_name(d, b, &type, NULL) == 0) {
			if (!strcmp(type, "dict"))
				builtins = b;
			else if (!strcmp(type, "module"))
				pyx_memsrc_read_u64(d->src,
						    b + (uint64_t)d->layout->off.module_object.md_dict,
						    &builtins, NULL);
		}
	}
	if (builtins && pyx_dict_get_str(d, builtins, name, &value, NULL) == 0) {
		*scope_out = PYX_SCOPE_BUILTIN;
		return repr_of(d, value, repr_out, err);
	}
	return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "name '%s' is not defined in this frame",
			     name);
}
