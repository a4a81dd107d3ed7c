/* SPDX-License-Identifier: MIT */
/*
 * pw_space_categories() is a promise: every category it names is reported
 * exactly.  For each claimed bit, queries that require it, require its
 * absence, or ask for it among others, over a layout with every kind of
 * page this machine can make, must give the kernel's answer (when the
 * kernel has PAGEMAP_SCAN) and the answer the layout's construction
 * dictates (always, for the pages whose categories are certain).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define NP 2560

static uint64_t cats[NP];
static unsigned char mapped[NP];
static struct pw_region vec[256], want[256];

static char *fixed(char *at, size_t pages, int prot, int flags, int fd)
{
	char *r = mmap(at, pages * PAGE, prot, flags | MAP_FIXED, fd, 0);

	if (r != at) {
		perror("mmap");
		exit(1);
	}
	madvise(r, pages * PAGE, MADV_NOHUGEPAGE);
	return r;
}

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t claimed = pw_space_categories(sp), z = claimed & T_Z, bit;
	int raw = t_have_pagemap_scan(), fd = t_tmpfile(4), queries = 0;
	struct pw_probe pr;
	char *p = t_map(NP);
	size_t i, n, cert_end;
	struct pw_scan_arg a;

	CHECK(fd >= 0, "temporary file");
	/* Where the kernel has soft-dirty, every page of a new mapping is
	 * SOFT_DIRTY: only the kernel can be the judge of that bit. */
	memset(&pr, 0, sizeof(pr));
	CHECK_EQ(pw_probe(&pr, sizeof(pr)), 0);
	CHECK(claimed & T_P && claimed & T_W, "PRESENT and WRITTEN not claimed: 0x%llx",
	      (unsigned long long)claimed);
	for (i = 0; i < NP; i++) {
		mapped[i] = 1;
		cats[i] = i < 512 ? T_W : 0;
	}
	/* Block 0, 4 KiB pages. */
	CHECK_EQ(madvise(p, 512 * PAGE, MADV_NOHUGEPAGE), 0);
	t_write_pages(p, 0, 1);
	cats[0] = T_P | T_W;
	t_read_pages(p, 1, 2);
	cats[1] = T_P | T_W | z;
	t_write_pages(p, 2, 3);
	t_dontneed(p, 2, 3);
	if (madvise(p + 3 * PAGE, PAGE, 102) == 0) {
		cats[3] = T_S | T_W | (claimed & T_G);
	} else {
		t_write_pages(p, 3, 4);
		cats[3] = T_P | T_W;
	}
	fixed(p + 4 * PAGE, 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	t_write_pages(p, 4, 5);
	t_read_pages(p, 5, 6);
	cats[4] = cats[5] = T_P | T_W | T_F;
	fixed(p + 8 * PAGE, 1, PROT_READ, MAP_SHARED, fd);
	t_read_pages(p, 8, 9);
	cats[8] = T_P | T_W | T_F;
	fixed(p + 12 * PAGE, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	t_read_pages(p, 12, 13);
	cats[12] = T_P | T_W | T_F;
	fixed(p + 13 * PAGE, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	t_write_pages(p, 13, 14);
	cats[13] = T_P | T_W;
	fixed(p + 16 * PAGE, 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	t_read_pages(p, 16, 17);
	cats[16] = T_P | T_W | z;
	/* Block 1: a written THP; block 2: the huge zero page -- if THP
	 * works here.  Only the kernel knows for sure. */
	madvise(p + 512 * PAGE, 1024 * PAGE, MADV_HUGEPAGE);
	t_write_pages(p, 512, 1024);
	t_read_pages(p, 1024, 1536);
	/* Block 3: never touched.  Block 4: one page left, written. */
	CHECK_EQ(madvise(p + 1536 * PAGE, 1024 * PAGE, MADV_NOHUGEPAGE), 0);
	CHECK_EQ(munmap(p + 2048 * PAGE, 52 * PAGE), 0);
	CHECK_EQ(munmap(p + 2101 * PAGE, 459 * PAGE), 0);
	for (i = 2048; i < NP; i++)
		mapped[i] = i == 2100;
	t_write_pages(p, 2100, 2101);
	cats[2100] = T_P | T_W;
	cert_end = 512;

	for (bit = 1; bit & PW_PAGE_ALL; bit <<= 1) {
		struct pw_scan_arg q[4];
		int k;

		if (!(claimed & bit))
			continue;
		memset(q, 0, sizeof(q));
		q[0] = t_arg(p, NP, vec, 256);
		q[0].category_mask = bit;
		q[0].return_mask = claimed;
		q[1] = t_arg(p, NP, vec, 256);
		q[1].category_mask = q[1].category_inverted = bit;
		q[1].return_mask = claimed;
		q[2] = t_arg(p, NP, vec, 256);
		q[2].category_anyof_mask = bit | T_S;
		q[2].return_mask = bit;
		q[3] = t_arg(p, NP, vec, 256);
		q[3].return_mask = bit;
		for (k = 0; k < 4; k++) {
			long r;

			/* Against the kernel, over everything. */
			a = q[k];
			if (raw) {
				r = t_scan(sp, &a);
				CHECK(r >= 0, "bit 0x%llx query %d: %ld", (unsigned long long)bit, k, r);
				queries++;
			}
			/* Against the construction, over blocks 0 and 3-4
			 * separately (the THP blocks are uncertain). */
			if (pr.soft_dirty && (bit == T_D || k == 3))
				continue;
			if (pr.soft_dirty)
				q[k].return_mask &= ~T_D;
			a = q[k];
			a.end = T_PG(p, cert_end);
			n = t_model(cats, mapped, NP, p, &a, want, 256);
			t_expect(sp, &a, (long)n, want, n, T_PG(p, cert_end));
			a = q[k];
			a.start = T_PG(p, 1536);
			n = t_model(cats, mapped, NP, p, &a, want, 256);
			t_expect(sp, &a, (long)n, want, n, T_PG(p, NP));
			queries++;
		}
	}
	CHECK(queries >= 8, "%d queries", queries);
	close(fd);
	pw_space_close(sp);
	t_done();
}
