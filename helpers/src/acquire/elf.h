/* SPDX-License-Identifier: MIT */
/* Minimal ELF64 reader for the files a target maps: symbol lookup in
 * .dynsym and .symtab, program headers, bytes at a virtual address. The file
 * is untrusted: every offset and size is checked against the mapping. */
#ifndef PYX_ELF_H
#define PYX_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/error.h>

struct pyx_elf;

/* Maps path read-only. -PYX_E_NOT_FOUND when it does not exist,
 * -PYX_E_BAD_DATA when it is not a 64-bit little-endian ELF file. */
int pyx_elf_open(const char *path, struct pyx_elf **out, struct pyx_error *err);
/* NULL allowed. */
void pyx_elf_close(struct pyx_elf *elf);

/* Address (unrelocated st_value) of a defined symbol, from .dynsym first,
 * then .symtab. -PYX_E_NOT_FOUND when absent. */
int pyx_elf_symbol(const struct pyx_elf *elf, const char *name, uint64_t *out);

/* Virtual address the first loadable segment maps at file offset 0,
 * page-aligned: load bias = (address of the offset-0 mapping) - this. */
uint64_t pyx_elf_base_vaddr(const struct pyx_elf *elf);

/* 1 for ET_DYN (PIE or shared object), 0 for ET_EXEC. */
int pyx_elf_is_dyn(const struct pyx_elf *elf);

/* Copies len file-backed bytes at virtual address vaddr (unrelocated).
 * -PYX_E_FAULT when the range is not inside one segment's file data. */
int pyx_elf_read_vaddr(const struct pyx_elf *elf, uint64_t vaddr, void *buf, size_t len,
		       struct pyx_error *err);

/* Address and size of a named section (e.g. ".PyRuntime"). */
int pyx_elf_section(const struct pyx_elf *elf, const char *name, uint64_t *addr,
		    uint64_t *size);

/* The file bytes of a named section (not for SHT_NOBITS); the pointer stays
 * valid until pyx_elf_close. */
int pyx_elf_section_data(const struct pyx_elf *elf, const char *name, const void **data,
			 size_t *len);

#endif
