/* SPDX-License-Identifier: MIT */
/* The object decoders on a random image: str of every kind, bytes, int of
 * any size, float, containers, dicts of every model, instances, as
 * pyx_obj_repr reaches them, plus str/bytes/int decoding and dict lookups
 * directly. Input: a "PYXW" image; its runtime field is the object's
 * address, its minor the layout. */
#include <stdlib.h>

#include "decode/objects.h"
#include "fuzz.h"
#include "layout/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_image img;
	struct pyx_layout L;
	struct pyx_decoder d;
	struct pyx_arena *arena = NULL;
	const struct pyx_offsets *table;
	if (fuzz_image_parse(data, size, &img) < 0 || !(table = pyx_layout_table(img.minor % 16)))
		goto out;
	memset(&L, 0, sizeof L);
	L.version_hex = 0x03000000u | ((uint32_t)(img.minor % 16) << 16);
	L.off = *table;
	pyx_layout_set_caps(&L);
	arena = pyx_arena_create();
	if (!arena || pyx_decoder_init(&d, img.src, &L, arena, NULL, NULL) < 0)
		goto out;
	const char *s;
	const uint8_t *b;
	size_t blen;
	int64_t v;
	uint64_t found;
	pyx_obj_repr(&d, img.runtime, 512, 3, &s, NULL);
	pyx_obj_str(&d, img.runtime, &s, NULL);
	pyx_obj_bytes(&d, img.runtime, 256, &b, &blen, NULL);
	pyx_obj_long_i64(&d, img.runtime, &v, NULL);
	pyx_obj_type_name(&d, img.runtime, &s, NULL);
	pyx_dict_get_str(&d, img.runtime, "version", &found, NULL);
	pyx_obj_getattr(&d, img.runtime, "_name", &found, NULL);
out:
	pyx_arena_destroy(arena);
	fuzz_image_close(&img);
	return 0;
}
