/* SPDX-License-Identifier: MIT */
/* Unit tests for the version-layout layer: every table is present and holds
 * what its version's capabilities need; _Py_DebugOffsets images built from
 * our per-version descriptors parse to the expected offsets; corrupt or
 * unsupported inputs are refused with the right code and message. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "layout/debug_offsets.h"
#include "layout/layout.h"
#include "tap.h"
#include "world.h"

#define HEX(minor) ((uint32_t)(0x030000f0u | ((uint32_t)(minor) << 16)))
#define FIELD(off, field_off) (*(const int32_t *)(const void *)((const char *)(off) + (field_off)))

static const uint64_t DO_BASE = 0x7f0000001000ull;

struct field_info {
	const char *section, *name;
	size_t off;
};
static const struct field_info fields[] = {
#define PYX_SECTION_BEGIN(section)
#define PYX_FIELD(section, field) {#section, #field, offsetof(struct pyx_offsets, section.field)},
#define PYX_SECTION_END(section)
#include "layout/fields.def"
#undef PYX_SECTION_BEGIN
#undef PYX_FIELD
#undef PYX_SECTION_END
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* ---- tables ---- */

static int32_t section_size(const struct pyx_offsets *t, const char *section)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].section, section) == 0 && strcmp(fields[i].name, "size") == 0)
			return FIELD(t, fields[i].off);
	return PYX_ABSENT;
}

/* Every present offset lies inside its section (a flexible array member may
 * start exactly at the end). */
static void test_offsets_inside(int minor, const struct pyx_offsets *t)
{
	int bad = 0;
	for (size_t i = 0; i < NFIELDS; i++) {
		int32_t size = section_size(t, fields[i].section), v = FIELD(t, fields[i].off);
		if (strcmp(fields[i].section, "consts") == 0 || strcmp(fields[i].name, "size") == 0)
			continue;
		if (v == PYX_ABSENT || size == PYX_ABSENT)
			continue;
		if (v < 0 || v > size) {
			printf("# 3.%d %s.%s = %d outside size %d\n", minor, fields[i].section,
			       fields[i].name, v, size);
			bad++;
		}
	}
	is_int(bad, 0, "3.%d: every offset lies inside its section", minor);
}

#define NEED(cond, field)                                                                          \
	ok((t->field != PYX_ABSENT) == !!(cond), "3.%d: " #field " %s", minor,                     \
	   (cond) ? "present" : "absent")

static void test_table(int minor)
{
	const struct pyx_offsets *t = pyx_layout_table(minor);
	struct pyx_layout l;

	ok(t != NULL, "3.%d: table exists", minor);
	if (!t)
		return;
	memset(&l, 0, sizeof l);
	l.version_hex = HEX(minor);
	pyx_layout_set_caps(&l);
	is_int(l.minor, minor, "3.%d: caps set minor", minor);

	/* Always walked. */
	ok(PYX_HAS(t->thread_state.next) && PYX_HAS(t->thread_state.interp) &&
	       PYX_HAS(t->thread_state.thread_id) && PYX_HAS(t->interpreter_state.next) &&
	       PYX_HAS(t->interpreter_state.threads_head) &&
	       PYX_HAS(t->interpreter_state.imports_modules) && PYX_HAS(t->code_object.filename) &&
	       PYX_HAS(t->code_object.name) && PYX_HAS(t->code_object.firstlineno) &&
	       PYX_HAS(t->pyobject.ob_type) && PYX_HAS(t->type_object.tp_name) &&
	       PYX_HAS(t->tuple_object.ob_item) && PYX_HAS(t->unicode_object.state) &&
	       PYX_HAS(t->unicode_object.asciiobject_size) &&
	       PYX_HAS(t->consts.unicode_kind_shift) && PYX_HAS(t->dict_keys.dk_indices),
	   "3.%d: fields every version needs are present", minor);
	is_int(t->consts.long_shift, 30, "3.%d: PyLong_SHIFT", minor);
	is_int(t->pyobject.ob_type, 8, "3.%d: ob_type at 8", minor);

	NEED(l.has_runtime, runtime_state.interpreters_head);
	NEED(l.gil_model == PYX_GIL_RUNTIME, runtime_state.ceval_gil);
	NEED(l.gil_model == PYX_GIL_RUNTIME, runtime_state.gilstate_tstate_current);
	NEED(l.gil_model == PYX_GIL_INTERP, interpreter_state.ceval_gil);
	NEED(l.gil_model == PYX_GIL_INTERP, interpreter_state.gil_runtime_state);
	NEED(l.gil_model != PYX_GIL_TSTATE_CURRENT_GLOBAL, gil_runtime_state.locked);
	NEED(l.frame_model == PYX_FRAMES_OBJECT, thread_state.frame);
	NEED(l.frame_model == PYX_FRAMES_OBJECT, frame_object.f_back);
	NEED(l.frame_model == PYX_FRAMES_OBJECT, frame_object.f_lasti);
	NEED(l.frame_model == PYX_FRAMES_OBJECT, code_object.varnames);
	NEED(l.frame_model == PYX_FRAMES_INTERP, interpreter_frame.previous);
	NEED(l.frame_model == PYX_FRAMES_INTERP, interpreter_frame.executable);
	NEED(l.frame_model == PYX_FRAMES_INTERP, interpreter_frame.instr_ptr);
	NEED(l.frame_model == PYX_FRAMES_INTERP, code_object.co_code_adaptive);
	NEED(l.frame_model == PYX_FRAMES_INTERP, code_object.localsplusnames);
	NEED(l.tstate_frame == PYX_TSTATE_FRAME_CFRAME, thread_state.cframe);
	NEED(l.tstate_frame == PYX_TSTATE_FRAME_CFRAME, cframe.current_frame);
	NEED(l.frame_model == PYX_FRAMES_INTERP && l.tstate_frame == PYX_TSTATE_FRAME_DIRECT,
	     thread_state.current_frame);
	NEED(l.linetable == PYX_LINES_LNOTAB, code_object.lnotab);
	NEED(l.linetable != PYX_LINES_LNOTAB, code_object.linetable);
	NEED(l.has_qualname, code_object.qualname);
	NEED(minor == 11, interpreter_frame.is_entry);
	NEED(l.long_is_tagged, long_object.lv_tag);
	NEED(l.unicode_has_wstr, consts.unicode_ready_bit);
	NEED(l.dict_model == PYX_DICT_36, dict_keys.dk_size);
	NEED(l.dict_model == PYX_DICT_311, dict_keys.dk_log2_size);
	NEED(l.dict_model == PYX_DICT_311, consts.dict_unicode_entry_size);
	NEED(l.instdict_model != PYX_INSTDICT_OFFSET, consts.managed_dict_offset);
	NEED(l.instdict_model == PYX_INSTDICT_INLINE_313, consts.tpflags_inline_values);
	NEED(l.instdict_model == PYX_INSTDICT_INLINE_313, dict_values.valid);
	ok(!l.frame_has_owner || PYX_HAS(t->consts.frame_owned_by_cstack) ||
	       PYX_HAS(t->consts.frame_owned_by_interpreter),
	   "3.%d: an entry-frame owner value exists when frames have owners", minor);
	ok(!!l.executable_is_stackref == (t->consts.stackref_tag_mask != 0),
	   "3.%d: stackref tag mask matches capability", minor);
	test_offsets_inside(minor, t);
}

static void test_caps(void)
{
	struct pyx_layout l;

	memset(&l, 0, sizeof l);
	l.version_hex = HEX(6);
	pyx_layout_set_caps(&l);
	ok(l.gil_model == PYX_GIL_TSTATE_CURRENT_GLOBAL && !l.has_runtime &&
	       l.linetable == PYX_LINES_LNOTAB && l.frame_model == PYX_FRAMES_OBJECT,
	   "3.6 caps");
	l.version_hex = HEX(10);
	pyx_layout_set_caps(&l);
	ok(l.linetable == PYX_LINES_LINETABLE && l.gil_model == PYX_GIL_RUNTIME &&
	       l.dict_model == PYX_DICT_36 && l.instdict_model == PYX_INSTDICT_OFFSET,
	   "3.10 caps");
	l.version_hex = HEX(11);
	pyx_layout_set_caps(&l);
	ok(l.frame_model == PYX_FRAMES_INTERP && l.tstate_frame == PYX_TSTATE_FRAME_CFRAME &&
	       l.instr_ptr_is_prev && !l.frame_has_owner && l.unicode_has_wstr &&
	       l.instdict_model == PYX_INSTDICT_MANAGED_311,
	   "3.11 caps");
	l.version_hex = HEX(12);
	pyx_layout_set_caps(&l);
	ok(l.gil_model == PYX_GIL_INTERP && l.frame_has_owner && l.long_is_tagged &&
	       !l.unicode_has_wstr && l.instdict_model == PYX_INSTDICT_MANAGED_312,
	   "3.12 caps");
	l.version_hex = HEX(13);
	pyx_layout_set_caps(&l);
	ok(l.tstate_frame == PYX_TSTATE_FRAME_DIRECT && !l.instr_ptr_is_prev &&
	       !l.executable_is_stackref && l.instdict_model == PYX_INSTDICT_INLINE_313,
	   "3.13 caps");
	l.version_hex = HEX(14);
	pyx_layout_set_caps(&l);
	ok(l.executable_is_stackref && l.instdict_model == PYX_INSTDICT_INLINE_313, "3.14 caps");

	is_int(pyx_layout_table(12)->consts.frame_owned_by_cstack, 3, "3.12 FRAME_OWNED_BY_CSTACK");
	is_int(pyx_layout_table(13)->consts.frame_owned_by_cstack, 3, "3.13 FRAME_OWNED_BY_CSTACK");
	is_int(pyx_layout_table(14)->consts.frame_owned_by_cstack, 4, "3.14 FRAME_OWNED_BY_CSTACK");
	is_int(pyx_layout_table(14)->consts.frame_owned_by_interpreter, 3,
	       "3.14 FRAME_OWNED_BY_INTERPRETER");
	is_int(pyx_layout_table(15)->consts.frame_owned_by_cstack, PYX_ABSENT,
	       "3.15 has no FRAME_OWNED_BY_CSTACK");
	is_int(pyx_layout_table(14)->consts.stackref_tag_mask, 3, "3.14 Py_TAG_BITS");
	ok(pyx_layout_table(5) == NULL && pyx_layout_table(16) == NULL,
	   "no table outside 3.6-3.15");
}

/* ---- _Py_DebugOffsets images ---- */

/* pyx_layout_init on the image; returns its result. */
static int run_image(const struct do_image *im, uint32_t version_hex, struct pyx_layout *l,
		     struct pyx_error *err)
{
	struct test_image img;
	struct pyx_memsrc *src;
	uint64_t at;
	int rc;

	timg_init(&img, DO_BASE);
	at = timg_alloc(&img, im->desc->n_words * 8);
	timg_put(&img, at, im->words, im->desc->n_words * 8);
	src = timg_memsrc(&img);
	pyx_error_clear(err);
	rc = pyx_layout_init(l, version_hex, src, at, err);
	pyx_memsrc_close(src);
	timg_free(&img);
	return rc;
}

static void test_debug_offsets(int minor)
{
	const struct pyx_offsets *t = pyx_layout_table(minor);
	uint32_t hex = HEX(minor);
	struct do_image im;
	struct pyx_layout l;
	struct pyx_error err;
	struct pyx_offsets want;
	char expect[64];
	int rc;

	ok(pyx_do_desc_for(minor) != NULL, "3.%d: _Py_DebugOffsets descriptor", minor);

	/* A build matching the table, except float_object.ob_fval moved: that
	 * section is entirely carried, so the target's value wins. */
	build_image(&im, minor, hex);
	set_word(&im, "float_object.ob_fval", 8);
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, 0, "3.%d: valid image accepted (%s)", minor, err.msg);
	want = *t;
	want.float_object.ob_fval = 8;
	ok(memcmp(&l.off, &want, sizeof want) == 0, "3.%d: offsets are the table plus the overlay",
	   minor);
	is_int(l.off.thread_state.current_frame, t->thread_state.current_frame,
	       "3.%d: thread_state.current_frame", minor);
	is_int(l.off.gil_runtime_state.locked, t->gil_runtime_state.locked,
	       "3.%d: gil locked made relative to interp->_gil", minor);
	snprintf(expect, sizeof expect, "_Py_DebugOffsets 3.%d + table", minor);
	is_str(l.source, expect, "3.%d: source", minor);
	ok(l.frame_model == PYX_FRAMES_INTERP && l.minor == minor, "3.%d: caps set", minor);

	/* Bad cookie. */
	build_image(&im, minor, hex);
	memcpy(&im.words[0], "xdebugpz", 8);
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_BAD_DATA, "3.%d: bad cookie rejected", minor);

	/* Version of another minor. */
	build_image(&im, minor, HEX(minor - 1));
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_BAD_DATA, "3.%d: wrong version rejected", minor);

	/* An offset beyond its section. */
	build_image(&im, minor, hex);
	set_word(&im, "thread_state.current_frame", (uint64_t)t->thread_state.size);
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_BAD_DATA, "3.%d: offset beyond section size rejected", minor);
	ok(strstr(err.msg, "thread_state.current_frame") != NULL, "3.%d: message names it (%s)",
	   minor, err.msg);

	/* A huge section size. */
	build_image(&im, minor, hex);
	set_word(&im, "code_object.size", 1ull << 40);
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_BAD_DATA, "3.%d: huge section size rejected", minor);

	/* An offset inside its section that disagrees with the table where the
	 * decoder also reads table-only fields (thread_state.dict). */
	build_image(&im, minor, hex);
	set_word(&im, "thread_state.native_thread_id",
		 (uint64_t)t->thread_state.native_thread_id + 8);
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_BAD_DATA, "3.%d: cross-check mismatch rejected", minor);
	ok(strstr(err.msg, "thread_state.native_thread_id") != NULL, "3.%d: message names it (%s)",
	   minor, err.msg);

	/* The GIL member outside interp->_gil. */
	build_image(&im, minor, hex);
	set_word(&im, "interpreter_state.gil_runtime_state_locked",
		 (uint64_t)t->interpreter_state.gil_runtime_state - 8);
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_BAD_DATA, "3.%d: gil member outside _gil rejected", minor);

	/* Free-threaded build. */
	build_image(&im, minor, hex);
	im.words[2] = 1;
	rc = run_image(&im, hex, &l, &err);
	is_int(rc, -PYX_E_UNSUPPORTED_VERSION, "3.%d: free-threaded refused", minor);
	ok(l.free_threaded == 1 && strstr(err.msg, "free-threaded") != NULL,
	   "3.%d: free_threaded flagged (%s)", minor, err.msg);

	/* Truncated: the struct runs off the end of readable memory. */
	{
		struct test_image img;
		struct pyx_memsrc *src;
		uint64_t at;

		build_image(&im, minor, hex);
		timg_init(&img, DO_BASE);
		at = timg_alloc(&img, 64);
		timg_put(&img, at, im.words, 64);
		src = timg_memsrc(&img);
		rc = pyx_layout_init(&l, hex, src, at, &err);
		is_int(rc, -PYX_E_FAULT, "3.%d: unreadable _Py_DebugOffsets is a fault", minor);
		pyx_memsrc_close(src);
		timg_free(&img);
	}

	/* Without an address: the table alone. */
	rc = pyx_layout_init(&l, hex, NULL, 0, &err);
	is_int(rc, 0, "3.%d: table-only layout without an address", minor);
	ok(memcmp(&l.off, t, sizeof *t) == 0, "3.%d: table-only layout equals the table", minor);
}

static void test_versions(void)
{
	struct pyx_layout l;
	struct pyx_error err;
	int rc;

	rc = pyx_layout_init(&l, 0x031000f0, NULL, 0, &err);
	is_int(rc, -PYX_E_UNSUPPORTED_VERSION, "3.16 unsupported");
	is_str(err.msg, "Python 3.16.0 is newer than this pyxray supports (3.6-3.15)",
	       "3.16 message");
	rc = pyx_layout_init(&l, 0x030502f0, NULL, 0, &err);
	is_int(rc, -PYX_E_UNSUPPORTED_VERSION, "3.5 unsupported");
	is_str(err.msg, "Python 3.5.2 is older than this pyxray supports (3.6-3.15)",
	       "3.5 message");
	rc = pyx_layout_init(&l, 0x020712f0, NULL, 0, &err);
	is_int(rc, -PYX_E_UNSUPPORTED_VERSION, "2.7 unsupported");
	rc = pyx_layout_init(&l, 0x030f00b1, NULL, 0, &err);
	is_int(rc, -PYX_E_UNSUPPORTED_VERSION, "3.15.0b1 pre-release refused");
	ok(strstr(err.msg, "3.15.0b1") && strstr(err.msg, "3.15.0b4"), "pre-release message (%s)",
	   err.msg);
	rc = pyx_layout_init(&l, 0x030d00c1, NULL, 0, &err);
	is_int(rc, -PYX_E_UNSUPPORTED_VERSION, "3.13.0rc1 pre-release refused");
	rc = pyx_layout_init(&l, 0x030d00c2, NULL, 0, &err);
	is_int(rc, 0, "3.13.0rc2 accepted");
	rc = pyx_layout_init(&l, 0x030b07f0, NULL, 0, &err);
	is_int(rc, 0, "3.11.7 from the table");
	is_str(l.source, "table 3.11", "3.11 source");
	ok(memcmp(&l.off, pyx_layout_table(11), sizeof l.off) == 0, "3.11 layout is its table");
}

struct dump_ctx {
	int lines;
	int found;
};

static void dump_line(void *ctx, const char *text)
{
	struct dump_ctx *c = ctx;
	c->lines++;
	if (strcmp(text, "thread_state.current_frame = 72") == 0 ||
	    strcmp(text, "cframe.current_frame = absent") == 0)
		c->found++;
}

/* 3.10.0-3.10.5 TaskObj lacks fut_exception_tb: a rule on the full version
 * moves every later field down one pointer; 3.10.6+ and a bare "3.10" keep
 * the table. The other minors are untouched by the rule. */
static void test_patch_rule(void)
{
	struct pyx_layout L6, L5, Lbare;
	const struct pyx_offsets *t = pyx_layout_table(10);
	is_int(pyx_layout_init(&L6, 0x030a06f0, NULL, 0, NULL), 0, "3.10.6 layout");
	is_int(pyx_layout_init(&L5, 0x030a05f0, NULL, 0, NULL), 0, "3.10.5 layout");
	is_int(pyx_layout_init(&Lbare, 0x030a0000, NULL, 0, NULL), 0, "3.10 layout");
	is_int(L6.off.asyncio_task_object.task_coro, t->asyncio_task_object.task_coro,
	       "3.10.6 task_coro from the table");
	is_int(Lbare.off.asyncio_task_object.task_coro, t->asyncio_task_object.task_coro,
	       "3.10 (patch unknown) task_coro from the table");
	is_int(L5.off.asyncio_task_object.task_coro, t->asyncio_task_object.task_coro - 8,
	       "3.10.5 task_coro one pointer lower");
	is_int(L5.off.asyncio_task_object.task_state, t->asyncio_task_object.task_state - 8,
	       "3.10.5 task_state one pointer lower");
	is_int(L5.off.asyncio_task_object.size, t->asyncio_task_object.size - 8,
	       "3.10.5 TaskObj one pointer smaller");
	is_int(L5.off.asyncio_task_object.task_loop, t->asyncio_task_object.task_loop,
	       "3.10.5 fields before fut_exception stay");
	is_int(L5.off.asyncio_task_object.task_exception_tb, PYX_ABSENT,
	       "3.10.5 has no fut_exception_tb");
	/* Refining a bare 3.10 once sys.version tells 3.10.2. */
	pyx_layout_refine_version(&Lbare, 0x030a02f0);
	is_int(Lbare.off.asyncio_task_object.task_fut_waiter,
	       L5.off.asyncio_task_object.task_fut_waiter, "3.10 refined to 3.10.2 = 3.10.5");
	pyx_layout_refine_version(&Lbare, 0x030a02f0);
	is_int(Lbare.off.asyncio_task_object.task_fut_waiter,
	       L5.off.asyncio_task_object.task_fut_waiter, "refining twice changes nothing more");
	struct pyx_layout L9;
	is_int(pyx_layout_init(&L9, 0x030902f0, NULL, 0, NULL), 0, "3.9.2 layout");
	is_int(L9.off.asyncio_task_object.task_coro,
	       pyx_layout_table(9)->asyncio_task_object.task_coro, "3.9.2 untouched");
	is_int(L9.tasks_model, PYX_TASKS_ALL, "3.9 finds tasks in _all_tasks");
	is_int(L5.await_model, PYX_AWAIT_STACKDEPTH, "3.10 awaits through f_stackdepth");
}

static void test_dump(void)
{
	struct pyx_layout l;
	struct pyx_error err;
	struct dump_ctx c = {0, 0};

	is_int(pyx_layout_init(&l, 0x030d00f0, NULL, 0, &err), 0, "3.13 table layout");
	pyx_layout_dump(&l, dump_line, &c);
	ok(c.lines > (int)NFIELDS, "dump writes every field (%d lines)", c.lines);
	is_int(c.found, 2, "dump lines are section.field = value");
}

int main(void)
{
	for (int minor = 6; minor <= 15; minor++)
		test_table(minor);
	test_caps();
	for (int minor = 13; minor <= 15; minor++)
		test_debug_offsets(minor);
	test_versions();
	test_patch_rule();
	test_dump();
	/* Every table keeps the fields the decoder reads inside the spans it
	 * copies; a layout that does not is refused. */
	for (int minor = 6; minor <= 15; minor++) {
		const struct pyx_offsets *t = pyx_layout_table(minor);
		if (!t)
			continue;
		is_int(pyx_layout_check_spans(t, NULL), 0, "3.%d table: fields inside read spans", minor);
		struct pyx_offsets bad = *t;
		bad.unicode_object.asciiobject_size = 16;
		is_int(pyx_layout_check_spans(&bad, NULL), -PYX_E_BAD_DATA,
		       "3.%d: a str header span too short for state/length is refused", minor);
		bad = *t;
		if (bad.interpreter_frame.localsplus > 0) {
			bad.interpreter_frame.previous = bad.interpreter_frame.localsplus;
			is_int(pyx_layout_check_spans(&bad, NULL), -PYX_E_BAD_DATA,
			       "3.%d: a frame field past the frame header is refused", minor);
		}
	}
	return tap_done();
}
