/* SPDX-License-Identifier: MIT */
/* Synthetic target memory for unit tests: a growable byte image placed at a
 * fake base address, filled with structures laid out by a pyx_layout, then
 * handed to the decoder through an image memory source. */
#ifndef PYX_TEST_IMAGE_H
#define PYX_TEST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/memsrc.h>

struct test_image {
	uint64_t base;		/* remote address of bytes[0] */
	unsigned char *bytes;
	size_t len, cap;
};

/* An empty image whose first byte will be at `base`. */
void timg_init(struct test_image *img, uint64_t base);
void timg_free(struct test_image *img);

/* Reserves n zeroed bytes aligned to 16; returns the remote address. */
uint64_t timg_alloc(struct test_image *img, size_t n);

/* Writes at a remote address inside the image (aborts when outside). */
void timg_put(struct test_image *img, uint64_t addr, const void *src, size_t n);
void timg_put_u64(struct test_image *img, uint64_t addr, uint64_t v);
void timg_put_u32(struct test_image *img, uint64_t addr, uint32_t v);
void timg_put_u8(struct test_image *img, uint64_t addr, uint8_t v);

/* A memory source over the image's current contents (copied). */
struct pyx_memsrc *timg_memsrc(const struct test_image *img);

#endif
