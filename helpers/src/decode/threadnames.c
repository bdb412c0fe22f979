/* SPDX-License-Identifier: MIT */
/* Thread names from the threading module: sys.modules['threading']._active
 * maps get_ident() (pthread_self) to Thread objects whose name is the
 * instance attribute `_name` (Lib/threading.py, unchanged 3.6-3.15). */
#include <stdint.h>

#include "objects.h"

struct names_ctx {
	struct pyx_decoder *d;
	void (*fn)(void *ctx, uint64_t ident, const char *name);
	void *ctx;
};

/* One _active entry; entries that do not decode are skipped. */
static int name_cb(void *ctx, uint64_t key_addr, uint64_t value_addr)
{
	struct names_ctx *nc = ctx;
	uint64_t name_addr;
	const char *name;
	int64_t ident;

	if (pyx_obj_long_i64(nc->d, key_addr, &ident, NULL) < 0)
		return 0;
	if (pyx_obj_getattr(nc->d, value_addr, "_name", &name_addr, NULL) < 0)
		return 0;
	if (pyx_obj_str(nc->d, name_addr, &name, NULL) < 0)
		return 0;
	nc->fn(nc->ctx, (uint64_t)ident, name);
	return 0;
}

int pyx_thread_names(struct pyx_decoder *d, uint64_t interp_addr,
		     void (*fn)(void *ctx, uint64_t ident, const char *name), void *ctx,
		     struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	struct names_ctx nc = {.d = d, .fn = fn, .ctx = ctx};
	uint64_t modules, module, md_dict, active;
	int rc;

	if (!PYX_HAS(o->interpreter_state.imports_modules) || !PYX_HAS(o->module_object.md_dict)) {
		rc = pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				   "layout lacks interpreter modules or module dict");
		goto out;
	}
	rc = pyx_dec_read_ptr(d, interp_addr + (uint64_t)o->interpreter_state.imports_modules,
			      &modules, err);
	if (rc < 0)
		goto out;
	/* Before or after the import system runs there is no sys.modules. */
	if (!modules)
		goto out;
	rc = pyx_dict_get_str(d, modules, "threading", &module, err);
	if (rc == -PYX_E_NOT_FOUND) {
		pyx_error_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = pyx_dec_read_ptr(d, module + (uint64_t)o->module_object.md_dict, &md_dict, err);
	if (rc < 0)
		goto out;
	if (!md_dict)
		goto out;
	rc = pyx_dict_get_str(d, md_dict, "_active", &active, err);
	if (rc == -PYX_E_NOT_FOUND) {
		pyx_error_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = pyx_dict_items(d, active, d->limits.max_threads, name_cb, &nc, err);
	if (rc < 0)
		pyx_error_wrap(err, "threading._active");
out:
	return rc;
}
