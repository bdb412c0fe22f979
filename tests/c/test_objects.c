/* SPDX-License-Identifier: MIT */
/* Object decoding on synthetic memory: for each version with a layout table,
 * builds str (every kind), int, float, bytes, containers, dicts of each key
 * model (combined, unicode, split), instances with every instance-dict model
 * and a threading module (objfx.c), then checks repr, lookups, getattr,
 * thread names, and that garbage (huge lengths, loops, bad pointers, wrong
 * types) fails cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/objects.h"
#include "objfx.h"
#include "tap.h"

static void test_strings(struct fx *f)
{
	static const uint32_t latin1[] = {'c', 'a', 'f', 0xe9};
	static const uint32_t ucs2[] = {0x3a9, 0x2248, 'z'};
	static const uint32_t ucs4[] = {0x1f600, 'x', 0xe9};
	static const uint32_t eee[] = {0xe9, 0xe9, 0xe9};
	static const uint32_t esc[] = {'a', '\n', 0, 0xa0, 0xd800, 0x10ffff, 0x3a9};
	uint64_t s_ascii = mkstr(f, "hello"), s_empty = mkstr(f, "");
	uint64_t s_l1 = mkstr_cp(f, latin1, 4, 0), s_u2 = mkstr_cp(f, ucs2, 3, 0);
	uint64_t s_u4 = mkstr_cp(f, ucs4, 3, 0), s_eee = mkstr_cp(f, eee, 3, 0);
	uint64_t g_ascii = mkstr_cp(f, (const uint32_t[]){'o', 'l', 'd'}, 3, 1);
	uint64_t g_l1 = mkstr_cp(f, latin1, 4, 1), g_u2 = mkstr_cp(f, ucs2, 3, 1);
	uint64_t g_u4 = mkstr_cp(f, ucs4, 3, 1);
	uint64_t s_quote = mkstr(f, "it's"), s_both = mkstr(f, "'\"\\");
	uint64_t s_esc = mkstr_cp(f, esc, 7, 0);
	uint64_t not_str = mkint(f, 5);
	struct pyx_error err;
	const char *s = NULL;
	char buf[8];
	struct dec x;

	dec_open(&x, f);
	is_int(pyx_obj_str(&x.d, s_ascii, &s, &err), 0, "3.%d compact ascii", f->minor);
	is_str(s, "hello", "3.%d compact ascii text", f->minor);
	pyx_obj_str(&x.d, s_empty, &s, &err);
	is_str(s, "", "3.%d empty str", f->minor);
	pyx_obj_str(&x.d, s_l1, &s, &err);
	is_str(s, "caf\xc3\xa9", "3.%d compact latin-1", f->minor);
	pyx_obj_str(&x.d, s_u2, &s, &err);
	is_str(s, "\xce\xa9\xe2\x89\x88z", "3.%d compact UCS-2", f->minor);
	pyx_obj_str(&x.d, s_u4, &s, &err);
	is_str(s, "\xf0\x9f\x98\x80x\xc3\xa9", "3.%d compact UCS-4", f->minor);
	pyx_obj_str(&x.d, g_ascii, &s, &err);
	is_str(s, "old", "3.%d legacy ascii", f->minor);
	pyx_obj_str(&x.d, g_l1, &s, &err);
	is_str(s, "caf\xc3\xa9", "3.%d legacy latin-1", f->minor);
	pyx_obj_str(&x.d, g_u2, &s, &err);
	is_str(s, "\xce\xa9\xe2\x89\x88z", "3.%d legacy UCS-2", f->minor);
	pyx_obj_str(&x.d, g_u4, &s, &err);
	is_str(s, "\xf0\x9f\x98\x80x\xc3\xa9", "3.%d legacy UCS-4", f->minor);
	is_int(pyx_obj_str(&x.d, not_str, &s, &err), -PYX_E_BAD_DATA, "3.%d int is not a str",
	       f->minor);
	is_int(pyx_obj_str_buf(&x.d, s_u4, buf, 6, &err), 0, "3.%d str_buf", f->minor);
	is_str(buf, "\xf0\x9f\x98\x80x", "3.%d str_buf cut at a character", f->minor);
	x.d.opts.limits.max_string_bytes = 4;
	pyx_obj_str(&x.d, s_eee, &s, &err);
	is_str(s, "\xc3\xa9\xc3\xa9", "3.%d max_string_bytes cuts at a character", f->minor);
	x.d.opts.limits.max_string_bytes = 1024;
	is_str(repr(&x, s_quote, 100), "\"it's\"", "3.%d repr picks double quotes", f->minor);
	is_str(repr(&x, s_both, 100), "'\\'\"\\\\'", "3.%d repr escapes quote and backslash",
	       f->minor);
	is_str(repr(&x, s_esc, 100), "'a\\n\\x00\\xa0\\ud800\\U0010ffff\xce\xa9'",
	       "3.%d repr escapes controls, surrogates", f->minor);
	x.d.opts.limits.max_string_bytes = 3;
	is_str(repr(&x, s_ascii, 100), "'hel'...", "3.%d repr marks a cut str", f->minor);
	dec_close(&x);
}

static void test_numbers(struct fx *f)
{
	static const uint32_t d100[] = {0, 0, 0, 1u << 10};
	static const uint32_t d90[] = {5, 0, 0, 1};
	static const uint32_t d63[] = {0, 0, 8};
	uint64_t zero = mkint(f, 0), one = mkint(f, 1), m1 = mkint(f, -1);
	uint64_t big = mkint(f, INT64_C(1) << 62), min = mkint(f, INT64_MIN);
	uint64_t p100 = mkint_digits(f, f->t_int, 0, d100, 4);
	uint64_t n90 = mkint_digits(f, f->t_int, 1, d90, 4);
	uint64_t p63 = mkint_digits(f, f->t_int, 0, d63, 3);
	uint64_t t = mkint_digits(f, f->t_bool, 0, (const uint32_t[]){1}, 1);
	uint64_t fl = mkint_digits(f, f->t_bool, 0, NULL, 0);
	uint64_t huge = mkint(f, 7);
	const double fv[] = {0.1, 1e16, 1e15, -0.0, 1.5e-7, 123.456, 2.0, 1e-4, 5e-324};
	const char *fr[] = {"0.1",  "1e+16",   "1000000000000000.0",
			    "-0.0", "1.5e-07", "123.456",
			    "2.0",  "0.0001",  "5e-324"};
	uint64_t fa[9];
	struct pyx_error err;
	int64_t v = 0;
	struct dec x;

	for (int i = 0; i < 9; i++)
		fa[i] = mkfloat(f, fv[i]);
	if (f->l.long_is_tagged)
		put(f, huge, f->o->long_object.lv_tag, (UINT64_C(1) << 40) << 3, 8);
	else
		put(f, huge, f->o->var_object.ob_size, UINT64_C(1) << 40, 8);
	dec_open(&x, f);
	is_str(repr(&x, zero, 64), "0", "3.%d int 0", f->minor);
	is_str(repr(&x, one, 64), "1", "3.%d int 1", f->minor);
	is_str(repr(&x, m1, 64), "-1", "3.%d int -1", f->minor);
	is_str(repr(&x, big, 64), "4611686018427387904", "3.%d int 2**62", f->minor);
	is_str(repr(&x, min, 64), "-9223372036854775808", "3.%d int -2**63", f->minor);
	is_str(repr(&x, p100, 64), "1267650600228229401496703205376", "3.%d int 2**100", f->minor);
	is_str(repr(&x, n90, 64), "-1237940039285380274899124229", "3.%d int -(2**90+5)", f->minor);
	is_str(repr(&x, t, 64), "True", "3.%d True", f->minor);
	is_str(repr(&x, fl, 64), "False", "3.%d False", f->minor);
	is_str(repr(&x, f->none, 64), "None", "3.%d None", f->minor);
	is_int(pyx_obj_long_i64(&x.d, min, &v, &err), 0, "3.%d i64 min", f->minor);
	ok(v == INT64_MIN, "3.%d i64 min value", f->minor);
	is_int(pyx_obj_long_i64(&x.d, m1, &v, &err), 0, "3.%d i64 -1", f->minor);
	is_int(v, -1, "3.%d i64 -1 value", f->minor);
	is_int(pyx_obj_long_i64(&x.d, p63, &v, &err), -PYX_E_LIMIT, "3.%d 2**63 overflows",
	       f->minor);
	is_int(pyx_obj_long_i64(&x.d, p100, &v, &err), -PYX_E_LIMIT, "3.%d 2**100 overflows",
	       f->minor);
	is_int(pyx_obj_long_i64(&x.d, huge, &v, &err), -PYX_E_LIMIT, "3.%d absurd digit count",
	       f->minor);
	is_str(repr(&x, huge, 64), "<int of 1099511627776 digits>", "3.%d repr absurd int",
	       f->minor);
	for (int i = 0; i < 9; i++)
		is_str(repr(&x, fa[i], 64), fr[i], "3.%d float %s", f->minor, fr[i]);
	dec_close(&x);
}

static void test_containers(struct fx *f)
{
	uint64_t one = mkint(f, 1), two = mkint(f, 2), a = mkstr(f, "a"), b = mkstr(f, "b");
	uint64_t t1 = mktuple(f, &one, 1), t0 = mktuple(f, NULL, 0);
	uint64_t inner = mklist(f, (uint64_t[]){mkfloat(f, 2.5)}, 1);
	uint64_t lst = mklist(f, (uint64_t[]){one, a, f->none, inner, t1, t0}, 6);
	uint64_t by = mkbytes(f, "ab'\0\xff\n", 6);
	uint64_t st = mkset(f, f->t_set, (uint64_t[]){one, two}, 2);
	uint64_t fs = mkset(f, f->t_frozenset, &a, 1), es = mkset(f, f->t_set, NULL, 0);
	uint64_t many[40], cyc, dcyc, od, nested, badl, bad;
	const uint8_t *bytes = NULL;
	size_t blen = 0;
	struct pyx_error err;
	const char *s;
	struct dec x;

	for (int i = 0; i < 40; i++)
		many[i] = one;
	uint64_t big = mklist(f, many, 40);
	cyc = mklist(f, (uint64_t[]){one, 0}, 2);
	dcyc = mkdict(f, DK_UNICODE, &a, &one, 1, -1);
	od = obj(f, f->t_odict, (size_t)f->o->dict_object.size);
	put(f, od, f->o->dict_object.ma_used, 1, 8);
	put(f, od, f->o->dict_object.ma_keys, mkkeys(f, DK_UNICODE, &a, &two, 1, -1), 8);
	nested = mkdict(f, DK_GENERAL, (uint64_t[]){one, b}, (uint64_t[]){lst, st}, 2, -1);
	badl = obj(f, f->t_list, (size_t)f->o->list_object.size);
	put(f, badl, f->o->list_object.ob_size, 3, 8);
	put(f, badl, f->o->list_object.ob_item, 0x10, 8);
	bad = mklist(f, (uint64_t[]){one, badl, 0x20}, 3);
	dec_open(&x, f);
	is_str(repr(&x, t1, 200), "(1,)", "3.%d 1-tuple", f->minor);
	is_str(repr(&x, t0, 200), "()", "3.%d empty tuple", f->minor);
	is_str(repr(&x, lst, 200), "[1, 'a', None, [2.5], (1,), ()]", "3.%d nested list", f->minor);
	is_str(repr(&x, by, 200), "b\"ab'\\x00\\xff\\n\"", "3.%d bytes", f->minor);
	is_int(pyx_obj_bytes(&x.d, by, 3, &bytes, &blen, &err), 0, "3.%d pyx_obj_bytes", f->minor);
	ok(blen == 3 && memcmp(bytes, "ab'", 4) == 0, "3.%d bytes cut at max", f->minor);
	is_str(repr(&x, st, 200), "{1, 2}", "3.%d set skips dummy", f->minor);
	is_str(repr(&x, fs, 200), "frozenset({'a'})", "3.%d frozenset", f->minor);
	is_str(repr(&x, es, 200), "set()", "3.%d empty set", f->minor);
	is_str(repr(&x, nested, 300), "{1: [1, 'a', None, [2.5], (1,), ()], 'b': {1, 2}}",
	       "3.%d nested dict", f->minor);
	is_str(repr(&x, od, 200), "collections.OrderedDict({'a': 2})", "3.%d dict subclass",
	       f->minor);
	s = repr(&x, big, 400);
	ok(strlen(s) > 6 && strcmp(s + strlen(s) - 6, ", ...]") == 0,
	   "3.%d list capped at max_container_items: %s", f->minor, s);
	s = repr(&x, big, 10);
	ok(strlen(s) == 10 && strcmp(s, "[1, 1, ...") == 0, "3.%d repr capped at max_len: %s",
	   f->minor, s);
	s = repr(&x, lst, 1);
	ok(strlen(s) <= 1, "3.%d repr of max_len 1", f->minor);
	s = NULL;
	is_int(pyx_obj_repr(&x.d, nested, 300, 1, &s, &err), 0, "3.%d depth 1", f->minor);
	is_str(s, "{1: [...], 'b': {...}}", "3.%d depth 1 text", f->minor);
	is_str(repr(&x, bad, 200),
	       pyx_arena_printf(x.arena, "[1, <FAULT at 0x%llx>, <FAULT at 0x20>]",
				(unsigned long long)badl),
	       "3.%d unreadable items become placeholders", f->minor);
	is_str(repr(&x, badl, 200), "ERR:FAULT", "3.%d unreadable top-level fails", f->minor);
	dec_close(&x);
	/* Self references: l = [1]; l.append(l); d = {'a': 1}; d['a'] = d. */
	{
		uint64_t items;
		memcpy(&items, f->img.bytes + (cyc - f->img.base) + f->o->list_object.ob_item, 8);
		timg_put_u64(&f->img, items + 8, cyc);
		uint64_t keys;
		memcpy(&keys, f->img.bytes + (dcyc - f->img.base) + f->o->dict_object.ma_keys, 8);
		int32_t es_ = f->l.dict_model == PYX_DICT_36 ? 24 : 16;
		timg_put_u64(&f->img,
			     keys + (uint64_t)f->o->dict_keys.dk_indices + 8 + (uint64_t)es_ - 8,
			     dcyc);
	}
	dec_open(&x, f);
	is_str(repr(&x, cyc, 200), "[1, [...]]", "3.%d self-referencing list", f->minor);
	is_str(repr(&x, dcyc, 200), "{'a': {...}}", "3.%d self-referencing dict", f->minor);
	is_str(repr(&x, f->t_dict, 200), "<class 'dict'>", "3.%d type object", f->minor);
	s = NULL;
	pyx_obj_type_name(&x.d, st, &s, &err);
	is_str(s, "set", "3.%d type name", f->minor);
	dec_close(&x);
}

struct items_seen {
	int n;
	uint64_t keys[8];
};

static int items_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct items_seen *is = ctx;
	(void)value;
	if (is->n < 8)
		is->keys[is->n] = key;
	is->n++;
	return 0;
}

static void test_dicts(struct fx *f)
{
	uint64_t k[3] = {mkstr(f, "alpha"), mkstr(f, "beta"), mkstr(f, "gamma")};
	uint64_t v[3] = {mkint(f, 1), mkint(f, 2), mkint(f, 3)};
	uint64_t gen =
	    mkdict(f, DK_GENERAL, (uint64_t[]){v[0], k[1]}, (uint64_t[]){k[0], v[1]}, 2, -1);
	uint64_t uni = mkdict(f, DK_UNICODE, k, v, 3, 1);
	uint64_t split = mkdict(f, DK_SPLIT, k, v, 3, 0);
	uint64_t longkey = mkdict(f, DK_UNICODE, (uint64_t[]){mkstr(f, "alphabet")}, v, 1, -1);
	uint64_t rsplit = mkdict(f, DK_SPLIT, k, v, 3, -1), dv;
	memcpy(&dv, f->img.bytes + (rsplit - f->img.base) + f->o->dict_object.ma_values, 8);
	put_order(f, dv, 3, -1, 1, 8);
	struct items_seen is = {0};
	struct pyx_error err;
	uint64_t out = 0;
	struct dec x;

	dec_open(&x, f);
	is_str(repr(&x, gen, 200), "{1: 'alpha', 'beta': 2}", "3.%d general dict", f->minor);
	is_str(repr(&x, uni, 200), "{'alpha': 1, 'beta': 2, 'gamma': 3}",
	       "3.%d unicode dict with a deleted entry", f->minor);
	is_str(repr(&x, split, 200), "{'alpha': 1, 'beta': 2, 'gamma': 3}", "3.%d split dict",
	       f->minor);
	is_str(repr(&x, rsplit, 200),
	       f->l.dict_model == PYX_DICT_36 ? "{'alpha': 1, 'beta': 2, 'gamma': 3}"
					      : "{'gamma': 3, 'beta': 2, 'alpha': 1}",
	       "3.%d split dict in insertion order", f->minor);
	is_int(pyx_dict_get_str(&x.d, uni, "gamma", &out, &err), 0, "3.%d lookup", f->minor);
	ok(out == v[2], "3.%d lookup value", f->minor);
	is_int(pyx_dict_get_str(&x.d, split, "beta", &out, &err), 0, "3.%d split lookup", f->minor);
	ok(out == v[1], "3.%d split lookup value", f->minor);
	is_int(pyx_dict_get_str(&x.d, gen, "beta", &out, &err), 0, "3.%d general lookup", f->minor);
	ok(out == v[1], "3.%d general lookup value", f->minor);
	is_int(pyx_dict_get_str(&x.d, uni, "delta", &out, &err), -PYX_E_NOT_FOUND,
	       "3.%d missing key", f->minor);
	is_int(pyx_dict_get_str(&x.d, longkey, "alpha", &out, &err), -PYX_E_NOT_FOUND,
	       "3.%d prefix does not match", f->minor);
	is_int(pyx_dict_get_str(&x.d, v[0], "alpha", &out, &err), -PYX_E_BAD_DATA,
	       "3.%d lookup in a non-dict", f->minor);
	is_int(pyx_dict_items(&x.d, split, 2, items_cb, &is, &err), 0, "3.%d items", f->minor);
	ok(is.n == 2 && is.keys[0] == k[0] && is.keys[1] == k[1], "3.%d items capped at max",
	   f->minor);
	x.d.opts.limits.max_dict_entries = 2;
	is_int(pyx_dict_get_str(&x.d, uni, "gamma", &out, &err), -PYX_E_LIMIT,
	       "3.%d lookup bounded by max_dict_entries", f->minor);
	is_int(pyx_dict_get_str(&x.d, uni, "alpha", &out, &err), 0,
	       "3.%d lookup within max_dict_entries", f->minor);
	x.d.opts.limits.max_container_items = 1;
	is_str(repr(&x, uni, 200), "{'alpha': 1, ...}", "3.%d repr of a dict past the limits",
	       f->minor);
	dec_close(&x);
}

static void test_getattr(struct fx *f)
{
	uint64_t names[2] = {mkstr(f, "_target"), mkstr(f, "_name")};
	uint64_t vals[2] = {f->none, mkstr(f, "worker-1")};
	uint64_t cls = mkclass(f, "Thread", names, 2);
	uint64_t a = mkinstance(f, cls, names, vals, 2, 0);
	uint64_t b = mkinstance(f, cls, names, vals, 2, 1);
	uint64_t plain = obj(f, f->t_plain, 16), neg_t, neg;
	struct pyx_error err;
	uint64_t out = 0;
	struct dec x;

	/* A variable-size type with a negative tp_dictoffset (_PyObject_GetDictPtr). */
	neg_t = mktype(f, "VarSized", F_HEAPTYPE);
	put(f, neg_t, f->o->type_object.tp_basicsize, 32, 8);
	put(f, neg_t, f->o->type_object.tp_itemsize, 8, 8);
	put(f, neg_t, f->o->type_object.tp_dictoffset, (uint64_t)-8, 8);
	neg = obj(f, neg_t, 64);
	put(f, neg, f->o->var_object.ob_size, 2, 8);
	put(f, neg, 40, mkdict(f, DK_UNICODE, names, vals, 2, -1), 8);
	dec_open(&x, f);
	is_int(pyx_obj_getattr(&x.d, a, "_name", &out, &err), 0, "3.%d getattr via values",
	       f->minor);
	ok(out == vals[1], "3.%d getattr via values finds the attribute", f->minor);
	out = 0;
	is_int(pyx_obj_getattr(&x.d, b, "_name", &out, &err), 0, "3.%d getattr via dict", f->minor);
	ok(out == vals[1], "3.%d getattr via dict finds the attribute", f->minor);
	is_int(pyx_obj_getattr(&x.d, a, "_ident", &out, &err), -PYX_E_NOT_FOUND,
	       "3.%d missing attribute", f->minor);
	is_int(pyx_obj_getattr(&x.d, plain, "_name", &out, &err), -PYX_E_NOT_FOUND,
	       "3.%d object without a dict", f->minor);
	is_int(pyx_obj_getattr(&x.d, neg, "_name", &out, &err), 0, "3.%d negative dictoffset",
	       f->minor);
	ok(out == vals[1], "3.%d negative dictoffset value", f->minor);
	dec_close(&x);
}

struct names {
	int n;
	uint64_t ident[4];
	char name[4][32];
};

static void name_cb(void *ctx, uint64_t ident, const char *name)
{
	struct names *nm = ctx;
	if (nm->n < 4) {
		nm->ident[nm->n] = ident;
		snprintf(nm->name[nm->n], sizeof nm->name[0], "%s", name);
	}
	nm->n++;
}

static void test_thread_names(struct fx *f)
{
	const struct pyx_offsets *o = f->o;
	uint64_t names[2] = {mkstr(f, "_name"), mkstr(f, "_ident")};
	uint64_t cls = mkclass(f, "Thread", names, 2);
	uint64_t id1 = mkint(f, INT64_C(0x7f1234567000)), id2 = mkint(f, 4242);
	uint64_t t1 = mkinstance(f, cls, names, (uint64_t[]){mkstr(f, "MainThread"), id1}, 2, 0);
	uint64_t t2 = mkinstance(f, cls, names, (uint64_t[]){mkstr(f, "pool-\xe9"), id2}, 2, 1);
	uint64_t active =
	    mkdict(f, DK_GENERAL, (uint64_t[]){id1, id2}, (uint64_t[]){t1, t2}, 2, -1);
	uint64_t mdict =
	    mkdict(f, DK_UNICODE, (uint64_t[]){mkstr(f, "__name__"), mkstr(f, "_active")},
		   (uint64_t[]){mkstr(f, "threading"), active}, 2, -1);
	uint64_t mod = obj(f, f->t_module, (size_t)o->module_object.size);
	uint64_t modules =
	    mkdict(f, DK_UNICODE, (uint64_t[]){mkstr(f, "sys"), mkstr(f, "threading")},
		   (uint64_t[]){f->none, mod}, 2, -1);
	uint64_t empty_modules =
	    mkdict(f, DK_UNICODE, (uint64_t[]){mkstr(f, "sys")}, (uint64_t[]){f->none}, 1, -1);
	uint64_t interp = timg_alloc(&f->img, (size_t)o->interpreter_state.imports_modules + 8);
	uint64_t interp2 = timg_alloc(&f->img, (size_t)o->interpreter_state.imports_modules + 8);
	struct names nm = {0};
	struct pyx_error err;
	struct dec x;

	put(f, mod, o->module_object.md_dict, mdict, 8);
	put(f, interp, o->interpreter_state.imports_modules, modules, 8);
	put(f, interp2, o->interpreter_state.imports_modules, empty_modules, 8);
	dec_open(&x, f);
	is_int(pyx_thread_names(&x.d, interp, name_cb, &nm, &err), 0, "3.%d thread names",
	       f->minor);
	ok(nm.n == 2 && nm.ident[0] == 0x7f1234567000ull && strcmp(nm.name[0], "MainThread") == 0 &&
	       nm.ident[1] == 4242 && strcmp(nm.name[1], "pool-\xc3\xa9") == 0,
	   "3.%d thread names found (%d)", f->minor, nm.n);
	nm.n = 0;
	is_int(pyx_thread_names(&x.d, interp2, name_cb, &nm, &err), 0,
	       "3.%d no threading module is fine", f->minor);
	is_int(nm.n, 0, "3.%d no names without threading", f->minor);
	dec_close(&x);
}

static void test_garbage(struct fx *f)
{
	const struct pyx_offsets *o = f->o;
	uint64_t k = mkstr(f, "k"), v = mkint(f, 1);
	uint64_t d_big = mkdict(f, DK_UNICODE, &k, &v, 1, -1);
	uint64_t d_kind = mkdict(f, DK_UNICODE, &k, &v, 1, -1);
	uint64_t d_size = mkdict(f, DK_UNICODE, &k, &v, 1, -1);
	uint64_t s_kind = mkstr(f, "abc"), s_len = mkstr(f, "abc");
	uint64_t badset = mkset(f, f->t_set, &v, 1), badtype = obj(f, 0x30, 16);
	uint64_t neglist = mklist(f, &v, 1), s_far;
	uint64_t keys;
	struct pyx_error err;
	const char *s = NULL;
	uint64_t out;
	struct dec x;

	memcpy(&keys, f->img.bytes + (d_big - f->img.base) + o->dict_object.ma_keys, 8);
	put(f, keys, o->dict_keys.dk_nentries, UINT64_C(1) << 40, 8);
	memcpy(&keys, f->img.bytes + (d_size - f->img.base) + o->dict_object.ma_keys, 8);
	if (f->l.dict_model == PYX_DICT_36) {
		put(f, keys, o->dict_keys.dk_size, 12, 8);
	} else {
		put(f, keys, o->dict_keys.dk_log2_size, 60, 1);
		memcpy(&keys, f->img.bytes + (d_kind - f->img.base) + o->dict_object.ma_keys, 8);
		put(f, keys, o->dict_keys.dk_kind, 7, 1);
	}
	put(f, s_kind, o->unicode_object.state,
	    (3u << o->consts.unicode_kind_shift) | (1u << o->consts.unicode_compact_bit) |
		(PYX_HAS(o->consts.unicode_ready_bit) ? 1u << o->consts.unicode_ready_bit : 0),
	    4);
	put(f, s_len, o->unicode_object.length, UINT64_C(1) << 60, 8);
	put(f, badset, o->set_object.mask, 6, 8);
	put(f, neglist, o->list_object.ob_size, (uint64_t)-5, 8);
	/* Last in the image: a plausible length whose characters run off the end. */
	s_far = mkstr(f, "abc");
	put(f, s_far, o->unicode_object.length, UINT64_C(1) << 40, 8);
	dec_open(&x, f);
	is_int(pyx_dict_get_str(&x.d, d_big, "k", &out, &err), -PYX_E_BAD_DATA,
	       "3.%d huge dk_nentries", f->minor);
	is_int(pyx_dict_get_str(&x.d, d_size, "k", &out, &err), -PYX_E_BAD_DATA,
	       "3.%d bad table size", f->minor);
	if (f->l.dict_model != PYX_DICT_36)
		is_int(pyx_dict_get_str(&x.d, d_kind, "k", &out, &err), -PYX_E_BAD_DATA,
		       "3.%d bad dk_kind", f->minor);
	is_str(repr(&x, d_big, 100), "ERR:BAD_DATA", "3.%d repr of a bad dict", f->minor);
	is_int(pyx_obj_str(&x.d, s_kind, &s, &err), -PYX_E_BAD_DATA, "3.%d bad str kind", f->minor);
	is_int(pyx_obj_str(&x.d, s_len, &s, &err), -PYX_E_BAD_DATA, "3.%d absurd str length",
	       f->minor);
	is_int(pyx_obj_str(&x.d, s_far, &s, &err), -PYX_E_FAULT, "3.%d str past mapped memory",
	       f->minor);
	is_str(repr(&x, badset, 100), "ERR:BAD_DATA", "3.%d bad set mask", f->minor);
	is_str(repr(&x, neglist, 100), "ERR:BAD_DATA", "3.%d negative list size", f->minor);
	is_str(repr(&x, badtype, 100), "ERR:FAULT", "3.%d unreadable type", f->minor);
	is_int(pyx_obj_getattr(&x.d, badtype, "x", &out, &err), -PYX_E_FAULT,
	       "3.%d getattr with unreadable type", f->minor);
	dec_close(&x);
}

/* A type name is target data: in every repr form it is escaped as str
 * contents are (ESC, a bidi override, an invalid byte, a backslash). */
static void test_hostile_type_names(struct fx *f)
{
	static const char evil[] = "E\x1b[31mvil\xe2\x80\xae\xff\\";
	static const char shown[] = "E\\x1b[31mvil\\u202e\\xff\\\\";
	uint64_t t_obj = mktype(f, evil, F_HEAPTYPE), t_int = mktype(f, evil, F_HEAPTYPE | F_LONG);
	uint64_t inst = obj(f, t_obj, 16);
	uint64_t sub = mkint_digits(f, t_int, 0, (const uint32_t[]){5}, 1);
	uint64_t t_quote = mktype(f, "it's", F_HEAPTYPE);
	struct dec x;

	timg_alloc(&f->img, 256); /* type names are read a page at a time */
	dec_open(&x, f);
	is_str(repr(&x, inst, 200),
	       pyx_arena_printf(x.arena, "<%s object at 0x%llx>", shown, (unsigned long long)inst),
	       "3.%d instance of a hostile type", f->minor);
	is_str(repr(&x, sub, 200), pyx_arena_printf(x.arena, "%s(5)", shown),
	       "3.%d subclass of int with a hostile name", f->minor);
	is_str(repr(&x, t_obj, 200), pyx_arena_printf(x.arena, "<class '%s'>", shown),
	       "3.%d a hostile class", f->minor);
	is_str(repr(&x, t_quote, 200), "<class 'it\\'s'>", "3.%d a quote in a class name",
	       f->minor);
	dec_close(&x);
}

static void test_version(int minor)
{
	struct fx f;

	fx_init(&f, minor);
	test_strings(&f);
	test_numbers(&f);
	test_containers(&f);
	test_dicts(&f);
	test_getattr(&f);
	test_thread_names(&f);
	test_garbage(&f);
	test_hostile_type_names(&f);
	timg_free(&f.img);
}

int main(void)
{
	int minors = 0;
	for (int minor = 6; minor <= 15; minor++) {
		if (!pyx_layout_table(minor))
			continue;
		minors++;
		test_version(minor);
	}
	ok(minors >= 5, "layout tables for at least 5 versions (%d)", minors);
	return tap_done();
}
