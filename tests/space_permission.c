/* SPDX-License-Identifier: MIT */
/*
 * Opening another process's space needs ptrace-read permission: a process
 * that dropped to nobody (uid/gid 65534, no groups, no capabilities)
 * cannot open a root process's space on any backend (EACCES or EPERM,
 * never a space), while it can open its own, by 0 and by pid, and that of
 * a process of its own uid, and scan them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define NOBODY 65534

static const unsigned flag_sets[] = { 0, PW_SPACE_NATIVE, PW_SPACE_EMULATED };

static const char *flag_name(unsigned f)
{
	return f == PW_SPACE_NATIVE ? "native" : f == PW_SPACE_EMULATED ? "emulated" : "default";
}

static char page[2 * PAGE];

/* A page written before any fork: present in every process we scan. */
static char *the_page(void)
{
	return (char *)(((uintptr_t)page + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
}

/* The space works: a scan of that page gives it back. */
static void usable(struct pw_space *sp, pid_t pid, const char *what)
{
	char *p = the_page();
	struct pw_region v[4];
	struct pw_scan_arg a;
	long n;

	a = t_arg(p, 1, v, 4);
	a.category_mask = PW_PAGE_PRESENT;
	a.return_mask = PW_PAGE_PRESENT;
	n = pw_scan(sp, &a);
	CHECK(n == 1 && v[0].start == (uintptr_t)p && v[0].end == (uintptr_t)p + PAGE,
	      "%s (pid %d): scan %ld", what, (int)pid, n);
}

static void open_own(pid_t pid, const char *what)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		struct pw_space *sp = NULL;
		int r = pw_space_open(&sp, pid, flag_sets[i]);

		if (r == -EOPNOTSUPP && flag_sets[i] == PW_SPACE_NATIVE)
			continue;
		CHECK(r == 0, "%s, %s: open %d (%s)", what, flag_name(flag_sets[i]), r, strerror(-r));
		if (!r) {
			usable(sp, pid, what);
			pw_space_close(sp);
		}
	}
}

/* Runs as nobody; exits with the number of failed checks. */
static _Noreturn void unprivileged(pid_t root_pid)
{
	int fds[2];
	pid_t peer;
	unsigned i;
	char c;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		perror("dropping privileges");
		_exit(100);
	}
	if (getuid() != NOBODY || geteuid() != NOBODY || getegid() != NOBODY) {
		fprintf(stderr, "still privileged\n");
		_exit(100);
	}
	/* Changing uid made us non-dumpable, which would hide even our own
	 * /proc files from us; an ordinary unprivileged process is dumpable. */
	prctl(PR_SET_DUMPABLE, 1);

	for (i = 0; i < 3; i++) {
		struct pw_space *sp = NULL;
		int r = pw_space_open(&sp, root_pid, flag_sets[i]);

		CHECK(r == -EACCES || r == -EPERM,
		      "nobody opened root's pid %d on %s: %d (%s)", (int)root_pid,
		      flag_name(flag_sets[i]), r, r ? strerror(-r) : "a space");
		CHECK(sp == NULL, "a space was returned");
		if (!r) {
			/* A bypass: show what it can see, then fail. */
			usable(sp, root_pid, "bypass");
			pw_space_close(sp);
		}
	}
	/* The environment does not change that. */
	setenv("PAGEWATCH_SCAN", "emulated", 1);
	{
		struct pw_space *sp = NULL;
		int r = pw_space_open(&sp, root_pid, 0);

		CHECK(r == -EACCES || r == -EPERM, "env emulated: %d", r);
	}
	unsetenv("PAGEWATCH_SCAN");

	open_own(0, "own space by 0");
	open_own(getpid(), "own space by pid");

	/* A process of our own uid is ours to scan. */
	if (pipe(fds))
		_exit(100);
	peer = fork();
	if (peer == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	if (peer > 0) {
		open_own(peer, "same-uid process");
		close(fds[1]);
		waitpid(peer, NULL, 0);
	}
	_exit(t_failures > 99 ? 99 : t_failures);
}

int main(void)
{
	pid_t root_child, weak;
	int status;

	if (geteuid() != 0)
		t_skip("needs root to drop privileges");
	unsetenv("PAGEWATCH_SCAN");
	the_page()[0] = 1;

	root_child = fork();
	if (root_child < 0)
		return 1;
	if (root_child == 0) {
		for (;;)
			pause();
	}
	/* Root itself may open it: the denial below is about privilege. */
	open_own(root_child, "root opening root's child");

	weak = fork();
	if (weak < 0)
		return 1;
	if (weak == 0)
		unprivileged(root_child);
	CHECK(waitpid(weak, &status, 0) == weak, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the unprivileged child: %s %d", WIFEXITED(status) ? "exit" : "signal",
	      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));

	kill(root_child, SIGKILL);
	waitpid(root_child, NULL, 0);
	t_done();
}
