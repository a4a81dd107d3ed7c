/* SPDX-License-Identifier: MIT */
/*
 * A uffd watch after fork() (lesson 11): the registration is not inherited,
 * so the child writes its copy freely, never-touched pages included; the
 * watch belongs to the parent, so the child's pw_watch_get and
 * pw_watch_reset fail with EPERM, and the child's pw_watch_stop only drops
 * its copies of the descriptors: the parent's watch goes on untouched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 16

static int child(struct pw_watch *w, char *m)
{
	void *pages[N];
	size_t n = N, i;

	alarm(20);
	if (pw_watch_get(w, m, N * PAGE, 0, pages, &n) != -EPERM)
		return 2;
	if (pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n) != -EPERM)
		return 3;
	if (pw_watch_reset(w, m, N * PAGE) != -EPERM)
		return 4;
	for (i = 0; i < N; i++)
		m[i * PAGE + 1] = 'c';
	pw_watch_stop(w);
	for (i = 0; i < N; i++)
		if (m[i * PAGE + 1] != 'c')
			return 5;
	return 0;
}

static void one(enum pw_backend be, const char *name)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	int status;
	size_t n = N;
	pid_t pid;

	memset(m, 'p', 8 * PAGE);		/* [8, 16) never touched */
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, be), 0);
	m[2 * PAGE] = 'P';
	pid = fork();
	if (pid == 0)
		_exit(child(w, m));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child status %#x", name, status);
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 2 * PAGE, "%s: parent sees %zu pages", name, n);
	CHECK(m[1] == 'p' && m[10 * PAGE + 1] == 0, "%s: the child's writes leaked", name);
	m[5 * PAGE] = 'P';
	m[12 * PAGE] = 'P';
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 3 && pages[1] == m + 5 * PAGE && pages[2] == m + 12 * PAGE,
	      "%s: the parent's watch after the child's stop: %zu pages", name, n);
	m[7 * PAGE] = 'P';
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 7 * PAGE, "%s: after reset: %zu pages", name, n);
	pw_watch_stop(w);
	t_unmap(m, N);
}

int main(void)
{
	t_each_uffd_backend(one);
	t_done();
}
