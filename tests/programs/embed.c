/* SPDX-License-Identifier: MIT */
/* An application that embeds libpython: it runs threads_target.py (path in
 * argv[1]) through PyRun_SimpleString, so pyxray must find the interpreter in
 * a libpython mapped by an executable that is not python. The script's frames
 * sit under one extra "<module>" frame of "<string>", line 1.
 * Usage: embed SCRIPT [ARG...].
 * Build: cc embed.c $(python3.X-config --cflags --ldflags [--embed]). */
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>

/* One line, so the outermost Python frame is "<string>":1. */
static const char script[] =
	"import os, sys; p = os.environ['PYXRAY_EMBED_SCRIPT']; "
	"sys.argv = [p] + os.environ['PYXRAY_EMBED_ARGS'].split(); "
	"exec(compile(open(p).read(), p, 'exec'), "
	"{'__name__': '__main__', '__file__': p, '__builtins__': __builtins__})\n";

int main(int argc, char **argv)
{
	char args[4096] = "";
	size_t used = 0;
	int rc, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SCRIPT [ARG...]\n", argv[0]);
		return 2;
	}
	/* The script's arguments, space-separated (they hold no spaces). */
	for (i = 2; i < argc; i++) {
		int n = snprintf(args + used, sizeof(args) - used, "%s%s",
				 i > 2 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(args) - used) {
			fprintf(stderr, "%s: arguments too long\n", argv[0]);
			return 2;
		}
		used += (size_t)n;
	}
	/* Handing these over through the environment avoids quoting them
	 * into Python source and the wchar_t argv API that changed across
	 * versions. */
	if (setenv("PYXRAY_EMBED_SCRIPT", argv[1], 1) != 0 ||
	    setenv("PYXRAY_EMBED_ARGS", args, 1) != 0) {
		perror("setenv");
		return 1;
	}
	Py_Initialize();
	rc = PyRun_SimpleString(script);
	Py_Finalize();
	return rc == 0 ? 0 : 1;
}
