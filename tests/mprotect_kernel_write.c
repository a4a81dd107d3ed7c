/* SPDX-License-Identifier: MIT */
/*
 * On the mprotect backend the kernel does not fault for us: a system call
 * writing into a clean watched page fails with EFAULT (or stops short at
 * the page), the page is not changed, and nothing is reported.  Once the
 * application itself has written the page it is writable until the next
 * reset, and the same call works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define N 8

int main(void)
{
	char *base = t_map(N + 1), *m = base + PAGE;
	struct pw_watch *w;
	void *pages[N];
	int fds[2];
	ssize_t r;
	size_t n;

	memset(base, 'x', (N + 1) * PAGE);
	CHECK_EQ(pw_watch_start(&w, m, N * PAGE, PW_BACKEND_MPROTECT), 0);
	CHECK_EQ(pipe(fds), 0);

	/* Entirely inside a clean page: EFAULT, nothing written. */
	CHECK_EQ(write(fds[1], "0123456789abcdefghij", 20), 20);
	errno = 0;
	r = read(fds[0], m + 2 * PAGE + 10, 20);
	CHECK(r == -1 && errno == EFAULT, "read() into a watched page: %zd (%s)", r,
	      strerror(errno));
	CHECK_EQ(m[2 * PAGE + 10], 'x');

	/* Starting 10 bytes before the watch: a short count, stopped at it. */
	r = read(fds[0], m - 10, 20);
	CHECK(r == 10 || (r == -1 && errno == EFAULT), "read() across: %zd", r);
	if (r == 10)
		CHECK(!memcmp(m - 10, "0123456789", 10), "the part before the watch");
	CHECK_EQ(m[0], 'x');
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, 0, pages, &n), 0);
	CHECK_EQ(n, 0);

	/* After the application's own write the page takes the kernel's. */
	m[2 * PAGE] = 'y';
	CHECK_EQ(write(fds[1], "kernel", 6), 6);
	r = read(fds[0], m + 2 * PAGE + 10, 64);
	CHECK(r > 0 && !memcmp(m + 2 * PAGE + 10 + r - 6, "kernel", 6), "read() after a write: %zd", r);
	n = N;
	CHECK_EQ(pw_watch_get(w, m, N * PAGE, PW_WATCH_RESET, pages, &n), 0);
	CHECK(n == 1 && pages[0] == m + 2 * PAGE, "one page: %zu", n);

	/* Reset made it clean and read-only again. */
	CHECK_EQ(write(fds[1], "again", 5), 5);
	r = read(fds[0], m + 2 * PAGE + 100, 5);
	CHECK(r == -1 && errno == EFAULT, "read() after the reset: %zd", r);

	pw_watch_stop(w);
	r = read(fds[0], m + 2 * PAGE + 100, 5);
	CHECK(r == 5 && !memcmp(m + 2 * PAGE + 100, "again", 5), "read() after stop: %zd", r);
	t_done();
}
