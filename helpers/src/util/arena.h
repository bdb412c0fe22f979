/* SPDX-License-Identifier: MIT */
/* A bump allocator that owns everything in one snapshot: frames, strings,
 * threads. Freed all at once by pyx_arena_destroy. Not thread-safe. An arena
 * made over a caller's buffer never calls malloc: allocation is then
 * async-signal-safe and fails (NULL) when the buffer is full. */
#ifndef PYX_ARENA_H
#define PYX_ARENA_H

#include <stddef.h>

struct pyx_arena;

/* NULL on allocation failure. */
struct pyx_arena *pyx_arena_create(void);
/* An arena living entirely in buf (its own header included; buf must stay
 * valid while it is used). NULL when len is too small for the header. */
struct pyx_arena *pyx_arena_create_in(void *buf, size_t len);
/* NULL allowed. Frees nothing for an arena made over a caller's buffer. */
void pyx_arena_destroy(struct pyx_arena *arena);
/* Bytes handed out so far (statistics, tests). */
size_t pyx_arena_used(const struct pyx_arena *arena);
/* At most `bytes` handed out from now on (0: no limit); an allocation past
 * it fails (NULL) and marks the arena exhausted. */
void pyx_arena_set_limit(struct pyx_arena *arena, size_t bytes);
/* 1 once an allocation failed for the limit or a full caller's buffer. */
int pyx_arena_exhausted(const struct pyx_arena *arena);

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
