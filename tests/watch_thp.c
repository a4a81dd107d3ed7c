/* SPDX-License-Identifier: MIT */
/* A transparent huge page in a watched range must not make clean pages
 * look written: one write after the start reports exactly one page. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define N 1024			/* two 2 MiB blocks */

int main(void)
{
	char *m = t_map(N);
	void *pages[N];
	struct pw_watch *w;
	size_t n;

	if (madvise(m, N * PAGE, MADV_HUGEPAGE))
		t_skip("MADV_HUGEPAGE not supported");
	memset(m, 1, N * PAGE);
	w = t_watch(m, N * PAGE);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	m[700 * PAGE + 3] = 2;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK_EQ(n, 1);
	CHECK(n == 1 && pages[0] == m + 700 * PAGE, "exactly the written page");
	CHECK_EQ(m[700 * PAGE + 3], 2);
	CHECK_EQ(m[700 * PAGE + 4], 1);
	CHECK_EQ(m[10], 1);
	m[5] = 3;
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 2);
	pw_watch_stop(w);
	t_done();
}
