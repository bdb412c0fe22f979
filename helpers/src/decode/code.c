/* SPDX-License-Identifier: MIT */
/* Code-object decoding with a per-snapshot cache. A deep stack usually
 * repeats a handful of code objects, so names, file names and line tables are
 * read once; each frame then costs one frame read and a line lookup. */
#include <errno.h>
#include <string.h>

#include "code.h"
#include "linetable.h"
#include "objects.h"

enum { CODE_BUF_MAX = 4096 };

/* Open addressing on the code object's address, in arena memory: growing
 * abandons the old slot array, which costs at most as much again. */
struct pyx_code_cache {
	struct pyx_code **slots;
	size_t cap, n;
};

int pyx_code_cache_create(struct pyx_decoder *d, struct pyx_error *err)
{
	struct pyx_code_cache *c = pyx_arena_alloc(d->arena, sizeof *c);
	if (c) {
		c->cap = 256;
		c->slots = pyx_arena_calloc(d->arena, c->cap, sizeof *c->slots);
	}
	if (!c || !c->slots)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	d->codes = c;
	return 0;
}

void pyx_code_cache_destroy(struct pyx_decoder *d)
{
	if (d)
		d->codes = NULL; /* arena memory */
}

static size_t slot_of(const struct pyx_code_cache *c, uint64_t addr)
{
	uint64_t h = (addr >> 4) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (c->cap - 1);
}

static int cache_put(struct pyx_decoder *d, struct pyx_code *code)
{
	struct pyx_code_cache *c = d->codes;
	if ((c->n + 1) * 2 > c->cap) {
		size_t old_cap = c->cap;
		struct pyx_code **old = c->slots;
		struct pyx_code **slots = pyx_arena_calloc(d->arena, old_cap * 2, sizeof *slots);
		if (!slots)
			return -1;
		c->slots = slots;
		c->cap = old_cap * 2;
		for (size_t i = 0; i < old_cap; i++) {
			if (!old[i])
				continue;
			size_t s = slot_of(c, old[i]->addr);
			while (c->slots[s])
				s = (s + 1) & (c->cap - 1);
			c->slots[s] = old[i];
		}
	}
	size_t s = slot_of(c, code->addr);
	while (c->slots[s])
		s = (s + 1) & (c->cap - 1);
	c->slots[s] = code;
	c->n++;
	return 0;
}

static struct pyx_code *cache_find(const struct pyx_code_cache *c, uint64_t addr)
{
	size_t s = slot_of(c, addr);
	while (c->slots[s]) {
		if (c->slots[s]->addr == addr)
			return c->slots[s];
		s = (s + 1) & (c->cap - 1);
	}
	return NULL;
}

/* Reads a str field of the code object; a failure leaves "?" so one bad
 * name does not lose the frame. */
static const char *str_field(struct pyx_decoder *d, const unsigned char *buf, int32_t off)
{
	const char *s = NULL;
	if (PYX_HAS(off) && pyx_obj_str(d, pyx_get_u64(buf, off), &s, NULL) == 0)
		return s;
	return "?";
}

/* Names of a tuple of str (varnames etc.) appended to names[*n...]. */
static int tuple_names(struct pyx_decoder *d, uint64_t tuple_addr, const char **names,
		       int max, int *n, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t size;
	if (!tuple_addr)
		return 0;
	int rc = pyx_memsrc_read_u64(d->src, tuple_addr + (uint64_t)o->tuple_object.ob_size, &size,
				     err);
	if (rc < 0)
		return rc;
	if (size > (uint64_t)(max - *n))
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, tuple_addr,
				     "name tuple at 0x%llx has %llu items",
				     (unsigned long long)tuple_addr, (unsigned long long)size);
	uint64_t items[256];
	for (uint64_t i = 0; i < size; i += 256) {
		size_t chunk = size - i < 256 ? (size_t)(size - i) : 256;
		rc = pyx_memsrc_read(d->src, tuple_addr + (uint64_t)o->tuple_object.ob_item + i * 8,
				     items, chunk * 8, err);
		if (rc < 0)
			return rc;
		for (size_t k = 0; k < chunk; k++) {
			const char *s = NULL;
			names[(*n)++] = pyx_obj_str(d, items[k], &s, NULL) == 0 ? s : "?";
		}
	}
	return 0;
}

enum { MAX_LOCAL_NAMES = 65536 };

static int tuple_len(struct pyx_decoder *d, uint64_t tuple_addr, int *out, struct pyx_error *err)
{
	uint64_t size = 0;
	*out = 0;
	if (!tuple_addr)
		return 0;
	int rc = pyx_memsrc_read_u64(
		d->src, tuple_addr + (uint64_t)d->layout->off.tuple_object.ob_size, &size, err);
	if (rc < 0)
		return rc;
	if (size > MAX_LOCAL_NAMES)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, tuple_addr,
				     "name tuple at 0x%llx has %llu items",
				     (unsigned long long)tuple_addr, (unsigned long long)size);
	*out = (int)size;
	return 0;
}

static int read_local_names(struct pyx_decoder *d, struct pyx_code *code,
			    const unsigned char *buf, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	int32_t fields[3] = {o->code_object.localsplusnames, PYX_ABSENT, PYX_ABSENT};
	if (!PYX_HAS(fields[0])) {
		fields[0] = o->code_object.varnames;
		fields[1] = o->code_object.cellvars;
		fields[2] = o->code_object.freevars;
	}
	int total = 0, n = 0, rc;
	for (int i = 0; i < 3; i++) {
		int len;
		if (!PYX_HAS(fields[i]))
			continue;
		rc = tuple_len(d, pyx_get_u64(buf, fields[i]), &len, err);
		if (rc < 0)
			return rc;
		total += len;
	}
	const char **names = pyx_arena_calloc(d->arena, (size_t)total + 1, sizeof *names);
	if (!names)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	for (int i = 0; i < 3; i++) {
		if (!PYX_HAS(fields[i]))
			continue;
		int before = n;
		rc = tuple_names(d, pyx_get_u64(buf, fields[i]), names, total, &n, err);
		if (rc < 0)
			return rc;
		if (i == 0)
			code->nvarnames = n - before;
		else if (i == 1)
			code->ncellvars = n - before;
	}
	if (PYX_HAS(o->code_object.localspluskinds)) {
		const uint8_t *kinds = NULL;
		size_t klen = 0;
		uint64_t kinds_addr = pyx_get_u64(buf, o->code_object.localspluskinds);
		if (kinds_addr &&
		    pyx_obj_bytes(d, kinds_addr, (size_t)total, &kinds, &klen, NULL) == 0 &&
		    klen == (size_t)n)
			code->localkinds = kinds;
	}
	code->localnames = names;
	code->nlocalsplus = n;
	return 0;
}

/* First code object of a snapshot: its type must be named "code". */
static int is_code_type(struct pyx_decoder *d, uint64_t code_addr, uint64_t type)
{
	const char *name = NULL;
	if (pyx_obj_type_name(d, code_addr, &name, NULL) < 0 || strcmp(name, "code"))
		return 0;
	d->code_type_addr = type;
	return 1;
}

int pyx_code_get(struct pyx_decoder *d, uint64_t addr, struct pyx_code **out,
		 struct pyx_error *err)
{
	struct pyx_code *code = cache_find(d->codes, addr);
	if (code) {
		*out = code;
		return 0;
	}
	const struct pyx_layout *L = d->layout;
	const struct pyx_offsets *o = &L->off;
	unsigned char buf[CODE_BUF_MAX];
	size_t size = (size_t)o->code_object.size;
	if (size == 0 || size > sizeof buf)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "bad code object size %zu", size);
	if (d->codes->n >= d->opts.limits.max_code_objects)
		return pyx_error_set(err, PYX_E_LIMIT, 0, addr,
				     "more than %zu distinct code objects",
				     d->opts.limits.max_code_objects);
	if (!addr)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "a frame without a code object");
	int rc = pyx_memsrc_read(d->src, addr, buf, size, err);
	if (rc < 0)
		return rc;
	/* A frame's code pointer is target data: check the type once per code
	 * object (cached), and the type's name once per snapshot. */
	uint64_t type = pyx_get_u64(buf, o->pyobject.ob_type);
	if (d->code_type_addr ? type != d->code_type_addr : !is_code_type(d, addr, type))
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "0x%llx is not a code object",
				     (unsigned long long)addr);
	code = pyx_arena_alloc(d->arena, sizeof *code);
	if (!code)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	code->addr = addr;
	code->last_offset = -1;
	code->name = str_field(d, buf, o->code_object.name);
	code->qualname = L->has_qualname ? str_field(d, buf, o->code_object.qualname) : code->name;
	code->filename = str_field(d, buf, o->code_object.filename);
	code->firstlineno = pyx_get_i32(buf, o->code_object.firstlineno);
	code->argcount = pyx_get_i32(buf, o->code_object.argcount);
	int32_t table_off = L->linetable == PYX_LINES_LNOTAB ? o->code_object.lnotab
							     : o->code_object.linetable;
	if (PYX_HAS(table_off)) {
		uint64_t table_addr = pyx_get_u64(buf, table_off);
		if (pyx_obj_bytes(d, table_addr, d->opts.limits.max_linetable, &code->linetable,
				  &code->linetable_len, NULL) < 0)
			code->linetable_len = 0;
	}
	if (PYX_HAS(o->code_object.co_code_adaptive))
		code->code_start = addr + (uint64_t)o->code_object.co_code_adaptive;
	/* 3.12+ runs the end of a class call's __init__ in a static shim code
	 * object, _Py_InitCleanup (Python/specialize.c), named "__init__" with
	 * file name "__init__" and no locations: it is not a Python frame. */
	code->is_shim = L->frame_model == PYX_FRAMES_INTERP && !strcmp(code->filename, "__init__") &&
			!strcmp(code->name, "__init__");
	if (cache_put(d, code) < 0)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	*out = code;
	return 0;
}

int pyx_code_local_names(struct pyx_decoder *d, struct pyx_code *code, struct pyx_error *err)
{
	if (code->localnames)
		return 0;
	unsigned char buf[CODE_BUF_MAX];
	size_t size = (size_t)d->layout->off.code_object.size;
	if (size == 0 || size > sizeof buf)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, code->addr, "bad code object size %zu",
				     size);
	int rc = pyx_memsrc_read(d->src, code->addr, buf, size, err);
	if (rc < 0)
		return rc;
	return read_local_names(d, code, buf, err);
}

int pyx_code_line(struct pyx_decoder *d, struct pyx_code *code, uint64_t pos)
{
	const struct pyx_layout *L = d->layout;
	int offset;
	if (L->linetable == PYX_LINES_LOCATIONS) {
		if (pos < code->code_start)
			offset = 0; /* not started yet: prev_instr is one before */
		else if (pos - code->code_start > (1u << 30))
			return 0;
		else
			offset = (int)((pos - code->code_start) / 2);
	} else {
		/* f_lasti is an int the target wrote: keep offset * 2 in range */
		int64_t lasti = (int64_t)pos;
		offset = lasti < 0 ? 0 : lasti > (1 << 28) ? (1 << 28) : (int)lasti;
	}
	if (offset == code->last_offset)
		return code->last_line;
	int line;
	switch (L->linetable) {
	case PYX_LINES_LNOTAB:
		line = pyx_line_lnotab(code->linetable, code->linetable_len, code->firstlineno,
				       offset);
		break;
	case PYX_LINES_LINETABLE:
		line = pyx_line_linetable310(code->linetable, code->linetable_len,
					     code->firstlineno, offset * 2);
		break;
	default:
		line = pyx_line_locations(code->linetable, code->linetable_len, code->firstlineno,
					  offset);
		/* A thread caught between instructions can sit on a unit with no
		 * location (an inline cache or an artificial instruction): show
		 * the line of the instruction before it, as a traceback would. */
		for (int back = 1; !line && back <= 16 && offset - back >= 0; back++)
			line = pyx_line_locations(code->linetable, code->linetable_len,
						  code->firstlineno, offset - back);
		break;
	}
	code->last_offset = offset;
	code->last_line = line;
	return line;
}
