/* SPDX-License-Identifier: MIT */
/* The whole snapshot walk over a random memory image: version detection
 * (3.13+: the image's _Py_DebugOffsets, validated), interpreters, threads,
 * frames, code objects, line tables, names, locals and name lookups, asyncio
 * tasks (with FLAG_TASKS), then the text, JSON and ps reports; also the stub's path (a snapshot in a
 * fixed buffer, written to a file descriptor). Input: a "PYXW" image. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pyxray/format.h>

#include "acquire/target.h"
#include "fuzz.h"
#include "snapshot/snapshot_priv.h"

enum {
	FLAG_LOCALS = 1,
	FLAG_IN_BUFFER = 2,
	FLAG_NAMES = 4,
	FLAG_LOOKUP = 8,
	FLAG_TASKS = 16,
};

static const struct pyx_target_ops image_ops = {.kind = "image"};
static unsigned char stub_buf[4 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_image img;
	struct pyx_error err;
	if (fuzz_image_parse(data, size, &img) < 0) {
		fuzz_image_close(&img);
		return 0;
	}
	int in_buffer = img.flags & FLAG_IN_BUFFER;
	struct pyx_snapshot *snap =
		in_buffer ? pyx_snapshot_new_in(stub_buf, sizeof stub_buf) : pyx_snapshot_new();
	struct pyx_target *t = snap ? pyx_target_new_in(pyx_snapshot_arena(snap), &image_ops) : NULL;
	if (!t)
		goto out;
	t->mem = img.src;
	t->mem_borrowed = 1;
	t->pid = 1;
	t->has_syms = 1;
	t->syms.runtime = img.runtime;
	t->syms.version_hex = 0x030000f0u | ((uint32_t)(img.minor % 16) << 16); /* final */
	struct pyx_snapshot_opts opts = {.flags = PYX_SNAP_NONBLOCKING, .max_frames = 64};
	if (!in_buffer && (img.flags & FLAG_LOCALS))
		opts.flags |= PYX_SNAP_LOCALS;
	if (!(img.flags & FLAG_NAMES))
		opts.flags |= PYX_SNAP_NO_THREAD_NAMES;
	if (!in_buffer && (img.flags & FLAG_LOOKUP))
		opts.flags |= PYX_SNAP_KEEP_SOURCE;
	if (!in_buffer && (img.flags & FLAG_TASKS))
		opts.flags |= PYX_SNAP_TASKS;
	if (pyx_snapshot_adopt(snap, t, &err) == 0)
		pyx_snapshot_read_target(snap, t, 0, &opts, &err);
	if (in_buffer) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		struct pyx_format_opts fo = {.flags = PYX_FMT_GROUP, .only_tid = -1};
		pyx_format_write(snap, PYX_REPORT_TEXT, &fo, fd, &err);
		pyx_format_write(snap, PYX_REPORT_JSON, &fo, fd, &err);
		close(fd);
		goto out;
	}
	for (int kind = PYX_REPORT_TEXT; kind <= PYX_REPORT_PS; kind++) {
		struct pyx_format_opts fo = {.flags = PYX_FMT_GROUP | PYX_FMT_LOCALS | PYX_FMT_ADDRS |
						      PYX_FMT_TASKS,
					     .only_tid = -1};
		char *s = NULL;
		if (pyx_format_alloc(snap, (enum pyx_report)kind, &fo, &s, NULL, &err) == 0) {
			if (getenv("PYXRAY_FUZZ_PRINT")) /* what a seed reaches, for humans */
				fputs(s, stderr);
			free(s);
		}
	}
	if (opts.flags & PYX_SNAP_KEEP_SOURCE) {
		const struct pyx_frame *f = pyx_snapshot_frame(snap, 0, 0, 0, 0);
		const char *scope, *repr;
		if (f)
			for (size_t i = 0; i < 3; i++)
				pyx_snapshot_lookup(snap, f, i == 0 ? "self" : i == 1 ? "x" : "len",
						    &scope, &repr, &err);
	}
out:
	pyx_snapshot_destroy(snap);
	fuzz_image_close(&img);
	return 0;
}
