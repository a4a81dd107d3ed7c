/* SPDX-License-Identifier: MIT */
/*
 * S24: matched pages become ascending, non-overlapping regions; a page
 * joins the previous region when it is adjacent and its reported
 * categories are equal -- across mapping boundaries and 2 MiB blocks too.
 * Different reported categories split; a gap splits; with return_mask 0
 * every adjacent run of matches is one region.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

static int count_mappings(uint64_t s, uint64_t e)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long ms, me;

		if (sscanf(line, "%llx-%llx", &ms, &me) == 2 && me > s && ms < e)
			n++;
	}
	fclose(f);
	return n;
}

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t z = pw_space_categories(sp) & T_Z;
	char *p = t_map_small(1024);
	struct pw_region vec[16];
	struct pw_scan_arg a;

	/*
	 * 0-7 rw (A), 8-15 read-only (B), 16-23 a new rw mapping (C): three
	 * mappings back to back, all written.  24 read (zero page), 25-27
	 * written, 28 a gap, 29-30 written, the rest of block 0 empty;
	 * block 1 populated by page 600 only.
	 */
	t_write_pages(p, 0, 16);
	CHECK_EQ(mprotect(p + 8 * PAGE, 8 * PAGE, PROT_READ), 0);
	CHECK(mmap(p + 16 * PAGE, 8 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + 16 * PAGE, "mmap");
	CHECK_EQ(madvise(p + 16 * PAGE, 8 * PAGE, MADV_NOHUGEPAGE), 0);
	t_write_pages(p, 16, 24);
	t_read_pages(p, 24, 25);
	t_write_pages(p, 25, 28);
	CHECK_EQ(munmap(p + 28 * PAGE, PAGE), 0);
	t_write_pages(p, 29, 31);
	t_write_pages(p, 600, 601);
	CHECK(count_mappings(T_PG(p, 0), T_PG(p, 28)) >= 3, "A, B, C are one mapping");

	{
		struct pw_region exp[] = {
			T_R(p, 0, 24, T_P | T_W), T_R(p, 24, 25, T_P | T_W | T_Z),
			T_R(p, 25, 28, T_P | T_W), T_R(p, 29, 31, T_P | T_W),
			T_R(p, 31, 600, T_W), T_R(p, 600, 601, T_P | T_W), T_R(p, 601, 1024, T_W),
		};

		if (z) {
			a = t_arg(p, 1024, vec, 16);
			a.return_mask = T_P | T_W | T_Z;
			t_expect(sp, &a, 7, exp, 7, T_PG(p, 1024));
		}
	}
	/* Without PFNZERO in the output, page 24 joins its neighbours. */
	{
		struct pw_region exp[] = {
			T_R(p, 0, 28, T_P | T_W), T_R(p, 29, 31, T_P | T_W),
			T_R(p, 31, 600, T_W), T_R(p, 600, 601, T_P | T_W), T_R(p, 601, 1024, T_W),
		};

		a = t_arg(p, 1024, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 5, exp, 5, T_PG(p, 1024));
	}
	/* return_mask 0: only the gap splits. */
	{
		struct pw_region exp[] = { T_R(p, 0, 28, 0), T_R(p, 29, 1024, 0) };

		a = t_arg(p, 1024, vec, 16);
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 1024));
	}
	/* return_mask 0, present pages: each run of matches. */
	{
		struct pw_region exp[] = { T_R(p, 0, 28, 0), T_R(p, 29, 31, 0), T_R(p, 600, 601, 0) };

		a = t_arg(p, 1024, vec, 16);
		a.category_mask = T_P;
		t_expect(sp, &a, 3, exp, 3, T_PG(p, 1024));
	}
	/* A return mask that separates nothing: runs of equal categories
	 * merge over present and empty pages alike. */
	{
		struct pw_region exp[] = { T_R(p, 0, 28, T_W), T_R(p, 29, 1024, T_W) };

		a = t_arg(p, 1024, vec, 16);
		a.return_mask = T_W | T_S;
		t_expect(sp, &a, 2, exp, 2, T_PG(p, 1024));
	}
	/* Starting inside a run: the region starts at start. */
	{
		struct pw_region exp[] = { T_R(p, 5, 20, T_P | T_W) };

		a = t_arg(p + 5 * PAGE, 15, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 20));
	}
	pw_space_close(sp);
	t_done();
}
