/* SPDX-License-Identifier: MIT */
/*
 * A registration that fails is an error returned to the caller, never a
 * silent loss of tracking (lesson 6), and the failed start undoes exactly
 * what it did: part of the range is already registered on the
 * application's own userfaultfd, so pw_watch_start returns the kernel's
 * -EBUSY; the piece pagewatch had registered before the failure is
 * released, the application's registration is left alone, and uffd-sync
 * leaves no handler thread behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kabi.h"
#include "testlib.h"

#define N 8

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Whether smaps shows the mapping holding addr registered for uffd-wp. */
static int uffd_wp_registered(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long s, e, a = (unsigned long)(uintptr_t)addr;
	int in = 0, found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = s <= a && a < e;
		else if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, " uw") != NULL;
	}
	fclose(f);
	return found;
}

static int app_uffd(void *addr, size_t len)
{
	struct pw_uffdio_api api = { .api = PW_UFFD_API };
	struct pw_uffdio_register reg;
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | PW_UFFD_USER_MODE_ONLY);

	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || ioctl(fd, PW_UFFDIO_API, &api))
		t_skip("userfaultfd: %s", strerror(errno));
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)addr;
	reg.range.len = len;
	reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
	if (ioctl(fd, PW_UFFDIO_REGISTER, &reg))
		t_skip("UFFDIO_REGISTER: %s", strerror(errno));
	return fd;
}

static void busy(enum pw_backend be, const char *name)
{
	char *m = t_map(N);
	struct pw_watch *w;
	void *pages[N];
	int fd, tasks, r;
	size_t n = N;

	memset(m, 1, N * PAGE);
	fd = app_uffd(m + 4 * PAGE, 4 * PAGE);
	tasks = count_tasks();
	r = pw_watch_start(&w, m, N * PAGE, be);
	CHECK(r == -EBUSY, "%s: start over a range registered elsewhere: %d", name, r);
	if (!r)
		pw_watch_stop(w);
	CHECK_EQ(count_tasks(), tasks);
	CHECK(uffd_wp_registered(m) == 0, "%s: our piece left registered", name);
	CHECK(uffd_wp_registered(m + 4 * PAGE) == 1, "%s: the application's registration lost",
	      name);
	/* The part pagewatch let go of can be watched on its own. */
	r = pw_watch_start(&w, m, 4 * PAGE, be);
	CHECK_EQ(r, 0);
	if (!r) {
		m[2 * PAGE] = 2;
		CHECK_EQ(pw_watch_get(w, m, 4 * PAGE, 0, pages, &n), 0);
		CHECK(n == 1 && pages[0] == m + 2 * PAGE, "%s: watch after the failure", name);
		pw_watch_stop(w);
	}
	close(fd);
	t_unmap(m, N);
}

int main(void)
{
	t_each_uffd_backend(busy);
	t_done();
}
