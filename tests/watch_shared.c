/* SPDX-License-Identifier: MIT */
/* Shared anonymous memory and memfd (shmem) ranges are watched like private
 * memory: exact pages, reset, and the data stays shared. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define N 16

static void exercise(const char *what, char *m)
{
	void *pages[N];
	struct pw_watch *w = t_watch(m, N * PAGE);
	size_t n;

	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	m[3 * PAGE] = 7;
	m[12 * PAGE + 1] = 8;
	n = t_written(w, m, N * PAGE, pages, N);
	CHECK(n == 2 && pages[0] == m + 3 * PAGE && pages[1] == m + 12 * PAGE,
	      "%s: got %zu pages", what, n);
	CHECK_EQ(pw_watch_reset(w, m, N * PAGE), 0);
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 0);
	m[5 * PAGE] = 1;
	CHECK_EQ(t_written(w, m, N * PAGE, pages, N), 1);
	pw_watch_stop(w);
	CHECK_EQ(m[3 * PAGE], 7);
}

int main(void)
{
	char *shared = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("pagewatch-test", 0);
	char *mf, *alias;

	CHECK(shared != MAP_FAILED, "mmap shared");
	shared[0] = 1;			/* one page populated beforehand */
	exercise("shared anonymous", shared);

	CHECK(fd >= 0 && ftruncate(fd, N * PAGE) == 0, "memfd");
	mf = mmap(NULL, N * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	alias = mmap(NULL, N * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(mf != MAP_FAILED && alias != MAP_FAILED, "mmap memfd");
	exercise("memfd", mf);
	CHECK_EQ(alias[12 * PAGE + 1], 8);
	t_done();
}
