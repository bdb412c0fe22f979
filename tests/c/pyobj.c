/* SPDX-License-Identifier: MIT */
/* Synthetic CPython objects for unit tests (see pyobj.h). */
#include <stdlib.h>
#include <string.h>

#include "pyobj.h"

#define TPFLAGS_BYTES_SUBCLASS (1ull << 27)
#define TPFLAGS_UNICODE_SUBCLASS (1ull << 28)

void pyobj_layout(struct pyx_layout *L, int minor)
{
	const struct pyx_offsets *t = pyx_layout_table(minor);
	if (!t)
		abort();
	memset(L, 0, sizeof *L);
	L->off = *t;
	L->version_hex = 0x03000000u | ((uint32_t)minor << 16) | 0xf0;
	L->minor = minor;
	L->source = "test";
	pyx_layout_set_caps(L);
}

uint64_t pyobj_type(struct pyobj_env *env, const char *name, uint64_t flags)
{
	const struct pyx_offsets *o = &env->L->off;
	uint64_t name_addr = timg_alloc(env->img, strlen(name) + 1);
	timg_put(env->img, name_addr, name, strlen(name) + 1);
	uint64_t t = timg_alloc(env->img, (size_t)o->type_object.size);
	timg_put_u64(env->img, t + (uint64_t)o->type_object.tp_name, name_addr);
	timg_put_u64(env->img, t + (uint64_t)o->type_object.tp_flags, flags);
	return t;
}

void pyobj_env_init(struct pyobj_env *env, struct test_image *img, const struct pyx_layout *L)
{
	env->img = img;
	env->L = L;
	env->str_type = pyobj_type(env, "str", TPFLAGS_UNICODE_SUBCLASS);
	env->bytes_type = pyobj_type(env, "bytes", TPFLAGS_BYTES_SUBCLASS);
	env->code_type = pyobj_type(env, "code", 0);
	env->int_type = pyobj_type(env, "int", 1ull << 24);
}

uint64_t pyobj_str(struct pyobj_env *env, const char *ascii)
{
	const struct pyx_offsets *o = &env->L->off;
	size_t n = strlen(ascii);
	uint64_t s = timg_alloc(env->img, (size_t)o->unicode_object.asciiobject_size + n + 1);
	timg_put_u64(env->img, s + (uint64_t)o->pyobject.ob_type, env->str_type);
	timg_put_u64(env->img, s + (uint64_t)o->unicode_object.length, n);
	uint32_t state = (1u << o->consts.unicode_kind_shift) | (1u << o->consts.unicode_compact_bit) |
			 (1u << o->consts.unicode_ascii_bit);
	if (PYX_HAS(o->consts.unicode_ready_bit))
		state |= 1u << o->consts.unicode_ready_bit;
	timg_put_u32(env->img, s + (uint64_t)o->unicode_object.state, state);
	timg_put(env->img, s + (uint64_t)o->unicode_object.asciiobject_size, ascii, n + 1);
	return s;
}

uint64_t pyobj_bytes(struct pyobj_env *env, const void *data, size_t n)
{
	const struct pyx_offsets *o = &env->L->off;
	uint64_t b = timg_alloc(env->img, (size_t)o->bytes_object.ob_sval + n + 1);
	timg_put_u64(env->img, b + (uint64_t)o->pyobject.ob_type, env->bytes_type);
	timg_put_u64(env->img, b + (uint64_t)o->bytes_object.ob_size, n);
	if (n)
		timg_put(env->img, b + (uint64_t)o->bytes_object.ob_sval, data, n);
	return b;
}

uint64_t pyobj_code(struct pyobj_env *env, const char *name, const char *qualname,
		    const char *file, int firstlineno, const void *linetable, size_t tlen,
		    int ncode)
{
	const struct pyx_offsets *o = &env->L->off;
	size_t size = (size_t)o->code_object.size;
	if (PYX_HAS(o->code_object.co_code_adaptive))
		size = (size_t)o->code_object.co_code_adaptive + 2 * (size_t)ncode;
	uint64_t c = timg_alloc(env->img, size);
	timg_put_u64(env->img, c + (uint64_t)o->pyobject.ob_type, env->code_type);
	timg_put_u64(env->img, c + (uint64_t)o->code_object.name, pyobj_str(env, name));
	if (PYX_HAS(o->code_object.qualname))
		timg_put_u64(env->img, c + (uint64_t)o->code_object.qualname, pyobj_str(env, qualname));
	timg_put_u64(env->img, c + (uint64_t)o->code_object.filename, pyobj_str(env, file));
	timg_put_u32(env->img, c + (uint64_t)o->code_object.firstlineno, (uint32_t)firstlineno);
	int32_t table = PYX_HAS(o->code_object.lnotab) ? o->code_object.lnotab
						       : o->code_object.linetable;
	timg_put_u64(env->img, c + (uint64_t)table, pyobj_bytes(env, linetable, tlen));
	return c;
}
