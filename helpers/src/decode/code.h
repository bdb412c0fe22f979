/* SPDX-License-Identifier: MIT */
/* Code objects, decoded once per snapshot and cached by address: names,
 * file, first line, line table, and the names of locals. */
#ifndef PYX_CODE_H
#define PYX_CODE_H

#include <stdint.h>

#include "decoder.h"

struct pyx_code {
	uint64_t addr;
	const char *name;	/* co_name */
	const char *qualname;	/* co_qualname (3.11+), else co_name */
	const char *filename;
	int firstlineno;
	const uint8_t *linetable; /* lnotab / linetable / location table */
	size_t linetable_len;
	uint64_t code_start;	/* remote address of the first code unit (3.11+) */
	int nlocalsplus;	/* names in `localnames` */
	const char **localnames; /* varnames (+cellvars, freevars) or localsplusnames */
	const uint8_t *localkinds; /* 3.11+ co_localspluskinds, else NULL */
	int nvarnames, ncellvars; /* <=3.10: localnames is varnames + cellvars + freevars */
	int argcount;
	int last_offset, last_line; /* memo of the last line lookup */
	int is_shim;		/* an interpreter-made shim, not user code (see code.c) */
};

/* Creates/destroys the per-decoder cache (destroy accepts NULL). */
int pyx_code_cache_create(struct pyx_decoder *d, struct pyx_error *err);
void pyx_code_cache_destroy(struct pyx_decoder *d);

/* Decoded code object at addr, from the cache or read now. */
int pyx_code_get(struct pyx_decoder *d, uint64_t addr, struct pyx_code **out,
		 struct pyx_error *err);

/* Reads the names of locals (lazily: only locals need them). */
int pyx_code_local_names(struct pyx_decoder *d, struct pyx_code *code, struct pyx_error *err);

/* Source line of a position in the code object. `pos` is what the frame
 * records: f_lasti for <=3.10 (bytes <=3.9, code units 3.10), or the remote
 * instruction pointer for 3.11+. 0 when unknown. */
int pyx_code_line(struct pyx_decoder *d, struct pyx_code *code, uint64_t pos);

#endif
