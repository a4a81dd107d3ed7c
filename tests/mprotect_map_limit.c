/* SPDX-License-Identifier: MIT */
/*
 * vm.max_map_count on the mprotect backend, simulated with the knob
 * PAGEWATCH_MAX_MAP_COUNT (it can only lower the real limit):
 *  - pw_watch_start is -ENOMEM when protecting the range could exceed it;
 *  - scattered writes never take the mapping count over it: when the
 *    budget is spent the watch falls back to whole-watch granularity, the
 *    next get or reset is -ENOMEM once, and then every page is reported,
 *    so no write is lost;
 *  - collecting (get with reset, or reset) brings back page granularity.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define N 128
#define RESERVE 8	/* the backend's spare mappings */
#define K 8		/* isolated pages the simulated limit leaves room for */

/* Mappings of this process, counted without allocating (a new heap
 * mapping would change the count). */
static long maps_now(void)
{
	static char buf[1 << 16];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	long n = 0;
	ssize_t r, i;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

static void set_limit(long limit)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", limit);
	setenv("PAGEWATCH_MAX_MAP_COUNT", v, 1);
}

static void poke(char *p, char v)
{
	*(volatile char *)p = v;
}

static void start_refused(void)
{
	char *m = t_map(4);
	struct pw_watch *w;

	set_limit(maps_now() + 1);
	CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_MPROTECT), -ENOMEM);
	CHECK(w == NULL, "no watch on failure");
	poke(m + PAGE, 1);	/* left writable */
	t_unmap(m, 4);
}

/* Write every other page of the first 64: isolated pages, each one a
 * split.  The mapping count must stay under the limit throughout. */
static void scatter(char *m, long limit, char v)
{
	long worst = 0, c;
	size_t i;

	for (i = 0; i < 64; i += 2) {
		poke(m + i * PAGE + 7, (char)(v + i));
		c = maps_now();
		if (c > worst)
			worst = c;
	}
	CHECK(worst <= limit, "%ld mappings, over the limit of %ld", worst, limit);
}

static void check_contents(const char *m, char v)
{
	size_t i;

	for (i = 0; i < 64; i += 2)
		CHECK(m[i * PAGE + 7] == (char)(v + i), "page %zu lost its write", i);
}

static void fallback(void)
{
	char *base = t_map(N + 2), *m = base + PAGE;
	struct pw_watch *w;
	void *pages[N];
	size_t n, i;
	long limit;

	limit = maps_now() + 2 + RESERVE + 2 * K;
	set_limit(limit);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	scatter(m, limit, 10);

	/* -ENOMEM once, for a plain get too; nothing reported by it (and,
	 * as after any error, *count as it was). */
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), -ENOMEM);
	CHECK_EQ(n, N);
	/* Then every page: the written ones are among them. */
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, N);
	for (i = 0; i < n; i++)
		CHECK(pages[i] == m + i * PAGE, "page %zu is %p", i, pages[i]);
	check_contents(m, 10);

	/* Collecting everything brings page granularity back. */
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK_EQ(n, N);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, 0);
	poke(m + 3 * PAGE, 1);
	poke(m + 77 * PAGE, 1);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 2 && pages[0] == m + 3 * PAGE && pages[1] == m + 77 * PAGE,
	      "page granularity after collecting: %zu pages", n);

	/* Again, recovered with pw_watch_reset this time. */
	scatter(m, limit, 20);
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), -ENOMEM);
	n = N;
	CHECK_EQ(pw_watch_get(w, m + 64 * PAGE, 64 * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, 64);	/* even pages never written are reported */
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, 0);
	check_contents(m, 20);
	poke(m + 5 * PAGE, 1);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 5 * PAGE, "page granularity after reset");

	pw_watch_stop(w);
	poke(m, 1);
	t_unmap(base, N + 2);
}

/* Under the limit nothing falls back. */
static void within(void)
{
	char *m = t_map(N);
	struct pw_watch *w;
	void *pages[N];
	size_t n = N;
	long limit;

	limit = maps_now() + 2 + RESERVE + 2 * 40;
	set_limit(limit);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	scatter(m, limit, 30);
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK_EQ(n, 32);
	check_contents(m, 30);
	pw_watch_stop(w);
	t_unmap(m, N);
}

int main(void)
{
	start_refused();
	fallback();
	within();
	t_done();
}
