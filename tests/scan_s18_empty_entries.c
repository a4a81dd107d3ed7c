/* SPDX-License-Identifier: MIT */
/*
 * S18, on 6.18 and as the emulation documents it: an empty entry (never
 * touched, or dropped by MADV_DONTNEED) inside a 2 MiB page-table block
 * that holds another populated page is WRITTEN; a block that was never
 * touched has no page table and its pages are not WRITTEN.  The answer
 * changes exactly at the 2 MiB boundary, and a populated page of a
 * neighbouring mapping in the same block counts.
 *
 * Where the classic pagemap cannot tell (a page table whose every entry
 * is empty again), the native backend gives the kernel's answer (WRITTEN)
 * and the emulation its documented one (not WRITTEN).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	int native = !strcmp(pw_space_backend(sp), "native");
	char *p = t_map_small(2048);	/* four blocks */
	char *b1 = p + 512 * PAGE, *b2 = p + 1024 * PAGE, *b3 = p + 1536 * PAGE;
	struct pw_region vec[16];
	struct pw_scan_arg a;

	/* Block 0: pages 0 and 10 written, 20 written then dropped. */
	t_write_pages(p, 0, 1);
	t_write_pages(p, 10, 11);
	t_write_pages(p, 20, 21);
	t_dontneed(p, 20, 21);
	/* Block 1: never touched.  Block 2: last page written. */
	t_write_pages(p, 1535, 1536);

	{
		struct pw_region exp[] = {
			T_R(p, 0, 1, T_P | T_W), T_R(p, 1, 10, T_W), T_R(p, 10, 11, T_P | T_W),
			T_R(p, 11, 512, T_W), T_R(p, 512, 1024, 0),
		};

		a = t_arg(p, 1024, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 5, exp, 5, T_PG(p, 1024));
	}
	/* WRITTEN alone: the populated block only, dropped page included. */
	{
		struct pw_region exp[] = { T_R(p, 0, 512, T_W) };

		a = t_arg(p, 1024, vec, 16);
		a.category_mask = T_W;
		a.return_mask = T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 1024));
	}
	/* Not WRITTEN: exactly the untouched block. */
	{
		struct pw_region exp[] = { T_R(b1, 0, 512, 0) };

		a = t_arg(p, 1024, vec, 16);
		a.category_inverted = a.category_mask = T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 1024));
	}
	/* The dropped page alone, and the boundary of blocks 1 and 2 seen
	 * from both sides (block 2 is populated by its last page). */
	{
		struct pw_region exp[] = { T_R(p, 20, 21, T_W) };

		a = t_arg(p + 20 * PAGE, 1, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 21));
	}
	{
		struct pw_region exp[] = { T_R(b1, 508, 512, 0), T_R(b2, 0, 4, T_W) };

		a = t_arg(b1 + 508 * PAGE, 8, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 2, exp, 2, T_PG(b2, 4));
	}
	/* A neighbouring mapping in the same block populates it: split
	 * block 3 into rw 0-255 and read-only 256-511, write page 0 only. */
	CHECK_EQ(mprotect(b3 + 256 * PAGE, 256 * PAGE, PROT_READ), 0);
	t_write_pages(b3, 0, 1);
	{
		struct pw_region exp[] = { T_R(b3, 256, 512, T_W) };

		a = t_arg(b3 + 256 * PAGE, 256, vec, 16);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(b3, 512));
	}
	/* Dropping every page of a block frees its page table where the
	 * kernel reclaims empty tables (6.18 with CONFIG_PT_RECLAIM): not
	 * WRITTEN any more.  Elsewhere the table stays: the ambiguous case
	 * below. */
	t_dontneed(p, 1024, 1536);
	{
		struct pw_region exp[] = { T_R(b2, 0, 512, 0) };
		struct pw_region kvec[2];
		int reclaimed = 1;

		if (t_have_pagemap_scan()) {
			a = t_arg(b2, 512, kvec, 2);
			a.return_mask = T_P | T_W;
			reclaimed = t_raw_scan(-1, &a) == 1 && kvec[0].categories == 0;
		}
		a = t_arg(b2, 512, vec, 16);
		a.return_mask = T_P | T_W;
		if (reclaimed)
			t_expect(sp, &a, 1, exp, 1, T_PG(b2, 512));
		else
			fprintf(stderr, "note: this kernel keeps empty page tables\n");
	}
	/*
	 * The ambiguous case: block 1 gets one page written and dropped on
	 * its own.  The page table stays, every entry empty.  The kernel says
	 * WRITTEN; the classic pagemap shows the same as no table at all, and
	 * the emulation documents "not WRITTEN".  Not compared between the two.
	 */
	t_write_pages(b1, 5, 6);
	t_dontneed(b1, 5, 6);
	a = t_arg(b1, 8, vec, 16);
	a.return_mask = T_P | T_W;
	CHECK_EQ(pw_scan(sp, &a), 1);
	CHECK_EQ(vec[0].start, T_PG(b1, 0));
	CHECK_EQ(vec[0].end, T_PG(b1, 8));
	CHECK_EQ(vec[0].categories, native ? T_W : 0);
	CHECK_EQ(a.walk_end, T_PG(b1, 8));
	pw_space_close(sp);
	t_done();
}
