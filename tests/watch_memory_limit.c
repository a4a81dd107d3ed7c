/* SPDX-License-Identifier: MIT */
/*
 * Out of memory while watching: every call says -ENOMEM (or succeeds), and
 * no state is lost.  Run once per write-watch backend (PAGEWATCH_BACKEND).
 *
 * How memory runs out: in a child, RLIMIT_AS is set a little above what the
 * child maps, and the rest is then filled with PROT_NONE reservations until
 * mmap says ENOMEM.  That makes every allocation fail (mmap, malloc's arenas,
 * a thread's stack) deterministically and costs no memory at all: safe on
 * any machine, unlike a memory cgroup, where running out means the OOM
 * killer rather than an error to report.
 *
 * With the address space full: pw_snapshot_take (which copies the range),
 * pw_watch_get with and without reset and pw_watch_reset each return 0 or
 * -ENOMEM, nothing else.  pw_watch_start of a second range and
 * pw_snapshot_take are then tried with one more page of room each time,
 * so that each allocation they make fails in turn: -ENOMEM (uffd-sync's
 * handler thread: -EAGAIN, as documented) until they succeed, and after
 * each failure the pages written before are all still reported (a failed
 * call reset nothing).  Then snapshots, restores and the second watch
 * work as always.
 *
 * Sanitizers reserve terabytes of address space and abort on a failed
 * allocation of their own: the test skips under ASan and TSan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N		32		/* pages watched */
#define HEADROOM	(8UL << 20)	/* the limit, above what is mapped */
#define MAX_FILL	4096

static void *fill[MAX_FILL];
static size_t fill_len[MAX_FILL], nfill;
static void *heap_fill;		/* malloc's free space, used up: a list */

static const size_t written[] = { 1, 5, 9, 30 };

/* The child's mapped size, from /proc/self/statm (in pages). */
static unsigned long mapped_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * PAGE;
}

/* Reserve address space until mmap fails: 1 MiB pieces, then pages; then
 * allocate until malloc fails. */
static void fill_address_space(void)
{
	size_t len;

	for (len = 1UL << 20; len >= PAGE; len /= 16) {
		while (nfill < MAX_FILL) {
			void *p = mmap(NULL, len, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (p == MAP_FAILED)
				break;
			fill[nfill] = p;
			fill_len[nfill++] = len;
		}
	}
	/* And what malloc has left in its arenas. */
	for (len = 4096; len >= sizeof(void *); len /= 2) {
		void **b;

		while ((b = malloc(len))) {
			*b = heap_fill;
			heap_fill = b;
		}
	}
}

/* One more page of room: the last page of the last reservation. */
static bool release_page(void)
{
	if (!nfill)
		return false;
	fill_len[nfill - 1] -= PAGE;
	munmap((char *)fill[nfill - 1] + fill_len[nfill - 1], PAGE);
	if (!fill_len[nfill - 1])
		nfill--;
	return true;
}

static void release(void)
{
	while (heap_fill) {
		void **b = heap_fill;

		heap_fill = *b;
		free(b);
	}
	while (nfill) {
		nfill--;
		munmap(fill[nfill], fill_len[nfill]);
	}
}

/* The written pages of the watch, without reset: exactly `written`, and
 * the page extra too unless it is -1. */
static void expect_written(struct pw_watch *w, char *m, long extra, const char *when)
{
	void *pages[N];
	size_t n = t_written(w, m, N * PAGE, pages, N), i, k = 0;
	bool want[N] = { false }, ok = true;

	for (i = 0; i < T_N(written); i++)
		want[written[i]] = true;
	if (extra >= 0)
		want[extra] = true;
	for (i = 0; i < N; i++) {
		if (!want[i])
			continue;
		ok = ok && k < n && pages[k] == m + i * PAGE;
		k++;
	}
	ok = ok && k == n;
	CHECK(ok, "%s: %zu pages reported written, %zu expected", when, n, k);
	for (i = 0; !ok && i < n; i++)
		fprintf(stderr, "  page %ld\n", (long)(((char *)pages[i] - m) / (long)PAGE));
}

static void check_enomem(int r, const char *what)
{
	CHECK(r == 0 || r == -ENOMEM, "%s with the address space full: %d (%s)", what, r,
	      strerror(-r));
}

/* The written pages when pw_watch_get can tell (it may say -ENOMEM). */
static void expect_written_if_possible(struct pw_watch *w, char *m, long extra,
				       const char *when)
{
	void *pages[N];
	size_t n = N;
	int r = pw_watch_get(w, m, N * PAGE, 0, pages, &n);

	check_enomem(r, "pw_watch_get");
	if (!r)
		expect_written(w, m, extra, when);
}

static int child(void)
{
	char *m = t_map(N), *m2 = t_map(N);
	struct pw_watch *w = t_watch(m, N * PAGE), *w2 = NULL;
	struct pw_snapshot *snap = NULL;
	struct rlimit rl;
	void *pages[N];
	size_t i, n, tries;
	long restored;
	int r;

	memset(m, 'a', N * PAGE);
	memset(m2, 'b', N * PAGE);
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	for (i = 0; i < T_N(written); i++)
		m[written[i] * PAGE] = 'w';
	expect_written(w, m, -1, "before the limit");

	rl.rlim_cur = rl.rlim_max = mapped_bytes() + HEADROOM;
	if (setrlimit(RLIMIT_AS, &rl))
		t_skip("setrlimit(RLIMIT_AS): %s", strerror(errno));
	fill_address_space();
	CHECK(nfill > 0, "nothing could be reserved under the limit");
	CHECK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	      MAP_FAILED, "the address space is not full");

	/* Full: a snapshot (a copy of the range) cannot be taken; get with
	 * and without reset, and reset, work or say -ENOMEM. */
	r = pw_snapshot_take(w, &snap);
	CHECK_EQ(r, -ENOMEM);
	if (!r)
		pw_snapshot_free(snap);
	snap = NULL;
	n = N;
	r = pw_watch_get(w, m, N * PAGE, 0, pages, &n);
	check_enomem(r, "pw_watch_get");
	fprintf(stderr, "full: pw_watch_get %d", r);
	n = 2;
	r = pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n);
	check_enomem(r, "pw_watch_get with reset");
	fprintf(stderr, ", with reset %d", r);
	if (!r) {
		/* Those two were reported, and are clean now: write them
		 * again so that the set to expect stays the same. */
		CHECK_EQ(n, 2);
		for (i = 0; i < n; i++)
			*(volatile char *)pages[i] = 'w';
	}
	r = pw_watch_reset(w, m + (N - 1) * PAGE, PAGE);	/* a page never written */
	check_enomem(r, "pw_watch_reset");
	fprintf(stderr, ", pw_watch_reset %d\n", r);
	/* A write while the address space is full is tracked too. */
	m[12 * PAGE] = 'x';

	/* A second watch, with room for one more page each time: every
	 * allocation it makes fails in turn, and says -ENOMEM -- or, for
	 * uffd-sync's handler thread (its stack), -EAGAIN, as
	 * pw_watch_start(3) documents. */
	for (tries = 1; (r = pw_watch_start(&w2, m2, N * PAGE, PW_BACKEND_AUTO)); tries++) {
		bool thread = r == -EAGAIN && pw_watch_backend(w) == PW_BACKEND_UFFD_SYNC;

		CHECK(r == -ENOMEM || thread, "pw_watch_start with %zu page(s) of room: %d (%s)",
		      tries - 1, r, strerror(-r));
		if ((r != -ENOMEM && !thread) || !release_page())
			break;
	}
	fprintf(stderr, "pw_watch_start: failed %zu time(s), then %d\n", tries - 1, r);
	if (!r)
		pw_watch_stop(w2);
	w2 = NULL;

	/* The same for a snapshot, from a full address space again; after
	 * each failure the watch still has every page it had. */
	fill_address_space();
	for (tries = 1; (r = pw_snapshot_take(w, &snap)); tries++) {
		CHECK(r == -ENOMEM, "pw_snapshot_take with %zu page(s) of room: %d (%s)",
		      tries - 1, r, strerror(-r));
		expect_written_if_possible(w, m, 12, "after a failed snapshot");
		if (r != -ENOMEM || !release_page())
			break;
	}
	fprintf(stderr, "pw_snapshot_take: -ENOMEM %zu time(s), then %d\n", tries - 1, r);

	release();
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_AS, &rl);

	/* The snapshot taken reset the watch; it restores what is written
	 * after it. */
	CHECK(snap != NULL, "no snapshot once there was room");
	if (snap) {
		n = N;
		CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
		CHECK_EQ(n, 0);
		m[3 * PAGE] = 'y';
		m[12 * PAGE] = 'y';
		restored = pw_snapshot_restore(snap);
		CHECK_EQ(restored, 2);
		CHECK(m[3 * PAGE] == 'a' && m[12 * PAGE] == 'x', "restore: %c %c",
		      m[3 * PAGE], m[12 * PAGE]);
		pw_snapshot_free(snap);
	}
	CHECK_EQ(pw_watch_start(&w2, m2, N * PAGE, PW_BACKEND_AUTO), 0);
	if (w2) {
		m2[PAGE] = 'z';
		n = N;
		CHECK_EQ(pw_watch_get(w2, m2, N * PAGE, 0, pages, &n), 0);
		CHECK(n == 1 && pages[0] == m2 + PAGE, "second watch: %zu pages", n);
		pw_watch_stop(w2);
	}
	pw_watch_stop(w);
	return t_failures ? 1 : 0;
}

int main(void)
{
	int st;
	pid_t pid;

	t_skip_under_sanitizer("address", "it reserves terabytes of shadow, and RLIMIT_AS "
			       "makes its own allocations fail");
	t_skip_under_sanitizer("thread", "it reserves terabytes of shadow, and RLIMIT_AS "
			       "makes its own allocations fail");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(child());
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "the child died of signal %d\n", WTERMSIG(st));
	return 1;
}
