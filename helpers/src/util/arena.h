/* SPDX-License-Identifier: MIT */
/* A bump allocator that owns everything in one snapshot: frames, strings,
 * threads. Freed all at once by pyx_arena_destroy. Not thread-safe. */
#ifndef PYX_ARENA_H
#define PYX_ARENA_H

#include <stddef.h>

struct pyx_arena;

/* NULL on allocation failure. */
struct pyx_arena *pyx_arena_create(void);
/* NULL allowed. */
void pyx_arena_destroy(struct pyx_arena *arena);

/* Zeroed, 16-byte aligned memory; NULL on failure (or size overflow). */
void *pyx_arena_alloc(struct pyx_arena *arena, size_t size);
/* Zeroed array of n elements of size each; NULL on failure or overflow. */
void *pyx_arena_calloc(struct pyx_arena *arena, size_t n, size_t size);
/* Copies; NULL on failure (s must not be NULL). */
char *pyx_arena_strdup(struct pyx_arena *arena, const char *s);
char *pyx_arena_strndup(struct pyx_arena *arena, const char *s, size_t n);
/* printf into the arena. */
char *pyx_arena_printf(struct pyx_arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Grows an array allocated from the arena (old contents copied; the old
 * block is simply abandoned). */
void *pyx_arena_grow(struct pyx_arena *arena, void *old, size_t old_n, size_t new_n, size_t size);

#endif
