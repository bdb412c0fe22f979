/* SPDX-License-Identifier: MIT */
/* libdwfl over a target: the mapped objects are reported from the target's
 * list (opened before any stop), threads and registers come from the
 * target (dwfl_attach_state with our own callbacks, so a live process and a
 * core take the same path), and memory from stack copies made while the
 * target was stopped, else from the target's memory source. Frames are
 * named once per distinct pc. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include "../util/clock.h"
#include "../util/fmt.h"
#include "unwind.h"

enum {
	DEFAULT_MAX_FRAMES = 16384,
	DEFAULT_THREAD_US = 250000,
	DEFAULT_TOTAL_US = 5000000,
	DEFAULT_MAX_STACK = 8 << 20,
	DEFAULT_MAX_STACKS = 256 << 20,
	VDSO_MAX = 1 << 20,
	/* x86-64 DWARF register numbers: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */
	DWARF_NREGS = 17,
	DWARF_SP = 7,
	DEADLINE_EVERY = 32, /* frames between two looks at the clock */
};

struct stack_copy {
	uint64_t lo, hi;     /* [lo, hi) of the target's memory */
	unsigned char *data; /* NULL when not copied */
};

struct uthread {
	pid_t tid;
	const struct pyx_regs *regs;
	struct stack_copy stack;
};

/* A named pc (key: pc, and whether it is exact or a return address). */
struct named {
	uint64_t key; /* 0: empty slot */
	struct pyx_native_frame f;
};

struct modname {
	Dwfl_Module *mod;
	const char *name; /* arena copy */
};

/* A reported module's file, until libdwfl asks for it (find_elf) and owns
 * it from then on. */
struct modinfo {
	struct pyx_unwinder *u;
	Elf *elf;
	int fd;			/* -1 for the vDSO (from memory) */
};

struct pyx_unwinder {
	struct pyx_target *t;
	struct pyx_unwind_opts opts;
	Dwfl_Callbacks cbs;
	Dwfl *dwfl;
	struct uthread *threads;
	size_t nthreads;
	struct uthread *cur; /* the thread being walked */
	size_t copied;
	int64_t spent_us;
	unsigned char *vdso;	       /* the vDSO's bytes, kept for elf_memory */
	struct modinfo *modinfo;       /* one per reported module (its userdata) */
	size_t nmodinfo;
	struct pyx_arena *names_arena; /* the arena the caches' strings live in */
	struct named *named;	       /* open addressing, power-of-two size */
	size_t nnamed, named_cap;
	struct modname *mods;
	size_t nmods, mods_cap;
};

/* ---- libdwfl's file callbacks ---- */

/* Every module's ELF is the one opened when it was reported: read with
 * pread (ELF_C_READ), never mapped, so a file the target maps that is
 * truncated meanwhile is an error here, not a SIGBUS. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct modinfo *mi = *userdata;
	int fd = -1;
	if (mi && mi->elf) {
		*elfp = mi->elf; /* libdwfl owns it, and the descriptor, from now on */
		fd = mi->fd;
		mi->elf = NULL;
		mi->fd = -1;
	}
	return fd;
}

/* A dwz file named by .gnu_debugaltlink: as named, or relative to the
 * debug file that names it. */
static int find_alt(const char *debug_file, const char *link, char **path)
{
	char buf[4096];
	const char *name = link;
	if (link[0] != '/') {
		const char *slash = debug_file ? strrchr(debug_file, '/') : NULL;
		if (!slash || pyx_snprintf(buf, sizeof buf, "%.*s/%s", (int)(slash - debug_file),
					   debug_file, link) >= (int)sizeof buf)
			return -1;
		name = buf;
	}
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !(*path = strdup(name))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct modinfo *mi = *userdata;
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	if (!mi)
		return -1;
	/* libdwfl asks for the dwz file with the debug file's name and the
	 * link's path, which is never a bare file name. */
	if (debuglink_file && strchr(debuglink_file, '/'))
		return find_alt(file_name, debuglink_file, debuginfo_file_name);
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	return pyx_debug_file_find(mi->u->opts.debug_dirs, len > 0 ? bits : NULL,
				   len > 0 ? (size_t)len : 0, modname, debuglink_file,
				   debuginfo_file_name);
}

/* ---- libdwfl's thread callbacks ---- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct pyx_unwinder *u = arg;
	struct uthread *th = *thread_argp;
	size_t i = th ? (size_t)(th - u->threads) + 1 : 0;
	if (i >= u->nthreads)
		return 0;
	*thread_argp = &u->threads[i];
	return u->threads[i].tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct pyx_unwinder *u = arg;
	for (size_t i = 0; i < u->nthreads; i++)
		if (u->threads[i].tid == tid) {
			*thread_argp = &u->threads[i];
			return true;
		}
	return false;
}

static int copy_has(const struct stack_copy *s, uint64_t addr)
{
	return s->data && s->hi - s->lo >= 8 && addr >= s->lo && addr - s->lo <= s->hi - s->lo - 8;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct pyx_unwinder *u = arg;
	const struct stack_copy *s = u->cur ? &u->cur->stack : NULL;
	if (!s || !copy_has(s, addr)) {
		/* Another thread's stack (a signal handler on an alternate
		 * stack reads the interrupted one), else the target itself. */
		s = NULL;
		for (size_t i = 0; i < u->nthreads && !s; i++)
			if (copy_has(&u->threads[i].stack, addr))
				s = &u->threads[i].stack;
	}
	if (s) {
		memcpy(result, s->data + (addr - s->lo), sizeof *result);
		return true;
	}
	uint64_t v;
	if (!u->t->mem || pyx_memsrc_read_u64(u->t->mem, addr, &v, NULL) < 0)
		return false;
	*result = v;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct pyx_regs *r = ((struct uthread *)thread_arg)->regs;
	Dwarf_Word regs[DWARF_NREGS] = {
	    r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
	    r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip,
	};
	return dwfl_thread_state_registers(thread, 0, DWARF_NREGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

/* ---- reporting the mapped objects ---- */

/* Reports [start, end) as a module whose ELF is elf (fd: its file, or -1);
 * 1 when reported, 0 when not (elf and fd are then released). */
static int report(struct pyx_unwinder *u, const char *name, uint64_t start, uint64_t end, Elf *elf,
		  int fd)
{
	Dwfl_Module *mod = u->nmodinfo < u->t->nmaps + 1
				   ? dwfl_report_module(u->dwfl, name, start, end)
				   : NULL;
	void **ud = NULL;
	if (mod)
		dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	if (!ud) {
		elf_end(elf);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct modinfo *mi = &u->modinfo[u->nmodinfo++];
	mi->u = u;
	mi->elf = elf;
	mi->fd = fd;
	*ud = mi;
	return 1;
}

/* Whether path may hold code: it has an executable mapping, or the target
 * does not tell permissions (a core's NT_FILE has none), so that a mapped
 * data file or font is not opened for nothing when we can tell. */
static int maps_code(const struct pyx_target *t, const char *path)
{
	int perms_known = 0;
	for (size_t i = 0; i < t->nmaps; i++) {
		if (t->maps[i].perms[2] != 'x')
			continue;
		perms_known = 1;
		if (t->maps[i].path && !strcmp(t->maps[i].path, path))
			return 1;
	}
	return !perms_known;
}

static int report_file(struct pyx_unwinder *u, const struct pyx_map *m)
{
	const char *open_path = pyx_target_file_path(u->t, m->path);
	struct stat st;
	if (!open_path)
		return 0;
	/* Only regular files: opening a mapped device can have effects. */
	int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;
	Elf *elf = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !(elf = elf_begin(fd, ELF_C_READ, NULL)) || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return 0;
	}
	/* From the offset-0 mapping (where the first loadable segment lies:
	 * libdwfl takes the bias from it) to the end of the file's last one. */
	uint64_t end = m->end;
	for (size_t i = 0; i < u->t->nmaps; i++) {
		const struct pyx_map *o = &u->t->maps[i];
		if (o->path && o->end > end && o->start >= m->start && !strcmp(o->path, m->path))
			end = o->end;
	}
	return report(u, m->path, m->start, end, elf, fd);
}

static int report_vdso(struct pyx_unwinder *u, const struct pyx_map *m)
{
	size_t len = (size_t)(m->end - m->start);
	if (!u->t->mem || len == 0 || len > VDSO_MAX || u->vdso)
		return 0;
	u->vdso = malloc(len);
	if (!u->vdso || pyx_memsrc_read(u->t->mem, m->start, u->vdso, len, NULL) < 0)
		return 0;
	Elf *elf = elf_memory((char *)u->vdso, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return 0;
	}
	return report(u, "[vdso]", m->start, m->end, elf, -1);
}

static int report_modules(struct pyx_unwinder *u)
{
	const struct pyx_target *t = u->t;
	int n = 0;
	u->modinfo = calloc(t->nmaps + 1, sizeof *u->modinfo);
	if (!u->modinfo)
		return 0;
	dwfl_report_begin(u->dwfl);
	for (size_t i = 0; i < t->nmaps; i++) {
		const struct pyx_map *m = &t->maps[i];
		if (!m->path)
			continue;
		if (!strcmp(m->path, "[vdso]")) {
			n += report_vdso(u, m);
			continue;
		}
		if (m->path[0] != '/' || m->offset != 0 || !maps_code(t, m->path))
			continue;
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = t->maps[j].offset == 0 && t->maps[j].path &&
			       !strcmp(t->maps[j].path, m->path);
		if (!seen)
			n += report_file(u, m);
	}
	dwfl_report_end(u->dwfl, NULL, NULL);
	return n;
}

int pyx_unwind_open(struct pyx_target *t, const struct pyx_unwind_opts *opts,
		    struct pyx_unwinder **out, struct pyx_error *err)
{
	struct pyx_unwinder *u = calloc(1, sizeof *u);
	*out = NULL;
	if (!u)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	elf_version(EV_CURRENT);
	u->t = t;
	if (opts)
		u->opts = *opts;
	if (!u->opts.max_frames)
		u->opts.max_frames = DEFAULT_MAX_FRAMES;
	if (!u->opts.thread_us)
		u->opts.thread_us = DEFAULT_THREAD_US;
	if (!u->opts.total_us)
		u->opts.total_us = DEFAULT_TOTAL_US;
	if (!u->opts.max_stack)
		u->opts.max_stack = DEFAULT_MAX_STACK;
	if (!u->opts.max_stacks)
		u->opts.max_stacks = DEFAULT_MAX_STACKS;
	/* A target may read its mappings only when first needed (a live
	 * worker located from its parent's maps). */
	int rc = pyx_target_maps(t, err);
	if (rc < 0) {
		pyx_unwind_close(u);
		return rc;
	}
	u->cbs.find_elf = find_elf;
	u->cbs.find_debuginfo = find_debuginfo;
	u->dwfl = dwfl_begin(&u->cbs);
	if (!u->dwfl) {
		pyx_unwind_close(u);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "cannot start libdwfl: %s",
				     dwfl_errmsg(-1));
	}
	if (report_modules(u) == 0) {
		pyx_unwind_close(u);
		return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0,
				     "none of the objects the process maps could be opened");
	}
	pid_t pid = t->pid > 0 ? t->pid : 1;
	if (!dwfl_attach_state(u->dwfl, NULL, pid, &thread_callbacks, u)) {
		rc = pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "cannot unwind this process: %s",
				       dwfl_errmsg(-1));
		pyx_unwind_close(u);
		return rc;
	}
	*out = u;
	return 0;
}

/* ---- capture ---- */

static const struct pyx_map *map_of(const struct pyx_target *t, uint64_t addr)
{
	for (size_t i = 0; i < t->nmaps; i++)
		if (addr >= t->maps[i].start && addr < t->maps[i].end)
			return &t->maps[i];
	return NULL;
}

/* The used part of a thread's stack: from its stack pointer to the top of
 * its mapping, or, for a thread glibc made, to its thread descriptor
 * (fs_base), which sits right above the stack in the same mapping. */
static void stack_range(const struct pyx_unwinder *u, const struct pyx_regs *r, uint64_t *lo,
			uint64_t *hi)
{
	const struct pyx_map *m = map_of(u->t, r->rsp);
	*lo = *hi = 0;
	if (!m)
		return;
	uint64_t top = m->end;
	if (r->fs_base > r->rsp && r->fs_base < m->end)
		top = r->fs_base;
	if (top - r->rsp > u->opts.max_stack)
		top = r->rsp + u->opts.max_stack;
	*lo = r->rsp;
	*hi = top;
}

int pyx_unwind_capture(struct pyx_unwinder *u, struct pyx_error *err)
{
	const struct pyx_target *t = u->t;
	free(u->threads);
	u->threads = calloc(t->nthreads ? t->nthreads : 1, sizeof *u->threads);
	u->nthreads = 0;
	if (!u->threads)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	for (size_t i = 0; i < t->nthreads; i++) {
		const struct pyx_target_thread *tt = &t->threads[i];
		if (!tt->has_regs)
			continue;
		struct uthread *th = &u->threads[u->nthreads++];
		th->tid = tt->tid;
		th->regs = &tt->regs;
		uint64_t lo, hi;
		stack_range(u, &tt->regs, &lo, &hi);
		size_t len = (size_t)(hi - lo);
		if (!len || !t->mem || u->copied + len > u->opts.max_stacks)
			continue;
		th->stack.data = malloc(len);
		if (!th->stack.data)
			continue; /* read lazily instead */
		if (pyx_memsrc_read(t->mem, lo, th->stack.data, len, NULL) < 0) {
			free(th->stack.data);
			th->stack.data = NULL;
			continue;
		}
		th->stack.lo = lo;
		th->stack.hi = hi;
		u->copied += len;
	}
	return 0;
}

/* ---- walking ---- */

struct walk {
	struct pyx_unwinder *u;
	uint64_t *pcs; /* with bit 0 of act set when exact */
	unsigned char *act;
	size_t n, cap;
	int64_t deadline;
	int code;  /* why we stopped it, 0 when libdwfl did */
	int ended; /* a zero return address: the outermost frame */
	const char *why;
	uint64_t last_pc, last_sp;
};

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool act = false;
	if (!dwfl_frame_pc(state, &pc, &act)) {
		w->code = PYX_E_BAD_DATA;
		w->why = dwfl_errmsg(-1);
		return DWARF_CB_ABORT;
	}
	if (pc == 0 && w->n) {
		w->ended = 1; /* the ABI's end of the stack */
		return DWARF_CB_ABORT;
	}
	Dwarf_Word sp = 0;
	int has_sp = dwfl_frame_reg(state, DWARF_SP, &sp) == 0;
	if (w->n && has_sp && pc == w->last_pc && sp == w->last_sp) {
		w->code = PYX_E_BAD_DATA;
		w->why = "the stack loops back on itself";
		return DWARF_CB_ABORT;
	}
	if (w->n >= w->u->opts.max_frames) {
		w->code = PYX_E_LIMIT;
		w->why = "more native frames than the limit";
		return DWARF_CB_ABORT;
	}
	if (w->n % DEADLINE_EVERY == 0 && w->n && pyx_now_us() > w->deadline) {
		w->code = PYX_E_LIMIT;
		w->why = "time limit for native unwinding reached";
		return DWARF_CB_ABORT;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		uint64_t *pcs = realloc(w->pcs, cap * sizeof *pcs);
		if (pcs)
			w->pcs = pcs;
		unsigned char *a = pcs ? realloc(w->act, cap) : NULL;
		if (!pcs || !a) {
			w->code = PYX_E_NOMEM;
			w->why = "out of memory";
			return DWARF_CB_ABORT;
		}
		w->act = a;
		w->cap = cap;
	}
	w->pcs[w->n] = pc;
	w->act[w->n++] = act;
	w->last_pc = pc;
	w->last_sp = has_sp ? sp : 0;
	return DWARF_CB_OK;
}

static const char *module_name(struct pyx_unwinder *u, Dwfl_Module *mod, struct pyx_arena *arena)
{
	for (size_t i = 0; i < u->nmods; i++)
		if (u->mods[i].mod == mod)
			return u->mods[i].name;
	const char *name = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	name = name ? pyx_arena_strdup(arena, name) : NULL;
	if (u->nmods == u->mods_cap) {
		size_t cap = u->mods_cap ? u->mods_cap * 2 : 32;
		struct modname *m = realloc(u->mods, cap * sizeof *m);
		if (!m)
			return name;
		u->mods = m;
		u->mods_cap = cap;
	}
	u->mods[u->nmods].mod = mod;
	u->mods[u->nmods++].name = name;
	return name;
}

static int is_eval(const struct pyx_unwinder *u, const char *sym)
{
	for (const char *const *e = u->opts.eval_symbols; sym && e && *e; e++) {
		size_t n = strlen(*e);
		if (!strncmp(sym, *e, n) && (sym[n] == '\0' || sym[n] == '.'))
			return 1;
	}
	return 0;
}

/* Names pc: its module, symbol and source line. A return address is
 * looked up one byte earlier, inside the call instruction, so that a call
 * that ends a function still names that function. */
static void name_pc(struct pyx_unwinder *u, uint64_t pc, int act, struct pyx_arena *arena,
		    struct pyx_native_frame *f)
{
	uint64_t at = act || pc == 0 ? pc : pc - 1;
	memset(f, 0, sizeof *f);
	f->pc = pc;
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, at);
	if (!mod)
		return;
	f->module = module_name(u, mod, arena);
	Dwarf_Addr bias = 0;
	if (dwfl_module_getelf(mod, &bias))
		f->module_offset = pc - bias;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
	if (name) {
		/* "clock_nanosleep@GLIBC_2.2.5": the version is not the name. */
		f->symbol = pyx_arena_strndup(arena, name, strcspn(name, "@"));
		f->symbol_offset = off + (pc - at);
		f->is_eval = is_eval(u, name);
	}
	Dwfl_Line *line = dwfl_module_getsrc(mod, at);
	int lineno = 0;
	const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (file && lineno > 0) {
		f->file = pyx_arena_strdup(arena, file);
		f->line = lineno;
	}
}

static uint64_t hash_key(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/* The named frame for (pc, act), from the cache or named now. */
static int lookup(struct pyx_unwinder *u, uint64_t pc, int act, struct pyx_arena *arena,
		  struct pyx_native_frame *out)
{
	uint64_t key = (pc << 1 | (uint64_t) !!act) + 1;
	if (u->names_arena != arena) {
		/* Strings live in the caller's arena: a new arena, a new cache. */
		u->nnamed = 0;
		if (u->named)
			memset(u->named, 0, u->named_cap * sizeof *u->named);
		u->nmods = 0;
		u->names_arena = arena;
	}
	if ((u->nnamed + 1) * 2 > u->named_cap) {
		size_t cap = u->named_cap ? u->named_cap * 2 : 256;
		struct named *n = calloc(cap, sizeof *n);
		if (!n)
			return -PYX_E_NOMEM;
		for (size_t i = 0; i < u->named_cap; i++) {
			if (!u->named[i].key)
				continue;
			size_t j = hash_key(u->named[i].key) & (cap - 1);
			while (n[j].key)
				j = (j + 1) & (cap - 1);
			n[j] = u->named[i];
		}
		free(u->named);
		u->named = n;
		u->named_cap = cap;
	}
	size_t j = hash_key(key) & (u->named_cap - 1);
	while (u->named[j].key && u->named[j].key != key)
		j = (j + 1) & (u->named_cap - 1);
	if (!u->named[j].key) {
		name_pc(u, pc, act, arena, &u->named[j].f);
		u->named[j].key = key;
		u->nnamed++;
	}
	*out = u->named[j].f;
	return 0;
}

static void stack_error(struct pyx_native_stack *out, int code, const char *msg)
{
	out->complete = 0;
	out->error = code;
	out->error_msg = msg ? msg : "native unwinding failed";
}

int pyx_unwind_thread(struct pyx_unwinder *u, pid_t tid, struct pyx_arena *arena,
		      struct pyx_native_stack *out, struct pyx_error *err)
{
	memset(out, 0, sizeof *out);
	struct uthread *th = NULL;
	for (size_t i = 0; i < u->nthreads && !th; i++)
		if (u->threads[i].tid == tid)
			th = &u->threads[i];
	if (!th) {
		stack_error(out, PYX_E_NOT_FOUND, "no registers for this thread");
		return 0;
	}
	if (u->spent_us >= u->opts.total_us) {
		stack_error(out, PYX_E_LIMIT,
			    "not unwound: the time limit for this process was spent");
		return 0;
	}
	int64_t start = pyx_now_us();
	int64_t budget = u->opts.total_us - u->spent_us;
	struct walk w = {
	    .u = u,
	    .deadline = start + (u->opts.thread_us < budget ? u->opts.thread_us : budget),
	};
	u->cur = th;
	int rc = dwfl_getthread_frames(u->dwfl, tid, on_frame, &w);
	const char *dwfl_msg = rc < 0 ? dwfl_errmsg(-1) : NULL;
	u->cur = NULL;
	u->spent_us += pyx_now_us() - start;
	if (w.code == PYX_E_NOMEM) {
		free(w.pcs);
		free(w.act);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	out->frames = pyx_arena_calloc(arena, w.n + 1, sizeof *out->frames);
	if (!out->frames) {
		free(w.pcs);
		free(w.act);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	for (size_t i = 0; i < w.n; i++)
		if (lookup(u, w.pcs[i], w.act[i], arena, &out->frames[i]) < 0) {
			free(w.pcs);
			free(w.act);
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		}
	out->n = w.n;
	uint64_t last = w.n ? w.pcs[w.n - 1] : th->regs->rip;
	free(w.pcs);
	free(w.act);
	if (rc == 0 || w.ended)
		out->complete = 1;
	else if (w.code)
		stack_error(
		    out, w.code,
		    pyx_arena_printf(arena, "%s (at 0x%llx)", w.why, (unsigned long long)last));
	else
		stack_error(out, PYX_E_BAD_DATA,
			    pyx_arena_printf(arena, "cannot unwind past 0x%llx: %s",
					     (unsigned long long)last,
					     dwfl_msg ? dwfl_msg : "unknown error"));
	return 0;
}

void pyx_unwind_close(struct pyx_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	for (size_t i = 0; i < u->nmodinfo; i++) {
		/* Modules libdwfl never opened: their files are still ours. */
		if (u->modinfo[i].elf)
			elf_end(u->modinfo[i].elf);
		if (u->modinfo[i].fd >= 0)
			close(u->modinfo[i].fd);
	}
	free(u->modinfo);
	free(u->vdso);
	for (size_t i = 0; i < u->nthreads; i++)
		free(u->threads[i].stack.data);
	free(u->threads);
	free(u->named);
	free(u->mods);
	free(u);
}

const struct pyx_unwind_ops pyx_unwind_dwfl = {
	.open = pyx_unwind_open,
	.capture = pyx_unwind_capture,
	.thread = pyx_unwind_thread,
	.close = pyx_unwind_close,
};
