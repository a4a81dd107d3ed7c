/* SPDX-License-Identifier: MIT */
/*
 * A signal handler writing during a restore loses nothing.  The process
 * has one thread, so the restore skips comparing pages with the snapshot;
 * that is exact only if no handler can run on the thread between the copy
 * of a page and the collection that cleans it.  A timer fires every few
 * tens of microseconds during the restore of many batches, and its handler
 * writes each time to another page, chosen at random, each at most once
 * per restore.  Afterwards every page that differs from the snapshot must
 * be reported written, else no later restore would put it back.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define N 8192			/* 16 batches of the restore */
#define OFF 2048		/* not a page's first bytes, which memcpy may store last */

static char *m;
static size_t order[N];		/* the pages the handler writes, in turn */
static volatile sig_atomic_t armed;
static volatile size_t next;
static volatile long fired;

static void on_timer(int sig)
{
	(void)sig;
	if (!armed || next == N)
		return;
	m[order[next++] * PAGE + OFF] = 1;
	fired++;
}

static timer_t start_timer(long period_ns)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	struct itimerspec its = { .it_interval = { 0, period_ns }, .it_value = { 0, period_ns } };
	struct sigaction sa;
	timer_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) || timer_settime(t, 0, &its, NULL))
		t_skip("no POSIX timer");
	return t;
}

static void shuffle(unsigned *seed)
{
	size_t i, j, t;

	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		j = t_rnd(seed) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* Pages holding the handler's byte that the watch does not report. */
static long unreported(struct pw_watch *w, void **pages, unsigned char *seen)
{
	size_t n = t_written(w, m, N * PAGE, pages, N), k;
	long lost = 0;

	memset(seen, 0, N);
	for (k = 0; k < n; k++)
		seen[((char *)pages[k] - m) / PAGE] = 1;
	for (k = 0; k < N; k++)
		lost += m[k * PAGE + OFF] && !seen[k];
	return lost;
}

int main(void)
{
	void **pages = malloc(N * sizeof(void *));
	unsigned char *seen = malloc(N);
	long long t0 = t_now_ns();
	struct pw_snapshot *snap;
	long rounds = 0, lost = 0, r;
	struct pw_watch *w;
	unsigned seed = 7;
	timer_t timer;
	size_t p;

	m = t_map(N);
	memset(m, 0, N * PAGE);
	w = t_watch(m, N * PAGE);
	if (pw_watch_backend(w) == PW_BACKEND_MPROTECT)
		t_skip_under_sanitizer("thread", "TSan runs an asynchronous signal's handler with "
				       "SIGSEGV blocked, so the write fault mprotect traps there "
				       "kills the process");
	CHECK_EQ(pw_snapshot_take(w, &snap), 0);
	timer = start_timer(30000);
	do {
		for (p = 0; p < N; p++)
			m[p * PAGE] = 1;
		shuffle(&seed);
		next = 0;
		armed = 1;
		r = pw_snapshot_restore(snap);
		armed = 0;
		CHECK(r > 0, "restore: %ld", r);
		lost += unreported(w, pages, seen);
		CHECK(pw_snapshot_restore(snap) >= 0, "repair");
		for (p = 0; p < N; p++)
			CHECK(!m[p * PAGE + OFF], "page %zu not repaired", p);
		rounds++;
	} while (t_now_ns() - t0 < 1500000000LL && !t_failures);
	timer_delete(timer);
	fprintf(stderr, "%s: %ld rounds, %ld handler writes, %ld lost\n",
		pw_backend_name(pw_watch_backend(w)), rounds, (long)fired, lost);
	CHECK_EQ(lost, 0);
	CHECK(fired > 10, "the timer did not fire");
	pw_snapshot_free(snap);
	pw_watch_stop(w);
	free(pages);
	free(seen);
	t_done();
}
