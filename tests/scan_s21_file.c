/* SPDX-License-Identifier: MIT */
/*
 * S21: FILE is only computed, and so only seen, when some mask asks for
 * it.  Its effect shows in the output: a private anonymous run and a
 * shared anonymous (shmem, FILE) run next to each other merge into one
 * region when FILE is not asked for, and split when it is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map(512), *shm;
	struct pw_region vec[16];
	struct pw_scan_arg a;

	CHECK(pw_space_categories(sp) & T_F, "FILE not claimed");
	/* 0-7 private anonymous, 8-15 shared anonymous, both written. */
	shm = mmap(p + 8 * PAGE, 8 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(shm == p + 8 * PAGE, "mmap");
	CHECK_EQ(madvise(p, 512 * PAGE, MADV_NOHUGEPAGE), 0);
	t_write_pages(p, 0, 16);

	/* Not asked: one region across both mappings. */
	{
		struct pw_region exp[] = { T_R(p, 0, 16, T_P | T_W) };

		a = t_arg(p, 16, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 16));
		/* Inverting FILE asks nothing: same answer. */
		a = t_arg(p, 16, vec, 16);
		a.category_inverted = T_F;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 16));
	}
	/* Asked in return_mask: split. */
	{
		struct pw_region exp[] = { T_R(p, 0, 8, T_P | T_W), T_R(p, 8, 16, T_P | T_W | T_F) };

		a = t_arg(p, 16, vec, 16);
		a.return_mask = T_P | T_W | T_F;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 16));
	}
	/* Asked in category_mask: only the shared pages, FILE not returned. */
	{
		struct pw_region exp[] = { T_R(p, 8, 16, T_P | T_W) };

		a = t_arg(p, 16, vec, 16);
		a.category_mask = T_F;
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 16));
	}
	/* Asked in anyof: the same. */
	{
		struct pw_region exp[] = { T_R(p, 8, 16, T_W) };

		a = t_arg(p, 16, vec, 16);
		a.category_anyof_mask = T_F | T_S;
		a.return_mask = T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 16));
	}
	/* Asked inverted: only the private pages. */
	{
		struct pw_region exp[] = { T_R(p, 0, 8, T_P) };

		a = t_arg(p, 16, vec, 16);
		a.category_mask = a.category_inverted = T_F;
		a.return_mask = T_F | T_P;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 16));
	}
	/* Empty shmem entries in the populated block are WRITTEN but not
	 * FILE (nothing is mapped there). */
	CHECK_EQ(munmap(p + 16 * PAGE, 16 * PAGE), 0);
	shm = mmap(p + 16 * PAGE, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(shm == p + 16 * PAGE, "mmap");
	{
		struct pw_region exp[] = { T_R(p, 8, 16, T_P | T_W | T_F), T_R(p, 16, 32, T_W) };

		a = t_arg(p + 8 * PAGE, 24, vec, 16);
		a.return_mask = T_P | T_W | T_F;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 32));
	}
	pw_space_close(sp);
	t_done();
}
