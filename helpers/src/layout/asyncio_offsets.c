/* SPDX-License-Identifier: MIT */
/* The _asyncio module's own offsets table (3.14+): Py_AsyncioModuleDebugOffsets,
 * which CPython places in an ELF section named .AsyncioDebug of whatever
 * object holds _asyncio (Modules/_asynciomodule.c, GENERATE_DEBUG_SECTION).
 * A target's copy is untrusted input: every size and offset is validated
 * before it replaces our table's values. */
#include <stdio.h>
#include <string.h>

#include "layout.h"

/* The words of Py_AsyncioModuleDebugOffsets in struct order (3.14.0 to
 * 3.15.0rc1: 13 uint64_t), and where each lands in our offsets. A size is
 * width 0; an offset carries the bytes we read there. */
struct word {
	const char *name;
	size_t field_off;
	int section; /* index into sections[] */
	uint8_t width;
};

enum { SEC_TASK, SEC_INTERP, SEC_THREAD, NSEC };

#define W(sec, section, field, width)                                                              \
	{                                                                                          \
#section "." #field, offsetof(struct pyx_offsets, section.field), sec, width       \
	}
static const struct word words[] = {
    W(SEC_TASK, asyncio_task_object, size, 0),
    W(SEC_TASK, asyncio_task_object, task_name, 8),
    W(SEC_TASK, asyncio_task_object, task_awaited_by, 8),
    W(SEC_TASK, asyncio_task_object, task_is_task, 1),
    W(SEC_TASK, asyncio_task_object, task_awaited_by_is_set, 1),
    W(SEC_TASK, asyncio_task_object, task_coro, 8),
    W(SEC_TASK, asyncio_task_object, task_node, 16),
    W(SEC_INTERP, asyncio_interpreter_state, size, 0),
    W(SEC_INTERP, asyncio_interpreter_state, asyncio_tasks_head, 16),
    W(SEC_THREAD, asyncio_thread_state, size, 0),
    W(SEC_THREAD, asyncio_thread_state, asyncio_running_loop, 8),
    W(SEC_THREAD, asyncio_thread_state, asyncio_running_task, 8),
    W(SEC_THREAD, asyncio_thread_state, asyncio_tasks_head, 16),
};
#define NWORDS (sizeof words / sizeof words[0])

/* Sizes above these are corrupt: TaskObj is ~170 bytes, _PyThreadStateImpl
 * ~1 KiB, PyInterpreterState a few hundred KiB. */
static const uint64_t max_size[NSEC] = {4096, 4 * 1024 * 1024, 64 * 1024};

static int32_t *field(struct pyx_offsets *o, size_t off)
{
	return (int32_t *)(void *)((char *)o + off);
}

/* TaskObj fields we still take from our table (fut_waiter, fut_state,
 * fut_loop, the callbacks) must sit where the table says: that holds when
 * the TaskObj offsets the target carries agree with the table. The thread
 * and interpreter sections have no table-only fields: their values are
 * taken as the target gives them. */
static int table_agrees(const struct pyx_offsets *table, const uint64_t *v, char *why,
			size_t why_len)
{
	for (size_t i = 0; i < NWORDS; i++) {
		if (words[i].section != SEC_TASK)
			continue; /* nothing else of those sections comes from the table */
		int32_t t = *field((struct pyx_offsets *)table, words[i].field_off);
		if (t != PYX_ABSENT && (uint64_t)t != v[i]) {
			snprintf(why, why_len, "%s is %llu where pyxray's table has %d",
				 words[i].name, (unsigned long long)v[i], (int)t);
			return 0;
		}
	}
	return 1;
}

int pyx_layout_asyncio_debug(struct pyx_layout *L, struct pyx_memsrc *src, uint64_t addr,
			     uint64_t len, struct pyx_error *err)
{
	uint64_t v[NWORDS], size[NSEC] = {0};
	char why[160];
	int rc;

	if (!PYX_HAS(L->off.asyncio_task_object.task_node))
		return pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				     "Python 3.%d has no _AsyncioDebug offsets", L->minor);
	if (len && len < sizeof v)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				     "_AsyncioDebug at 0x%llx is %llu bytes, not %zu",
				     (unsigned long long)addr, (unsigned long long)len, sizeof v);
	rc = pyx_memsrc_read(src, addr, v, sizeof v, err);
	if (rc < 0) {
		pyx_error_wrap(err, "reading _AsyncioDebug at 0x%llx", (unsigned long long)addr);
		return rc;
	}
	for (size_t i = 0; i < NWORDS; i++)
		if (words[i].width == 0) {
			if (v[i] == 0 || v[i] > max_size[words[i].section])
				return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
						     "_AsyncioDebug %s = %llu is not a sane size",
						     words[i].name, (unsigned long long)v[i]);
			size[words[i].section] = v[i];
		}
	for (size_t i = 0; i < NWORDS; i++) {
		uint64_t s = size[words[i].section];
		if (words[i].width && (v[i] > s || s - v[i] < words[i].width))
			return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
					     "_AsyncioDebug %s = %llu does not fit in its section "
					     "(%llu bytes)",
					     words[i].name, (unsigned long long)v[i],
					     (unsigned long long)s);
	}
	/* The thread fields are read past PyThreadState, inside
	 * _PyThreadStateImpl, whose head it is. */
	if (L->off.thread_state.size > 0 && size[SEC_THREAD] < (uint64_t)L->off.thread_state.size)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				     "_AsyncioDebug thread state size %llu is smaller than "
				     "PyThreadState (%d)",
				     (unsigned long long)size[SEC_THREAD],
				     (int)L->off.thread_state.size);
	if (!table_agrees(&L->off, v, why, sizeof why))
		return pyx_error_set(
		    err, PYX_E_BAD_DATA, 0, addr,
		    "this build's TaskObj is not one pyxray knows: _AsyncioDebug %s", why);
	for (size_t i = 0; i < NWORDS; i++)
		*field(&L->off, words[i].field_off) = (int32_t)v[i];
	L->asyncio_source = L->minor == 14   ? "_AsyncioDebug 3.14 + table"
			    : L->minor == 15 ? "_AsyncioDebug 3.15 + table"
					     : "_AsyncioDebug + table";
	return 0;
}
