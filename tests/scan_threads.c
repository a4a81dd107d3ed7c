/* SPDX-License-Identifier: MIT */
/* One space used by several threads at once: every scan and every mapping
 * walk gives the answer a lone thread gets. */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define N 4096
#define THREADS 4
#define ROUNDS 40
#define VEC 4096

static struct pw_space *sp;
static char *m;
static struct pw_region expect[VEC];
static long expect_n;

/* Threads map their own stacks, so the number of mappings moves; what
 * must hold is order, and every one of our mappings seen exactly. */
struct walk {
	uint64_t last_end;
	int ours, disorder;
};

#define EXTRA 400
static char *extra[EXTRA];

static int count_map(const struct pw_mapping *mp, void *ctx)
{
	struct walk *w = ctx;
	int i;

	if (mp->start < w->last_end || mp->end <= mp->start)
		w->disorder++;
	w->last_end = mp->end;
	for (i = 0; i < EXTRA; i++)
		if (mp->start <= (uintptr_t)extra[i] && (uintptr_t)extra[i] < mp->end)
			w->ours++;
	if (mp->start <= (uintptr_t)m && (uintptr_t)m + N * PAGE <= mp->end)
		w->ours += 1000;
	return 0;
}

static long scan(struct pw_region *vec)
{
	struct pw_scan_arg a = t_arg(m, N, vec, VEC);

	a.return_mask = PW_PAGE_PRESENT | PW_PAGE_WRITTEN;
	return pw_scan(sp, &a);
}

static void *worker(void *arg)
{
	struct pw_region *vec = malloc(VEC * sizeof(*vec));
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		long n = scan(vec);

		if (n != expect_n || memcmp(vec, expect, (size_t)n * sizeof(*vec))) {
			fprintf(stderr, "scan: %ld regions, expected %ld\n", n, expect_n);
			bad++;
		}
		struct walk w = { 0, 0, 0 };

		if (pw_space_mappings(sp, 0, 0, count_map, &w) || w.disorder || w.ours != (1000 + EXTRA)) {
			fprintf(stderr, "mappings: disorder %d, ours %d\n", w.disorder, w.ours);
			bad++;
		}
	}
	free(vec);
	return (void *)bad;
}

/* [vvar] (PFNMAP, never reported), found in our maps. */
static uint64_t vvar_start, vvar_end;

static int find_vvar(const struct pw_mapping *mp, void *ctx)
{
	(void)ctx;
	if (strcmp(mp->path, "[vvar]"))
		return 0;
	vvar_start = mp->start;
	vvar_end = mp->end;
	return 1;
}

static struct pw_space *fresh;

static void *scan_vvar(void *arg)
{
	struct pw_region vec[4];
	struct pw_scan_arg a = t_arg((void *)(uintptr_t)vvar_start,
				     (vvar_end - vvar_start) / PAGE, vec, 4);

	(void)arg;
	return (void *)(long)pw_scan(fresh, &a);
}

/* The emulation's per-space knowledge of which mappings are PFNMAP is
 * filled by whichever scan meets them first: two at once on a fresh space
 * must both skip [vvar]. */
static long vvar_race(void)
{
	pthread_t th[2];
	long bad = 0;
	int round, i;

	for (round = 0; round < 100; round++) {
		fresh = t_space(0);
		for (i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, scan_vvar, NULL);
		for (i = 0; i < 2; i++) {
			void *r;

			pthread_join(th[i], &r);
			bad += (long)r != 0;
		}
		pw_space_close(fresh);
	}
	return bad;
}

int main(void)
{
	pthread_t th[THREADS];
	struct walk w = { 0, 0, 0 };
	size_t i;
	long bad = 0;

	sp = t_space(0);
	m = t_map(N);
	madvise(m, N * PAGE, MADV_NOHUGEPAGE);
	for (i = 0; i < N; i += 3)
		m[i * PAGE] = 1;
	/* Enough mappings that maps takes several reads (over 16 KiB). */
	for (i = 0; i < EXTRA; i++) {
		extra[i] = mmap(NULL, PAGE, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(extra[i] != MAP_FAILED, "mmap");
	}
	expect_n = scan(expect);
	CHECK(expect_n > 1000, "layout: %ld regions", expect_n);
	CHECK_EQ(pw_space_mappings(sp, 0, 0, count_map, &w), 0);
	CHECK_EQ(w.ours, (1000 + EXTRA));
	CHECK_EQ(w.disorder, 0);
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < THREADS; i++) {
		void *r;

		pthread_join(th[i], &r);
		bad += (long)r;
	}
	CHECK_EQ(bad, 0);
	if (pw_space_mappings(sp, 0, 0, find_vvar, NULL) == 1)
		CHECK_EQ(vvar_race(), 0);
	pw_space_close(sp);
	t_done();
}
