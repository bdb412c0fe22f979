/* SPDX-License-Identifier: MIT */
/* Children of a container for a variables view (children.h): what
 * objects.c classifies and enumerates (sequences, sets, dicts) and the
 * attributes dict.c finds, one page at a time. Every child is rendered by
 * pyx_obj_repr, so a child shows as its parent's repr shows it. */
#include <errno.h>
#include <string.h>

#include "children.h"
#include "objects.h"

enum { SEQ_CHUNK = 64 }; /* item pointers read at once */

/* One page of children being collected from a walk. */
struct page {
	struct pyx_decoder *d;
	size_t start, max;
	size_t seen;		/* live children walked past */
	struct pyx_dec_var *out;
	size_t n;
	const char *kind;	/* "item", "entry", "attr" */
	int rc;			/* first failure of a callback (no memory) */
};

/* Fills v for the object at value. Only running out of memory fails. */
static int fill(struct pyx_decoder *d, struct pyx_dec_var *v, const char *name, const char *kind,
		uint64_t value)
{
	v->name = name;
	v->kind = kind;
	v->addr = value;
	if (!name)
		return -PYX_E_NOMEM;
	if (!value) {
		v->repr = "<NULL>";
		return 0;
	}
	if (pyx_obj_repr(d, value, PYX_VAR_REPR_MAX, PYX_VAR_REPR_DEPTH, &v->repr, NULL) < 0)
		v->repr = pyx_arena_printf(d->arena, "<unreadable object at 0x%llx>",
					   (unsigned long long)value);
	v->nchildren = pyx_obj_nchildren(d, value, &v->indexed);
	return v->repr ? 0 : -PYX_E_NOMEM;
}

/* How many of an object's len children can be listed: a dict's, a set's
 * or an attribute table is scanned only to limits.max_dict_entries. */
static uint64_t listable(struct pyx_decoder *d, enum pyx_obj_class cls, uint64_t len)
{
	uint64_t scan = d->opts.limits.max_dict_entries;

	if (cls != PYX_OBJ_LIST && cls != PYX_OBJ_TUPLE && len > scan)
		return scan;
	return len;
}

uint64_t pyx_obj_nchildren(struct pyx_decoder *d, uint64_t addr, int *indexed)
{
	enum pyx_obj_class cls = PYX_OBJ_OTHER;
	uint64_t len = 0;

	if (indexed)
		*indexed = 0;
	if (!addr || pyx_obj_classify(d, addr, &cls, &len, NULL, NULL) < 0)
		return 0;
	if (cls == PYX_OBJ_SCALAR)
		return 0;
	if (indexed)
		*indexed = cls == PYX_OBJ_LIST || cls == PYX_OBJ_TUPLE || cls == PYX_OBJ_SET;
	if (cls == PYX_OBJ_OTHER && pyx_obj_attr_count(d, addr, &len, NULL) < 0)
		return 0;
	return listable(d, cls, len);
}

/* Name of the i-th child, "[i]". */
static const char *index_name(struct pyx_decoder *d, uint64_t i)
{
	return pyx_arena_printf(d->arena, "[%llu]", (unsigned long long)i);
}

/* A dict key's or an attribute's name: a str attribute by its text, any
 * other key by its bounded repr. */
static const char *key_name(struct page *p, uint64_t key)
{
	const char *s = NULL;

	if (!strcmp(p->kind, "attr") && pyx_obj_str(p->d, key, &s, NULL) == 0)
		return s;
	if (pyx_obj_repr(p->d, key, PYX_CHILD_NAME_MAX, 1, &s, NULL) == 0)
		return s;
	return pyx_arena_printf(p->d->arena, "<unreadable key at 0x%llx>",
				(unsigned long long)key);
}

/* Keeps children start .. start + max - 1 of a walk; counts them all. */
static int pair_cb(void *ctx, uint64_t key, uint64_t value)
{
	struct page *p = ctx;
	size_t i = p->seen++;

	if (i < p->start)
		return 0;
	p->rc = fill(p->d, &p->out[p->n++], key_name(p, key), p->kind, value);
	return p->rc < 0 || p->n == p->max;
}

static int set_cb(void *ctx, uint64_t key)
{
	struct page *p = ctx;
	size_t i = p->seen++;

	if (i < p->start)
		return 0;
	p->rc = fill(p->d, &p->out[p->n++], index_name(p->d, i), p->kind, key);
	return p->rc < 0 || p->n == p->max;
}

/* Room for the page: at most avail children (those past start). */
static int page_alloc(struct page *p, uint64_t total, struct pyx_error *err)
{
	uint64_t avail = total > p->start ? total - p->start : 0;

	if (p->max > avail)
		p->max = (size_t)avail;
	p->out = pyx_arena_calloc(p->d->arena, p->max + 1, sizeof *p->out);
	if (!p->out)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	return 0;
}

static int seq_children(struct page *p, uint64_t addr, int is_list, uint64_t *total,
			struct pyx_error *err)
{
	uint64_t items = 0, n = 0, ptrs[SEQ_CHUNK];
	int rc;

	rc = pyx_obj_seq(p->d, addr, is_list, &items, &n, err);
	if (rc == 0)
		rc = page_alloc(p, n, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < p->max; i += SEQ_CHUNK) {
		size_t chunk = p->max - i < SEQ_CHUNK ? p->max - i : SEQ_CHUNK;
		rc = pyx_memsrc_read(p->d->src, items + 8 * (uint64_t)(p->start + i), ptrs,
				     8 * chunk, err);
		if (rc < 0)
			goto out;
		for (size_t j = 0; j < chunk; j++) {
			rc = fill(p->d, &p->out[p->n++], index_name(p->d, p->start + i + j), p->kind,
				  ptrs[j]);
			if (rc < 0) {
				pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
				goto out;
			}
		}
	}
	*total = n;
out:
	return rc;
}

int pyx_obj_children(struct pyx_decoder *d, uint64_t addr, size_t start, size_t max,
		     struct pyx_dec_var **out, size_t *nout, uint64_t *total,
		     struct pyx_error *err)
{
	struct page p = {.d = d, .start = start, .max = max};
	enum pyx_obj_class cls;
	const char *type = NULL;
	uint64_t len = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	*total = 0;
	rc = pyx_obj_classify(d, addr, &cls, &len, &type, err);
	if (rc == -PYX_E_FAULT && err)
		pyx_error_wrap(err, "no readable object at 0x%llx", (unsigned long long)addr);
	if (rc < 0)
		goto out;
	switch (cls) {
	case PYX_OBJ_TUPLE:
	case PYX_OBJ_LIST:
		p.kind = "item";
		rc = seq_children(&p, addr, cls == PYX_OBJ_LIST, total, err);
		break;
	case PYX_OBJ_SET:
	case PYX_OBJ_DICT:
		p.kind = cls == PYX_OBJ_SET ? "item" : "entry";
		*total = listable(d, cls, len);
		rc = page_alloc(&p, *total, err);
		if (rc < 0)
			break;
		if (p.max && cls == PYX_OBJ_SET)
			rc = pyx_set_items(d, addr, SIZE_MAX, set_cb, &p, err);
		else if (p.max)
			rc = pyx_dict_items(d, addr, SIZE_MAX, pair_cb, &p, err);
		if (rc == -PYX_E_LIMIT) {
			/* The walk reached the scan bound: it saw all there is to list. */
			pyx_error_clear(err);
			rc = 0;
			*total = p.seen;
		}
		break;
	case PYX_OBJ_OTHER:
		p.kind = "attr";
		rc = pyx_obj_attr_count(d, addr, &len, err);
		if (rc == 0) {
			*total = listable(d, cls, len);
			rc = page_alloc(&p, *total, err);
		}
		if (rc == 0 && p.max)
			rc = pyx_obj_attrs(d, addr, SIZE_MAX, pair_cb, &p, err);
		if (rc == -PYX_E_LIMIT) {
			pyx_error_clear(err);
			rc = 0;
			*total = p.seen;
		}
		if (rc == -PYX_E_NOT_FOUND)
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
					   "object at 0x%llx (%s) has no children to list",
					   (unsigned long long)addr, type);
		break;
	default:
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
				   "object at 0x%llx (%s) has no children to list",
				   (unsigned long long)addr, type);
		break;
	}
	if (rc == 0 && p.rc < 0)
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	if (rc < 0)
		goto out;
	*out = p.out;
	*nout = p.n;
out:
	return rc;
}
