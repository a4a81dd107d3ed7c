/* SPDX-License-Identifier: MIT */
/*
 * The mprotect backend on memory its own SIGSEGV handler depends on:
 *  - a watch over the whole [heap], where malloc'ed data lives (and where
 *    the backend's state once lived too: a write fault on it inside the
 *    handler killed the process): written blocks are reported, get and
 *    reset go round, malloc and free keep working -- in a child with a
 *    watchdog, so that a crash fails the test instead of ending it;
 *  - a range holding a stack (the main thread's, a thread's own, one of
 *    another thread), the calling thread's alternate signal stack, its
 *    errno, or the backend's own state: -EINVAL;
 *  - fork() while other threads fault and collect: every write the child
 *    makes is reported to the child (a step cut by the fork used to leave
 *    a writable page with a clear bit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "internal.h"
#include "testlib.h"

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(PAGE - 1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Exit status of a child run: 0 pass, 77 skip, else failed or killed. */
static void check_child(pid_t pid, const char *what)
{
	int st = 0;

	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st)) {
		CHECK(0, "%s: child killed by signal %d (%s)", what, WTERMSIG(st),
		      strsignal(WTERMSIG(st)));
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		fprintf(stderr, "%s: skipped in the child\n", what);
		return;
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", what, st);
}

/* ---- a watch over [heap] ---- */

#define NBLK 24
#define HEAP_ROUNDS 200

static bool heap_bounds(uintptr_t *lo, uintptr_t *hi)
{
	char line[512];
	unsigned long a, b;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &a, &b) == 2) {
			*lo = a;
			*hi = b;
			found = true;
		}
	fclose(f);
	return found;
}

static bool reported(void *const *pages, size_t n, uintptr_t page)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uintptr_t)pages[i] == page)
			return true;
	return false;
}

static _Noreturn void heap_child(void)
{
	char *blk[NBLK];
	size_t len[NBLK], i, n, npages, bad = 0, inside = 0;
	uintptr_t lo, hi, at[NBLK];
	struct pw_watch *w;
	void **pages;
	int r, round;

	alarm(30);	/* the watchdog: a hang is a failure too */
#ifdef __GLIBC__
	/* Keep every block in [heap], and the heap from shrinking under
	 * the watch. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
	for (i = 0; i < NBLK; i++) {
		len[i] = 512 + (i % 8) * 4096 + i * 100;
		blk[i] = malloc(len[i]);
		if (!blk[i])
			_exit(2);
		memset(blk[i], (int)i, len[i]);
	}
	if (!heap_bounds(&lo, &hi)) {
		fprintf(stderr, "no [heap] mapping\n");
		_exit(77);
	}
	npages = (hi - lo) / PAGE;
	pages = malloc(npages * sizeof(*pages));	/* in the heap, too */
	if (!pages)
		_exit(2);
	r = pw_watch_start(&w, (void *)lo, hi - lo, PW_BACKEND_MPROTECT);
	/* A static program keeps the main thread's TLS (errno, rseq) at the
	 * bottom of [heap]: that part is refused, watch what lies above. */
	while (r == -EINVAL && (uintptr_t)&errno >= lo && (uintptr_t)&errno < hi &&
	       lo < page_down((uintptr_t)&errno) + 8 * PAGE) {
		lo += PAGE;
		r = pw_watch_start(&w, (void *)lo, hi - lo, PW_BACKEND_MPROTECT);
	}
	if (r) {
		fprintf(stderr, "pw_watch_start over [heap] %#lx-%#lx: %s\n",
			(unsigned long)lo, (unsigned long)hi, strerror(-r));
		_exit(3);
	}
	for (i = 0; i < NBLK; i++)
		inside += (uintptr_t)blk[i] >= lo && (uintptr_t)blk[i] + len[i] <= hi;
	if (!inside) {
		pw_watch_stop(w);
		fprintf(stderr, "malloc does not use [heap] here\n");
		_exit(77);
	}
	for (round = 0; round < HEAP_ROUNDS; round++) {
		char *tmp;

		/* Some blocks written, one byte each, somewhere inside. */
		for (i = 0; i < NBLK; i++) {
			at[i] = 0;
			if ((i + (size_t)round) % 3)
				continue;
			at[i] = (uintptr_t)blk[i] + ((size_t)round * 131 + i * 17) % len[i];
			*(volatile char *)at[i] = (char)round;
		}
		/* malloc's own bookkeeping writes into watched pages. */
		tmp = malloc(64 + (size_t)round * 8);
		if (tmp)
			memset(tmp, 0x5a, 64);
		free(tmp);

		n = npages;
		if (round % 2)
			r = pw_watch_get(w, (void *)lo, hi - lo, PW_WATCH_RESET, pages, &n);
		else
			r = pw_watch_get(w, (void *)lo, hi - lo, 0, pages, &n);
		if (r) {
			fprintf(stderr, "round %d: get %s\n", round, strerror(-r));
			_exit(4);
		}
		for (i = 0; i < NBLK; i++) {
			if (!at[i] || at[i] < lo || at[i] >= hi)
				continue;
			if (!reported(pages, n, page_down(at[i])))
				bad++;
			if (*(volatile char *)at[i] != (char)round)
				bad++;
		}
		if (!(round % 2) && (r = pw_watch_reset(w, (void *)lo, hi - lo))) {
			fprintf(stderr, "round %d: reset %s\n", round, strerror(-r));
			_exit(5);
		}
	}
	pw_watch_stop(w);
	for (i = 0; i < NBLK; i++)
		free(blk[i]);
	free(pages);
	if (bad)
		fprintf(stderr, "[heap]: %zu written blocks not reported\n", bad);
	_exit(bad ? 1 : 0);
}

static void test_heap(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_skip("fork failed");
	if (pid == 0)
		heap_child();
	check_child(pid, "watch over [heap]");
}

/* ---- ranges the handler needs: -EINVAL ---- */

static int try_watch(uintptr_t start, size_t len)
{
	struct pw_watch *w;
	int r = pw_watch_start(&w, (void *)start, len, PW_BACKEND_MPROTECT);

	if (!r)
		pw_watch_stop(w);
	return r;
}

static uintptr_t main_frame;
static atomic_int thread_result = 1;

static void *stack_thread(void *arg)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);

	(void)arg;
	/* Its own stack, and the main thread's [stack] seen from here. */
	CHECK_EQ(try_watch(page_down(frame), PAGE), -EINVAL);
	CHECK_EQ(try_watch(page_down(frame) - 4 * PAGE, 8 * PAGE), -EINVAL);
	CHECK_EQ(try_watch(page_down(main_frame), PAGE), -EINVAL);
	atomic_store(&thread_result, 0);
	return NULL;
}

static void test_refused(void)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
	stack_t ss = { 0 }, old;
	struct pw_watch *w;
	pthread_t th;
	char *alt, *m;

	main_frame = frame;
	/* The main thread's stack: the page we run on, and one below. */
	CHECK_EQ(try_watch(page_down(frame), PAGE), -EINVAL);
	CHECK_EQ(try_watch(page_down(frame) - 16 * PAGE, 16 * PAGE), -EINVAL);

	/* A thread's own stack, and another thread's [stack]. */
	CHECK_EQ(pthread_create(&th, NULL, stack_thread, NULL), 0);
	pthread_join(th, NULL);
	CHECK_EQ(atomic_load(&thread_result), 0);

	/* This thread's errno (its TLS: an anonymous mapping, or [heap]). */
	CHECK_EQ(try_watch(page_down((uintptr_t)&errno), PAGE), -EINVAL);

	/* An alternate signal stack: refused while it is enabled. */
	alt = t_map(16);
	ss.ss_sp = alt;
	ss.ss_size = 16 * PAGE;
	CHECK_EQ(sigaltstack(&ss, &old), 0);
	CHECK_EQ(try_watch((uintptr_t)alt + 4 * PAGE, 4 * PAGE), -EINVAL);
	CHECK_EQ(sigaltstack(&old, NULL), 0);
	CHECK_EQ(try_watch((uintptr_t)alt + 4 * PAGE, 4 * PAGE), 0);
	t_unmap(alt, 16);

	/* The backend's own state: its pages are its own mapping, which a
	 * watch may not cover. */
	m = t_map(4);
	CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_MPROTECT), 0);
	if (w) {
		CHECK((uintptr_t)w->priv < (uintptr_t)m ||
		      (uintptr_t)w->priv >= (uintptr_t)m + 4 * PAGE, "state inside the watch");
		CHECK_EQ(try_watch(page_down((uintptr_t)w->priv), PAGE), -EINVAL);
		pw_watch_stop(w);
	}
	t_unmap(m, 4);
}

/* ---- fork() while other threads fault and collect ---- */

#define NF 64
#define FORK_SECONDS 3.0

static char *fm;
static struct pw_watch *fw;
static atomic_int fork_stop;

static void *fork_writer(void *arg)
{
	int i;

	(void)arg;
	while (!atomic_load(&fork_stop))
		for (i = 0; i < NF; i++)
			((volatile char *)fm)[i * PAGE + 1]++;
	return NULL;
}

static void *fork_getter(void *arg)
{
	void *pages[NF];
	size_t n;

	(void)arg;
	while (!atomic_load(&fork_stop)) {
		n = NF;
		pw_watch_get(fw, fm, NF * PAGE, PW_WATCH_RESET, pages, &n);
	}
	return NULL;
}

/* Write each page the child's watch calls clean; it must be reported. */
static int fork_child(void)
{
	void *pages[NF];
	char seen[NF] = { 0 };
	size_t n = NF, i, k;

	alarm(10);
	if (pw_watch_get(fw, fm, NF * PAGE, 0, pages, &n))
		return 2;
	for (k = 0; k < n; k++)
		seen[((char *)pages[k] - fm) / PAGE] = 1;
	for (i = 0; i < NF; i++) {
		if (seen[i])
			continue;
		fm[i * PAGE + 2] = 7;
		n = NF;
		if (pw_watch_get(fw, fm, NF * PAGE, 0, pages, &n))
			return 2;
		if (!reported(pages, n, (uintptr_t)fm + i * PAGE))
			return 10 + (int)i;
	}
	return 0;
}

static void test_fork_race(void)
{
	pthread_t t1, t2;
	long forks = 0, lost = 0, failed = 0;
	double end = now() + FORK_SECONDS;
	int st;
	pid_t pid;

	fm = t_map_small(NF);
	CHECK_EQ(pw_watch_start(&fw, fm, NF * PAGE, PW_BACKEND_MPROTECT), 0);
	if (!fw)
		return;
	pthread_create(&t1, NULL, fork_writer, NULL);
	pthread_create(&t2, NULL, fork_getter, NULL);
	while (now() < end) {
		pid = fork();
		if (pid < 0)
			break;
		if (pid == 0)
			_exit(fork_child());
		forks++;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
			failed++;
			continue;
		}
		if (WEXITSTATUS(st) >= 10) {
			if (!lost++)
				fprintf(stderr, "fork %ld: the child's write to page %d was never reported\n",
					forks, WEXITSTATUS(st) - 10);
		} else if (WEXITSTATUS(st)) {
			failed++;
		}
	}
	atomic_store(&fork_stop, 1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pw_watch_stop(fw);
	printf("fork race: %ld forks, %ld children lost a write, %ld failed\n", forks, lost, failed);
	CHECK(forks > 0, "no fork");
	CHECK_EQ(lost, 0);
	CHECK_EQ(failed, 0);
	t_unmap(fm, NF);
}

/* In a child as well: accepting one of those ranges kills the process. */
static void test_refused_in_child(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_skip("fork failed");
	if (pid == 0) {
		alarm(30);
		test_refused();
		_exit(t_failures ? 1 : 0);
	}
	check_child(pid, "ranges the handler needs");
}

int main(void)
{
	test_heap();
	test_refused_in_child();
	test_fork_race();
	t_done();
}
