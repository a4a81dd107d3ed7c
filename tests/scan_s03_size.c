/* SPDX-License-Identifier: MIT */
/* S3: size must be exactly 96 (sizeof(struct pw_scan_arg)): EINVAL otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(512);
	static const uint64_t sizes[] = {
		0, 1, 8, 88, 95, 97, 104, 96 * 2, (1ULL << 32) | 96, 96ULL << 32,
		UINT64_MAX,
	};
	/* Room for the largest size tried, so only the value can be wrong. */
	struct pw_scan_arg big[2];
	struct pw_region vec[4];
	size_t i;

	t_write_pages(p, 0, 2);
	CHECK_EQ(sizeof(struct pw_scan_arg), 96);
	for (i = 0; i < T_N(sizes); i++) {
		memset(big, 0, sizeof(big));
		big[0] = t_arg(p, 2, vec, 4);
		big[0].size = sizes[i];
		big[0].return_mask = T_P | T_W;
		big[1] = big[0];
		memset(vec, 0xa5, sizeof(vec));
		CHECK(t_scan_err(sp, &big[0]) == -EINVAL, "size %llu",
		      (unsigned long long)sizes[i]);
		/* Nothing was written. */
		CHECK(!memcmp(&big[0], &big[1], sizeof(big[0])), "arg changed");
		CHECK(vec[0].start == 0xa5a5a5a5a5a5a5a5ULL, "vec written");
	}
	/* 96 is accepted and the scan runs. */
	{
		struct pw_region exp[] = { T_R(p, 0, 2, T_P | T_W) };
		struct pw_scan_arg a = t_arg(p, 2, vec, 4);

		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 2));
	}
	pw_space_close(sp);
	t_done();
}
