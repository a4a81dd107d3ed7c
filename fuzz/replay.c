/* SPDX-License-Identifier: MIT */
/*
 * Replays every file of a corpus directory through a fuzz target without
 * libFuzzer: seeds and every crash ever found stay regression tests in
 * `make check`.  Usage: replay DIR...  (exit 0 when all ran, 77 when the
 * directories hold nothing).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
#ifdef CORPUS_DIR
	char *deflt[] = { argv[0], (char *)CORPUS_DIR, NULL };
#endif
	int i, count = 0;

#ifdef CORPUS_DIR
	if (argc < 2) {
		argc = 2;
		argv = deflt;
	}
#endif
	for (i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char path[4096];

		if (!d) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (replay_file(path)) {
				perror(path);
				closedir(d);
				return 1;
			}
			count++;
		}
		closedir(d);
	}
	fprintf(stderr, "replayed %d inputs\n", count);
	return count ? 0 : 77;
}
