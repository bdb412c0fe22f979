/* SPDX-License-Identifier: MIT */
/* Decoding Python objects from target memory: type names, str, bytes, int,
 * float, containers, dict lookups, instance attributes. Every read is bounded
 * by d->limits; results are allocated from d->arena. */
#ifndef PYX_OBJECTS_H
#define PYX_OBJECTS_H

#include <stdint.h>

#include "decoder.h"

/* Type name of the object at obj_addr (tp_name, e.g. "dict"), copied into
 * the arena; *out is never NULL on success. */
int pyx_obj_type_name(struct pyx_decoder *d, uint64_t obj_addr, const char **out,
		      struct pyx_error *err);

/* Decodes a str object to UTF-8 (every kind: ASCII, latin-1, UCS-2, UCS-4,
 * compact and legacy), at most d->limits.max_string_bytes bytes (cut at a
 * character boundary, "..." not added). *out lives in the arena.
 * -PYX_E_BAD_DATA when obj_addr is not a str or its header is inconsistent. */
int pyx_obj_str(struct pyx_decoder *d, uint64_t str_addr, const char **out,
		struct pyx_error *err);

/* Like pyx_obj_str into a caller buffer (NUL-terminated, truncated). */
int pyx_obj_str_buf(struct pyx_decoder *d, uint64_t str_addr, char *buf, size_t size,
		    struct pyx_error *err);

/* Reads a bytes object's payload: at most max bytes, *out_len set to the
 * number copied; the arena copy is NUL-terminated. */
int pyx_obj_bytes(struct pyx_decoder *d, uint64_t bytes_addr, size_t max, const uint8_t **out,
		  size_t *out_len, struct pyx_error *err);

/* Value of an int object that fits in int64 (-PYX_E_LIMIT otherwise). */
int pyx_obj_long_i64(struct pyx_decoder *d, uint64_t long_addr, int64_t *out,
		     struct pyx_error *err);

/* repr()-like rendering of any object, bounded in length (max_len bytes)
 * and nesting (depth): None, bool, int (any size), float, str, bytes,
 * tuple, list, dict, set/frozenset (length and first items), other objects
 * as <TypeName object at 0x...>. */
int pyx_obj_repr(struct pyx_decoder *d, uint64_t obj_addr, size_t max_len, int depth,
		 const char **out, struct pyx_error *err);

/* What an object is, as pyx_obj_repr tells them apart: the containers it
 * can enumerate, the scalars it renders (int, str, bytes and their
 * subclasses), and the rest (None, float, classes, instances...). */
enum pyx_obj_class {
	PYX_OBJ_OTHER = 0,
	PYX_OBJ_SCALAR,
	PYX_OBJ_TUPLE,
	PYX_OBJ_LIST,
	PYX_OBJ_DICT,
	PYX_OBJ_SET, /* set and frozenset */
};

/* Classifies the object at obj_addr; for a container *len is its length
 * (ob_size, ma_used, the set's used), checked for sanity, else 0.
 * type_name (NULL allowed) gets the tp_name as reprs show it (escaped, fit
 * for a message), in the arena. */
int pyx_obj_classify(struct pyx_decoder *d, uint64_t obj_addr, enum pyx_obj_class *cls,
		     uint64_t *len, const char **type_name, struct pyx_error *err);

/* A tuple's or list's item array and length (checked, not clamped):
 * -PYX_E_FAULT when the array cannot be read, -PYX_E_BAD_DATA when it is
 * not readable to its last slot. */
int pyx_obj_seq(struct pyx_decoder *d, uint64_t addr, int is_list, uint64_t *items_out,
		uint64_t *n_out, struct pyx_error *err);

/* Calls fn for each key of a set or frozenset in table order, at most max
 * of them, scanning at most limits.max_dict_entries slots; fn returns
 * nonzero to stop. -PYX_E_BAD_DATA when the header is inconsistent,
 * -PYX_E_LIMIT (after the keys within it) when the scan limit cut a walk
 * that still wanted keys, as pyx_dict_items does. */
int pyx_set_items(struct pyx_decoder *d, uint64_t set_addr, size_t max,
		  int (*fn)(void *ctx, uint64_t key_addr), void *ctx, struct pyx_error *err);

/* Looks up a str key in a dict object (any version's layout). *out is the
 * value's address, or 0 with -PYX_E_NOT_FOUND when absent. */
int pyx_dict_get_str(struct pyx_decoder *d, uint64_t dict_addr, const char *key, uint64_t *out,
		     struct pyx_error *err);

/* Calls fn for each (key, value) of a dict, at most `max` entries; fn
 * returns nonzero to stop. */
int pyx_dict_items(struct pyx_decoder *d, uint64_t dict_addr, size_t max,
		   int (*fn)(void *ctx, uint64_t key_addr, uint64_t value_addr), void *ctx,
		   struct pyx_error *err);

/* Instance attribute lookup through the object's __dict__ (tp_dictoffset,
 * managed dicts and inline values of 3.11+). No descriptors, no slots. */
int pyx_obj_getattr(struct pyx_decoder *d, uint64_t obj_addr, const char *name, uint64_t *out,
		    struct pyx_error *err);

/* Calls fn for each (name, value) of an instance's attributes (its
 * __dict__, its values, or a class's tp_dict: as pyx_obj_getattr finds
 * them), at most max. -PYX_E_NOT_FOUND when it keeps none. */
int pyx_obj_attrs(struct pyx_decoder *d, uint64_t obj_addr, size_t max,
		  int (*fn)(void *ctx, uint64_t key_addr, uint64_t value_addr), void *ctx,
		  struct pyx_error *err);

/* How many attributes pyx_obj_attrs would visit, cheaply: a dict's
 * ma_used, a split table's insertion-order count, a walk only for split
 * values without one. -PYX_E_NOT_FOUND when the object keeps none. */
int pyx_obj_attr_count(struct pyx_decoder *d, uint64_t obj_addr, uint64_t *out,
		       struct pyx_error *err);

/* threading names: calls fn(ctx, thread_ident, name) for every entry of
 * sys.modules['threading']._active (ident is pthread_self()) of the
 * interpreter at interp_addr. Missing threading module is not an error. */
int pyx_thread_names(struct pyx_decoder *d, uint64_t interp_addr,
		     void (*fn)(void *ctx, uint64_t ident, const char *name), void *ctx,
		     struct pyx_error *err);

/* sys.modules[module_name].<name> of the interpreter at interp_addr;
 * -PYX_E_NOT_FOUND when the module or the global is absent. */
int pyx_module_global(struct pyx_decoder *d, uint64_t interp_addr, const char *module_name,
		      const char *name, uint64_t *out, struct pyx_error *err);

/* multiprocessing's name for this process (current_process().name), when
 * multiprocessing is imported; -PYX_E_NOT_FOUND otherwise. */
int pyx_process_name(struct pyx_decoder *d, uint64_t interp_addr, const char **out,
		     struct pyx_error *err);

#endif
