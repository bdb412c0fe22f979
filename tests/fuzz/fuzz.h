/* SPDX-License-Identifier: MIT */
/* Fuzz targets: each defines LLVMFuzzerTestOneInput. Built with libFuzzer
 * (./configure --enable-fuzzing, clang) they fuzz; built by any compiler
 * they link driver.c, which replays the seed corpus and a bounded number of
 * deterministic mutations of it in `make check`. Shared here: the format of
 * a memory-image input ("PYXW"), which the seed generator writes from the
 * unit tests' synthetic runtimes, and inputs that are whole files. */
#ifndef PYX_FUZZ_H
#define PYX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/memsrc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "PYXW", u8 minor, u8 flags, u16 reserved, u64 runtime address,
 * u32 nregions, then nregions x (u64 base, u32 len, u32 zero, then len bytes
 * unless zero is 1: a run of zero bytes, which costs no input). */
enum { FUZZ_IMAGE_MAX_REGIONS = 4096, FUZZ_IMAGE_MAX_ZEROS = 16 << 20 };

struct fuzz_image {
	int minor;
	unsigned flags;
	uint64_t runtime;
	struct pyx_memsrc *src; /* NULL when the input is not an image */
};

/* Parses an image input (bounded by size). 0, or -1 when it is not one. */
int fuzz_image_parse(const uint8_t *data, size_t size, struct fuzz_image *out);
void fuzz_image_close(struct fuzz_image *img);

/* The input as a file (a memfd): its descriptor, and its /proc/self/fd
 * path in path[0..64); -1 when it cannot be made. */
int fuzz_file(const uint8_t *data, size_t size, const char *name, char path[64]);

#endif
