/* SPDX-License-Identifier: MIT */
/* Builders of synthetic CPython objects for the object tests (objfx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/objects.h"
#include "objfx.h"

void put(struct fx *f, uint64_t addr, int32_t off, uint64_t v, int width)
{
	if (off < 0) {
		fprintf(stderr, "3.%d: writing an absent field\n", f->minor);
		abort();
	}
	if (width == 8)
		timg_put_u64(&f->img, addr + (uint64_t)off, v);
	else if (width == 4)
		timg_put_u32(&f->img, addr + (uint64_t)off, (uint32_t)v);
	else
		timg_put_u8(&f->img, addr + (uint64_t)off, (uint8_t)v);
}

uint64_t cstr(struct fx *f, const char *s)
{
	uint64_t a = timg_alloc(&f->img, strlen(s) + 1);
	timg_put(&f->img, a, s, strlen(s) + 1);
	return a;
}

uint64_t obj(struct fx *f, uint64_t type, size_t size)
{
	uint64_t a = timg_alloc(&f->img, size < 16 ? 16 : size);
	put(f, a, f->o->pyobject.ob_refcnt, 1, 8);
	put(f, a, f->o->pyobject.ob_type, type, 8);
	return a;
}

uint64_t mktype(struct fx *f, const char *name, uint64_t flags)
{
	const struct pyx_offsets *o = f->o;
	uint64_t t = obj(f, f->t_type, (size_t)o->heap_type_object.size);
	put(f, t, o->type_object.tp_name, cstr(f, name), 8);
	put(f, t, o->type_object.tp_flags, flags, 8);
	put(f, t, o->type_object.tp_basicsize, 16, 8);
	return t;
}

/* A str of n code points of the given kind; legacy keeps the characters in
 * a separate block. */
uint64_t mkstr_cp(struct fx *f, const uint32_t *cp, size_t n, int legacy)
{
	const struct pyx_offsets *o = f->o;
	uint32_t max = 0;
	for (size_t i = 0; i < n; i++)
		max = cp[i] > max ? cp[i] : max;
	unsigned kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
	int ascii = max < 0x80;
	size_t hdr = legacy  ? (size_t)o->unicode_object.size
		     : ascii ? (size_t)o->unicode_object.asciiobject_size
			     : (size_t)o->unicode_object.compactunicodeobject_size;
	uint64_t s = obj(f, f->t_str, legacy ? hdr : hdr + (n + 1) * kind);
	uint64_t data = legacy ? timg_alloc(&f->img, (n + 1) * kind) : s + hdr;
	uint32_t state = kind << o->consts.unicode_kind_shift;
	if (!legacy)
		state |= 1u << o->consts.unicode_compact_bit;
	if (ascii)
		state |= 1u << o->consts.unicode_ascii_bit;
	if (PYX_HAS(o->consts.unicode_ready_bit))
		state |= 1u << o->consts.unicode_ready_bit;
	put(f, s, o->unicode_object.length, n, 8);
	put(f, s, o->unicode_object.state, state, 4);
	if (legacy)
		put(f, s, o->unicode_object.data, data, 8);
	for (size_t i = 0; i < n; i++) {
		if (kind == 1)
			timg_put_u8(&f->img, data + i, (uint8_t)cp[i]);
		else if (kind == 2) {
			uint16_t v = (uint16_t)cp[i];
			timg_put(&f->img, data + 2 * i, &v, 2);
		} else
			timg_put_u32(&f->img, data + 4 * i, cp[i]);
	}
	return s;
}

uint64_t mkstr(struct fx *f, const char *ascii)
{
	uint32_t cp[256];
	size_t n = strlen(ascii);
	for (size_t i = 0; i < n && i < 256; i++)
		cp[i] = (unsigned char)ascii[i];
	return mkstr_cp(f, cp, n, 0);
}

/* An int from a sign and 30-bit digits (least significant first). */
uint64_t mkint_digits(struct fx *f, uint64_t type, int neg, const uint32_t *dg, size_t n)
{
	const struct pyx_offsets *o = f->o;
	uint64_t a = obj(f, type, (size_t)o->long_object.ob_digit + 4 * (n ? n : 1));
	if (f->l.long_is_tagged)
		put(f, a, o->long_object.lv_tag, (n << 3) | (n == 0 ? 1 : neg ? 2 : 0), 8);
	else
		put(f, a, o->var_object.ob_size, neg ? -(int64_t)n : (int64_t)n, 8);
	for (size_t i = 0; i < n; i++)
		timg_put_u32(&f->img, a + (uint64_t)o->long_object.ob_digit + 4 * i, dg[i]);
	return a;
}

uint64_t mkint(struct fx *f, int64_t v)
{
	uint32_t dg[3] = {0};
	size_t n = 0;
	uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
	while (m) {
		dg[n++] = (uint32_t)(m & 0x3fffffff);
		m >>= 30;
	}
	return mkint_digits(f, f->t_int, v < 0, dg, n);
}

uint64_t mkfloat(struct fx *f, double x)
{
	uint64_t a = obj(f, f->t_float, (size_t)f->o->float_object.size);
	timg_put(&f->img, a + (uint64_t)f->o->float_object.ob_fval, &x, sizeof x);
	return a;
}

uint64_t mkbytes(struct fx *f, const void *p, size_t n)
{
	const struct pyx_offsets *o = f->o;
	uint64_t a = obj(f, f->t_bytes, (size_t)o->bytes_object.ob_sval + n + 1);
	put(f, a, o->bytes_object.ob_size, n, 8);
	timg_put(&f->img, a + (uint64_t)o->bytes_object.ob_sval, p, n);
	return a;
}

uint64_t mktuple(struct fx *f, const uint64_t *items, size_t n)
{
	const struct pyx_offsets *o = f->o;
	uint64_t a = obj(f, f->t_tuple, (size_t)o->tuple_object.ob_item + 8 * n);
	put(f, a, o->tuple_object.ob_size, n, 8);
	for (size_t i = 0; i < n; i++)
		put(f, a, o->tuple_object.ob_item + (int32_t)(8 * i), items[i], 8);
	return a;
}

uint64_t mklist(struct fx *f, const uint64_t *items, size_t n)
{
	const struct pyx_offsets *o = f->o;
	uint64_t a = obj(f, f->t_list, (size_t)o->list_object.size);
	uint64_t arr = timg_alloc(&f->img, 8 * (n ? n : 1));
	put(f, a, o->list_object.ob_size, n, 8);
	put(f, a, o->list_object.ob_item, arr, 8);
	for (size_t i = 0; i < n; i++)
		timg_put_u64(&f->img, arr + 8 * i, items[i]);
	return a;
}

uint64_t mkset(struct fx *f, uint64_t type, const uint64_t *keys, size_t n)
{
	const struct pyx_offsets *o = f->o;
	size_t slots = 8, es = (size_t)o->consts.set_entry_size;
	uint64_t a = obj(f, type, (size_t)o->set_object.size);
	uint64_t table = timg_alloc(&f->img, slots * es);
	put(f, a, o->set_object.used, n, 8);
	put(f, a, o->set_object.fill, n + 1, 8);
	put(f, a, o->set_object.mask, slots - 1, 8);
	put(f, a, o->set_object.table, table, 8);
	/* Slot 0 is a deleted entry (dummy key, hash -1), then the keys. */
	timg_put_u64(&f->img, table, f->none);
	timg_put_u64(&f->img, table + 8, (uint64_t)-1);
	for (size_t i = 0; i < n; i++) {
		timg_put_u64(&f->img, table + (i + 1) * es, keys[i]);
		timg_put_u64(&f->img, table + (i + 1) * es + 8, 1000 + i);
	}
	return a;
}


/* A keys table of 8 slots holding n entries (a hole at `hole` when >= 0). */
uint64_t mkkeys(struct fx *f, enum dict_kind kind, const uint64_t *keys,
	    const uint64_t *values, size_t n, int hole)
{
	const struct pyx_offsets *o = f->o;
	size_t nent = n + (hole >= 0), es;
	uint64_t k;
	if (f->l.dict_model == PYX_DICT_36 || kind == DK_GENERAL)
		es = (size_t)o->consts.dict_entry_size;
	else
		es = (size_t)o->consts.dict_unicode_entry_size;
	k = timg_alloc(&f->img, (size_t)o->dict_keys.dk_indices + 8 + 8 * es);
	put(f, k, 0, 1, 8); /* dk_refcnt */
	if (f->l.dict_model == PYX_DICT_36) {
		put(f, k, o->dict_keys.dk_size, 8, 8);
	} else {
		put(f, k, o->dict_keys.dk_log2_size, 3, 1);
		put(f, k, o->dict_keys.dk_log2_index_bytes, 3, 1);
		put(f, k, o->dict_keys.dk_kind, kind, 1);
	}
	put(f, k, o->dict_keys.dk_nentries, nent, 8);
	for (int i = 0; i < 8; i++)
		timg_put_u8(&f->img, k + (uint64_t)o->dict_keys.dk_indices + (uint64_t)i, 0xff);
	uint64_t ents = k + (uint64_t)o->dict_keys.dk_indices + 8;
	for (size_t i = 0, j = 0; i < nent; i++) {
		uint64_t e = ents + i * es;
		if ((int)i == hole)
			continue;
		if (es == 24) {
			timg_put_u64(&f->img, e, 0x1234 + i);
			timg_put_u64(&f->img, e + 8, keys[j]);
			if (kind != DK_SPLIT)
				timg_put_u64(&f->img, e + 16, values[j]);
		} else {
			timg_put_u64(&f->img, e, keys[j]);
			if (kind != DK_SPLIT)
				timg_put_u64(&f->img, e + 8, values[j]);
		}
		j++;
	}
	return k;
}

/* Writes the insertion order of a split table's PyDictValues at dv (3.11+):
 * entries 0..nent-1 except `hole`, in order or reversed. */
void put_order(struct fx *f, uint64_t dv, size_t nent, int hole, int reversed,
	    size_t capacity)
{
	const struct pyx_offsets *o = f->o;
	uint8_t order[32];
	size_t n = 0;
	for (size_t i = 0; i < nent; i++)
		if ((int)i != hole)
			order[n++] = (uint8_t)i;
	if (reversed)
		for (size_t i = 0; i < n / 2; i++) {
			uint8_t t = order[i];
			order[i] = order[n - 1 - i];
			order[n - 1 - i] = t;
		}
	if (f->l.dict_model == PYX_DICT_36)
		return;
	if (!PYX_HAS(o->dict_values.valid)) {
		put(f, dv - 1, 0, 16, 1); /* prefix size */
		put(f, dv - 2, 0, n, 1);
		for (size_t i = 0; i < n; i++)
			put(f, dv - 3 - i, 0, order[i], 1);
	} else {
		put(f, dv, o->dict_values.capacity, capacity, 1);
		put(f, dv, o->dict_values.order_len, n, 1);
		timg_put(&f->img, dv + (uint64_t)o->dict_values.values + 8 * capacity, order, n);
	}
}

/* A PyDictValues for a split table; returns what ma_values holds. */
uint64_t mkvalues(struct fx *f, const uint64_t *values, size_t n, int hole)
{
	const struct pyx_offsets *o = f->o;
	size_t nent = n + (hole >= 0);
	int32_t voff = PYX_HAS(o->dict_values.values) ? o->dict_values.values : 0;
	uint64_t v = timg_alloc(&f->img, 16 + (size_t)voff + 8 * 8 + 8);
	v += 16; /* room for the 3.11/3.12 prefix before the values */
	if (PYX_HAS(o->dict_values.valid))
		put(f, v, o->dict_values.valid, 1, 1);
	put_order(f, v, nent, hole, 0, 8);
	for (size_t i = 0, j = 0; i < nent; i++)
		if ((int)i != hole)
			timg_put_u64(&f->img, v + (uint64_t)voff + 8 * i, values[j++]);
	return v;
}

uint64_t mkdict(struct fx *f, enum dict_kind kind, const uint64_t *keys,
	    const uint64_t *values, size_t n, int hole)
{
	const struct pyx_offsets *o = f->o;
	uint64_t d = obj(f, f->t_dict, (size_t)o->dict_object.size);
	put(f, d, o->dict_object.ma_used, n, 8);
	put(f, d, o->dict_object.ma_keys, mkkeys(f, kind, keys, values, n, hole), 8);
	if (kind == DK_SPLIT)
		put(f, d, o->dict_object.ma_values, mkvalues(f, values, n, hole), 8);
	return d;
}

void fx_init(struct fx *f, int minor)
{
	memset(f, 0, sizeof *f);
	f->minor = minor;
	f->l.minor = minor;
	f->l.version_hex = 0x03000000u | ((uint32_t)minor << 16) | 0xf0u;
	f->l.off = *pyx_layout_table(minor);
	pyx_layout_set_caps(&f->l);
	f->o = &f->l.off;
	timg_init(&f->img, 0x7f0000100000ull);
	f->t_type = mktype(f, "type", F_TYPE);
	put(f, f->t_type, f->o->pyobject.ob_type, f->t_type, 8);
	f->t_str = mktype(f, "str", F_UNICODE);
	f->t_int = mktype(f, "int", F_LONG);
	f->t_bool = mktype(f, "bool", F_LONG);
	f->t_float = mktype(f, "float", 0);
	f->t_none = mktype(f, "NoneType", 0);
	f->t_tuple = mktype(f, "tuple", F_TUPLE);
	f->t_list = mktype(f, "list", F_LIST);
	f->t_dict = mktype(f, "dict", F_DICT);
	f->t_odict = mktype(f, "collections.OrderedDict", F_DICT);
	f->t_set = mktype(f, "set", 0);
	f->t_frozenset = mktype(f, "frozenset", 0);
	f->t_bytes = mktype(f, "bytes", F_BYTES);
	f->t_module = mktype(f, "module", 0);
	f->t_plain = mktype(f, "Plain", F_HEAPTYPE);
	f->none = obj(f, f->t_none, 16);
}


void dec_open(struct dec *x, struct fx *f)
{
	memset(x, 0, sizeof *x);
	x->src = timg_memsrc(&f->img);
	x->arena = pyx_arena_create();
	if (pyx_decoder_init(&x->d, x->src, &f->l, x->arena, NULL, NULL) < 0)
		abort();
}

void dec_close(struct dec *x)
{
	pyx_arena_destroy(x->arena);
	pyx_memsrc_close(x->src);
}

/* repr of addr, or "ERR:<code name>". */
const char *repr(struct dec *x, uint64_t addr, size_t max_len)
{
	const char *s = NULL;
	struct pyx_error err;
	int rc = pyx_obj_repr(&x->d, addr, max_len, 8, &s, &err);
	if (rc < 0)
		return pyx_arena_printf(x->arena, "ERR:%s", pyx_error_name(-rc));
	return s;
}


/* A class whose instances keep attributes the way this version does. */
uint64_t mkclass(struct fx *f, const char *name, const uint64_t *attr_names, size_t n)
{
	const struct pyx_offsets *o = f->o;
	uint64_t flags = F_HEAPTYPE, t;
	if (f->l.instdict_model != PYX_INSTDICT_OFFSET)
		flags |= (uint64_t)o->consts.tpflags_managed_dict;
	if (f->l.instdict_model == PYX_INSTDICT_INLINE_313)
		flags |= (uint64_t)o->consts.tpflags_inline_values;
	t = mktype(f, name, flags);
	put(f, t, o->type_object.tp_basicsize, f->l.instdict_model == PYX_INSTDICT_OFFSET ? 24 : 16,
	    8);
	put(f, t, o->type_object.tp_dictoffset, f->l.instdict_model == PYX_INSTDICT_OFFSET ? 16 : 0,
	    8);
	put(f, t, o->heap_type_object.ht_cached_keys, mkkeys(f, DK_SPLIT, attr_names, NULL, n, -1),
	    8);
	return t;
}

/* An instance; use_dict asks for a materialized dict instead of values. */
uint64_t mkinstance(struct fx *f, uint64_t cls, const uint64_t *names,
	    const uint64_t *values, size_t n, int use_dict)
{
	const struct pyx_offsets *o = f->o;
	enum pyx_instance_dict_model m = f->l.instdict_model;
	uint64_t keys, dict = 0, vals = 0, base, obj_addr;
	memcpy(&keys, f->img.bytes + (cls - f->img.base) + o->heap_type_object.ht_cached_keys, 8);
	if (use_dict || m == PYX_INSTDICT_OFFSET) {
		dict = use_dict ? mkdict(f, DK_UNICODE, names, values, n, -1)
				: obj(f, f->t_dict, (size_t)o->dict_object.size);
		if (!use_dict) { /* <=3.10 split dict sharing the class keys */
			put(f, dict, o->dict_object.ma_used, n, 8);
			put(f, dict, o->dict_object.ma_keys, keys, 8);
			put(f, dict, o->dict_object.ma_values, mkvalues(f, values, n, -1), 8);
		}
	}
	if (m == PYX_INSTDICT_OFFSET) {
		obj_addr = obj(f, cls, 24);
		put(f, obj_addr, 16, dict, 8);
		return obj_addr;
	}
	base = timg_alloc(&f->img, 32 + 16 + 8 + 8 * n + 8);
	obj_addr = base + 32;
	put(f, obj_addr, o->pyobject.ob_refcnt, 1, 8);
	put(f, obj_addr, o->pyobject.ob_type, cls, 8);
	if (!use_dict && m != PYX_INSTDICT_INLINE_313)
		vals = mkvalues(f, values, n, -1);
	switch (m) {
	case PYX_INSTDICT_MANAGED_311:
		timg_put_u64(&f->img, obj_addr - 32, vals);
		timg_put_u64(&f->img, obj_addr - 24, dict);
		break;
	case PYX_INSTDICT_MANAGED_312:
		timg_put_u64(&f->img, obj_addr - 24, use_dict ? dict : vals - 1);
		break;
	default: {
		uint64_t iv = obj_addr + 16;
		timg_put_u64(&f->img, obj_addr - 24, dict);
		put_order(f, iv, n, -1, 0, n);
		put(f, iv, o->dict_values.valid, !use_dict, 1);
		for (size_t i = 0; i < n && !use_dict; i++)
			timg_put_u64(&f->img, iv + (uint64_t)o->dict_values.values + 8 * i,
				     values[i]);
		break;
	}
	}
	return obj_addr;
}
