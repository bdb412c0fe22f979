/* SPDX-License-Identifier: MIT */
/* A host's reader as a target: GDB reading a core file or a remote target
 * supplies the memory (a callback), the interpreter's symbol addresses (its
 * minimal symbols, already relocated) and what it knows of the process.
 * The host keeps the target stopped, so there is nothing to stop here. */
#include <errno.h>
#include <string.h>

#include "locate.h"
#include "target.h"

static const struct pyx_target_ops reader_ops = {
	.kind = "reader",
};

int pyx_target_open_reader(pyx_memsrc_read_fn fn, void *ctx, const struct pyx_python_syms *syms,
			   const struct pyx_process_info *info, struct pyx_target **out,
			   struct pyx_error *err)
{
	struct pyx_target *t = pyx_target_new(&reader_ops);
	if (!t)
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	struct pyx_arena *a = t->arena;
	t->has_syms = 1;
	t->syms = *syms;
	if (syms->path)
		t->syms.path = pyx_arena_strdup(a, syms->path);
	if (info) {
		t->pid = info->pid;
		t->ppid = info->ppid;
		if (info->executable)
			t->exe = pyx_arena_strdup(a, info->executable);
		if (info->argc) {
			const char **argv = pyx_arena_calloc(a, info->argc + 1, sizeof *argv);
			for (size_t i = 0; argv && i < info->argc; i++)
				argv[i] = pyx_arena_strdup(a, info->argv[i] ? info->argv[i] : "");
			t->argv = argv;
			t->argc = argv ? info->argc : 0;
		}
		if (info->ntids) {
			t->threads = pyx_arena_calloc(a, info->ntids, sizeof *t->threads);
			for (size_t i = 0; t->threads && i < info->ntids; i++) {
				t->threads[i].tid = info->tids[i];
				t->threads[i].syscall = PYX_SYSCALL_UNKNOWN;
			}
			t->nthreads = t->threads ? info->ntids : 0;
		}
	}
	/* Before 3.11 (no Py_Version) the file names tell the version, as for
	 * live targets (locate.c). */
	if (!t->syms.version_hex && !t->syms.py_version && t->syms.path)
		t->syms.version_hex = pyx_version_from_filename(t->syms.path);
	if (!t->syms.version_hex && !t->syms.py_version && t->exe)
		t->syms.version_hex = pyx_version_from_filename(t->exe);
	int rc = pyx_memsrc_open_callback(fn, ctx, PYX_MEMSRC_CACHE, &t->mem, err);
	if (rc < 0) {
		pyx_target_close(t);
		return rc;
	}
	if (!t->syms.runtime && !t->syms.interp_head && t->syms.interp_head_fn) {
		unsigned char code[8];
		if (pyx_memsrc_read(t->mem, t->syms.interp_head_fn, code, sizeof code, NULL) == 0)
			t->syms.interp_head = pyx_interp_head_from_code(code, t->syms.interp_head_fn);
	}
	*out = t;
	return 0;
}
