/* SPDX-License-Identifier: MIT */
/* The core target (acquire/core.c) and the core memory source
 * (memsrc/core.c) on synthetic ELF cores written here: notes, segments, a
 * file-backed mapping the core leaves out, the initial stack's argv, a
 * kernel core and a gcore one, cut cores, a missing executable, another
 * build of it (build-id), --sysroot, --force, zstd/lz4/xz compression, and
 * files that are not cores. */
#include <elf.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <lzma.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "acquire/target.h"
#include "core_image.h"
#include "tap.h"

enum { BIG_SIZE = 512 << 10 }; /* incompressible: several compressed blocks */

static char dir[64], exe_path[128], other_path[128];

static size_t make_core(const char *path, int gcore, const char *exe_name, const char *hdr_from)
{
	struct core_image_spec sp = {gcore, exe_name, hdr_from, other_path, BIG_SIZE};
	return core_image_write(path, &sp);
}

static struct pyx_target *open_core(const char *path, const struct pyx_core_opts *o,
				    struct pyx_error *err)
{
	struct pyx_target *t = NULL;
	pyx_error_clear(err);
	if (pyx_target_open_core(path, o, &t, err) < 0)
		return NULL;
	return t;
}

static int has_warning(const struct pyx_target *t, const char *needle)
{
	for (size_t i = 0; i < t->nwarnings; i++)
		if (strstr(t->warnings[i], needle))
			return 1;
	return 0;
}

static void test_kernel_core(const char *core)
{
	struct pyx_error err;
	make_core(core, 0, exe_path, exe_path);
	struct pyx_target *t = open_core(core, NULL, &err);
	ok(t != NULL, "a kernel core opens (%s)", err.msg);
	if (!t)
		return;
	is_str(t->origin, "core", "origin: the kernel");
	is_int(t->pid, 100, "pid from NT_PRPSINFO");
	is_int(t->ppid, 1, "ppid");
	is_int(t->state, 'R', "state letter");
	is_str(t->exe, exe_path, "the executable maps the entry point");
	is_int(t->argc, 3, "argv from the initial stack");
	if (t->argc == 3) {
		is_str(t->argv[0], "exe", "argv[0]");
		is_str(t->argv[1], "a b", "an argument with a space, which pr_psargs would split");
		is_str(t->argv[2], "c", "argv[2]");
	}
	is_int(t->nthreads, 2, "two NT_PRSTATUS threads");
	if (t->nthreads == 2) {
		is_int(t->threads[0].tid, 100, "first thread");
		is_int(t->threads[0].fs_base, 0x7000, "its fs_base from the registers");
		is_int(t->threads[0].syscall, -1, "orig_rax -1: not in a system call");
		is_int(t->threads[1].syscall, 7, "orig_rax 7: in poll");
	}
	is_int(t->signo, SIGSEGV, "the fatal signal");
	is_int(t->si_code, SEGV_MAPERR, "its code");
	is_int(t->fault_addr, 0x10, "the faulting address");
	is_int(t->crash_tid, 100, "the first thread crashed");
	is_int(t->nmaps, 2, "NT_FILE's two mappings");
	is_int(t->nwarnings, 0, "nothing to warn about (%s)", t->nwarnings ? t->warnings[0] : "");

	unsigned char b[64];
	is_int(pyx_memsrc_read(t->mem, CORE_DATA_BASE + 0x10, b, 16, &err), 0, "dumped bytes");
	ok(b[0] == (0x10 ^ 0x5a) && b[15] == (0x1f ^ 0x5a), "are the segment's");
	size_t flen;
	unsigned char *file = core_image_read_file(exe_path, &flen);
	is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0x1800, b, 64, &err), 0,
	       "bytes the core left out of a file mapping");
	ok(!memcmp(b, file + 0x1800, 64), "come from the file at the mapping's offset");
	unsigned char big[0x1100];
	is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0xf80, big, sizeof big, &err), 0,
	       "a read across the core's page and the file's");
	ok(!memcmp(big, file + 0xf80, sizeof big), "is seamless");
	is_int(pyx_memsrc_read(t->mem, CORE_LIB_BASE + 0x100, b, 16, &err), 0,
	       "a mapping the core has no byte of");
	free(file);
	file = core_image_read_file(other_path, &flen);
	ok(!memcmp(b, file + 0x1100, 16), "comes from its file (offset one page)");
	is_int(pyx_memsrc_read(t->mem, CORE_PART_BASE + 0x1000, b, 8, &err), -PYX_E_FAULT,
	       "the unrecorded part of an anonymous segment is a fault, not zeros");
	is_int(pyx_memsrc_read(t->mem, 0x12345000, b, 8, &err), -PYX_E_FAULT,
	       "an address nothing maps");
	ok(strstr(err.msg, "not in the core") != NULL, "says so: %s", err.msg);
	free(file);
	pyx_target_close(t);
}

static void test_gcore(const char *core)
{
	struct pyx_error err;
	make_core(core, 1, exe_path, exe_path);
	struct pyx_target *t = open_core(core, NULL, &err);
	ok(t != NULL, "a gcore core opens (%s)", err.msg);
	if (!t)
		return;
	is_str(t->origin, "gcore", "origin: GDB's gcore");
	is_int(t->signo, 0, "no fatal signal (its SIGSTOP is the attach's)");
	is_int(t->crash_tid, 0, "no crashed thread");
	is_int(t->state, 't', "tracing stop");
	pyx_target_close(t);
}

static void test_cut(const char *core)
{
	struct pyx_error err;
	size_t size = make_core(core, 0, exe_path, exe_path);
	if (truncate(core, (off_t)(size - CORE_STACK_SIZE - BIG_SIZE / 2)) < 0)
		abort();
	struct pyx_target *t = open_core(core, NULL, &err);
	ok(t != NULL, "a core cut short still opens (%s)", err.msg);
	if (!t)
		return;
	ok(has_warning(t, "cut short"), "and warns that it is cut short");
	unsigned char b[16];
	is_int(pyx_memsrc_read(t->mem, CORE_DATA_BASE, b, 16, &err), 0, "what it holds is read");
	is_int(pyx_memsrc_read(t->mem, CORE_BIG_BASE + BIG_SIZE - 16, b, 16, &err), -PYX_E_FAULT,
	       "what was cut off is a fault");
	ok(strstr(err.msg, "cut short") != NULL, "saying so: %s", err.msg);
	is_int(t->argc, 4, "argv from pr_psargs (split at spaces) when the stack was cut off");
	pyx_target_close(t);
	if (truncate(core, 100) < 0)
		abort();
	ok(open_core(core, NULL, &err) == NULL, "cut before its notes: an error");
	ok(strstr(err.msg, "cut short") != NULL || strstr(err.msg, "program headers") != NULL,
	   "that says why: %s", err.msg);
}

static void test_files(const char *core)
{
	struct pyx_error err;
	char missing[160], sysroot_name[16];
	unsigned char b[16];
	snprintf(missing, sizeof missing, "%s/moved-away", dir);
	make_core(core, 0, missing, exe_path);
	struct pyx_target *t = open_core(core, NULL, &err);
	ok(t && has_warning(t, "moved-away is not on this machine") && has_warning(t, "--exe PATH"),
	   "a missing executable: a warning naming it and --exe");
	if (t)
		is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0x1800, b, 8, &err), -PYX_E_FAULT,
		       "its left-out bytes cannot be read");
	pyx_target_close(t);
	struct pyx_core_opts o = {.exe = exe_path};
	t = open_core(core, &o, &err);
	ok(t && t->nwarnings == 0, "--exe gives it");
	if (t)
		is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0x1800, b, 8, &err), 0,
		       "then its bytes read");
	pyx_target_close(t);

	/* The core's copy of the header names another build than the file. */
	make_core(core, 0, exe_path, other_path);
	t = open_core(core, NULL, &err);
	ok(t && has_warning(t, "another build") && has_warning(t, "--force"),
	   "another build on disk: a warning with the build-ids and --force");
	if (t) {
		is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0x1800, b, 8, &err), -PYX_E_FAULT,
		       "the wrong file is not read");
		ok(pyx_target_file_path(t, exe_path) == NULL, "nor used to find symbols");
		ok(pyx_target_file_problem(t, exe_path) != NULL, "and locate can say why");
	}
	pyx_target_close(t);
	o = (struct pyx_core_opts){.force = 1};
	t = open_core(core, &o, &err);
	ok(t && has_warning(t, "--force"), "--force reads it, still warning");
	if (t)
		is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0x1800, b, 8, &err), 0,
		       "and its bytes read");
	pyx_target_close(t);

	/* --sysroot: the core names /exe, found under the folder. */
	snprintf(sysroot_name, sizeof sysroot_name, "/exe");
	make_core(core, 0, sysroot_name, exe_path);
	t = open_core(core, NULL, &err);
	ok(t && has_warning(t, "--sysroot DIR"), "/exe is not here: a warning");
	pyx_target_close(t);
	o = (struct pyx_core_opts){.sysroot = dir};
	t = open_core(core, &o, &err);
	ok(t && !has_warning(t, "the executable"), "--sysroot finds it");
	if (t)
		is_int(pyx_memsrc_read(t->mem, CORE_EXE_BASE + 0x1800, b, 8, &err), 0, "and reads it");
	pyx_target_close(t);
}

static void test_check_exe(const char *core)
{
	struct pyx_error err;
	make_core(core, 0, exe_path, exe_path);
	is_int(pyx_core_check_exe(core, exe_path, &err), 0, "the executable that made the core");
	is_int(pyx_core_check_exe(core, other_path, &err), -PYX_E_INVALID, "another one");
	ok(strstr(err.msg, "the core was made by") && strstr(err.msg, exe_path),
	   "names the core's: %s", err.msg);
}

static size_t compress(const char *format, const unsigned char *in, size_t n, unsigned char *out,
		       size_t cap)
{
	if (!strcmp(format, "zstd"))
		return ZSTD_compress(out, cap, in, n, 3);
	if (!strcmp(format, "lz4"))
		return LZ4F_compressFrame(out, cap, in, n, NULL);
	size_t pos = 0;
	if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, n, out, &pos, cap) != LZMA_OK)
		return 0;
	return pos;
}

static void test_compressed(const char *core)
{
	static const char *const formats[] = {"zstd", "lz4", "xz"};
	struct pyx_error err;
	char packed[200];
	make_core(core, 0, exe_path, exe_path);
	size_t n;
	unsigned char *raw = core_image_read_file(core, &n);
	unsigned char *z = malloc(n * 2 + 65536);
	for (int i = 0; i < 3; i++) {
		size_t zn = compress(formats[i], raw, n, z, n * 2 + 65536);
		snprintf(packed, sizeof packed, "%s.%s", core, formats[i]);
		core_image_write_file(packed, z, zn);
		struct pyx_target *t = open_core(packed, NULL, &err);
		ok(t != NULL, "a %s-compressed core opens (%s)", formats[i], err.msg);
		unsigned char b[16];
		if (t) {
			is_int(t->nthreads, 2, "%s: its threads", formats[i]);
			is_int(pyx_memsrc_read(t->mem, CORE_DATA_BASE + 0x20, b, 16, &err), 0,
			       "%s: its memory", formats[i]);
			ok(b[0] == (0x20 ^ 0x5a), "%s: decompressed right", formats[i]);
			is_int(t->nwarnings, 0, "%s: no warning", formats[i]);
		}
		pyx_target_close(t);
		core_image_write_file(packed, z, zn - zn / 4);
		t = open_core(packed, NULL, &err);
		ok(t && has_warning(t, "compressed core is cut short"),
		   "%s cut short: read, with a warning", formats[i]);
		pyx_target_close(t);
		unlink(packed);
	}
	free(z);
	free(raw);
}

static void test_not_cores(void)
{
	struct pyx_error err;
	char text[160];
	snprintf(text, sizeof text, "%s/notes.txt", dir);
	core_image_write_file(text, "just some text\n", 15);
	ok(open_core(text, NULL, &err) == NULL && strstr(err.msg, "is not a core file"),
	   "a text file: %s", err.msg);
	ok(open_core(exe_path, NULL, &err) == NULL && strstr(err.msg, "program or library"),
	   "an executable: %s", err.msg);
	core_image_write_file(text, "", 0);
	ok(open_core(text, NULL, &err) == NULL && strstr(err.msg, "empty"), "empty: %s", err.msg);
	ok(open_core(dir, NULL, &err) == NULL && strstr(err.msg, "not a regular file"),
	   "a folder: %s", err.msg);
	ok(open_core("/nonexistent/core", NULL, &err) == NULL && err.code == PYX_E_NOT_FOUND,
	   "a missing file: %s", err.msg);
	unlink(text);
}

static void copy(const char *from, const char *to)
{
	size_t n;
	unsigned char *p = core_image_read_file(from, &n);
	core_image_write_file(to, p, n);
	free(p);
}

int main(void)
{
	char core[160], root_exe[160];
	snprintf(dir, sizeof dir, "/tmp/pyxray-test-core-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(exe_path, sizeof exe_path, "%s/exe", dir);
	snprintf(other_path, sizeof other_path, "%s/other", dir);
	snprintf(core, sizeof core, "%s/core", dir);
	copy("/proc/self/exe", exe_path);
	copy("/bin/true", other_path);
	snprintf(root_exe, sizeof root_exe, "%s/exe", dir); /* --sysroot DIR + "/exe" */
	test_kernel_core(core);
	test_gcore(core);
	test_cut(core);
	test_files(core);
	test_check_exe(core);
	test_compressed(core);
	test_not_cores();
	unlink(core);
	unlink(exe_path);
	unlink(other_path);
	rmdir(dir);
	return tap_done();
}
