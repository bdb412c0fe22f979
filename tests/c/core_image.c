/* SPDX-License-Identifier: MIT */
/* Synthetic ELF cores (core_image.h), written byte by byte with <elf.h>'s
 * structures: what the kernel and GDB's gcore write, small. */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_image.h"

enum { CORE_NT_GDB = 0xff000000 }; /* GDB's target description note */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 8 > b->cap) {
		b->cap = (b->len + len + 8) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	while (b->len % 4)
		b->p[b->len++] = 0;
}

static void note(struct buf *b, const char *name, uint32_t type, const void *desc, size_t len)
{
	uint32_t h[3] = {(uint32_t)strlen(name) + 1, (uint32_t)len, type};
	put(b, h, sizeof h);
	put(b, name, h[0]);
	put(b, desc, len);
}

unsigned char *core_image_read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		abort();
	unsigned char *p = malloc((size_t)st.st_size + 1);
	if (!p || read(fd, p, (size_t)st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

void core_image_write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, p, len) != (ssize_t)len)
		abort();
	close(fd);
}


/* The initial stack: argc, argv, envp, auxv, then the strings. */
static void build_stack(unsigned char *stack, unsigned char *auxv_out, size_t *auxv_len,
			const char *execfn)
{
	uint64_t w[16];
	const char *strs[] = {"exe", "a b", "c", "HOME=/", execfn};
	uint64_t addr[5];
	size_t off = 0x1800;
	for (int i = 0; i < 5; i++) {
		addr[i] = CORE_STACK_BASE + off;
		memcpy(stack + off, strs[i], strlen(strs[i]) + 1);
		off += strlen(strs[i]) + 1;
	}
	size_t n = 0;
	w[n++] = 3;
	w[n++] = addr[0];
	w[n++] = addr[1];
	w[n++] = addr[2];
	w[n++] = 0;
	w[n++] = addr[3];
	w[n++] = 0;
	size_t aux = n;
	w[n++] = AT_ENTRY;
	w[n++] = CORE_ENTRY;
	w[n++] = AT_EXECFN;
	w[n++] = addr[4];
	w[n++] = AT_NULL;
	w[n++] = 0;
	memcpy(stack + 0x1000, w, n * 8);
	*auxv_len = (n - aux) * 8;
	memcpy(auxv_out, &w[aux], *auxv_len);
}

static void prstatus(struct buf *b, pid_t tid, int cursig, int64_t orig_rax, uint64_t fs)
{
	struct elf_prstatus ps;
	memset(&ps, 0, sizeof ps);
	ps.pr_pid = tid;
	ps.pr_ppid = 1;
	ps.pr_cursig = (short)cursig;
	ps.pr_info.si_signo = cursig;
	ps.pr_reg[15] = (unsigned long)orig_rax; /* orig_rax, user_regs_struct order */
	ps.pr_reg[21] = fs;			  /* fs_base */
	note(b, "CORE", NT_PRSTATUS, &ps, sizeof ps);
}

/* Writes a core at path; returns its size. */
size_t core_image_write(const char *path, const struct core_image_spec *sp)
{
	struct buf notes = {0};
	unsigned char auxv[64];
	size_t auxv_len;
	unsigned char *stack = calloc(1, CORE_STACK_SIZE), *data = malloc(0x1000), *part = malloc(0x1000);
	unsigned char *big = malloc(sp->big_size);
	uint32_t x = 12345;
	for (size_t i = 0; i < sp->big_size; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (unsigned char)(x >> 24);
	}
	build_stack(stack, auxv, &auxv_len, sp->exe_name);
	for (int i = 0; i < 0x1000; i++) {
		data[i] = (unsigned char)(i ^ 0x5a);
		part[i] = (unsigned char)(i ^ 0xa5);
	}
	size_t hlen;
	unsigned char *hdr_file = core_image_read_file(sp->hdr_from, &hlen);

	prstatus(&notes, 100, sp->gcore ? 0 : SIGSEGV, -1, 0x7000);
	struct elf_prpsinfo ps;
	memset(&ps, 0, sizeof ps);
	ps.pr_sname = sp->gcore ? 't' : 'R';
	ps.pr_pid = 100;
	ps.pr_ppid = 1;
	strcpy(ps.pr_fname, "exe");
	strcpy(ps.pr_psargs, "exe a b c");
	note(&notes, "CORE", NT_PRPSINFO, &ps, sizeof ps);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sp->gcore ? SIGSTOP : SIGSEGV;
	si.si_code = sp->gcore ? SI_KERNEL : SEGV_MAPERR;
	si.si_addr = (void *)0x10;
	note(&notes, "CORE", NT_SIGINFO, &si, sizeof si);
	note(&notes, "CORE", NT_AUXV, auxv, auxv_len);
	/* NT_FILE: the executable (0x3000 from offset 0) and a library the core
	 * leaves out entirely (as gcore does). */
	struct buf f = {0};
	uint64_t hd[2] = {2, 0x1000};
	uint64_t ent[6] = {CORE_EXE_BASE, CORE_EXE_BASE + CORE_EXE_SIZE, 0, CORE_LIB_BASE, CORE_LIB_BASE + 0x2000, 1};
	put(&f, hd, sizeof hd);
	put(&f, ent, sizeof ent);
	f.len = 16 + sizeof ent; /* names follow without padding */
	memcpy(f.p + f.len, sp->exe_name, strlen(sp->exe_name) + 1);
	f.len += strlen(sp->exe_name) + 1;
	put(&f, sp->lib_name, strlen(sp->lib_name) + 1);
	note(&notes, "CORE", NT_FILE, f.p, f.len);
	prstatus(&notes, 101, sp->gcore ? 0 : SIGSEGV, 7, 0x8000);
	if (sp->gcore)
		note(&notes, "GDB", CORE_NT_GDB, "<target/>", 10);

	struct {
		uint64_t vaddr, filesz, memsz;
		const unsigned char *bytes;
	} segs[] = {
		{CORE_EXE_BASE, 0x1000, CORE_EXE_SIZE, hdr_file},
		{CORE_LIB_BASE, 0, 0x2000, NULL},
		{CORE_DATA_BASE, 0x1000, 0x1000, data},
		{CORE_PART_BASE, 0x1000, 0x2000, part},
		{CORE_BIG_BASE, sp->big_size, sp->big_size, big},
		{CORE_STACK_BASE, CORE_STACK_SIZE, CORE_STACK_SIZE, stack},
	};
	enum { NSEGS = 6 };
	size_t nph = NSEGS + 1, off = 64 + nph * 56;
	Elf64_Phdr ph[NSEGS + 1];
	memset(ph, 0, sizeof ph);
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = off;
	ph[0].p_filesz = notes.len;
	ph[0].p_align = 4;
	off = (off + notes.len + 0xfff) & ~(size_t)0xfff;
	for (int i = 0; i < NSEGS; i++) {
		ph[i + 1].p_type = PT_LOAD;
		ph[i + 1].p_flags = PF_R;
		ph[i + 1].p_offset = off;
		ph[i + 1].p_vaddr = segs[i].vaddr;
		ph[i + 1].p_filesz = segs[i].filesz;
		ph[i + 1].p_memsz = segs[i].memsz;
		ph[i + 1].p_align = 0x1000;
		off += segs[i].filesz;
	}
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof eh);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = 64;
	eh.e_ehsize = 64;
	eh.e_phentsize = 56;
	eh.e_phnum = (uint16_t)nph;
	unsigned char *img = calloc(1, off);
	memcpy(img, &eh, sizeof eh);
	memcpy(img + 64, ph, sizeof ph);
	memcpy(img + ph[0].p_offset, notes.p, notes.len);
	for (int i = 0; i < NSEGS; i++)
		if (segs[i].filesz)
			memcpy(img + ph[i + 1].p_offset, segs[i].bytes, segs[i].filesz);
	core_image_write_file(path, img, off);
	free(img);
	free(notes.p);
	free(f.p);
	free(stack);
	free(data);
	free(part);
	free(big);
	free(hdr_file);
	return off;
}

