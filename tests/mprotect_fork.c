/* SPDX-License-Identifier: MIT */
/*
 * fork() with mprotect watches (lesson 11).  The child inherits the
 * protection, the handler and a copy of the watch: its writes work, its
 * copy of the watch reports them, it can stop that copy, and the parent's
 * watch sees none of it.  This holds when the fork lands while another
 * thread of the parent is inside the SIGSEGV handler: the child's stop
 * must not wait for a thread it does not have.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 64
#define FORKS 40

static char *m;
static struct pw_watch *w;
static atomic_int done;

static void poke(char *p, char v)
{
	*(volatile char *)p = v;
}

/* In the child: write every page, see exactly those, stop. */
static void child(void)
{
	void *pages[N];
	size_t n = N, i;

	alarm(5);
	if (pw_watch_reset(w, m, N * PAGE))
		_exit(2);
	for (i = 0; i < N; i += 2)
		poke(m + i * PAGE + 1, (char)i);
	if (pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n) || n != N / 2)
		_exit(3);
	for (i = 0; i < n; i++)
		if (pages[i] != m + 2 * i * PAGE)
			_exit(4);
	pw_watch_stop(w);
	for (i = 0; i < N; i++)
		poke(m + i * PAGE + 2, 9);
	_exit(0);
}

static int fork_child(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		child();
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool exited_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Keeps the parent's handler busy: write, collect, write. */
static void *churn(void *arg)
{
	void *pages[N];
	size_t n, i = 0;

	(void)arg;
	while (!atomic_load(&done)) {
		poke(m + (i++ % (N / 2)) * PAGE + 3, 1);
		if (i % 16 == 0) {
			n = N;
			pw_watch_get(w, m, N / 2 * PAGE, PW_WATCH_RESET, pages, &n);
		}
	}
	return NULL;
}

int main(void)
{
	void *pages[N];
	pthread_t th;
	size_t n;
	int st, i, bad = 0;

	m = t_map(N);
	memset(m, 0, N * PAGE);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	poke(m + 5 * PAGE, 1);

	st = fork_child();
	CHECK(exited_ok(st), "child: status %#x", st);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 5 * PAGE, "parent sees only its write: %zu", n);
	CHECK_EQ(m[2 * PAGE + 1], 0);
	CHECK_EQ(m[7 * PAGE + 2], 0);

	/* Forks while another thread keeps faulting. */
	pthread_create(&th, NULL, churn, NULL);
	for (i = 0; i < FORKS; i++)
		bad += !exited_ok(fork_child());
	atomic_store(&done, 1);
	pthread_join(th, NULL);
	CHECK(bad == 0, "%d of %d children failed", bad, FORKS);

	/* The parent's upper half was never written by the parent. */
	n = N;
	CHECK_EQ(pw_watch_get(w, m + N / 2 * PAGE, N / 2 * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(m[40 * PAGE + 1], 0);
	pw_watch_stop(w);
	t_done();
}
