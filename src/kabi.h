/* SPDX-License-Identifier: MIT */
/*
 * The kernel ABI pagewatch needs, defined here because the build machine's
 * headers may predate it (Debian 12 ships 6.1 headers: no PAGEMAP_SCAN, no
 * WP_ASYNC, no guard regions).  Values are fixed by the kernel; the layouts
 * are checked against the public header at compile time in space.c.
 */
#ifndef PW_KABI_H
#define PW_KABI_H

#include <stdint.h>
#include <sys/ioctl.h>

/* PAGEMAP_SCAN = _IOWR('f', 16, struct pm_scan_arg), 96-byte argument. */
#define PW_PAGEMAP_SCAN		_IOWR('f', 16, uint8_t[96])
#define PW_SCAN_ARG_SIZE	96

/* Classic /proc/PID/pagemap entry bits. */
#define PM_PFN_MASK		((1ULL << 55) - 1)
#define PM_SOFT_DIRTY_BIT	55
#define PM_EXCLUSIVE_BIT	56
#define PM_UFFD_WP_BIT		57
#define PM_GUARD_BIT		58
#define PM_FILE_BIT		61
#define PM_SWAP_BIT		62
#define PM_PRESENT_BIT		63

/* /proc/kpageflags bits. */
#define KPF_HUGE		17
#define KPF_THP			22
#define KPF_ZERO_PAGE		24

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#define MADV_GUARD_REMOVE	103
#endif

#define HUGETLBFS_MAGIC_VALUE	0x958458f6

/* userfaultfd: 6.1 headers have the basics, not the newer features. */
#define PW_UFFD_API			0xAA
#define PW_UFFD_USER_MODE_ONLY		1
#define PW_UFFD_FEATURE_SIGBUS		(1ULL << 7)
#define PW_UFFD_FEATURE_THREAD_ID	(1ULL << 8)
#define PW_UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1ULL << 12)
#define PW_UFFD_FEATURE_WP_UNPOPULATED	(1ULL << 13)
#define PW_UFFD_FEATURE_WP_ASYNC	(1ULL << 15)
#define PW_UFFDIO_REGISTER_MODE_MISSING	(1ULL << 0)
#define PW_UFFDIO_REGISTER_MODE_WP	(1ULL << 1)
#define PW_UFFDIO_WRITEPROTECT_MODE_WP	(1ULL << 0)
#define PW_UFFDIO_WRITEPROTECT_MODE_DONTWAKE (1ULL << 1)
#define PW_UFFD_PAGEFAULT_FLAG_WRITE	(1ULL << 0)
#define PW_UFFD_PAGEFAULT_FLAG_WP	(1ULL << 1)
#define PW_UFFD_EVENT_PAGEFAULT		0x12
#define PW_UFFD_EVENT_FORK		0x13
#define PW_UFFD_EVENT_REMAP		0x14
#define PW_UFFD_EVENT_REMOVE		0x15
#define PW_UFFD_EVENT_UNMAP		0x16
#define PW_DEV_USERFAULTFD_IOC_NEW	_IO(0xAA, 0x00)

struct pw_uffdio_api {
	uint64_t api;
	uint64_t features;
	uint64_t ioctls;
};

struct pw_uffdio_range {
	uint64_t start;
	uint64_t len;
};

struct pw_uffdio_register {
	struct pw_uffdio_range range;
	uint64_t mode;
	uint64_t ioctls;
};

struct pw_uffdio_writeprotect {
	struct pw_uffdio_range range;
	uint64_t mode;
};

struct pw_uffd_msg {
	uint8_t event;
	uint8_t reserved1;
	uint16_t reserved2;
	uint32_t reserved3;
	union {
		struct {
			uint64_t flags;
			uint64_t address;
			uint32_t ptid;
		} pagefault;
		struct {
			uint64_t reserved1, reserved2, reserved3;
		} reserved;
	} arg;
} __attribute__((packed));

#define PW_UFFDIO_API		_IOWR(PW_UFFD_API, 0x3F, struct pw_uffdio_api)
#define PW_UFFDIO_REGISTER	_IOWR(PW_UFFD_API, 0x00, struct pw_uffdio_register)
#define PW_UFFDIO_UNREGISTER	_IOR(PW_UFFD_API, 0x01, struct pw_uffdio_range)
#define PW_UFFDIO_WAKE		_IOR(PW_UFFD_API, 0x02, struct pw_uffdio_range)
#define PW_UFFDIO_WRITEPROTECT	_IOWR(PW_UFFD_API, 0x06, struct pw_uffdio_writeprotect)

#endif /* PW_KABI_H */
