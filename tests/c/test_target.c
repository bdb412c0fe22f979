/* SPDX-License-Identifier: MIT */
/* The target layer on this very process: /proc maps parsing, descendants,
 * version from file names and read-only data, and 3.6's interp_head from the
 * machine code of PyInterpreterState_Head. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acquire/elf.h"
#include "acquire/locate.h"
#include "acquire/proc.h"
#include "tap.h"

static void test_filenames(void)
{
	is_int(pyx_version_from_filename("/usr/lib/libpython3.9.so.1.0"), 0x03090000,
	       "libpython3.9.so.1.0");
	is_int(pyx_version_from_filename("/x/lib/libpython3.7m.so"), 0x03070000, "libpython3.7m.so");
	is_int(pyx_version_from_filename("/usr/bin/python3.13"), 0x030d0000, "python3.13");
	is_int(pyx_version_from_filename("/usr/bin/python2.7"), 0x02070000, "python2.7");
	is_int(pyx_version_from_filename("/usr/bin/python3"), 0, "python3 tells no minor");
	is_int(pyx_version_from_filename("/opt/app/server"), 0, "no python in the name");
	is_int(pyx_version_from_filename("/x/python3.999"), 0, "absurd minor refused");
}

static void test_interp_head_code(void)
{
	/* mov rax, [rip+0x100]; ret  at 0x1000 -> 0x1000 + 7 + 0x100 */
	const unsigned char good[8] = {0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00, 0xc3};
	is_int(pyx_interp_head_from_code(good, 0x1000), 0x1107, "rip-relative load decoded");
	const unsigned char back[8] = {0x48, 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff, 0xc3};
	is_int(pyx_interp_head_from_code(back, 0x1000), 0x1000 + 7 - 16, "negative displacement");
	const unsigned char other[8] = {0x55, 0x48, 0x89, 0xe5, 0x90, 0x90, 0x90, 0xc3};
	is_int(pyx_interp_head_from_code(other, 0x1000), 0, "other code is not guessed at");
}

static void test_maps_and_elf(void)
{
	struct pyx_arena *arena = pyx_arena_create();
	struct pyx_map *maps = NULL;
	size_t n = 0;
	struct pyx_error err;
	is_int(pyx_proc_maps(getpid(), arena, &maps, &n, &err), 0, "own maps read");
	const char *exe = pyx_proc_exe(getpid(), arena);
	int found = 0, sane = n > 0;
	uintptr_t here = (uintptr_t)&test_maps_and_elf;
	for (size_t i = 0; i < n; i++) {
		sane &= maps[i].start < maps[i].end && strlen(maps[i].perms) == 4;
		if (here >= maps[i].start && here < maps[i].end)
			found = maps[i].path && exe && !strcmp(maps[i].path, exe) &&
				maps[i].perms[2] == 'x';
	}
	ok(sane, "every mapping has a range and permissions (%zu)", n);
	ok(found, "this function lies in an executable mapping of our own binary");
	struct pyx_elf *elf = NULL;
	is_int(pyx_elf_open(exe, &elf, &err), 0, "own executable opens as ELF");
	uint64_t addr = 0;
	is_int(pyx_elf_symbol(elf, "_PyRuntime", &addr), -PYX_E_NOT_FOUND,
	       "no _PyRuntime in a test binary");
	is_int(pyx_version_from_rodata(elf), 0, "no python3.X in a test binary's rodata");
	pyx_elf_close(elf);
	is_int(pyx_elf_open("/nonexistent/file", &elf, &err), -PYX_E_NOT_FOUND, "missing file");
	is_int(pyx_elf_open("/proc/self/status", &elf, &err), -PYX_E_BAD_DATA, "not ELF");
	pyx_arena_destroy(arena);
}

static void test_descendants(void)
{
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	pid_t child = fork();
	if (child == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			char c;
			close(fds[1]);
			if (read(fds[0], &c, 1) < 0) /* until the test is done */
				_exit(1);
			_exit(0);
		}
		char c;
		close(fds[1]);
		if (read(fds[0], &c, 1) < 0)
			_exit(1);
		waitpid(grandchild, NULL, 0);
		_exit(0);
	}
	close(fds[0]);
	pid_t *pids = NULL;
	int *depth = NULL;
	size_t n = 0;
	int seen_child = 0, seen_grandchild = 0;
	struct pyx_error err;
	/* the grandchild may take a moment to exist: poll its appearance */
	for (int tries = 0; tries < 1000 && !seen_grandchild; tries++) {
		free(pids);
		free(depth);
		pids = NULL;
		depth = NULL;
		if (pyx_proc_descendants(getpid(), 0, &pids, &depth, &n, &err) < 0)
			break;
		seen_child = seen_grandchild = 0;
		for (size_t i = 0; i < n; i++) {
			seen_child |= pids[i] == child && depth[i] == 1;
			seen_grandchild |= pids[i] != child && depth[i] == 2;
		}
		if (!seen_grandchild)
			usleep(1000);
	}
	ok(seen_child, "child found at depth 1");
	ok(seen_grandchild, "grandchild found at depth 2");
	free(pids);
	free(depth);
	is_int(pyx_proc_descendants(getpid(), 1, &pids, &depth, &n, &err), 0, "depth-limited walk");
	int deeper = 0;
	for (size_t i = 0; i < n; i++)
		deeper |= depth[i] > 1;
	ok(!deeper, "--depth 1 keeps only children");
	free(pids);
	free(depth);
	close(fds[1]);
	waitpid(child, NULL, 0);
}

int main(void)
{
	test_filenames();
	test_interp_head_code();
	test_maps_and_elf();
	test_descendants();
	return tap_done();
}
