/* SPDX-License-Identifier: MIT */
/* Version layouts: one struct of named offsets (generated from fields.def) plus
 * capability flags, chosen once per target. The decoder reads CPython fields
 * only through this struct and asks capabilities, never version numbers.
 * Depends on memsrc only (to read a target's _Py_DebugOffsets). */
#ifndef PYX_LAYOUT_H
#define PYX_LAYOUT_H

#include <stdint.h>
#include <string.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>

/* CPython constants that are the same in every supported version (3.6-3.15),
 * kept here with the rest of the layout knowledge; those that vary are in
 * fields.def's consts section. */
/* tp_flags subclass bits (Include/object.h) */
#define PYX_TPFLAGS_LONG_SUBCLASS (1UL << 24)
#define PYX_TPFLAGS_LIST_SUBCLASS (1UL << 25)
#define PYX_TPFLAGS_TUPLE_SUBCLASS (1UL << 26)
#define PYX_TPFLAGS_BYTES_SUBCLASS (1UL << 27)
#define PYX_TPFLAGS_UNICODE_SUBCLASS (1UL << 28)
#define PYX_TPFLAGS_DICT_SUBCLASS (1UL << 29)
#define PYX_TPFLAGS_TYPE_SUBCLASS (1UL << 31)
enum {
	/* co_flags (Include/cpython/code.h) */
	PYX_CO_VARARGS = 0x4,
	PYX_CO_VARKEYWORDS = 0x8,
	/* co_localspluskinds bits, 3.11+ (Include/internal/pycore_code.h) */
	PYX_CO_FAST_CELL = 0x40,
	PYX_CO_FAST_FREE = 0x80,
	/* dk_kind values, 3.11+ (Include/internal/pycore_dict.h) */
	PYX_DICT_KEYS_GENERAL = 0,
	PYX_DICT_KEYS_UNICODE = 1,
	PYX_DICT_KEYS_SPLIT = 2,
	/* setentry {key, hash} (Objects/setobject.c): a deleted slot keeps
	 * hash -1 and points at the dummy key */
	PYX_SETENTRY_KEY = 0,
	PYX_SETENTRY_HASH = 8,
};

/* Value of a field this version does not have. */
#define PYX_ABSENT (-1)

/* consts.frame_* (generator frame states, some negative) are stored plus
 * this, so that a state of -1 is not PYX_ABSENT. */
enum { PYX_STATE_BIAS = 256 };
static inline int pyx_frame_state_const(int32_t stored)
{
	return stored == PYX_ABSENT ? -1000 : (int)stored - PYX_STATE_BIAS;
}

#define PYX_SECTION_BEGIN(section) struct {
#define PYX_FIELD(section, field) int32_t field;
#define PYX_SECTION_END(section) } section;
struct pyx_offsets {
#include "fields.def"
};
#undef PYX_SECTION_BEGIN
#undef PYX_FIELD
#undef PYX_SECTION_END

/* How the thread's current frame chain is reached and what a frame is. */
enum pyx_frame_model {
	PYX_FRAMES_OBJECT = 1,	/* <=3.10: tstate->frame, PyFrameObject.f_back */
	PYX_FRAMES_INTERP = 2,	/* 3.11+: _PyInterpreterFrame.previous */
};

/* Where the current frame pointer lives for PYX_FRAMES_INTERP. */
enum pyx_tstate_frame {
	PYX_TSTATE_FRAME_DIRECT = 1, /* tstate->frame (<=3.10) or tstate->current_frame (3.13+) */
	PYX_TSTATE_FRAME_CFRAME = 2, /* tstate->cframe->current_frame (3.11, 3.12) */
};

enum pyx_linetable_kind {
	PYX_LINES_LNOTAB = 1,	 /* co_lnotab (<=3.9), f_lasti in bytes */
	PYX_LINES_LINETABLE = 2, /* co_linetable 3.10, f_lasti in code units */
	PYX_LINES_LOCATIONS = 3, /* 3.11+ location table, offsets in code units */
};

/* How the GIL holder is found. */
enum pyx_gil_model {
	PYX_GIL_TSTATE_CURRENT_GLOBAL = 1, /* 3.6: the _PyThreadState_Current global */
	PYX_GIL_RUNTIME = 2,	/* 3.7-3.11: _PyRuntime.ceval.gil (locked, last_holder) */
	PYX_GIL_INTERP = 3,	/* 3.12+: interp->ceval.gil points at a _gil_runtime_state */
};

enum pyx_dict_model {
	PYX_DICT_36 = 1,	/* 3.6-3.10: dk_size, dk_lookup, PyDictKeyEntry; split via ma_values */
	PYX_DICT_311 = 2,	/* 3.11+: dk_log2_size, dk_kind, unicode entries */
};

enum pyx_instance_dict_model {
	PYX_INSTDICT_OFFSET = 1,   /* tp_dictoffset (<=3.10, and types without managed dict) */
	PYX_INSTDICT_MANAGED_311 = 2, /* 3.11: dict at -3 words, values at -4 words */
	PYX_INSTDICT_MANAGED_312 = 3, /* 3.12: _PyDictOrValues at -3 words, low bit tags values */
	PYX_INSTDICT_INLINE_313 = 4,  /* 3.13+: inline values after tp_basicsize, dict at -3 words */
};

/* Where asyncio's tasks are registered. */
enum pyx_tasks_model {
	PYX_TASKS_NONE = 0,	/* 3.6, 3.7: not supported */
	PYX_TASKS_ALL = 1,	/* 3.8-3.11: the weak set asyncio.tasks._all_tasks */
	PYX_TASKS_SCHEDULED = 2, /* 3.12, 3.13: _scheduled_tasks (weak) + _eager_tasks */
	PYX_TASKS_LISTS = 3,	/* 3.14+: C tasks in per-thread lists (and the
				   interpreter's for threads that are gone); Python
				   tasks in _scheduled_tasks + _eager_tasks */
};

/* Where a thread's running event loop is kept. */
enum pyx_running_loop_model {
	PYX_RLOOP_HOLDER = 1,	/* 3.7-3.11: tstate->dict["__asyncio_running_event_loop__"],
				   a PyRunningLoopHolder */
	PYX_RLOOP_DICT = 2,	/* 3.12: the same key holds the loop itself */
	PYX_RLOOP_TSTATE = 3,	/* 3.13+: _PyThreadStateImpl.asyncio_running_loop */
};

/* How a suspended generator tells that it awaits (Objects/genobject.c
 * _PyGen_yf) and where the awaited object is. */
enum pyx_await_model {
	PYX_AWAIT_STACKTOP = 1,	/* <=3.9: next opcode YIELD_FROM, f_stacktop[-1] */
	PYX_AWAIT_STACKDEPTH = 2, /* 3.10: the same, f_valuestack[f_stackdepth - 1] */
	PYX_AWAIT_RESUME = 3,	/* 3.11, 3.12: next unit a RESUME with oparg >= 2,
				   localsplus[stacktop - 1] */
	PYX_AWAIT_STATE = 4,	/* 3.13+: gi_frame_state == FRAME_SUSPENDED_YIELD_FROM;
				   the stack top (a tagged pointer from 3.14) */
};

struct pyx_layout {
	uint32_t version_hex;	/* PY_VERSION_HEX of the target, e.g. 0x030b07f0 */
	int minor;		/* 3.X */
	const char *source;	/* "table 3.11" or "_Py_DebugOffsets 3.14 + table" */
	int free_threaded;	/* nonzero when the target is a free-threaded build */
	enum pyx_frame_model frame_model;
	enum pyx_tstate_frame tstate_frame;
	enum pyx_linetable_kind linetable;
	enum pyx_gil_model gil_model;
	enum pyx_dict_model dict_model;
	enum pyx_instance_dict_model instdict_model;
	int has_runtime;	/* _PyRuntime exists (3.7+) */
	int has_qualname;	/* co_qualname (3.11+) */
	int frame_has_owner;	/* owner == consts.frame_owned_by_cstack marks shims (3.12+) */
	int instr_ptr_is_prev;	/* instr_ptr points at the last executed unit (3.11, 3.12) */
	int executable_is_stackref; /* f_executable is a tagged _PyStackRef (3.14+) */
	int long_is_tagged;	/* PyLong uses lv_tag (3.12+) */
	int unicode_has_wstr;	/* PyASCIIObject has wstr (<=3.11) */
	enum pyx_tasks_model tasks_model;
	enum pyx_running_loop_model running_loop_model;
	enum pyx_await_model await_model;
	const char *asyncio_source; /* where the TaskObj offsets come from: "table 3.14",
				      "_AsyncioDebug 3.14 + table" */
	char asyncio_error[192];    /* why the target's _AsyncioDebug was refused, or "" */
	struct pyx_offsets off;
};

/* Static table for minor version 3.minor, or NULL when we have none.
 * Tables exist for 3.6-3.15; for 3.13+ they supply what _Py_DebugOffsets
 * does not carry. */
const struct pyx_offsets *pyx_layout_table(int minor);

/* Builds the layout for a target of version `version_hex`. For 3.13+ pass the
 * address of the target's _Py_DebugOffsets (the start of _PyRuntime), which is
 * read, validated as untrusted input and cross-checked against our table;
 * pass 0 for older versions. Returns 0, -PYX_E_UNSUPPORTED_VERSION (message
 * names the version and why), -PYX_E_BAD_DATA (debug offsets fail
 * validation) or a memsrc error. */
int pyx_layout_init(struct pyx_layout *out, uint32_t version_hex, struct pyx_memsrc *src,
		    uint64_t debug_offsets_addr, struct pyx_error *err);

/* Checks that every field the decoder reads from a span it copies (a frame
 * header, a code object, a str header...) lies inside that span. Run on
 * layouts built from a target's _Py_DebugOffsets; -PYX_E_BAD_DATA names the
 * field. */
int pyx_layout_check_spans(const struct pyx_offsets *off, struct pyx_error *err);

/* "3.11.7", "3.13.0rc2", or "3.9" when only major.minor is known (low 16
 * bits zero, from a file name), for a PY_VERSION_HEX value. */
void pyx_layout_format_version(uint32_t hex, char *buf, size_t len);

/* Applies what the full version (3.X.Y) changes inside one minor's table,
 * once it is known: pyx_layout_init does it for the version it is given, the
 * decoder again when only sys.version told the patch level (before 3.11).
 * 3.10.0-3.10.5 lack fut_exception_tb. Sets L->version_hex. */
void pyx_layout_refine_version(struct pyx_layout *L, uint32_t version_hex);

/* Fills capability flags from out->version_hex (used by pyx_layout_init and
 * by unit tests that build a layout from a table). */
void pyx_layout_set_caps(struct pyx_layout *out);

/* Overlays the target's Py_AsyncioModuleDebugOffsets (3.14+, the
 * .AsyncioDebug section of the object holding _asyncio, `len` bytes or 0 when
 * unknown, at addr) onto L, after validating it as untrusted input (sizes
 * sane, offsets inside their sections, TaskObj as our table has it since
 * the decoder reads other TaskObj fields from the table). Sets
 * L->asyncio_source. 0, -PYX_E_BAD_DATA (message says which value),
 * -PYX_E_UNSUPPORTED_VERSION (before 3.14) or a memsrc error; L unchanged on
 * failure. */
int pyx_layout_asyncio_debug(struct pyx_layout *L, struct pyx_memsrc *src, uint64_t addr,
			     uint64_t len, struct pyx_error *err);

/* Writes "section.field = value" lines for every field (debugging aid). */
void pyx_layout_dump(const struct pyx_layout *layout, void (*line)(void *ctx, const char *text),
		     void *ctx);

/* Field accessors on a local copy of a remote structure. `off` may be
 * PYX_ABSENT; callers check with PYX_HAS() first. Never cast remote buffers
 * to structs: read through these. */
#define PYX_HAS(off) ((off) >= 0)
static inline uint64_t pyx_get_u64(const void *buf, int32_t off)
{
	uint64_t v;
	if (off < 0) /* PYX_ABSENT: a field this version lacks reads as 0 */
		return 0;
	memcpy(&v, (const char *)buf + off, sizeof v);
	return v;
}
static inline uint32_t pyx_get_u32(const void *buf, int32_t off)
{
	uint32_t v;
	if (off < 0) /* PYX_ABSENT: a field this version lacks reads as 0 */
		return 0;
	memcpy(&v, (const char *)buf + off, sizeof v);
	return v;
}
static inline int32_t pyx_get_i32(const void *buf, int32_t off)
{
	int32_t v;
	if (off < 0) /* PYX_ABSENT: a field this version lacks reads as 0 */
		return 0;
	memcpy(&v, (const char *)buf + off, sizeof v);
	return v;
}
static inline int64_t pyx_get_i64(const void *buf, int32_t off)
{
	int64_t v;
	if (off < 0) /* PYX_ABSENT: a field this version lacks reads as 0 */
		return 0;
	memcpy(&v, (const char *)buf + off, sizeof v);
	return v;
}
static inline uint8_t pyx_get_u8(const void *buf, int32_t off)
{
	if (off < 0)
		return 0;
	return ((const uint8_t *)buf)[off];
}

#endif
