/* SPDX-License-Identifier: MIT */
/*
 * A snapshot restore racing with a write loses nothing.  Each round dirties
 * every page (so the restore has work), then one write lands at a random
 * moment during the restore.  Afterwards: if the page differs from the
 * snapshot, the watch must report it written -- else no later restore
 * would ever put it back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define N 16
#define TARGET (3 * PAGE + 400)

static char *m;
static pthread_barrier_t go, done;
static atomic_int delay, quit;

static void *writer(void *arg)
{
	unsigned v;

	(void)arg;
	for (v = 1;; v++) {
		int k;

		pthread_barrier_wait(&go);
		if (atomic_load(&quit))
			return NULL;
		for (k = atomic_load(&delay); k > 0; k--)
			__asm__ volatile("" ::: "memory");
		/* Races with the restore's memcpy on purpose: unchecked by TSan. */
		t_racy_begin();
		*(volatile unsigned *)(m + TARGET) = v;
		t_racy_end();
		pthread_barrier_wait(&done);
	}
}

static bool reported(struct pw_watch *w, const void *page)
{
	void *pages[N];
	size_t n = t_written(w, m, N * PAGE, pages, N), k;

	for (k = 0; k < n; k++)
		if (pages[k] == page)
			return true;
	return false;
}

int main(void)
{
	struct pw_snapshot *snap;
	struct timespec t0, t;
	struct pw_watch *w;
	unsigned seed = 1;
	long rounds = 0, lost = 0;
	pthread_t th;
	size_t p;

	m = t_map(N);
	memset(m, 0, N * PAGE);
	w = t_watch(m, N * PAGE);
	CHECK_EQ(pw_snapshot_take(w, &snap), 0);
	pthread_barrier_init(&go, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	pthread_create(&th, NULL, writer, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		long r;

		for (p = 0; p < N; p++)
			m[p * PAGE] = 1;
		atomic_store(&delay, (int)(rand_r(&seed) % 20000));
		pthread_barrier_wait(&go);
		r = pw_snapshot_restore(snap);
		pthread_barrier_wait(&done);
		CHECK(r >= 0, "restore: %ld", r);
		if (*(volatile unsigned *)(m + TARGET) && !reported(w, m + 3 * PAGE))
			lost++;
		CHECK(pw_snapshot_restore(snap) >= 0, "repair");
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < 1.5);
	atomic_store(&quit, 1);
	pthread_barrier_wait(&go);
	pthread_join(th, NULL);
	fprintf(stderr, "%s: %ld rounds, %ld writes lost\n",
		pw_backend_name(pw_watch_backend(w)), rounds, lost);
	CHECK_EQ(lost, 0);
	CHECK(rounds > 10, "the race did not run");
	CHECK_EQ(*(volatile unsigned *)(m + TARGET), 0);
	pw_snapshot_free(snap);
	pw_watch_stop(w);
	t_done();
}
