/* SPDX-License-Identifier: MIT */
/* Memory-source dispatch: length bounds, statistics and a direct-mapped page
 * cache in front of slow backends. The cache is what makes 3.11+ frame walks
 * cheap: frames sit contiguously in the thread's data stack chunks, so one
 * page read serves many frames. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memsrc_impl.h"

enum {
	PAGE_SHIFT = 12,
	PAGE_SIZE = 1 << PAGE_SHIFT,
	CACHE_SLOTS = 1024, /* 4 MiB at most */
	CACHE_MAX_READ = 2 * PAGE_SIZE, /* larger reads bypass the cache */
};

struct cache_slot {
	uint64_t page; /* page number + 1; 0 marks an empty slot */
	unsigned char *data;
};

struct pyx_memsrc {
	const struct pyx_memsrc_ops *ops;
	void *ctx;
	unsigned flags;
	struct cache_slot *slots; /* NULL without PYX_MEMSRC_CACHE */
	unsigned char *pages;	/* PYX_MEMSRC_PREALLOC: every slot's page, one block */
	uint64_t nreads, nbytes;
};

int pyx_memsrc_open_ops(const struct pyx_memsrc_ops *ops, void *ctx, unsigned flags,
			struct pyx_memsrc **out, struct pyx_error *err)
{
	struct pyx_memsrc *src = calloc(1, sizeof *src);
	if (!src)
		goto nomem;
	src->ops = ops;
	src->ctx = ctx;
	src->flags = flags;
	if (flags & PYX_MEMSRC_CACHE) {
		src->slots = calloc(CACHE_SLOTS, sizeof *src->slots);
		if (!src->slots)
			goto nomem;
		if (flags & PYX_MEMSRC_PREALLOC) {
			/* Untouched pages of this block cost no memory until used. */
			src->pages = malloc((size_t)CACHE_SLOTS * PAGE_SIZE);
			if (!src->pages)
				goto nomem;
			for (size_t i = 0; i < CACHE_SLOTS; i++)
				src->slots[i].data = src->pages + i * (size_t)PAGE_SIZE;
		}
	}
	*out = src;
	return 0;
nomem:
	if (src)
		free(src->slots);
	free(src);
	if (ops->close)
		ops->close(ctx);
	return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory opening a memory source");
}

void *pyx_memsrc_ctx_if(struct pyx_memsrc *src, const struct pyx_memsrc_ops *ops)
{
	return src && src->ops == ops ? src->ctx : NULL;
}

static int backend_read(struct pyx_memsrc *src, uint64_t addr, void *buf, size_t len,
			struct pyx_error *err)
{
	src->nreads++;
	src->nbytes += len;
	return src->ops->read(src->ctx, addr, buf, len, err);
}

static int cached_page(struct pyx_memsrc *src, uint64_t page, const unsigned char **out,
		       struct pyx_error *err)
{
	struct cache_slot *slot = &src->slots[(page ^ (page >> 10)) % CACHE_SLOTS];
	if (slot->page == page + 1) {
		*out = slot->data;
		return 0;
	}
	if (!slot->data) {
		slot->data = malloc(PAGE_SIZE);
		if (!slot->data)
			return pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory in page cache");
	}
	slot->page = 0;
	int rc = backend_read(src, page << PAGE_SHIFT, slot->data, PAGE_SIZE, err);
	if (rc < 0)
		return rc;
	slot->page = page + 1;
	*out = slot->data;
	return 0;
}

int pyx_memsrc_read(struct pyx_memsrc *src, uint64_t addr, void *buf, size_t len,
		    struct pyx_error *err)
{
	if (len == 0)
		return 0;
	if (len > PYX_MEMSRC_MAX_READ)
		return pyx_error_set(err, PYX_E_LIMIT, 0, addr,
				     "refusing to read %zu bytes at 0x%llx (limit %d)", len,
				     (unsigned long long)addr, PYX_MEMSRC_MAX_READ);
	if (addr + len < addr)
		return pyx_error_set(err, PYX_E_FAULT, 0, addr, "address range wraps at 0x%llx",
				     (unsigned long long)addr);
	if (!src->slots || len > CACHE_MAX_READ)
		return backend_read(src, addr, buf, len, err);

	unsigned char *dst = buf;
	while (len) {
		uint64_t page = addr >> PAGE_SHIFT;
		size_t in_page = PAGE_SIZE - (size_t)(addr & (PAGE_SIZE - 1));
		size_t n = len < in_page ? len : in_page;
		const unsigned char *data = NULL;
		int rc = cached_page(src, page, &data, err);
		if (rc == -PYX_E_FAULT && n < PAGE_SIZE) {
			/* A page may be readable only in part: a host reading a
			 * core has the bytes of a file's sections, not whole pages
			 * of the segments the core left out. Read just these. */
			rc = backend_read(src, addr, dst, n, err);
			if (rc == 0) {
				dst += n;
				addr += n;
				len -= n;
				continue;
			}
		}
		if (rc < 0) {
			/* Report the exact range the caller asked for. */
			if (err)
				err->addr = addr;
			return rc;
		}
		memcpy(dst, data + (addr & (PAGE_SIZE - 1)), n);
		dst += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int pyx_memsrc_read_u64(struct pyx_memsrc *src, uint64_t addr, uint64_t *out,
			struct pyx_error *err)
{
	return pyx_memsrc_read(src, addr, out, sizeof *out, err);
}

void pyx_memsrc_invalidate(struct pyx_memsrc *src)
{
	if (!src || !src->slots)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		src->slots[i].page = 0;
}

void pyx_memsrc_stats(const struct pyx_memsrc *src, uint64_t *reads, uint64_t *bytes)
{
	if (reads)
		*reads = src->nreads;
	if (bytes)
		*bytes = src->nbytes;
}

const char *pyx_memsrc_name(const struct pyx_memsrc *src)
{
	return src->ops->name;
}

void pyx_memsrc_close(struct pyx_memsrc *src)
{
	if (!src)
		return;
	if (src->ops->close)
		src->ops->close(src->ctx);
	if (src->slots) {
		for (size_t i = 0; !src->pages && i < CACHE_SLOTS; i++)
			free(src->slots[i].data);
		free(src->slots);
	}
	free(src->pages);
	free(src);
}
