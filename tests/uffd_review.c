/* SPDX-License-Identifier: MIT */
/*
 * Regressions from a review of the uffd backends:
 *
 * heap:    a uffd-sync watch over malloc's heap, on the pre-fault path
 *          (PAGEWATCH_UFFD_PREFAULT=1, the default before 6.4): get and
 *          reset must not allocate or read /proc/self/maps while they hold
 *          the watch's lock, since a write to a protected heap page waits
 *          for the handler, which waits for that lock.
 * stop:    the uffd-sync handler is never parked by a stop of the world
 *          (the soft-dirty backend's): the stopping thread may write to a
 *          page the watch protects and must be let go on; the handler
 *          blocks every signal; a full exemption table fails the start
 *          cleanly.  With soft-dirty (6.1 under make check-qemu): its
 *          get(RESET) beside a uffd-sync watch over its own heap state,
 *          and beside a busy one.
 * partial: part of the watched range unmapped and mapped again: get with
 *          reset returns the pages it had already cleaned in the intact
 *          part (successfully) and the error comes with the next call.
 *          And a range split into mappings after the start still works.
 *
 * A hang is a failure: alarm() ends the test, through a thread kept free
 * to take the signal while the others are stuck.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "testlib.h"

#define HEAP_LEN ((size_t)2 << 20)
#define MAXPG 1024

static const char *phase = "start";

static void on_alarm(int sig)
{
	static const char msg[] = "watchdog: no progress, a deadlock in phase ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, phase, strlen(phase)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void watchdog(void)
{
	struct sigaction sa;
	pthread_t th;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	pthread_create(&th, NULL, idle, NULL);
	pthread_detach(th);
}

static void arm_watchdog(const char *what, unsigned seconds)
{
	phase = what;
	alarm(seconds);
}

static bool in(const void *p, const char *a, size_t len)
{
	return (const char *)p >= a && (const char *)p < a + len;
}

static bool reported(void *const *pages, size_t n, const void *page)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pages[i] == page)
			return true;
	return false;
}

/* ---- heap ---- */

static char *heap_range;		/* the watched part of [heap] */
static char *hot;			/* a heap block the scribbler writes */
static atomic_int quit;

static void *scribble(void *arg)
{
	unsigned v = 0;

	(void)arg;
	while (!atomic_load(&quit))
		memset(hot, (int)(v++ & 0xff), 3 * PAGE);
	return NULL;
}

/* A free stretch at the top of the heap, where the next allocations
 * (ours, and the library's own) land. */
static char *heap_top(void)
{
	volatile uintptr_t top;	/* read before the free */
	char *p;

	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	p = malloc(4 * HEAP_LEN);
	if (!p)
		t_skip("no heap");
	memset(p, 1, 4 * HEAP_LEN);
	top = ((uintptr_t)p + PAGE - 1) & ~(PAGE - 1);
	free(p);
	return (char *)top;
}

static void heap_round(struct pw_watch *w, int prefault)
{
	void **pages = malloc(MAXPG * sizeof(void *));	/* on the heap too */
	char *q;
	size_t n;
	int i, r;

	for (i = 0; i < 40; i++) {
		q = malloc(20 * PAGE);
		CHECK(q != NULL, "malloc");
		if (!q || !pages)
			break;
		memset(q, i, 20 * PAGE);
		n = MAXPG;
		r = pw_watch_get(w, heap_range, HEAP_LEN, PW_WATCH_RESET, pages, &n);
		CHECK(r == 0, "prefault %d round %d: get(RESET) = %d", prefault, i, r);
		if (in(q + 10 * PAGE, heap_range, HEAP_LEN))
			CHECK(reported(pages, n, (void *)((uintptr_t)(q + 10 * PAGE) & ~(PAGE - 1))),
			      "prefault %d round %d: a written heap page not reported", prefault, i);
		r = pw_watch_reset(w, heap_range, HEAP_LEN);
		CHECK(r == 0, "prefault %d round %d: reset = %d", prefault, i, r);
		free(q);
	}
	free(pages);
}

static void heap(char *top)
{
	struct pw_watch *w;
	pthread_t th;
	int prefault, r, inside = 0;

	heap_range = top;
	for (prefault = 1; prefault >= 0; prefault--) {
		arm_watchdog(prefault ? "heap (prefault)" : "heap", 60);
		if (prefault)
			setenv("PAGEWATCH_UFFD_PREFAULT", "1", 1);
		else
			unsetenv("PAGEWATCH_UFFD_PREFAULT");
		r = pw_watch_start(&w, heap_range, HEAP_LEN, PW_BACKEND_UFFD_SYNC);
		CHECK(r == 0, "uffd-sync start on [heap]: %d", r);
		if (r)
			break;
		hot = malloc(4 * PAGE);
		inside += in(hot, heap_range, HEAP_LEN);
		atomic_store(&quit, 0);
		pthread_create(&th, NULL, scribble, NULL);
		heap_round(w, prefault);
		atomic_store(&quit, 1);
		pthread_join(th, NULL);
		free(hot);
		pw_watch_stop(w);
		alarm(0);
	}
	unsetenv("PAGEWATCH_UFFD_PREFAULT");
	/* Not a failure (another allocator), but then this proves little. */
	if (!inside)
		fprintf(stderr, "note: the heap blocks were not in the watched range\n");
}

/* ---- stop ---- */

/* The thread stopping the world writes to a protected page. */
static void stop_and_write(void)
{
	struct pw_watch *w;
	void *pages[4];
	size_t n = 4;
	char *m = t_map(4);
	int r;

	CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_UFFD_SYNC), 0);
	arm_watchdog("write with the world stopped", 60);
	r = pw_world_stop();
	CHECK(r == 0, "pw_world_stop beside a uffd-sync handler: %d", r);
	m[PAGE] = 1;			/* resolved by the handler, or a hang */
	if (!r)
		pw_world_resume();
	alarm(0);
	CHECK_EQ(pw_watch_get(w, m, 4 * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + PAGE, "page 1 not reported");
	pw_watch_stop(w);
	t_unmap(m, 4);
}

/* No room in the exemption table: the start fails, leaving nothing. */
static void exempt_full(void)
{
	struct pw_watch *w;
	char *m = t_map(4);
	int taken = 0, r;

	while (pw_world_exempt_self() == 0)
		taken++;
	r = pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_UFFD_SYNC);
	CHECK(r == -ENOSPC, "start with the exemption table full: %d", r);
	if (!r)
		pw_watch_stop(w);
	m[0] = 1;			/* not protected (a hang otherwise) */
	while (taken--)
		pw_world_unexempt_self();
	CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_UFFD_SYNC), 0);
	pw_watch_stop(w);
	t_unmap(m, 4);
}

static struct pw_watch *busy_w;
static char *busy_m;

static void *busy_writer(void *arg)
{
	unsigned s = 1;

	(void)arg;
	while (!atomic_load(&quit))
		busy_m[(rand_r(&s) % 64) * PAGE]++;
	return NULL;
}

static void *busy_getter(void *arg)
{
	void *pages[64];
	size_t n;

	(void)arg;
	while (!atomic_load(&quit)) {
		n = 64;
		pw_watch_get(busy_w, busy_m, 64 * PAGE, PW_WATCH_RESET, pages, &n);
	}
	return NULL;
}

/* Soft-dirty's get(RESET) parks the other threads: with a uffd-sync watch
 * over the heap where its state lies, and beside a busy one. */
static void soft_dirty(char *top)
{
	struct pw_watch *uw, *sw;
	pthread_t th[2];
	void *pages[MAXPG];
	size_t n;
	char *m = t_map(16);
	int r, i, eagain = 0;

	unsetenv("PAGEWATCH_UFFD_PREFAULT");
	arm_watchdog("soft-dirty beside uffd-sync on the heap", 120);
	CHECK_EQ(pw_watch_start(&uw, top, HEAP_LEN, PW_BACKEND_UFFD_SYNC), 0);
	r = pw_watch_start(&sw, m, 16 * PAGE, PW_BACKEND_SOFT_DIRTY);
	if (r) {
		fprintf(stderr, "soft-dirty part skipped: start %d\n", r);
		pw_watch_stop(uw);
		alarm(0);
		t_unmap(m, 16);
		return;
	}
	n = MAXPG;	/* the heap pages clean, protected again */
	CHECK_EQ(pw_watch_get(uw, top, HEAP_LEN, PW_WATCH_RESET, pages, &n), 0);
	for (i = 0; i < 20; i++) {
		m[i % 16 * PAGE] = 1;
		n = 16;
		r = pw_watch_get(sw, m, 16 * PAGE, PW_WATCH_RESET, pages, &n);
		CHECK(r == 0 && n >= 1, "soft-dirty get(RESET) = %d, %zu pages", r, n);
		n = MAXPG;
		CHECK_EQ(pw_watch_get(uw, top, HEAP_LEN, PW_WATCH_RESET, pages, &n), 0);
	}
	pw_watch_stop(uw);

	arm_watchdog("soft-dirty beside a busy uffd-sync watch", 300);
	busy_m = t_map(64);
	CHECK_EQ(pw_watch_start(&busy_w, busy_m, 64 * PAGE, PW_BACKEND_UFFD_SYNC), 0);
	atomic_store(&quit, 0);
	pthread_create(&th[0], NULL, busy_writer, NULL);
	pthread_create(&th[1], NULL, busy_getter, NULL);
	for (i = 0; i < 50; i++) {
		m[0] = 1;
		n = 16;
		r = pw_watch_get(sw, m, 16 * PAGE, PW_WATCH_RESET, pages, &n);
		eagain += r == -EAGAIN;
		CHECK(r == 0 || r == -EAGAIN, "soft-dirty get(RESET) = %d", r);
	}
	atomic_store(&quit, 1);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	CHECK(eagain == 0, "%d of 50 soft-dirty get(RESET) could not stop the world", eagain);
	pw_watch_stop(busy_w);
	pw_watch_stop(sw);
	alarm(0);
	t_unmap(busy_m, 64);
	t_unmap(m, 16);
}

/* ---- partial ---- */

#define PN 1024

static void partial(const struct t_uffd_cfg *c)
{
	void *pages[PN];
	struct pw_watch *w;
	size_t n;
	char *m = t_map_small(PN);
	int r;

	r = t_uffd_start(&w, m, PN * PAGE, c);
	if (r == -EOPNOTSUPP) {
		fprintf(stderr, "%s: not here\n", c->name);
		t_unmap(m, PN);
		return;
	}
	CHECK(r == 0, "%s: start %d", c->name, r);
	if (r)
		return;
	arm_watchdog(c->name, 60);
	m[2 * PAGE] = 1;
	m[3 * PAGE] = 1;
	m[590 * PAGE] = 1;
	m[900 * PAGE] = 1;
	/* The application replaces pages 600..615: no longer registered. */
	CHECK(mmap(m + 600 * PAGE, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED, "mmap");

	/* What was cleaned before the broken part is returned, without error. */
	n = PN;
	r = pw_watch_get(w, m, PN * PAGE, PW_WATCH_RESET, pages, &n);
	CHECK(r == 0, "%s: get(RESET) over the broken range = %d", c->name, r);
	CHECK(n == 3, "%s: %zu pages returned, expected 3", c->name, n);
	CHECK(n == 3 && pages[0] == m + 2 * PAGE && pages[1] == m + 3 * PAGE &&
	      pages[2] == m + 590 * PAGE, "%s: wrong pages", c->name);

	/* The error comes with the next call, *count as it was. */
	n = PN;
	r = pw_watch_get(w, m, PN * PAGE, PW_WATCH_RESET, pages, &n);
	CHECK(r == -EPERM, "%s: the next get = %d, expected -EPERM", c->name, r);
	CHECK_EQ(n, PN);

	/* The intact parts: cleaned pages stay clean, others not lost, and
	 * new writes are seen. */
	n = PN;
	CHECK_EQ(pw_watch_get(w, m, 600 * PAGE, 0, pages, &n), 0);
	CHECK(n == 0, "%s: %zu pages written in [0, 600) after the reset", c->name, n);
	m[5 * PAGE] = 1;
	n = PN;
	CHECK_EQ(pw_watch_get(w, m, 600 * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 5 * PAGE, "%s: %zu pages, expected page 5", c->name, n);
	n = PN;
	CHECK_EQ(pw_watch_get(w, m + 616 * PAGE, (PN - 616) * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 900 * PAGE, "%s: %zu pages, expected page 900", c->name, n);

	/* Nothing cleaned at all: the error at once. */
	n = PN;
	r = pw_watch_get(w, m + 599 * PAGE, 17 * PAGE, PW_WATCH_RESET, pages, &n);
	CHECK(r == -EPERM, "%s: get(RESET) of the broken part alone = %d", c->name, r);
	CHECK_EQ(n, PN);
	alarm(0);
	pw_watch_stop(w);
	t_unmap(m, PN);
}

/* The range split into three mappings after the start (the mapping list
 * read then is out of date: 6.1 protects one mapping per call): runs of
 * written pages across the new boundaries are cleaned and returned. */
static void split(const struct t_uffd_cfg *c)
{
	static const size_t wr[] = { 19, 20, 21, 39, 40 };
	void *pages[64];
	struct pw_watch *w;
	size_t n, i;
	char *m = t_map_small(64);
	int r;

	r = t_uffd_start(&w, m, 64 * PAGE, c);
	if (r) {
		CHECK(r == -EOPNOTSUPP, "%s: start %d", c->name, r);
		t_unmap(m, 64);
		return;
	}
	arm_watchdog(c->name, 60);
	CHECK_EQ(madvise(m + 20 * PAGE, 20 * PAGE, MADV_DONTFORK), 0);
	for (i = 0; i < T_N(wr); i++)
		m[wr[i] * PAGE] = 1;
	n = 64;
	r = pw_watch_get(w, m, 64 * PAGE, PW_WATCH_RESET, pages, &n);
	CHECK(r == 0, "%s: get(RESET) across the split = %d", c->name, r);
	CHECK(n == T_N(wr), "%s: %zu pages, expected %zu", c->name, n, T_N(wr));
	for (i = 0; i < n && i < T_N(wr); i++)
		CHECK(pages[i] == m + wr[i] * PAGE, "%s: page %zu", c->name, i);
	n = 64;
	CHECK_EQ(pw_watch_get(w, m, 64 * PAGE, 0, pages, &n), 0);
	CHECK(n == 0, "%s: %zu pages written after the reset", c->name, n);
	m[40 * PAGE] = 2;
	CHECK_EQ(pw_watch_reset(w, m, 64 * PAGE), 0);
	m[39 * PAGE] = 2;
	n = 64;
	CHECK_EQ(pw_watch_get(w, m, 64 * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 39 * PAGE, "%s: %zu pages, expected page 39", c->name, n);
	alarm(0);
	pw_watch_stop(w);
	t_unmap(m, 64);
}

int main(void)
{
	struct pw_watch *w;
	char *top, *m;
	size_t i;

	/* Before anything else allocates: the top of a fresh heap. */
	top = heap_top();
	watchdog();
	m = t_map(1);
	if (pw_watch_start(&w, m, PAGE, PW_BACKEND_UFFD_SYNC) == 0) {
		pw_watch_stop(w);
		if (t_under_sanitizer("address") || t_under_sanitizer("thread"))
			fprintf(stderr, "heap part skipped: the sanitizer's allocator\n");
		else
			heap(top);
		/* ThreadSanitizer's background thread blocks every signal:
		 * no stop of the world can park it (-EAGAIN, as designed). */
		if (!t_under_sanitizer("thread"))
			stop_and_write();
		exempt_full();
		if (!t_under_sanitizer("address") && !t_under_sanitizer("thread"))
			soft_dirty(top);
	} else {
		fprintf(stderr, "uffd-sync is not available here\n");
	}
	t_unmap(m, 1);
	for (i = 0; i < T_N(t_uffd_cfgs); i++) {
		split(&t_uffd_cfgs[i]);
		partial(&t_uffd_cfgs[i]);
	}
	t_done();
}
