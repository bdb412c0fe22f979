/* SPDX-License-Identifier: MIT */
/* The _Py_DebugOffsets validator on random blobs: a target's own offsets
 * are untrusted input, and whatever passes must keep every field the
 * decoder reads inside the spans it copies. Input: u8 minor, then the blob. */
#include <stdlib.h>

#include "fuzz.h"
#include "layout/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pyx_memsrc *src = NULL;
	struct pyx_layout L;
	struct pyx_error err;
	if (size < 2 || pyx_memsrc_open_image(&src, NULL) < 0)
		return 0;
	int minor = 13 + data[0] % 3;
	pyx_memsrc_image_add(src, 0x100000, data + 1, size - 1, NULL);
	uint32_t hex = 0x03000000u | ((uint32_t)minor << 16) | (data[0] & 0xf0u);
	if (pyx_layout_init(&L, hex, src, 0x100000, &err) == 0 &&
	    pyx_layout_check_spans(&L.off, &err) < 0)
		abort(); /* accepted offsets must pass the span checks */
	pyx_memsrc_close(src);
	return 0;
}
