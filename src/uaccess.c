/* SPDX-License-Identifier: MIT */
/*
 * Checked copies to and from caller-supplied addresses.  The kernel answers
 * EFAULT for a pw_scan_arg or vec it cannot access; the emulation must give
 * the same answer instead of crashing, so it copies through
 * process_vm_readv/writev on itself, which fail cleanly.  Where a sandbox
 * forbids those calls we fall back to plain copies (a bad pointer then
 * crashes, as any libc function would).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

static int user_copy(void *local, uint64_t remote, size_t len, bool write)
{
	struct iovec l = { .iov_base = local, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)remote, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	if (write)
		n = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
	else
		n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0 || errno == EFAULT)
		return -EFAULT;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	if (!remote)
		return -EFAULT;
	if (write)
		memcpy((void *)(uintptr_t)remote, local, len);
	else
		memcpy(local, (const void *)(uintptr_t)remote, len);
	return 0;
}

int pw_user_read(void *dst, uint64_t src, size_t len)
{
	return user_copy(dst, src, len, false);
}

int pw_user_write(uint64_t dst, const void *src, size_t len)
{
	return user_copy((void *)src, dst, len, true);
}
