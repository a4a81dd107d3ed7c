/* SPDX-License-Identifier: MIT */
/* pw_watch_start refuses what it cannot watch: bad ranges are -EINVAL,
 * overlapping watches -EBUSY; a watch reports the backend it runs on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define N 16

int main(void)
{
	const char *env = getenv("PAGEWATCH_BACKEND");
	char *m = t_map(N), *ro, *file;
	char path[] = "/tmp/pagewatch-XXXXXX";
	struct pw_watch *w, *w2;
	int fd;

	w = t_watch(m, 4 * PAGE);	/* skips if the backend is missing */
	if (env && *env)
		CHECK(!strcmp(pw_backend_name(pw_watch_backend(w)), env),
		      "backend %s, asked for %s", pw_backend_name(pw_watch_backend(w)), env);
	CHECK_EQ(pw_watch_start(NULL, m, PAGE, PW_BACKEND_AUTO), -EINVAL);
	CHECK_EQ(pw_watch_start(&w2, m + 8 * PAGE + 1, PAGE, PW_BACKEND_AUTO), -EINVAL);
	CHECK(w2 == NULL, "*out cleared on error");
	CHECK_EQ(pw_watch_start(&w2, m + 8 * PAGE, 0, PW_BACKEND_AUTO), -EINVAL);
	CHECK_EQ(pw_watch_start(&w2, m + 8 * PAGE, PAGE + 1, PW_BACKEND_AUTO), -EINVAL);
	CHECK_EQ(pw_watch_start(&w2, m + 8 * PAGE, PAGE, (enum pw_backend)99), -EINVAL);

	/* Overlap, partial or whole, is -EBUSY; adjacent is fine. */
	CHECK_EQ(pw_watch_start(&w2, m + 3 * PAGE, 2 * PAGE, PW_BACKEND_AUTO), -EBUSY);
	CHECK_EQ(pw_watch_start(&w2, m, PAGE, PW_BACKEND_AUTO), -EBUSY);
	CHECK_EQ(pw_watch_start(&w2, m + 4 * PAGE, 2 * PAGE, PW_BACKEND_AUTO), 0);
	pw_watch_stop(w2);

	/* A hole in the range. */
	munmap(m + 10 * PAGE, PAGE);
	CHECK_EQ(pw_watch_start(&w2, m + 8 * PAGE, 4 * PAGE, PW_BACKEND_AUTO), -EINVAL);
	/* Read-only memory. */
	ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(pw_watch_start(&w2, ro, 2 * PAGE, PW_BACKEND_AUTO), -EINVAL);
	/* A regular file. */
	fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, 2 * PAGE) == 0, "tmp file");
	unlink(path);
	file = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(file != MAP_FAILED, "mmap file");
	CHECK_EQ(pw_watch_start(&w2, file, 2 * PAGE, PW_BACKEND_AUTO), -EINVAL);
	/* Unmapped entirely. */
	CHECK_EQ(pw_watch_start(&w2, m + 10 * PAGE, PAGE, PW_BACKEND_AUTO), -EINVAL);

	/* After stop the range can be watched again. */
	pw_watch_stop(w);
	CHECK_EQ(pw_watch_start(&w, m, 4 * PAGE, PW_BACKEND_AUTO), 0);
	pw_watch_stop(w);
	pw_watch_stop(NULL);
	t_done();
}
