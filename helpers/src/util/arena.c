/* SPDX-License-Identifier: MIT */
/* Bump allocator for snapshot data: a linked list of blocks, freed at once.
 * Snapshots allocate many small strings and arrays that all die together. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fmt.h"

enum { BLOCK_MIN = 64 * 1024, ALIGN = 16 };

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct pyx_arena {
	struct block *head;
	int fixed;	/* one caller-owned block: never malloc, never free */
	int exhausted;	/* an allocation failed for the limit or the buffer */
	size_t used;
	size_t limit;	/* 0: none */
};

struct pyx_arena *pyx_arena_create(void)
{
	return calloc(1, sizeof(struct pyx_arena));
}

struct pyx_arena *pyx_arena_create_in(void *buf, size_t len)
{
	uintptr_t start = ((uintptr_t)buf + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
	size_t skip = (size_t)(start - (uintptr_t)buf);
	size_t need = sizeof(struct pyx_arena) + sizeof(struct block) + 2 * ALIGN;
	if (!buf || len < skip + need)
		return NULL;
	struct pyx_arena *arena = (struct pyx_arena *)start;
	size_t hdr = (sizeof *arena + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	struct block *b = (struct block *)(start + hdr);
	memset(arena, 0, sizeof *arena);
	b->next = NULL;
	b->used = 0;
	b->cap = len - skip - hdr - sizeof *b;
	arena->head = b;
	arena->fixed = 1;
	return arena;
}

size_t pyx_arena_used(const struct pyx_arena *arena)
{
	return arena->used;
}

void pyx_arena_set_limit(struct pyx_arena *arena, size_t bytes)
{
	arena->limit = bytes;
}

int pyx_arena_exhausted(const struct pyx_arena *arena)
{
	return arena->exhausted;
}

void pyx_arena_destroy(struct pyx_arena *arena)
{
	if (!arena || arena->fixed)
		return;
	struct block *b = arena->head;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(arena);
}

void *pyx_arena_alloc(struct pyx_arena *arena, size_t size)
{
	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (arena->limit && size > arena->limit - (arena->used < arena->limit ? arena->used : arena->limit)) {
		arena->exhausted = 1;
		return NULL;
	}
	struct block *b = arena->head;
	if (!b || b->cap - b->used < size) {
		if (arena->fixed) {
			arena->exhausted = 1;
			return NULL;
		}
		size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = arena->head;
		arena->head = b;
	}
	void *p = b->data + b->used;
	b->used += size;
	arena->used += size;
	memset(p, 0, size);
	return p;
}

void *pyx_arena_calloc(struct pyx_arena *arena, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / 2 / size)
		return NULL;
	return pyx_arena_alloc(arena, n * size);
}

char *pyx_arena_strndup(struct pyx_arena *arena, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = pyx_arena_alloc(arena, len + 1);
	if (p)
		memcpy(p, s, len);
	return p;
}

char *pyx_arena_strdup(struct pyx_arena *arena, const char *s)
{
	return pyx_arena_strndup(arena, s, SIZE_MAX);
}

char *pyx_arena_printf(struct pyx_arena *arena, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = pyx_vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = pyx_arena_alloc(arena, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	pyx_vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *pyx_arena_grow(struct pyx_arena *arena, void *old, size_t old_n, size_t new_n, size_t size)
{
	void *p = pyx_arena_calloc(arena, new_n, size);
	if (p && old && old_n)
		memcpy(p, old, (old_n < new_n ? old_n : new_n) * size);
	return p;
}
