/* SPDX-License-Identifier: MIT */
/* The ELF reader on random files: symbol lookups in .dynsym/.symtab,
 * segments, sections, bytes at an address, build-ids (of the file, and of
 * the same bytes as an image in memory) and the read-only-data version
 * scan. Input: the file's bytes. */
#include <unistd.h>

#include "acquire/elf.h"
#include "acquire/locate.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, "fuzz-elf", path);
	if (fd < 0)
		return 0;
	struct pyx_elf *elf = NULL;
	if (pyx_elf_open(path, &elf, NULL) == 0) {
		uint64_t a;
		unsigned char buf[64];
		const void *sec;
		size_t len;
		pyx_elf_symbol(elf, "_PyRuntime", &a);
		pyx_elf_symbol(elf, "Py_Version", &a);
		pyx_elf_base_vaddr(elf);
		pyx_elf_is_dyn(elf);
		if (pyx_elf_symbol(elf, "PyInterpreterState_Head", &a) == 0)
			pyx_elf_read_vaddr(elf, a, buf, 8, NULL);
		pyx_elf_read_vaddr(elf, 0x1000, buf, sizeof buf, NULL);
		static const char *const names[] = {"_PyRuntime", "Py_Version", "interp_head"};
		uint64_t v[3];
		pyx_elf_symbols(elf, names, 3, PYX_ELF_DYNSYM | PYX_ELF_SYMTAB, v);
		unsigned char id[PYX_BUILD_ID_MAX];
		pyx_elf_build_id(elf, id);
		pyx_elf_section_data(elf, ".rodata", &sec, &len);
		pyx_version_from_rodata(elf);
		pyx_elf_close(elf);
	}
	close(fd);
	unsigned char id[PYX_BUILD_ID_MAX];
	pyx_elf_image_build_id(data, size, id);
	return 0;
}
