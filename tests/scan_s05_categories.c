/* SPDX-License-Identifier: MIT */
/*
 * S5: a bit outside the kernel's category set in any of the four masks is
 * EINVAL.  Every bit the kernel knows (0x1ff from 6.16) is accepted by the
 * native backend; the emulation accepts exactly the bits it claims
 * (pw_space_categories) and answers -EOPNOTSUPP for a known bit it cannot
 * report -- but EINVAL still wins when an unknown bit is present too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

static void set_field(struct pw_scan_arg *a, int field, uint64_t bits)
{
	switch (field) {
	case 0: a->category_inverted = bits; break;
	case 1: a->category_mask = bits; break;
	case 2: a->category_anyof_mask = bits; break;
	default: a->return_mask = bits; break;
	}
}

int main(void)
{
	struct pw_space *sp = t_space(0);
	int native = !strcmp(pw_space_backend(sp), "native");
	uint64_t claimed = pw_space_categories(sp), kernel_set = 0, bit;
	static const unsigned int bad_bits[] = { 9, 10, 15, 31, 32, 62, 63 };
	char *p = t_map_small(512);
	struct pw_region vec[8];
	struct pw_scan_arg a;
	int field;
	size_t i;

	t_write_pages(p, 0, 2);
	CHECK(claimed && !(claimed & ~PW_PAGE_ALL), "claimed 0x%llx",
	      (unsigned long long)claimed);

	/* The kernel's set, probed one bit at a time with zero-length scans. */
	if (t_have_pagemap_scan()) {
		for (bit = 1; bit; bit <<= 1) {
			a = t_arg(p, 0, NULL, 0);
			a.return_mask = bit;
			if (t_raw_scan(-1, &a) == 0)
				kernel_set |= bit;
		}
		CHECK(!(kernel_set & ~PW_PAGE_ALL), "kernel set 0x%llx",
		      (unsigned long long)kernel_set);
		CHECK(!(claimed & ~kernel_set), "claimed 0x%llx, kernel 0x%llx",
		      (unsigned long long)claimed, (unsigned long long)kernel_set);
		if (native)
			CHECK_EQ(claimed, kernel_set);
	}

	for (field = 0; field < 4; field++) {
		/* Unknown bits: EINVAL, alone or next to valid ones. */
		for (i = 0; i < T_N(bad_bits); i++) {
			uint64_t b = 1ULL << bad_bits[i];

			a = t_arg(p, 2, vec, 8);
			set_field(&a, field, b);
			CHECK(t_scan_err(sp, &a) == -EINVAL, "field %d bit %u", field, bad_bits[i]);
			a = t_arg(p, 2, vec, 8);
			set_field(&a, field, b | T_P | T_W);
			CHECK(t_scan_err(sp, &a) == -EINVAL, "field %d bit %u + PW", field,
			      bad_bits[i]);
			/* Unknown beats unsupported (emulated) / unknown (old kernel). */
			a = t_arg(p, 2, vec, 8);
			set_field(&a, field, b | PW_PAGE_ALL);
			CHECK(t_scan_err(sp, &a) == -EINVAL, "field %d bit %u + all", field,
			      bad_bits[i]);
			/* An unknown bit in one field, a valid one in another. */
			a = t_arg(p, 2, vec, 8);
			a.return_mask = T_P;
			set_field(&a, (field + 1) % 4, T_W);
			set_field(&a, field, b);
			CHECK(t_scan_err(sp, &a) == -EINVAL, "field %d bit %u, mixed", field,
			      bad_bits[i]);
		}
		/* Known bits: accepted exactly when claimed; a real scan. */
		for (bit = 1; bit & PW_PAGE_ALL; bit <<= 1) {
			long r;

			a = t_arg(p, 2, vec, 8);
			set_field(&a, field, bit);
			/* Compared with the kernel only where the backend answers. */
			r = (claimed & bit) ? t_scan(sp, &a) : pw_scan(sp, &a);
			if (claimed & bit) {
				CHECK(r >= 0, "field %d bit 0x%llx: %ld", field,
				      (unsigned long long)bit, r);
				CHECK_EQ(a.walk_end, T_PG(p, 2));
			} else {
				CHECK(!native, "native refuses bit 0x%llx", (unsigned long long)bit);
				CHECK(r == -EOPNOTSUPP, "field %d bit 0x%llx: %ld", field,
				      (unsigned long long)bit, r);
			}
			/* The zero-length probe agrees. */
			a = t_arg(p, 0, NULL, 0);
			set_field(&a, field, bit);
			CHECK_EQ(pw_scan(sp, &a), (claimed & bit) ? 0 : -EOPNOTSUPP);
		}
	}
	/* All claimed bits at once, in every field: fine. */
	a = t_arg(p, 2, vec, 8);
	a.category_inverted = a.category_anyof_mask = a.return_mask = claimed;
	CHECK(t_scan(sp, &a) >= 0, "all claimed bits");
	/* The return mask of the probe: written present pages. */
	{
		struct pw_region exp[] = { T_R(p, 0, 2, T_P | T_W) };

		a = t_arg(p, 2, vec, 8);
		a.return_mask = claimed & (T_P | T_W | T_S | T_F);
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 2));
	}
	pw_space_close(sp);
	t_done();
}
