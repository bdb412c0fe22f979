/* SPDX-License-Identifier: MIT */
/* _Py_DebugOffsets, the offsets table CPython 3.13+ keeps at the start of
 * _PyRuntime: its per-version layout (member names in struct order), the map
 * from its members to our fields, and the reader that treats a target's copy
 * as untrusted input before any of it is used. */
#include <stdio.h>
#include <string.h>

#include "debug_offsets.h"

/* 3.13.0rc2 .. 3.13.x: Include/internal/pycore_runtime.h. The 3.13 alphas,
 * betas and rc1 had shorter, different layouts and are not supported. */
static const char *const words_313[] = {
    "cookie",
    "version",
    "free_threaded",
    "runtime_state.size",
    "runtime_state.finalizing",
    "runtime_state.interpreters_head",
    "interpreter_state.size",
    "interpreter_state.id",
    "interpreter_state.next",
    "interpreter_state.threads_head",
    "interpreter_state.gc",
    "interpreter_state.imports_modules",
    "interpreter_state.sysdict",
    "interpreter_state.builtins",
    "interpreter_state.ceval_gil",
    "interpreter_state.gil_runtime_state",
    "interpreter_state.gil_runtime_state_enabled",
    "interpreter_state.gil_runtime_state_locked",
    "interpreter_state.gil_runtime_state_holder",
    "thread_state.size",
    "thread_state.prev",
    "thread_state.next",
    "thread_state.interp",
    "thread_state.current_frame",
    "thread_state.thread_id",
    "thread_state.native_thread_id",
    "thread_state.datastack_chunk",
    "thread_state.status",
    "interpreter_frame.size",
    "interpreter_frame.previous",
    "interpreter_frame.executable",
    "interpreter_frame.instr_ptr",
    "interpreter_frame.localsplus",
    "interpreter_frame.owner",
    "code_object.size",
    "code_object.filename",
    "code_object.name",
    "code_object.qualname",
    "code_object.linetable",
    "code_object.firstlineno",
    "code_object.argcount",
    "code_object.localsplusnames",
    "code_object.localspluskinds",
    "code_object.co_code_adaptive",
    "pyobject.size",
    "pyobject.ob_type",
    "type_object.size",
    "type_object.tp_name",
    "type_object.tp_repr",
    "type_object.tp_flags",
    "tuple_object.size",
    "tuple_object.ob_item",
    "tuple_object.ob_size",
    "list_object.size",
    "list_object.ob_item",
    "list_object.ob_size",
    "dict_object.size",
    "dict_object.ma_keys",
    "dict_object.ma_values",
    "float_object.size",
    "float_object.ob_fval",
    "long_object.size",
    "long_object.lv_tag",
    "long_object.ob_digit",
    "bytes_object.size",
    "bytes_object.ob_size",
    "bytes_object.ob_sval",
    "unicode_object.size",
    "unicode_object.state",
    "unicode_object.length",
    "unicode_object.asciiobject_size",
    "gc.size",
    "gc.collecting",
};

/* 3.14.0b2 .. 3.14.x (and 3.15.0a1): Include/internal/pycore_debug_offsets.h.
 * Adds threads_main, the free-threading generation counters, stackpointer,
 * tlbc fields, set_object, gen_object, llist_node and debugger_support. */
static const char *const words_314[] = {
    "cookie",
    "version",
    "free_threaded",
    "runtime_state.size",
    "runtime_state.finalizing",
    "runtime_state.interpreters_head",
    "interpreter_state.size",
    "interpreter_state.id",
    "interpreter_state.next",
    "interpreter_state.threads_head",
    "interpreter_state.threads_main",
    "interpreter_state.gc",
    "interpreter_state.imports_modules",
    "interpreter_state.sysdict",
    "interpreter_state.builtins",
    "interpreter_state.ceval_gil",
    "interpreter_state.gil_runtime_state",
    "interpreter_state.gil_runtime_state_enabled",
    "interpreter_state.gil_runtime_state_locked",
    "interpreter_state.gil_runtime_state_holder",
    "interpreter_state.code_object_generation",
    "interpreter_state.tlbc_generation",
    "thread_state.size",
    "thread_state.prev",
    "thread_state.next",
    "thread_state.interp",
    "thread_state.current_frame",
    "thread_state.thread_id",
    "thread_state.native_thread_id",
    "thread_state.datastack_chunk",
    "thread_state.status",
    "interpreter_frame.size",
    "interpreter_frame.previous",
    "interpreter_frame.executable",
    "interpreter_frame.instr_ptr",
    "interpreter_frame.localsplus",
    "interpreter_frame.owner",
    "interpreter_frame.stackpointer",
    "interpreter_frame.tlbc_index",
    "code_object.size",
    "code_object.filename",
    "code_object.name",
    "code_object.qualname",
    "code_object.linetable",
    "code_object.firstlineno",
    "code_object.argcount",
    "code_object.localsplusnames",
    "code_object.localspluskinds",
    "code_object.co_code_adaptive",
    "code_object.co_tlbc",
    "pyobject.size",
    "pyobject.ob_type",
    "type_object.size",
    "type_object.tp_name",
    "type_object.tp_repr",
    "type_object.tp_flags",
    "tuple_object.size",
    "tuple_object.ob_item",
    "tuple_object.ob_size",
    "list_object.size",
    "list_object.ob_item",
    "list_object.ob_size",
    "set_object.size",
    "set_object.used",
    "set_object.table",
    "set_object.mask",
    "dict_object.size",
    "dict_object.ma_keys",
    "dict_object.ma_values",
    "float_object.size",
    "float_object.ob_fval",
    "long_object.size",
    "long_object.lv_tag",
    "long_object.ob_digit",
    "bytes_object.size",
    "bytes_object.ob_size",
    "bytes_object.ob_sval",
    "unicode_object.size",
    "unicode_object.state",
    "unicode_object.length",
    "unicode_object.asciiobject_size",
    "gc.size",
    "gc.collecting",
    "gen_object.size",
    "gen_object.gi_name",
    "gen_object.gi_iframe",
    "gen_object.gi_frame_state",
    "llist_node.next",
    "llist_node.prev",
    "debugger_support.eval_breaker",
    "debugger_support.remote_debugger_support",
    "debugger_support.remote_debugging_enabled",
    "debugger_support.debugger_pending_call",
    "debugger_support.debugger_script_path",
    "debugger_support.debugger_script_path_size",
};

/* 3.15.0b4 .. 3.15.0rc1: Include/internal/pycore_debug_offsets.h. Inserts
 * members in the middle of sections (thread_state, type_object, unicode_object,
 * gc) and adds err_stackitem and heap_type_object; 3.15.0a2-b3 had other
 * intermediate layouts and are not supported. */
static const char *const words_315[] = {
    "cookie",
    "version",
    "free_threaded",
    "runtime_state.size",
    "runtime_state.finalizing",
    "runtime_state.interpreters_head",
    "interpreter_state.size",
    "interpreter_state.id",
    "interpreter_state.next",
    "interpreter_state.threads_head",
    "interpreter_state.threads_main",
    "interpreter_state.gc",
    "interpreter_state.imports_modules",
    "interpreter_state.sysdict",
    "interpreter_state.builtins",
    "interpreter_state.ceval_gil",
    "interpreter_state.gil_runtime_state",
    "interpreter_state.gil_runtime_state_enabled",
    "interpreter_state.gil_runtime_state_locked",
    "interpreter_state.gil_runtime_state_holder",
    "interpreter_state.code_object_generation",
    "interpreter_state.tlbc_generation",
    "thread_state.size",
    "thread_state.prev",
    "thread_state.next",
    "thread_state.interp",
    "thread_state.current_frame",
    "thread_state.base_frame",
    "thread_state.last_profiled_frame",
    "thread_state.last_profiled_frame_seq",
    "thread_state.thread_id",
    "thread_state.native_thread_id",
    "thread_state.datastack_chunk",
    "thread_state.status",
    "thread_state.holds_gil",
    "thread_state.gil_requested",
    "thread_state.current_exception",
    "thread_state.exc_state",
    "err_stackitem.exc_value",
    "interpreter_frame.size",
    "interpreter_frame.previous",
    "interpreter_frame.executable",
    "interpreter_frame.instr_ptr",
    "interpreter_frame.localsplus",
    "interpreter_frame.owner",
    "interpreter_frame.stackpointer",
    "interpreter_frame.tlbc_index",
    "code_object.size",
    "code_object.filename",
    "code_object.name",
    "code_object.qualname",
    "code_object.linetable",
    "code_object.firstlineno",
    "code_object.argcount",
    "code_object.localsplusnames",
    "code_object.localspluskinds",
    "code_object.co_code_adaptive",
    "code_object.co_tlbc",
    "pyobject.size",
    "pyobject.ob_type",
    "type_object.size",
    "type_object.tp_name",
    "type_object.tp_repr",
    "type_object.tp_flags",
    "type_object.tp_basicsize",
    "type_object.tp_dictoffset",
    "heap_type_object.size",
    "heap_type_object.ht_cached_keys",
    "tuple_object.size",
    "tuple_object.ob_item",
    "tuple_object.ob_size",
    "list_object.size",
    "list_object.ob_item",
    "list_object.ob_size",
    "set_object.size",
    "set_object.used",
    "set_object.table",
    "set_object.mask",
    "dict_object.size",
    "dict_object.ma_keys",
    "dict_object.ma_values",
    "float_object.size",
    "float_object.ob_fval",
    "long_object.size",
    "long_object.lv_tag",
    "long_object.ob_digit",
    "bytes_object.size",
    "bytes_object.ob_size",
    "bytes_object.ob_sval",
    "unicode_object.size",
    "unicode_object.state",
    "unicode_object.length",
    "unicode_object.asciiobject_size",
    "unicode_object.compactunicodeobject_size",
    "gc.size",
    "gc.collecting",
    "gc.frame",
    "gc.generation_stats_size",
    "gc.generation_stats",
    "gen_object.size",
    "gen_object.gi_name",
    "gen_object.gi_iframe",
    "gen_object.gi_frame_state",
    "llist_node.next",
    "llist_node.prev",
    "debugger_support.eval_breaker",
    "debugger_support.remote_debugger_support",
    "debugger_support.remote_debugging_enabled",
    "debugger_support.debugger_pending_call",
    "debugger_support.debugger_script_path",
    "debugger_support.debugger_script_path_size",
};

#define NWORDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct pyx_do_desc descs[] = {
    {13, 0x030d00c2, "3.13.0rc2", "Include/internal/pycore_runtime.h", words_313,
     NWORDS(words_313)},
    {14, 0x030e00b2, "3.14.0b2", "Include/internal/pycore_debug_offsets.h", words_314,
     NWORDS(words_314)},
    {15, 0x030f00b4, "3.15.0b4", "Include/internal/pycore_debug_offsets.h", words_315,
     NWORDS(words_315)},
};

#define MAP(section, field, member, base, width)                                                   \
	{                                                                                          \
		offsetof(struct pyx_offsets, section.field), #section "." #field, member, base,    \
		    width                                                                          \
	}
#define SAME(section, field, width) MAP(section, field, #section "." #field, NULL, width)

/* Members we take. Names differ only for the GIL, which _Py_DebugOffsets
 * gives as offsets inside PyInterpreterState of interp->_gil.locked and
 * ._gil.last_holder (we keep offsets inside struct _gil_runtime_state). */
const struct pyx_do_map pyx_do_map[] = {
    SAME(runtime_state, size, 0),
    SAME(runtime_state, finalizing, 8),
    SAME(runtime_state, interpreters_head, 8),
    SAME(interpreter_state, size, 0),
    SAME(interpreter_state, id, 8),
    SAME(interpreter_state, next, 8),
    SAME(interpreter_state, threads_head, 8),
    SAME(interpreter_state, threads_main, 8),
    SAME(interpreter_state, imports_modules, 8),
    SAME(interpreter_state, sysdict, 8),
    SAME(interpreter_state, builtins, 8),
    SAME(interpreter_state, ceval_gil, 8),
    SAME(interpreter_state, gil_runtime_state, 8),
    SAME(interpreter_state, gc, 0),
    SAME(gc, size, 0),
    SAME(gc, collecting, 4),
    MAP(gil_runtime_state, locked, "interpreter_state.gil_runtime_state_locked",
	"interpreter_state.gil_runtime_state", 4),
    MAP(gil_runtime_state, last_holder, "interpreter_state.gil_runtime_state_holder",
	"interpreter_state.gil_runtime_state", 8),
    SAME(thread_state, size, 0),
    SAME(thread_state, prev, 8),
    SAME(thread_state, next, 8),
    SAME(thread_state, interp, 8),
    SAME(thread_state, current_frame, 8),
    SAME(thread_state, thread_id, 8),
    SAME(thread_state, native_thread_id, 8),
    SAME(thread_state, datastack_chunk, 8),
    SAME(interpreter_frame, size, 0),
    SAME(interpreter_frame, previous, 8),
    SAME(interpreter_frame, executable, 8),
    SAME(interpreter_frame, instr_ptr, 8),
    SAME(interpreter_frame, localsplus, 8),
    SAME(interpreter_frame, owner, 1),
    SAME(interpreter_frame, stackpointer, 8),
    SAME(code_object, size, 0),
    SAME(code_object, filename, 8),
    SAME(code_object, name, 8),
    SAME(code_object, qualname, 8),
    SAME(code_object, linetable, 8),
    SAME(code_object, firstlineno, 4),
    SAME(code_object, argcount, 4),
    SAME(code_object, localsplusnames, 8),
    SAME(code_object, localspluskinds, 8),
    SAME(code_object, co_code_adaptive, 2),
    SAME(pyobject, size, 0),
    SAME(pyobject, ob_type, 8),
    SAME(type_object, size, 0),
    SAME(type_object, tp_name, 8),
    SAME(type_object, tp_flags, 8),
    SAME(type_object, tp_basicsize, 8),
    SAME(type_object, tp_dictoffset, 8),
    SAME(heap_type_object, size, 0),
    SAME(heap_type_object, ht_cached_keys, 8),
    SAME(tuple_object, size, 0),
    SAME(tuple_object, ob_item, 8),
    SAME(tuple_object, ob_size, 8),
    SAME(list_object, size, 0),
    SAME(list_object, ob_item, 8),
    SAME(list_object, ob_size, 8),
    SAME(set_object, size, 0),
    SAME(set_object, used, 8),
    SAME(set_object, table, 8),
    SAME(set_object, mask, 8),
    SAME(dict_object, size, 0),
    SAME(dict_object, ma_keys, 8),
    SAME(dict_object, ma_values, 8),
    SAME(float_object, size, 0),
    SAME(float_object, ob_fval, 8),
    SAME(long_object, size, 0),
    SAME(long_object, lv_tag, 8),
    SAME(long_object, ob_digit, 4),
    SAME(bytes_object, size, 0),
    SAME(bytes_object, ob_size, 8),
    SAME(bytes_object, ob_sval, 1),
    SAME(unicode_object, size, 0),
    SAME(unicode_object, state, 4),
    SAME(unicode_object, length, 8),
    SAME(unicode_object, asciiobject_size, 0),
    SAME(unicode_object, compactunicodeobject_size, 0),
    SAME(gen_object, size, 0),
    SAME(gen_object, gi_iframe, 8),
    SAME(gen_object, gi_frame_state, 1),
};
const size_t pyx_do_map_len = NWORDS(pyx_do_map);

/* Every field of struct pyx_offsets, for the "does this section also use
 * table-only fields" question. */
struct field_info {
	const char *name;
	size_t off;
};
static const struct field_info all_fields[] = {
#define PYX_SECTION_BEGIN(section)
#define PYX_FIELD(section, field)                                                                  \
	{#section "." #field, offsetof(struct pyx_offsets, section.field)},
#define PYX_SECTION_END(section)
#include "fields.def"
#undef PYX_SECTION_BEGIN
#undef PYX_FIELD
#undef PYX_SECTION_END
};

/* Section sizes above these are corrupt: _PyRuntimeState and
 * PyInterpreterState are a few hundred KiB (3.15: ~340 KiB and ~220 KiB);
 * every other section is a small struct. */
enum {
	MAX_BIG_SECTION = 4 * 1024 * 1024,
	MAX_SECTION = 64 * 1024,
};

const struct pyx_do_desc *pyx_do_desc_for(int minor)
{
	for (size_t i = 0; i < NWORDS(descs); i++)
		if (descs[i].minor == minor)
			return &descs[i];
	return NULL;
}

int pyx_do_index(const struct pyx_do_desc *d, const char *name)
{
	for (size_t i = 0; i < d->n_words; i++)
		if (strcmp(d->words[i], name) == 0)
			return (int)i;
	return -1;
}

int pyx_do_read(struct pyx_memsrc *src, uint64_t addr, uint32_t version_hex,
		const struct pyx_do_desc *desc, struct pyx_debug_offsets *out, int *free_threaded,
		struct pyx_error *err)
{
	int rc;
	uint64_t v;

	memset(out, 0, sizeof *out);
	out->desc = desc;
	if (desc->n_words > PYX_DO_MAX_WORDS) {
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0, "descriptor for 3.%d too long",
				   desc->minor);
		goto out;
	}
	rc = pyx_memsrc_read(src, addr, out->words, desc->n_words * sizeof(uint64_t), err);
	if (rc < 0) {
		pyx_error_wrap(err, "reading _Py_DebugOffsets at 0x%llx", (unsigned long long)addr);
		goto out;
	}
	if (memcmp(&out->words[0], "xdebugpy", 8) != 0) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				   "no _Py_DebugOffsets cookie \"xdebugpy\" at 0x%llx",
				   (unsigned long long)addr);
		goto out;
	}
	v = out->words[1];
	if (v > UINT32_MAX || (v >> 24) != (version_hex >> 24) ||
	    ((v >> 16) & 0xff) != ((version_hex >> 16) & 0xff)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				   "_Py_DebugOffsets version 0x%llx does not match Python %u.%u",
				   (unsigned long long)v, (unsigned)(version_hex >> 24),
				   (unsigned)((version_hex >> 16) & 0xff));
		goto out;
	}
	if (out->words[2] > 1) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				   "_Py_DebugOffsets free_threaded is %llu, not 0 or 1",
				   (unsigned long long)out->words[2]);
		goto out;
	}
	*free_threaded = (int)out->words[2];
	rc = 0;
out:
	return rc;
}

static int32_t *field_ptr(struct pyx_offsets *off, size_t field_off)
{
	return (int32_t *)(void *)((char *)off + field_off);
}

/* "thread_state.current_frame" -> length of "thread_state". */
static size_t section_len(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot ? (size_t)(dot - name) : strlen(name);
}

static int same_section(const char *a, const char *b)
{
	size_t n = section_len(a);
	return n == section_len(b) && strncmp(a, b, n) == 0;
}

static int is_size(const char *name)
{
	return strcmp(name + section_len(name), ".size") == 0;
}

/* The map entry this version carries for our field at field_off, or NULL. */
static const struct pyx_do_map *carried(const struct pyx_do_desc *d, size_t field_off)
{
	for (size_t i = 0; i < pyx_do_map_len; i++)
		if (pyx_do_map[i].field_off == field_off &&
		    pyx_do_index(d, pyx_do_map[i].member) >= 0)
			return &pyx_do_map[i];
	return NULL;
}

/* A field of `field`'s section that the decoder reads from our table because
 * this _Py_DebugOffsets does not carry it (sizes aside), or NULL. */
static const char *table_only_sibling(const struct pyx_do_desc *d, const struct pyx_offsets *tbl,
				      const char *field)
{
	for (size_t i = 0; i < NWORDS(all_fields); i++) {
		const struct field_info *f = &all_fields[i];
		if (!same_section(f->name, field) || is_size(f->name))
			continue;
		if (*field_ptr((struct pyx_offsets *)tbl, f->off) == PYX_ABSENT)
			continue;
		if (!carried(d, f->off))
			return f->name;
	}
	return NULL;
}

/* Checks one section size word: 0 < size <= limit. */
static int check_size(const struct pyx_debug_offsets *do_, const char *member, uint64_t *out,
		      struct pyx_error *err)
{
	char name[64];
	size_t n = section_len(member);
	int idx;
	uint64_t limit;

	if (n + sizeof ".size" > sizeof name)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "member name too long");
	memcpy(name, member, n);
	memcpy(name + n, ".size", sizeof ".size");
	idx = pyx_do_index(do_->desc, name);
	if (idx < 0)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0,
				     "_Py_DebugOffsets %s has no size member", name);
	limit = (strncmp(name, "runtime_state.", 14) == 0 ||
		 strncmp(name, "interpreter_state.", 18) == 0)
		    ? MAX_BIG_SECTION
		    : MAX_SECTION;
	*out = do_->words[idx];
	if (*out == 0 || *out > limit)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
				     "_Py_DebugOffsets %s = %llu is not a sane size (1..%llu)",
				     name, (unsigned long long)*out, (unsigned long long)limit);
	return 0;
}

/* Validates one map entry and computes its value. */
static int entry_value(const struct pyx_debug_offsets *do_, const struct pyx_do_map *m,
		       const struct pyx_offsets *tbl, int32_t *out, struct pyx_error *err)
{
	uint64_t size = 0, v;
	int rc, idx = pyx_do_index(do_->desc, m->member);

	rc = check_size(do_, m->member, &size, err);
	if (rc < 0)
		return rc;
	v = do_->words[idx];
	if (is_size(m->member)) {
		*out = (int32_t)v;
		return 0;
	}
	if (m->width == 0) {
		/* A size inside the section (unicode asciiobject_size). */
		if (v == 0 || v > size)
			return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
					     "_Py_DebugOffsets %s = %llu is outside 1..%llu",
					     m->member, (unsigned long long)v,
					     (unsigned long long)size);
		*out = (int32_t)v;
		return 0;
	}
	if (v > size || size - v < m->width)
		return pyx_error_set(
		    err, PYX_E_BAD_DATA, 0, 0,
		    "_Py_DebugOffsets %s = %llu does not fit in its section (size %llu)", m->member,
		    (unsigned long long)v, (unsigned long long)size);
	if (m->base) {
		int bidx = pyx_do_index(do_->desc, m->base);
		uint64_t base = bidx >= 0 ? do_->words[bidx] : UINT64_MAX;
		int32_t inner = *field_ptr((struct pyx_offsets *)tbl,
					   offsetof(struct pyx_offsets, gil_runtime_state.size));
		if (base > v || inner <= 0 || v - base > (uint64_t)inner ||
		    (uint64_t)inner - (v - base) < m->width)
			return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
					     "_Py_DebugOffsets %s = %llu is not inside %s = %llu",
					     m->member, (unsigned long long)v, m->base,
					     (unsigned long long)base);
		v -= base;
	}
	*out = (int32_t)v;
	return 0;
}

int pyx_do_apply(const struct pyx_debug_offsets *do_, struct pyx_offsets *off,
		 struct pyx_error *err)
{
	struct pyx_offsets next = *off;
	int rc = 0;

	for (size_t i = 0; i < pyx_do_map_len; i++) {
		const struct pyx_do_map *m = &pyx_do_map[i];
		int32_t v = 0, table;
		const char *sibling;

		if (pyx_do_index(do_->desc, m->member) < 0)
			continue;
		rc = entry_value(do_, m, off, &v, err);
		if (rc < 0)
			goto out;
		table = *field_ptr(off, m->field_off);
		if (!is_size(m->field) && m->width != 0 && table != PYX_ABSENT && table != v) {
			sibling = table_only_sibling(do_->desc, off, m->field);
			if (sibling) {
				rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
						   "_Py_DebugOffsets %s = %d but pyxray's 3.%d "
						   "table has %d, and %s "
						   "comes from that table: this build's layout is "
						   "not one pyxray knows",
						   m->field, (int)v, do_->desc->minor, (int)table,
						   sibling);
				goto out;
			}
		}
		*field_ptr(&next, m->field_off) = v;
	}
	*off = next;
out:
	return rc;
}
