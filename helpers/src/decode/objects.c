/* SPDX-License-Identifier: MIT */
/* Object decoding: type names, bytes, int (any size), float and a bounded
 * repr() of containers. Objects are classified by their type's tp_flags
 * subclass bits and tp_name; nested items that cannot be read render as a
 * placeholder so one bad pointer does not hide the rest of a container.
 * The repr text itself (digits, escaping) is built by reprtext.c. */
#include <stdlib.h>
#include <string.h>

#include "long.h"
#include "objects.h"
#include "reprtext.h"
#include "unicode.h"

enum {
	TYPE_NAME_MAX = 128,   /* bytes kept of a tp_name */
	MAX_REPR_DEPTH = 32,   /* nesting we ever follow */
	PAGE = 4096,
	SET_CHUNK = 64,        /* set entries read at once */
};

struct type_info {
	uint64_t addr;
	uint64_t flags;
	char name[TYPE_NAME_MAX];
};

/* Reads a NUL-terminated string of at most cap - 1 bytes, never reading
 * across a page boundary it does not need (the string may end just before
 * an unmapped page). Longer strings are truncated. */
static int read_cstr(struct pyx_decoder *d, uint64_t addr, char *buf, size_t cap,
		     struct pyx_error *err)
{
	size_t len = 0;
	int rc = 0;

	buf[0] = '\0';
	while (len < cap - 1) {
		uint64_t at = addr + len;
		size_t n = PAGE - (size_t)(at % PAGE);
		if (n > cap - 1 - len)
			n = cap - 1 - len;
		rc = pyx_memsrc_read(d->src, at, buf + len, n, err);
		if (rc < 0)
			goto out;
		void *nul = memchr(buf + len, '\0', n);
		if (nul)
			goto out;
		len += n;
	}
	buf[len] = '\0';
out:
	return rc;
}

static int read_type_info(struct pyx_decoder *d, uint64_t obj_addr, struct type_info *t,
			  struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t name_addr;
	int rc;

	rc = pyx_dec_read_ptr(d, obj_addr + (uint64_t)o->pyobject.ob_type, &t->addr, err);
	if (rc < 0)
		goto out;
	rc = pyx_dec_read_ptr(d, t->addr + (uint64_t)o->type_object.tp_flags, &t->flags, err);
	if (rc < 0)
		goto out;
	rc = pyx_dec_read_ptr(d, t->addr + (uint64_t)o->type_object.tp_name, &name_addr, err);
	if (rc < 0)
		goto out;
	rc = read_cstr(d, name_addr, t->name, sizeof t->name, err);
out:
	return rc;
}

int pyx_obj_type_name(struct pyx_decoder *d, uint64_t obj_addr, const char **out,
		      struct pyx_error *err)
{
	struct type_info t;
	char *copy;
	int rc;

	rc = read_type_info(d, obj_addr, &t, err);
	if (rc < 0)
		goto out;
	copy = pyx_arena_strdup(d->arena, t.name);
	if (!copy) {
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for a type name");
		goto out;
	}
	*out = copy;
out:
	return rc;
}

static int not_a(struct pyx_error *err, uint64_t addr, const char *what)
{
	return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "object at 0x%llx is not %s",
			     (unsigned long long)addr, what);
}

static int require_flag(struct pyx_decoder *d, uint64_t obj_addr, uint64_t flag, const char *what,
			struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t type_addr, flags;
	int rc;

	rc = pyx_dec_read_ptr(d, obj_addr + (uint64_t)o->pyobject.ob_type, &type_addr, err);
	if (rc < 0)
		goto out;
	rc = pyx_dec_read_ptr(d, type_addr + (uint64_t)o->type_object.tp_flags, &flags, err);
	if (rc < 0)
		goto out;
	if (!(flags & flag))
		rc = not_a(err, obj_addr, what);
out:
	return rc;
}

/* Reads a var-size object's ob_size, rejecting negative or absurd values. */
static int read_size(struct pyx_decoder *d, uint64_t addr, int32_t off, uint64_t *out,
		     struct pyx_error *err)
{
	uint64_t v = 0;
	int rc;

	*out = 0;
	rc = pyx_dec_read_ptr(d, addr + (uint64_t)off, &v, err);
	if (rc < 0)
		goto out;
	if ((int64_t)v < 0 || v > (UINT64_C(1) << 47)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "object at 0x%llx has size %lld",
				   (unsigned long long)addr, (long long)v);
		goto out;
	}
	*out = v;
out:
	return rc;
}

int pyx_obj_bytes(struct pyx_decoder *d, uint64_t bytes_addr, size_t max, const uint8_t **out,
		  size_t *out_len, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t size = 0;
	uint8_t *buf;
	int rc;

	rc = require_flag(d, bytes_addr, PYX_TPFLAGS_BYTES_SUBCLASS, "bytes", err);
	if (rc < 0)
		goto out;
	rc = read_size(d, bytes_addr, o->bytes_object.ob_size, &size, err);
	if (rc < 0)
		goto out;
	if (size > max)
		size = max;
	if (size > PYX_MEMSRC_MAX_READ) {
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, bytes_addr, "bytes too long to copy");
		goto out;
	}
	buf = pyx_arena_alloc(d->arena, (size_t)size + 1);
	if (!buf) {
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for bytes");
		goto out;
	}
	if (size) {
		rc = pyx_memsrc_read(d->src, bytes_addr + (uint64_t)o->bytes_object.ob_sval, buf,
				     (size_t)size, err);
		if (rc < 0)
			goto out;
	}
	*out = buf;
	*out_len = (size_t)size;
out:
	return rc;
}

int pyx_obj_long_i64(struct pyx_decoder *d, uint64_t long_addr, int64_t *out, struct pyx_error *err)
{
	struct pyx_long v;
	uint64_t acc = 0;
	int rc;

	rc = require_flag(d, long_addr, PYX_TPFLAGS_LONG_SUBCLASS, "an int", err);
	if (rc < 0)
		goto out;
	rc = pyx_long_read(d, long_addr, 5, &v, err);
	if (rc < 0)
		goto out;
	for (size_t i = v.ndigits; i-- > 0;) {
		if (acc >> (64 - v.shift)) {
			rc = pyx_error_set(err, PYX_E_LIMIT, 0, long_addr,
					   "int at 0x%llx does not fit in 64 bits",
					   (unsigned long long)long_addr);
			goto out;
		}
		acc = (acc << v.shift) | v.digits[i];
	}
	if (acc > (v.negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, long_addr,
				   "int at 0x%llx does not fit in int64",
				   (unsigned long long)long_addr);
		goto out;
	}
	*out = v.negative ? (int64_t)(0 - acc) : (int64_t)acc;
out:
	return rc;
}

/* Containers ---------------------------------------------------------------- */

int pyx_obj_seq(struct pyx_decoder *d, uint64_t addr, int is_list, uint64_t *items_out,
		uint64_t *n_out, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t last;
	int rc;

	*items_out = 0;
	rc = read_size(d, addr, is_list ? o->list_object.ob_size : o->tuple_object.ob_size, n_out,
		       err);
	if (rc < 0)
		goto out;
	if (is_list)
		rc = pyx_dec_read_ptr(d, addr + (uint64_t)o->list_object.ob_item, items_out, err);
	else
		*items_out = addr + (uint64_t)o->tuple_object.ob_item;
	if (rc < 0 || !*n_out)
		goto out;
	/* An item array that cannot be read faults; a length from garbage
	 * (the array does not reach its last slot) is bad data. */
	rc = pyx_dec_read_ptr(d, *items_out, &last, err);
	if (rc < 0)
		goto out;
	rc = pyx_dec_read_ptr(d, *items_out + 8 * (*n_out - 1), &last, NULL);
	if (rc < 0)
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				   "%s at 0x%llx claims %llu items but they are not all readable",
				   is_list ? "list" : "tuple", (unsigned long long)addr,
				   (unsigned long long)*n_out);
out:
	return rc;
}

/* A set's header: live keys, slots in its table, the table; checked. */
static int set_header(struct pyx_decoder *d, uint64_t addr, uint64_t *used, uint64_t *slots,
		      uint64_t *table, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	size_t esize = (size_t)o->consts.set_entry_size;
	uint64_t mask = 0;
	int rc;

	rc = read_size(d, addr, o->set_object.used, used, err);
	if (rc == 0)
		rc = read_size(d, addr, o->set_object.mask, &mask, err);
	if (rc == 0)
		rc = pyx_dec_read_ptr(d, addr + (uint64_t)o->set_object.table, table, err);
	if (rc < 0)
		goto out;
	*slots = mask + 1;
	if (esize < 16 || esize > 32 || (*slots & mask) || *used > *slots)
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "set at 0x%llx is inconsistent",
				   (unsigned long long)addr);
out:
	return rc;
}

int pyx_set_items(struct pyx_decoder *d, uint64_t set_addr, size_t max,
		  int (*fn)(void *ctx, uint64_t key_addr), void *ctx, struct pyx_error *err)
{
	size_t esize = (size_t)d->layout->off.consts.set_entry_size, seen = 0;
	unsigned char ents[SET_CHUNK * 32];
	uint64_t used = 0, slots = 0, table = 0, scan, i = 0;
	int rc;

	rc = set_header(d, set_addr, &used, &slots, &table, err);
	if (rc < 0)
		goto out;
	scan = slots < d->opts.limits.max_dict_entries ? slots : d->opts.limits.max_dict_entries;
	while (i < scan && seen < max && seen < used) {
		size_t chunk = scan - i < SET_CHUNK ? (size_t)(scan - i) : SET_CHUNK;
		rc = pyx_memsrc_read(d->src, table + i * esize, ents, chunk * esize, err);
		if (rc < 0)
			goto out;
		for (size_t j = 0; j < chunk && seen < max; j++) {
			uint64_t key = pyx_get_u64(ents + j * esize, PYX_SETENTRY_KEY);
			int64_t hash = pyx_get_i64(ents + j * esize, PYX_SETENTRY_HASH);
			if (!key || hash == -1)
				continue;
			seen++;
			if (fn(ctx, key))
				goto out;
		}
		i += chunk;
	}
	/* Only a walk that still wanted keys is cut short by the limit. */
	if (seen < max && seen < used && scan < slots)
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, set_addr,
				   "set of %llu slots exceeds the scan limit %zu",
				   (unsigned long long)slots, d->opts.limits.max_dict_entries);
out:
	return rc;
}

/* Base builtin for a subclass flag, NULL when the object has none. */
static const char *builtin_of(uint64_t flags)
{
	if (flags & PYX_TPFLAGS_LONG_SUBCLASS)
		return "int";
	if (flags & PYX_TPFLAGS_UNICODE_SUBCLASS)
		return "str";
	if (flags & PYX_TPFLAGS_BYTES_SUBCLASS)
		return "bytes";
	if (flags & PYX_TPFLAGS_TUPLE_SUBCLASS)
		return "tuple";
	if (flags & PYX_TPFLAGS_LIST_SUBCLASS)
		return "list";
	if (flags & PYX_TPFLAGS_DICT_SUBCLASS)
		return "dict";
	return NULL;
}

/* What an object of type t is (pyx_obj_classify's classes), the one
 * dispatch for classify and repr; *base is the builtin a scalar or a
 * container derives from ("set" for set and frozenset), else NULL. */
static enum pyx_obj_class class_of(const struct type_info *t, const char **base)
{
	*base = builtin_of(t->flags);
	if (strcmp(t->name, "set") == 0 || strcmp(t->name, "frozenset") == 0) {
		*base = "set";
		return PYX_OBJ_SET;
	}
	if ((t->flags & PYX_TPFLAGS_TYPE_SUBCLASS) || !*base)
		return PYX_OBJ_OTHER;
	switch ((*base)[0]) {
	case 'd':
		return PYX_OBJ_DICT;
	case 'l':
		return PYX_OBJ_LIST;
	case 't':
		return PYX_OBJ_TUPLE;
	default:
		return PYX_OBJ_SCALAR;
	}
}

/* A type name as reprs show it, in the arena; NULL when out of memory. */
static const char *name_shown(struct pyx_decoder *d, const char *name);

int pyx_obj_classify(struct pyx_decoder *d, uint64_t obj_addr, enum pyx_obj_class *cls,
		     uint64_t *len, const char **type_name, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	struct type_info t;
	const char *base;
	uint64_t items, slots, table;
	int rc;

	*cls = PYX_OBJ_OTHER;
	*len = 0;
	rc = read_type_info(d, obj_addr, &t, err);
	if (rc < 0)
		goto out;
	if (type_name && !(*type_name = name_shown(d, t.name))) {
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for a type name");
		goto out;
	}
	*cls = class_of(&t, &base);
	switch (*cls) {
	case PYX_OBJ_SET:
		rc = set_header(d, obj_addr, len, &slots, &table, err);
		break;
	case PYX_OBJ_DICT:
		rc = read_size(d, obj_addr, o->dict_object.ma_used, len, err);
		break;
	case PYX_OBJ_LIST:
	case PYX_OBJ_TUPLE:
		rc = pyx_obj_seq(d, obj_addr, *cls == PYX_OBJ_LIST, &items, len, err);
		break;
	default:
		break;
	}
out:
	return rc;
}

static const char *name_shown(struct pyx_decoder *d, const char *name)
{
	char buf[TYPE_NAME_MAX * 4]; /* 4 bytes shown at most for each byte of a name */
	struct pyx_sb b = {.buf = buf, .cap = sizeof buf - 1};

	pyx_sb_name(&b, name, 0);
	buf[b.len] = '\0';
	return pyx_arena_strdup(d->arena, buf);
}

/* repr ------------------------------------------------------------------- */

struct repr_ctx {
	struct pyx_decoder *d;
	struct pyx_sb *b;
	char *str_buf;			    /* max_string_bytes + 1, reused by every str */
	struct pyx_long *lv;		    /* reused by every int */
	uint64_t stack[MAX_REPR_DEPTH + 1]; /* containers being rendered */
	int nstack;
};

static int repr_obj(struct repr_ctx *r, uint64_t addr, int depth, struct pyx_error *err);

/* A nested object: failures become a placeholder, except running out of
 * memory. */
static int repr_item(struct repr_ctx *r, uint64_t addr, int depth)
{
	struct pyx_error err;
	size_t mark = r->b->len;
	int rc;

	pyx_error_clear(&err);
	rc = repr_obj(r, addr, depth, &err);
	if (rc == -PYX_E_NOMEM)
		return rc;
	if (rc < 0 && !r->b->full) {
		r->b->len = mark;
		pyx_sb_printf(r->b, "<%s at 0x%llx>", pyx_error_name(-rc), (unsigned long long)addr);
	}
	return 0;
}

static int on_stack(const struct repr_ctx *r, uint64_t addr)
{
	for (int i = 0; i < r->nstack; i++)
		if (r->stack[i] == addr)
			return 1;
	return 0;
}

static int repr_str(struct repr_ctx *r, uint64_t addr, struct pyx_error *err)
{
	size_t len;
	int truncated, rc;

	rc = pyx_unicode_decode(r->d, addr, r->str_buf, r->d->opts.limits.max_string_bytes + 1, &len,
				&truncated, err);
	if (rc < 0)
		goto out;
	pyx_sb_quoted(r->b, (const unsigned char *)r->str_buf, len, 0);
	if (truncated)
		pyx_sb_str(r->b, "...");
out:
	return rc;
}

static int repr_bytes(struct repr_ctx *r, uint64_t addr, struct pyx_error *err)
{
	const uint8_t *s;
	size_t n, max = r->d->opts.limits.max_string_bytes;
	uint64_t size = 0;
	int rc;

	rc = pyx_obj_bytes(r->d, addr, max, &s, &n, err);
	if (rc < 0)
		goto out;
	rc = read_size(r->d, addr, r->d->layout->off.bytes_object.ob_size, &size, err);
	if (rc < 0)
		goto out;
	pyx_sb_str(r->b, "b");
	pyx_sb_quoted(r->b, s, n, 1);
	if (size > n)
		pyx_sb_str(r->b, "...");
out:
	return rc;
}

static int repr_long(struct repr_ctx *r, uint64_t addr, const struct type_info *t,
		     struct pyx_error *err)
{
	struct pyx_long *v = r->lv;
	int rc;

	rc = pyx_long_read(r->d, addr, PYX_LONG_MAX_DIGITS, v, err);
	if (rc == -PYX_E_LIMIT) {
		pyx_sb_printf(r->b, "<int of %zu digits>", v->ndigits);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (strcmp(t->name, "bool") == 0)
		pyx_sb_str(r->b, v->ndigits && !(v->ndigits == 1 && !v->digits[0]) ? "True" : "False");
	else
		pyx_sb_long(r->b, v);
out:
	return rc;
}

static int repr_float(struct repr_ctx *r, uint64_t addr, struct pyx_error *err)
{
	double x;
	int rc;

	rc = pyx_memsrc_read(r->d->src, addr + (uint64_t)r->d->layout->off.float_object.ob_fval, &x,
			     sizeof x, err);
	if (rc == 0)
		pyx_sb_float(r->b, x);
	return rc;
}

/* Items of a tuple or list: n pointers at items_addr. */
static int repr_seq(struct repr_ctx *r, uint64_t items_addr, uint64_t n, int depth,
		    struct pyx_error *err)
{
	uint64_t ptrs[64];
	size_t show = r->d->opts.limits.max_container_items;
	uint64_t i = 0;
	int rc = 0;

	if (show > n)
		show = (size_t)n;
	while (i < show && !r->b->full) {
		size_t chunk = show - i < 64 ? (size_t)(show - i) : 64;
		rc = pyx_memsrc_read(r->d->src, items_addr + i * 8, ptrs, chunk * 8, err);
		if (rc < 0)
			goto out;
		for (size_t j = 0; j < chunk; j++, i++) {
			if (i)
				pyx_sb_str(r->b, ", ");
			rc = repr_item(r, ptrs[j], depth);
			if (rc < 0)
				goto out;
		}
	}
	if (n > show)
		pyx_sb_str(r->b, show ? ", ..." : "...");
out:
	return rc;
}

static int repr_tuple_list(struct repr_ctx *r, uint64_t addr, int is_list, int depth,
			   struct pyx_error *err)
{
	uint64_t n = 0, items = 0;
	int rc;

	rc = pyx_obj_seq(r->d, addr, is_list, &items, &n, err);
	if (rc < 0)
		goto out;
	pyx_sb_str(r->b, is_list ? "[" : "(");
	rc = repr_seq(r, items, n, depth, err);
	if (rc < 0)
		goto out;
	pyx_sb_str(r->b, !is_list && n == 1 ? ",)" : is_list ? "]" : ")");
out:
	return rc;
}

struct dict_repr {
	struct repr_ctx *r;
	int depth;
	size_t shown;
	int more, rc;
};

static int dict_repr_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct dict_repr *dr = ctx;
	struct repr_ctx *r = dr->r;

	if (dr->shown == r->d->opts.limits.max_container_items || r->b->full) {
		dr->more = 1;
		return 1;
	}
	if (dr->shown++)
		pyx_sb_str(r->b, ", ");
	dr->rc = repr_item(r, key, dr->depth);
	if (dr->rc == 0) {
		pyx_sb_str(r->b, ": ");
		dr->rc = repr_item(r, value, dr->depth);
	}
	return dr->rc < 0;
}

static int repr_dict(struct repr_ctx *r, uint64_t addr, int depth, struct pyx_error *err)
{
	struct dict_repr dr = {.r = r, .depth = depth};
	size_t max = r->d->opts.limits.max_container_items;
	int rc;

	pyx_sb_str(r->b, "{");
	rc = pyx_dict_items(r->d, addr, max + 1, dict_repr_cb, &dr, err);
	if (rc == -PYX_E_LIMIT && dr.rc == 0) {
		/* Scan limit reached: show what was seen. */
		pyx_error_clear(err);
		dr.more = 1;
		rc = 0;
	}
	if (rc < 0)
		goto out;
	rc = dr.rc;
	if (rc < 0) {
		pyx_error_set(err, -rc, 0, addr, "out of memory rendering a dict");
		goto out;
	}
	if (dr.more)
		pyx_sb_str(r->b, dr.shown ? ", ..." : "...");
	pyx_sb_str(r->b, "}");
out:
	return rc;
}

struct set_repr {
	struct repr_ctx *r;
	int depth;
	size_t shown;
	int rc;
};

static int set_repr_cb(void *ctx, uint64_t key)
{
	struct set_repr *sr = ctx;

	if (sr->r->b->full)
		return 1;
	if (sr->shown++)
		pyx_sb_str(sr->r->b, ", ");
	sr->rc = repr_item(sr->r, key, sr->depth);
	return sr->rc < 0;
}

static int repr_set(struct repr_ctx *r, uint64_t addr, const char *name, int depth,
		    struct pyx_error *err)
{
	struct set_repr sr = {.r = r, .depth = depth};
	uint64_t used = 0, slots, table;
	int frozen = strcmp(name, "frozenset") == 0, rc;

	rc = set_header(r->d, addr, &used, &slots, &table, err);
	if (rc < 0)
		goto out;
	if (!used) {
		pyx_sb_str(r->b, frozen ? "frozenset()" : "set()");
		goto out;
	}
	pyx_sb_str(r->b, frozen ? "frozenset({" : "{");
	rc = pyx_set_items(r->d, addr, r->d->opts.limits.max_container_items, set_repr_cb, &sr,
			   err);
	if (rc == -PYX_E_LIMIT && sr.rc == 0) {
		/* Scan limit reached: show what was seen. */
		pyx_error_clear(err);
		rc = 0;
	}
	if (rc == 0 && sr.rc < 0)
		rc = pyx_error_set(err, -sr.rc, 0, addr, "out of memory rendering a set");
	if (rc < 0)
		goto out;
	if (used > sr.shown)
		pyx_sb_str(r->b, sr.shown ? ", ..." : "...");
	pyx_sb_str(r->b, frozen ? "})" : "}");
out:
	return rc;
}

static int repr_container(struct repr_ctx *r, uint64_t addr, const char *base, const char *name,
			  int depth, struct pyx_error *err)
{
	int rc = 0;

	if (depth <= 0 || on_stack(r, addr) || r->nstack > MAX_REPR_DEPTH) {
		const char *s = base[0] == 'l' ? "[...]" : base[0] == 't' ? "(...)" : "{...}";
		pyx_sb_str(r->b, s);
		goto out;
	}
	r->stack[r->nstack++] = addr;
	if (base[0] == 'd')
		rc = repr_dict(r, addr, depth - 1, err);
	else if (base[0] == 's' || base[0] == 'f')
		rc = repr_set(r, addr, name, depth - 1, err);
	else
		rc = repr_tuple_list(r, addr, base[0] == 'l', depth - 1, err);
	r->nstack--;
out:
	return rc;
}

/* An object that is neither a scalar nor a container: a constant, a float,
 * a class, an instance. */
static int repr_other(struct repr_ctx *r, uint64_t addr, const struct type_info *t,
		      struct pyx_error *err)
{
	char name[TYPE_NAME_MAX];
	uint64_t name_addr;
	int rc = 0;

	if (strcmp(t->name, "NoneType") == 0) {
		pyx_sb_str(r->b, "None");
	} else if (strcmp(t->name, "ellipsis") == 0) {
		pyx_sb_str(r->b, "Ellipsis");
	} else if (strcmp(t->name, "NotImplementedType") == 0) {
		pyx_sb_str(r->b, "NotImplemented");
	} else if (strcmp(t->name, "float") == 0) {
		rc = repr_float(r, addr, err);
	} else if (t->flags & PYX_TPFLAGS_TYPE_SUBCLASS) {
		rc = pyx_dec_read_ptr(r->d, addr + (uint64_t)r->d->layout->off.type_object.tp_name,
				      &name_addr, err);
		if (rc == 0)
			rc = read_cstr(r->d, name_addr, name, sizeof name, err);
		if (rc == 0) {
			pyx_sb_str(r->b, "<class '");
			pyx_sb_name(r->b, name, '\'');
			pyx_sb_str(r->b, "'>");
		}
	} else {
		pyx_sb_str(r->b, "<");
		pyx_sb_name(r->b, t->name, 0);
		pyx_sb_printf(r->b, " object at 0x%llx>", (unsigned long long)addr);
	}
	return rc;
}

static int repr_obj(struct repr_ctx *r, uint64_t addr, int depth, struct pyx_error *err)
{
	enum pyx_obj_class cls;
	struct type_info t;
	const char *base;
	int rc, sub;

	if (!addr) {
		pyx_sb_str(r->b, "<NULL>");
		rc = 0;
		goto out;
	}
	rc = read_type_info(r->d, addr, &t, err);
	if (rc < 0)
		goto out;
	cls = class_of(&t, &base);
	if (cls == PYX_OBJ_OTHER) {
		rc = repr_other(r, addr, &t, err);
		goto out;
	}
	if (cls == PYX_OBJ_SET) {
		rc = repr_container(r, addr, base, t.name, depth, err);
		goto out;
	}
	/* Subclasses render as Name(<base repr>); bool is int's own. */
	sub = strcmp(t.name, base) != 0 && strcmp(t.name, "bool") != 0;
	if (sub) {
		pyx_sb_name(r->b, t.name, 0);
		pyx_sb_str(r->b, "(");
	}
	if (cls != PYX_OBJ_SCALAR)
		rc = repr_container(r, addr, base, t.name, depth, err);
	else if (base[0] == 'i')
		rc = repr_long(r, addr, &t, err);
	else if (base[0] == 's')
		rc = repr_str(r, addr, err);
	else
		rc = repr_bytes(r, addr, err);
	if (sub)
		pyx_sb_str(r->b, ")");
out:
	return rc;
}

int pyx_obj_repr(struct pyx_decoder *d, uint64_t obj_addr, size_t max_len, int depth,
		 const char **out, struct pyx_error *err)
{
	struct repr_ctx *r = NULL;
	struct pyx_sb b = {0};
	int rc;

	if (max_len == 0 || max_len > PYX_MEMSRC_MAX_READ || d->opts.limits.max_string_bytes < 1 ||
	    d->opts.limits.max_string_bytes > PYX_MEMSRC_MAX_READ) {
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0,
				   "repr length %zu or max_string_bytes out of range", max_len);
		goto out;
	}
	/* Working buffers live only for this call; the arena keeps just the
	 * result, at its length (a deep stack's locals made thousands). */
	r = calloc(1, sizeof *r);
	b.buf = malloc(max_len + 1);
	if (r) {
		r->str_buf = malloc(d->opts.limits.max_string_bytes + 1);
		r->lv = malloc(sizeof *r->lv);
	}
	if (!r || !b.buf || !r->str_buf || !r->lv) {
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for a repr");
		goto out;
	}
	b.cap = max_len;
	r->d = d;
	r->b = &b;
	if (depth > MAX_REPR_DEPTH)
		depth = MAX_REPR_DEPTH;
	rc = repr_obj(r, obj_addr, depth, err);
	if (rc < 0)
		goto out;
	if (b.full) {
		/* Cut at a character boundary and mark the cut. */
		size_t keep = max_len > 3 ? max_len - 3 : 0;
		while (keep && ((unsigned char)b.buf[keep] & 0xc0) == 0x80)
			keep--;
		b.len = keep;
		b.full = 0;
		b.cap = max_len;
		pyx_sb_put(&b, "...", max_len - keep < 3 ? max_len - keep : 3);
	}
	b.buf[b.len] = '\0';
	*out = pyx_arena_strndup(d->arena, b.buf, b.len);
	if (!*out)
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for a repr");
out:
	if (r) {
		free(r->str_buf);
		free(r->lv);
	}
	free(r);
	free(b.buf);
	return rc;
}
