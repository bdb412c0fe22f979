/* SPDX-License-Identifier: MIT */
/* Locating CPython in a target without debug info. The runtime state
 * symbols are exported (.dynsym) by the executable or libpython, so mapping
 * each candidate file and looking them up is enough; the load bias comes
 * from the offset-0 mapping of that file. 3.6 has no _PyRuntime: its
 * interpreter list head is a static variable that the exported function
 * PyInterpreterState_Head returns, so we decode that function's one load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf.h"
#include "locate.h"

uint32_t pyx_version_from_filename(const char *path)
{
	/* By hand, not sscanf: the stub calls this from a signal handler. */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *p = strstr(base, "python");
	if (!p)
		return 0;
	p += 6;
	if (*p < '0' || *p > '9')
		return 0;
	unsigned major = 0, minor = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits++ < 3)
		major = major * 10 + (unsigned)(*p++ - '0');
	if (*p++ != '.' || *p < '0' || *p > '9')
		return 0;
	for (digits = 0; *p >= '0' && *p <= '9' && digits < 3; digits++)
		minor = minor * 10 + (unsigned)(*p++ - '0');
	if (major < 2 || major > 3 || minor > 99)
		return 0;
	return ((uint32_t)major << 24) | ((uint32_t)minor << 16);
}

/* Without Py_Version (before 3.11) and without a telling file name (a
 * program that links libpython statically), the library's own paths give the
 * version away: the default module search path is built from
 * "lib/python" VERSION (Modules/getpath.c), so .rodata holds "python3.X".
 * Returns major.minor as PY_VERSION_HEX when exactly one 3.6-3.15 minor
 * appears, else 0. */
int pyx_version_scan(const void *data, size_t len, int *found)
{
	const char *p = data, *end = p + len;
	static const char needle[] = "python3.";
	for (const char *s = p; s && s + sizeof needle < end;) {
		s = memmem(s, (size_t)(end - s), needle, sizeof needle - 1);
		if (!s)
			break;
		s += sizeof needle - 1;
		int minor = 0, digits = 0;
		while (s < end && *s >= '0' && *s <= '9' && digits < 3) {
			minor = minor * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits || digits > 2 || minor < 6 || minor > 15)
			continue;
		if (*found >= 0 && *found != minor)
			return -1; /* two different versions: cannot tell */
		*found = minor;
	}
	return 0;
}

uint32_t pyx_version_from_rodata(struct pyx_elf *elf)
{
	const void *data;
	size_t len;
	int found = -1;
	if (pyx_elf_section_data(elf, ".rodata", &data, &len) < 0 ||
	    pyx_version_scan(data, len, &found) < 0)
		return 0;
	return found < 0 ? 0 : 0x03000000u | ((uint32_t)found << 16);
}

/* 3.6: PyInterpreterState_Head is `mov rax, [rip+disp32]; ret` in every
 * x86-64 build we know; anything else means we cannot find interp_head. */
uint64_t pyx_interp_head_from_code(const unsigned char code[8], uint64_t fn)
{
	if (code[0] != 0x48 || code[1] != 0x8b || code[2] != 0x05 || code[7] != 0xc3)
		return 0;
	int32_t disp;
	memcpy(&disp, code + 3, 4);
	return fn + 7 + (uint64_t)(int64_t)disp;
}

static uint64_t interp_head_from_code(struct pyx_elf *elf, uint64_t func)
{
	unsigned char code[8];
	if (pyx_elf_read_vaddr(elf, func, code, sizeof code, NULL) < 0)
		return 0;
	return pyx_interp_head_from_code(code, func);
}

/* What one ELF file says, before relocation; cached per file. */
struct probe {
	dev_t dev;
	ino_t ino;
	off_t size;
	time_t mtime;
	int found;
	int is_dyn;
	uint64_t base_vaddr;
	uint64_t runtime, py_version, tstate_current, interp_head; /* 0 when absent */
	uint32_t version_hex;
	uint64_t asyncio_debug, asyncio_debug_size; /* .AsyncioDebug, 0 when absent */
	size_t build_id_len; /* found objects only */
	unsigned char build_id[PYX_BUILD_ID_MAX];
};

/* The last interpreter located: where, and which probe. */
struct hint {
	size_t probe;
	uint64_t start;
	char *path;
};

struct pyx_locate_cache {
	struct probe *probes;
	size_t n, cap;
	struct hint hint; /* path NULL: none */
};

struct pyx_locate_cache *pyx_locate_cache_create(void)
{
	return calloc(1, sizeof(struct pyx_locate_cache));
}

void pyx_locate_cache_destroy(struct pyx_locate_cache *cache)
{
	if (!cache)
		return;
	free(cache->probes);
	free(cache->hint.path);
	free(cache);
}

static void probe_file(const char *open_path, const char *path, struct probe *r)
{
	struct pyx_elf *elf = NULL;
	r->found = 0;
	if (pyx_elf_open(open_path, &elf, NULL) < 0)
		return;
	r->is_dyn = pyx_elf_is_dyn(elf);
	r->base_vaddr = pyx_elf_base_vaddr(elf);
	if (pyx_elf_section(elf, ".AsyncioDebug", &r->asyncio_debug, &r->asyncio_debug_size) < 0)
		r->asyncio_debug = r->asyncio_debug_size = 0;
	/* Exported symbols first, in one pass over .dynsym; the full .symtab
	 * (large in a build with debug info) only for what .dynsym lacks: a
	 * program that links libpython statically without exporting it, or
	 * 3.6's static interp_head. */
	static const char *const names[] = {"_PyRuntime", "Py_Version", "_PyThreadState_Current",
					    "PyInterpreterState_Head", "interp_head"};
	enum { F_RUNTIME = 1, F_VERSION = 2, F_TCUR = 4, F_HEAD_FN = 8 };
	uint64_t v[5] = {0};
	uint32_t found = pyx_elf_symbols(elf, names, 4, PYX_ELF_DYNSYM, v);
	if (!(found & (F_RUNTIME | F_TCUR)))
		found |= pyx_elf_symbols(elf, names, 4, PYX_ELF_SYMTAB, v);
	int has_runtime = !!(found & F_RUNTIME), has_version = !!(found & F_VERSION);
	int has_tcur = !!(found & F_TCUR);
	uint64_t runtime = v[0], version = v[1], tcur = v[2], head = 0;
	/* 3.6: the exported function's one load gives interp_head without
	 * reading .symtab (megabytes in a build with debug info); the static
	 * symbol is the fallback for code we do not recognize. */
	if (!has_runtime && has_tcur && (found & F_HEAD_FN))
		head = interp_head_from_code(elf, v[3]);
	if (!has_runtime && has_tcur && !head &&
	    pyx_elf_symbols(elf, names + 4, 1, PYX_ELF_SYMTAB, v + 4))
		head = v[4];
	if (has_runtime || (has_tcur && head)) {
		r->found = 1;
		r->runtime = has_runtime ? runtime : 0;
		r->py_version = has_version ? version : 0;
		r->tstate_current = has_tcur ? tcur : 0;
		r->interp_head = head;
		r->version_hex = pyx_version_from_filename(path);
		if (!r->version_hex && !has_version)
			r->version_hex = pyx_version_from_rodata(elf);
		r->build_id_len = pyx_elf_build_id(elf, r->build_id);
	}
	pyx_elf_close(elf);
}

/* The probe of a file, from the cache when the same file (device, inode,
 * size, mtime) was probed before: every worker of a pool maps the same
 * libraries. */
static const struct probe *probe_object(struct pyx_locate_cache *cache, const char *open_path,
					const char *path, struct probe *local)
{
	struct stat st;
	/* Only regular files: opening a mapped device (a GPU, /dev/zero)
	 * can have side effects and is never an interpreter. */
	if (stat(open_path, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	for (size_t i = 0; cache && i < cache->n; i++) {
		const struct probe *p = &cache->probes[i];
		if (p->dev == st.st_dev && p->ino == st.st_ino && p->size == st.st_size &&
		    p->mtime == st.st_mtime)
			return p;
	}
	memset(local, 0, sizeof *local);
	local->dev = st.st_dev;
	local->ino = st.st_ino;
	local->size = st.st_size;
	local->mtime = st.st_mtime;
	probe_file(open_path, path, local);
	if (cache) {
		if (cache->n == cache->cap) {
			size_t ncap = cache->cap ? cache->cap * 2 : 32;
			struct probe *np = realloc(cache->probes, ncap * sizeof *np);
			if (!np)
				return local;
			cache->probes = np;
			cache->cap = ncap;
		}
		cache->probes[cache->n] = *local;
		return &cache->probes[cache->n++];
	}
	return local;
}

static void relocate(const struct probe *p, uint64_t map_start, const char *path,
		     struct pyx_python_syms *out)
{
	uint64_t bias = p->is_dyn ? map_start - p->base_vaddr : 0;
	memset(out, 0, sizeof *out);
	out->runtime = p->runtime ? p->runtime + bias : 0;
	out->py_version = p->py_version ? p->py_version + bias : 0;
	out->tstate_current = p->tstate_current ? p->tstate_current + bias : 0;
	out->interp_head = p->interp_head ? p->interp_head + bias : 0;
	out->version_hex = p->version_hex;
	out->path = path;
	out->asyncio_debug = p->asyncio_debug ? p->asyncio_debug + bias : 0;
	out->asyncio_debug_size = p->asyncio_debug ? p->asyncio_debug_size : 0;
}

/* 3.14+ keep the _asyncio module's offsets in an .AsyncioDebug section of
 * the object that holds the module: the interpreter itself when _asyncio is
 * built in (3.15, static builds), else lib-dynload/_asyncio.*.so once it is
 * imported. */
static void locate_asyncio(struct pyx_target *t, struct pyx_locate_cache *cache,
			   struct pyx_python_syms *out)
{
	for (size_t i = 0; !out->asyncio_debug && i < t->nmaps; i++) {
		const struct pyx_map *m = &t->maps[i];
		const char *base = m->path ? strrchr(m->path, '/') : NULL;
		if (m->offset != 0 || !base || strncmp(base + 1, "_asyncio.", 9))
			continue;
		const char *open_path = pyx_target_file_path(t, m->path);
		struct probe local;
		const struct probe *p =
			open_path ? probe_object(cache, open_path, m->path, &local) : NULL;
		if (p && p->asyncio_debug) {
			uint64_t bias = p->is_dyn ? m->start - p->base_vaddr : 0;
			out->asyncio_debug = p->asyncio_debug + bias;
			out->asyncio_debug_size = p->asyncio_debug_size;
		}
	}
}

static int path_rank(const char *path, const char *exe)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (exe && !strcmp(path, exe))
		return 0;
	if (!strncmp(base, "libpython", 9))
		return 1;
	if (strstr(base, "python"))
		return 2;
	return 3;
}

static void remember(struct pyx_locate_cache *cache, const struct probe *p, uint64_t start,
		     const char *path)
{
	if (!cache || p < cache->probes || p >= cache->probes + cache->n || !p->build_id_len)
		return;
	char *copy = strdup(path);
	if (!copy)
		return;
	free(cache->hint.path);
	cache->hint = (struct hint){(size_t)(p - cache->probes), start, copy};
}

/* A process forked from one located before (a pool's worker) maps the same
 * interpreter at the same address. Reading /proc/PID/maps costs a few
 * hundred microseconds per process; one read of the ELF header at that
 * address, with the build-id of the file probed, proves the same object is
 * there, loaded at the same place. Only for targets whose maps are costly
 * (a core's are already read, and its files checked one by one). */
static int from_hint(struct pyx_target *t, struct pyx_locate_cache *cache,
		     struct pyx_python_syms *out)
{
	unsigned char hdr[4096], id[PYX_BUILD_ID_MAX];
	if (!cache || !cache->hint.path || !t->ops->read_maps || t->maps_read || !t->mem)
		return -1;
	const struct probe *p = &cache->probes[cache->hint.probe];
	if (pyx_memsrc_read(t->mem, cache->hint.start, hdr, sizeof hdr, NULL) < 0 ||
	    pyx_elf_image_build_id(hdr, sizeof hdr, id) != p->build_id_len ||
	    memcmp(id, p->build_id, p->build_id_len))
		return -1;
	const char *path = pyx_arena_strdup(t->arena, cache->hint.path);
	if (!path)
		return -1;
	relocate(p, cache->hint.start, path, out);
	if (!out->version_hex && t->exe)
		out->version_hex = pyx_version_from_filename(t->exe);
	/* 3.14+ shared builds keep _asyncio's offsets in lib-dynload's
	 * _asyncio.*.so, found in the maps; older versions have none. */
	if (!out->asyncio_debug && !(p->version_hex && p->version_hex < 0x030e0000) &&
	    pyx_target_maps(t, NULL) == 0)
		locate_asyncio(t, cache, out);
	return 0;
}

int pyx_locate_python(struct pyx_target *t, struct pyx_locate_cache *cache,
		      struct pyx_python_syms *out, struct pyx_error *err)
{
	const char *exe = t->exe;
	if (from_hint(t, cache, out) == 0)
		return 0;
	int rc = pyx_target_maps(t, err);
	if (rc < 0)
		return rc;
	const struct pyx_map *maps = t->maps;
	size_t nmaps = t->nmaps;
	/* Candidates in rank order: the executable, libpython, other
	 * python-named objects, then everything else (embedders). */
	const char *problem[2] = {NULL, NULL}; /* why likely candidates could not be used */
	for (int rank = 0; rank <= 3; rank++) {
		for (size_t i = 0; i < nmaps; i++) {
			const struct pyx_map *m = &maps[i];
			if (m->offset != 0 || !m->path || m->path[0] != '/' ||
			    path_rank(m->path, exe) != rank)
				continue;
			int seen = 0;
			for (size_t j = 0; j < i && !seen; j++)
				seen = maps[j].offset == 0 && maps[j].path &&
				       !strcmp(maps[j].path, m->path);
			if (seen)
				continue;
			const char *open_path = pyx_target_file_path(t, m->path);
			if (!open_path && rank <= 2 && !problem[1])
				problem[!!problem[0]] = pyx_target_file_problem(t, m->path);
			struct probe local;
			const struct probe *p =
				open_path ? probe_object(cache, open_path, m->path, &local) : NULL;
			if (p && p->found) {
				relocate(p, m->start, m->path, out);
				remember(cache, p, m->start, m->path);
				if (!out->version_hex && exe)
					out->version_hex = pyx_version_from_filename(exe);
				locate_asyncio(t, cache, out);
				return 0;
			}
		}
	}
	if (problem[0])
		return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "%s%s%s", problem[0],
				     problem[1] ? "; and " : "", problem[1] ? problem[1] : "");
	if (t->core_path)
		return pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0,
				     "%s: the core of pid %d (%s) has no Python interpreter",
				     t->core_path, (int)t->pid, exe ? exe : "unknown executable");
	if (t->pid > 0)
		return pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0,
				     "pid %d (%s) has no Python interpreter", (int)t->pid,
				     exe ? exe : "unknown executable");
	return pyx_error_set(err, PYX_E_NOT_PYTHON, 0, 0, "%s has no Python interpreter",
			     exe ? exe : "the process");
}

int pyx_locate_target(struct pyx_target *t, struct pyx_locate_cache **cache,
		      struct pyx_python_syms *out, struct pyx_error *err)
{
	if (!*cache)
		*cache = pyx_locate_cache_create();
	return pyx_locate_python(t, *cache, out, err);
}
