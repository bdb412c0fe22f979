/* SPDX-License-Identifier: MIT */
/* A container's children on synthetic memory, for each version with a
 * layout table: items, entries and attributes, paged; child counts; and
 * that garbage (huge lengths, bad tables, unreadable types) fails cleanly. */
#include <stdlib.h>
#include <string.h>

#include "decode/children.h"
#include "decode/objects.h"
#include "objfx.h"
#include "tap.h"


/* Children "name=repr/nchildren;" of addr from start, or "ERR:<code>". */
static const char *kids(struct dec *x, uint64_t addr, size_t start, size_t max, uint64_t *total)
{
	struct pyx_dec_var *v;
	struct pyx_error err;
	size_t n = 0;
	int rc = pyx_obj_children(&x->d, addr, start, max, &v, &n, total, &err);
	if (rc < 0)
		return pyx_arena_printf(x->arena, "ERR:%s", pyx_error_name(-rc));
	const char *s = "";
	for (size_t i = 0; i < n; i++)
		s = pyx_arena_printf(x->arena, "%s%s=%s/%llu;", s, v[i].name, v[i].repr,
				     (unsigned long long)v[i].nchildren);
	return s;
}

static void test_children(struct fx *f)
{
	uint64_t one = mkint(f, 1), two = mkint(f, 2), a = mkstr(f, "a"), b = mkstr(f, "b");
	uint64_t inner = mklist(f, (uint64_t[]){mkfloat(f, 2.5)}, 1);
	uint64_t lst = mklist(f, (uint64_t[]){one, a, f->none, inner}, 4);
	uint64_t tup = mktuple(f, (uint64_t[]){a, lst}, 2);
	uint64_t st = mkset(f, f->t_set, (uint64_t[]){one, two}, 2);
	uint64_t dct = mkdict(f, DK_GENERAL, (uint64_t[]){one, b}, (uint64_t[]){lst, st}, 2, -1);
	uint64_t names[2] = {mkstr(f, "x"), mkstr(f, "items")};
	uint64_t cls = mkclass(f, "Point", names, 2);
	uint64_t pt = mkinstance(f, cls, names, (uint64_t[]){one, lst}, 2, 0);
	uint64_t ptd = mkinstance(f, cls, names, (uint64_t[]){two, st}, 2, 1);
	uint64_t plain = obj(f, f->t_plain, 16), *many = calloc(1500, 8);
	uint64_t cyc = mklist(f, (uint64_t[]){one, 0}, 2), huge = mklist(f, &one, 1);
	uint64_t badset = mkset(f, f->t_set, &one, 1), badtype = obj(f, 0x30, 16);
	uint64_t dbig = mkdict(f, DK_UNICODE, &a, &one, 1, -1), keys, items, total = 0;
	struct dec x;

	for (int i = 0; i < 1500; i++)
		many[i] = i == 1200 ? two : one;
	uint64_t big = mklist(f, many, 1500);
	free(many);
	memcpy(&items, f->img.bytes + (cyc - f->img.base) + f->o->list_object.ob_item, 8);
	timg_put_u64(&f->img, items + 8, cyc);
	put(f, huge, f->o->list_object.ob_size, UINT64_C(1) << 40, 8);
	put(f, badset, f->o->set_object.mask, 6, 8);
	memcpy(&keys, f->img.bytes + (dbig - f->img.base) + f->o->dict_object.ma_keys, 8);
	put(f, keys, f->o->dict_keys.dk_nentries, UINT64_C(1) << 40, 8);
	dec_open(&x, f);
	is_str(kids(&x, lst, 0, 10, &total), "[0]=1/0;[1]='a'/0;[2]=None/0;[3]=[2.5]/1;",
	       "3.%d list children", f->minor);
	ok(total == 4, "3.%d list total", f->minor);
	is_str(kids(&x, lst, 2, 1, &total), "[2]=None/0;", "3.%d list page", f->minor);
	is_str(kids(&x, lst, 9, 5, &total), "", "3.%d list page past the end", f->minor);
	ok(total == 4, "3.%d total past the end", f->minor);
	is_str(kids(&x, tup, 0, 10, &total), "[0]='a'/0;[1]=[1, 'a', None, [2.5]]/4;",
	       "3.%d tuple children", f->minor);
	is_str(kids(&x, st, 0, 10, &total), "[0]=1/0;[1]=2/0;", "3.%d set children", f->minor);
	is_str(kids(&x, st, 1, 10, &total), "[1]=2/0;", "3.%d set page", f->minor);
	is_str(kids(&x, dct, 0, 10, &total), "1=[1, 'a', None, [2.5]]/4;'b'={1, 2}/2;",
	       "3.%d dict children named by key", f->minor);
	is_str(kids(&x, dct, 1, 10, &total), "'b'={1, 2}/2;", "3.%d dict page", f->minor);
	ok(total == 2, "3.%d dict total", f->minor);
	is_str(kids(&x, pt, 0, 10, &total), "x=1/0;items=[1, 'a', None, [2.5]]/4;",
	       "3.%d instance attributes (values)", f->minor);
	is_str(kids(&x, ptd, 1, 10, &total), "items={1, 2}/2;", "3.%d instance attributes (dict)",
	       f->minor);
	ok(total == 2, "3.%d attribute total", f->minor);
	int ix = 1, il = 0;
	ok(pyx_obj_nchildren(&x.d, pt, &ix) == 2 && !ix && pyx_obj_nchildren(&x.d, lst, &il) == 4 &&
	       il && pyx_obj_nchildren(&x.d, one, NULL) == 0 &&
	       pyx_obj_nchildren(&x.d, plain, NULL) == 0 &&
	       pyx_obj_nchildren(&x.d, badtype, NULL) == 0,
	   "3.%d child counts, items told from attributes", f->minor);
	is_str(kids(&x, cyc, 0, 10, &total), "[0]=1/0;[1]=[1, [...]]/2;",
	       "3.%d a list holding itself", f->minor);
	{
		const char *s = kids(&x, big, 0, 1000, &total);
		ok(total == 1500 && strstr(s, "[999]=1/0;") && !strstr(s, "[1000]"),
		   "3.%d one call gives at most the caller's max", f->minor);
		s = kids(&x, big, 1000, 5000, &total);
		ok(strstr(s, "[1000]=1/0;") && strstr(s, "[1499]=1/0;") && !strstr(s, "[1500]"),
		   "3.%d and no more than the list holds", f->minor);
		is_str(kids(&x, big, 1200, 1, &total), "[1200]=2/0;", "3.%d page deep in a list",
		       f->minor);
	}
	is_str(kids(&x, one, 0, 10, &total), "ERR:BAD_DATA", "3.%d an int has no children",
	       f->minor);
	is_str(kids(&x, plain, 0, 10, &total), "ERR:BAD_DATA", "3.%d nor a dict-less object",
	       f->minor);
	is_str(kids(&x, huge, 0, 10, &total), "ERR:BAD_DATA", "3.%d huge ob_size", f->minor);
	ok(pyx_obj_nchildren(&x.d, huge, NULL) == 0, "3.%d nor does it count them", f->minor);
	is_str(kids(&x, badset, 0, 10, &total), "ERR:BAD_DATA", "3.%d bad set mask", f->minor);
	is_str(kids(&x, dbig, 0, 10, &total), "ERR:BAD_DATA", "3.%d bad dict keys", f->minor);
	is_str(kids(&x, badtype, 0, 10, &total), "ERR:FAULT", "3.%d unreadable type", f->minor);
	is_str(kids(&x, 0x40, 0, 10, &total), "ERR:FAULT", "3.%d unmapped address", f->minor);
	dec_close(&x);
}

/* The error for an object without children names its type escaped. */
static void test_hostile_type_name(struct fx *f)
{
	uint64_t t = mktype(f, "E\x1b[31mvil\xe2\x80\xae", F_HEAPTYPE | F_LONG);
	uint64_t sub = mkint_digits(f, t, 0, (const uint32_t[]){5}, 1);
	struct pyx_dec_var *v;
	struct pyx_error err;
	uint64_t total;
	size_t n;
	struct dec x;

	timg_alloc(&f->img, 256); /* type names are read a page at a time */
	dec_open(&x, f);
	pyx_error_clear(&err);
	is_int(pyx_obj_children(&x.d, sub, 0, 10, &v, &n, &total, &err), -PYX_E_BAD_DATA,
	       "3.%d an int subclass has no children", f->minor);
	ok(strstr(err.msg, "(E\\x1b[31mvil\\u202e) has no children") && !strchr(err.msg, '\x1b') &&
	       !strstr(err.msg, "\xe2\x80\xae"),
	   "3.%d its type name escaped: %s", f->minor, err.msg);
	dec_close(&x);
}

static int count_key(void *ctx, uint64_t key)
{
	(void)key;
	(*(size_t *)ctx)++;
	return 0;
}

/* A dict (or a set) past the scan bound: its total is what can be listed, and a page
 * past the bound is empty, not an error. */
static void test_dict_past_scan_limit(struct fx *f)
{
	uint64_t k[3] = {mkstr(f, "alpha"), mkstr(f, "beta"), mkstr(f, "gamma")};
	uint64_t v[3] = {mkint(f, 1), mkint(f, 2), mkint(f, 3)};
	uint64_t uni = mkdict(f, DK_UNICODE, k, v, 3, 1), total = 0;
	uint64_t st = mkset(f, f->t_set, v, 2);
	struct pyx_error err;
	size_t n = 0;
	struct dec x;

	dec_open(&x, f);
	x.d.opts.limits.max_dict_entries = 2;
	ok(pyx_obj_nchildren(&x.d, uni, NULL) <= 2, "3.%d a dict counts at most the scan bound",
	   f->minor);
	is_str(kids(&x, uni, 0, 10, &total), "'alpha'=1/0;", "3.%d entries within the scan bound",
	       f->minor);
	ok(total == 1, "3.%d total is what can be listed (%llu)", f->minor,
	   (unsigned long long)total);
	is_str(kids(&x, uni, 1, 10, &total), "", "3.%d a page past the scan bound is empty",
	       f->minor);
	/* A set the same way: slot 0 is a dummy, the keys in slots 1 and 2. */
	is_int(pyx_set_items(&x.d, st, SIZE_MAX, count_key, &n, &err), -PYX_E_LIMIT,
	       "3.%d a set walk cut by the scan bound says so", f->minor);
	ok(n == 1, "3.%d after the keys within it (%zu)", f->minor, n);
	is_str(kids(&x, st, 0, 10, &total), "[0]=1/0;", "3.%d set items within the scan bound",
	       f->minor);
	ok(total == 1, "3.%d a set's total is what can be listed (%llu)", f->minor,
	   (unsigned long long)total);
	is_str(repr(&x, st, 100), "{1, ...}", "3.%d its repr shows them", f->minor);
	dec_close(&x);
}

/* An attribute dict's count is its ma_used, read without walking its
 * entries: here they lie past the end of memory. */
static void test_attr_count_without_walk(struct fx *f)
{
	const struct pyx_offsets *o = f->o;
	uint64_t names[2] = {mkstr(f, "x"), mkstr(f, "y")}, vals[2] = {mkint(f, 1), mkint(f, 2)};
	uint64_t t = mktype(f, "Mod", F_HEAPTYPE), inst = obj(f, t, 24);
	uint64_t dict = mkdict(f, DK_UNICODE, names, vals, 2, -1), keys, k;
	size_t hdr = (size_t)o->dict_keys.dk_indices;
	struct dec x;

	put(f, t, o->type_object.tp_basicsize, 24, 8);
	put(f, t, o->type_object.tp_dictoffset, 16, 8);
	put(f, inst, 16, dict, 8);
	memcpy(&keys, f->img.bytes + (dict - f->img.base) + o->dict_object.ma_keys, 8);
	k = timg_alloc(&f->img, hdr + 8); /* last in the image: header and indices only */
	timg_put(&f->img, k, f->img.bytes + (keys - f->img.base), hdr + 8);
	put(f, dict, o->dict_object.ma_keys, k, 8);
	dec_open(&x, f);
	is_int((int)pyx_obj_nchildren(&x.d, inst, NULL), 2, "3.%d attributes counted by ma_used",
	       f->minor);
	dec_close(&x);
}

static void test_version(int minor)
{
	struct fx f;

	fx_init(&f, minor);
	test_children(&f);
	test_hostile_type_name(&f);
	test_dict_past_scan_limit(&f);
	test_attr_count_without_walk(&f);
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
