/* SPDX-License-Identifier: MIT */
/* dict objects and instance attributes. Two key-table models: 3.6-3.10
 * (dk_size, index width by size, PyDictKeyEntry) and 3.11+ (dk_log2_size,
 * dk_log2_index_bytes, dk_kind with general or unicode entries); split tables
 * take their values from ma_values or from an object's managed/inline values.
 * Keys are compared by decoding them: the target's string hash is salted. */
#include <stdint.h>
#include <string.h>

#include "objects.h"


/* Largest table we accept: dk_size is a power of two; 2^40 slots would be
 * terabytes of entries, so anything larger is garbage. */
enum { MAX_LOG2_SIZE = 40 };

/* Entries read per remote read. */
enum { CHUNK_ENTRIES = 128 };

/* Insertion-order indices of a split table are bytes (3.11+). */
enum { MAX_ORDER = 256 };

/* One key table plus where its values are: `values_addr` is the address of
 * the first value pointer of a split table, or 0 when values sit in the
 * entries. Entry layouts (same in 3.6-3.15): PyDictKeyEntry {me_hash,
 * me_key, me_value}, PyDictUnicodeEntry {me_key, me_value}; key and value
 * are the last two pointers of an entry of either kind. */
struct keys_view {
	uint64_t keys_addr;
	uint64_t entries_addr;
	uint64_t values_addr;
	uint64_t nentries;
	size_t entry_size;
	int ordered; /* 3.11+ split table: visit entries in order[] */
	int has_used; /* read from a dict object: used is its ma_used */
	uint64_t used;
	size_t norder;
	uint8_t order[MAX_ORDER];
};

static int bad(struct pyx_error *err, uint64_t addr, const char *what)
{
	return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "dict keys at 0x%llx: %s",
			     (unsigned long long)addr, what);
}

/* Offset of the first value pointer inside a PyDictValues: past the 3.13+
 * header, 0 before (the layout may mark it absent there). */
static uint64_t values_off(const struct pyx_offsets *o)
{
	return PYX_HAS(o->dict_values.values) ? (uint64_t)o->dict_values.values : 0;
}

/* Reads the insertion order of a 3.11+ split table whose PyDictValues is at
 * dv_addr (Objects/dictobject.c get_index_from_order): 3.11/3.12 keep it in
 * a prefix before the values ([-1] prefix size, [-2] count, [-3 - i] index
 * i); 3.13+ after values[capacity], with the count in the header. */
static int read_order(struct pyx_decoder *d, uint64_t dv_addr, struct keys_view *v,
		      struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint8_t hdr[8], raw[MAX_ORDER];
	size_t n;
	int rc = 0;

	if (!PYX_HAS(o->dict_values.valid)) {
		rc = pyx_memsrc_read(d->src, dv_addr - 2, hdr, 2, err);
		if (rc < 0)
			goto out;
		n = hdr[0];
		if (n + 2 > hdr[1]) {
			rc = bad(err, v->keys_addr, "split values prefix is inconsistent");
			goto out;
		}
		if (n) {
			rc = pyx_memsrc_read(d->src, dv_addr - 2 - n, raw, n, err);
			if (rc < 0)
				goto out;
		}
		for (size_t i = 0; i < n; i++)
			v->order[i] = raw[n - 1 - i];
	} else {
		/* Tables without the 3.13 header offsets fall back to key order. */
		int32_t cap_off = o->dict_values.capacity, len_off = o->dict_values.order_len;
		if (!PYX_HAS(cap_off) || !PYX_HAS(len_off) || cap_off == len_off || cap_off > 7 ||
		    len_off > 7)
			goto out;
		rc = pyx_memsrc_read(d->src, dv_addr, hdr, sizeof hdr, err);
		if (rc < 0)
			goto out;
		n = hdr[len_off];
		if (n > hdr[cap_off]) {
			rc = bad(err, v->keys_addr, "split values size exceeds capacity");
			goto out;
		}
		if (n) {
			rc = pyx_memsrc_read(d->src, v->values_addr + 8 * (uint64_t)hdr[cap_off],
					     v->order, n, err);
			if (rc < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (v->order[i] >= v->nentries) {
			rc = bad(err, v->keys_addr, "split values order out of range");
			goto out;
		}
	}
	v->ordered = 1;
	v->norder = n;
out:
	return rc;
}

/* Reads a PyDictKeysObject header and locates its entries. `dv_addr` is the
 * PyDictValues of a split table (0 for combined tables). */
static int keys_view_init(struct pyx_decoder *d, uint64_t keys_addr, uint64_t dv_addr,
			  struct keys_view *v, struct pyx_error *err)
{
	const struct pyx_layout *l = d->layout;
	const struct pyx_offsets *o = &l->off;
	unsigned char hdr[128];
	size_t hdr_len = (size_t)o->dict_keys.dk_indices;
	uint64_t nslots, index_bytes;
	int64_t nentries;
	int rc;

	memset(v, 0, sizeof *v);
	if (!keys_addr) {
		rc = bad(err, keys_addr, "NULL keys");
		goto out;
	}
	if (hdr_len == 0 || hdr_len > sizeof hdr) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "layout lacks dict_keys.dk_indices");
		goto out;
	}
	rc = pyx_memsrc_read(d->src, keys_addr, hdr, hdr_len, err);
	if (rc < 0)
		goto out;
	nentries = pyx_get_i64(hdr, o->dict_keys.dk_nentries);
	v->entry_size = (size_t)o->consts.dict_entry_size;
	if (l->dict_model == PYX_DICT_36) {
		/* Objects/dict-common.h: index width 1/2/4/8 bytes by dk_size. */
		int64_t size = pyx_get_i64(hdr, o->dict_keys.dk_size);
		if (size <= 0 || (size & (size - 1)) || size > (INT64_C(1) << MAX_LOG2_SIZE)) {
			rc = bad(err, keys_addr, "dk_size is not a sane power of two");
			goto out;
		}
		nslots = (uint64_t)size;
		index_bytes = nslots * (nslots <= 0xff		? 1
					: nslots <= 0xffff	? 2
					: nslots <= 0xffffffffu ? 4
								: 8);
	} else {
		/* Include/internal/pycore_dict.h (3.11+): entries start
		 * 1 << dk_log2_index_bytes bytes after dk_indices. */
		unsigned log2_size = pyx_get_u8(hdr, o->dict_keys.dk_log2_size);
		unsigned log2_ib = pyx_get_u8(hdr, o->dict_keys.dk_log2_index_bytes);
		unsigned kind = pyx_get_u8(hdr, o->dict_keys.dk_kind);
		if (log2_size > MAX_LOG2_SIZE || log2_ib < log2_size || log2_ib > log2_size + 3) {
			rc = bad(err, keys_addr, "dk_log2_size / dk_log2_index_bytes out of range");
			goto out;
		}
		if (kind != PYX_DICT_KEYS_GENERAL && kind != PYX_DICT_KEYS_UNICODE &&
		    kind != PYX_DICT_KEYS_SPLIT) {
			rc = bad(err, keys_addr, "unknown dk_kind");
			goto out;
		}
		if (kind == PYX_DICT_KEYS_SPLIT && !dv_addr) {
			rc = bad(err, keys_addr, "split keys without values");
			goto out;
		}
		if (kind != PYX_DICT_KEYS_GENERAL)
			v->entry_size = (size_t)o->consts.dict_unicode_entry_size;
		nslots = UINT64_C(1) << log2_size;
		index_bytes = UINT64_C(1) << log2_ib;
	}
	if (v->entry_size < 16 || v->entry_size > 32) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "layout lacks a sane dict entry size");
		goto out;
	}
	/* Usable entries are 2/3 of the slots; more than the slots is garbage. */
	if (nentries < 0 || (uint64_t)nentries > nslots) {
		rc = bad(err, keys_addr, "dk_nentries out of range");
		goto out;
	}
	v->keys_addr = keys_addr;
	v->entries_addr = keys_addr + hdr_len + index_bytes;
	v->values_addr = dv_addr ? dv_addr + values_off(o) : 0;
	v->nentries = (uint64_t)nentries;
	if (dv_addr && l->dict_model == PYX_DICT_311)
		rc = read_order(d, dv_addr, v, err);
out:
	return rc;
}

/* Visits a split table in its insertion order: at most MAX_ORDER entries,
 * all read at once. */
static int walk_ordered(struct pyx_decoder *d, const struct keys_view *v, size_t max,
			int (*fn)(void *ctx, uint64_t key_addr, uint64_t value_addr), void *ctx,
			int *stopped, struct pyx_error *err)
{
	unsigned char ents[MAX_ORDER * 32];
	uint64_t vals[MAX_ORDER];
	size_t n = 0, seen = 0;
	int rc = 0;

	for (size_t i = 0; i < v->norder; i++)
		if ((size_t)v->order[i] + 1 > n)
			n = (size_t)v->order[i] + 1;
	if (!n)
		goto out;
	rc = pyx_memsrc_read(d->src, v->entries_addr, ents, n * v->entry_size, err);
	if (rc < 0)
		goto out;
	rc = pyx_memsrc_read(d->src, v->values_addr, vals, n * 8, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < v->norder && seen < max; i++) {
		const unsigned char *e = ents + v->order[i] * v->entry_size;
		uint64_t key = pyx_get_u64(e, (int32_t)v->entry_size - 16);
		uint64_t value = vals[v->order[i]];
		if (!key || !value)
			continue;
		seen++;
		if (fn(ctx, key, value)) {
			*stopped = 1;
			goto out;
		}
	}
out:
	return rc;
}

/* Calls fn for each live (key, value) of the view, at most `max` of them
 * and scanning at most limits.max_dict_entries entries. fn returns nonzero
 * to stop; *stopped tells whether it did. */
static int keys_view_walk(struct pyx_decoder *d, const struct keys_view *v, size_t max,
			  int (*fn)(void *ctx, uint64_t key_addr, uint64_t value_addr), void *ctx,
			  int *stopped, struct pyx_error *err)
{
	unsigned char ents[CHUNK_ENTRIES * 32];
	uint64_t vals[CHUNK_ENTRIES];
	uint64_t n = v->nentries, i = 0;
	size_t seen = 0;
	int rc = 0;

	*stopped = 0;
	if (n > d->opts.limits.max_dict_entries)
		n = d->opts.limits.max_dict_entries;
	if (v->ordered) {
		rc = walk_ordered(d, v, max, fn, ctx, stopped, err);
		goto out;
	}
	while (i < n && seen < max) {
		size_t chunk = n - i < CHUNK_ENTRIES ? (size_t)(n - i) : CHUNK_ENTRIES;
		rc = pyx_memsrc_read(d->src, v->entries_addr + i * v->entry_size, ents,
				     chunk * v->entry_size, err);
		if (rc < 0)
			goto out;
		if (v->values_addr) {
			rc = pyx_memsrc_read(d->src, v->values_addr + i * 8, vals, chunk * 8, err);
			if (rc < 0)
				goto out;
		}
		for (size_t j = 0; j < chunk && seen < max; j++) {
			const unsigned char *e = ents + j * v->entry_size;
			uint64_t key = pyx_get_u64(e, (int32_t)v->entry_size - 16);
			uint64_t value =
			    v->values_addr ? vals[j] : pyx_get_u64(e, (int32_t)v->entry_size - 8);
			if (!key || !value)
				continue;
			seen++;
			if (fn(ctx, key, value)) {
				*stopped = 1;
				goto out;
			}
		}
		i += chunk;
	}
	/* Only a walk that still wanted entries is cut short by the limit. */
	if (seen < max && n < v->nentries)
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, v->keys_addr,
				   "dict of %llu entries exceeds the scan limit %zu",
				   (unsigned long long)v->nentries, d->opts.limits.max_dict_entries);
out:
	return rc;
}

/* Reads a dict object into a keys view. */
static int dict_view_init(struct pyx_decoder *d, uint64_t dict_addr, struct keys_view *v,
			  struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t type_addr, flags, keys, values;
	unsigned char buf[128];
	size_t len = (size_t)o->dict_object.size;
	int rc;

	if (len == 0 || len > sizeof buf) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "layout lacks dict_object.size");
		goto out;
	}
	rc = pyx_memsrc_read(d->src, dict_addr, buf, len, err);
	if (rc < 0)
		goto out;
	type_addr = pyx_get_u64(buf, o->pyobject.ob_type);
	rc = pyx_dec_read_ptr(d, type_addr + (uint64_t)o->type_object.tp_flags, &flags, err);
	if (rc < 0)
		goto out;
	if (!(flags & PYX_TPFLAGS_DICT_SUBCLASS)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, dict_addr,
				   "object at 0x%llx is not a dict", (unsigned long long)dict_addr);
		goto out;
	}
	keys = pyx_get_u64(buf, o->dict_object.ma_keys);
	values = pyx_get_u64(buf, o->dict_object.ma_values);
	rc = keys_view_init(d, keys, values, v, err);
	if (rc < 0)
		goto out;
	v->used = pyx_get_u64(buf, o->dict_object.ma_used);
	v->has_used = 1;
	if (v->used > v->nentries)
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, dict_addr,
				   "dict at 0x%llx has ma_used %lld of %llu entries",
				   (unsigned long long)dict_addr, (long long)v->used,
				   (unsigned long long)v->nentries);
out:
	return rc;
}

int pyx_dict_items(struct pyx_decoder *d, uint64_t dict_addr, size_t max,
		   int (*fn)(void *ctx, uint64_t key_addr, uint64_t value_addr), void *ctx,
		   struct pyx_error *err)
{
	struct keys_view v;
	int stopped, rc;

	rc = dict_view_init(d, dict_addr, &v, err);
	if (rc < 0)
		goto out;
	rc = keys_view_walk(d, &v, max, fn, ctx, &stopped, err);
out:
	return rc;
}

struct find_ctx {
	struct pyx_decoder *d;
	const char *key;
	size_t key_len;
	char *buf; /* key_len + 2 bytes */
	uint64_t found;
};

static int find_cb(void *ctx, uint64_t key_addr, uint64_t value_addr)
{
	struct find_ctx *f = ctx;

	/* Keys that are not str (or unreadable) simply do not match. A buffer of
	 * key_len + 2 bytes tells a longer remote key from an equal one. */
	if (pyx_obj_str_buf(f->d, key_addr, f->buf, f->key_len + 2, NULL) < 0)
		return 0;
	if (strcmp(f->buf, f->key) != 0)
		return 0;
	f->found = value_addr;
	return 1;
}

static int find_init(struct pyx_decoder *d, const char *key, struct find_ctx *f,
		     struct pyx_error *err)
{
	int rc = 0;

	f->d = d;
	f->key = key;
	f->key_len = strlen(key);
	f->found = 0;
	f->buf = NULL;
	/* Longer keys could match a truncated decode: refuse them. */
	if (f->key_len + 1 > d->opts.limits.max_string_bytes) {
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0,
				   "key of %zu bytes exceeds max_string_bytes", f->key_len);
		goto out;
	}
	f->buf = pyx_arena_alloc(d->arena, f->key_len + 2);
	if (!f->buf)
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for a key");
out:
	return rc;
}

static int find_in_view(struct pyx_decoder *d, const struct keys_view *v, const char *key,
			uint64_t *out, struct pyx_error *err)
{
	struct find_ctx f;
	int stopped, rc;

	*out = 0;
	rc = find_init(d, key, &f, err);
	if (rc < 0)
		goto out;
	rc = keys_view_walk(d, v, SIZE_MAX, find_cb, &f, &stopped, err);
	if (rc < 0)
		goto out;
	if (!stopped) {
		rc =
		    pyx_error_set(err, PYX_E_NOT_FOUND, 0, v->keys_addr, "key '%s' not found", key);
		goto out;
	}
	*out = f.found;
out:
	return rc;
}

int pyx_dict_get_str(struct pyx_decoder *d, uint64_t dict_addr, const char *key, uint64_t *out,
		     struct pyx_error *err)
{
	struct keys_view v;
	int rc;

	*out = 0;
	rc = dict_view_init(d, dict_addr, &v, err);
	if (rc < 0)
		goto out;
	rc = find_in_view(d, &v, key, out, err);
out:
	return rc;
}

/* Instance attributes ------------------------------------------------------ */

struct inst_type {
	uint64_t addr;
	uint64_t flags;
	int64_t basicsize, itemsize, dictoffset;
};

static int read_inst_type(struct pyx_decoder *d, uint64_t obj_addr, struct inst_type *t,
			  struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	unsigned char buf[512];
	int32_t end = 0;
	int rc;

	rc = pyx_dec_read_ptr(d, obj_addr + (uint64_t)o->pyobject.ob_type, &t->addr, err);
	if (rc < 0)
		goto out;
	const int32_t fields[] = {o->type_object.tp_flags, o->type_object.tp_basicsize,
				  o->type_object.tp_itemsize, o->type_object.tp_dictoffset};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (fields[i] + 8 > end)
			end = fields[i] + 8;
	if (end > (int32_t)sizeof buf || o->type_object.tp_flags < 0) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "layout lacks type_object fields");
		goto out;
	}
	rc = pyx_memsrc_read(d->src, t->addr, buf, (size_t)end, err);
	if (rc < 0)
		goto out;
	t->flags = pyx_get_u64(buf, o->type_object.tp_flags);
	t->basicsize = pyx_get_i64(buf, o->type_object.tp_basicsize);
	t->itemsize = pyx_get_i64(buf, o->type_object.tp_itemsize);
	t->dictoffset = pyx_get_i64(buf, o->type_object.tp_dictoffset);
	if (t->basicsize <= 0 || t->basicsize > (1 << 20) || t->itemsize < 0 ||
	    t->itemsize > (1 << 20)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, t->addr,
				   "type at 0x%llx has basicsize %lld itemsize %lld",
				   (unsigned long long)t->addr, (long long)t->basicsize,
				   (long long)t->itemsize);
		goto out;
	}
out:
	return rc;
}

/* A view over shared keys (heap_type_object.ht_cached_keys) with the
 * PyDictValues at dv_addr. */
static int values_view(struct pyx_decoder *d, const struct inst_type *t, uint64_t dv_addr,
		       struct keys_view *v, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t keys;
	int rc;

	rc =
	    pyx_dec_read_ptr(d, t->addr + (uint64_t)o->heap_type_object.ht_cached_keys, &keys, err);
	if (rc == 0)
		rc = keys_view_init(d, keys, dv_addr, v, err);
	return rc;
}

/* Where the instance dict pointer of a tp_dictoffset type is
 * (Objects/object.c _PyObject_GetDictPtr): a negative offset counts from the
 * end of the variable-size object, rounded up to a pointer. */
static int dictoffset_addr(struct pyx_decoder *d, uint64_t obj_addr, const struct inst_type *t,
			   uint64_t *out, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	int64_t off = t->dictoffset;
	uint64_t size_word;
	int rc = 0;

	if (off < 0) {
		int64_t n, total;
		rc = pyx_dec_read_ptr(d, obj_addr + (uint64_t)o->var_object.ob_size, &size_word,
				      err);
		if (rc < 0)
			goto out;
		n = (int64_t)size_word;
		if (n < 0)
			n = -n;
		if (n > (INT64_C(1) << 32)) {
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, obj_addr,
					   "object at 0x%llx has ob_size %lld",
					   (unsigned long long)obj_addr, (long long)n);
			goto out;
		}
		total = t->basicsize + n * t->itemsize + off;
		off = (total + 7) & ~INT64_C(7);
	}
	*out = obj_addr + (uint64_t)off;
out:
	return rc;
}

/* Where an instance keeps its attributes, as a keys view: its values
 * (split keys of its class) or its dict. -PYX_E_NOT_FOUND when neither. */
static int instance_view(struct pyx_decoder *d, uint64_t obj_addr, struct keys_view *v,
			 struct pyx_error *err)
{
	const struct pyx_layout *l = d->layout;
	const struct pyx_offsets *o = &l->off;
	struct inst_type t;
	uint64_t dict = 0, word = 0, ptr_addr = 0;
	int managed, rc;

	rc = read_inst_type(d, obj_addr, &t, err);
	if (rc < 0)
		goto out;
	managed = PYX_HAS(o->consts.tpflags_managed_dict) &&
		  (t.flags & (uint64_t)o->consts.tpflags_managed_dict) &&
		  l->instdict_model != PYX_INSTDICT_OFFSET;
	if (managed) {
		uint64_t dict_ptr = obj_addr + (uint64_t)(int64_t)o->consts.managed_dict_offset;
		switch (l->instdict_model) {
		case PYX_INSTDICT_MANAGED_311:
			/* Include/internal/pycore_object.h 3.11: values at -4
			 * words (one below the dict), dict at -3 words. */
			rc = pyx_dec_read_ptr(d, dict_ptr - 8, &word, err);
			if (rc < 0)
				goto out;
			if (word) {
				rc = values_view(d, &t, word, v, err);
				goto out;
			}
			rc = pyx_dec_read_ptr(d, dict_ptr, &dict, err);
			break;
		case PYX_INSTDICT_MANAGED_312:
			/* 3.12 _PyDictOrValues: low bit set means values, stored
			 * as (values - 1). */
			rc = pyx_dec_read_ptr(d, dict_ptr, &word, err);
			if (rc < 0)
				goto out;
			if (word & 1) {
				rc = values_view(d, &t, word + 1, v, err);
				goto out;
			}
			dict = word;
			break;
		default:
			/* 3.13+: a materialized dict wins (it may share the
			 * inline values); else inline values at tp_basicsize
			 * while their `valid` byte is set. */
			rc = pyx_dec_read_ptr(d, dict_ptr, &dict, err);
			if (rc < 0)
				goto out;
			if (!dict && PYX_HAS(o->consts.tpflags_inline_values) &&
			    (t.flags & (uint64_t)o->consts.tpflags_inline_values)) {
				uint64_t values = obj_addr + (uint64_t)t.basicsize;
				uint8_t valid = 1;
				if (PYX_HAS(o->dict_values.valid)) {
					rc = pyx_memsrc_read(
					    d->src, values + (uint64_t)o->dict_values.valid, &valid,
					    1, err);
					if (rc < 0)
						goto out;
				}
				if (valid) {
					rc = values_view(d, &t, values, v, err);
					goto out;
				}
			}
			break;
		}
		if (rc < 0)
			goto out;
	} else if (t.dictoffset != 0) {
		rc = dictoffset_addr(d, obj_addr, &t, &ptr_addr, err);
		if (rc < 0)
			goto out;
		rc = pyx_dec_read_ptr(d, ptr_addr, &dict, err);
		if (rc < 0)
			goto out;
	}
	if (!dict) {
		rc = pyx_error_set(err, PYX_E_NOT_FOUND, 0, obj_addr,
				   "object at 0x%llx has no instance dict",
				   (unsigned long long)obj_addr);
		goto out;
	}
	rc = dict_view_init(d, dict, v, err);
out:
	return rc;
}

int pyx_obj_getattr(struct pyx_decoder *d, uint64_t obj_addr, const char *name, uint64_t *out,
		    struct pyx_error *err)
{
	struct keys_view v;
	int rc;

	*out = 0;
	rc = instance_view(d, obj_addr, &v, err);
	if (rc == -PYX_E_NOT_FOUND)
		rc = pyx_error_set(err, PYX_E_NOT_FOUND, 0, obj_addr,
				   "object at 0x%llx has no instance dict for '%s'",
				   (unsigned long long)obj_addr, name);
	if (rc == 0)
		rc = find_in_view(d, &v, name, out, err);
	return rc;
}

int pyx_obj_attrs(struct pyx_decoder *d, uint64_t obj_addr, size_t max,
		  int (*fn)(void *ctx, uint64_t key_addr, uint64_t value_addr), void *ctx,
		  struct pyx_error *err)
{
	struct keys_view v;
	int stopped, rc;

	rc = instance_view(d, obj_addr, &v, err);
	if (rc == 0)
		rc = keys_view_walk(d, &v, max, fn, ctx, &stopped, err);
	return rc;
}

static int count_cb(void *ctx, uint64_t key_addr, uint64_t value_addr)
{
	(void)key_addr;
	(void)value_addr;
	(*(uint64_t *)ctx)++;
	return 0;
}

int pyx_obj_attr_count(struct pyx_decoder *d, uint64_t obj_addr, uint64_t *out,
		       struct pyx_error *err)
{
	struct keys_view v;
	int stopped, rc;

	*out = 0;
	rc = instance_view(d, obj_addr, &v, err);
	if (rc < 0)
		goto out;
	if (v.has_used)
		*out = v.used;
	else if (v.ordered)
		*out = v.norder;
	else
		rc = keys_view_walk(d, &v, SIZE_MAX, count_cb, out, &stopped, err);
out:
	return rc;
}
