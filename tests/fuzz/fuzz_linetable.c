/* SPDX-License-Identifier: MIT */
/* Every line-table decoder on random tables: lnotab (<=3.9), the 3.10
 * linetable and the 3.11+ location table. Input: u8 kind, i32 first line,
 * i32 offset, then the table. */
#include <string.h>

#include "decode/linetable.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t first, offset;
	if (size < 9)
		return 0;
	memcpy(&first, data + 1, 4);
	memcpy(&offset, data + 5, 4);
	const uint8_t *tab = data + 9;
	size_t len = size - 9;
	switch (data[0] % 3) {
	case 0:
		pyx_line_lnotab(tab, len, first, offset);
		break;
	case 1:
		pyx_line_linetable310(tab, len, first, offset);
		break;
	default:
		pyx_line_locations(tab, len, first, offset);
		break;
	}
	return 0;
}
