/* SPDX-License-Identifier: MIT */
/*
 * No lost writes: two writer threads write continuously while a collector
 * loops get-with-reset and copies every reported page into a replica.  When
 * the writers stop and a last collection is done, the replica must equal
 * memory.  PW_STRESS_SECONDS sets the duration (default 2).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define N 512
#define BATCH 64

static char *mem, *replica;
static struct pw_watch *watch;
static atomic_int stop_writers;
static atomic_long writes;

static void *writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long n = 0;

	while (!atomic_load_explicit(&stop_writers, memory_order_relaxed)) {
		size_t page = rand_r(&seed) % N, off = rand_r(&seed) % (PAGE / 8);

		/* Words, so that each write is one store. */
		t_racy_store64(mem + page * PAGE + off * 8, ((uint64_t)seed << 20) ^ (uint64_t)n);
		n++;
	}
	atomic_fetch_add(&writes, n);
	return NULL;
}

/* One get-with-reset pass over the whole watch; returns pages copied. */
static long collect(void)
{
	void *pages[BATCH];
	char *cursor = mem;
	long total = 0;

	while (cursor < mem + N * PAGE) {
		size_t n = BATCH, i;
		int r = pw_watch_get(watch, cursor, (size_t)(mem + N * PAGE - cursor),
				     PW_WATCH_RESET, pages, &n);

		if (r) {
			fprintf(stderr, "pw_watch_get: %d\n", r);
			t_failures++;
			return total;
		}
		for (i = 0; i < n; i++) {
			size_t off = (size_t)((char *)pages[i] - mem);

			t_racy_copy(replica + off, pages[i], PAGE);
		}
		total += (long)n;
		if (n < BATCH)
			break;
		cursor = (char *)pages[n - 1] + PAGE;
	}
	return total;
}

int main(void)
{
	const char *env = getenv("PW_STRESS_SECONDS");
	double seconds = env ? atof(env) : 2.0;
	struct timespec t0, t;
	pthread_t th[2];
	long passes = 0, copied = 0;
	size_t i, bad = 0;

	mem = t_map(N);
	replica = malloc(N * PAGE);
	for (i = 0; i < N * PAGE; i++)
		mem[i] = (char)i;
	memcpy(replica, mem, N * PAGE);
	watch = t_watch(mem, N * PAGE);

	pthread_create(&th[0], NULL, writer, (void *)1);
	pthread_create(&th[1], NULL, writer, (void *)2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		copied += collect();
		passes++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	atomic_store(&stop_writers, 1);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	copied += collect();

	for (i = 0; i < N; i++)
		if (memcmp(replica + i * PAGE, mem + i * PAGE, PAGE))
			bad++;
	fprintf(stderr, "%s: %ld writes, %ld passes, %ld pages copied, %zu pages differ\n",
		pw_backend_name(pw_watch_backend(watch)), (long)atomic_load(&writes),
		passes, copied, bad);
	CHECK_EQ(bad, 0);
	CHECK(passes > 1 && atomic_load(&writes) > 1000, "the stress did not run");
	pw_watch_stop(watch);
	t_done();
}
