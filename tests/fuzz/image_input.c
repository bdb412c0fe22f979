/* SPDX-License-Identifier: MIT */
/* The inputs of fuzz.h: parsing "PYXW" memory images (untrusted bytes,
 * every length checked against what is left), and inputs as files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static int take(const uint8_t **p, size_t *left, void *out, size_t n)
{
	if (*left < n)
		return -1;
	memcpy(out, *p, n);
	*p += n;
	*left -= n;
	return 0;
}

int fuzz_image_parse(const uint8_t *data, size_t size, struct fuzz_image *out)
{
	const uint8_t *p = data;
	size_t left = size;
	char magic[4];
	uint8_t minor, flags;
	uint16_t reserved;
	uint32_t n;
	memset(out, 0, sizeof *out);
	if (take(&p, &left, magic, 4) < 0 || memcmp(magic, "PYXW", 4) ||
	    take(&p, &left, &minor, 1) < 0 || take(&p, &left, &flags, 1) < 0 ||
	    take(&p, &left, &reserved, 2) < 0 || take(&p, &left, &out->runtime, 8) < 0 ||
	    take(&p, &left, &n, 4) < 0 || n > FUZZ_IMAGE_MAX_REGIONS)
		return -1;
	out->minor = minor;
	out->flags = flags;
	if (pyx_memsrc_open_image(&out->src, NULL) < 0)
		return -1;
	size_t zeros = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t base;
		uint32_t len, zero;
		if (take(&p, &left, &base, 8) < 0 || take(&p, &left, &len, 4) < 0 ||
		    take(&p, &left, &zero, 4) < 0)
			break;
		if (zero & 1) {
			if (len > FUZZ_IMAGE_MAX_ZEROS - zeros)
				break;
			void *z = calloc(1, len ? len : 1);
			if (!z)
				break;
			pyx_memsrc_image_add(out->src, base, z, len, NULL);
			free(z);
			zeros += len;
			continue;
		}
		if (len > left)
			break;
		pyx_memsrc_image_add(out->src, base, p, len, NULL);
		p += len;
		left -= len;
	}
	return 0;
}

void fuzz_image_close(struct fuzz_image *img)
{
	pyx_memsrc_close(img->src);
	img->src = NULL;
}

int fuzz_file(const uint8_t *data, size_t size, const char *name, char path[64])
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}
