/* SPDX-License-Identifier: MIT */
/*
 * S1: PAGEMAP_SCAN is ioctl _IOWR('f', 16, 96 bytes) on a pagemap fd; any
 * other command on that fd is EINVAL from 6.7 (ENOTTY before, when the
 * pagemap file had no ioctl at all).  pw_scan's own entry point rejects a
 * missing space with -EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "testlib.h"

static long ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

int main(void)
{
	struct pw_space *sp = t_space(0);
	struct pw_region vec[4];
	struct pw_scan_arg a;
	char *p = t_map_small(512);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int mfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	const char *want = getenv("PAGEWATCH_SCAN");

	CHECK(fd >= 0 && mfd >= 0, "open /proc/self/{pagemap,maps}");
	if (want && *want)
		CHECK(!strcmp(pw_space_backend(sp), want), "backend %s, asked for %s",
		      pw_space_backend(sp), want);

	/* pw_scan without a space. */
	a = t_arg(p, 1, vec, 4);
	CHECK_EQ(pw_scan(NULL, &a), -EINVAL);
	CHECK_EQ(pw_scan(NULL, NULL), -EINVAL);

	t_write_pages(p, 0, 1);
	if (t_have_pagemap_scan()) {
		/* The right command works... */
		a = t_arg(p, 1, vec, 4);
		CHECK_EQ(ioctl_errno(fd, _IOWR('f', 16, uint8_t[96]), &a), 1);
		/* ...and every near miss is an unknown command: EINVAL. */
		a = t_arg(p, 1, vec, 4);
		CHECK_EQ(ioctl_errno(fd, _IOWR('f', 17, uint8_t[96]), &a), -EINVAL);
		CHECK_EQ(ioctl_errno(fd, _IOWR('f', 15, uint8_t[96]), &a), -EINVAL);
		CHECK_EQ(ioctl_errno(fd, _IOWR('f', 16, uint8_t[88]), &a), -EINVAL);
		CHECK_EQ(ioctl_errno(fd, _IOWR('f', 16, uint8_t[104]), &a), -EINVAL);
		CHECK_EQ(ioctl_errno(fd, _IOR('f', 16, uint8_t[96]), &a), -EINVAL);
		CHECK_EQ(ioctl_errno(fd, _IOWR('g', 16, uint8_t[96]), &a), -EINVAL);
		CHECK_EQ(ioctl_errno(fd, 0, &a), -EINVAL);
	} else {
		/* Before 6.7 the pagemap file has no ioctl: ENOTTY, and only
		 * the emulation can scan. */
		a = t_arg(p, 1, vec, 4);
		CHECK_EQ(ioctl_errno(fd, _IOWR('f', 16, uint8_t[96]), &a), -ENOTTY);
		CHECK(!strcmp(pw_space_backend(sp), "emulated"), "backend %s",
		      pw_space_backend(sp));
	}
	/* PAGEMAP_SCAN on a file that is not pagemap: ENOTTY everywhere. */
	a = t_arg(p, 1, vec, 4);
	CHECK_EQ(ioctl_errno(mfd, _IOWR('f', 16, uint8_t[96]), &a), -ENOTTY);

	/* The space scans: one written page. */
	{
		struct pw_region exp[] = { T_R(p, 0, 1, T_P | T_W) };

		a = t_arg(p, 1, vec, 4);
		a.return_mask = T_P | T_W;
		t_expect(sp, &a, 1, exp, 1, T_PG(p, 1));
	}
	close(fd);
	close(mfd);
	pw_space_close(sp);
	t_done();
}
