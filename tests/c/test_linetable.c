/* SPDX-License-Identifier: MIT */
/* Line-table decoders against tables and answers recorded from real
 * interpreters (linetable_fixtures.h), plus malformed tables. */
#include <stdlib.h>

#include "decode/linetable.h"
#include "tap.h"

enum kind { LNOTAB, LINETABLE, LOCATIONS };

struct fixture {
	const char *name;
	enum kind kind;
	const unsigned char *table;
	size_t len;
	int firstlineno;
	const int *lines;
	size_t nlines;
};

#define LINETABLE_ARRAYS
#include "linetable_fixtures.h"
#undef LINETABLE_ARRAYS

#define FIXTURE(name, kind, first, len, nlines) \
	{#name, kind, name##_table, len, first, name##_lines, nlines},
static const struct fixture fixtures[] = {
#include "linetable_fixtures.h"
};
#undef FIXTURE

static int line_at(const struct fixture *f, size_t unit)
{
	switch (f->kind) {
	case LNOTAB:
		return pyx_line_lnotab(f->table, f->len, f->firstlineno, (int)unit * 2);
	case LINETABLE:
		return pyx_line_linetable310(f->table, f->len, f->firstlineno, (int)unit * 2);
	default:
		return pyx_line_locations(f->table, f->len, f->firstlineno, (int)unit);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		const struct fixture *f = &fixtures[i];
		size_t bad = 0, first_bad = 0;
		int got_bad = 0;
		for (size_t u = 0; u < f->nlines; u++) {
			int got = line_at(f, u);
			if (got != f->lines[u]) {
				if (!bad++) {
					first_bad = u;
					got_bad = got;
				}
			}
		}
		ok(bad == 0, "%s: every code unit's line matches the interpreter (%zu units)",
		   f->name, f->nlines);
		if (bad)
			printf("#   %zu mismatches; first at unit %zu: got %d want %d\n", bad,
			       first_bad, got_bad, f->lines[first_bad]);
	}

	/* Malformed tables give 0, never an out-of-bounds read. */
	static const unsigned char trunc_long[] = {0xf0 | 0x80, 0x41}; /* long form, cut */
	is_int(pyx_line_locations(trunc_long, sizeof trunc_long, 10, 0), 0, "truncated long entry");
	static const unsigned char not_entry[] = {0x01, 0x02};
	is_int(pyx_line_locations(not_entry, sizeof not_entry, 10, 0), 0, "entry without high bit");
	static const unsigned char endless[] = {0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f};
	is_int(pyx_line_locations(endless, sizeof endless, 10, 0), 0, "varint running off the end");
	is_int(pyx_line_locations(NULL, 0, 10, 3), 0, "empty location table");
	static const unsigned char odd[] = {4};
	is_int(pyx_line_lnotab(odd, sizeof odd, 7, 100), 7, "odd-length lnotab keeps firstlineno");
	is_int(pyx_line_linetable310(odd, sizeof odd, 7, 2), 0, "odd-length 3.10 table");
	static const unsigned char noline[] = {2, 0x80};
	is_int(pyx_line_linetable310(noline, sizeof noline, 7, 0), 0, "3.10 'no line' entry");
	return tap_done();
}
