/* SPDX-License-Identifier: MIT */
/*
 * S13, S15-S17 in a mapping registered for async write-protect
 * (userfaultfd with WP_ASYNC and WP_UNPOPULATED, 6.7+):
 *   - every page of the mapping is WPALLOWED (S15);
 *   - a protected present page is not WRITTEN, a write makes it WRITTEN
 *     again (S16, S36);
 *   - a protected never-touched page holds a marker: WPALLOWED|SWAPPED (S17);
 *   - CHECK_WPASYNC passes the registered mapping and fails with EPERM at
 *     the next one, the first mapping's regions already in vec (S13);
 *   - a range with no page table at all is WRITTEN in such a mapping (S18).
 * The emulation cannot know WPALLOWED on such a kernel and says
 * -EOPNOTSUPP for it, but PRESENT, WRITTEN and SWAPPED must still be the
 * kernel's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"
#include "kabi.h"

static int uffd_async(void)
{
	struct pw_uffdio_api api;
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | PW_UFFD_USER_MODE_ONLY);

	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	memset(&api, 0, sizeof(api));
	api.api = PW_UFFD_API;
	api.features = PW_UFFD_FEATURE_WP_ASYNC | PW_UFFD_FEATURE_WP_UNPOPULATED;
	if (ioctl(fd, PW_UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(void)
{
	struct pw_space *sp = t_space(0);
	int native = !strcmp(pw_space_backend(sp), "native");
	uint64_t claimed = pw_space_categories(sp), a_ok = claimed & T_A;
	uint64_t rm = T_P | T_W | T_S | a_ok;
	char *p = t_map_small(1024);	/* block 0 registered, block 1 not */
	struct pw_uffdio_register reg;
	struct pw_uffdio_writeprotect wp;
	struct pw_region vec[16];
	struct pw_scan_arg a;
	int uffd;

	if (!t_have_pagemap_scan())
		t_skip("no PAGEMAP_SCAN: no async write-protect on this kernel");
	uffd = uffd_async();
	if (uffd < 0)
		t_skip("userfaultfd with WP_ASYNC is not available: %s", strerror(errno));
	t_write_pages(p, 0, 4);
	t_write_pages(p, 512, 513);
	/* Two mappings: the registered block 0 and a block 1 that differs
	 * in protection, so they stay apart. */
	CHECK_EQ(mprotect(p + 512 * PAGE, 512 * PAGE, PROT_READ), 0);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)p;
	reg.range.len = 512 * PAGE;
	reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, PW_UFFDIO_REGISTER, &reg))
		t_skip("UFFDIO_REGISTER(WP): %s", strerror(errno));
	memset(&wp, 0, sizeof(wp));
	wp.range = reg.range;
	wp.mode = PW_UFFDIO_WRITEPROTECT_MODE_WP;
	CHECK_EQ(ioctl(uffd, PW_UFFDIO_WRITEPROTECT, &wp), 0);
	/* After protection: write page 1 again, drop page 2. */
	t_write_pages(p, 1, 2);
	t_dontneed(p, 2, 3);

	/* The kernel's categories, compared (rm lacks WPALLOWED on the
	 * emulated backend). */
	a = t_arg(p, 8, vec, 16);
	a.return_mask = rm;
	CHECK(t_scan(sp, &a) >= 3, "registered block");
	if (native) {
		/* 0 protected, 1 written, 2 dropped (a write, S36: an empty
		 * entry, WRITTEN), 3 protected, 4-7 markers. */
		struct pw_region exp[] = {
			T_R(p, 0, 1, T_A | T_P), T_R(p, 1, 2, T_A | T_P | T_W),
			T_R(p, 2, 3, T_A | T_W),
			T_R(p, 3, 4, T_A | T_P), T_R(p, 4, 8, T_A | T_S),
		};

		a = t_arg(p, 8, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 5, exp, 5, T_PG(p, 8));
	}
	/* Without WPALLOWED, on both backends: spelled out. */
	{
		struct pw_region exp[] = {
			T_R(p, 0, 1, T_P), T_R(p, 1, 2, T_P | T_W), T_R(p, 3, 4, T_P),
			T_R(p, 4, 8, T_S),
		};

		a = t_arg(p, 8, vec, 16);
		a.category_inverted = T_W;
		a.category_mask = T_W;
		a.return_mask = T_P | T_W | T_S;
		/* Not WRITTEN: the protected pages and the markers. */
		{
			struct pw_region nw[] = { T_R(p, 0, 1, T_P), T_R(p, 3, 4, T_P),
						  T_R(p, 4, 8, T_S) };

			t_expect(sp, &a, 3, nw, 3, T_PG(p, 8));
		}
		a = t_arg(p, 8, vec, 16);
		a.category_anyof_mask = T_P | T_S;
		a.return_mask = T_P | T_W | T_S;
		t_expect(sp, &a, 4, exp, 4, T_PG(p, 8));
	}
	/* Both blocks; the unregistered one as usual. */
	a = t_arg(p, 1024, vec, 16);
	a.return_mask = rm;
	CHECK(t_scan(sp, &a) >= 5, "both blocks");

	if (a_ok) {
		/* WPALLOWED: the registered mapping only. */
		struct pw_region exp[] = { T_R(p, 0, 512, T_A) };

		a = t_arg(p, 1024, vec, 16);
		a.category_mask = T_A;
		a.return_mask = T_A;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 1024));
		/* CHECK_WPASYNC: block 0 passes and is reported, block 1 fails. */
		a = t_arg(p, 1024, vec, 16);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		a.return_mask = T_A;
		memset(vec, 0, sizeof(vec));
		CHECK_EQ(t_scan_err(sp, &a), -EPERM);
		CHECK(vec[0].start == T_PG(p, 0) && vec[0].end == T_PG(p, 512) &&
		      vec[0].categories == T_A, "regions before the EPERM");
		/* The registered mapping alone: fine. */
		a = t_arg(p, 512, vec, 16);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		a.return_mask = T_A;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 512));
	} else {
		a = t_arg(p, 512, vec, 16);
		a.flags = PW_SCAN_CHECK_WPASYNC;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
		a = t_arg(p, 512, vec, 16);
		a.return_mask = T_A;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
	}

	/* S18: in a uffd-wp mapping even a range with no page table at all
	 * is WRITTEN.  Register a fresh two-block mapping without protecting
	 * it and touch only block 0: block 1 has no page table.  This is the
	 * documented S18 case the emulation does not follow (knowing it would
	 * take reading smaps on every scan; it only arises in a registered
	 * range that was never protected): there block 1 is not WRITTEN. */
	{
		char *q = t_map_small(1024);
		struct pw_region exp[] = { T_R(q, 0, 1, T_P | T_W), T_R(q, 1, 1024, T_W) };
		struct pw_region emu[] = { T_R(q, 0, 1, T_P | T_W), T_R(q, 1, 512, T_W),
					   T_R(q, 512, 1024, 0) };

		reg.range.start = (uintptr_t)q;
		reg.range.len = 1024 * PAGE;
		reg.mode = PW_UFFDIO_REGISTER_MODE_WP;
		CHECK_EQ(ioctl(uffd, PW_UFFDIO_REGISTER, &reg), 0);
		t_write_pages(q, 0, 1);
		a = t_arg(q, 1024, vec, 16);
		a.return_mask = T_P | T_W | T_S;
		if (strcmp(pw_space_backend(sp), "emulated")) {
			t_expect(sp, &a, 2, exp, 2, T_PG(q, 1024));
		} else {
			long n = pw_scan(sp, &a);

			CHECK_EQ(n, 3);
			CHECK(n == 3 && !memcmp(vec, emu, sizeof(emu)), "documented S18 answer");
			CHECK(a.walk_end == (uintptr_t)(q + 1024 * PAGE), "walk_end");
		}
	}
	close(uffd);
	pw_space_close(sp);
	t_done();
}
