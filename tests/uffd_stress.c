/* SPDX-License-Identifier: MIT */
/*
 * No lost writes on the uffd backends, under more pressure than
 * watch_stress: two threads store words, some of them straddling two
 * pages; a third has the kernel write (read() from a pipe) into the range
 * and now and then drops a page (MADV_DONTNEED: it reads as zeros after);
 * half the range was never touched before the watch.  The collector loops
 * over random sub-ranges with get-with-reset and small random *count, and
 * now and then resets a sub-range and then copies it whole (the snapshot
 * order).  Every page it is told about goes into a replica; at the end the
 * replica must equal memory.  Runs uffd-async, uffd-sync and uffd-sync's
 * prefault path, PW_STRESS_SECONDS each (default 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define N 256
#define MAXBATCH 17

struct cfg {
	enum pw_backend be;
	int prefault;
	const char *name;
};

static const struct cfg cfgs[] = {
	{ PW_BACKEND_UFFD_ASYNC, 0, "uffd-async" },
	{ PW_BACKEND_UFFD_SYNC, 0, "uffd-sync" },
	{ PW_BACKEND_UFFD_SYNC, 1, "uffd-sync prefault" },
};

static char *mem, *replica;
static struct pw_watch *watch;
static atomic_int stop_writers;
static atomic_long writes;

static void *writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	uint64_t v;
	long n = 0;

	while (!atomic_load_explicit(&stop_writers, memory_order_relaxed)) {
		size_t page = (size_t)rand_r(&seed) % N, off;

		v = ((uint64_t)seed << 24) ^ (uint64_t)n;
		if (n % 5 == 0 && page + 1 < N) {
			off = page * PAGE + PAGE - 4;	/* 8 bytes over an edge */
			t_racy_begin();
			memcpy(mem + off, &v, sizeof(v));
			t_racy_end();
		} else {
			off = ((size_t)rand_r(&seed) % (PAGE / 8)) * 8;
			t_racy_store64(mem + page * PAGE + off, v);
		}
		n++;
	}
	atomic_fetch_add(&writes, n);
	return NULL;
}

static void *kernel_writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	char buf[24];
	ssize_t got;
	int fds[2];
	long n = 0;

	if (pipe(fds))
		return NULL;
	while (!atomic_load_explicit(&stop_writers, memory_order_relaxed)) {
		size_t off = (size_t)rand_r(&seed) % (N * PAGE - sizeof(buf));

		/* Now and then drop a page: it reads as zeros afterwards,
		 * a change the replica must see too. */
		if (n % 64 == 63 &&
		    madvise(mem + off / PAGE * PAGE, PAGE, MADV_DONTNEED)) {
			fprintf(stderr, "madvise: %s\n", strerror(errno));
			t_failures++;
			break;
		}
		memset(buf, (int)(n & 0x7f) + 1, sizeof(buf));
		if (write(fds[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			got = -1;
		} else {
			t_racy_begin();		/* the kernel writes */
			got = read(fds[0], mem + off, sizeof(buf));
			t_racy_end();
		}
		if (got != (ssize_t)sizeof(buf)) {
			fprintf(stderr, "kernel writer: %s\n", strerror(errno));
			t_failures++;
			break;
		}
		n++;
	}
	close(fds[0]);
	close(fds[1]);
	atomic_fetch_add(&writes, n);
	return NULL;
}

/* get-with-reset over [from, to) pages, batch pages at a time. */
static long collect(size_t from, size_t to, size_t batch)
{
	void *pages[MAXBATCH];
	char *cursor = mem + from * PAGE, *end = mem + to * PAGE;
	long total = 0;

	while (cursor < end) {
		size_t n = batch, i;
		int r = pw_watch_get(watch, cursor, (size_t)(end - cursor), PW_WATCH_RESET,
				     pages, &n);

		if (r) {
			fprintf(stderr, "pw_watch_get: %d\n", r);
			t_failures++;
			return total;
		}
		for (i = 0; i < n; i++)
			t_racy_copy(replica + ((char *)pages[i] - mem), pages[i], PAGE);
		total += (long)n;
		if (n < batch)
			break;
		cursor = (char *)pages[n - 1] + PAGE;
	}
	return total;
}

/* Reset first, then copy: what is written during the copy is reported. */
static void reset_and_copy(size_t from, size_t to)
{
	int r = pw_watch_reset(watch, mem + from * PAGE, (to - from) * PAGE);

	if (r) {
		fprintf(stderr, "pw_watch_reset: %d\n", r);
		t_failures++;
		return;
	}
	t_racy_copy(replica + from * PAGE, mem + from * PAGE, (to - from) * PAGE);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void run(const struct cfg *c, double seconds)
{
	pthread_t th[3];
	struct timespec t0;
	long passes = 0, copied = 0;
	unsigned seed = 7;
	size_t i, bad = 0;
	int failures = t_failures;

	mem = t_map(N);
	for (i = 0; i < N * PAGE / 2; i++)
		mem[i] = (char)i;		/* [N/2, N) never touched */
	memcpy(replica, mem, N * PAGE);
	if (c->prefault)
		setenv("PAGEWATCH_UFFD_PREFAULT", "1", 1);
	else
		unsetenv("PAGEWATCH_UFFD_PREFAULT");
	CHECK_EQ(pw_watch_start(&watch, mem, N * PAGE, c->be), 0);
	atomic_store(&stop_writers, 0);
	atomic_store(&writes, 0);
	pthread_create(&th[0], NULL, writer, (void *)1);
	pthread_create(&th[1], NULL, writer, (void *)2);
	pthread_create(&th[2], NULL, kernel_writer, (void *)3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		size_t a = (size_t)rand_r(&seed) % N, b = (size_t)rand_r(&seed) % N;
		size_t from = a < b ? a : b, to = (a < b ? b : a) + 1;

		if (passes % 50 == 49)
			reset_and_copy(from, to);
		else
			copied += collect(from, to, 1 + (size_t)rand_r(&seed) % MAXBATCH);
		passes++;
	} while (seconds_since(&t0) < seconds && t_failures == failures);
	atomic_store(&stop_writers, 1);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	copied += collect(0, N, MAXBATCH);

	for (i = 0; i < N; i++)
		if (memcmp(replica + i * PAGE, mem + i * PAGE, PAGE))
			bad++;
	fprintf(stderr, "%s: %ld writes, %ld passes, %ld pages copied, %zu pages differ\n",
		c->name, atomic_load(&writes), passes, copied, bad);
	CHECK_EQ(bad, 0);
	CHECK(passes > 10 && atomic_load(&writes) > 1000, "%s: the stress did not run", c->name);
	pw_watch_stop(watch);
	t_unmap(mem, N);
}

int main(void)
{
	const char *env = getenv("PW_STRESS_SECONDS");
	double seconds = env ? atof(env) : 1.0;
	struct pw_watch *w;
	size_t i, ran = 0;
	char *m = t_map(1);

	replica = malloc(N * PAGE);
	if (!replica)
		t_skip("out of memory");
	for (i = 0; i < T_N(cfgs); i++) {
		if (cfgs[i].prefault)
			setenv("PAGEWATCH_UFFD_PREFAULT", "1", 1);
		if (pw_watch_start(&w, m, PAGE, cfgs[i].be)) {
			fprintf(stderr, "%s: not available here\n", cfgs[i].name);
			continue;
		}
		pw_watch_stop(w);
		run(&cfgs[i], seconds);
		ran++;
	}
	if (!ran)
		t_skip("no uffd write-watch backend on this kernel");
	t_done();
}
