/* SPDX-License-Identifier: MIT */
/*
 * A watch across several mappings (registration is cut at mapping edges,
 * since some kernels refuse a range across them): every piece is tracked,
 * on both uffd backends and on uffd-sync's prefault path.
 *   1. one anonymous mapping split in two by mprotect (rw- and rwx);
 *   2. private anonymous | memfd | shared anonymous, adjacent, with a
 *      4-byte write straddling the private/memfd edge.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define N 12

/* CHECK that pw_watch_get returns exactly the pages numbered in want
 * (relative to m, ascending, -1 ends the list). */
static int same_pages(const struct t_uffd_cfg *c, const char *what, struct pw_watch *w,
		      char *m, size_t n, unsigned flags, const int *want)
{
	void *pages[N];
	size_t cnt = N, i, k;
	int r = pw_watch_get(w, m, n * PAGE, flags, pages, &cnt);

	for (k = 0; want[k] >= 0; k++)
		;
	CHECK(r == 0, "%s: %s: pw_watch_get %d", c->name, what, r);
	CHECK(cnt == k, "%s: %s: %zu pages, expected %zu", c->name, what, cnt, k);
	for (i = 0; r == 0 && i < cnt && i < k; i++)
		CHECK(pages[i] == m + (size_t)want[i] * PAGE, "%s: %s: page %zu is +%ld, expected +%d",
		      c->name, what, i, (long)(((char *)pages[i] - m) / (long)PAGE), want[i]);
	return r;
}

static void rw_rwx(const struct t_uffd_cfg *c, char *m)
{
	static const int none[] = { -1 }, two[] = { 1, 6, -1 }, edge[] = { 3, 4, -1 };
	struct pw_watch *w;
	size_t i;
	int r;

	CHECK_EQ(mprotect(m + 4 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	m[0] = 1;
	r = t_uffd_start(&w, m, 8 * PAGE, c);
	CHECK(r == 0, "%s: start over rw-|rwx: %d", c->name, r);
	if (r)
		return;
	same_pages(c, "fresh", w, m, 8, 0, none);
	m[1 * PAGE] = 1;
	m[6 * PAGE + 9] = 1;
	same_pages(c, "one write per mapping", w, m, 8, PW_WATCH_RESET, two);
	same_pages(c, "after reset", w, m, 8, 0, none);
	m[4 * PAGE] = 2;
	m[3 * PAGE + PAGE - 1] = 2;
	same_pages(c, "the pages either side of the edge", w, m, 8, 0, edge);
	CHECK_EQ(pw_watch_reset(w, m, 8 * PAGE), 0);
	same_pages(c, "after pw_watch_reset", w, m, 8, 0, none);
	pw_watch_stop(w);
	for (i = 0; i < 8; i++)
		m[i * PAGE + 1] = (char)i;
	for (i = 0; i < 8; i++)
		CHECK_EQ(m[i * PAGE + 1], (char)i);
}

/* [0, 4) private anonymous, [4, 8) memfd, [8, 12) shared anonymous. */
static char *three_kinds(int *fdp)
{
	char *m = mmap(NULL, N * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("uffd-mappings", 0);

	if (m == MAP_FAILED || fd < 0 || ftruncate(fd, 4 * PAGE)) {
		perror("setup");
		exit(1);
	}
	if (mmap(m, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED ||
	    mmap(m + 4 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED ||
	    mmap(m + 8 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	*fdp = fd;
	return m;
}

static void mixed(const struct t_uffd_cfg *c)
{
	static const int none[] = { -1 }, three[] = { 0, 5, 10, -1 };
	static const int straddle[] = { 3, 4, -1 }, rest[] = { 2, 9, -1 };
	struct pw_watch *w;
	int fd, r;
	char *m = three_kinds(&fd);
	char probe[4];

	m[2 * PAGE] = 'a';
	m[6 * PAGE] = 'b';
	m[11 * PAGE] = 'c';
	r = t_uffd_start(&w, m, N * PAGE, c);
	CHECK(r == 0, "%s: start over anon|memfd|shared: %d", c->name, r);
	if (r)
		goto out;
	same_pages(c, "fresh", w, m, N, 0, none);
	CHECK(m[2 * PAGE] == 'a' && m[6 * PAGE] == 'b' && m[11 * PAGE] == 'c', "contents");
	m[0] = 1;		/* never touched before */
	m[5 * PAGE] = 1;
	m[10 * PAGE] = 1;
	same_pages(c, "one write per kind", w, m, N, PW_WATCH_RESET, three);
	memcpy(m + 4 * PAGE - 2, "wxyz", 4);
	same_pages(c, "straddling anon|memfd", w, m, N, 0, straddle);
	CHECK(pread(fd, probe, 2, 0) == 2 && !memcmp(probe, "yz", 2), "memfd got the bytes");
	m[2 * PAGE] = 1;
	m[9 * PAGE] = 1;
	CHECK_EQ(pw_watch_reset(w, m + 3 * PAGE, 2 * PAGE), 0);
	same_pages(c, "sub-range reset over the edge", w, m, N, 0, rest);
	pw_watch_stop(w);
	memset(m, 7, N * PAGE);
	CHECK(m[5 * PAGE] == 7 && m[10 * PAGE] == 7, "writable after stop");
out:
	munmap(m, N * PAGE);
	close(fd);
}

int main(void)
{
	size_t i, ran = 0;
	struct pw_watch *w;

	for (i = 0; i < T_N(t_uffd_cfgs); i++) {
		char *m = t_map(8);

		if (t_uffd_start(&w, m, 8 * PAGE, &t_uffd_cfgs[i]) == -EOPNOTSUPP) {
			fprintf(stderr, "%s: not available here\n", t_uffd_cfgs[i].name);
			t_unmap(m, 8);
			continue;
		}
		pw_watch_stop(w);
		ran++;
		rw_rwx(&t_uffd_cfgs[i], m);
		t_unmap(m, 8);
		mixed(&t_uffd_cfgs[i]);
	}
	if (!ran)
		t_skip("no uffd write-watch backend on this kernel");
	t_done();
}
