/* SPDX-License-Identifier: MIT */
/* mprotect backend on memory never written before the watch: after many
 * rounds of scattered writes and resets the process has no more mappings
 * than before (each un-protected piece must be able to merge back). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "testlib.h"

#define N 8192

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}

int main(void)
{
	char *m = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pw_watch *w;
	int before, round, r;
	size_t i;

	r = pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT);
	if (r == -EOPNOTSUPP)
		t_skip("no mprotect backend");
	CHECK_EQ(r, 0);
	before = count_maps();
	for (round = 0; round < 20; round++) {
		for (i = (size_t)round; i < N; i += 37)
			m[i * PAGE] = 1;
		CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	}
	CHECK(count_maps() <= before + 2, "mappings grew from %d to %d", before, count_maps());
	pw_watch_stop(w);
	t_done();
}
