/* SPDX-License-Identifier: MIT */
/* Names Python code gives to threads and processes, read from module globals:
 * sys.modules['threading']._active maps get_ident() (pthread_self) to Thread
 * objects whose name is the instance attribute `_name` (Lib/threading.py,
 * unchanged 3.6-3.15); multiprocessing.process._current_process._name is the
 * process's multiprocessing name ("ForkPoolWorker-3"). */
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

int pyx_module_global(struct pyx_decoder *d, uint64_t interp_addr, const char *module_name,
		      const char *name, uint64_t *out, struct pyx_error *err)
{
	const struct pyx_offsets *o = &d->layout->off;
	uint64_t modules, module, md_dict;
	int rc;

	if (!PYX_HAS(o->interpreter_state.imports_modules) || !PYX_HAS(o->module_object.md_dict))
		return pyx_error_set(err, PYX_E_UNSUPPORTED_VERSION, 0, 0,
				     "layout lacks interpreter modules or module dict");
	rc = pyx_dec_read_ptr(d, interp_addr + (uint64_t)o->interpreter_state.imports_modules,
			      &modules, err);
	if (rc < 0)
		return rc;
	/* Before or after the import system runs there is no sys.modules. */
	if (!modules)
		return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "no sys.modules");
	rc = pyx_dict_get_str(d, modules, module_name, &module, err);
	if (rc < 0)
		return rc;
	rc = pyx_dec_read_ptr(d, module + (uint64_t)o->module_object.md_dict, &md_dict, err);
	if (rc < 0)
		return rc;
	if (!md_dict)
		return pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0, "module %s has no dict",
				     module_name);
	return pyx_dict_get_str(d, md_dict, name, out, err);
}

int pyx_thread_names(struct pyx_decoder *d, uint64_t interp_addr,
		     void (*fn)(void *ctx, uint64_t ident, const char *name), void *ctx,
		     struct pyx_error *err)
{
	struct names_ctx nc = {.d = d, .fn = fn, .ctx = ctx};
	uint64_t active;
	int rc = pyx_module_global(d, interp_addr, "threading", "_active", &active, err);
	if (rc == -PYX_E_NOT_FOUND) {
		pyx_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = pyx_dict_items(d, active, d->opts.limits.max_threads, name_cb, &nc, err);
	if (rc < 0)
		pyx_error_wrap(err, "threading._active");
	return rc;
}

int pyx_process_name(struct pyx_decoder *d, uint64_t interp_addr, const char **out,
		     struct pyx_error *err)
{
	uint64_t proc, name;
	int rc = pyx_module_global(d, interp_addr, "multiprocessing.process", "_current_process",
				   &proc, err);
	if (rc < 0)
		return rc;
	rc = pyx_obj_getattr(d, proc, "_name", &name, err);
	if (rc < 0)
		return rc;
	return pyx_obj_str(d, name, out, err);
}
