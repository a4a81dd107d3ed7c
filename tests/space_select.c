/* SPDX-License-Identifier: MIT */
/*
 * pw_space_open: which backend each flag combination and each value of
 * PAGEWATCH_SCAN selects, every invalid argument, dead and zombie pids,
 * and the categories each backend claims to report exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int have_scan;


static void set_env(const char *v)
{
	if (v)
		setenv("PAGEWATCH_SCAN", v, 1);
	else
		unsetenv("PAGEWATCH_SCAN");
}

/* Open pid with flags under env; want is the backend name or NULL when
 * an error is expected, err the error then. */
static void expect_open(const char *env, pid_t pid, unsigned flags, const char *want, int err)
{
	struct pw_space *sp = NULL;
	int r;

	set_env(env);
	r = pw_space_open(&sp, pid, flags);
	if (want) {
		CHECK(r == 0, "env '%s' pid %d flags %#x: open = %d (%s), expected 0",
		      env ? env : "(unset)", (int)pid, flags, r, strerror(-r));
		if (!r) {
			const char *b = pw_space_backend(sp);

			CHECK(sp != NULL, "no space returned");
			CHECK(b && !strcmp(b, want),
			      "env '%s' pid %d flags %#x: backend '%s', expected '%s'",
			      env ? env : "(unset)", (int)pid, flags, b ? b : "(null)", want);
		}
	} else {
		CHECK(r == err, "env '%s' pid %d flags %#x: open = %d, expected %d",
		      env ? env : "(unset)", (int)pid, flags, r, err);
		CHECK(r == 0 || sp == NULL, "a failed open returned a space");
	}
	if (!r)
		pw_space_close(sp);
	set_env(NULL);
}

static void check_flags(void)
{
	const char *def = have_scan ? "native" : "emulated";
	const char *nat = have_scan ? "native" : NULL;
	struct pw_space *sp;

	expect_open(NULL, 0, 0, def, 0);
	expect_open(NULL, 0, PW_SPACE_NATIVE, nat, -EOPNOTSUPP);
	expect_open(NULL, 0, PW_SPACE_EMULATED, "emulated", 0);
	expect_open(NULL, 0, PW_SPACE_NATIVE | PW_SPACE_EMULATED, NULL, -EINVAL);
	expect_open(NULL, 0, 1u << 2, NULL, -EINVAL);
	expect_open(NULL, 0, PW_SPACE_EMULATED | 1u << 5, NULL, -EINVAL);
	expect_open(NULL, 0, PW_SPACE_NATIVE | 1u << 31, NULL, -EINVAL);
	expect_open(NULL, 0, ~0u, NULL, -EINVAL);
	/* Our own pid by number is the same as 0. */
	expect_open(NULL, getpid(), 0, def, 0);
	expect_open(NULL, getpid(), PW_SPACE_EMULATED, "emulated", 0);

	CHECK_EQ(pw_space_open(NULL, 0, 0), -EINVAL);
	CHECK_EQ(pw_space_open(NULL, 0, PW_SPACE_EMULATED), -EINVAL);
	CHECK_EQ(pw_space_open(NULL, 0, PW_SPACE_NATIVE), -EINVAL);

	/* The environment overrides flags 0 ... */
	expect_open("emulated", 0, 0, "emulated", 0);
	expect_open("native", 0, 0, nat, -EOPNOTSUPP);
	expect_open("bogus", 0, 0, NULL, -EINVAL);
	expect_open("native ", 0, 0, NULL, -EINVAL);
	expect_open("", 0, 0, def, 0);
	/* ... and nothing else: explicit flags win, a bad value is not read. */
	expect_open("emulated", 0, PW_SPACE_NATIVE, nat, -EOPNOTSUPP);
	expect_open("native", 0, PW_SPACE_EMULATED, "emulated", 0);
	expect_open("bogus", 0, PW_SPACE_EMULATED, "emulated", 0);
	expect_open("bogus", 0, PW_SPACE_NATIVE, nat, -EOPNOTSUPP);
	/* Invalid flags stay invalid whatever the environment says. */
	expect_open("emulated", 0, PW_SPACE_NATIVE | PW_SPACE_EMULATED, NULL, -EINVAL);
	expect_open("native", 0, 1u << 3, NULL, -EINVAL);

	/* The environment is read at open time, not once. */
	set_env("emulated");
	CHECK_EQ(pw_space_open(&sp, 0, 0), 0);
	set_env(NULL);
	CHECK(!strcmp(pw_space_backend(sp), "emulated"), "backend %s", pw_space_backend(sp));
	pw_space_close(sp);
	expect_open(NULL, 0, 0, def, 0);
}

static void check_pids(void)
{
	unsigned flags[] = { PW_SPACE_NATIVE, 0, PW_SPACE_EMULATED };
	int status, fds[2];
	unsigned i;
	pid_t pid;
	char c;

	expect_open(NULL, -1, 0, NULL, -EINVAL);
	expect_open(NULL, -1, PW_SPACE_EMULATED, NULL, -EINVAL);
	expect_open(NULL, -12345, PW_SPACE_NATIVE, NULL, -EINVAL);
	expect_open(NULL, (pid_t)0x80000000u, 0, NULL, -EINVAL);

	/* A live child: both backends. */
	if (pipe(fds))
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[0]);
	expect_open(NULL, pid, 0, have_scan ? "native" : "emulated", 0);
	expect_open(NULL, pid, PW_SPACE_EMULATED, "emulated", 0);
	expect_open(NULL, pid, PW_SPACE_NATIVE, have_scan ? "native" : NULL, -EOPNOTSUPP);
	expect_open("emulated", pid, 0, "emulated", 0);

	/* A zombie has no memory: ESRCH. */
	close(fds[1]);
	{
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	}
	for (i = have_scan ? 0 : 1; i < 3; i++)
		expect_open(NULL, pid, flags[i], NULL, -ESRCH);

	/* Reaped: no such process. */
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	for (i = have_scan ? 0 : 1; i < 3; i++)
		expect_open(NULL, pid, flags[i], NULL, -ESRCH);
}

static void check_accessors(void)
{
	uint64_t raw = t_raw_categories();
	uint64_t must = PW_PAGE_PRESENT | PW_PAGE_SWAPPED | PW_PAGE_FILE |
			PW_PAGE_WRITTEN | PW_PAGE_SOFT_DIRTY;
	struct pw_space *sp;
	uint64_t c;

	CHECK(pw_space_backend(NULL) == NULL, "backend of NULL");
	CHECK_EQ(pw_space_categories(NULL), 0);
	pw_space_close(NULL);

	CHECK_EQ(have_scan, raw != 0);
	if (have_scan) {
		CHECK(pw_space_open(&sp, 0, PW_SPACE_NATIVE) == 0, "native open");
		c = pw_space_categories(sp);
		CHECK(c == raw, "native categories %#llx, the ioctl accepts %#llx",
		      (unsigned long long)c, (unsigned long long)raw);
		pw_space_close(sp);
		/* Same for the default choice. */
		CHECK(pw_space_open(&sp, 0, 0) == 0, "default open");
		CHECK_EQ(pw_space_categories(sp), raw);
		pw_space_close(sp);
	}

	CHECK(pw_space_open(&sp, 0, PW_SPACE_EMULATED) == 0, "emulated open");
	c = pw_space_categories(sp);
	CHECK(!(c & ~PW_PAGE_ALL), "emulated claims unknown bits %#llx", (unsigned long long)c);
	CHECK((c & must) == must, "emulated categories %#llx lack some of %#llx",
	      (unsigned long long)c, (unsigned long long)must);
	if (geteuid() == 0)
		CHECK((c & (PW_PAGE_PFNZERO | PW_PAGE_HUGE)) ==
		      (PW_PAGE_PFNZERO | PW_PAGE_HUGE),
		      "as root the emulation reports PFNZERO and HUGE: %#llx",
		      (unsigned long long)c);
	pw_space_close(sp);
}

int main(void)
{
	set_env(NULL);
	have_scan = t_have_pagemap_scan();
	check_flags();
	check_pids();
	check_accessors();
	t_done();
}
