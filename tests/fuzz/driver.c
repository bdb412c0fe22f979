/* SPDX-License-Identifier: MIT */
/* main() for fuzz targets built without libFuzzer: replays every file given
 * (files or directories of a corpus), then `--mutations N` deterministic
 * mutations of them (bit flips, byte sets, truncations, duplications; seed
 * fixed, or --seed S) within `--seconds T`. A crash, a sanitizer report or a
 * hang (the test harness's timeout) is a failure; the exit status is 0
 * otherwise. Prints what it ran. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"

struct input {
	uint8_t *data;
	size_t size;
};

static struct input *inputs;
static size_t ninputs, cap;

static void add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || n > (16 << 20)) {
		fclose(f);
		return;
	}
	uint8_t *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		if (ninputs == cap) {
			cap = cap ? cap * 2 : 64;
			inputs = realloc(inputs, cap * sizeof *inputs);
		}
		inputs[ninputs++] = (struct input){buf, (size_t)n};
	} else {
		free(buf);
	}
	fclose(f);
}

static void add_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		add_file(sub);
	}
	if (d)
		closedir(d);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate_and_run(const struct input *in)
{
	size_t size = in->size ? in->size : 1;
	uint8_t *buf = malloc(size * 2 + 16);
	memcpy(buf, in->data, in->size);
	size_t n = in->size;
	int edits = 1 + (int)(next() % 8);
	for (int e = 0; e < edits && n; e++) {
		size_t at = (size_t)(next() % n);
		switch (next() % 5) {
		case 0:
			buf[at] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			buf[at] = (uint8_t)next();
			break;
		case 2: { /* an interesting word */
			static const uint64_t words[] = {0, 1, ~0ull, 0x7fffffff, 0x80000000ull,
							 0x7f0000000000ull, 0x10, 0xffffffffull};
			uint64_t w = words[next() % (sizeof words / sizeof words[0])];
			size_t k = at + 8 <= n ? 8 : n - at;
			memcpy(buf + at, &w, k);
			break;
		}
		case 3:
			n = at + 1; /* truncate */
			break;
		default: { /* duplicate a chunk */
			size_t len = (size_t)(next() % 64);
			if (at + len <= n && n + len <= size * 2 + 16) {
				memmove(buf + at + len, buf + at, n - at);
				n += len;
			}
			break;
		}
		}
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
}

int main(int argc, char **argv)
{
	long mutations = 0, seconds = 10;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mutations") && i + 1 < argc)
			mutations = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0) | 1;
		else
			add_path(argv[i]);
	}
	if (!ninputs) {
		fprintf(stderr, "%s: no corpus inputs\n", argv[0]);
		return 1;
	}
	for (size_t i = 0; i < ninputs; i++)
		LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
	time_t end = time(NULL) + seconds;
	long done = 0;
	for (; done < mutations && time(NULL) < end; done++)
		mutate_and_run(&inputs[(size_t)(next() % ninputs)]);
	printf("%s: %zu corpus inputs, %ld mutations\n", argv[0], ninputs, done);
	return 0;
}
