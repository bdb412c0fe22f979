/* SPDX-License-Identifier: MIT */
/* The ELF reader's cost per file as locate.c pays it: open, look up the
 * names that find CPython, close. Built by bench/run-bench-elf against the
 * current reader (libelf) and a baseline one (the hand-written mmap
 * reader) running the same loop, and with -DLOCATE_PATTERN as locate.c
 * now looks them up. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "acquire/elf.h"

static const char *const names[] = {"_PyRuntime", "Py_Version", "_PyThreadState_Current",
				    "PyInterpreterState_Head", "interp_head"};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 200;
	for (int f = 2; f < argc; f++) {
		int found = 0;
		double best = 1e30;
		for (int round = 0; round < 5; round++) {
			double t0 = now_us();
			for (int r = 0; r < reps; r++) {
				struct pyx_elf *elf = NULL;
				uint64_t v;
				if (pyx_elf_open(argv[f], &elf, NULL) < 0)
					return 1;
				found = 0;
#ifdef LOCATE_PATTERN
				/* What locate.c does now: .dynsym in one pass, .symtab
				 * only when neither _PyRuntime nor 3.6's names are
				 * exported. */
				uint64_t vals[5];
				uint32_t m = pyx_elf_symbols(elf, names, 4, PYX_ELF_DYNSYM, vals);
				if (!(m & 5))
					m |= pyx_elf_symbols(elf, names, 4, PYX_ELF_SYMTAB, vals);
				/* 3.6: PyInterpreterState_Head's code (8 bytes) */
				if (!(m & 1) && (m & 4) && (m & 8) &&
				    pyx_elf_read_vaddr(elf, vals[3], &v, sizeof v, NULL) == 0)
					m |= 16;
				found = __builtin_popcount(m);
				(void)v;
#else
				/* One name at a time, each in .dynsym then .symtab,
				 * as locate.c did with the hand-written reader. */
				for (int k = 0; k < 5; k++)
					found += pyx_elf_symbol(elf, names[k], &v) == 0;
#endif
				pyx_elf_close(elf);
			}
			double per = (now_us() - t0) / reps;
			if (per < best)
				best = per;
		}
		printf("%s %.1f %d\n", argv[f], best, found);
	}
	return 0;
}
