/* SPDX-License-Identifier: MIT */
/* The project's one ELF reader, over elfutils' libelf: symbols of the files
 * a target maps (.dynsym, .symtab), program headers, bytes at a virtual
 * address, named sections and GNU build-ids. Files are read with pread
 * (ELF_C_READ), never mapped, so a file that shrinks while it is read is an
 * error, not a SIGBUS. Every file is untrusted; libelf checks offsets and
 * sizes against the file. Not async-signal-safe (libelf allocates). */
#ifndef PYX_ELF_H
#define PYX_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <pyxray/error.h>

struct pyx_elf;

enum { PYX_BUILD_ID_MAX = 64 }; /* bytes; GNU ld writes 20 (SHA-1) */

/* Opens path for reading. -PYX_E_NOT_FOUND when it does not exist,
 * -PYX_E_BAD_DATA when it is not a 64-bit little-endian ELF file. */
int pyx_elf_open(const char *path, struct pyx_elf **out, struct pyx_error *err);
/* NULL allowed. */
void pyx_elf_close(struct pyx_elf *elf);

enum pyx_elf_tables {
	PYX_ELF_DYNSYM = 1u << 0, /* exported symbols (kept by strip) */
	PYX_ELF_SYMTAB = 1u << 1, /* the full table, when not stripped */
};

/* Looks up n (at most 32) defined symbols in one pass over each table
 * asked for (.dynsym first; .symtab only for the names still missing).
 * values[i] is the unrelocated st_value of names[i]. Returns the bit mask
 * of the names found (bit i for names[i]); 0 when none or unreadable. */
uint32_t pyx_elf_symbols(struct pyx_elf *elf, const char *const *names, size_t n, unsigned tables,
			 uint64_t *values);

/* One symbol: 0, or -PYX_E_NOT_FOUND when absent. */
int pyx_elf_symbol(struct pyx_elf *elf, const char *name, uint64_t *out);

/* Virtual address the first loadable segment maps at file offset 0,
 * page-aligned: load bias = (address of the offset-0 mapping) - this. */
uint64_t pyx_elf_base_vaddr(struct pyx_elf *elf);

/* 1 for ET_DYN (PIE or shared object), 0 for ET_EXEC. */
int pyx_elf_is_dyn(struct pyx_elf *elf);

/* Copies len file-backed bytes at virtual address vaddr (unrelocated).
 * -PYX_E_FAULT when the range is not inside one segment's file data. */
int pyx_elf_read_vaddr(struct pyx_elf *elf, uint64_t vaddr, void *buf, size_t len,
		       struct pyx_error *err);

/* Address (unrelocated) and size of a named section (".AsyncioDebug").
 * -PYX_E_NOT_FOUND when absent. */
int pyx_elf_section(struct pyx_elf *elf, const char *name, uint64_t *addr, uint64_t *size);

/* The file bytes of a named section (not for SHT_NOBITS); the pointer stays
 * valid until pyx_elf_close. -PYX_E_NOT_FOUND when absent or unreadable. */
int pyx_elf_section_data(struct pyx_elf *elf, const char *name, const void **data, size_t *len);

/* The GNU build-id (NT_GNU_BUILD_ID in a PT_NOTE segment): its length, 0
 * when the file has none. */
size_t pyx_elf_build_id(struct pyx_elf *elf, unsigned char id[PYX_BUILD_ID_MAX]);

/* The build-id of an ELF object from the first bytes of its image in a
 * process (its file offset 0 as mapped: header, program headers, and the
 * notes when they lie within len bytes, as GNU ld places them): its
 * length, 0 when it cannot be told from these bytes. */
size_t pyx_elf_image_build_id(const void *image, size_t len, unsigned char id[PYX_BUILD_ID_MAX]);

/* "0123abcd..." for printing a build-id (at least 2 * len + 1 bytes). */
void pyx_build_id_hex(const unsigned char *id, size_t len, char *out);

#endif
