/* SPDX-License-Identifier: MIT */
/* written from CPython v3.15.0rc1 headers: Include/internal/pycore_runtime_structs.h, pycore_interp_structs.h, pycore_interpframe_structs.h, pycore_frame.h, pycore_gil.h, pycore_dict.h, pycore_object.h, pycore_stackref.h, pycore_moduleobject.h, Include/cpython/ (code.h, object.h, pystate.h, unicodeobject.h, ...); fields _Py_DebugOffsets carries are overridden at run time */
/* No 3.15 is installed to generate this table from: the values are x86_64
 * (LP64), default build (no Py_DEBUG, GIL enabled), worked out from the
 * structures in those headers. What a target's _Py_DebugOffsets carries
 * replaces them at run time and is cross-checked against them. */
#include "../layout.h"
#include "tables.h"

const struct pyx_offsets pyx_table_py315 = {
	/* struct pyruntimestate, Include/internal/pycore_runtime_structs.h */
	.runtime_state = {
		.size = 346264,
		.finalizing = 912,
		.interpreters_head = 936,
		.interpreters_main = 944,
		.gilstate_tstate_current = PYX_ABSENT,
		.ceval_gil = PYX_ABSENT,
	},
	/* struct _is, Include/internal/pycore_interp_structs.h */
	.interpreter_state = {
		.size = 226224,
		.id = 7272,
		.next = 7264,
		.threads_head = 7336,
		.threads_main = 7352,
		.imports_modules = 7592,
		.sysdict = 7576,
		.builtins = 7584,
		.ceval_gil = 16,
		.gil_runtime_state = 7736,
	},
	/* struct _gil_runtime_state, Include/internal/pycore_gil.h */
	.gil_runtime_state = {
		.size = 208,
		.locked = 16,
		.last_holder = 8,
	},
	/* struct _ts, Include/cpython/pystate.h */
	.thread_state = {
		.size = 888,
		.prev = 0,
		.next = 8,
		.interp = 16,
		.frame = PYX_ABSENT,
		.cframe = PYX_ABSENT,
		.current_frame = 72,
		.thread_id = 176,
		.native_thread_id = 184,
		.datastack_chunk = 256,
		.dict = 152,
	},
	/* _PyCFrame is gone since 3.13 */
	.cframe = {
		.size = PYX_ABSENT,
		.current_frame = PYX_ABSENT,
	},
	/* struct _PyInterpreterFrame, Include/internal/pycore_interpframe_structs.h */
	.interpreter_frame = {
		.size = 88,
		.previous = 8,
		.executable = 0, /* _PyStackRef f_executable */
		.instr_ptr = 56,
		.localsplus = 80, /* _PyStackRef localsplus[], after uint8_t visited */
		.owner = 74, /* char, after uint16_t return_offset */
		.is_entry = PYX_ABSENT,
		.stackpointer = 64, /* _PyStackRef *stackpointer */
		.globals = 24,
		.funcobj = 16,
	},
	/* struct _frame, Include/internal/pycore_frame.h */
	.frame_object = {
		.size = 80,
		.f_back = PYX_ABSENT,
		.f_code = PYX_ABSENT,
		.f_lasti = PYX_ABSENT,
		.f_lineno = 40,
		.f_localsplus = PYX_ABSENT,
		.f_globals = PYX_ABSENT,
		.f_frame = 24,
	},
	/* PyCodeObject, Include/cpython/code.h */
	.code_object = {
		.size = 216,
		.filename = 112,
		.name = 120,
		.qualname = 128,
		.linetable = 136,
		.lnotab = PYX_ABSENT,
		.firstlineno = 68,
		.argcount = 52,
		.posonlyargcount = 56,
		.kwonlyargcount = 60,
		.nlocals = 80,
		.nlocalsplus = 72,
		.flags = 48,
		.varnames = PYX_ABSENT,
		.cellvars = PYX_ABSENT,
		.freevars = PYX_ABSENT,
		.localsplusnames = 96,
		.localspluskinds = 104,
		.code = PYX_ABSENT,
		.co_code_adaptive = 208,
	},
	/* PyObject, Include/object.h (GIL build) */
	.pyobject = {
		.size = 16,
		.ob_refcnt = 0,
		.ob_type = 8,
	},
	/* PyVarObject, Include/object.h */
	.var_object = {
		.size = 24,
		.ob_size = 16,
	},
	/* PyTypeObject, Include/cpython/object.h */
	.type_object = {
		.size = 424,
		.tp_name = 24,
		.tp_basicsize = 32,
		.tp_itemsize = 40,
		.tp_flags = 168,
		.tp_dictoffset = 288,
		.tp_base = 256,
		.tp_mro = 344,
	},
	/* PyHeapTypeObject, Include/cpython/object.h */
	.heap_type_object = {
		.size = 944,
		.ht_name = 864,
		.ht_qualname = 880,
		.ht_cached_keys = 888,
	},
	/* PyTupleObject, Include/cpython/tupleobject.h */
	.tuple_object = {
		.size = 40,
		.ob_size = 16,
		.ob_item = 32, /* after Py_hash_t ob_hash, new in 3.14 */
	},
	/* PyListObject, Include/cpython/listobject.h */
	.list_object = {
		.size = 40,
		.ob_size = 16,
		.ob_item = 24,
	},
	/* PySetObject, Include/cpython/setobject.h */
	.set_object = {
		.size = 200,
		.fill = 16,
		.used = 24,
		.mask = 32,
		.table = 40,
	},
	/* PyDictObject, Include/cpython/dictobject.h */
	.dict_object = {
		.size = 48,
		.ma_used = 16,
		.ma_keys = 32,
		.ma_values = 40,
	},
	/* struct _dictkeysobject, Include/internal/pycore_dict.h */
	.dict_keys = {
		.size = 32,
		.dk_size = PYX_ABSENT,
		.dk_log2_size = 8,
		.dk_log2_index_bytes = 9,
		.dk_kind = 10,
		.dk_nentries = 24,
		.dk_indices = 32,
	},
	/* struct _dictvalues, Include/internal/pycore_dict.h */
	.dict_values = {
		.size = 16,
		.valid = 3,
		.values = 8, /* inline values start at obj + tp_basicsize */
		.capacity = 0,
		.order_len = 1, /* uint8_t size */
	},
	/* PyFloatObject, Include/cpython/floatobject.h */
	.float_object = {
		.size = 24,
		.ob_fval = 16,
	},
	/* struct _longobject, Include/cpython/longintrepr.h */
	.long_object = {
		.size = 32,
		.lv_tag = 16,
		.ob_digit = 24,
	},
	/* PyBytesObject, Include/cpython/bytesobject.h */
	.bytes_object = {
		.size = 40,
		.ob_size = 16,
		.ob_sval = 32,
	},
	/* PyASCIIObject and friends, Include/cpython/unicodeobject.h */
	.unicode_object = {
		.size = 64,
		.state = 32,
		.length = 16,
		.asciiobject_size = 40,
		.compactunicodeobject_size = 56,
		.data = 56,
	},
	/* PyModuleObject, Include/internal/pycore_moduleobject.h */
	.module_object = {
		.size = 104,
		.md_dict = 16,
	},
	/* PyCellObject, Include/cpython/cellobject.h */
	.cell_object = {
		.size = 24,
		.ob_ref = 16,
	},
	/* constants */
	.consts = {
		.frame_owned_by_cstack = PYX_ABSENT, /* dropped from enum _frameowner in 3.15 */
		.frame_owned_by_interpreter = 3, /* owner of the C-stack entry frame (Python/ceval.c) */
		.stackref_tag_mask = 3, /* Py_TAG_BITS, GIL build */
		.tpflags_managed_dict = 16,
		.tpflags_inline_values = 4,
		.managed_dict_offset = -24, /* MANAGED_DICT_OFFSET */
		.unicode_kind_shift = 2,
		.unicode_compact_bit = 5,
		.unicode_ascii_bit = 6,
		.unicode_ready_bit = PYX_ABSENT,
		.long_shift = 30,
		.dict_entry_size = 24,
		.dict_unicode_entry_size = 16,
		.set_entry_size = 16,
	},
};

_Static_assert(sizeof(struct pyx_offsets) == 146 * sizeof(int32_t),
	       "fields.def changed: give every new field a value in this table");
