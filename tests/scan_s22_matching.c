/* SPDX-License-Identifier: MIT */
/*
 * S22: with c = categories ^ category_inverted, a page matches when
 * (c & category_mask) == category_mask and (category_anyof_mask == 0 or
 * c & category_anyof_mask != 0).  All masks 0 match every page of every
 * scanned mapping, unpopulated ones included, and never a gap.
 *
 * A layout whose page categories are known by construction is scanned
 * with every combination of a set of masks; the expected answer comes
 * from those categories and the rule (t_model), and must also be the
 * kernel's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#define NP 520

static uint64_t cats[NP];
static unsigned char mapped[NP];

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t claimed = pw_space_categories(sp);
	uint64_t z = claimed & T_Z, g = 0, rm;
	static const uint64_t masks[] = {
		0, T_P, T_W, T_F, T_Z, T_S, T_G, T_P | T_W, T_P | T_Z, T_W | T_F, T_S | T_G,
		T_P | T_F | T_Z, T_H,
	};
	uint64_t use[T_N(masks)];
	size_t nuse = 0, i, j, k, n, combos = 0;
	char *p = t_map_small(1024);
	struct pw_region vec[64], exp[64];
	struct pw_scan_arg a;

	/* Block 0: every page WRITTEN at least (the block is populated). */
	for (i = 0; i < NP; i++) {
		mapped[i] = 1;
		cats[i] = i < 512 ? T_W : 0;	/* block 1: no page table */
	}
	t_write_pages(p, 0, 2);
	cats[0] = cats[1] = T_P | T_W;
	t_read_pages(p, 2, 3);
	cats[2] = T_P | T_W | z;
	t_write_pages(p, 3, 4);
	t_dontneed(p, 3, 4);			/* 3: W; 4: untouched, W */
	CHECK_EQ(munmap(p + 5 * PAGE, PAGE), 0);
	mapped[5] = 0;
	CHECK(mmap(p + 6 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + 6 * PAGE, "mmap");
	t_write_pages(p, 6, 8);
	cats[6] = cats[7] = T_P | T_W | T_F;	/* 8: shmem, untouched: W */
	if ((claimed & T_G) && madvise(p + 9 * PAGE, PAGE, 102) == 0) {
		g = T_G;
		cats[9] = T_S | T_W | T_G;
	} else {
		t_write_pages(p, 9, 10);
		cats[9] = T_P | T_W;
	}
	t_read_pages(p, 10, 11);
	CHECK_EQ(mprotect(p + 10 * PAGE, PAGE, PROT_READ), 0);
	cats[10] = T_P | T_W | z;

	/* The masks this backend can be asked. */
	for (i = 0; i < T_N(masks); i++)
		if (!(masks[i] & ~claimed))
			use[nuse++] = masks[i];
	rm = claimed & (T_P | T_W | T_F | T_Z | T_S | T_G | T_H);

	for (i = 0; i < nuse; i++)
		for (j = 0; j < nuse; j++)
			for (k = 0; k < nuse; k++) {
				a = t_arg(p, NP, vec, 64);
				a.category_inverted = use[i];
				a.category_mask = use[j];
				a.category_anyof_mask = use[k];
				a.return_mask = rm;
				n = t_model(cats, mapped, NP, p, &a, exp, 64);
				t_expect(sp, &a, (long)n, exp, n, T_PG(p, NP));
				combos++;
				if (t_failures > 20) {
					fprintf(stderr, "too many failures, stopping\n");
					t_done();
				}
			}
	CHECK(combos >= 500, "only %zu combinations", combos);

	/* All masks 0: every mapped page, the unpopulated block included. */
	{
		struct pw_region all[] = { T_R(p, 0, 5, 0), T_R(p, 6, NP, 0) };

		a = t_arg(p, NP, vec, 64);
		t_expect(sp, &a, 2, all, 2, T_PG(p, NP));
	}
	/* Inverted bits that no mask names change nothing: every page, with
	 * its categories (spelled out, independently of t_model). */
	if (z && g) {
		struct pw_region all[] = {
			T_R(p, 0, 2, T_P | T_W), T_R(p, 2, 3, T_P | T_W | T_Z),
			T_R(p, 3, 5, T_W), T_R(p, 6, 8, T_P | T_W | T_F), T_R(p, 8, 9, T_W),
			T_R(p, 9, 10, T_S | T_W | T_G), T_R(p, 10, 11, T_P | T_W | T_Z),
			T_R(p, 11, 512, T_W), T_R(p, 512, NP, 0),
		};

		a = t_arg(p, NP, vec, 64);
		a.category_inverted = claimed;
		a.return_mask = rm;
		t_expect(sp, &a, 9, all, 9, T_PG(p, NP));
		a = t_arg(p, NP, vec, 64);
		a.return_mask = rm;
		t_expect(sp, &a, 9, all, 9, T_PG(p, NP));
	}
	pw_space_close(sp);
	t_done();
}
