/* SPDX-License-Identifier: MIT */
/* Exported symbols from memory, the way the dynamic loader finds them: the
 * struct r_debug list of struct link_map entries (<link.h>) gives each
 * loaded object's load bias and dynamic section; the dynamic section gives
 * its symbol, string and hash tables, which a loaded object always maps.
 * Everything is read through a memory source, bounded, and checked, so a
 * list that another thread is changing (a concurrent dlopen) yields an
 * error, never a fault. */
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <string.h>

#include "linkmap.h"
#include "locate.h"

enum {
	MAX_OBJECTS = 4096,
	MAX_DYN = 512,		/* entries of a dynamic section */
	MAX_CHAIN = 1 << 16,	/* symbols compared along one hash chain */
	MAX_NAME = 128,		/* symbol names we look up are shorter */
	MAX_BUCKETS = 1 << 24,
};

struct dyn_tables {
	uint64_t gnu_hash, sysv_hash, symtab, strtab, strsz;
};

static int bad(struct pyx_error *err, uint64_t addr, const char *what)
{
	return pyx_error_set(err, PYX_E_BAD_DATA, 0, addr, "loaded object at 0x%llx: %s",
			     (unsigned long long)addr, what);
}

static int not_found(struct pyx_error *err, const char *name)
{
	return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "%s is not exported", name);
}

/* The loader relocates most d_ptr entries in place (glibc's
 * elf_get_dynamic_info), but not in a read-only dynamic section (the
 * vDSO): an address below the load bias is still unrelocated. */
static uint64_t relocated(uint64_t v, uint64_t bias)
{
	return v && v < bias ? v + bias : v;
}

static int read_tables(struct pyx_memsrc *mem, uint64_t lm_addr, uint64_t *bias,
		       struct dyn_tables *t, struct pyx_error *err)
{
	struct link_map lm;
	int rc = pyx_memsrc_read(mem, lm_addr, &lm, offsetof(struct link_map, l_next), err);
	if (rc < 0)
		return rc;
	*bias = (uint64_t)lm.l_addr;
	uint64_t dyn = (uint64_t)(uintptr_t)lm.l_ld;
	memset(t, 0, sizeof *t);
	if (!dyn)
		return bad(err, lm_addr, "no dynamic section");
	for (int i = 0; i < MAX_DYN; i++) {
		Elf64_Dyn d;
		rc = pyx_memsrc_read(mem, dyn + (uint64_t)i * sizeof d, &d, sizeof d, err);
		if (rc < 0)
			return rc;
		uint64_t v = (uint64_t)d.d_un.d_ptr;
		switch (d.d_tag) {
		case DT_NULL:
			if (!t->symtab || !t->strtab || (!t->gnu_hash && !t->sysv_hash))
				return bad(err, lm_addr, "no symbol or hash table");
			return 0;
		case DT_GNU_HASH:
			t->gnu_hash = relocated(v, *bias);
			break;
		case DT_HASH:
			t->sysv_hash = relocated(v, *bias);
			break;
		case DT_SYMTAB:
			t->symtab = relocated(v, *bias);
			break;
		case DT_STRTAB:
			t->strtab = relocated(v, *bias);
			break;
		case DT_STRSZ:
			t->strsz = v;
			break;
		}
	}
	return bad(err, lm_addr, "dynamic section without an end");
}

/* Does symbol `index` carry `name`, defined? Its relocated value in *out. */
static int symbol_is(struct pyx_memsrc *mem, const struct dyn_tables *t, uint64_t bias,
		     uint32_t index, const char *name, size_t len, uint64_t *out)
{
	Elf64_Sym sym;
	char buf[MAX_NAME + 1];
	if (pyx_memsrc_read(mem, t->symtab + (uint64_t)index * sizeof sym, &sym, sizeof sym,
			    NULL) < 0)
		return 0;
	if (sym.st_shndx == SHN_UNDEF || (t->strsz && sym.st_name + len >= t->strsz) ||
	    pyx_memsrc_read(mem, t->strtab + sym.st_name, buf, len + 1, NULL) < 0 ||
	    memcmp(buf, name, len) || buf[len])
		return 0;
	/* Absolute symbols (st_shndx == SHN_ABS) are not relocated. */
	*out = sym.st_shndx == SHN_ABS ? sym.st_value : sym.st_value + bias;
	return 1;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0;
	while (*s) {
		h = (h << 4) + (unsigned char)*s++;
		uint32_t g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* DT_GNU_HASH: nbuckets, symoffset, bloom words, bloom shift, the bloom
 * filter, the buckets, then one chain word per symbol from symoffset on,
 * whose low bit ends a chain. */
static int lookup_gnu(struct pyx_memsrc *mem, const struct dyn_tables *t, uint64_t bias,
		      const char *name, size_t len, uint64_t *out, struct pyx_error *err)
{
	uint32_t hdr[4];
	int rc = pyx_memsrc_read(mem, t->gnu_hash, hdr, sizeof hdr, err);
	if (rc < 0)
		return rc;
	uint32_t nbuckets = hdr[0], symoffset = hdr[1], bloom_size = hdr[2];
	if (!nbuckets || nbuckets > MAX_BUCKETS || bloom_size > MAX_BUCKETS)
		return bad(err, t->gnu_hash, "implausible GNU hash table");
	uint32_t h = gnu_hash(name), index;
	uint64_t buckets = t->gnu_hash + sizeof hdr + (uint64_t)bloom_size * 8;
	rc = pyx_memsrc_read(mem, buckets + (uint64_t)(h % nbuckets) * 4, &index, 4, err);
	if (rc < 0)
		return rc;
	if (index < symoffset)
		return not_found(err, name);
	uint64_t chain = buckets + (uint64_t)nbuckets * 4;
	for (int n = 0; n < MAX_CHAIN; n++, index++) {
		uint32_t ch;
		rc = pyx_memsrc_read(mem, chain + (uint64_t)(index - symoffset) * 4, &ch, 4, err);
		if (rc < 0)
			return rc;
		if ((ch | 1) == (h | 1) && symbol_is(mem, t, bias, index, name, len, out))
			return 0;
		if (ch & 1)
			return not_found(err, name);
	}
	return bad(err, t->gnu_hash, "GNU hash chain too long");
}

/* DT_HASH: nbucket, nchain, buckets, chains; index 0 ends a chain. */
static int lookup_sysv(struct pyx_memsrc *mem, const struct dyn_tables *t, uint64_t bias,
		       const char *name, size_t len, uint64_t *out, struct pyx_error *err)
{
	uint32_t hdr[2], index;
	int rc = pyx_memsrc_read(mem, t->sysv_hash, hdr, sizeof hdr, err);
	if (rc < 0)
		return rc;
	if (!hdr[0] || hdr[0] > MAX_BUCKETS)
		return bad(err, t->sysv_hash, "implausible hash table");
	uint64_t buckets = t->sysv_hash + sizeof hdr, chains = buckets + (uint64_t)hdr[0] * 4;
	rc = pyx_memsrc_read(mem, buckets + (uint64_t)(sysv_hash(name) % hdr[0]) * 4, &index, 4,
			     err);
	for (int n = 0; rc == 0 && index && n < MAX_CHAIN; n++) {
		if (index >= hdr[1])
			return bad(err, t->sysv_hash, "hash chain out of range");
		if (symbol_is(mem, t, bias, index, name, len, out))
			return 0;
		rc = pyx_memsrc_read(mem, chains + (uint64_t)index * 4, &index, 4, err);
	}
	return rc < 0 ? rc : not_found(err, name);
}

int pyx_linkmap_symbol(struct pyx_memsrc *mem, uint64_t lm_addr, const char *name, uint64_t *out,
		       struct pyx_error *err)
{
	struct dyn_tables t;
	uint64_t bias;
	size_t len = strlen(name);
	if (len > MAX_NAME)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "symbol name too long");
	int rc = read_tables(mem, lm_addr, &bias, &t, err);
	if (rc < 0)
		return rc;
	return t.gnu_hash ? lookup_gnu(mem, &t, bias, name, len, out, err)
			  : lookup_sysv(mem, &t, bias, name, len, out, err);
}

/* The interpreter's symbols in one object; 0 when it holds one. */
static int probe(struct pyx_memsrc *mem, uint64_t lm, struct pyx_python_syms *out)
{
	uint64_t runtime = 0, version = 0, tcur = 0, head_fn = 0;
	memset(out, 0, sizeof *out);
	if (pyx_linkmap_symbol(mem, lm, "_PyRuntime", &runtime, NULL) == 0) {
		out->runtime = runtime;
		if (pyx_linkmap_symbol(mem, lm, "Py_Version", &version, NULL) == 0)
			out->py_version = version;
		return 0;
	}
	/* 3.6: the static interp_head, from PyInterpreterState_Head's one
	 * RIP-relative load (locate.c). */
	unsigned char code[8];
	if (pyx_linkmap_symbol(mem, lm, "_PyThreadState_Current", &tcur, NULL) < 0 ||
	    pyx_linkmap_symbol(mem, lm, "PyInterpreterState_Head", &head_fn, NULL) < 0 ||
	    pyx_memsrc_read(mem, head_fn, code, sizeof code, NULL) < 0)
		return -1;
	out->tstate_current = tcur;
	out->interp_head = pyx_interp_head_from_code(code, head_fn);
	return out->interp_head ? 0 : -1;
}

/* A NUL-terminated string of at most size - 1 bytes, read a piece at a
 * time so that no read crosses far past its end. */
static void read_string(struct pyx_memsrc *mem, uint64_t addr, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	while (addr && n + 1 < size) {
		size_t chunk = 64 - (size_t)((addr + n) & 63);
		if (chunk > size - 1 - n)
			chunk = size - 1 - n;
		if (pyx_memsrc_read(mem, addr + n, buf + n, chunk, NULL) < 0)
			break;
		size_t k = strnlen(buf + n, chunk);
		n += k;
		if (k < chunk)
			break;
	}
	buf[n] = '\0';
}

int pyx_linkmap_find_python(struct pyx_memsrc *mem, uint64_t r_debug_addr, const char *exe_path,
			    struct pyx_python_syms *out, char *path_buf, size_t path_size,
			    struct pyx_error *err)
{
	uint64_t lm;
	int rc = pyx_memsrc_read_u64(mem, r_debug_addr + offsetof(struct r_debug, r_map), &lm, err);
	if (rc < 0)
		return rc;
	for (int n = 0; lm && n < MAX_OBJECTS; n++) {
		struct link_map entry;
		rc = pyx_memsrc_read(mem, lm, &entry, offsetof(struct link_map, l_prev), err);
		if (rc < 0)
			return rc;
		if (probe(mem, lm, out) == 0) {
			read_string(mem, (uint64_t)(uintptr_t)entry.l_name, path_buf, path_size);
			if (!path_buf[0] && exe_path && path_size) {
				size_t k = strnlen(exe_path, path_size - 1);
				memcpy(path_buf, exe_path, k);
				path_buf[k] = '\0';
			}
			out->path = path_buf[0] ? path_buf : NULL;
			if (!out->py_version && out->path)
				out->version_hex = pyx_version_from_filename(out->path);
			if (!out->py_version && !out->version_hex && exe_path)
				out->version_hex = pyx_version_from_filename(exe_path);
			return 0;
		}
		lm = (uint64_t)(uintptr_t)entry.l_next;
	}
	return pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0,
			     "no loaded object holds a Python interpreter");
}
