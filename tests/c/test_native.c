/* SPDX-License-Identifier: MIT */
/* Native and Python frames interleaved (snapshot/native.c) on synthetic
 * stacks, and the search for separate debug files (unwind/debuginfo.c) in
 * a scratch folder. Stacks are written innermost first as words: native
 * frames by name, "E" for an evaluation frame, Python frames "p..." with a
 * trailing '*' on entry frames; a merged stack prints the same way with
 * "|" where frames were left out. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <libelf.h>

#include "acquire/proc.h"
#include "snapshot/native.h"
#include "tap.h"
#include "unwind/unwind.h"

static struct pyx_arena *arena;

static char *words(const char *s, size_t *n)
{
	char *copy = pyx_arena_strdup(arena, s);
	*n = 0;
	for (char *p = strtok(copy, " "); p; p = strtok(NULL, " "))
		(*n)++;
	return pyx_arena_strdup(arena, s);
}

/* Python frames from "p0 p1* ...": inner part, then with `omitted` frames
 * left out at `at`. */
static void python(struct pyx_thread *th, const char *s, size_t omitted, size_t at)
{
	size_t n;
	char *w = words(s, &n);
	memset(th, 0, sizeof *th);
	th->frames = pyx_arena_calloc(arena, n + 1, sizeof *th->frames);
	for (char *p = strtok(w, " "); p; p = strtok(NULL, " ")) {
		struct pyx_frame *f = &th->frames[th->nframes++];
		size_t len = strlen(p);
		f->is_entry = p[len - 1] == '*';
		f->qualname = f->function = pyx_arena_strndup(arena, p, len - (size_t)f->is_entry);
	}
	th->omitted = omitted;
	th->omitted_at = omitted ? at : th->nframes;
}

static void native(struct pyx_native_stack *ns, const char *s, int complete)
{
	size_t n;
	char *w = words(s, &n);
	memset(ns, 0, sizeof *ns);
	ns->frames = pyx_arena_calloc(arena, n + 1, sizeof *ns->frames);
	for (char *p = strtok(w, " "); p; p = strtok(NULL, " ")) {
		struct pyx_native_frame *f = &ns->frames[ns->n];
		f->pc = 0x1000 + ns->n++;
		f->is_eval = !strcmp(p, "E");
		f->symbol = pyx_arena_strdup(arena, p);
	}
	ns->complete = complete;
	ns->error_msg = complete ? NULL : "cut";
	ns->error = complete ? 0 : PYX_E_BAD_DATA;
}

static const char *show(const struct pyx_thread *th)
{
	static char buf[4096];
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i <= th->nframes; i++) {
		if (th->omitted && i == th->omitted_at)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s|", len ? " " : "");
		if (i == th->nframes)
			break;
		const struct pyx_frame *f = &th->frames[i];
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "",
					f->function ? f->function : "?");
		if (f->kind == PYX_FRAME_PYTHON && f->is_entry)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "*");
	}
	return buf;
}

static const char *merged(const char *nat, int complete, const char *py, int per_eval, int keep)
{
	struct pyx_thread th;
	struct pyx_native_stack ns;
	struct pyx_merge_opts o = {.frame_per_eval = per_eval, .keep_eval = keep};
	python(&th, py, 0, 0);
	native(&ns, nat, complete);
	if (pyx_native_merge(&th, &th, &ns, &o, arena) < 0)
		return "NOMEM";
	return show(&th);
}

static void test_one_per_eval(void)
{
	is_str(merged("a E b E c", 1, "p0 p1", 1, 0), "a p0 b p1 c",
	       "before 3.11: each evaluation frame runs one Python frame");
	is_str(merged("a E b E c", 1, "p0 p1", 1, 1), "a p0 E b p1 E c",
	       "--native-all keeps the evaluation frames under their Python frames");
	is_str(merged("a E b E c", 0, "p0 p1", 1, 0), "a p0 b p1 c",
	       "an incomplete stack pairs from the innermost end");
}

static void test_runs(void)
{
	is_str(merged("a E b E c", 1, "p0 p1* p2 p3*", 0, 0), "a p0 p1* b p2 p3* c",
	       "3.11+: one evaluation call runs the frames down to its entry frame");
	is_str(merged("a E b", 1, "p0 p1 p2 p3*", 0, 0), "a p0 p1 p2 p3* b",
	       "3.11+: one call, four frames");
}

static void test_mismatch(void)
{
	struct pyx_thread th;
	struct pyx_native_stack ns;
	struct pyx_merge_opts o = {.frame_per_eval = 0};
	is_str(merged("a E b E c", 1, "p0* p1* p2*", 0, 0), "a p0* p1* b p2* c",
	       "complete: paired from the outermost end; an extra innermost run stays above");
	is_str(merged("a E b E c E d", 1, "p0* p1*", 0, 1), "a E b p0* E c p1* E d",
	       "complete: an evaluation frame with no run (just entered) stays native...");
	is_str(merged("a E b E c E d", 1, "p0* p1*", 0, 0), "a b p0* c p1* d",
	       "... shown, as the interpreter's own frames are, with --native-all only");
	is_str(merged("a E b", 0, "p0* p1* p2*", 0, 0), "a p0* b p1* p2*",
	       "incomplete: runs past the cut follow the native frames");
	python(&th, "p0 p1", 0, 0);
	native(&ns, "a b c", 1);
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "merge without evaluation frames");
	is_str(show(&th), "a b c p0 p1",
	       "no evaluation frame: Python frames after the native ones");
	ok(th.native_error && strstr(th.native_error, "no interpreter frame"),
	   "and the thread says why");
	python(&th, "p0 p1", 0, 0);
	native(&ns, "a E", 0);
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0 && th.native_error &&
	       !strcmp(th.native_error, "cut"),
	   "an early end of the native stack is the thread's native error");
	python(&th, "p0 p1", 0, 0);
	native(&ns, "", 0);
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0 && th.nframes == 2 && th.native,
	   "no native frames: the Python frames as they were");
}

static void test_deep(void)
{
	struct pyx_thread th;
	struct pyx_native_stack ns;
	struct pyx_merge_opts o = {.frame_per_eval = 1};
	/* 14 Python frames, 10 left out between p1 and p12. */
	char nat[1024] = "a";
	for (int k = 0; k < 14; k++)
		snprintf(nat + strlen(nat), sizeof nat - strlen(nat), " E s%d", k);
	strcat(nat, " d");
	python(&th, "p0 p1 p12 p13", 10, 2);
	native(&ns, nat, 1);
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "deep: merged");
	is_str(show(&th), "a p0 s0 p1 | p12 s12 p13 s13 d",
	       "deep: each end paired on its own, the middle left out");
	is_int(th.omitted, 10 + 11,
	       "deep: native frames between the ends are counted as left out (not evaluations)");

	o.frame_per_eval = 0;
	python(&th, "p0 p1 q0 q1*", 100, 2);
	native(&ns, "a E b", 1);
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "deep 3.11+: merged");
	is_str(show(&th), "a p0 p1 | q0 q1* b", "deep 3.11+: one evaluation call holds both ends");
	is_int(th.omitted, 100, "deep 3.11+: nothing native left out");

	python(&th, "p0* p1 q0 q1*", 100, 2);
	native(&ns, "a E b E c E d", 1);
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "deep 3.11+, several calls: merged");
	is_str(show(&th), "a p0* b p1 | q0 q1* d",
	       "deep 3.11+: the native frames of the left-out calls are left out");
	is_int(th.omitted, 101, "deep 3.11+: one native frame left out with them");

	python(&th, "p0 p1 p12 p13", 10, 2);
	native(&ns, "a E s0 E s1", 0);
	o.frame_per_eval = 1;
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "deep, cut native stack: merged");
	is_str(show(&th), "a p0 s0 p1 s1 | p12 p13",
	       "deep, cut native stack: the outer end follows the native frames");
}

static void test_interpreters(void)
{
	/* One OS thread: a sub-interpreter's frame s0 runs above main's m0, m1. */
	struct pyx_thread all, sub, main_th;
	struct pyx_native_stack ns;
	static const int owner[] = {0, 1, 1};
	struct pyx_merge_opts o = {.owner = owner};
	python(&all, "s0* m0* m1*", 0, 0);
	native(&ns, "a E b E c E d", 1);
	memset(&sub, 0, sizeof sub);
	memset(&main_th, 0, sizeof main_th);
	o.self = 0;
	ok(pyx_native_merge(&sub, &all, &ns, &o, arena) == 0, "sub-interpreter copy merged");
	is_str(show(&sub), "a s0* b E c E d",
	       "its copy shows its frames; main's calls stay native");
	o.self = 1;
	ok(pyx_native_merge(&main_th, &all, &ns, &o, arena) == 0, "main copy merged");
	is_str(show(&main_th), "a E b m0* c m1* d", "and main's copy the other way round");
}

static void test_machinery(void)
{
	static const char *const lib = "/usr/lib/libpython3.11.so.1.0";
	static const struct {
		const char *symbol, *module;
		int machinery;
	} cases[] = {
	    {"_PyObject_MakeTpCall", "/usr/lib/libpython3.11.so.1.0", 1},
	    {"method_vectorcall.lto_priv.0", "/usr/lib/libpython3.11.so.1.0", 1},
	    {"cfunction_vectorcall_O", "/usr/lib/libpython3.11.so.1.0", 1},
	    {"call_function", "/usr/lib/libpython3.11.so.1.0", 1},
	    {"PyObject_Call", "/usr/lib/libpython3.11.so.1.0", 1},
	    {"_PyEval_EvalFrameDefault", "/usr/lib/libpython3.11.so.1.0", 1},
	    {"time_sleep", "/usr/lib/libpython3.11.so.1.0", 0},
	    {"thread_run", "/usr/lib/libpython3.11.so.1.0", 0},
	    {"my_vectorcall", "/srv/ext.so", 0},
	    {NULL, "/usr/lib/libpython3.11.so.1.0", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct pyx_native_frame f = {.symbol = cases[i].symbol, .module = cases[i].module};
		is_int(pyx_native_is_machinery(&f, lib), cases[i].machinery,
		       "%s in %s is%s the interpreter's call machinery",
		       cases[i].symbol ? cases[i].symbol : "(no symbol)", cases[i].module,
		       cases[i].machinery ? "" : " not");
	}
	/* Left out between Python frames with --native, kept with --native-all. */
	struct pyx_thread th;
	struct pyx_native_stack ns;
	struct pyx_merge_opts o = {.interp_path = lib};
	python(&th, "p0* p1*", 0, 0);
	native(&ns, "sleep time_sleep _PyObject_MakeTpCall E _PyEval_Vector E main", 1);
	for (size_t i = 0; i < ns.n; i++)
		ns.frames[i].module = i == 0 ? "/lib/libc.so.6" : lib;
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "merged with the machinery");
	is_str(show(&th), "sleep time_sleep p0* p1* main",
	       "--native: the interpreter's call machinery is left out");
	python(&th, "p0* p1*", 0, 0);
	o.keep_eval = 1;
	ok(pyx_native_merge(&th, &th, &ns, &o, arena) == 0, "merged again");
	is_str(show(&th), "sleep time_sleep _PyObject_MakeTpCall p0* E _PyEval_Vector p1* E main",
	       "--native-all: every frame");
	ok(th.frames[2].interp_internal && th.frames[4].interp_internal &&
	       !th.frames[1].interp_internal && !th.frames[0].interp_internal,
	   "and the interpreter's own frames are marked");
}

/* ---- bounds on corrupt stacks ---- */

static const struct pyx_target_ops fake_ops = {.kind = "image"};

/* A target with this process's mapped objects (for libdwfl's architecture
 * and modules), one thread whose pc lies outside them all (so libdwfl
 * falls back to the frame pointer) and a made-up stack at 0x10000000. */
static struct pyx_target *fake_target(const uint64_t *stack, size_t words, uint64_t rip,
				      uint64_t rbp)
{
	struct pyx_target *t = pyx_target_new(&fake_ops);
	struct pyx_error err;
	pyx_proc_maps(getpid(), t->arena, &t->maps, &t->nmaps, &err);
	pyx_memsrc_open_image(&t->mem, &err);
	pyx_memsrc_image_add(t->mem, 0x10000000, stack, words * 8, &err);
	t->pid = getpid();
	t->threads = pyx_arena_calloc(t->arena, 1, sizeof *t->threads);
	t->nthreads = 1;
	t->threads[0].tid = 4242;
	t->threads[0].has_regs = 1;
	t->threads[0].regs.rip = rip;
	t->threads[0].regs.rsp = 0x10000000;
	t->threads[0].regs.rbp = rbp;
	return t;
}

static void test_corrupt_stacks(void)
{
	enum { WORDS = 8192 };
	static uint64_t stack[WORDS];
	struct pyx_unwinder *u;
	struct pyx_native_stack ns;
	struct pyx_error err;
	/* A frame-pointer chain that climbs forever, every frame new. */
	for (size_t i = 0; i + 1 < WORDS; i += 2) {
		stack[i] = 0x10000000 + (i + 2) * 8; /* saved rbp: the next pair */
		stack[i + 1] = 0x2000 + i;	     /* return address */
	}
	struct pyx_target *t = fake_target(stack, WORDS, 0x1000, 0x10000000);
	struct pyx_unwind_opts o = {.max_frames = 100};
	ok(pyx_unwind_open(t, &o, &u, &err) == 0, "unwinder over a made-up stack");
	ok(pyx_unwind_capture(u, &err) == 0, "capture");
	ok(pyx_unwind_thread(u, 4242, arena, &ns, &err) == 0, "a climbing chain is walked");
	is_int(ns.n, 100, "and cut at max_frames");
	ok(!ns.complete && ns.error == PYX_E_LIMIT && ns.error_msg && strstr(ns.error_msg, "limit"),
	   "the cut says why: %s", ns.error_msg ? ns.error_msg : "(none)");
	ok(pyx_unwind_thread(u, 999, arena, &ns, &err) == 0 && !ns.n && ns.error,
	   "a thread without registers has an empty stack and a reason");
	pyx_unwind_close(u);
	/* The same chain against a deadline that has passed at once. */
	struct pyx_unwind_opts late = {.max_frames = 1000000, .thread_us = 1};
	ok(pyx_unwind_open(t, &late, &u, &err) == 0 && pyx_unwind_capture(u, &err) == 0,
	   "unwinder with a 1 us deadline");
	ok(pyx_unwind_thread(u, 4242, arena, &ns, &err) == 0 && ns.n < WORDS / 2 &&
	       ns.error == PYX_E_LIMIT && strstr(ns.error_msg, "time limit"),
	   "the deadline cuts the walk: %zu frames, %s", ns.n,
	   ns.error_msg ? ns.error_msg : "(none)");
	pyx_unwind_close(u);
	pyx_target_close(t);

	/* At the edge: a chain of exactly max_frames frames is not cut by the
	 * limit (it ends where its frame pointers end). */
	for (size_t i = 0; i + 1 < WORDS; i += 2) {
		stack[i] = 0x10000000 + (i + 2) * 8;
		stack[i + 1] = 0x2000 + i;
	}
	stack[2 * 98] = 0; /* frame 100 (the registers', then 99 pairs) has rbp 0 */
	t = fake_target(stack, WORDS, 0x1000, 0x10000000);
	ok(pyx_unwind_open(t, &o, &u, &err) == 0 && pyx_unwind_capture(u, &err) == 0,
	   "unwinder over a chain of 100 frames");
	ok(pyx_unwind_thread(u, 4242, arena, &ns, &err) == 0 && ns.n == 100 &&
		   ns.error != PYX_E_LIMIT,
	   "100 frames with max_frames 100: all kept, not cut by the limit (%zu, %s)", ns.n,
	   ns.error_msg ? ns.error_msg : "(none)");
	pyx_unwind_close(u);
	pyx_target_close(t);
	stack[2 * 98] = 0x10000000 + (2 * 98 + 2) * 8; /* one frame more: 101 */
	stack[2 * 99] = 0;
	t = fake_target(stack, WORDS, 0x1000, 0x10000000);
	ok(pyx_unwind_open(t, &o, &u, &err) == 0 && pyx_unwind_capture(u, &err) == 0 &&
		   pyx_unwind_thread(u, 4242, arena, &ns, &err) == 0 && ns.n == 100 &&
		   ns.error == PYX_E_LIMIT,
	   "101 frames with max_frames 100: cut at 100, and said so");
	pyx_unwind_close(u);
	pyx_target_close(t);

	/* A saved frame pointer that points at itself. */
	stack[0] = 0x10000000;
	stack[1] = 0x3000;
	t = fake_target(stack, WORDS, 0x1000, 0x10000000);
	ok(pyx_unwind_open(t, &o, &u, &err) == 0 && pyx_unwind_capture(u, &err) == 0,
	   "unwinder over a looping stack");
	ok(pyx_unwind_thread(u, 4242, arena, &ns, &err) == 0, "a loop is walked");
	ok(ns.n < 100 && !ns.complete && ns.error_msg, "and ends at once: %zu frames, %s", ns.n,
	   ns.error_msg ? ns.error_msg : "(none)");
	pyx_unwind_close(u);
	pyx_target_close(t);

	/* A core's mapped files (NT_FILE) carry no permissions: every file
	 * may then hold code, and is reported. */
	t = fake_target(stack, WORDS, 0x1000, 0x10000000);
	for (size_t i = 0; i < t->nmaps; i++)
		memcpy(t->maps[i].perms, "r--p", 5);
	ok(pyx_unwind_open(t, &o, &u, &err) == 0,
	   "mapped files without permissions are still reported: %s", err.msg);
	pyx_unwind_close(u);
	pyx_target_close(t);

	/* Unreadable memory where the stack should be. */
	t = fake_target(stack, 1, 0x1000, 0x20000000);
	ok(pyx_unwind_open(t, &o, &u, &err) == 0 && pyx_unwind_capture(u, &err) == 0,
	   "unwinder over an unreadable stack");
	ok(pyx_unwind_thread(u, 4242, arena, &ns, &err) == 0 && ns.n == 1 && !ns.complete &&
	       ns.error_msg,
	   "one frame, then why it stops: %s", ns.error_msg ? ns.error_msg : "(none)");
	pyx_unwind_close(u);
	pyx_target_close(t);
}

/* ---- separate debug files ---- */

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;
	int rc = in >= 0 && out >= 0 ? 0 : -1;
	while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static void test_debug_files(void)
{
	char dir[] = "/tmp/pyxray-debugdir-XXXXXX", path[512], hex[129];
	unsigned char id[64];
	const void *bits;
	elf_version(EV_CURRENT);
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	ssize_t len = elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;
	if (len <= 0 || len > (ssize_t)sizeof id) {
		ok(1, "# SKIP this test program has no build-id");
		return;
	}
	memcpy(id, bits, (size_t)len);
	elf_end(elf);
	close(fd);
	for (ssize_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	ok(mkdtemp(dir) != NULL, "scratch folder");
	char *found = NULL;
	is_int(pyx_debug_file_find(dir, id, (size_t)len, "/usr/bin/x", NULL, &found), -1,
	       "an empty folder has no debug file");
	snprintf(path, sizeof path, "%s/.build-id", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/.build-id/%.2s", dir, hex);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
	ok(copy_file("/proc/self/exe", path) == 0, "a file with our build-id under .build-id");
	fd = pyx_debug_file_find("/nonexistent::", id, (size_t)len, "/usr/bin/x", NULL, &found);
	ok(fd < 0, "other folders do not have it");
	char dirs[600];
	snprintf(dirs, sizeof dirs, "/nonexistent:%s", dir);
	fd = pyx_debug_file_find(dirs, id, (size_t)len, "/usr/bin/x", NULL, &found);
	ok(fd >= 0 && found && !strcmp(found, path), "found by build-id in the second folder");
	if (fd >= 0)
		close(fd);
	free(found);
	found = NULL;
	id[0] ^= 1;
	fd = pyx_debug_file_find(dir, id, (size_t)len, "/usr/bin/x", NULL, &found);
	ok(fd < 0, "a build-id that differs finds nothing");
	id[0] ^= 1;
	unlink(path);
	/* By debuglink: DIR/<object's folder>/<link>, with the object's build-id;
	 * never beside the object (a folder the target may own). */
	snprintf(path, sizeof path, "%s/obj", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/obj/prog.debug", dir);
	ok(copy_file("/proc/self/exe", path) == 0, "a debuglink target beside the object");
	char object[600], under[700];
	snprintf(object, sizeof object, "%s/obj/prog", dir);
	fd = pyx_debug_file_find("", id, (size_t)len, object, "prog.debug", &found);
	ok(fd < 0, "a debug file beside the object is not read");
	/* "/" as the debug folder: DIR + the object's folder is that folder. */
	fd = pyx_debug_file_find("/", id, (size_t)len, object, "prog.debug", &found);
	snprintf(under, sizeof under, "/%s", path);
	ok(fd >= 0 && found && (!strcmp(found, path) || !strcmp(found, under)),
	   "found by debuglink under a debug folder: %s", found ? found : "(none)");
	if (fd >= 0)
		close(fd);
	free(found);
	found = NULL;
	id[1] ^= 1;
	fd = pyx_debug_file_find("/nonexistent:/", id, (size_t)len, object, "prog.debug", &found);
	ok(fd < 0, "a debuglink file of another build is refused");
	id[1] ^= 1;
	fd = pyx_debug_file_find("/", id, (size_t)len, object, "../obj/prog.debug", &found);
	ok(fd < 0, "a debuglink with a folder in it is refused");
	unlink(path);
	snprintf(path, sizeof path, "%s/obj", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/.build-id/%.2s", dir, hex);
	rmdir(path);
	snprintf(path, sizeof path, "%s/.build-id", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	arena = pyx_arena_create();
	test_one_per_eval();
	test_runs();
	test_mismatch();
	test_deep();
	test_interpreters();
	test_machinery();
	test_corrupt_stacks();
	test_debug_files();
	pyx_arena_destroy(arena);
	return tap_done();
}
