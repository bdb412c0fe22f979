/* SPDX-License-Identifier: MIT */
/* Layout probe: gen-layout-table compiles this against ONE CPython's installed
 * headers (public and internal, with Py_BUILD_CORE) and runs it; it prints the
 * C source of helpers/src/layout/tables/pyNN.c. Every field of fields.def must
 * have a VAL_<section>_<field> definition below (offsetof, sizeof, a constant
 * or ABSENT) for this version, or the probe fails to compile. */
#define Py_BUILD_CORE 1
#include <Python.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define AT_LEAST(minor) (PY_VERSION_HEX >= ((3 << 24) | ((minor) << 16)))
#define BEFORE(minor) (!AT_LEAST(minor))

#if BEFORE(6)
#error "layout-probe supports CPython 3.6 and later"
#endif
#ifdef Py_GIL_DISABLED
#error "layout-probe describes the default (GIL) build, not a free-threaded one"
#endif

/* Headers that declare the structures; several are not pulled in by Python.h. */
#if BEFORE(11)
#include <code.h>
#include <frameobject.h>
#include <longintrepr.h>
#endif
#if AT_LEAST(7) && BEFORE(8)
#include <internal/pystate.h>
#elif AT_LEAST(8) && BEFORE(9)
#include <internal/pycore_pystate.h>
#elif AT_LEAST(9)
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#endif
#if AT_LEAST(10)
#include <internal/pycore_moduleobject.h>
#endif
#if AT_LEAST(11)
#include <internal/pycore_dict.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_object.h>
#endif
#if AT_LEAST(13)
#include <internal/pycore_tstate.h>
#endif
#if AT_LEAST(14)
#include <internal/pycore_interpframe.h>
#include <internal/pycore_llist.h>
#include <internal/pycore_stackref.h>
#endif
#include <opcode.h>

#define ABSENT (-1L)

/* Objects/dict-common.h (3.6-3.10) and Objects/moduleobject.c (<= 3.9) are not
 * installed; these restate the layouts they define so offsetof() can see them. */
#if BEFORE(11)
struct probe_dictkeys {
	Py_ssize_t dk_refcnt;
	Py_ssize_t dk_size;
	void *dk_lookup; /* dict_lookup_func */
	Py_ssize_t dk_usable;
	Py_ssize_t dk_nentries;
	char dk_indices[];
};
struct probe_dictkeyentry {
	Py_hash_t me_hash;
	PyObject *me_key;
	PyObject *me_value;
};
#endif
#if BEFORE(10)
struct probe_module {
	PyObject ob_base; /* PyObject_HEAD */
	PyObject *md_dict;
	struct PyModuleDef *md_def;
	void *md_state;
	PyObject *md_weaklist;
	PyObject *md_name;
};
#define PROBE_MODULE struct probe_module
#else
#define PROBE_MODULE PyModuleObject
#endif

/* Modules/_asynciomodule.c is not installed: TaskObj, whose head is FutureObj,
 * restated per version from that file. Every release of a minor has the same
 * layout, checked tag by tag, except 3.10: FutureObj_HEAD gained
 * fut_exception_tb after fut_exception in 3.10.6 (bpo-45924); these
 * headers are 3.10.6 or later, and layout.c takes 3.10.0-3.10.5 from them. */
#if AT_LEAST(7)
typedef int probe_fut_state; /* enum fut_state: PENDING 0, CANCELLED 1, FINISHED 2 */
#define PROBE_HEAD_COMMON                                                                          \
	PyObject_HEAD PyObject *loop;                                                              \
	PyObject *callback0;                                                                       \
	PyObject *context0;                                                                        \
	PyObject *callbacks;                                                                       \
	PyObject *exception;
#if BEFORE(9) /* 3.7, 3.8 */
struct probe_task {
	PROBE_HEAD_COMMON
	PyObject *result;
	PyObject *source_tb;
	probe_fut_state state;
	int log_tb;
	int blocking;
	PyObject *dict;
	PyObject *weakreflist;
	PyObject *fut_waiter;
	PyObject *coro;
#if AT_LEAST(8)
	PyObject *name;
#endif
	PyObject *context;
	int must_cancel;
	int log_destroy_pending;
};
#elif BEFORE(11) /* 3.9, 3.10.6+ */
struct probe_task {
	PROBE_HEAD_COMMON
#if AT_LEAST(10)
	PyObject *exception_tb;
#endif
	PyObject *result;
	PyObject *source_tb;
	PyObject *cancel_msg;
	probe_fut_state state;
	int log_tb;
	int blocking;
	PyObject *dict;
	PyObject *weakreflist;
	_PyErr_StackItem cancelled_exc_state;
	PyObject *fut_waiter;
	PyObject *coro;
	PyObject *name;
	PyObject *context;
	int must_cancel;
	int log_destroy_pending;
};
#elif BEFORE(13) /* 3.11, 3.12 */
struct probe_task {
	PROBE_HEAD_COMMON
	PyObject *exception_tb;
	PyObject *result;
	PyObject *source_tb;
	PyObject *cancel_msg;
	probe_fut_state state;
	int log_tb;
	int blocking;
	PyObject *dict;
	PyObject *weakreflist;
	PyObject *cancelled_exc;
	PyObject *fut_waiter;
	PyObject *coro;
	PyObject *name;
	PyObject *context;
	int must_cancel;
	int log_destroy_pending;
	int num_cancels_requested;
};
#else /* 3.13, and 3.14+ with awaited_by, is_task and the task list node */
struct probe_task {
	PROBE_HEAD_COMMON
	PyObject *exception_tb;
	PyObject *result;
	PyObject *source_tb;
	PyObject *cancel_msg;
	PyObject *cancelled_exc;
#if AT_LEAST(14)
	PyObject *awaited_by;
#endif
	probe_fut_state state;
#if AT_LEAST(14)
	char is_task;
	char awaited_by_is_set;
#endif
	unsigned log_tb : 1;
	unsigned blocking : 1;
	unsigned must_cancel : 1;
	unsigned log_destroy_pending : 1;
	int num_cancels_requested;
	PyObject *fut_waiter;
	PyObject *coro;
	PyObject *name;
	PyObject *context;
#if AT_LEAST(14)
	struct llist_node task_node;
#endif
};
#endif
/* Small objects of _asynciomodule.c, Objects/genobject.c and
 * Modules/_functoolsmodule.c: a pointer after the object header, the same
 * in every version that has them. */
struct probe_future_iter { /* futureiterobject */
	PyObject_HEAD PyObject *future;
};
struct probe_wakeup { /* TaskWakeupMethWrapper, 3.7-3.9 */
	PyObject_HEAD PyObject *ww_task;
};
struct probe_loop_holder { /* PyRunningLoopHolder, 3.7-3.11 */
	PyObject_HEAD PyObject *rl_loop;
};
#endif
struct probe_asend { /* PyAsyncGenASend (3.6+) */
	PyObject_HEAD PyObject *ags_gen;
};
struct probe_athrow { /* PyAsyncGenAThrow (3.6+) */
	PyObject_HEAD PyObject *agt_gen;
};
struct probe_partial { /* partialobject: fn and args follow the header */
	PyObject_HEAD PyObject *fn;
	PyObject *args;
};

/* ---- runtime_state: _PyRuntimeState (3.7+; 3.6 keeps these in globals) ---- */
#if AT_LEAST(7)
#define VAL_runtime_state_size sizeof(_PyRuntimeState)
#if BEFORE(9)
#define VAL_runtime_state_finalizing offsetof(_PyRuntimeState, finalizing)
#else
#define VAL_runtime_state_finalizing offsetof(_PyRuntimeState, _finalizing)
#endif
#define VAL_runtime_state_interpreters_head offsetof(_PyRuntimeState, interpreters.head)
#define VAL_runtime_state_interpreters_main offsetof(_PyRuntimeState, interpreters.main)
#else
#define VAL_runtime_state_size ABSENT
#define VAL_runtime_state_finalizing ABSENT
#define VAL_runtime_state_interpreters_head ABSENT
#define VAL_runtime_state_interpreters_main ABSENT
#endif
#if AT_LEAST(7) && BEFORE(12)
#define VAL_runtime_state_gilstate_tstate_current offsetof(_PyRuntimeState, gilstate.tstate_current)
#define VAL_runtime_state_ceval_gil offsetof(_PyRuntimeState, ceval.gil)
#else
#define VAL_runtime_state_gilstate_tstate_current ABSENT
#define VAL_runtime_state_ceval_gil ABSENT
#endif

/* ---- interpreter_state: PyInterpreterState ---- */
#define VAL_interpreter_state_size sizeof(PyInterpreterState)
#if AT_LEAST(7)
#define VAL_interpreter_state_id offsetof(PyInterpreterState, id)
#else
#define VAL_interpreter_state_id ABSENT
#endif
#define VAL_interpreter_state_next offsetof(PyInterpreterState, next)
#if BEFORE(11)
#define VAL_interpreter_state_threads_head offsetof(PyInterpreterState, tstate_head)
#else
#define VAL_interpreter_state_threads_head offsetof(PyInterpreterState, threads.head)
#endif
#if BEFORE(12)
#define VAL_interpreter_state_imports_modules offsetof(PyInterpreterState, modules)
#else
#define VAL_interpreter_state_imports_modules offsetof(PyInterpreterState, imports.modules)
#endif
#if AT_LEAST(13)
#define VAL_interpreter_state_threads_main offsetof(PyInterpreterState, threads.main)
#else
#define VAL_interpreter_state_threads_main ABSENT
#endif
#define VAL_interpreter_state_sysdict offsetof(PyInterpreterState, sysdict)
#define VAL_interpreter_state_builtins offsetof(PyInterpreterState, builtins)
#if AT_LEAST(12)
#define VAL_interpreter_state_ceval_gil offsetof(PyInterpreterState, ceval.gil)
#define VAL_interpreter_state_gil_runtime_state offsetof(PyInterpreterState, _gil)
#else
#define VAL_interpreter_state_ceval_gil ABSENT
#define VAL_interpreter_state_gil_runtime_state ABSENT
#endif

/* ---- gc: struct _gc_runtime_state, in _PyRuntime (3.7, 3.8), in each
 * interpreter (3.9+); 3.6 keeps it in gcmodule.c's statics ---- */
#if AT_LEAST(7) && BEFORE(9)
#define VAL_runtime_state_gc offsetof(_PyRuntimeState, gc)
#else
#define VAL_runtime_state_gc ABSENT
#endif
#if AT_LEAST(9)
#define VAL_interpreter_state_gc offsetof(PyInterpreterState, gc)
#else
#define VAL_interpreter_state_gc ABSENT
#endif
#if AT_LEAST(7)
#define VAL_gc_size sizeof(struct _gc_runtime_state)
#define VAL_gc_collecting offsetof(struct _gc_runtime_state, collecting)
#else
#define VAL_gc_size ABSENT
#define VAL_gc_collecting ABSENT
#endif

/* ---- gil_runtime_state: struct _gil_runtime_state (3.7+; static in 3.6) ---- */
#if AT_LEAST(7)
#define VAL_gil_runtime_state_size sizeof(struct _gil_runtime_state)
#define VAL_gil_runtime_state_locked offsetof(struct _gil_runtime_state, locked)
#define VAL_gil_runtime_state_last_holder offsetof(struct _gil_runtime_state, last_holder)
#else
#define VAL_gil_runtime_state_size ABSENT
#define VAL_gil_runtime_state_locked ABSENT
#define VAL_gil_runtime_state_last_holder ABSENT
#endif

/* ---- thread_state: PyThreadState ---- */
#define VAL_thread_state_size sizeof(PyThreadState)
#define VAL_thread_state_prev offsetof(PyThreadState, prev)
#define VAL_thread_state_next offsetof(PyThreadState, next)
#define VAL_thread_state_interp offsetof(PyThreadState, interp)
#if BEFORE(11)
#define VAL_thread_state_frame offsetof(PyThreadState, frame)
#else
#define VAL_thread_state_frame ABSENT
#endif
#if AT_LEAST(11) && BEFORE(13)
#define VAL_thread_state_cframe offsetof(PyThreadState, cframe)
#else
#define VAL_thread_state_cframe ABSENT
#endif
#if AT_LEAST(13)
#define VAL_thread_state_current_frame offsetof(PyThreadState, current_frame)
#else
#define VAL_thread_state_current_frame ABSENT
#endif
#define VAL_thread_state_thread_id offsetof(PyThreadState, thread_id)
#if AT_LEAST(11)
#define VAL_thread_state_native_thread_id offsetof(PyThreadState, native_thread_id)
#define VAL_thread_state_datastack_chunk offsetof(PyThreadState, datastack_chunk)
#else
#define VAL_thread_state_native_thread_id ABSENT
#define VAL_thread_state_datastack_chunk ABSENT
#endif
#define VAL_thread_state_dict offsetof(PyThreadState, dict)

/* ---- cframe: _PyCFrame (3.11, 3.12) ---- */
#if AT_LEAST(11) && BEFORE(13)
#define VAL_cframe_size sizeof(_PyCFrame)
#define VAL_cframe_current_frame offsetof(_PyCFrame, current_frame)
#else
#define VAL_cframe_size ABSENT
#define VAL_cframe_current_frame ABSENT
#endif

/* ---- interpreter_frame: _PyInterpreterFrame (3.11+) ---- */
#if AT_LEAST(11)
#define VAL_interpreter_frame_size sizeof(_PyInterpreterFrame)
#define VAL_interpreter_frame_previous offsetof(_PyInterpreterFrame, previous)
#define VAL_interpreter_frame_localsplus offsetof(_PyInterpreterFrame, localsplus)
#define VAL_interpreter_frame_owner offsetof(_PyInterpreterFrame, owner)
#if BEFORE(14)
#define VAL_interpreter_frame_stackpointer offsetof(_PyInterpreterFrame, stacktop)
#else
#define VAL_interpreter_frame_stackpointer offsetof(_PyInterpreterFrame, stackpointer)
#endif
#define VAL_interpreter_frame_globals offsetof(_PyInterpreterFrame, f_globals)
#else
#define VAL_interpreter_frame_size ABSENT
#define VAL_interpreter_frame_previous ABSENT
#define VAL_interpreter_frame_localsplus ABSENT
#define VAL_interpreter_frame_owner ABSENT
#define VAL_interpreter_frame_stackpointer ABSENT
#define VAL_interpreter_frame_globals ABSENT
#endif
#if AT_LEAST(11) && BEFORE(13)
#define VAL_interpreter_frame_executable offsetof(_PyInterpreterFrame, f_code)
#define VAL_interpreter_frame_instr_ptr offsetof(_PyInterpreterFrame, prev_instr)
#elif AT_LEAST(13)
#define VAL_interpreter_frame_executable offsetof(_PyInterpreterFrame, f_executable)
#define VAL_interpreter_frame_instr_ptr offsetof(_PyInterpreterFrame, instr_ptr)
#else
#define VAL_interpreter_frame_executable ABSENT
#define VAL_interpreter_frame_instr_ptr ABSENT
#endif
#if AT_LEAST(11) && BEFORE(12)
#define VAL_interpreter_frame_is_entry offsetof(_PyInterpreterFrame, is_entry)
#define VAL_interpreter_frame_funcobj offsetof(_PyInterpreterFrame, f_func)
#elif AT_LEAST(12)
#define VAL_interpreter_frame_is_entry ABSENT
#define VAL_interpreter_frame_funcobj offsetof(_PyInterpreterFrame, f_funcobj)
#else
#define VAL_interpreter_frame_is_entry ABSENT
#define VAL_interpreter_frame_funcobj ABSENT
#endif

/* ---- frame_object: PyFrameObject ---- */
#define VAL_frame_object_size sizeof(PyFrameObject)
#define VAL_frame_object_f_lineno offsetof(PyFrameObject, f_lineno)
#if BEFORE(11)
#define VAL_frame_object_f_back offsetof(PyFrameObject, f_back)
#define VAL_frame_object_f_code offsetof(PyFrameObject, f_code)
#define VAL_frame_object_f_lasti offsetof(PyFrameObject, f_lasti)
#define VAL_frame_object_f_localsplus offsetof(PyFrameObject, f_localsplus)
#define VAL_frame_object_f_globals offsetof(PyFrameObject, f_globals)
#define VAL_frame_object_f_frame ABSENT
#else
#define VAL_frame_object_f_back ABSENT
#define VAL_frame_object_f_code ABSENT
#define VAL_frame_object_f_lasti ABSENT
#define VAL_frame_object_f_localsplus ABSENT
#define VAL_frame_object_f_globals ABSENT
#define VAL_frame_object_f_frame offsetof(PyFrameObject, f_frame)
#endif

/* ---- code_object: PyCodeObject ---- */
#define VAL_code_object_size sizeof(PyCodeObject)
#define VAL_code_object_filename offsetof(PyCodeObject, co_filename)
#define VAL_code_object_name offsetof(PyCodeObject, co_name)
#define VAL_code_object_firstlineno offsetof(PyCodeObject, co_firstlineno)
#define VAL_code_object_argcount offsetof(PyCodeObject, co_argcount)
#define VAL_code_object_kwonlyargcount offsetof(PyCodeObject, co_kwonlyargcount)
#define VAL_code_object_nlocals offsetof(PyCodeObject, co_nlocals)
#define VAL_code_object_flags offsetof(PyCodeObject, co_flags)
#if AT_LEAST(8)
#define VAL_code_object_posonlyargcount offsetof(PyCodeObject, co_posonlyargcount)
#else
#define VAL_code_object_posonlyargcount ABSENT
#endif
#if BEFORE(10)
#define VAL_code_object_lnotab offsetof(PyCodeObject, co_lnotab)
#define VAL_code_object_linetable ABSENT
#else
#define VAL_code_object_lnotab ABSENT
#define VAL_code_object_linetable offsetof(PyCodeObject, co_linetable)
#endif
#if BEFORE(11)
#define VAL_code_object_qualname ABSENT
#define VAL_code_object_nlocalsplus ABSENT
#define VAL_code_object_varnames offsetof(PyCodeObject, co_varnames)
#define VAL_code_object_cellvars offsetof(PyCodeObject, co_cellvars)
#define VAL_code_object_freevars offsetof(PyCodeObject, co_freevars)
#define VAL_code_object_localsplusnames ABSENT
#define VAL_code_object_localspluskinds ABSENT
#define VAL_code_object_code offsetof(PyCodeObject, co_code)
#define VAL_code_object_co_code_adaptive ABSENT
#else
#define VAL_code_object_qualname offsetof(PyCodeObject, co_qualname)
#define VAL_code_object_nlocalsplus offsetof(PyCodeObject, co_nlocalsplus)
#define VAL_code_object_varnames ABSENT
#define VAL_code_object_cellvars ABSENT
#define VAL_code_object_freevars ABSENT
#define VAL_code_object_localsplusnames offsetof(PyCodeObject, co_localsplusnames)
#define VAL_code_object_localspluskinds offsetof(PyCodeObject, co_localspluskinds)
#define VAL_code_object_code ABSENT
#define VAL_code_object_co_code_adaptive offsetof(PyCodeObject, co_code_adaptive)
#endif

/* ---- plain objects ---- */
#define VAL_pyobject_size sizeof(PyObject)
#define VAL_pyobject_ob_refcnt offsetof(PyObject, ob_refcnt)
#define VAL_pyobject_ob_type offsetof(PyObject, ob_type)

#define VAL_var_object_size sizeof(PyVarObject)
#define VAL_var_object_ob_size offsetof(PyVarObject, ob_size)

#define VAL_type_object_size sizeof(PyTypeObject)
#define VAL_type_object_tp_name offsetof(PyTypeObject, tp_name)
#define VAL_type_object_tp_basicsize offsetof(PyTypeObject, tp_basicsize)
#define VAL_type_object_tp_itemsize offsetof(PyTypeObject, tp_itemsize)
#define VAL_type_object_tp_flags offsetof(PyTypeObject, tp_flags)
#define VAL_type_object_tp_dictoffset offsetof(PyTypeObject, tp_dictoffset)
#define VAL_type_object_tp_base offsetof(PyTypeObject, tp_base)
#define VAL_type_object_tp_mro offsetof(PyTypeObject, tp_mro)

#define VAL_heap_type_object_size sizeof(PyHeapTypeObject)
#define VAL_heap_type_object_ht_name offsetof(PyHeapTypeObject, ht_name)
#define VAL_heap_type_object_ht_qualname offsetof(PyHeapTypeObject, ht_qualname)
#define VAL_heap_type_object_ht_cached_keys offsetof(PyHeapTypeObject, ht_cached_keys)

#define VAL_tuple_object_size sizeof(PyTupleObject)
#define VAL_tuple_object_ob_size offsetof(PyTupleObject, ob_base.ob_size)
#define VAL_tuple_object_ob_item offsetof(PyTupleObject, ob_item)

#define VAL_list_object_size sizeof(PyListObject)
#define VAL_list_object_ob_size offsetof(PyListObject, ob_base.ob_size)
#define VAL_list_object_ob_item offsetof(PyListObject, ob_item)

#define VAL_set_object_size sizeof(PySetObject)
#define VAL_set_object_fill offsetof(PySetObject, fill)
#define VAL_set_object_used offsetof(PySetObject, used)
#define VAL_set_object_mask offsetof(PySetObject, mask)
#define VAL_set_object_table offsetof(PySetObject, table)

#define VAL_dict_object_size sizeof(PyDictObject)
#define VAL_dict_object_ma_used offsetof(PyDictObject, ma_used)
#define VAL_dict_object_ma_keys offsetof(PyDictObject, ma_keys)
#define VAL_dict_object_ma_values offsetof(PyDictObject, ma_values)

/* ---- dict_keys: struct _dictkeysobject; dict_values: struct _dictvalues ---- */
#if BEFORE(11)
#define VAL_dict_keys_size sizeof(struct probe_dictkeys)
#define VAL_dict_keys_dk_size offsetof(struct probe_dictkeys, dk_size)
#define VAL_dict_keys_dk_log2_size ABSENT
#define VAL_dict_keys_dk_log2_index_bytes ABSENT
#define VAL_dict_keys_dk_kind ABSENT
#define VAL_dict_keys_dk_nentries offsetof(struct probe_dictkeys, dk_nentries)
#define VAL_dict_keys_dk_indices offsetof(struct probe_dictkeys, dk_indices)
/* ma_values is a bare PyObject ** array. */
#define VAL_dict_values_size ABSENT
#define VAL_dict_values_valid ABSENT
#define VAL_dict_values_values 0
#define VAL_dict_values_capacity ABSENT
#define VAL_dict_values_order_len ABSENT
#define VAL_consts_dict_entry_size sizeof(struct probe_dictkeyentry)
#define VAL_consts_dict_unicode_entry_size ABSENT
#else
#define VAL_dict_keys_size sizeof(PyDictKeysObject)
#define VAL_dict_keys_dk_size ABSENT
#define VAL_dict_keys_dk_log2_size offsetof(PyDictKeysObject, dk_log2_size)
#define VAL_dict_keys_dk_log2_index_bytes offsetof(PyDictKeysObject, dk_log2_index_bytes)
#define VAL_dict_keys_dk_kind offsetof(PyDictKeysObject, dk_kind)
#define VAL_dict_keys_dk_nentries offsetof(PyDictKeysObject, dk_nentries)
#define VAL_dict_keys_dk_indices offsetof(PyDictKeysObject, dk_indices)
#define VAL_dict_values_size sizeof(PyDictValues)
#if AT_LEAST(13)
#define VAL_dict_values_valid offsetof(PyDictValues, valid)
#define VAL_dict_values_capacity offsetof(PyDictValues, capacity)
#define VAL_dict_values_order_len offsetof(PyDictValues, size)
#else
#define VAL_dict_values_valid ABSENT
#define VAL_dict_values_capacity ABSENT
#define VAL_dict_values_order_len ABSENT
#endif
#define VAL_dict_values_values offsetof(PyDictValues, values)
#define VAL_consts_dict_entry_size sizeof(PyDictKeyEntry)
#define VAL_consts_dict_unicode_entry_size sizeof(PyDictUnicodeEntry)
#endif

#define VAL_float_object_size sizeof(PyFloatObject)
#define VAL_float_object_ob_fval offsetof(PyFloatObject, ob_fval)

#define VAL_long_object_size sizeof(PyLongObject)
#if AT_LEAST(12)
#define VAL_long_object_lv_tag offsetof(PyLongObject, long_value.lv_tag)
#define VAL_long_object_ob_digit offsetof(PyLongObject, long_value.ob_digit)
#else
#define VAL_long_object_lv_tag ABSENT
#define VAL_long_object_ob_digit offsetof(PyLongObject, ob_digit)
#endif

#define VAL_bytes_object_size sizeof(PyBytesObject)
#define VAL_bytes_object_ob_size offsetof(PyBytesObject, ob_base.ob_size)
#define VAL_bytes_object_ob_sval offsetof(PyBytesObject, ob_sval)

#define VAL_unicode_object_size sizeof(PyUnicodeObject)
#define VAL_unicode_object_state offsetof(PyASCIIObject, state)
#define VAL_unicode_object_length offsetof(PyASCIIObject, length)
#define VAL_unicode_object_asciiobject_size sizeof(PyASCIIObject)
#define VAL_unicode_object_compactunicodeobject_size sizeof(PyCompactUnicodeObject)
#define VAL_unicode_object_data offsetof(PyUnicodeObject, data.any)

#define VAL_module_object_size sizeof(PROBE_MODULE)
#define VAL_module_object_md_dict offsetof(PROBE_MODULE, md_dict)

#define VAL_cell_object_size sizeof(PyCellObject)
#define VAL_cell_object_ob_ref offsetof(PyCellObject, ob_ref)

/* ---- frame value stacks (for what a suspended coroutine awaits) ---- */
#if BEFORE(10)
#define VAL_frame_object_f_stacktop offsetof(PyFrameObject, f_stacktop)
#else
#define VAL_frame_object_f_stacktop ABSENT
#endif
#if BEFORE(11)
#define VAL_frame_object_f_valuestack offsetof(PyFrameObject, f_valuestack)
#else
#define VAL_frame_object_f_valuestack ABSENT
#endif
#if AT_LEAST(10) && BEFORE(11)
#define VAL_frame_object_f_stackdepth offsetof(PyFrameObject, f_stackdepth)
#define VAL_frame_object_f_state offsetof(PyFrameObject, f_state)
#else
#define VAL_frame_object_f_stackdepth ABSENT
#define VAL_frame_object_f_state ABSENT
#endif

/* ---- gen_object: PyGenObject ---- */
#define VAL_gen_object_size sizeof(PyGenObject)
#if BEFORE(11)
#define VAL_gen_object_gi_frame offsetof(PyGenObject, gi_frame)
#define VAL_gen_object_gi_iframe ABSENT
#define VAL_gen_object_gi_frame_state ABSENT
#else
#define VAL_gen_object_gi_frame ABSENT
#define VAL_gen_object_gi_iframe offsetof(PyGenObject, gi_iframe)
#define VAL_gen_object_gi_frame_state offsetof(PyGenObject, gi_frame_state)
#endif
#if BEFORE(10)
#define VAL_gen_object_gi_running offsetof(PyGenObject, gi_running)
#else
#define VAL_gen_object_gi_running ABSENT
#endif

/* ---- asyncio: TaskObj and the thread and interpreter lists ---- */
#if AT_LEAST(7)
#define VAL_asyncio_task_object_size sizeof(struct probe_task)
#define VAL_asyncio_task_object_task_loop offsetof(struct probe_task, loop)
#define VAL_asyncio_task_object_task_callback0 offsetof(struct probe_task, callback0)
#define VAL_asyncio_task_object_task_callbacks offsetof(struct probe_task, callbacks)
#define VAL_asyncio_task_object_task_state offsetof(struct probe_task, state)
#define VAL_asyncio_task_object_task_fut_waiter offsetof(struct probe_task, fut_waiter)
#define VAL_asyncio_task_object_task_coro offsetof(struct probe_task, coro)
#define VAL_asyncio_objects_future_iter_future offsetof(struct probe_future_iter, future)
#else
#define VAL_asyncio_task_object_size ABSENT
#define VAL_asyncio_task_object_task_loop ABSENT
#define VAL_asyncio_task_object_task_callback0 ABSENT
#define VAL_asyncio_task_object_task_callbacks ABSENT
#define VAL_asyncio_task_object_task_state ABSENT
#define VAL_asyncio_task_object_task_fut_waiter ABSENT
#define VAL_asyncio_task_object_task_coro ABSENT
#define VAL_asyncio_objects_future_iter_future ABSENT
#endif
#if AT_LEAST(8)
#define VAL_asyncio_task_object_task_name offsetof(struct probe_task, name)
#else
#define VAL_asyncio_task_object_task_name ABSENT
#endif
#if AT_LEAST(10)
#define VAL_asyncio_task_object_task_exception_tb offsetof(struct probe_task, exception_tb)
#else
#define VAL_asyncio_task_object_task_exception_tb ABSENT
#endif
#if AT_LEAST(7) && BEFORE(13)
#define VAL_asyncio_task_object_task_must_cancel offsetof(struct probe_task, must_cancel)
#else
#define VAL_asyncio_task_object_task_must_cancel ABSENT
#endif
#if AT_LEAST(11)
#define VAL_asyncio_task_object_task_num_cancels_requested                                          \
	offsetof(struct probe_task, num_cancels_requested)
#else
#define VAL_asyncio_task_object_task_num_cancels_requested ABSENT
#endif
#if AT_LEAST(14)
#define VAL_asyncio_task_object_task_awaited_by offsetof(struct probe_task, awaited_by)
#define VAL_asyncio_task_object_task_is_task offsetof(struct probe_task, is_task)
#define VAL_asyncio_task_object_task_awaited_by_is_set offsetof(struct probe_task, awaited_by_is_set)
#define VAL_asyncio_task_object_task_node offsetof(struct probe_task, task_node)
#define VAL_asyncio_interpreter_state_size sizeof(PyInterpreterState)
#define VAL_asyncio_interpreter_state_asyncio_tasks_head                                            \
	offsetof(PyInterpreterState, asyncio_tasks_head)
#define VAL_asyncio_thread_state_asyncio_running_task                                               \
	offsetof(_PyThreadStateImpl, asyncio_running_task)
#define VAL_asyncio_thread_state_asyncio_tasks_head offsetof(_PyThreadStateImpl, asyncio_tasks_head)
#define VAL_llist_node_next offsetof(struct llist_node, next)
#define VAL_llist_node_prev offsetof(struct llist_node, prev)
#else
#define VAL_asyncio_task_object_task_awaited_by ABSENT
#define VAL_asyncio_task_object_task_is_task ABSENT
#define VAL_asyncio_task_object_task_awaited_by_is_set ABSENT
#define VAL_asyncio_task_object_task_node ABSENT
#define VAL_asyncio_interpreter_state_size ABSENT
#define VAL_asyncio_interpreter_state_asyncio_tasks_head ABSENT
#define VAL_asyncio_thread_state_asyncio_running_task ABSENT
#define VAL_asyncio_thread_state_asyncio_tasks_head ABSENT
#define VAL_llist_node_next ABSENT
#define VAL_llist_node_prev ABSENT
#endif
#if AT_LEAST(13)
#define VAL_asyncio_thread_state_size sizeof(_PyThreadStateImpl)
#define VAL_asyncio_thread_state_asyncio_running_loop                                               \
	offsetof(_PyThreadStateImpl, asyncio_running_loop)
#else
#define VAL_asyncio_thread_state_size ABSENT
#define VAL_asyncio_thread_state_asyncio_running_loop ABSENT
#endif
#if AT_LEAST(7) && BEFORE(10)
#define VAL_asyncio_objects_wakeup_task offsetof(struct probe_wakeup, ww_task)
#else
#define VAL_asyncio_objects_wakeup_task ABSENT
#endif
#if AT_LEAST(7) && BEFORE(12)
#define VAL_asyncio_objects_running_loop_holder_loop offsetof(struct probe_loop_holder, rl_loop)
#else
#define VAL_asyncio_objects_running_loop_holder_loop ABSENT
#endif
#define VAL_asyncio_objects_asend_gen offsetof(struct probe_asend, ags_gen)
#define VAL_asyncio_objects_athrow_gen offsetof(struct probe_athrow, agt_gen)

/* ---- callables that asyncio keeps as done callbacks ---- */
#define VAL_weakref_object_size sizeof(PyWeakReference)
#define VAL_weakref_object_wr_object offsetof(PyWeakReference, wr_object)
#define VAL_method_object_im_func offsetof(PyMethodObject, im_func)
#define VAL_method_object_im_self offsetof(PyMethodObject, im_self)
#define VAL_cfunction_object_m_self offsetof(PyCFunctionObject, m_self)
#define VAL_function_object_func_closure offsetof(PyFunctionObject, func_closure)
#define VAL_partial_object_fn offsetof(struct probe_partial, fn)
#define VAL_partial_object_args offsetof(struct probe_partial, args)

/* ---- consts ---- */
/* enum _frameowner: 3.12 and 3.13 mark the C-stack entry frame with
 * FRAME_OWNED_BY_CSTACK (3); 3.14 marks it FRAME_OWNED_BY_INTERPRETER (3) and
 * moves CSTACK to 4; 3.15 drops CSTACK (Include/internal/pycore_frame.h,
 * pycore_interpframe_structs.h). */
#if AT_LEAST(12) && BEFORE(15)
#define VAL_consts_frame_owned_by_cstack FRAME_OWNED_BY_CSTACK
#else
#define VAL_consts_frame_owned_by_cstack ABSENT
#endif
#if AT_LEAST(14)
#define VAL_consts_frame_owned_by_interpreter FRAME_OWNED_BY_INTERPRETER
/* f_executable, f_funcobj and localsplus are tagged _PyStackRef values
 * (Include/internal/pycore_stackref.h, GIL build: Py_TAG_BITS). */
#define VAL_consts_stackref_tag_mask Py_TAG_BITS
#else
#define VAL_consts_frame_owned_by_interpreter ABSENT
#define VAL_consts_stackref_tag_mask 0
#endif
#ifdef Py_TPFLAGS_MANAGED_DICT
#define VAL_consts_tpflags_managed_dict Py_TPFLAGS_MANAGED_DICT
#else
#define VAL_consts_tpflags_managed_dict ABSENT
#endif
#ifdef Py_TPFLAGS_INLINE_VALUES
#define VAL_consts_tpflags_inline_values Py_TPFLAGS_INLINE_VALUES
#else
#define VAL_consts_tpflags_inline_values ABSENT
#endif
#if AT_LEAST(12) && BEFORE(13)
/* 3.12 has no MANAGED_DICT_OFFSET macro: _PyObject_DictOrValuesPointer() is
 * ((PyDictOrValues *)obj) - 3 (Include/internal/pycore_object.h). */
#define VAL_consts_managed_dict_offset (-3 * (long)sizeof(PyObject *))
#elif AT_LEAST(11)
#define VAL_consts_managed_dict_offset ((long)MANAGED_DICT_OFFSET)
#else
#define VAL_consts_managed_dict_offset ABSENT
#endif
#define VAL_consts_unicode_kind_shift unicode_kind_shift()
#define VAL_consts_unicode_compact_bit unicode_compact_bit()
#define VAL_consts_unicode_ascii_bit unicode_ascii_bit()
#if BEFORE(12)
#define VAL_consts_unicode_ready_bit unicode_ready_bit()
#else
#define VAL_consts_unicode_ready_bit ABSENT
#endif
#define VAL_consts_long_shift PyLong_SHIFT
#define VAL_consts_set_entry_size sizeof(setentry)

/* Generator frame states: PyFrameState in 3.10's frames, gi_frame_state from
 * 3.11 (Include/cpython/frameobject.h, Include/internal/pycore_frame.h). */
/* States are stored plus PYX_STATE_BIAS (layout.h): FRAME_SUSPENDED is -1
 * in 3.10-3.12, which PYX_ABSENT would swallow. */
#define PYX_STATE_BIAS 256
#if AT_LEAST(10)
#define VAL_consts_frame_created (FRAME_CREATED + PYX_STATE_BIAS)
#define VAL_consts_frame_suspended (FRAME_SUSPENDED + PYX_STATE_BIAS)
#define VAL_consts_frame_executing (FRAME_EXECUTING + PYX_STATE_BIAS)
#define VAL_consts_frame_cleared (FRAME_CLEARED + PYX_STATE_BIAS)
#else
#define VAL_consts_frame_created ABSENT
#define VAL_consts_frame_suspended ABSENT
#define VAL_consts_frame_executing ABSENT
#define VAL_consts_frame_cleared ABSENT
#endif
#if AT_LEAST(13)
#define VAL_consts_frame_suspended_yield_from (FRAME_SUSPENDED_YIELD_FROM + PYX_STATE_BIAS)
#else
#define VAL_consts_frame_suspended_yield_from ABSENT
#endif
/* Opcodes that mark a suspended `await` (Objects/genobject.c _PyGen_yf):
 * the next instruction is YIELD_FROM (<=3.10), or a RESUME whose oparg is
 * 2 or more (3.11, 3.12); 3.13+ keep FRAME_SUSPENDED_YIELD_FROM instead. */
#if BEFORE(11)
#define VAL_consts_opcode_yield_from YIELD_FROM
#define VAL_consts_opcode_resume ABSENT
#else
#define VAL_consts_opcode_yield_from ABSENT
#define VAL_consts_opcode_resume RESUME
#endif
#if AT_LEAST(11) && BEFORE(12)
#define VAL_consts_opcode_resume_quick RESUME_QUICK
#else
#define VAL_consts_opcode_resume_quick ABSENT
#endif
/* Where a suspended `await` keeps the awaited object: the top of the value
 * stack, and from 3.15 the entry below it (GH-145667 merged GET_ITER and
 * GET_YIELD_FROM_ITER; Objects/genobject.c gen_getyieldfrom peeks depth 2).
 * Not in any header: restated from that file. */
#if AT_LEAST(15)
#define VAL_consts_awaited_stack_depth 2
#else
#define VAL_consts_awaited_stack_depth 1
#endif
#if AT_LEAST(12)
#define VAL_consts_opcode_instrumented_resume INSTRUMENTED_RESUME
#else
#define VAL_consts_opcode_instrumented_resume ABSENT
#endif

/* Bit positions inside PyASCIIObject.state, found by setting one bitfield in
 * a zeroed object and looking for the bit in the word: the compiler decides
 * bitfield order, so the probe asks it rather than assuming. */
static long state_bit(const PyASCIIObject *obj)
{
	uint32_t word;
	memcpy(&word, (const char *)obj + offsetof(PyASCIIObject, state), sizeof word);
	for (long bit = 0; bit < 32; bit++)
		if (word & (UINT32_C(1) << bit))
			return bit;
	return ABSENT;
}

static long unicode_kind_shift(void)
{
	PyASCIIObject obj;
	memset(&obj, 0, sizeof obj);
	obj.state.kind = 1;
	return state_bit(&obj);
}

static long unicode_compact_bit(void)
{
	PyASCIIObject obj;
	memset(&obj, 0, sizeof obj);
	obj.state.compact = 1;
	return state_bit(&obj);
}

static long unicode_ascii_bit(void)
{
	PyASCIIObject obj;
	memset(&obj, 0, sizeof obj);
	obj.state.ascii = 1;
	return state_bit(&obj);
}

#if BEFORE(12)
static long unicode_ready_bit(void)
{
	PyASCIIObject obj;
	memset(&obj, 0, sizeof obj);
	obj.state.ready = 1;
	return state_bit(&obj);
}
#endif

static int nfields;

static void emit(const char *field, long value)
{
	nfields++;
	if (value == ABSENT)
		printf("\t\t.%s = PYX_ABSENT,\n", field);
	else
		printf("\t\t.%s = %ld,\n", field, value);
}

int main(void)
{
	printf("/* SPDX-License-Identifier: MIT */\n"
	       "/* generated by helpers/tools/gen-layout-table from CPython %s headers; do not "
	       "edit, regenerate */\n"
	       "#include \"../layout.h\"\n"
	       "#include \"tables.h\"\n\n"
	       "const struct pyx_offsets pyx_table_py3%d = {\n",
	       PY_VERSION, PY_MINOR_VERSION);
#define PYX_SECTION_BEGIN(section) printf("\t.%s = {\n", #section);
#define PYX_FIELD(section, field) emit(#field, (long)(VAL_##section##_##field));
#define PYX_SECTION_END(section) printf("\t},\n");
#include "layout/fields.def"
	printf("};\n\n"
	       "_Static_assert(sizeof(struct pyx_offsets) == %d * sizeof(int32_t),\n"
	       "\t       \"fields.def changed since this table was generated: run "
	       "helpers/tools/gen-layout-table\");\n",
	       nfields);
	return 0;
}
