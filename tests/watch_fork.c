/* SPDX-License-Identifier: MIT */
/* After fork() the child writes its own copy freely, and the parent's watch
 * does not see the child's writes (lesson 11). */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 16

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	int status, r;
	size_t n;
	pid_t pid;

	m[0] = 1;			/* populated before the watch */
	w = t_watch(m, N * PAGE);
	m[4 * PAGE] = 1;

	pid = fork();
	if (pid < 0)
		t_skip("fork failed");
	if (pid == 0) {
		size_t i;

		alarm(20);
		for (i = 0; i < N; i++)
			m[i * PAGE + 3] = (char)i;
		for (i = 0; i < N; i++)
			if (m[i * PAGE + 3] != (char)i)
				_exit(2);
		/* The child's copy of the watch: the uffd backends refuse
		 * (-EPERM); the others see the child's own memory -- every
		 * page, written here -- and a reset there cleans the child's
		 * copy only (the parent checks its own below). */
		n = N;
		r = pw_watch_get(w, m, N * PAGE, 0, pages, &n);
		if (r == -EPERM)
			_exit(0);
		if (r || n != N)
			_exit(3);
		if (pw_watch_reset(w, m, N * PAGE))
			_exit(4);
		n = N;
		if (pw_watch_get(w, m, N * PAGE, 0, pages, &n) || n != 0)
			_exit(5);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child writing its copy failed: status %#x", status);

	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 4 * PAGE, "parent sees only its own write");
	CHECK_EQ(m[7 * PAGE + 3], 0);

	/* The parent's tracking goes on after the fork. */
	m[9 * PAGE] = 1;
	m[0] = 2;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 3);
	CHECK(n == 3 && pages[0] == m && pages[2] == m + 9 * PAGE, "after fork");
	pw_watch_stop(w);
	t_done();
}
