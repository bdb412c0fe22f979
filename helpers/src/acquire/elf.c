/* SPDX-License-Identifier: MIT */
/* ELF64 symbol and segment lookup over a read-only mapping of the file.
 * Used to find _PyRuntime, Py_Version and friends in the executable or
 * libpython without debug info: they are exported in .dynsym. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"

struct symtab {
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strs;
	size_t strsize;
};

struct pyx_elf {
	const unsigned char *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	size_t nph;
	const Elf64_Shdr *sh;
	size_t nsh;
	struct symtab dyn, tab;
};

static int in_file(const struct pyx_elf *elf, uint64_t off, uint64_t len)
{
	return off <= elf->size && len <= elf->size - off;
}

static void load_symtab(struct pyx_elf *elf, unsigned type, struct symtab *out)
{
	for (size_t i = 0; i < elf->nsh; i++) {
		const Elf64_Shdr *s = &elf->sh[i];
		if (s->sh_type != type || s->sh_entsize != sizeof(Elf64_Sym) ||
		    !in_file(elf, s->sh_offset, s->sh_size) || s->sh_link >= elf->nsh ||
		    s->sh_offset % _Alignof(Elf64_Sym)) /* the table is read in place */
			continue;
		const Elf64_Shdr *str = &elf->sh[s->sh_link];
		if (str->sh_type == SHT_NOBITS || !in_file(elf, str->sh_offset, str->sh_size))
			continue;
		out->syms = (const Elf64_Sym *)(elf->data + s->sh_offset);
		out->nsyms = s->sh_size / sizeof(Elf64_Sym);
		out->strs = (const char *)elf->data + str->sh_offset;
		out->strsize = str->sh_size;
		return;
	}
}

int pyx_elf_open(const char *path, struct pyx_elf **out, struct pyx_error *err)
{
	int rc = 0;
	void *map = MAP_FAILED;
	struct stat st;
	struct pyx_elf *elf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pyx_error_set(err, errno == ENOENT ? PYX_E_NOT_FOUND : PYX_E_OS, errno, 0,
				     "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "%s is not an ELF file", path);
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = pyx_error_set(err, PYX_E_OS, errno, 0, "cannot map %s: %s", path,
				   strerror(errno));
		goto out;
	}
	elf = calloc(1, sizeof *elf);
	if (!elf) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto out;
	}
	elf->data = map;
	elf->size = (size_t)st.st_size;
	elf->eh = map;
	const Elf64_Ehdr *eh = elf->eh;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
				   "%s is not a 64-bit little-endian ELF file", path);
		goto out;
	}
	if (eh->e_phentsize == sizeof(Elf64_Phdr) &&
	    in_file(elf, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) &&
	    eh->e_phoff % _Alignof(Elf64_Phdr) == 0) {
		elf->ph = (const Elf64_Phdr *)(elf->data + eh->e_phoff);
		elf->nph = eh->e_phnum;
	}
	if (eh->e_shentsize == sizeof(Elf64_Shdr) &&
	    in_file(elf, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) &&
	    eh->e_shoff % _Alignof(Elf64_Shdr) == 0) {
		elf->sh = (const Elf64_Shdr *)(elf->data + eh->e_shoff);
		elf->nsh = eh->e_shnum;
	}
	load_symtab(elf, SHT_DYNSYM, &elf->dyn);
	load_symtab(elf, SHT_SYMTAB, &elf->tab);
	*out = elf;
	elf = NULL;
	map = MAP_FAILED;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	free(elf);
	close(fd);
	return rc;
}

void pyx_elf_close(struct pyx_elf *elf)
{
	if (!elf)
		return;
	munmap((void *)elf->data, elf->size);
	free(elf);
}

static int find_in(const struct symtab *t, const char *name, uint64_t *out)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < t->nsyms; i++) {
		const Elf64_Sym *s = &t->syms[i];
		if (s->st_shndx == SHN_UNDEF || s->st_name >= t->strsize ||
		    t->strsize - s->st_name <= len)
			continue;
		const char *sn = t->strs + s->st_name;
		if (sn[len] == '\0' && !memcmp(sn, name, len)) {
			*out = s->st_value;
			return 0;
		}
	}
	return -PYX_E_NOT_FOUND;
}

int pyx_elf_symbol(const struct pyx_elf *elf, const char *name, uint64_t *out)
{
	if (find_in(&elf->dyn, name, out) == 0)
		return 0;
	return find_in(&elf->tab, name, out);
}

uint64_t pyx_elf_base_vaddr(const struct pyx_elf *elf)
{
	for (size_t i = 0; i < elf->nph; i++)
		if (elf->ph[i].p_type == PT_LOAD)
			return (elf->ph[i].p_vaddr - elf->ph[i].p_offset) & ~(uint64_t)0xfff;
	return 0;
}

int pyx_elf_is_dyn(const struct pyx_elf *elf)
{
	return elf->eh->e_type == ET_DYN;
}

int pyx_elf_read_vaddr(const struct pyx_elf *elf, uint64_t vaddr, void *buf, size_t len,
		       struct pyx_error *err)
{
	for (size_t i = 0; i < elf->nph; i++) {
		const Elf64_Phdr *p = &elf->ph[i];
		if (p->p_type != PT_LOAD || vaddr < p->p_vaddr)
			continue;
		uint64_t rel = vaddr - p->p_vaddr;
		if (rel > p->p_filesz || len > p->p_filesz - rel || p->p_offset > UINT64_MAX - rel)
			continue;
		if (!in_file(elf, p->p_offset + rel, len))
			break;
		memcpy(buf, elf->data + p->p_offset + rel, len);
		return 0;
	}
	return pyx_error_set(err, PYX_E_FAULT, 0, vaddr,
			     "0x%llx is not in the file's loadable data",
			     (unsigned long long)vaddr);
}

static const Elf64_Shdr *find_section(const struct pyx_elf *elf, const char *name)
{
	if (!elf->nsh || elf->eh->e_shstrndx >= elf->nsh)
		return NULL;
	const Elf64_Shdr *strs = &elf->sh[elf->eh->e_shstrndx];
	if (!in_file(elf, strs->sh_offset, strs->sh_size))
		return NULL;
	size_t len = strlen(name);
	for (size_t i = 0; i < elf->nsh; i++) {
		uint64_t off = elf->sh[i].sh_name;
		if (off >= strs->sh_size || strs->sh_size - off <= len)
			continue;
		const char *sn = (const char *)elf->data + strs->sh_offset + off;
		if (sn[len] == '\0' && !memcmp(sn, name, len))
			return &elf->sh[i];
	}
	return NULL;
}

int pyx_elf_section(const struct pyx_elf *elf, const char *name, uint64_t *addr,
		    uint64_t *size)
{
	const Elf64_Shdr *s = find_section(elf, name);
	if (!s)
		return -PYX_E_NOT_FOUND;
	*addr = s->sh_addr;
	*size = s->sh_size;
	return 0;
}

int pyx_elf_section_data(const struct pyx_elf *elf, const char *name, const void **data,
			 size_t *len)
{
	const Elf64_Shdr *s = find_section(elf, name);
	if (!s || s->sh_type == SHT_NOBITS || !in_file(elf, s->sh_offset, s->sh_size))
		return -PYX_E_NOT_FOUND;
	*data = elf->data + s->sh_offset;
	*len = s->sh_size;
	return 0;
}
