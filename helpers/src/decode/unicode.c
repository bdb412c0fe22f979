/* SPDX-License-Identifier: MIT */
/* str objects to UTF-8: every PEP 393 representation (compact ASCII, compact
 * latin-1/UCS-2/UCS-4, legacy strings whose characters live in a separate
 * block), bounded by d->opts.limits.max_string_bytes and cut at a character
 * boundary. The state bits come from the layout's consts, never from a
 * version number (Include/cpython/unicodeobject.h, PyASCIIObject.state). */
#include <stdint.h>
#include <string.h>

#include "objects.h"
#include "unicode.h"


/* No string can be longer than a 47-bit user address space; a larger length
 * is garbage, not a string to truncate. */
#define MAX_SANE_LENGTH (INT64_C(1) << 47)

/* Characters decoded per remote read. */
enum { CHUNK_CHARS = 1024 };

struct ustr {
	uint64_t data_addr; /* first character */
	int64_t length;	    /* in code points */
	unsigned kind;	    /* 1, 2 or 4 bytes per character */
};

/* Checks that str_addr is a str (or subclass) and caches PyUnicode_Type. */
static int check_str_type(struct pyx_decoder *d, uint64_t str_addr, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t type_addr, flags, name_addr;
	char name[4];
	int rc;

	rc = pyx_dec_read_ptr(d, str_addr + (uint64_t)o->pyobject.ob_type, &type_addr, err);
	if (rc < 0)
		goto out;
	if (type_addr && type_addr == d->str_type_addr)
		goto out;
	rc = pyx_dec_read_ptr(d, type_addr + (uint64_t)o->type_object.tp_flags, &flags, err);
	if (rc < 0)
		goto out;
	if (!(flags & PYX_TPFLAGS_UNICODE_SUBCLASS)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, str_addr,
				   "object at 0x%llx is not a str", (unsigned long long)str_addr);
		goto out;
	}
	/* Remember the exact type only when it is str itself, not a subclass. */
	if (pyx_dec_read_ptr(d, type_addr + (uint64_t)o->type_object.tp_name, &name_addr, NULL) ==
		0 &&
	    pyx_memsrc_read(d->src, name_addr, name, sizeof name, NULL) == 0 &&
	    memcmp(name, "str", 4) == 0)
		d->str_type_addr = type_addr;
out:
	return rc;
}

static int bit_set(uint32_t state, int32_t bit)
{
	return PYX_HAS(bit) && bit < 32 && ((state >> bit) & 1u);
}

/* Reads and validates the header: where the characters are, how many, how wide. */
static int read_header(struct pyx_decoder *d, uint64_t str_addr, struct ustr *u,
		       struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	unsigned char hdr[128];
	size_t hdr_len = (size_t)o->unicode_object.asciiobject_size;
	uint32_t state;
	int compact, ascii, rc;

	if (hdr_len == 0 || hdr_len > sizeof hdr || !PYX_HAS(o->unicode_object.state) ||
	    !PYX_HAS(o->consts.unicode_kind_shift)) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "layout lacks the str header fields");
		goto out;
	}
	rc = check_str_type(d, str_addr, err);
	if (rc < 0)
		goto out;
	rc = pyx_memsrc_read(d->src, str_addr, hdr, hdr_len, err);
	if (rc < 0)
		goto out;
	state = pyx_get_u32(hdr, o->unicode_object.state);
	u->length = pyx_get_i64(hdr, o->unicode_object.length);
	u->kind = (state >> o->consts.unicode_kind_shift) & 7u;
	compact = bit_set(state, o->consts.unicode_compact_bit);
	ascii = bit_set(state, o->consts.unicode_ascii_bit);
	if (u->length < 0 || u->length > MAX_SANE_LENGTH) {
		rc =
		    pyx_error_set(err, PYX_E_BAD_DATA, 0, str_addr, "str at 0x%llx has length %lld",
				  (unsigned long long)str_addr, (long long)u->length);
		goto out;
	}
	/* <=3.11: a string that is not "ready" keeps its characters only in
	 * wstr; such strings never reach a frame or a dict key in practice. */
	if (PYX_HAS(o->consts.unicode_ready_bit) && !bit_set(state, o->consts.unicode_ready_bit)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, str_addr,
				   "str at 0x%llx is not ready (wstr only)",
				   (unsigned long long)str_addr);
		goto out;
	}
	if ((u->kind != 1 && u->kind != 2 && u->kind != 4) || (ascii && u->kind != 1)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, str_addr,
				   "str at 0x%llx has kind %u (state 0x%x)",
				   (unsigned long long)str_addr, u->kind, state);
		goto out;
	}
	if (compact && ascii) {
		u->data_addr = str_addr + hdr_len;
	} else if (compact) {
		u->data_addr = str_addr + (uint64_t)o->unicode_object.compactunicodeobject_size;
	} else {
		/* Legacy string (str subclasses, <=3.11 PyUnicode_FromUnicode):
		 * PyUnicodeObject.data.any points at a separate block. */
		rc = pyx_dec_read_ptr(d, str_addr + (uint64_t)o->unicode_object.data, &u->data_addr,
				      err);
		if (rc < 0)
			goto out;
		if (!u->data_addr && u->length) {
			rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, str_addr,
					   "legacy str at 0x%llx has no data",
					   (unsigned long long)str_addr);
			goto out;
		}
	}
out:
	return rc;
}

/* Appends code point c as UTF-8 if it fits in the room left; returns the
 * number of bytes written, 0 when it does not fit. Lone surrogates are
 * written like any other code point (Python's "surrogatepass") so repr can
 * show them; values past U+10FFFF become U+FFFD. */
static size_t put_utf8(char *out, size_t room, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (n > room)
		return 0;
	memcpy(out, b, n);
	return n;
}

int pyx_unicode_decode(struct pyx_decoder *d, uint64_t str_addr, char *out, size_t cap,
		       size_t *out_len, int *truncated, struct pyx_error *err)
{
	unsigned char chunk[CHUNK_CHARS * 4];
	struct ustr u;
	size_t len = 0, room = cap - 1, todo, done = 0;
	int rc;

	/* Each character yields at least one byte: reading more than `room`
	 * characters could never be used. */
	out[0] = '\0';
	*out_len = 0;
	*truncated = 0;
	rc = read_header(d, str_addr, &u, err);
	if (rc < 0)
		goto out;
	todo = (uint64_t)u.length < room ? (size_t)u.length : room;
	*truncated = (uint64_t)u.length > todo;
	while (done < todo) {
		size_t n = todo - done < CHUNK_CHARS ? todo - done : CHUNK_CHARS;
		rc = pyx_memsrc_read(d->src, u.data_addr + (uint64_t)done * u.kind, chunk,
				     n * u.kind, err);
		if (rc < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			uint32_t c;
			size_t w;
			if (u.kind == 1) {
				c = chunk[i];
			} else if (u.kind == 2) {
				uint16_t v;
				memcpy(&v, chunk + 2 * i, 2);
				c = v;
			} else {
				memcpy(&c, chunk + 4 * i, 4);
			}
			w = put_utf8(out + len, room - len, c);
			if (!w) {
				*truncated = 1;
				goto terminate;
			}
			len += w;
		}
		done += n;
	}
terminate:
	out[len] = '\0';
	*out_len = len;
out:
	return rc;
}

int pyx_obj_str(struct pyx_decoder *d, uint64_t str_addr, const char **out, struct pyx_error *err)
{
	size_t cap = d->opts.limits.max_string_bytes + 1, len;
	char *buf = NULL;
	int truncated, rc;

	if (cap < 2 || cap > PYX_MEMSRC_MAX_READ) {
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0, "max_string_bytes out of range");
		goto out;
	}
	buf = pyx_arena_alloc(d->arena, cap);
	if (!buf) {
		rc = pyx_error_set(err, PYX_E_NOMEM, 0, 0, "no memory for a string");
		goto out;
	}
	rc = pyx_unicode_decode(d, str_addr, buf, cap, &len, &truncated, err);
	if (rc == 0)
		*out = buf;
out:
	return rc;
}

int pyx_obj_str_buf(struct pyx_decoder *d, uint64_t str_addr, char *buf, size_t size,
		    struct pyx_error *err)
{
	size_t cap = size, len;
	int truncated, rc;

	if (!buf || size == 0) {
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0, "empty buffer for a string");
		goto out;
	}
	if (d->opts.limits.max_string_bytes + 1 < cap)
		cap = d->opts.limits.max_string_bytes + 1;
	rc = pyx_unicode_decode(d, str_addr, buf, cap, &len, &truncated, err);
out:
	return rc;
}
