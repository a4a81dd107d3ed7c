/* SPDX-License-Identifier: MIT */
/* pw_watch_stop leaves the range readable and writable, also for the
 * kernel; the same range can be watched again. */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define N 8

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w = t_watch(m, N * PAGE);
	int fds[2];
	size_t i;

	m[PAGE] = 1;
	pw_watch_stop(w);
	for (i = 0; i < N; i++)
		m[i * PAGE + 5] = (char)(i + 1);
	for (i = 0; i < N; i++)
		CHECK_EQ(m[i * PAGE + 5], (char)(i + 1));

	/* The kernel may write there too. */
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(write(fds[1], "kernel", 6), 6);
	CHECK_EQ(read(fds[0], m + 3 * PAGE, 6), 6);
	CHECK(!memcmp(m + 3 * PAGE, "kernel", 6), "read() into stopped range");

	/* Watch again: fresh and working. */
	w = t_watch(m, N * PAGE);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	m[6 * PAGE] = 9;
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 1);
	pw_watch_stop(w);
	m[6 * PAGE] = 10;
	CHECK_EQ(m[6 * PAGE], 10);
	t_done();
}
