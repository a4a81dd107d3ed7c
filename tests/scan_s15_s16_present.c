/* SPDX-License-Identifier: MIT */
/*
 * S15-S16: the categories of present pages, and that nothing is OR-ed in
 * from the mapping when it is not registered with userfaultfd (S15).
 *   written private anonymous page    PRESENT|WRITTEN
 *   read-only-touched anonymous page  PRESENT|WRITTEN|PFNZERO, not FILE
 *   shared anonymous page             PRESENT|WRITTEN|FILE
 *   file page through MAP_SHARED      PRESENT|WRITTEN|FILE (read or written)
 *   file page through MAP_PRIVATE     PRESENT|WRITTEN|FILE when read,
 *                                     PRESENT|WRITTEN (anonymous copy) when written
 * Every present page is WRITTEN without uffd-wp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

static struct pw_space *sp;
static uint64_t rmask;

/* One page alone: exactly one region with categories c (filtered by what
 * the backend claims), and the same through the kernel. */
#define ONE(addr, c) one(__LINE__, (char *)(addr), (c))
static void one(int line, char *addr, uint64_t c)
{
	struct pw_region vec[2];
	struct pw_region exp[] = { T_R(addr, 0, 1, c & rmask) };
	struct pw_scan_arg a = t_arg(addr, 1, vec, 2);

	a.return_mask = rmask;
	t_expect_at(__FILE__, line, sp, &a, 1, exp, 1, T_PG(addr, 1));
	/* Required as a mask, it matches; required inverted, it does not. */
	if (c & rmask) {
		a = t_arg(addr, 1, vec, 2);
		a.category_mask = c & rmask;
		a.return_mask = rmask;
		t_expect_at(__FILE__, line, sp, &a, 1, exp, 1, T_PG(addr, 1));
		a = t_arg(addr, 1, vec, 2);
		a.category_mask = a.category_inverted = c & rmask;
		a.category_anyof_mask = c & rmask;
		t_expect_at(__FILE__, line, sp, &a, 0, NULL, 0, T_PG(addr, 1));
	}
}

/* n pages of 2 MiB-aligned address space replaced by mmap(flags, fd). */
static char *map_at(size_t pages, int prot, int flags, int fd)
{
	char *r = t_map(512);
	char *p = mmap(r, pages * PAGE, prot, flags | MAP_FIXED, fd, 0);

	if (p != r) {
		perror("mmap");
		exit(1);
	}
	if (madvise(p, pages * PAGE, MADV_NOHUGEPAGE)) {
		perror("madvise");
		exit(1);
	}
	return p;
}

int main(void)
{
	char *anon, *shm, *fsh, *fpriv, *ro;
	int fd;

	sp = t_space(0);
	rmask = pw_space_categories(sp) & ~(T_D | T_A);
	fd = t_tmpfile(16);
	CHECK(fd >= 0, "temporary file");

	anon = t_map_small(512);
	t_write_pages(anon, 0, 1);
	t_read_pages(anon, 1, 2);
	ONE(anon, T_P | T_W);
	ONE(anon + PAGE, T_P | T_W | T_Z);
	/* A zero page written later becomes a private page. */
	t_write_pages(anon, 1, 2);
	ONE(anon + PAGE, T_P | T_W);
	t_read_pages(anon, 2, 3);
	ONE(anon + 2 * PAGE, T_P | T_W | T_Z);

	/* A read-only anonymous mapping: only ever the zero page. */
	ro = map_at(512, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	t_read_pages(ro, 0, 1);
	ONE(ro, T_P | T_W | T_Z);

	/* Shared anonymous memory is shmem: FILE, never PFNZERO. */
	shm = map_at(512, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	t_write_pages(shm, 0, 1);
	t_read_pages(shm, 1, 2);
	ONE(shm, T_P | T_W | T_F);
	ONE(shm + PAGE, T_P | T_W | T_F);

	/* A file through MAP_SHARED: read page 0, write page 8. */
	fsh = map_at(16, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	t_read_pages(fsh, 0, 1);
	t_write_pages(fsh, 8, 9);
	ONE(fsh, T_P | T_W | T_F);
	ONE(fsh + 8 * PAGE, T_P | T_W | T_F);

	/* The same file through MAP_PRIVATE: a read maps the page-cache page
	 * (FILE); a write makes a private anonymous copy (not FILE). */
	fpriv = map_at(16, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	t_read_pages(fpriv, 0, 1);
	t_write_pages(fpriv, 8, 9);
	ONE(fpriv, T_P | T_W | T_F);
	ONE(fpriv + 8 * PAGE, T_P | T_W);

	/* Whole ranges, compared with the kernel (fault-around may have
	 * mapped more file pages than we touched). */
	{
		char *bases[] = { anon, ro, shm, fsh, fpriv };
		struct pw_region vec[64];
		struct pw_scan_arg a;
		size_t i;

		for (i = 0; i < T_N(bases); i++) {
			a = t_arg(bases[i], 16, vec, 64);
			a.return_mask = rmask;
			CHECK(t_scan(sp, &a) >= 1, "range %zu", i);
			CHECK_EQ(a.walk_end, T_PG(bases[i], 16));
		}
	}
	close(fd);
	pw_space_close(sp);
	t_done();
}
