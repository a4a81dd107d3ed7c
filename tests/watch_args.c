/* SPDX-License-Identifier: MIT */
/* Bad arguments to get and reset are -EINVAL and leave the watch working. */
#define _GNU_SOURCE
#include <errno.h>

#include "testlib.h"

#define N 16

int main(void)
{
	char *m = t_map(N + 2);
	char *base = m + PAGE;			/* a page of slack either side */
	void *pages[N];
	struct pw_watch *w = t_watch(base, N * PAGE);
	size_t n;

	base[2 * PAGE] = 1;

	n = 0;
	CHECK_EQ(pw_watch_get(w, base, N * PAGE, 0, pages, &n), -EINVAL);
	n = N;
	CHECK_EQ(pw_watch_get(w, base, N * PAGE, 0, NULL, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(w, base, N * PAGE, 0, pages, NULL), -EINVAL);
	CHECK_EQ(pw_watch_get(w, base, 0, 0, pages, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(w, base, N * PAGE, 2, pages, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(NULL, base, N * PAGE, 0, pages, &n), -EINVAL);
	/* Outside the watch: before, after, straddling either edge. */
	CHECK_EQ(pw_watch_get(w, base - PAGE, PAGE, 0, pages, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(w, base + N * PAGE, PAGE, 0, pages, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(w, base - 1, 2, 0, pages, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(w, base, N * PAGE + 1, PW_WATCH_RESET, pages, &n), -EINVAL);
	CHECK_EQ(pw_watch_get(w, (void *)-4096L, 8192, 0, pages, &n), -EINVAL);
	CHECK_EQ(n, N);

	CHECK_EQ(pw_watch_reset(w, base, 0), -EINVAL);
	CHECK_EQ(pw_watch_reset(w, base - PAGE, 2 * PAGE), -EINVAL);
	CHECK_EQ(pw_watch_reset(w, base + N * PAGE - PAGE, 2 * PAGE), -EINVAL);
	CHECK_EQ(pw_watch_reset(NULL, base, PAGE), -EINVAL);

	/* Nothing above changed the state, and the watch still works. */
	n = t_written(w, base, N * PAGE, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == base + 2 * PAGE, "state kept");
	base[7 * PAGE] = 1;
	CHECK_EQ(t_written(w, base, N * PAGE, pages, N), 2);

	/* Memory just outside the watch is not watched and stays writable. */
	m[0] = 1;
	base[N * PAGE] = 1;
	CHECK_EQ(t_written(w, base, N * PAGE, pages, N), 2);

	pw_watch_stop(w);
	t_done();
}
