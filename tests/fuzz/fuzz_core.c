/* SPDX-License-Identifier: MIT */
/* The core target and its memory source on random core files: notes
 * (threads, identity, signal, auxiliary vector, mapped files), segments,
 * the argv scan of the initial stack, the mapped files' checks, reads of
 * memory the core describes, and pyx_core_check_exe. Input: the core's
 * bytes (seeds: tests/c/core_image.c's synthetic cores). */
#include <unistd.h>

#include "acquire/target.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, "fuzz-core", path);
	if (fd < 0)
		return 0;
	struct pyx_target *t = NULL;
	if (pyx_target_open_core(path, NULL, &t, NULL) == 0) {
		unsigned char buf[256];
		for (size_t i = 0; i < t->nthreads && i < 64; i++)
			pyx_memsrc_read(t->mem, t->threads[i].fs_base, buf, sizeof buf, NULL);
		for (size_t i = 0; i < t->nmaps && i < 64; i++) {
			pyx_memsrc_read(t->mem, t->maps[i].start, buf, sizeof buf, NULL);
			pyx_memsrc_read(t->mem, t->maps[i].end - 16, buf, 32, NULL);
			pyx_target_file_path(t, t->maps[i].path);
		}
		pyx_target_close(t);
	}
	pyx_core_check_exe(path, "/proc/self/exe", NULL);
	close(fd);
	return 0;
}
