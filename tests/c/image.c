/* SPDX-License-Identifier: MIT */
/* Synthetic target memory for unit tests (see image.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

void timg_init(struct test_image *img, uint64_t base)
{
	memset(img, 0, sizeof *img);
	img->base = base;
}

void timg_free(struct test_image *img)
{
	free(img->bytes);
	memset(img, 0, sizeof *img);
}

uint64_t timg_alloc(struct test_image *img, size_t n)
{
	size_t start = (img->len + 15) & ~(size_t)15;
	size_t end = start + n;
	if (end > img->cap) {
		size_t cap = img->cap ? img->cap : 4096;
		while (cap < end)
			cap *= 2;
		unsigned char *p = realloc(img->bytes, cap);
		if (!p)
			abort();
		memset(p + img->cap, 0, cap - img->cap);
		img->bytes = p;
		img->cap = cap;
	}
	img->len = end;
	return img->base + start;
}

void timg_put(struct test_image *img, uint64_t addr, const void *src, size_t n)
{
	if (addr < img->base || addr - img->base + n > img->len) {
		fprintf(stderr, "timg_put outside the image: 0x%llx+%zu\n",
			(unsigned long long)addr, n);
		abort();
	}
	memcpy(img->bytes + (addr - img->base), src, n);
}

void timg_put_u64(struct test_image *img, uint64_t addr, uint64_t v)
{
	timg_put(img, addr, &v, sizeof v);
}

void timg_put_u32(struct test_image *img, uint64_t addr, uint32_t v)
{
	timg_put(img, addr, &v, sizeof v);
}

void timg_put_u8(struct test_image *img, uint64_t addr, uint8_t v)
{
	timg_put(img, addr, &v, sizeof v);
}

struct pyx_memsrc *timg_memsrc(const struct test_image *img)
{
	struct pyx_memsrc *src = NULL;
	if (pyx_memsrc_open_image(&src, NULL) < 0)
		abort();
	if (img->len && pyx_memsrc_image_add(src, img->base, img->bytes, img->len, NULL) < 0)
		abort();
	return src;
}
