/* SPDX-License-Identifier: MIT */
/* int objects: the sign and the digits of any version's PyLongObject
 * (ob_size before 3.12, lv_tag after), checked digit by digit. The repr and
 * the int64 conversion in objects.c read them from here. */
#include <string.h>

#include "long.h"

int pyx_long_read(struct pyx_decoder *d, uint64_t addr, size_t max_digits, struct pyx_long *v,
		  struct pyx_error *err)
{
	if (max_digits > PYX_LONG_MAX_DIGITS) /* the local buffers hold no more */
		max_digits = PYX_LONG_MAX_DIGITS;
	const struct pyx_layout *l = d->layout;
	const struct pyx_offsets *o = &l->off;
	unsigned char raw[PYX_LONG_MAX_DIGITS * 4];
	uint64_t word;
	size_t dsize;
	int rc;

	v->shift = (unsigned)o->consts.long_shift;
	if (v->shift != 15 && v->shift != 30) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "unsupported PyLong_SHIFT %d", o->consts.long_shift);
		goto out;
	}
	dsize = v->shift == 30 ? 4 : 2;
	if (l->long_is_tagged) {
		/* 3.12+ Include/internal/pycore_long.h: lv_tag bits 0-1 are
		 * the sign (0 positive, 1 zero, 2 negative), bit 2 marks
		 * immortal small ints (3.14+), the rest is the digit count. */
		rc = pyx_dec_read_ptr(d, addr + (uint64_t)o->long_object.lv_tag, &word, err);
		if (rc < 0)
			goto out;
		unsigned sign = (unsigned)(word & 3);
		if (sign == 3) {
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
					   "int at 0x%llx has a bad sign tag",
					   (unsigned long long)addr);
			goto out;
		}
		v->negative = sign == 2;
		v->ndigits = sign == 1 ? 0 : (size_t)(word >> 3);
	} else {
		/* <=3.11: ob_size is the signed digit count. */
		rc = pyx_dec_read_ptr(d, addr + (uint64_t)o->var_object.ob_size, &word, err);
		if (rc < 0)
			goto out;
		int64_t n = (int64_t)word;
		v->negative = n < 0;
		v->ndigits = (size_t)(n < 0 ? -(uint64_t)n : (uint64_t)n);
	}
	if (v->ndigits > max_digits) {
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, addr, "int at 0x%llx has %zu digits",
				   (unsigned long long)addr, v->ndigits);
		goto out;
	}
	if (!v->ndigits)
		goto out;
	rc = pyx_memsrc_read(d->src, addr + (uint64_t)o->long_object.ob_digit, raw,
			     v->ndigits * dsize, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < v->ndigits; i++) {
		uint32_t dg;
		if (dsize == 4) {
			memcpy(&dg, raw + 4 * i, 4);
		} else {
			uint16_t h;
			memcpy(&h, raw + 2 * i, 2);
			dg = h;
		}
		if (dg >> v->shift) {
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, addr,
					   "int at 0x%llx has an out-of-range digit",
					   (unsigned long long)addr);
			goto out;
		}
		v->digits[i] = dg;
	}
out:
	return rc;
}
