/* SPDX-License-Identifier: MIT */
/* Memory sources: image bounds, the page cache in front of a counting
 * backend, length limits, and live/self reads that fault cleanly. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pyxray/memsrc.h>

#include "image.h"
#include "tap.h"

struct counting {
	unsigned char mem[3 * 4096];
	uint64_t base;
	int calls;
};

static int counting_read(void *ctx, uint64_t addr, void *buf, size_t len,
			 struct pyx_error *err)
{
	struct counting *c = ctx;
	c->calls++;
	if (addr < c->base || addr - c->base + len > sizeof c->mem)
		return pyx_error_set(err, PYX_E_FAULT, 0, addr, "outside");
	memcpy(buf, c->mem + (addr - c->base), len);
	return 0;
}

static const struct pyx_memsrc_ops counting_ops = {"counting", counting_read, NULL};

static void test_image(void)
{
	struct test_image img;
	timg_init(&img, 0x10000);
	uint64_t a = timg_alloc(&img, 64);
	timg_put_u64(&img, a + 8, 0x1122334455667788ull);
	struct pyx_memsrc *src = timg_memsrc(&img);
	struct pyx_error err;
	uint64_t v = 0;
	is_int(pyx_memsrc_read_u64(src, a + 8, &v, &err), 0, "image: read inside");
	ok(v == 0x1122334455667788ull, "image: value round-trips");
	is_int(pyx_memsrc_read_u64(src, a + 60, &v, &err), -PYX_E_FAULT,
	       "image: read straddling the end faults");
	ok(err.addr == a + 60, "image: fault address reported");
	is_int(pyx_memsrc_read_u64(src, 0x10, &v, &err), -PYX_E_FAULT, "image: read below faults");
	unsigned char big[16];
	is_int(pyx_memsrc_read(src, UINT64_MAX - 4, big, sizeof big, &err), -PYX_E_FAULT,
	       "wrapping range faults");
	is_int(pyx_memsrc_read(src, a, NULL, (size_t)PYX_MEMSRC_MAX_READ + 1, &err), -PYX_E_LIMIT,
	       "oversized read refused before touching the backend");
	pyx_memsrc_close(src);
	timg_free(&img);
}

static void test_cache(void)
{
	struct counting *c = calloc(1, sizeof *c);
	c->base = 0x400000;
	for (size_t i = 0; i < sizeof c->mem; i++)
		c->mem[i] = (unsigned char)i;
	struct pyx_memsrc *src;
	struct pyx_error err;
	is_int(pyx_memsrc_open_ops(&counting_ops, c, PYX_MEMSRC_CACHE, &src, &err), 0, "open cached");
	unsigned char buf[64];
	int okay = 1;
	for (int i = 0; i < 50; i++) {
		okay &= pyx_memsrc_read(src, c->base + 100 + (uint64_t)i * 8, buf, 8, &err) == 0;
		okay &= buf[0] == (unsigned char)(100 + i * 8);
	}
	ok(okay, "cached reads return the right bytes");
	is_int(c->calls, 1, "50 reads in one page cost one backend read");
	ok(pyx_memsrc_read(src, c->base + 4090, buf, 12, &err) == 0 && buf[0] == (unsigned char)4090 &&
		   buf[11] == (unsigned char)(4101 & 0xff),
	   "read across a page boundary");
	is_int(c->calls, 2, "the second page is fetched once");
	pyx_memsrc_invalidate(src);
	pyx_memsrc_read(src, c->base + 8, buf, 8, &err);
	is_int(c->calls, 3, "invalidate drops cached pages");
	is_int(pyx_memsrc_read(src, c->base + 3 * 4096 - 4, buf, 8, &err), -PYX_E_FAULT,
	       "a read reaching an absent page faults");
	uint64_t reads, bytes;
	pyx_memsrc_stats(src, &reads, &bytes);
	ok(reads >= 4 && bytes >= 4 * 4096, "stats count backend reads");
	pyx_memsrc_close(src);
	free(c);
}

/* A host reading a core has a file's sections, not whole pages: a page that
 * is readable only in part still serves the bytes that are there. */
static void test_partial_page(void)
{
	struct counting *c = calloc(1, sizeof *c);
	c->base = 0x400800; /* the page at 0x400000 is readable from its middle on */
	for (size_t i = 0; i < sizeof c->mem; i++)
		c->mem[i] = (unsigned char)i;
	struct pyx_memsrc *src;
	struct pyx_error err;
	is_int(pyx_memsrc_open_ops(&counting_ops, c, PYX_MEMSRC_CACHE, &src, &err), 0, "open cached");
	unsigned char buf[8];
	ok(pyx_memsrc_read(src, c->base + 16, buf, 8, &err) == 0 && buf[0] == 16,
	   "partial page: the readable bytes are read");
	is_int(pyx_memsrc_read(src, c->base - 8, buf, 8, &err), -PYX_E_FAULT,
	       "partial page: bytes before the readable part fault");
	ok(err.addr == c->base - 8, "partial page: fault address reported");
	pyx_memsrc_close(src);
	free(c);
}

static void test_self(void)
{
	struct pyx_memsrc *src;
	struct pyx_error err;
	static const char secret[] = "pyxray self read";
	is_int(pyx_memsrc_open_self(0, &src, &err), 0, "open self");
	char buf[sizeof secret];
	is_int(pyx_memsrc_read(src, (uint64_t)(uintptr_t)secret, buf, sizeof buf, &err), 0,
	       "self: read own memory");
	is_str(buf, secret, "self: bytes match");
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc = pyx_memsrc_read(src, (uint64_t)(uintptr_t)page, buf, 8, &err);
	is_int(rc, -PYX_E_FAULT, "self: unreadable page is an error, not a signal");
	is_int(pyx_memsrc_read(src, 8, buf, 8, &err), -PYX_E_FAULT, "self: NULL page faults");
	munmap(page, 4096);
	pyx_memsrc_close(src);
	is_int(pyx_memsrc_open_live(0, 0, &src, &err), -PYX_E_INVALID, "live: pid 0 refused");
	is_int(pyx_memsrc_open_live(0x3ffffff0, 0, &src, &err), -PYX_E_NO_PROCESS,
	       "live: absent pid is NO_PROCESS");
}

int main(void)
{
	test_image();
	test_cache();
	test_partial_page();
	test_self();
	return tap_done();
}
