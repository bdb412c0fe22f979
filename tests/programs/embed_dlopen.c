/* SPDX-License-Identifier: MIT */
/* An application that loads libpython itself, with dlopen, long after it
 * started: a stub preloaded into it found no interpreter when it was armed
 * and must find this one from its signal handler (the loader's list in
 * memory). Runs SCRIPT as tests/programs/embed.c does, under one extra
 * "<module>" frame of "<string>", line 1.
 * Usage: embed_dlopen LIBPYTHON SCRIPT [ARG...]
 * Build: cc -o embed_dlopen embed_dlopen.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char script[] =
	"import os, sys; p = os.environ['PYXRAY_EMBED_SCRIPT']; "
	"sys.argv = [p] + os.environ['PYXRAY_EMBED_ARGS'].split(); "
	"exec(compile(open(p).read(), p, 'exec'), "
	"{'__name__': '__main__', '__file__': p, '__builtins__': __builtins__})\n";

int main(int argc, char **argv)
{
	char args[4096] = "";
	size_t used = 0;
	if (argc < 3) {
		fprintf(stderr, "usage: %s LIBPYTHON SCRIPT [ARG...]\n", argv[0]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		int n = snprintf(args + used, sizeof args - used, "%s%s", i > 3 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof args - used) {
			fprintf(stderr, "%s: arguments too long\n", argv[0]);
			return 2;
		}
		used += (size_t)n;
	}
	if (setenv("PYXRAY_EMBED_SCRIPT", argv[2], 1) != 0 ||
	    setenv("PYXRAY_EMBED_ARGS", args, 1) != 0) {
		perror("setenv");
		return 1;
	}
	/* RTLD_GLOBAL: the interpreter's C extension modules need its symbols. */
	void *py = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!py) {
		fprintf(stderr, "%s: %s\n", argv[0], dlerror());
		return 1;
	}
	void (*init)(void) = (void (*)(void))dlsym(py, "Py_Initialize");
	int (*run)(const char *) = (int (*)(const char *))dlsym(py, "PyRun_SimpleString");
	if (!init || !run) {
		fprintf(stderr, "%s: %s is not a libpython\n", argv[0], argv[1]);
		return 1;
	}
	init();
	return run(script) == 0 ? 0 : 1;
}
