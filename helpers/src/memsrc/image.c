/* SPDX-License-Identifier: MIT */
/* A memory source over copies of byte regions: the unit tests' synthetic
 * targets and the fuzzers' images. A read may span adjacent regions; a byte
 * outside every region is a fault. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memsrc_impl.h"

struct region {
	uint64_t base;
	size_t len;
	unsigned char *bytes;
};

struct image {
	struct region *regions;
	size_t n;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len, struct pyx_error *err)
{
	struct image *img = ctx;
	uint64_t start = addr;
	size_t want = len;
	while (len) {
		const struct region *hit = NULL;
		for (size_t i = 0; i < img->n && !hit; i++) {
			const struct region *r = &img->regions[i];
			if (addr >= r->base && addr - r->base < r->len)
				hit = r;
		}
		if (!hit)
			return pyx_error_set(err, PYX_E_FAULT, 0, start,
					     "%zu bytes at 0x%llx are not in the image", want,
					     (unsigned long long)start);
		size_t n = hit->len - (size_t)(addr - hit->base);
		if (n > len)
			n = len;
		memcpy(buf, hit->bytes + (addr - hit->base), n);
		buf = (char *)buf + n;
		addr += n;
		len -= n;
	}
	return 0;
}

static void image_close(void *ctx)
{
	struct image *img = ctx;
	for (size_t i = 0; i < img->n; i++)
		free(img->regions[i].bytes);
	free(img->regions);
	free(img);
}

static const struct pyx_memsrc_ops image_ops = {
	.name = "image",
	.read = image_read,
	.close = image_close,
};

int pyx_memsrc_open_image(struct pyx_memsrc **out, struct pyx_error *err)
{
	struct image *img = calloc(1, sizeof *img);
	if (!img)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	return pyx_memsrc_open_ops(&image_ops, img, 0, out, err);
}

int pyx_memsrc_image_add(struct pyx_memsrc *src, uint64_t base, const void *bytes, size_t len,
			 struct pyx_error *err)
{
	struct image *img = pyx_memsrc_ctx_if(src, &image_ops);
	if (!img)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "not an image memory source");
	struct region *r = realloc(img->regions, (img->n + 1) * sizeof *r);
	if (!r)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	img->regions = r;
	unsigned char *copy = malloc(len ? len : 1);
	if (!copy)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	memcpy(copy, bytes, len);
	r[img->n++] = (struct region){base, len, copy};
	return 0;
}
