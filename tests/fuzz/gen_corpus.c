/* SPDX-License-Identifier: MIT */
/* Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/) from the
 * unit tests' synthetic CPython worlds, real line tables and valid
 * _Py_DebugOffsets images, so that mutations start deep inside each parser.
 * Run by hand when the worlds or the input formats change:
 *   make tests/fuzz/gen_corpus && tests/fuzz/gen_corpus tests/fuzz/corpus */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_image.h"
#include "world.h"

#define LINETABLE_ARRAYS
#include "linetable_fixtures.h"
#undef LINETABLE_ARRAYS

static const char *root;

static void write_file(const char *target, const char *name, const void *a, size_t alen,
		       const void *b, size_t blen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen)) {
		fprintf(stderr, "gen_corpus: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fclose(f);
}

/* One "PYXW" image (fuzz.h) of a test image: runs of 64 or more zero bytes
 * become zero regions, so the seeds stay small. */
static void write_image(const char *target, const char *name, int minor, unsigned flags,
			uint64_t addr, const struct test_image *img)
{
	size_t cap = 64 + img->len * 2, n = 0, len = 20;
	unsigned char *out = calloc(1, cap);
	uint32_t nregions = 0;
	memcpy(out, "PYXW", 4);
	out[4] = (unsigned char)minor;
	out[5] = (unsigned char)flags;
	memcpy(out + 8, &addr, 8);
	for (size_t i = 0; i < img->len;) {
		size_t j = i, zeros = 0;
		/* a data run ends where 64 zero bytes start */
		while (j < img->len && zeros < 64) {
			zeros = img->bytes[j] ? 0 : zeros + 1;
			j++;
		}
		size_t data_end = zeros >= 64 ? j - zeros : j;
		if (data_end > i) {
			uint64_t base = img->base + i;
			uint32_t l = (uint32_t)(data_end - i), z = 0;
			memcpy(out + len, &base, 8);
			memcpy(out + len + 8, &l, 4);
			memcpy(out + len + 12, &z, 4);
			memcpy(out + len + 16, img->bytes + i, l);
			len += 16 + l;
			nregions++;
		}
		if (zeros >= 64) {
			while (j < img->len && !img->bytes[j])
				j++;
			uint64_t base = img->base + data_end;
			uint32_t l = (uint32_t)(j - data_end), z = 1;
			memcpy(out + len, &base, 8);
			memcpy(out + len + 8, &l, 4);
			memcpy(out + len + 12, &z, 4);
			len += 16;
			nregions++;
		}
		i = j;
	}
	memcpy(out + 16, &nregions, 4);
	(void)n;
	write_file(target, name, out, len, NULL, 0);
	free(out);
}

static void worlds(void)
{
	for (int minor = 7; minor <= 15; minor++) {
		struct world w;
		uint64_t interps[2], tstates[3], gil;
		char name[64];
		world_init(&w, minor);
		uint64_t rt = world_runtime(&w, interps, tstates, &gil);
		/* flags 0, 5, 10, 15, and 17: locals and asyncio tasks */
		for (unsigned flags = 0; flags < 20; flags += flags == 15 ? 2 : 5) {
			snprintf(name, sizeof name, "world-3.%d-%u", minor, flags);
			write_image("snapshot", name, minor, flags, rt, &w.img);
		}
		timg_free(&w.img);
		/* objects, each in an image of its own */
		world_init(&w, minor);
		/* objects: a str, bytes and a code object of this layout */
		uint64_t s = pyobj_str(&w.env, "hello, world");
		uint64_t b = pyobj_bytes(&w.env, "\x00\xff bytes", 8);
		snprintf(name, sizeof name, "str-3.%d", minor);
		write_image("objects", name, minor, 0, s, &w.img);
		snprintf(name, sizeof name, "bytes-3.%d", minor);
		write_image("objects", name, minor, 0, b, &w.img);
		snprintf(name, sizeof name, "code-3.%d", minor);
		write_image("objects", name, minor, 0, w.codes[0], &w.img);
		timg_free(&w.img);
	}
}

static void linetables(void)
{
	int n = 0;
#define FIXTURE(id, kind, first, tlen, nunits)                                                     \
	{                                                                                          \
		unsigned char hdr[9];                                                              \
		int32_t f = (first), off = (nunits) / 2;                                           \
		char name[64];                                                                     \
		hdr[0] = PYX_LINES_##kind == PYX_LINES_LNOTAB	   ? 0                             \
			 : PYX_LINES_##kind == PYX_LINES_LINETABLE ? 1                             \
								   : 2;                            \
		memcpy(hdr + 1, &f, 4);                                                            \
		memcpy(hdr + 5, &off, 4);                                                          \
		snprintf(name, sizeof name, "%s", #id);                                            \
		write_file("linetable", name, hdr, sizeof hdr, id##_table, (size_t)(tlen));      \
		n++;                                                                               \
	}
#include "linetable_fixtures.h"
#undef FIXTURE
	(void)n;
}

static void debug_offsets(void)
{
	for (int minor = 13; minor <= 15; minor++) {
		struct do_image im;
		unsigned char sel = (unsigned char)(minor - 13);
		char name[32];
		build_image(&im, minor, 0x03000000u | ((uint32_t)minor << 16));
		snprintf(name, sizeof name, "valid-3.%d", minor);
		write_file("debug_offsets", name, &sel, 1, im.words, im.desc->n_words * 8);
	}
}

/* Synthetic cores (tests/c/core_image.c), small: a kernel core, a gcore
 * one, one cut in the middle of its segments. Their mapped files are
 * /bin/true, present on any Linux machine. */
static void cores(void)
{
	static const struct {
		const char *name;
		int gcore, cut;
	} seeds[] = {{"kernel", 0, 0}, {"gcore", 1, 0}, {"cut", 0, 1}};
	char path[4096];
	snprintf(path, sizeof path, "%s/core", root);
	mkdir(path, 0755);
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		struct core_image_spec sp = {seeds[i].gcore, "/bin/true", "/bin/true", "/bin/true", 0};
		snprintf(path, sizeof path, "%s/core/%s", root, seeds[i].name);
		size_t n = core_image_write(path, &sp);
		if (seeds[i].cut && truncate(path, (off_t)(n - CORE_STACK_SIZE - 0x800)) < 0) {
			fprintf(stderr, "gen_corpus: cannot cut %s: %s\n", path, strerror(errno));
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	worlds();
	linetables();
	debug_offsets();
	cores();
	return 0;
}
