/* SPDX-License-Identifier: MIT */
/* A core file as a memory source. The core's PT_LOAD segments hold what the
 * kernel (or GDB's gcore) wrote; what they leave out of a file-backed
 * mapping (code and read-only data, unchanged since they were mapped) is
 * read from the mapped file, found through NT_FILE. Everything is read with
 * pread: neither the core nor a library is mapped, so a file that shrinks
 * while we read is an error, not a SIGBUS. Absent bytes are a fault, never
 * zeros. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "memsrc_impl.h"

enum { PAGE = 4096 };

struct file {
	char *path; /* NULL: cannot be used */
	char *name; /* as the core names it */
	int fd;	    /* -1 until opened, -2 when opening failed */
	uint64_t size;
};

struct core {
	int fd;
	uint64_t size;
	struct pyx_core_seg *segs; /* sorted by vaddr */
	size_t nsegs;
	struct pyx_core_fmap *fmaps; /* sorted by start */
	size_t nfmaps;
	struct file *files;
	size_t nfiles;
};

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The last segment starting at or below addr, or NULL. */
static const struct pyx_core_seg *seg_at(const struct core *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->segs[mid].vaddr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->segs[lo - 1] : NULL;
}

/* Start of the first segment above addr holding core bytes, or UINT64_MAX. */
static uint64_t next_dumped(const struct core *c, const struct pyx_core_seg *from, uint64_t addr)
{
	size_t i = from ? (size_t)(from - c->segs) + 1 : 0;
	for (; i < c->nsegs; i++)
		if (c->segs[i].vaddr > addr && c->segs[i].filesz)
			return c->segs[i].vaddr;
	return UINT64_MAX;
}

static const struct pyx_core_fmap *fmap_at(const struct core *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nfmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->fmaps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= c->fmaps[lo - 1].end)
		return NULL;
	return &c->fmaps[lo - 1];
}

static int open_file(struct file *f)
{
	struct stat st;
	if (f->fd >= 0 || f->fd == -2)
		return f->fd;
	f->fd = -2;
	if (!f->path)
		return -2;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -2;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -2;
	}
	f->size = (uint64_t)st.st_size;
	f->fd = fd;
	return fd;
}

/* Bytes [addr, addr + n) from a mapped file. Past the file's end, a mapping
 * reads zeros up to the end of that page (what the process saw), and
 * raises SIGBUS beyond: that part is a fault. */
static int read_mapped(struct core *c, const struct pyx_core_fmap *m, uint64_t addr,
		       unsigned char *dst, size_t n, struct pyx_error *err)
{
	struct file *f = &c->files[m->file];
	uint64_t off = m->offset + (addr - m->start);
	if (open_file(f) < 0)
		return pyx_error_set(err, PYX_E_FAULT, 0, addr,
				     "%zu bytes at 0x%llx are not in the core, and %s, whose "
				     "mapping holds them, %s",
				     n, (unsigned long long)addr, f->name,
				     f->path ? "cannot be opened here"
					     : "is not usable (see the warnings)");
	uint64_t readable = off < f->size ? f->size - off : 0;
	uint64_t zeros_to = (f->size + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	if (off + n > zeros_to)
		return pyx_error_set(err, PYX_E_FAULT, 0, addr,
				     "%zu bytes at 0x%llx lie past the end of %s", n,
				     (unsigned long long)addr, f->name);
	size_t from_file = readable < n ? (size_t)readable : n;
	if (from_file && read_full(f->fd, dst, from_file, off) < 0)
		return pyx_error_set(err, PYX_E_FAULT, errno, addr,
				     "reading %zu bytes of %s for 0x%llx failed", from_file,
				     f->name, (unsigned long long)addr);
	memset(dst + from_file, 0, n - from_file);
	return 0;
}

static int core_read_any(struct core *c, uint64_t addr, void *buf, size_t len, int dumped_only,
			 struct pyx_error *err)
{
	unsigned char *dst = buf;
	while (len) {
		const struct pyx_core_seg *s = seg_at(c, addr);
		size_t n;
		if (s && addr - s->vaddr < s->filesz) {
			uint64_t rel = addr - s->vaddr;
			n = s->filesz - rel < len ? (size_t)(s->filesz - rel) : len;
			uint64_t off = s->offset + rel;
			if (off >= c->size || n > c->size - off)
				return pyx_error_set(
				    err, PYX_E_FAULT, 0, addr,
				    "%zu bytes at 0x%llx are missing: the core is cut "
				    "short (it ends at %llu bytes, they were at %llu)",
				    len, (unsigned long long)addr, (unsigned long long)c->size,
				    (unsigned long long)off);
			if (read_full(c->fd, dst, n, off) < 0)
				return pyx_error_set(err, PYX_E_FAULT, errno, addr,
						     "reading %zu bytes of the core at %llu failed",
						     n, (unsigned long long)off);
		} else {
			const struct pyx_core_fmap *m = dumped_only ? NULL : fmap_at(c, addr);
			if (!m)
				return pyx_error_set(err, PYX_E_FAULT, 0, addr,
						     "%zu bytes at 0x%llx are not in the core", len,
						     (unsigned long long)addr);
			uint64_t end = m->end;
			uint64_t next = next_dumped(c, s, addr);
			if (next < end)
				end = next;
			n = end - addr < len ? (size_t)(end - addr) : len;
			int rc = read_mapped(c, m, addr, dst, n, err);
			if (rc < 0)
				return rc;
		}
		dst += n;
		addr += n;
		len -= n;
	}
	return 0;
}

static int core_read(void *ctx, uint64_t addr, void *buf, size_t len, struct pyx_error *err)
{
	return core_read_any(ctx, addr, buf, len, 0, err);
}

static void core_close(void *ctx)
{
	struct core *c = ctx;
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = 0; i < c->nfiles; i++) {
		if (c->files[i].fd >= 0)
			close(c->files[i].fd);
		free(c->files[i].path);
		free(c->files[i].name);
	}
	free(c->segs);
	free(c->fmaps);
	free(c->files);
	free(c);
}

static const struct pyx_memsrc_ops core_ops = {
    .name = "core",
    .read = core_read,
    .close = core_close,
};

static int by_vaddr(const void *a, const void *b)
{
	const struct pyx_core_seg *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int by_start(const void *a, const void *b)
{
	const struct pyx_core_fmap *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static char *dup_or_null(const char *s, int *failed)
{
	char *d = s ? strdup(s) : NULL;
	*failed |= s && !d;
	return d;
}

int pyx_memsrc_open_core(const struct pyx_core_layout *l, unsigned flags, struct pyx_memsrc **out,
			 struct pyx_error *err)
{
	struct core *c = calloc(1, sizeof *c);
	int failed = !c;
	if (c) {
		c->fd = l->fd;
		c->size = l->size;
		c->segs = malloc((l->nsegs + 1) * sizeof *c->segs);
		c->fmaps = malloc((l->nfmaps + 1) * sizeof *c->fmaps);
		c->files = calloc(l->nfiles + 1, sizeof *c->files);
		failed = !c->segs || !c->fmaps || !c->files;
	}
	for (size_t i = 0; !failed && i < l->nfiles; i++) {
		c->files[i].fd = -1;
		c->files[i].path = dup_or_null(l->files[i], &failed);
		c->files[i].name =
		    dup_or_null(l->names[i] ? l->names[i] : "a mapped file", &failed);
		c->nfiles = i + 1;
	}
	if (failed) {
		if (c)
			core_close(c);
		else
			close(l->fd);
		return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
	}
	memcpy(c->segs, l->segs, l->nsegs * sizeof *c->segs);
	c->nsegs = l->nsegs;
	qsort(c->segs, c->nsegs, sizeof *c->segs, by_vaddr);
	size_t k = 0;
	for (size_t i = 0; i < l->nfmaps; i++)
		if (l->fmaps[i].file < l->nfiles && l->fmaps[i].start < l->fmaps[i].end)
			c->fmaps[k++] = l->fmaps[i];
	c->nfmaps = k;
	qsort(c->fmaps, c->nfmaps, sizeof *c->fmaps, by_start);
	return pyx_memsrc_open_ops(&core_ops, c, flags, out, err);
}

void pyx_memsrc_core_set_file(struct pyx_memsrc *src, size_t index, const char *path)
{
	struct core *c = pyx_memsrc_ctx_if(src, &core_ops);
	if (!c || index >= c->nfiles)
		return;
	struct file *f = &c->files[index];
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	f->fd = -1;
	f->path = path ? strdup(path) : NULL;
	pyx_memsrc_invalidate(src);
}

int pyx_memsrc_core_read_dumped(struct pyx_memsrc *src, uint64_t addr, void *buf, size_t len,
				struct pyx_error *err)
{
	struct core *c = pyx_memsrc_ctx_if(src, &core_ops);
	if (!c)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "not a core memory source");
	if (len > PYX_MEMSRC_MAX_READ || addr + len < addr)
		return pyx_error_set(err, PYX_E_LIMIT, 0, addr, "refusing to read %zu bytes", len);
	return core_read_any(c, addr, buf, len, 1, err);
}
