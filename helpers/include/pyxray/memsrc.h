/* SPDX-License-Identifier: MIT */
/* Memory sources: where the decoder's bytes come from.
 *
 * A memory source reads byte ranges of a target address space, all or nothing.
 * Backends: a live process (process_vm_readv, falling back to /proc/PID/mem), a
 * byte image (tests), a host callback (GDB), the library's own process (stub).
 * The shared layer adds length bounds and an optional page cache. */
#ifndef PYXRAY_MEMSRC_H
#define PYXRAY_MEMSRC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Operations a backend provides. read() must fill all `len` bytes or fail with
 * -PYX_E_FAULT (or another code); bytes that are absent are a fault, never
 * zeros. close() releases ctx and may be NULL. */
struct pyx_memsrc_ops {
	const char *name;
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len, struct pyx_error *err);
	void (*close)(void *ctx);
};

struct pyx_memsrc;

enum pyx_memsrc_flags {
	PYX_MEMSRC_CACHE = 1u << 0, /* keep a page cache (slow sources, frozen targets) */
	PYX_MEMSRC_PREALLOC = 1u << 1, /* with CACHE: allocate every cache page at open, so
					  that reads never allocate (the stub) */
};

/* Largest single read the shared layer accepts; longer requests fail with
 * PYX_E_LIMIT. Protects against lengths taken from corrupt target data. */
enum { PYX_MEMSRC_MAX_READ = 64 * 1024 * 1024 };

/* Wraps backend ops. Takes ownership of ctx (ops->close is called by
 * pyx_memsrc_close). Returns 0 or -PYX_E_NOMEM; *out is set on success. */
int pyx_memsrc_open_ops(const struct pyx_memsrc_ops *ops, void *ctx, unsigned flags,
			struct pyx_memsrc **out, struct pyx_error *err);

/* Live process by pid. Fails with -PYX_E_NO_PROCESS if the pid does not
 * exist. Permission is checked lazily by the first read (-PYX_E_PERM). */
int pyx_memsrc_open_live(pid_t pid, unsigned flags, struct pyx_memsrc **out,
			 struct pyx_error *err);

/* A host's reader: fills len bytes at addr and returns 0, or returns
 * nonzero when any of them is unreadable. */
typedef int (*pyx_memsrc_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Memory read through a host callback (GDB for cores and remote targets). */
int pyx_memsrc_open_callback(pyx_memsrc_read_fn fn, void *ctx, unsigned flags,
			     struct pyx_memsrc **out, struct pyx_error *err);

/* A copy of `len` bytes mapped at `base` (used by unit tests). Several
 * regions may be added with pyx_memsrc_image_add. */
int pyx_memsrc_open_image(struct pyx_memsrc **out, struct pyx_error *err);
int pyx_memsrc_image_add(struct pyx_memsrc *src, uint64_t base, const void *bytes, size_t len,
			 struct pyx_error *err);

/* The calling process itself, through process_vm_readv on its own pid: a bad
 * address is an error (EFAULT), never a signal. Opened with
 * PYX_MEMSRC_PREALLOC (or without a cache), its reads are
 * async-signal-safe and allocation-free (tests/c/test_signal_safe.c). */
int pyx_memsrc_open_self(unsigned flags, struct pyx_memsrc **out, struct pyx_error *err);

/* Reads exactly len bytes at addr into buf. 0 or negative PYX_E_*. */
int pyx_memsrc_read(struct pyx_memsrc *src, uint64_t addr, void *buf, size_t len,
		    struct pyx_error *err);

/* Reads a 64-bit little-endian pointer-sized word. */
int pyx_memsrc_read_u64(struct pyx_memsrc *src, uint64_t addr, uint64_t *out,
			struct pyx_error *err);

/* Drops cached pages (call when the target may have run). */
void pyx_memsrc_invalidate(struct pyx_memsrc *src);

/* Counters for benchmarks: backend calls and bytes read. */
void pyx_memsrc_stats(const struct pyx_memsrc *src, uint64_t *reads, uint64_t *bytes);

/* Backend name ("live", "image", ...). */
const char *pyx_memsrc_name(const struct pyx_memsrc *src);

/* Releases everything. NULL allowed. */
void pyx_memsrc_close(struct pyx_memsrc *src);

#ifdef __cplusplus
}
#endif
#endif
