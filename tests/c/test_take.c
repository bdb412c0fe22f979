/* SPDX-License-Identifier: MIT */
/* The snapshot layer on synthetic runtimes: thread identities from the
 * target (a native id CPython recorded must be one of the target's threads:
 * a forked child's thread state is a copy of its parent's; otherwise the
 * thread's pthread_t is matched to a thread's TLS base), and thread states
 * from the target's view of each thread. */
#include <string.h>

#include <pyxray/snapshot.h>

#include "acquire/target.h"
#include "snapshot/snapshot_priv.h"
#include "tap.h"
#include "world.h"

static const struct pyx_target_ops image_ops = {.kind = "image"};

static const struct pyx_thread *by_thread_id(const struct pyx_process *p, uint64_t id)
{
	for (size_t i = 0; i < p->ninterps; i++)
		for (size_t j = 0; j < p->interps[i].nthreads; j++)
			if (p->interps[i].threads[j].thread_id == id)
				return &p->interps[i].threads[j];
	return NULL;
}

static void test_identities(int minor)
{
	struct world w;
	world_init(&w, minor);
	uint64_t interps[2], tstates[3], gil;
	uint64_t rt = world_runtime(&w, interps, tstates, &gil);
	struct pyx_memsrc *src = timg_memsrc(&w.img);
	struct pyx_snapshot *snap = pyx_snapshot_new();
	struct pyx_target *t = pyx_target_new_in(pyx_snapshot_arena(snap), &image_ops);
	struct pyx_error err;
	t->mem = src;
	t->mem_borrowed = 1;
	t->pid = 777;
	t->has_syms = 1;
	t->syms.runtime = rt;
	t->syms.version_hex = w.L.version_hex;
	/* The process's threads: 501 (blocked in futex), and 777 whose TLS
	 * base is thread 0x1000's pthread_t while its thread state still says
	 * 500 (its parent's id, copied at fork). 502 is not a thread of ours. */
	t->threads = pyx_arena_calloc(pyx_snapshot_arena(snap), 2, sizeof *t->threads);
	t->nthreads = 2;
	t->threads[0] = (struct pyx_target_thread){.tid = 501, .state = 'S', .syscall = 202};
	t->threads[1] = (struct pyx_target_thread){
		.tid = 777, .state = 'R', .syscall = PYX_SYSCALL_NONE, .fs_base = 0x1000};
	struct pyx_snapshot_opts opts = {.flags = PYX_SNAP_NONBLOCKING | PYX_SNAP_NO_THREAD_NAMES};
	is_int(pyx_snapshot_adopt(snap, t, &err), 0, "3.%d: adopted", minor);
	is_int(pyx_snapshot_read_target(snap, t, 0, &opts, &err), 0, "3.%d: read", minor);
	const struct pyx_process *p = &snap->procs[0];
	const struct pyx_thread *a = by_thread_id(p, 0x1000), *b = by_thread_id(p, 0x1001),
				*c = by_thread_id(p, 0x1002);
	ok(a && b && c, "3.%d: three threads", minor);
	if (a && b && c) {
		is_int(a->tid, 777, "3.%d: a stale native id is replaced by the fs_base match", minor);
		if (PYX_HAS(w.L.off.thread_state.native_thread_id))
			is_int(b->tid, 501, "3.%d: a native id of ours is kept", minor);
		is_int(c->tid, -1, "3.%d: no thread of ours: unknown, never another's", minor);
		ok(a->state == PYX_THREAD_RUNNING && !a->syscall_name, "3.%d: running", minor);
		if (b->tid == 501)
			ok(b->state == PYX_THREAD_IDLE && b->syscall_name &&
				   !strcmp(b->syscall_name, "futex"),
			   "3.%d: idle in futex", minor);
		is_int(c->state, PYX_THREAD_UNKNOWN, "3.%d: unknown thread, unknown state", minor);
		ok(b->holds_gil && !a->holds_gil, "3.%d: GIL holder", minor);
	}
	pyx_snapshot_destroy(snap);
	pyx_memsrc_close(src);
	timg_free(&w.img);
}

int main(void)
{
	for (int minor = 7; minor <= 15; minor++)
		test_identities(minor);
	return tap_done();
}
