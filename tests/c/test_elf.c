/* SPDX-License-Identifier: MIT */
/* The ELF reader (acquire/elf.c, over libelf) on this test's own
 * executable: symbols against the running copy, the build-id from the file
 * and from the mapped image, and a copy truncated while it is read (a
 * mapped reader would die of SIGBUS there; ours must fail cleanly). */
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acquire/elf.h"
#include "tap.h"

int pyx_test_elf_marker;
int pyx_test_elf_marker = 42;
int main(void);

static uintptr_t own_base(void)
{
	uintptr_t base = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (!f || n <= 0)
		abort();
	exe[n] = '\0';
	while (fgets(line, sizeof line, f)) {
		unsigned long start, end, off;
		char perms[8], dev[16], path[512] = "";
		unsigned long inode;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %511s", &start, &end, perms, &off, dev,
			   &inode, path) >= 6 &&
		    off == 0 && !strcmp(path, exe)) {
			base = start;
			break;
		}
	}
	fclose(f);
	return base;
}

/* A copy of our executable in a temporary file; its path in buf. */
static int copy_self(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/pyxray-test-elf-XXXXXX");
	int out = mkstemp(buf);
	int in = open("/proc/self/exe", O_RDONLY);
	char chunk[65536];
	ssize_t n;
	if (out < 0 || in < 0)
		abort();
	while ((n = read(in, chunk, sizeof chunk)) > 0)
		if (write(out, chunk, (size_t)n) != n)
			abort();
	close(in);
	return out;
}

static void test_symbols(void)
{
	struct pyx_elf *elf = NULL;
	struct pyx_error err;
	uint64_t v[3] = {0, 0, 0};
	is_int(pyx_elf_open("/proc/self/exe", &elf, &err), 0, "own executable opens");
	static const char *const names[] = {"pyx_test_elf_marker", "main", "no_such_symbol_here"};
	uint32_t found = pyx_elf_symbols(elf, names, 3, PYX_ELF_DYNSYM | PYX_ELF_SYMTAB, v);
	is_int(found, 3, "two of three names found in one pass");
	uint64_t bias = pyx_elf_is_dyn(elf) ? own_base() - pyx_elf_base_vaddr(elf) : 0;
	is_int(v[0] + bias, (uintptr_t)&pyx_test_elf_marker, "a data symbol, relocated");
	is_int(v[1] + bias, (uintptr_t)&main, "main, relocated");
	int value = 0;
	is_int(pyx_elf_read_vaddr(elf, v[0], &value, sizeof value, &err), 0,
	       "its initial value read from the file");
	is_int(value, 42, "as initialized");
	is_int(pyx_elf_symbol(elf, "no_such_symbol_here", &v[2]), -PYX_E_NOT_FOUND,
	       "an absent symbol");
	const void *data;
	size_t len;
	is_int(pyx_elf_section_data(elf, ".rodata", &data, &len), 0, ".rodata found");
	ok(len > 0 && memmem(data, len, "a data symbol, relocated", 24) != NULL,
	   ".rodata holds this test's strings");
	unsigned char id[PYX_BUILD_ID_MAX], mem_id[PYX_BUILD_ID_MAX];
	size_t n = pyx_elf_build_id(elf, id);
	ok(n >= 16, "the file has a GNU build-id (%zu bytes)", n);
	size_t m = pyx_elf_image_build_id((const void *)own_base(), 4096, mem_id);
	ok(m == n && !memcmp(id, mem_id, n), "the mapped image names the same build-id");
	char hex[2 * PYX_BUILD_ID_MAX + 1];
	pyx_build_id_hex(id, n, hex);
	is_int((long long)strlen(hex), (long long)(2 * n), "hex form");
	pyx_elf_close(elf);
	is_int(pyx_elf_open("/nonexistent/file", &elf, &err), -PYX_E_NOT_FOUND, "missing file");
	is_int(pyx_elf_open("/proc/self/status", &elf, &err), -PYX_E_BAD_DATA, "not ELF");
	unsigned char junk[4096] = {0x7f, 'E', 'L', 'F'};
	is_int(pyx_elf_image_build_id(junk, sizeof junk, mem_id), 0, "a bare magic: no build-id");
}

/* issue 11 item 4: a library that shrinks while we read it (an upgrade
 * rewriting it in place) must give errors, not SIGBUS. */
static void test_truncated_while_read(void)
{
	char path[64];
	struct pyx_elf *elf = NULL;
	struct pyx_error err;
	int fd = copy_self(path, sizeof path);
	is_int(pyx_elf_open(path, &elf, &err), 0, "a copy opens");
	if (ftruncate(fd, 64) < 0)
		abort();
	uint64_t v = 0;
	static const char *const name = "pyx_test_elf_marker";
	is_int(pyx_elf_symbols(elf, &name, 1, PYX_ELF_DYNSYM | PYX_ELF_SYMTAB, &v), 0,
	       "symbols of the truncated file: not found, no signal");
	const void *data;
	size_t len;
	is_int(pyx_elf_section_data(elf, ".rodata", &data, &len), -PYX_E_NOT_FOUND,
	       ".rodata of the truncated file: not found");
	unsigned char id[PYX_BUILD_ID_MAX];
	is_int(pyx_elf_build_id(elf, id), 0, "build-id of the truncated file: none");
	int value;
	ok(pyx_elf_read_vaddr(elf, 0x1000, &value, sizeof value, &err) < 0,
	   "bytes of the truncated file: an error");
	pyx_elf_close(elf);
	if (ftruncate(fd, 0) < 0)
		abort();
	is_int(pyx_elf_open(path, &elf, &err), -PYX_E_BAD_DATA, "an empty file is not ELF");
	close(fd);
	unlink(path);
}

int main(void)
{
	test_symbols();
	test_truncated_while_read();
	return tap_done();
}
