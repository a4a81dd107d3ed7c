/* SPDX-License-Identifier: MIT */
/*
 * S11: the scan works on another process's pagemap, and sees that
 * process's pages, not ours.  Once the process has exited, nothing is
 * reported: the kernel (6.18) answers -ESRCH for every query on the
 * pagemap fd of an exited process, and pw_scan must answer the same, and
 * promptly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char *p;

/* Scan the exited child's space in a helper process, so that a scan that
 * never returns fails the test instead of hanging it. */
static void scan_exited(struct pw_space *sp, int kfd, const char *when)
{
	pid_t h = fork();
	int st;

	if (h < 0) {
		perror("fork");
		exit(1);
	}
	if (!h) {
		struct pw_region vec[8], kvec[8];
		struct pw_scan_arg a = t_arg(p, 8, vec, 8), k = t_arg(p, 8, kvec, 8);
		long r, kr;

		alarm(5);
		t_failures = 0;
		a.return_mask = k.return_mask = T_P | T_W;
		r = pw_scan(sp, &a);
		CHECK(r == 0 || r == -ESRCH, "%s: pw_scan %ld", when, r);
		if (t_have_pagemap_scan()) {
			kr = t_raw_scan(kfd, &k);
			CHECK(r == kr, "%s: pw_scan %ld, kernel %ld", when, r, kr);
		}
		_exit(t_failures ? 1 : 0);
	}
	if (waitpid(h, &st, 0) != h) {
		perror("waitpid");
		exit(1);
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: scan of the exited process %s",
	      when, WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "did not return in 5 s"
							    : "failed");
}

int main(void)
{
	struct pw_space *self = t_space(0), *sp;
	struct pw_region vec[16];
	struct pw_scan_arg a;
	int go[2], ready[2], kfd;
	char path[64], c;
	pid_t pid;
	siginfo_t si;

	p = t_map_small(512);
	CHECK_EQ(pipe(go), 0);
	CHECK_EQ(pipe(ready), 0);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		/* child: pages 0, 2, 4 written, 6 read (zero page) */
		t_write_pages(p, 0, 1);
		t_write_pages(p, 2, 3);
		t_write_pages(p, 4, 5);
		t_read_pages(p, 6, 7);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	/* We write page 7 after the fork: the child does not see it. */
	t_write_pages(p, 7, 8);

	sp = t_space(pid);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	kfd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(kfd >= 0, "open %s", path);
	{
		uint64_t z = pw_space_categories(sp) & T_Z;
		struct pw_region exp[] = {
			T_R(p, 0, 1, T_P | T_W), T_R(p, 1, 2, T_W), T_R(p, 2, 3, T_P | T_W),
			T_R(p, 3, 4, T_W), T_R(p, 4, 5, T_P | T_W), T_R(p, 5, 6, T_W),
			T_R(p, 6, 7, T_P | T_W | z), T_R(p, 7, 8, T_W),
		};

		t_scan_fd = kfd;
		a = t_arg(p, 8, vec, 16);
		a.return_mask = T_P | T_W | z;
		t_expect(sp, &a, 8, exp, 8, T_PG(p, 8));
		/* Only what the child has present. */
		a = t_arg(p, 8, vec, 16);
		a.category_mask = T_P;
		a.category_inverted = z;
		a.category_anyof_mask = z;
		a.return_mask = T_P;
		{
			struct pw_region e2[] = { T_R(p, 0, 1, T_P), T_R(p, 2, 3, T_P),
						  T_R(p, 4, 5, T_P) };

			if (z)
				t_expect(sp, &a, 3, e2, 3, T_PG(p, 8));
		}
	}
	/* Our own view of the same range: only page 7. */
	{
		struct pw_region exp[] = { T_R(p, 0, 7, T_W), T_R(p, 7, 8, T_P | T_W) };

		t_scan_fd = -1;
		a = t_arg(p, 8, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(self, &a, 2, exp, 2, T_PG(p, 8));
	}

	/* The child exits: a zombie first, then reaped. */
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	scan_exited(sp, kfd, "zombie");
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	scan_exited(sp, kfd, "reaped");

	close(kfd);
	pw_space_close(sp);
	pw_space_close(self);
	t_done();
}
