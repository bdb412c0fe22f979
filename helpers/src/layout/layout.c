/* SPDX-License-Identifier: MIT */
/* Chooses a target's layout once: the static table for its minor version,
 * overlaid for 3.13+ by the target's own validated _Py_DebugOffsets, plus the
 * capability flags through which the decoder asks what differs by version.
 * All version knowledge outside the tables lives here and in debug_offsets.c. */
#include <stdio.h>
#include <string.h>

#include "debug_offsets.h"
#include "layout.h"

#define PYX_N(a) (sizeof(a) / sizeof((a)[0]))
#include "tables/tables.h"
#include "../util/fmt.h"

enum {
	MIN_MINOR = 6,
	MAX_MINOR = 15,
};

static const struct {
	int minor;
	const struct pyx_offsets *table;
	const char *source;
} tables[] = {
    {6, &pyx_table_py36, "table 3.6"},	  {7, &pyx_table_py37, "table 3.7"},
    {8, &pyx_table_py38, "table 3.8"},	  {9, &pyx_table_py39, "table 3.9"},
    {10, &pyx_table_py310, "table 3.10"}, {11, &pyx_table_py311, "table 3.11"},
    {12, &pyx_table_py312, "table 3.12"}, {13, &pyx_table_py313, "table 3.13"},
    {14, &pyx_table_py314, "table 3.14"}, {15, &pyx_table_py315, "table 3.15"},
};

static const char *const do_sources[] = {
    [13] = "_Py_DebugOffsets 3.13 + table",
    [14] = "_Py_DebugOffsets 3.14 + table",
    [15] = "_Py_DebugOffsets 3.15 + table",
};

const struct pyx_offsets *pyx_layout_table(int minor)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (tables[i].minor == minor)
			return tables[i].table;
	return NULL;
}

static const char *table_source(int minor)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (tables[i].minor == minor)
			return tables[i].source;
	return "none";
}

/* "3.14.0", "3.15.0b1", "3.13.0rc2" from a PY_VERSION_HEX value. */
void pyx_layout_format_version(uint32_t hex, char *buf, size_t len)
{
	unsigned level = (hex >> 4) & 0xf, serial = hex & 0xf;
	const char *tag = level == 0xa ? "a" : level == 0xb ? "b" : level == 0xc ? "rc" : "";

	if ((hex & 0xffff) == 0) /* only major.minor known (from a file name) */
		pyx_snprintf(buf, len, "%u.%u", hex >> 24, (hex >> 16) & 0xff);
	else if (*tag)
		pyx_snprintf(buf, len, "%u.%u.%u%s%u", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff,
			 tag, serial);
	else
		pyx_snprintf(buf, len, "%u.%u.%u", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff);
}

void pyx_layout_set_caps(struct pyx_layout *out)
{
	int m = (int)((out->version_hex >> 16) & 0xff);

	out->minor = m;
	out->frame_model = m <= 10 ? PYX_FRAMES_OBJECT : PYX_FRAMES_INTERP;
	/* 3.11 and 3.12 reach the frame through tstate->cframe->current_frame;
	 * 3.13 put current_frame on the thread state (Include/cpython/pystate.h). */
	out->tstate_frame =
	    (m == 11 || m == 12) ? PYX_TSTATE_FRAME_CFRAME : PYX_TSTATE_FRAME_DIRECT;
	out->linetable = m <= 9	   ? PYX_LINES_LNOTAB
			 : m == 10 ? PYX_LINES_LINETABLE
				   : PYX_LINES_LOCATIONS;
	/* 3.6 keeps the GIL in statics of Python/ceval_gil.h; 3.7-3.11 in
	 * _PyRuntime.ceval.gil; 3.12 gave each interpreter its own (PEP 684). */
	out->gil_model = m <= 6	   ? PYX_GIL_TSTATE_CURRENT_GLOBAL
			 : m <= 11 ? PYX_GIL_RUNTIME
				   : PYX_GIL_INTERP;
	out->dict_model = m <= 10 ? PYX_DICT_36 : PYX_DICT_311;
	out->instdict_model = m <= 10	? PYX_INSTDICT_OFFSET
			      : m == 11 ? PYX_INSTDICT_MANAGED_311
			      : m == 12 ? PYX_INSTDICT_MANAGED_312
					: PYX_INSTDICT_INLINE_313;
	out->has_runtime = m >= 7;
	out->has_qualname = m >= 11;
	/* 3.12+ push an entry frame owned by FRAME_OWNED_BY_CSTACK (3.12, 3.13)
	 * or FRAME_OWNED_BY_INTERPRETER (3.14+) at each C-to-Python call. */
	out->frame_has_owner = m >= 12;
	/* 3.11/3.12 prev_instr; 3.13 instr_ptr is the instruction executing. */
	out->instr_ptr_is_prev = m == 11 || m == 12;
	out->executable_is_stackref = m >= 14;
	out->long_is_tagged = m >= 12;
	out->unicode_has_wstr = m <= 11;
	/* asyncio (Lib/asyncio/tasks.py, Modules/_asynciomodule.c): task names
	 * exist from 3.8; eager tasks and their set came in 3.12; 3.14 links
	 * C tasks into per-thread lists (Include/internal/pycore_tstate.h). */
	out->tasks_model = m < 8 ? PYX_TASKS_NONE
			   : m <= 11 ? PYX_TASKS_ALL
			   : m <= 13 ? PYX_TASKS_SCHEDULED
				     : PYX_TASKS_LISTS;
	out->running_loop_model = m <= 11 ? PYX_RLOOP_HOLDER
				  : m == 12 ? PYX_RLOOP_DICT
					    : PYX_RLOOP_TSTATE;
	out->await_model = m <= 9 ? PYX_AWAIT_STACKTOP
			   : m == 10 ? PYX_AWAIT_STACKDEPTH
			   : m <= 12 ? PYX_AWAIT_RESUME
				     : PYX_AWAIT_STATE;
}

void pyx_layout_refine_version(struct pyx_layout *L, uint32_t hex)
{
	struct pyx_offsets *o = &L->off;
	unsigned minor = (hex >> 16) & 0xff, patch = (hex >> 8) & 0xff;
	L->version_hex = hex;
	if ((hex & 0xffff) == 0 || minor != 10 || patch >= 6 ||
	    !PYX_HAS(o->asyncio_task_object.task_exception_tb))
		return;
	/* Our 3.10 table comes from 3.10.6+ headers. FutureObj_HEAD gained
	 * PyObject *fut_exception_tb after fut_exception in 3.10.6
	 * (Modules/_asynciomodule.c); before it, every TaskObj field past that
	 * point sits one pointer lower. */
	int32_t at = o->asyncio_task_object.task_exception_tb;
	int32_t *f[] = {
		&o->asyncio_task_object.task_state,	  &o->asyncio_task_object.task_fut_waiter,
		&o->asyncio_task_object.task_coro,	  &o->asyncio_task_object.task_name,
		&o->asyncio_task_object.task_must_cancel, &o->asyncio_task_object.size,
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (PYX_HAS(*f[i]) && *f[i] > at)
			*f[i] -= 8;
	o->asyncio_task_object.task_exception_tb = PYX_ABSENT;
}

/* Refuses 3.13+ pre-releases whose _Py_DebugOffsets layout differs from the
 * one we describe. */
static int check_prerelease(const struct pyx_do_desc *d, uint32_t version_hex,
			    struct pyx_error *err)
{
	char ver[32];

	if (version_hex >= d->first_hex)
		return 0;
	pyx_layout_format_version(version_hex, ver, sizeof ver);
	return pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
			     "Python %s is a pre-release whose _Py_DebugOffsets layout pyxray does "
			     "not know (3.%d support starts at %s)",
			     ver, d->minor, d->first_name);
}

/* The decoder copies one span of each structure into a local buffer and reads
 * fields from it: every field it reads must lie inside that span. Tables hold
 * this by construction; a target's _Py_DebugOffsets is untrusted, so the
 * merged layout is checked once here, before the decoder uses it. */
struct span_field {
	const char *name;
	int32_t off, width;
};

static int check_span(const char *span_name, int32_t span, const struct span_field *f, size_t n,
		      struct pyx_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].off == PYX_ABSENT)
			continue;
		if (f[i].off < 0 || span < 0 || (int64_t)f[i].off + f[i].width > span)
			return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
					     "layout: %s at %d (+%d) is outside %s (%d bytes)",
					     f[i].name, (int)f[i].off, (int)f[i].width, span_name,
					     (int)span);
	}
	return 0;
}

#define SPAN_FIELD(sec, fld, w) {#sec "." #fld, o->sec.fld, w}

int pyx_layout_check_spans(const struct pyx_offsets *o, struct pyx_error *err)
{
	const struct span_field frame[] = {
		SPAN_FIELD(interpreter_frame, previous, 8),
		SPAN_FIELD(interpreter_frame, executable, 8),
		SPAN_FIELD(interpreter_frame, instr_ptr, 8),
		SPAN_FIELD(interpreter_frame, owner, 1),
		SPAN_FIELD(interpreter_frame, is_entry, 1),
		SPAN_FIELD(interpreter_frame, globals, 8),
	};
	const struct span_field frame_obj[] = {
		SPAN_FIELD(frame_object, f_back, 8),
		SPAN_FIELD(frame_object, f_code, 8),
		SPAN_FIELD(frame_object, f_lasti, 4),
		SPAN_FIELD(frame_object, f_globals, 8),
	};
	const struct span_field code[] = {
		SPAN_FIELD(pyobject, ob_type, 8),
		SPAN_FIELD(code_object, filename, 8),	  SPAN_FIELD(code_object, name, 8),
		SPAN_FIELD(code_object, qualname, 8),	  SPAN_FIELD(code_object, linetable, 8),
		SPAN_FIELD(code_object, lnotab, 8),	  SPAN_FIELD(code_object, firstlineno, 4),
		SPAN_FIELD(code_object, argcount, 4),	  SPAN_FIELD(code_object, varnames, 8),
		SPAN_FIELD(code_object, cellvars, 8),	  SPAN_FIELD(code_object, freevars, 8),
		SPAN_FIELD(code_object, localsplusnames, 8), SPAN_FIELD(code_object, localspluskinds, 8),
	};
	const struct span_field tstate[] = {
		SPAN_FIELD(thread_state, next, 8),	     SPAN_FIELD(thread_state, frame, 8),
		SPAN_FIELD(thread_state, cframe, 8),	     SPAN_FIELD(thread_state, current_frame, 8),
		SPAN_FIELD(thread_state, thread_id, 8),    SPAN_FIELD(thread_state, native_thread_id, 8),
	};
	const struct span_field str[] = {
		SPAN_FIELD(pyobject, ob_type, 8),
		SPAN_FIELD(unicode_object, state, 4),
		SPAN_FIELD(unicode_object, length, 8),
	};
	const struct span_field dict[] = {
		SPAN_FIELD(pyobject, ob_type, 8),
		SPAN_FIELD(dict_object, ma_used, 8),
		SPAN_FIELD(dict_object, ma_keys, 8),
		SPAN_FIELD(dict_object, ma_values, 8),
	};
	/* A generator is read up to the end of its frame's header: through
	 * gi_iframe (3.11+; the frame is a variable-size tail before 3.14). */
	const struct span_field gen[] = {
		SPAN_FIELD(pyobject, ob_type, 8),
		SPAN_FIELD(gen_object, gi_frame, 8),
		SPAN_FIELD(gen_object, gi_running, 1),
		SPAN_FIELD(gen_object, gi_frame_state, 1),
	};
	const struct span_field gen_frame[] = {SPAN_FIELD(gen_object, gi_iframe, 0)};
	int32_t gen_head = PYX_HAS(o->gen_object.gi_iframe) ? o->gen_object.gi_iframe
							    : o->gen_object.size;
	int rc;
	if ((rc = check_span("the generator header", gen_head, gen, PYX_N(gen), err)) < 0 ||
	    (rc = check_span("gen_object.size", o->gen_object.size, gen_frame, PYX_N(gen_frame),
			     err)) < 0)
		return rc;
	if ((rc = check_span("interpreter_frame.localsplus", o->interpreter_frame.localsplus, frame,
			     PYX_N(frame), err)) < 0 ||
	    (rc = check_span("frame_object.size", o->frame_object.size, frame_obj,
			     PYX_N(frame_obj), err)) < 0 ||
	    (rc = check_span("code_object.size", o->code_object.size, code, PYX_N(code), err)) < 0 ||
	    (rc = check_span("thread_state.size", o->thread_state.size, tstate, PYX_N(tstate),
			     err)) < 0 ||
	    (rc = check_span("unicode_object.asciiobject_size", o->unicode_object.asciiobject_size,
			     str, PYX_N(str), err)) < 0 ||
	    (rc = check_span("dict_object.size", o->dict_object.size, dict, PYX_N(dict), err)) < 0)
		return rc;
	return 0;
}

int pyx_layout_init(struct pyx_layout *out, uint32_t version_hex, struct pyx_memsrc *src,
		    uint64_t debug_offsets_addr, struct pyx_error *err)
{
	struct pyx_debug_offsets
	    do_; /* ~1.3 KiB on the stack: no allocation */
	const struct pyx_offsets *table;
	const struct pyx_do_desc *desc;
	struct pyx_offsets off;
	int rc, minor, free_threaded = 0;
	char ver[32];

	memset(out, 0, sizeof *out);
	out->version_hex = version_hex;
	minor = (int)((version_hex >> 16) & 0xff);
	pyx_layout_format_version(version_hex, ver, sizeof ver);
	if ((version_hex >> 24) != 3 || minor < MIN_MINOR) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "Python %s is older than this pyxray supports (3.%d-3.%d)", ver,
				   MIN_MINOR, MAX_MINOR);
		goto out;
	}
	table = pyx_layout_table(minor);
	if (!table) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "Python %s is newer than this pyxray supports (3.%d-3.%d)", ver,
				   MIN_MINOR, MAX_MINOR);
		goto out;
	}
	off = *table;
	pyx_layout_set_caps(out);
	out->source = table_source(minor);
	out->asyncio_source = out->source;

	desc = pyx_do_desc_for(minor);
	if (desc) {
		rc = check_prerelease(desc, version_hex, err);
		if (rc < 0)
			goto out;
	}
	if (!desc || !debug_offsets_addr) {
		/* <= 3.12, or a caller without the address: the table alone. */
		out->off = off;
		pyx_layout_refine_version(out, version_hex);
		rc = 0;
		goto out;
	}
	if (!src) {
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0,
				   "pyx_layout_init: a memory source is needed to read "
				   "_Py_DebugOffsets");
		goto out;
	}
	rc = pyx_do_read(src, debug_offsets_addr, version_hex, desc, &do_, &free_threaded, err);
	if (rc < 0)
		goto out;
	if (free_threaded) {
		out->free_threaded = 1;
		rc =
		    pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				  "Python %s is a free-threaded build (PEP 703), which pyxray does "
				  "not support yet",
				  ver);
		goto out;
	}
	rc = pyx_do_apply(&do_, &off, err);
	if (rc < 0)
		goto out;
	rc = pyx_layout_check_spans(&off, err);
	if (rc < 0)
		goto out;
	out->off = off;
	out->source = do_sources[minor];
out:
	return rc;
}

static void dump_value(char *buf, size_t len, const char *name, int32_t v)
{
	if (v == PYX_ABSENT)
		pyx_snprintf(buf, len, "%s = absent", name);
	else
		pyx_snprintf(buf, len, "%s = %d", name, (int)v);
}

void pyx_layout_dump(const struct pyx_layout *layout, void (*line)(void *ctx, const char *text),
		     void *ctx)
{
	char buf[128];
	const struct pyx_offsets *o = &layout->off;

	pyx_snprintf(buf, sizeof buf, "source = %s", layout->source ? layout->source : "none");
	line(ctx, buf);
#define CAP(name)                                                                                  \
	do {                                                                                       \
		pyx_snprintf(buf, sizeof buf, "caps." #name " = %d", (int)layout->name);               \
		line(ctx, buf);                                                                    \
	} while (0)
	CAP(minor);
	CAP(free_threaded);
	CAP(frame_model);
	CAP(tstate_frame);
	CAP(linetable);
	CAP(gil_model);
	CAP(dict_model);
	CAP(instdict_model);
	CAP(has_runtime);
	CAP(has_qualname);
	CAP(frame_has_owner);
	CAP(instr_ptr_is_prev);
	CAP(executable_is_stackref);
	CAP(long_is_tagged);
	CAP(unicode_has_wstr);
	CAP(tasks_model);
	CAP(running_loop_model);
	CAP(await_model);
#undef CAP
#define PYX_SECTION_BEGIN(section)
#define PYX_FIELD(section, field)                                                                  \
	dump_value(buf, sizeof buf, #section "." #field, o->section.field);                        \
	line(ctx, buf);
#define PYX_SECTION_END(section)
#include "fields.def"
#undef PYX_SECTION_BEGIN
#undef PYX_FIELD
#undef PYX_SECTION_END
}
