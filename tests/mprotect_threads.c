/* SPDX-License-Identifier: MIT */
/*
 * Threads on the mprotect backend (correctness only, no timing asserted):
 *  - two writer threads fault at once, on their own pages and on the same
 *    pages, round after round; each round reports exactly the pages
 *    written, and memory holds every write;
 *  - watches are started and stopped over and over while a thread keeps
 *    writing the range: a fault taken just before a stop and handled after
 *    it must retry the write, never crash, and no write may go missing.
 * The time per faulting write is printed for information.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define N 256
#define ROUNDS 40
#define CYCLES 300

static char *m;
static struct pw_watch *w;
static pthread_barrier_t bar;
static atomic_int stop_churn;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Round r: thread id writes the pages p with (p + r) % 3 == id, or when
 * r is odd both threads write every page of the lower half. */
static bool written_by(size_t p, int r, int id)
{
	if (r % 2)
		return p < N / 2;
	return (p + (size_t)r) % 3 == (size_t)id;
}

static void *writer(void *arg)
{
	int id = (int)(uintptr_t)arg, r;
	size_t p;

	for (r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&bar);
		for (p = 0; p < N; p++)
			if (written_by(p, r, id))
				((volatile char *)m)[p * PAGE + 8 * id] = (char)(r + 1);
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

static void rounds(void)
{
	void *pages[N];
	pthread_t th[2];
	size_t n, i, p, expect, faults = 0;
	double t0, busy = 0;
	int r, bad = 0;

	m = t_map(N);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	pthread_barrier_init(&bar, NULL, 3);
	pthread_create(&th[0], NULL, writer, (void *)0);
	pthread_create(&th[1], NULL, writer, (void *)1);
	for (r = 0; r < ROUNDS; r++) {
		t0 = now();
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
		busy += now() - t0;
		n = N;
		CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
		for (expect = 0, i = 0, p = 0; p < N; p++) {
			if (!written_by(p, r, 0) && !written_by(p, r, 1))
				continue;
			expect++;
			if (i < n && pages[i] == m + p * PAGE)
				i++;
			else
				bad++;
			if (written_by(p, r, 0) && m[p * PAGE] != (char)(r + 1))
				bad++;
			if (written_by(p, r, 1) && m[p * PAGE + 8] != (char)(r + 1))
				bad++;
		}
		CHECK(n == expect && !bad, "round %d: %zu pages, expected %zu, %d wrong",
		      r, n, expect, bad);
		faults += expect;
	}
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	fprintf(stderr, "two writers: %zu faulting pages in %.1f ms, %.2f us each\n",
		faults, busy * 1e3, busy * 1e6 / (double)faults);
	pw_watch_stop(w);
	t_unmap(m, N);
}

/* Writes a counter into every page, in order, until told to stop; the
 * last value written goes back in *arg. */
static void *churn_writer(void *arg)
{
	long v = 0;
	size_t p = 0;

	while (!atomic_load(&stop_churn)) {
		v++;
		((volatile long *)(m + p * PAGE))[1] = v;
		p = (p + 1) % 16;
	}
	*(long *)arg = v;
	return NULL;
}

static void start_stop(void)
{
	void *pages[16];
	pthread_t th;
	long last = 0, seen = 0;
	size_t n, p;
	int i, fails = 0;

	m = t_map(16);
	pthread_create(&th, NULL, churn_writer, &last);
	for (i = 0; i < CYCLES; i++) {
		if (pw_watch_start(&w, m, 16 * PAGE, PW_BACKEND_MPROTECT)) {
			fails++;
			continue;
		}
		sched_yield();
		n = 16;
		fails += pw_watch_get(w, m, 16 * PAGE, PW_WATCH_RESET, pages, &n) != 0;
		pw_watch_stop(w);
	}
	atomic_store(&stop_churn, 1);
	pthread_join(th, NULL);
	CHECK_EQ(fails, 0);
	for (p = 0; p < 16; p++)
		if (((long *)(m + p * PAGE))[1] > seen)
			seen = ((long *)(m + p * PAGE))[1];
	CHECK(seen == last && last > CYCLES, "last write %ld, memory holds %ld", last, seen);
	t_unmap(m, 16);
}

int main(void)
{
	rounds();
	start_stop();
	t_done();
}
