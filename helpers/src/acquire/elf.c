/* SPDX-License-Identifier: MIT */
/* ELF files through elfutils' libelf, read with pread (ELF_C_READ): the
 * exported symbols that locate CPython without debug info (_PyRuntime,
 * Py_Version... are in .dynsym), segments, sections and build-ids. No file
 * is ever mapped: a library truncated or replaced while we read it makes a
 * read fail, where a mapping would raise SIGBUS in us. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"

enum {
	NOTES_MAX = 64 * 1024, /* a PT_NOTE segment worth looking into for a build-id */
	IMAGE_MAX = 64 * 1024, /* header bytes of an in-memory image we parse */
};

struct pyx_elf {
	int fd;
	Elf *e;
	GElf_Ehdr eh;
	size_t nph;
};

static int libelf_ready(void)
{
	return elf_version(EV_CURRENT) != EV_NONE;
}

/* A 64-bit little-endian ELF object of any type, with its header read. */
static int check_ident(Elf *e, GElf_Ehdr *eh)
{
	size_t n = 0;
	const char *id = elf_getident(e, &n);
	return elf_kind(e) == ELF_K_ELF && id && n >= EI_NIDENT && id[EI_CLASS] == ELFCLASS64 &&
	       id[EI_DATA] == ELFDATA2LSB && gelf_getehdr(e, eh) != NULL;
}

int pyx_elf_open(const char *path, struct pyx_elf **out, struct pyx_error *err)
{
	struct pyx_elf *elf = NULL;
	int rc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pyx_error_set(err, errno == ENOENT ? PYX_E_NOT_FOUND : PYX_E_OS, errno, 0,
				     "cannot open %s: %s", path, strerror(errno));
	if (!libelf_ready()) {
		rc = pyx_error_set(err, PYX_E_OS, 0, 0, "libelf does not accept this ELF version");
		goto out;
	}
	elf = calloc(1, sizeof *elf);
	if (!elf) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto out;
	}
	elf->fd = fd;
	elf->e = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf->e || !check_ident(elf->e, &elf->eh)) {
		rc = pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
				   "%s is not a 64-bit little-endian ELF file", path);
		goto out;
	}
	if (elf_getphdrnum(elf->e, &elf->nph) < 0)
		elf->nph = 0;
	*out = elf;
	return 0;
out:
	if (elf && elf->e)
		elf_end(elf->e);
	free(elf);
	close(fd);
	return rc;
}

void pyx_elf_close(struct pyx_elf *elf)
{
	if (!elf)
		return;
	elf_end(elf->e);
	close(elf->fd);
	free(elf);
}

/* One pass over a symbol table for the names still wanted. */
static uint32_t scan_symtab(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *const *names,
			    const size_t *lens, size_t n, uint64_t *values, uint32_t want)
{
	uint32_t found = 0;
	Elf_Scn *strscn = elf_getscn(e, sh->sh_link);
	Elf_Data *syms = elf_getdata(scn, NULL);
	Elf_Data *strs = strscn ? elf_getdata(strscn, NULL) : NULL;
	if (!syms || !strs || !strs->d_buf || !syms->d_buf)
		return 0;
	const char *str = strs->d_buf;
	size_t strsize = strs->d_size;
	size_t count = syms->d_size / sizeof(Elf64_Sym);
	for (size_t i = 0; i < count && (found & want) != want; i++) {
		Elf64_Sym s;
		memcpy(&s, (const char *)syms->d_buf + i * sizeof s, sizeof s);
		if (s.st_shndx == SHN_UNDEF || s.st_name >= strsize)
			continue;
		const char *sn = str + s.st_name;
		size_t room = strsize - s.st_name;
		for (size_t k = 0; k < n; k++) {
			uint32_t bit = 1u << k;
			if (!(want & bit) || (found & bit) || sn[0] != names[k][0] ||
			    room <= lens[k] || memcmp(sn, names[k], lens[k] + 1))
				continue;
			values[k] = s.st_value;
			found |= bit;
		}
	}
	return found;
}

static uint32_t scan_type(struct pyx_elf *elf, unsigned type, const char *const *names,
			  const size_t *lens, size_t n, uint64_t *values, uint32_t want)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf->e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type ||
		    sh.sh_entsize != sizeof(Elf64_Sym))
			continue;
		return scan_symtab(elf->e, scn, &sh, names, lens, n, values, want);
	}
	return 0;
}

uint32_t pyx_elf_symbols(struct pyx_elf *elf, const char *const *names, size_t n, unsigned tables,
			 uint64_t *values)
{
	size_t lens[32];
	if (n > 32)
		n = 32;
	uint32_t want = n == 32 ? 0xffffffffu : (1u << n) - 1;
	for (size_t k = 0; k < n; k++)
		lens[k] = strlen(names[k]);
	uint32_t found = 0;
	if (tables & PYX_ELF_DYNSYM)
		found = scan_type(elf, SHT_DYNSYM, names, lens, n, values, want);
	if (found != want && (tables & PYX_ELF_SYMTAB))
		found |= scan_type(elf, SHT_SYMTAB, names, lens, n, values, want & ~found);
	return found;
}

int pyx_elf_symbol(struct pyx_elf *elf, const char *name, uint64_t *out)
{
	return pyx_elf_symbols(elf, &name, 1, PYX_ELF_DYNSYM | PYX_ELF_SYMTAB, out)
		   ? 0
		   : -PYX_E_NOT_FOUND;
}

uint64_t pyx_elf_base_vaddr(struct pyx_elf *elf)
{
	for (size_t i = 0; i < elf->nph; i++) {
		GElf_Phdr p;
		if (gelf_getphdr(elf->e, (int)i, &p) && p.p_type == PT_LOAD)
			return (p.p_vaddr - p.p_offset) & ~(uint64_t)0xfff;
	}
	return 0;
}

int pyx_elf_is_dyn(struct pyx_elf *elf)
{
	return elf->eh.e_type == ET_DYN;
}

int pyx_elf_read_vaddr(struct pyx_elf *elf, uint64_t vaddr, void *buf, size_t len,
		       struct pyx_error *err)
{
	for (size_t i = 0; i < elf->nph; i++) {
		GElf_Phdr p;
		if (!gelf_getphdr(elf->e, (int)i, &p) || p.p_type != PT_LOAD || vaddr < p.p_vaddr)
			continue;
		uint64_t rel = vaddr - p.p_vaddr;
		if (rel > p.p_filesz || len > p.p_filesz - rel || p.p_offset + rel < p.p_offset ||
		    p.p_offset + rel > INT64_MAX)
			continue; /* the file offset must not wrap (libelf takes it signed) */
		const Elf_Data *d =
		    elf_getdata_rawchunk(elf->e, (int64_t)(p.p_offset + rel), len, ELF_T_BYTE);
		if (!d || d->d_size < len)
			break;
		memcpy(buf, d->d_buf, len);
		return 0;
	}
	return pyx_error_set(err, PYX_E_FAULT, 0, vaddr,
			     "0x%llx is not in the file's loadable data",
			     (unsigned long long)vaddr);
}

/* The section called name, or NULL. */
static Elf_Scn *find_section(struct pyx_elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(elf->e, &shstrndx) < 0)
		return NULL;
	while ((scn = elf_nextscn(elf->e, scn)) != NULL) {
		const char *sn;
		if (gelf_getshdr(scn, sh) && (sn = elf_strptr(elf->e, shstrndx, sh->sh_name)) &&
		    !strcmp(sn, name))
			return scn;
	}
	return NULL;
}

int pyx_elf_section(struct pyx_elf *elf, const char *name, uint64_t *addr, uint64_t *size)
{
	GElf_Shdr sh;
	if (!find_section(elf, name, &sh))
		return -PYX_E_NOT_FOUND;
	*addr = sh.sh_addr;
	*size = sh.sh_size;
	return 0;
}

int pyx_elf_section_data(struct pyx_elf *elf, const char *name, const void **data, size_t *len)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(elf, name, &sh);
	if (!scn || sh.sh_type == SHT_NOBITS)
		return -PYX_E_NOT_FOUND;
	Elf_Data *d = elf_rawdata(scn, NULL);
	if (!d || !d->d_buf)
		return -PYX_E_NOT_FOUND;
	*data = d->d_buf;
	*len = d->d_size;
	return 0;
}

/* The GNU build-id among the notes of one PT_NOTE segment. */
static size_t note_build_id(Elf *e, const GElf_Phdr *p, uint64_t limit,
			    unsigned char id[PYX_BUILD_ID_MAX])
{
	if (p->p_filesz > NOTES_MAX || p->p_offset > limit || p->p_filesz > limit - p->p_offset)
		return 0;
	Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)p->p_offset, p->p_filesz,
					   p->p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	for (int i = 0; d && i < 256; i++) {
		size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
		if (!next)
			break;
		const char *name = (const char *)d->d_buf + name_off;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(name, "GNU", 4) &&
		    nh.n_descsz > 0 && nh.n_descsz <= PYX_BUILD_ID_MAX) {
			memcpy(id, (const char *)d->d_buf + desc_off, nh.n_descsz);
			return nh.n_descsz;
		}
		off = next;
	}
	return 0;
}

static size_t find_build_id(Elf *e, uint64_t limit, unsigned char id[PYX_BUILD_ID_MAX])
{
	size_t nph = 0;
	if (elf_getphdrnum(e, &nph) < 0)
		return 0;
	for (size_t i = 0; i < nph && i < 256; i++) {
		GElf_Phdr p;
		size_t n;
		if (gelf_getphdr(e, (int)i, &p) && p.p_type == PT_NOTE &&
		    (n = note_build_id(e, &p, limit, id)) > 0)
			return n;
	}
	return 0;
}

size_t pyx_elf_build_id(struct pyx_elf *elf, unsigned char id[PYX_BUILD_ID_MAX])
{
	return find_build_id(elf->e, UINT64_MAX, id);
}

size_t pyx_elf_image_build_id(const void *image, size_t len, unsigned char id[PYX_BUILD_ID_MAX])
{
	size_t n = 0;
	if (len < sizeof(Elf64_Ehdr) || !libelf_ready())
		return 0;
	if (len > IMAGE_MAX)
		len = IMAGE_MAX;
	char *copy = malloc(len);
	if (!copy)
		return 0;
	memcpy(copy, image, len);
	/* Only the header and program headers are in these bytes: hide the
	 * section headers, which lie further in the file. */
	Elf64_Ehdr eh;
	memcpy(&eh, copy, sizeof eh);
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	memcpy(copy, &eh, sizeof eh);
	Elf *e = elf_memory(copy, len);
	GElf_Ehdr geh;
	if (e && check_ident(e, &geh))
		n = find_build_id(e, len, id);
	if (e)
		elf_end(e);
	free(copy);
	return n;
}

void pyx_build_id_hex(const unsigned char *id, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * len] = '\0';
}
