/* SPDX-License-Identifier: MIT */
/*
 * Writes by the kernel on the process's behalf into a uffd watch succeed
 * and are counted (lesson 10): in async mode the kernel resolves them
 * itself; in sync mode the writing system call waits in the kernel for
 * pagewatch's handler thread.  Covered: read() from a pipe into a
 * populated page, a never-touched page, a zero page (read before), across
 * two pages, into memfd memory, and process_vm_writev() (a GUP write).
 *
 * Then, for uffd-sync, the documented fallback: a process that may not
 * have a userfaultfd for kernel faults (not root, no CAP_SYS_PTRACE,
 * vm.unprivileged_userfaultfd=0, no access to /dev/userfaultfd) gets a
 * user-mode-only one, on which such a read() fails with EFAULT while the
 * watch keeps tracking the process's own writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 16

/* read() len bytes that went through a pipe into dst. */
static ssize_t pipe_read(char *dst, const char *src, size_t len)
{
	int fds[2];
	ssize_t r;

	if (pipe(fds) || write(fds[1], src, len) != (ssize_t)len) {
		perror("pipe");
		exit(1);
	}
	r = read(fds[0], dst, len);
	if (r < 0)
		r = -errno;
	close(fds[0]);
	close(fds[1]);
	return r;
}

/* Exactly one page reported and cleaned: page. */
static void one_page(const struct t_uffd_cfg *c, const char *what, struct pw_watch *w,
		     char *m, char *page)
{
	void *pages[N];
	size_t n = N;

	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == page, "%s: %s: %zu pages, first +%ld", c->name, what, n,
	      n ? (long)(((char *)pages[0] - m) / (long)PAGE) : -1L);
}

static void kinds(const struct t_uffd_cfg *c, char *m, const char *what)
{
	char buf[2 * PAGE], tmp;
	void *pages[N];
	struct pw_watch *w;
	struct iovec local, remote;
	size_t n;
	int r;

	memset(m, 'x', 4 * PAGE);		/* [0, 4) populated */
	tmp = m[5 * PAGE];			/* 5: the zero page */
	(void)tmp;
	r = t_uffd_start(&w, m, N * PAGE, c);
	CHECK(r == 0, "%s: %s: start %d", c->name, what, r);
	if (r)
		return;
	CHECK_EQ(pipe_read(m + 2 * PAGE + 7, "populated", 9), 9);
	CHECK(!memcmp(m + 2 * PAGE + 7, "populated", 9), "%s: contents", c->name);
	one_page(c, what, w, m, m + 2 * PAGE);

	CHECK_EQ(pipe_read(m + 9 * PAGE, "never touched", 13), 13);
	CHECK(!memcmp(m + 9 * PAGE, "never touched", 13), "%s: contents", c->name);
	one_page(c, what, w, m, m + 9 * PAGE);

	CHECK_EQ(pipe_read(m + 5 * PAGE + 100, "zero page", 9), 9);
	CHECK(!memcmp(m + 5 * PAGE + 100, "zero page", 9), "%s: contents", c->name);
	one_page(c, what, w, m, m + 5 * PAGE);

	memset(buf, 'k', sizeof(buf));
	CHECK_EQ(pipe_read(m + 11 * PAGE + PAGE / 2, buf, PAGE), (ssize_t)PAGE);
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK(n == 2 && pages[0] == m + 11 * PAGE && pages[1] == m + 12 * PAGE,
	      "%s: %s: across two pages: %zu", c->name, what, n);
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);

	/* The kernel writing through get_user_pages, not copy_to_user. */
	local.iov_base = buf;
	local.iov_len = 64;
	remote.iov_base = m + 14 * PAGE + 64;
	remote.iov_len = 64;
	CHECK_EQ(process_vm_writev(getpid(), &local, 1, &remote, 1, 0), 64);
	CHECK_EQ(m[14 * PAGE + 64], 'k');
	one_page(c, what, w, m, m + 14 * PAGE);
	pw_watch_stop(w);
}

/* As a user with no right to a kernel-fault userfaultfd; exit status 0
 * when the fallback behaves as documented, 77 when it cannot be set up. */
static int unprivileged_child(void)
{
	char *m = t_map(N);
	struct pw_watch *w;
	void *pages[N];
	ssize_t r;
	size_t n = N;

	if (setgid(65534) || setuid(65534))
		return 77;
	r = pw_watch_start(&w, m, N * PAGE, PW_BACKEND_UFFD_SYNC);
	if (r) {
		fprintf(stderr, "unprivileged: pw_watch_start: %s\n", strerror((int)-r));
		return 77;
	}
	m[PAGE] = 1;
	r = pipe_read(m + 3 * PAGE, "abc", 3);
	if (pw_watch_get(w, m, N * PAGE, 0, pages, &n))
		return 1;
	if (r == 3) {		/* the system lets this user have one after all */
		fprintf(stderr, "unprivileged: read() was served\n");
		return n == 2 ? 0 : 1;
	}
	if (r != -EFAULT || m[3 * PAGE] != 0) {
		fprintf(stderr, "unprivileged: read() gave %zd\n", r);
		return 1;
	}
	if (n != 1 || pages[0] != m + PAGE) {
		fprintf(stderr, "unprivileged: %zu pages\n", n);
		return 1;
	}
	pw_watch_stop(w);
	fprintf(stderr, "unprivileged: read() failed with EFAULT, as documented\n");
	return 0;
}

static void unprivileged(void)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "not root: the unprivileged fallback is not tried\n");
		return;
	}
	pid = fork();
	if (pid == 0)
		_exit(unprivileged_child());
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77),
	      "unprivileged uffd-sync: status %#x", status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		fprintf(stderr, "unprivileged uffd-sync: could not be set up\n");
}

int main(void)
{
	size_t i, ran = 0;
	struct pw_watch *w;
	int fd = memfd_create("uffd-kernel-write", 0);
	char *mf;

	if (fd < 0 || ftruncate(fd, N * PAGE))
		t_skip("memfd_create: %s", strerror(errno));
	for (i = 0; i < T_N(t_uffd_cfgs); i++) {
		char *m = t_map(N);

		if (t_uffd_start(&w, m, N * PAGE, &t_uffd_cfgs[i]) == -EOPNOTSUPP) {
			fprintf(stderr, "%s: not available here\n", t_uffd_cfgs[i].name);
			t_unmap(m, N);
			continue;
		}
		pw_watch_stop(w);
		ran++;
		kinds(&t_uffd_cfgs[i], m, "private");
		t_unmap(m, N);
		mf = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(mf != MAP_FAILED, "mmap memfd");
		if (mf == MAP_FAILED)
			continue;
		kinds(&t_uffd_cfgs[i], mf, "memfd");
		munmap(mf, N * PAGE);
		CHECK_EQ(ftruncate(fd, 0), 0);
		CHECK_EQ(ftruncate(fd, N * PAGE), 0);
	}
	if (!ran)
		t_skip("no uffd write-watch backend on this kernel");
	unprivileged();
	t_done();
}
