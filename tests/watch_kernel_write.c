/* SPDX-License-Identifier: MIT */
/* Writes by the kernel on the process's behalf (read() into a watched
 * buffer) are counted on uffd-async, uffd-sync and soft-dirty.  On mprotect
 * they fail with EFAULT (documented in pw_watch_start(3)) and the page stays
 * as it was. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define N 8

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	int fds[2];
	ssize_t r;
	size_t n;

	memset(m, 'x', N * PAGE);
	w = t_watch(m, N * PAGE);
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(write(fds[1], "from the kernel", 15), 15);
	r = read(fds[0], m + 2 * PAGE + 10, 15);
	n = t_written(w, m, N * PAGE, pages, N);
	if (pw_watch_backend(w) == PW_BACKEND_MPROTECT) {
		CHECK(r == -1 && errno == EFAULT, "mprotect: read() gave %zd (%s)", r,
		      strerror(errno));
		CHECK_EQ(m[2 * PAGE + 10], 'x');
		CHECK_EQ(n, 0);
	} else {
		CHECK_EQ(r, 15);
		CHECK(!memcmp(m + 2 * PAGE + 10, "from the kernel", 15), "contents");
		CHECK_EQ(n, 1);
		CHECK(n == 1 && pages[0] == m + 2 * PAGE, "the kernel's write is counted");
	}
	pw_watch_stop(w);
	t_done();
}
