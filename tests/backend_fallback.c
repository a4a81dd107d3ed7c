/* SPDX-License-Identifier: MIT */
/* PW_BACKEND_AUTO goes down its list when the best backend cannot start
 * here: after dropping root, a process is not dumpable and may not open its
 * own pagemap, which uffd-async needs; AUTO must still give a working
 * watch (and a forced uffd-async must fail, not fall back). */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 4

static int child(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	size_t n = N;
	int r;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 10;
	r = pw_watch_start(&w, m, N * PAGE, PW_BACKEND_UFFD_ASYNC);
	if (r == 0)
		return 11;	/* nothing to fall back from: see below */
	r = pw_watch_start(&w, m, N * PAGE, PW_BACKEND_AUTO);
	if (r)
		return 12;
	if (pw_watch_backend(w) == PW_BACKEND_UFFD_ASYNC)
		return 13;
	m[2 * PAGE] = 1;
	if (pw_watch_get(w, m, N * PAGE, 0, pages, &n) || n != 1 || pages[0] != m + 2 * PAGE)
		return 14;
	pw_watch_stop(w);
	return 0;
}

int main(void)
{
	struct pw_probe p;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		t_skip("needs root to drop privileges");
	unsetenv("PAGEWATCH_BACKEND");
	CHECK_EQ(pw_probe(&p, sizeof(p)), 0);
	if (p.auto_backend != PW_BACKEND_UFFD_ASYNC)
		t_skip("uffd-async is not this kernel's first choice");
	pid = fork();
	if (pid == 0)
		_exit(child());
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 11)
		t_skip("uffd-async starts without root here: no fallback to show");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %#x", status);
	t_done();
}
