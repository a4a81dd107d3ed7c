/* SPDX-License-Identifier: MIT */
/*
 * S2: an argument that cannot be read is EFAULT, before anything else is
 * looked at.  walk_end is the only field written back (S25), so an
 * argument that can be read but not written fails with EFAULT too -- after
 * the walk, with the regions already in vec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

int main(void)
{
	struct pw_space *sp = t_space(0);
	char *p = t_map_small(512);
	char *buf = t_map(3);	/* page 0 rw, page 1 PROT_NONE, page 2 unmapped */
	struct pw_scan_arg *a;
	struct pw_region vec[4], kvec[4];
	struct pw_scan_arg *ro;
	long r;

	t_write_pages(p, 0, 4);
	t_write_pages(buf, 0, 2);
	CHECK_EQ(mprotect(buf + PAGE, PAGE, PROT_NONE), 0);
	CHECK_EQ(munmap(buf + 2 * PAGE, PAGE), 0);

	/* NULL. */
	CHECK_EQ(pw_scan(sp, NULL), -EFAULT);
	if (t_have_pagemap_scan())
		CHECK_EQ(t_raw_scan(-1, NULL), -EFAULT);

	/* An unmapped page, a PROT_NONE page, a kernel address, the last
	 * bytes below the top of user space. */
	{
		uint64_t bad[] = {
			(uintptr_t)(buf + 2 * PAGE), (uintptr_t)(buf + PAGE),
			0xffffffff81000000ULL, t_user_top() - 48, 8,
		};
		size_t i;

		for (i = 0; i < T_N(bad); i++) {
			r = pw_scan(sp, (struct pw_scan_arg *)(uintptr_t)bad[i]);
			CHECK(r == -EFAULT, "arg at 0x%llx: %ld",
			      (unsigned long long)bad[i], r);
			if (t_have_pagemap_scan())
				CHECK_EQ(t_raw_scan(-1, (struct pw_scan_arg *)(uintptr_t)bad[i]),
					 -EFAULT);
		}
	}

	/* A valid argument whose last field runs into the PROT_NONE page:
	 * the whole 96 bytes are read, so EFAULT even though size, flags,
	 * start and end are readable and valid. */
	a = (struct pw_scan_arg *)(buf + PAGE - 64);
	memcpy(a, &(struct pw_scan_arg){ .size = sizeof(*a) }, 64);
	r = pw_scan(sp, a);
	CHECK_EQ(r, -EFAULT);
	if (t_have_pagemap_scan())
		CHECK_EQ(t_raw_scan(-1, a), -EFAULT);

	/* The same argument fully readable: fine (zero-length scan). */
	a = (struct pw_scan_arg *)(buf + PAGE - 96);
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	CHECK_EQ(pw_scan(sp, a), 0);

	/* Read-only argument: the walk runs, the regions reach vec, and the
	 * write-back of walk_end fails. */
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap");
	ro[0] = t_arg(p, 8, vec, 4);
	ro[0].category_mask = T_P;
	ro[0].return_mask = T_P | T_W;
	ro[0].walk_end = 0x1234;
	ro[1] = ro[0];
	ro[1].vec = (uintptr_t)kvec;
	CHECK_EQ(mprotect(ro, PAGE, PROT_READ), 0);
	memset(vec, 0, sizeof(vec));
	memset(kvec, 0, sizeof(kvec));
	r = pw_scan(sp, &ro[0]);
	CHECK_EQ(r, -EFAULT);
	CHECK_EQ(ro[0].walk_end, 0x1234);
	CHECK_EQ(vec[0].start, T_PG(p, 0));
	CHECK_EQ(vec[0].end, T_PG(p, 4));
	CHECK_EQ(vec[0].categories, T_P | T_W);
	CHECK_EQ(vec[1].end, 0);
	if (t_have_pagemap_scan()) {
		CHECK_EQ(t_raw_scan(-1, &ro[1]), -EFAULT);
		CHECK(!memcmp(vec, kvec, sizeof(vec)), "vec differs from the kernel's");
	}
	pw_space_close(sp);
	t_done();
}
