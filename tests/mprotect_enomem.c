/* SPDX-License-Identifier: MIT */
/*
 * When mprotect itself fails (the kernel's vm.max_map_count reached before
 * the backend's estimate said so), the mprotect backend loses no write:
 *  - an un-protect failing in the handler: the whole watch is made
 *    writable and marked written, the next get is -ENOMEM once, then every
 *    page is reported, and collecting brings page granularity back;
 *  - a re-protect failing in get with reset: the pages are reported, stay
 *    marked (a write to them while still writable is not lost), and the
 *    next call is -ENOMEM once;
 *  - a reset failing: -ENOMEM, every page of the range marked written;
 *  - a stop failing to make the range writable: the watch lives on
 *    unseen, un-protecting on demand, until a later start retires it;
 *  - if not even the whole watch can be made writable, the write cannot
 *    happen: the process dies with SIGSEGV instead of losing it.
 * The test defines mprotect() to inject the failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 32

enum { OK, FAIL_PAGE_RW, FAIL_RO, FAIL_RW };
static atomic_int fail, calls;

int mprotect(void *addr, size_t len, int prot)
{
	int mode = atomic_load(&fail);

	atomic_fetch_add(&calls, 1);
	if ((mode == FAIL_PAGE_RW && prot & PROT_WRITE && len == PAGE) ||
	    (mode == FAIL_RO && !(prot & PROT_WRITE)) ||
	    (mode == FAIL_RW && prot & PROT_WRITE)) {
		errno = ENOMEM;
		return -1;
	}
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

static char *m;

static void poke(char *p, char v)
{
	*(volatile char *)p = v;
}

static size_t get(struct pw_watch *w, unsigned flags, void **pages, int expect)
{
	size_t n = N;

	CHECK_EQ(pw_watch_get(w, m, N * PAGE, flags, pages, &n), expect);
	return n;
}

static struct pw_watch *start(void)
{
	struct pw_watch *w = NULL;

	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	if (!w)
		t_done();
	return w;
}

static void handler_fails(void)
{
	struct pw_watch *w = start();
	void *pages[N];
	size_t n;

	atomic_store(&fail, FAIL_PAGE_RW);
	poke(m + 3 * PAGE, 1);		/* whole watch made writable */
	poke(m + 20 * PAGE, 2);		/* no fault needed any more */
	atomic_store(&fail, OK);
	CHECK_EQ(m[3 * PAGE], 1);
	CHECK_EQ(m[20 * PAGE], 2);
	get(w, 0, pages, -ENOMEM);
	n = get(w, 0, pages, 0);
	CHECK_EQ(n, N);
	n = get(w, PW_WATCH_RESET, pages, 0);
	CHECK_EQ(n, N);
	poke(m + 7 * PAGE, 3);
	n = get(w, 0, pages, 0);
	CHECK(n == 1 && pages[0] == m + 7 * PAGE, "page granularity again: %zu", n);
	pw_watch_stop(w);
}

static void reprotect_fails(void)
{
	struct pw_watch *w = start();
	void *pages[N];
	size_t n;

	poke(m + 1 * PAGE, 1);
	poke(m + 2 * PAGE, 1);
	poke(m + 5 * PAGE, 1);
	atomic_store(&fail, FAIL_RO);
	n = get(w, PW_WATCH_RESET, pages, 0);
	atomic_store(&fail, OK);
	CHECK(n == 3 && pages[0] == m + PAGE && pages[2] == m + 5 * PAGE,
	      "reported though not re-protected: %zu", n);
	poke(m + 2 * PAGE, 2);		/* still writable: must not be lost */
	get(w, 0, pages, -ENOMEM);
	n = get(w, PW_WATCH_RESET, pages, 0);
	CHECK(n == 3 && pages[1] == m + 2 * PAGE, "marked again: %zu", n);
	poke(m + 2 * PAGE, 3);
	n = get(w, 0, pages, 0);
	CHECK(n == 1 && pages[0] == m + 2 * PAGE, "protected again: %zu", n);
	pw_watch_stop(w);
}

static void reset_fails(void)
{
	struct pw_watch *w = start();
	void *pages[N];
	size_t n;

	poke(m + 4 * PAGE, 1);
	atomic_store(&fail, FAIL_RO);
	CHECK_EQ(pw_watch_reset(w, m + 2 * PAGE, 8 * PAGE), -ENOMEM);
	atomic_store(&fail, OK);
	n = get(w, 0, pages, 0);
	CHECK(n == 8 && pages[0] == m + 2 * PAGE, "the range marked written: %zu", n);
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	CHECK_EQ(get(w, 0, pages, 0), 0);
	pw_watch_stop(w);
}

static void stop_fails(void)
{
	struct pw_watch *w = start(), *w2;
	char *other = t_map(4);
	int r;

	atomic_store(&fail, FAIL_RW);
	pw_watch_stop(w);
	/* Still failing: the range cannot be taken over yet (it is still
	 * read-only, or its watch still lives). */
	r = pw_watch_start(&w2, m, N * PAGE, PW_BACKEND_MPROTECT);
	CHECK(r == -EINVAL || r == -EBUSY, "start over the stopped watch: %d", r);
	atomic_store(&fail, OK);
	poke(m + 9 * PAGE, 4);		/* un-protected on demand */
	CHECK_EQ(m[9 * PAGE], 4);
	/* Any other start or stop retires it. */
	CHECK_EQ(pw_watch_start(&w2, other, 4 * PAGE, PW_BACKEND_MPROTECT), 0);
	pw_watch_stop(w2);
	poke(m + 10 * PAGE, 5);
	w = start();
	pw_watch_stop(w);
	t_unmap(other, 4);
}

/* In a child: not even the whole watch can be made writable. */
static void nothing_works(void)
{
	struct rlimit no_core = { 0, 0 };
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		alarm(10);
		start();
		atomic_store(&fail, FAIL_RW);
		poke(m, 1);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "a write that cannot be done: status %#x", status);
}

int main(void)
{
	m = t_map(N);
	memset(m, 0, N * PAGE);
	pw_watch_stop(start());
	if (!atomic_load(&calls))
		t_skip("mprotect() is not interposed in this build");
	handler_fails();
	reprotect_fails();
	reset_fails();
	stop_fails();
	nothing_works();
	t_done();
}
