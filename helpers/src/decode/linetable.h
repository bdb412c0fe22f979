/* SPDX-License-Identifier: MIT */
/* Bytecode offset -> source line, for the three line-table formats CPython
 * has used. Pure functions over a local copy of the table; a malformed
 * table yields 0 (unknown), never an out-of-bounds read. */
#ifndef PYX_LINETABLE_H
#define PYX_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* <=3.9 co_lnotab: (byte increment, signed line increment) pairs;
 * lasti is a byte offset. */
int pyx_line_lnotab(const uint8_t *tab, size_t len, int firstlineno, int lasti);

/* 3.10 co_linetable: (byte delta, signed line delta or -128 = none) pairs;
 * addr is a byte offset (f_lasti * 2). */
int pyx_line_linetable310(const uint8_t *tab, size_t len, int firstlineno, int addr);

/* 3.11+ location table; offset in code units (instruction index). */
int pyx_line_locations(const uint8_t *tab, size_t len, int firstlineno, int offset);

#endif
