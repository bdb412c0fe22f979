/* SPDX-License-Identifier: MIT */
/* A core file as a target, parsed with elfutils' libelf: threads and their
 * registers (NT_PRSTATUS), the process (NT_PRPSINFO, and its argv from the
 * initial stack the core holds), the crash (NT_SIGINFO; the kernel writes
 * the thread that took the signal first), the mapped files (NT_FILE) and
 * memory (memsrc/core.c). Each mapped file is checked before it is trusted:
 * it must exist here (under --sysroot, or --exe for the executable) and
 * carry the build-id that the core's copy of its ELF header names. Kernel
 * cores and GDB's gcore differ in what they say: gcore records no signal
 * (pr_cursig 0) and adds GDB's own target description note. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../memsrc/core.h"
#include "elf.h"
#include "locate.h"
#include "proc.h"
#include "target.h"
#include "unpack.h"

enum {
	NOTES_MAX = 64 << 20, /* bytes of one PT_NOTE segment we read */
	NOTES_COUNT_MAX = 1 << 20,
	SEGS_MAX = 1 << 20,
	AUXV_MAX = 4096,	/* bytes */
	STACK_SCAN = 256 << 10, /* the top of the main stack searched for argv */
	HDR_PAGE = 4096,
	NT_GDB_TDESC = 0xff000000, /* GDB's target description (gdb/gcore.c) */
};

_Static_assert(sizeof(struct pyx_regs) == sizeof(elf_gregset_t),
	       "struct pyx_regs is the x86-64 NT_PRSTATUS register set");

enum file_status { FILE_OK, FILE_MISSING, FILE_MISMATCH };

/* A file the process mapped, as the core names it, and whether it is the
 * one on this machine. */
struct cfile {
	const char *name;  /* as NT_FILE gives it, " (deleted)" removed */
	const char *tried; /* where we looked for it */
	const char *open;  /* where it is read from; NULL when unusable */
	int status;
	int is_exe;
	int deleted;	   /* unlinked before the core was made */
	int is_elf;	   /* the core holds an ELF header for it */
	uint64_t hdr_addr; /* its offset-0 mapping; 0 when none */
	size_t core_id_len, disk_id_len;
	unsigned char core_id[PYX_BUILD_ID_MAX], disk_id[PYX_BUILD_ID_MAX];
	const char *problem; /* one line when it cannot be used, else NULL */
};

/* Everything parsed from one core, before it becomes a target. */
struct parse {
	struct pyx_target *t;
	const char *path;
	const struct pyx_core_opts *opts;
	Elf *e;
	uint64_t size;		   /* bytes of the (uncompressed) core */
	uint64_t wanted;	   /* bytes its segments and notes need */
	struct pyx_core_seg *segs; /* malloc */
	size_t nsegs, segs_cap;
	struct pyx_core_fmap *fmaps; /* malloc */
	size_t nfmaps;
	struct cfile *files; /* arena */
	size_t nfiles;
	size_t threads_cap;
	int have_psinfo, gdb, first_cursig, have_siginfo;
	int sig_no, sig_code;
	uint64_t sig_addr;
	uint64_t at_entry, at_execfn;
	const unsigned char *auxv; /* arena */
	size_t auxv_len;
	char psargs[ELF_PRARGSZ + 1];
	char fname[17];
};

/* ---- notes ---- */

static void note_prstatus(struct parse *p, const void *desc, size_t len)
{
	struct elf_prstatus ps;
	struct pyx_target *t = p->t;
	if (len < sizeof ps || t->nthreads >= PYX_PROC_MAX_TASKS)
		return;
	memcpy(&ps, desc, sizeof ps);
	if (t->nthreads == p->threads_cap) {
		size_t cap = p->threads_cap ? p->threads_cap * 2 : 16;
		struct pyx_target_thread *n =
		    pyx_arena_grow(t->arena, t->threads, t->nthreads, cap, sizeof *n);
		if (!n)
			return;
		t->threads = n;
		p->threads_cap = cap;
	}
	struct pyx_target_thread *th = &t->threads[t->nthreads++];
	memset(th, 0, sizeof *th);
	th->tid = ps.pr_pid;
	memcpy(&th->regs, &ps.pr_reg, sizeof th->regs);
	th->has_regs = 1;
	th->fs_base = th->regs.fs_base;
	/* orig_rax holds the system call a thread is in (the kernel sets it to
	 * -1 on any other entry); the number is bounded to be one. */
	int64_t nr = (int64_t)th->regs.orig_rax;
	th->syscall = nr >= 0 && nr < 4096 ? nr : PYX_SYSCALL_NONE;
	if (t->nthreads == 1) {
		p->first_cursig = ps.pr_cursig;
		if (!p->have_psinfo) { /* NT_PRPSINFO says it better (gcore: ppid 0 here) */
			t->pid = ps.pr_pid;
			t->ppid = ps.pr_ppid;
		}
	}
}

static void note_prpsinfo(struct parse *p, const void *desc, size_t len)
{
	struct elf_prpsinfo ps;
	if (len < sizeof ps)
		return;
	memcpy(&ps, desc, sizeof ps);
	p->have_psinfo = 1;
	p->t->pid = ps.pr_pid;
	p->t->ppid = ps.pr_ppid;
	p->t->state = ps.pr_sname >= 'A' && ps.pr_sname <= 'z' ? ps.pr_sname : 0;
	memcpy(p->psargs, ps.pr_psargs, sizeof ps.pr_psargs);
	p->psargs[sizeof ps.pr_psargs] = '\0';
	memcpy(p->fname, ps.pr_fname, sizeof ps.pr_fname);
	p->fname[sizeof ps.pr_fname] = '\0';
}

/* The signal of the first thread: the one before the second NT_PRSTATUS
 * (the kernel writes one, GDB one per thread). */
static void note_siginfo(struct parse *p, const unsigned char *desc, size_t len)
{
	if (p->have_siginfo || p->t->nthreads != 1 || len < offsetof(siginfo_t, si_addr) + 8)
		return;
	int32_t signo, code;
	uint64_t addr;
	memcpy(&signo, desc + offsetof(siginfo_t, si_signo), 4);
	memcpy(&code, desc + offsetof(siginfo_t, si_code), 4);
	memcpy(&addr, desc + offsetof(siginfo_t, si_addr), 8);
	p->have_siginfo = 1;
	p->sig_no = signo;
	p->sig_code = code;
	p->sig_addr = addr;
}

static void note_auxv(struct parse *p, const unsigned char *desc, size_t len)
{
	if (len > AUXV_MAX)
		len = AUXV_MAX;
	len -= len % 16;
	for (size_t i = 0; i < len; i += 16) {
		uint64_t key, val;
		memcpy(&key, desc + i, 8);
		memcpy(&val, desc + i + 8, 8);
		if (key == AT_ENTRY)
			p->at_entry = val;
		else if (key == AT_EXECFN)
			p->at_execfn = val;
		if (key == AT_NULL) {
			len = i + 16;
			break;
		}
	}
	unsigned char *copy = pyx_arena_alloc(p->t->arena, len ? len : 1);
	if (copy) {
		memcpy(copy, desc, len);
		p->auxv = copy;
		p->auxv_len = len;
	}
}

static size_t file_index(struct parse *p, const char *name, size_t *cap)
{
	for (size_t i = p->nfiles; i-- > 0;)
		if (!strcmp(p->files[i].name, name))
			return i;
	if (p->nfiles == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct cfile *n = pyx_arena_grow(p->t->arena, p->files, p->nfiles, ncap, sizeof *n);
		if (!n)
			return SIZE_MAX;
		p->files = n;
		*cap = ncap;
	}
	struct cfile *f = &p->files[p->nfiles];
	memset(f, 0, sizeof *f);
	f->name = pyx_arena_strdup(p->t->arena, name);
	return f->name ? p->nfiles++ : SIZE_MAX;
}

/* NT_FILE: count, page size, count x (start, end, page offset), then count
 * NUL-terminated names. */
static void note_file(struct parse *p, const unsigned char *desc, size_t len)
{
	struct pyx_target *t = p->t;
	uint64_t count, page;
	if (p->fmaps || len < 16)
		return;
	memcpy(&count, desc, 8);
	memcpy(&page, desc + 8, 8);
	if (count > (len - 16) / 24 || count > PYX_PROC_MAX_MAPS || !page || page > (1u << 30))
		return;
	p->fmaps = malloc((count + 1) * sizeof *p->fmaps);
	t->maps = pyx_arena_calloc(t->arena, count + 1, sizeof *t->maps);
	if (!p->fmaps || !t->maps)
		return;
	const char *names = (const char *)desc + 16 + count * 24, *end = (const char *)desc + len;
	size_t cap = 0;
	for (uint64_t i = 0; i < count && names < end; i++) {
		const char *nul = memchr(names, '\0', (size_t)(end - names));
		if (!nul)
			break;
		uint64_t v[3];
		memcpy(v, desc + 16 + i * 24, sizeof v);
		char *name = pyx_arena_strndup(t->arena, names, (size_t)(nul - names));
		names = nul + 1;
		if (!name || v[0] >= v[1] || v[2] > UINT64_MAX / page)
			continue;
		/* The kernel marks a file unlinked since it was mapped. */
		size_t n = strlen(name);
		int deleted = n > 10 && !strcmp(name + n - 10, " (deleted)");
		if (deleted)
			name[n - 10] = '\0';
		size_t fi = file_index(p, name, &cap);
		if (fi == SIZE_MAX)
			continue;
		p->files[fi].deleted |= deleted;
		struct pyx_map *m = &t->maps[t->nmaps++];
		m->start = v[0];
		m->end = v[1];
		m->offset = v[2] * page;
		memcpy(m->perms, "r--p", 5);
		m->path = p->files[fi].name;
		p->fmaps[p->nfmaps++] = (struct pyx_core_fmap){v[0], v[1], m->offset, fi};
		if (m->offset == 0 && !p->files[fi].hdr_addr)
			p->files[fi].hdr_addr = v[0];
	}
}

static void read_notes(struct parse *p, const GElf_Phdr *ph)
{
	uint64_t filesz = ph->p_filesz;
	if (ph->p_offset >= p->size)
		return;
	if (filesz > p->size - ph->p_offset)
		filesz = p->size - ph->p_offset; /* a cut core: what is there */
	if (filesz > NOTES_MAX)
		filesz = NOTES_MAX;
	Elf_Data *d = elf_getdata_rawchunk(p->e, (int64_t)ph->p_offset, filesz, ELF_T_NHDR);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	for (int i = 0; d && i < NOTES_COUNT_MAX; i++) {
		size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
		if (!next)
			break;
		const char *name = (const char *)d->d_buf + name_off;
		const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;
		int core = nh.n_namesz == 5 && !memcmp(name, "CORE", 5);
		if (nh.n_namesz == 4 && !memcmp(name, "GDB", 4) && nh.n_type == NT_GDB_TDESC)
			p->gdb = 1;
		else if (core && nh.n_type == NT_PRSTATUS)
			note_prstatus(p, desc, nh.n_descsz);
		else if (core && nh.n_type == NT_PRPSINFO)
			note_prpsinfo(p, desc, nh.n_descsz);
		else if (core && nh.n_type == NT_SIGINFO)
			note_siginfo(p, desc, nh.n_descsz);
		else if (core && nh.n_type == NT_AUXV)
			note_auxv(p, desc, nh.n_descsz);
		else if (core && nh.n_type == NT_FILE)
			note_file(p, desc, nh.n_descsz);
		off = next;
	}
}

/* ---- the ELF core itself ---- */

static int not_a_core(struct parse *p, const char *what, struct pyx_error *err)
{
	return pyx_error_set(err, PYX_E_INVALID, 0, 0, "%s is not a core file (%s)", p->path, what);
}

static int add_seg(struct parse *p, const GElf_Phdr *ph)
{
	if (p->nsegs == p->segs_cap) {
		size_t cap = p->segs_cap ? p->segs_cap * 2 : 64;
		struct pyx_core_seg *n = realloc(p->segs, cap * sizeof *n);
		if (!n)
			return -PYX_E_NOMEM;
		p->segs = n;
		p->segs_cap = cap;
	}
	p->segs[p->nsegs++] =
	    (struct pyx_core_seg){ph->p_vaddr, ph->p_filesz, ph->p_memsz, ph->p_offset};
	return 0;
}

static int parse_elf(struct parse *p, int fd, struct pyx_error *err)
{
	struct stat st;
	GElf_Ehdr eh;
	size_t n = 0, nph = 0;
	if (fstat(fd, &st) < 0)
		return pyx_error_set(err, PYX_E_OS, errno, 0, "cannot stat %s: %s", p->path,
				     strerror(errno));
	p->size = (uint64_t)st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return pyx_error_set(err, PYX_E_OS, 0, 0,
				     "libelf does not accept this ELF version");
	p->e = elf_begin(fd, ELF_C_READ, NULL);
	const char *id = p->e ? elf_getident(p->e, &n) : NULL;
	if (!p->e || elf_kind(p->e) != ELF_K_ELF || !id || n < EI_NIDENT)
		return not_a_core(p, p->size ? "not an ELF file" : "it is empty", err);
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB || !gelf_getehdr(p->e, &eh))
		return not_a_core(p, "not a 64-bit little-endian ELF file", err);
	if (eh.e_type != ET_CORE)
		return not_a_core(p,
				  eh.e_type == ET_EXEC || eh.e_type == ET_DYN
				      ? "an ELF program or library, not a core dump"
				      : "an ELF file, but not a core dump",
				  err);
	if (eh.e_machine != EM_X86_64)
		return pyx_error_set(
		    err, PYX_E_INVALID, 0, 0,
		    "%s is a core of another architecture (ELF machine %u): pyxray "
		    "reads x86-64 cores",
		    p->path, (unsigned)eh.e_machine);
	if (eh.e_phoff > p->size || (p->size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0,
				     "%s is cut short before the end of its program headers", p->path);
	if (elf_getphdrnum(p->e, &nph) < 0 || nph > SEGS_MAX)
		return pyx_error_set(err, PYX_E_BAD_DATA, 0, 0, "%s has no readable program headers",
				     p->path);
	/* Segments first: NT_FILE's notes refer to them. */
	GElf_Phdr *notes = calloc(nph + 1, sizeof *notes);
	size_t nnotes = 0;
	if (!notes)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(p->e, (int)i, &ph))
			continue;
		uint64_t end = ph.p_offset + ph.p_filesz;
		if (end >= ph.p_offset && end > p->wanted)
			p->wanted = end;
		if (ph.p_type == PT_NOTE)
			notes[nnotes++] = ph;
		else if (ph.p_type == PT_LOAD && ph.p_memsz && add_seg(p, &ph) < 0) {
			free(notes);
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		}
	}
	for (size_t i = 0; i < nnotes; i++)
		read_notes(p, &notes[i]);
	free(notes);
	/* The executable maps the entry point; without an auxiliary vector,
	 * the lowest file mapping is the best guess. */
	for (size_t i = 0; i < p->nfmaps; i++)
		if (p->at_entry
			? p->at_entry - p->fmaps[i].start < p->fmaps[i].end - p->fmaps[i].start
			: i == 0)
			p->files[p->fmaps[i].file].is_exe = 1;
	if (!p->t->nthreads)
		return pyx_error_set(
		    err, PYX_E_BAD_DATA, 0, 0, "%s has no thread notes (NT_PRSTATUS)%s", p->path,
		    p->wanted > p->size ? ": the core is cut short before them" : "");
	return 0;
}

/* ---- the mapped files ---- */

static int is_python_name(const char *path)
{
	const char *base = strrchr(path, '/');
	return strstr(base ? base + 1 : path, "python") != NULL;
}

static void hex_id(const unsigned char *id, size_t len, char *out)
{
	if (len)
		pyx_build_id_hex(id, len, out);
	else
		strcpy(out, "none");
}

/* Where a file is found and whether it is the build the process mapped. */
static void check_file(struct parse *p, struct pyx_memsrc *mem, struct cfile *f)
{
	struct pyx_arena *a = p->t->arena;
	const struct pyx_core_opts *o = p->opts;
	const char *fix = f->is_exe
			      ? "give its copy with --exe PATH, or the folder that holds "
				"the core's files with --sysroot DIR"
			      : "give the folder that holds the core's files with --sysroot DIR";
	struct stat st;
	char core_hex[2 * PYX_BUILD_ID_MAX + 1], disk_hex[2 * PYX_BUILD_ID_MAX + 1];
	unsigned char hdr[HDR_PAGE];
	int have_hdr = f->hdr_addr &&
		       pyx_memsrc_core_read_dumped(mem, f->hdr_addr, hdr, sizeof hdr, NULL) == 0;
	f->is_elf = have_hdr && !memcmp(hdr, ELFMAG, SELFMAG);
	f->tried = f->is_exe && o->exe ? o->exe
		   : o->sysroot	       ? pyx_arena_printf(a, "%s%s", o->sysroot, f->name)
				       : f->name;
	if (!f->tried || stat(f->tried, &st) < 0 || !S_ISREG(st.st_mode)) {
		int elsewhere = f->tried && strcmp(f->tried, f->name);
		f->status = FILE_MISSING;
		if (f->is_exe && o->exe) { /* the user's own --exe: say what is wrong with it */
			int gone = stat(o->exe, &st) < 0;
			f->problem = pyx_arena_printf(
			    a, "--exe %s: %s; give the copy of %s that the core was made by", o->exe,
			    gone ? strerror(errno) : "not a regular file", f->name);
			return;
		}
		f->problem = pyx_arena_printf(
		    a, "%s%s%s is not on this machine%s%s: %s", f->is_exe ? "the executable " : "",
		    f->name, f->deleted ? " (deleted after the process mapped it)" : "",
		    elsewhere ? ", looked for " : "", elsewhere ? f->tried : "", fix);
		return;
	}
	f->status = FILE_OK;
	f->open = f->tried;
	if (!f->is_elf)
		return; /* no ELF header in the core: nothing to compare */
	f->core_id_len = pyx_elf_image_build_id(hdr, sizeof hdr, f->core_id);
	if (!f->core_id_len)
		return;
	struct pyx_elf *elf = NULL;
	if (pyx_elf_open(f->tried, &elf, NULL) == 0)
		f->disk_id_len = pyx_elf_build_id(elf, f->disk_id);
	pyx_elf_close(elf);
	if (f->disk_id_len == f->core_id_len && !memcmp(f->disk_id, f->core_id, f->core_id_len))
		return;
	f->status = FILE_MISMATCH;
	hex_id(f->core_id, f->core_id_len, core_hex);
	hex_id(f->disk_id, f->disk_id_len, disk_hex);
	f->problem = pyx_arena_printf(a,
				      "%s%s here is another build than the process mapped (build-id "
				      "%s here, %s in the core): read it anyway with --force, or %s",
				      f->is_exe ? "the executable " : "", f->tried, disk_hex, core_hex,
				      fix);
	if (!o->force)
		f->open = NULL;
}

static void warn_files(struct parse *p)
{
	struct pyx_target *t = p->t;
	size_t others = 0;
	const struct cfile *first = NULL;
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct cfile *f = &p->files[i];
		if (f->status == FILE_MISMATCH && p->opts->force)
			pyx_target_warn(t,
					"%s is another build than the one the process mapped; read "
					"anyway (--force): what comes from it may be wrong",
					f->name);
		else if (f->status == FILE_MISMATCH ||
			 (f->status == FILE_MISSING && (f->is_exe || is_python_name(f->name))))
			pyx_target_warn(t, "%s", f->problem);
		else if (f->status == FILE_MISSING && f->is_elf && !others++)
			first = f; /* a library; shared memory and data files do not count */
	}
	if (others)
		pyx_target_warn(t,
				"%zu other mapped ELF file%s not on this machine (%s%s): what the core "
				"left out of %s cannot be read; --sysroot DIR gives the folder "
				"that holds them",
				others, others == 1 ? " is" : "s are", first->name,
				others > 1 ? ", ..." : "", others == 1 ? "it" : "them");
}

static const struct cfile *find_file(struct pyx_target *t, const char *path)
{
	const struct parse *p = t->ctx;
	for (size_t i = 0; p && i < p->nfiles; i++)
		if (!strcmp(p->files[i].name, path))
			return &p->files[i];
	return NULL;
}

static const char *core_file_path(struct pyx_target *t, const char *path)
{
	const struct cfile *f = find_file(t, path);
	return f ? f->open : NULL;
}

static const char *core_file_problem(struct pyx_target *t, const char *path)
{
	const struct cfile *f = find_file(t, path);
	return f ? f->problem : NULL;
}

static const struct pyx_target_ops core_ops = {
    .kind = "core",
    .file_path = core_file_path,
    .file_problem = core_file_problem,
    .locate = pyx_locate_target,
};

/* ---- argv ---- */

/* argv as the process saw it, from its initial stack: the auxiliary
 * vector (a copy of NT_AUXV) follows envp's terminator, which follows
 * argv's, which follows argc. pr_psargs keeps only 80 bytes, joined. */
static int stack_argv(struct parse *p, struct pyx_memsrc *mem)
{
	const struct pyx_core_seg *s = NULL;
	for (size_t i = 0; i < p->nsegs && !s; i++)
		if (p->at_execfn - p->segs[i].vaddr < p->segs[i].filesz)
			s = &p->segs[i];
	if (!s || p->auxv_len < 32)
		return -1;
	uint64_t top = s->vaddr + s->filesz;
	uint64_t base = s->filesz > STACK_SCAN ? top - STACK_SCAN : s->vaddr;
	size_t n = (size_t)(top - base);
	unsigned char *buf = malloc(n);
	int rc = -1;
	if (!buf || pyx_memsrc_core_read_dumped(mem, base, buf, n, NULL) < 0)
		goto out;
	const unsigned char *hit = memmem(buf, n, p->auxv, p->auxv_len);
	if (!hit || (hit - buf) % 8)
		goto out;
	size_t w = (size_t)(hit - buf) / 8; /* word index of auxv */
	const uint64_t *words = (const uint64_t *)(void *)buf;
	if (w < 3 || words[w - 1] != 0)
		goto out;
	size_t i = w - 2;
	while (i > 0 && words[i] != 0 && words[i] - base < n) /* envp */
		i--;
	if (words[i] != 0 || i == 0)
		goto out;
	size_t argc = 0;
	for (i--; i > 0 && words[i] - base < n && argc < PYX_PROC_MAX_ARGS; i--)
		argc++;
	if (words[i] != argc || argc == 0)
		goto out;
	const char **argv = pyx_arena_calloc(p->t->arena, argc + 1, sizeof *argv);
	for (size_t k = 0; argv && k < argc; k++) {
		size_t at = (size_t)(words[i + 1 + k] - base);
		const char *nul = memchr(buf + at, '\0', n - at);
		if (!nul || !(argv[k] = pyx_arena_strndup(p->t->arena, (const char *)buf + at,
							  (size_t)(nul - (const char *)buf - at))))
			goto out;
	}
	if (argv) {
		p->t->argv = argv;
		p->t->argc = argc;
		rc = 0;
	}
out:
	free(buf);
	return rc;
}

static void psargs_argv(struct parse *p)
{
	struct pyx_target *t = p->t;
	const char *src = p->psargs[0] ? p->psargs : p->fname;
	size_t n = 0;
	const char **argv = pyx_arena_calloc(t->arena, ELF_PRARGSZ / 2 + 2, sizeof *argv);
	for (const char *s = src; argv && *s;) {
		while (*s == ' ')
			s++;
		const char *e = strchr(s, ' ');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len && (argv[n] = pyx_arena_strndup(t->arena, s, len)))
			n++;
		s += len;
	}
	t->argv = argv;
	t->argc = argv ? n : 0;
}

/* ---- opening ---- */

/* The core's memory, without the mapped files until they are checked;
 * takes fd. */
static int open_memory(struct parse *p, int fd, struct pyx_memsrc **mem, struct pyx_error *err)
{
	struct pyx_arena *a = p->t->arena;
	const char **open = pyx_arena_calloc(a, p->nfiles + 1, sizeof *open);
	const char **names = pyx_arena_calloc(a, p->nfiles + 1, sizeof *names);
	if (!open || !names) {
		close(fd);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	for (size_t i = 0; i < p->nfiles; i++)
		names[i] = p->files[i].name;
	struct pyx_core_layout l = {
	    .fd = fd,
	    .size = p->size,
	    .segs = p->segs,
	    .nsegs = p->nsegs,
	    .fmaps = p->fmaps,
	    .nfmaps = p->fmaps ? p->nfmaps : 0,
	    .files = open,
	    .names = names,
	    .nfiles = p->nfiles,
	};
	return pyx_memsrc_open_core(&l, PYX_MEMSRC_CACHE, mem, err);
}

/* Parses the core at path into p->t (identity, threads, maps, files) and
 * opens its memory. */
static int parse_core(struct parse *p, struct pyx_unpacked *u, struct pyx_memsrc **mem,
		      struct pyx_error *err)
{
	int rc = pyx_unpack_open(p->path, u, err);
	if (rc < 0)
		return rc;
	rc = parse_elf(p, u->fd, err);
	if (p->e)
		elf_end(p->e);
	p->e = NULL;
	if (rc < 0) {
		close(u->fd);
		if (u->cut && err)
			pyx_error_set(err, err->code, 0, 0,
				      "%s: the compressed core is cut short (%s), and what could be "
				      "decompressed is not a readable core",
				      p->path, u->cut_msg);
		return rc;
	}
	return open_memory(p, u->fd, mem, err);
}

static void free_parse(struct parse *p)
{
	free(p->segs);
	free(p->fmaps);
}

static void identify(struct parse *p, struct pyx_memsrc *mem)
{
	struct pyx_target *t = p->t;
	for (size_t i = 0; i < p->nfiles; i++)
		if (p->files[i].is_exe && !t->exe)
			t->exe = p->files[i].name;
	if (stack_argv(p, mem) < 0)
		psargs_argv(p);
	/* gcore writes no signal (pr_cursig 0) and its own note; GDB's
	 * generate-core-file on a process stopped by a fatal signal keeps it. */
	t->origin = p->gdb || !p->first_cursig ? "gcore" : "core";
	if (p->first_cursig) {
		t->signo = p->have_siginfo && p->sig_no ? p->sig_no : p->first_cursig;
		t->si_code = p->have_siginfo ? p->sig_code : 0;
		/* si_addr only for a fault the kernel raised (si_code > 0); sent
		 * by kill(2), the same bytes hold the sender's pid and uid. */
		if ((t->signo == SIGSEGV || t->signo == SIGBUS || t->signo == SIGILL ||
		     t->signo == SIGFPE) &&
		    t->si_code > 0)
			t->fault_addr = p->sig_addr;
		t->crash_tid = t->threads[0].tid;
	}
}

/* A target parsed from the core at path, with its memory open (no mapped
 * file read yet). */
static int open_parsed(const char *path, const struct pyx_core_opts *opts, struct parse **pp,
		       struct pyx_unpacked *u, struct pyx_error *err)
{
	static const struct pyx_core_opts defaults;
	struct pyx_memsrc *mem = NULL;
	struct parse *p;
	struct pyx_target *t = pyx_target_new(&core_ops);
	if (!t || !(p = pyx_arena_alloc(t->arena, sizeof *p))) {
		pyx_target_close(t);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	p->t = t;
	p->path = pyx_arena_strdup(t->arena, path);
	p->opts = opts ? opts : &defaults;
	t->core_path = p->path;
	t->ctx = p;
	int rc = p->path ? parse_core(p, u, &mem, err)
			 : pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	if (rc < 0) {
		free_parse(p);
		pyx_target_close(t);
		return rc;
	}
	t->mem = mem;
	identify(p, mem);
	*pp = p;
	return 0;
}

static void close_parsed(struct parse *p)
{
	free_parse(p);
	p->segs = NULL;
	p->fmaps = NULL;
}

int pyx_target_open_core(const char *path, const struct pyx_core_opts *opts,
			 struct pyx_target **out, struct pyx_error *err)
{
	struct pyx_unpacked u;
	struct parse *p = NULL;
	*out = NULL;
	int rc = open_parsed(path, opts, &p, &u, err);
	if (rc < 0)
		return rc;
	struct pyx_target *t = p->t;
	for (size_t i = 0; i < p->nfiles; i++)
		check_file(p, t->mem, &p->files[i]);
	if (u.cut)
		pyx_target_warn(t,
				"the compressed core is cut short (%s): memory past what could be "
				"decompressed is missing, and what needs it is marked",
				u.cut_msg);
	else if (p->wanted > p->size)
		pyx_target_warn(
		    t,
		    "the core is cut short: it has %llu of the %llu bytes its headers "
		    "describe; memory past that is missing, and what needs it is marked",
		    (unsigned long long)p->size, (unsigned long long)p->wanted);
	warn_files(p);
	for (size_t i = 0; i < p->nfiles; i++)
		if (p->files[i].open)
			pyx_memsrc_core_set_file(t->mem, i, p->files[i].open);
	close_parsed(p);
	*out = t;
	return 0;
}

int pyx_core_check_exe(const char *core, const char *exe, struct pyx_error *err)
{
	struct pyx_unpacked u;
	struct parse *p = NULL;
	struct pyx_elf *elf = NULL;
	char core_hex[2 * PYX_BUILD_ID_MAX + 1], disk_hex[2 * PYX_BUILD_ID_MAX + 1];
	int rc = open_parsed(core, NULL, &p, &u, err);
	if (rc < 0)
		return rc;
	struct cfile *f = NULL;
	for (size_t i = 0; i < p->nfiles && !f; i++)
		if (p->files[i].is_exe)
			f = &p->files[i];
	unsigned char hdr[HDR_PAGE];
	if (f && f->hdr_addr &&
	    pyx_memsrc_core_read_dumped(p->t->mem, f->hdr_addr, hdr, sizeof hdr, NULL) == 0)
		f->core_id_len = pyx_elf_image_build_id(hdr, sizeof hdr, f->core_id);
	if (!f)
		goto out; /* the core does not say: nothing to compare */
	if (f->core_id_len) {
		rc = pyx_elf_open(exe, &elf, err);
		if (rc < 0)
			goto out;
		f->disk_id_len = pyx_elf_build_id(elf, f->disk_id);
		if (f->disk_id_len == f->core_id_len &&
		    !memcmp(f->disk_id, f->core_id, f->core_id_len))
			goto out;
		hex_id(f->core_id, f->core_id_len, core_hex);
		hex_id(f->disk_id, f->disk_id_len, disk_hex);
		rc = strcmp(f->name, exe)
			 ? pyx_error_set(err, PYX_E_INVALID, 0, 0,
					 "the core was made by %s (build-id %s), not by %s "
					 "(build-id %s)",
					 f->name, core_hex, exe, disk_hex)
			 : pyx_error_set(err, PYX_E_INVALID, 0, 0,
					 "the core was made by another build of %s (build-id %s "
					 "in the core, %s on disk)",
					 f->name, core_hex, disk_hex);
		goto out;
	}
	/* No build-id in the core: the paths must at least agree. */
	char *a = realpath(f->name, NULL), *b = realpath(exe, NULL);
	if (strcmp(a ? a : f->name, b ? b : exe))
		rc = pyx_error_set(err, PYX_E_INVALID, 0, 0, "the core was made by %s, not by %s",
				   f->name, exe);
	free(a);
	free(b);
out:
	pyx_elf_close(elf);
	close_parsed(p);
	pyx_target_close(p->t);
	return rc;
}
