/* SPDX-License-Identifier: MIT */
/* Synthetic CPython objects for the decoder's object tests, laid out by one
 * version's table: types, str of every kind, int, float, bytes, tuple, list,
 * set, dicts of each key model, classes and instances with every
 * instance-dict model; and a decoder over the image. */
#ifndef PYX_TEST_OBJFX_H
#define PYX_TEST_OBJFX_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decoder.h"
#include "image.h"
#include "layout/layout.h"

/* tp_flags bits (Include/object.h). */
#define F_HEAPTYPE (1UL << 9)
#define F_LONG (1UL << 24)
#define F_LIST (1UL << 25)
#define F_TUPLE (1UL << 26)
#define F_BYTES (1UL << 27)
#define F_UNICODE (1UL << 28)
#define F_DICT (1UL << 29)
#define F_TYPE (1UL << 31)

struct fx {
	int minor;
	struct pyx_layout l;
	const struct pyx_offsets *o;
	struct test_image img;
	uint64_t t_type, t_str, t_int, t_bool, t_float, t_none, t_tuple, t_list, t_dict, t_set,
	    t_frozenset, t_bytes, t_module, t_plain, t_odict;
	uint64_t none;
};

enum dict_kind { DK_GENERAL, DK_UNICODE, DK_SPLIT };

struct dec {
	struct pyx_memsrc *src;
	struct pyx_arena *arena;
	struct pyx_decoder d;
};

void put(struct fx *f, uint64_t addr, int32_t off, uint64_t v, int width);
uint64_t cstr(struct fx *f, const char *s);
uint64_t obj(struct fx *f, uint64_t type, size_t size);
uint64_t mktype(struct fx *f, const char *name, uint64_t flags);
uint64_t mkstr_cp(struct fx *f, const uint32_t *cp, size_t n, int legacy);
uint64_t mkstr(struct fx *f, const char *ascii);
uint64_t mkint_digits(struct fx *f, uint64_t type, int neg, const uint32_t *dg, size_t n);
uint64_t mkint(struct fx *f, int64_t v);
uint64_t mkfloat(struct fx *f, double x);
uint64_t mkbytes(struct fx *f, const void *p, size_t n);
uint64_t mktuple(struct fx *f, const uint64_t *items, size_t n);
uint64_t mklist(struct fx *f, const uint64_t *items, size_t n);
uint64_t mkset(struct fx *f, uint64_t type, const uint64_t *keys, size_t n);
uint64_t mkkeys(struct fx *f, enum dict_kind kind, const uint64_t *keys,
	    const uint64_t *values, size_t n, int hole);
void put_order(struct fx *f, uint64_t dv, size_t nent, int hole, int reversed,
	    size_t capacity);
uint64_t mkvalues(struct fx *f, const uint64_t *values, size_t n, int hole);
uint64_t mkdict(struct fx *f, enum dict_kind kind, const uint64_t *keys,
	    const uint64_t *values, size_t n, int hole);
void fx_init(struct fx *f, int minor);
void dec_open(struct dec *x, struct fx *f);
void dec_close(struct dec *x);
const char *repr(struct dec *x, uint64_t addr, size_t max_len);
uint64_t mkclass(struct fx *f, const char *name, const uint64_t *attr_names, size_t n);
uint64_t mkinstance(struct fx *f, uint64_t cls, const uint64_t *names,
	    const uint64_t *values, size_t n, int use_dict);

#endif
