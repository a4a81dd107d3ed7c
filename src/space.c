/* SPDX-License-Identifier: MIT */
/* Address spaces: which backend scans, and the one entry point pw_scan. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(sizeof(struct pw_scan_arg) == PW_SCAN_ARG_SIZE,
	       "pw_scan_arg must match the kernel's pm_scan_arg");
_Static_assert(sizeof(struct pw_region) == 24,
	       "pw_region must match the kernel's page_region");

/* PAGEWATCH_SCAN overrides flags 0; the choice is made here and only here. */
static int choose_flags(unsigned flags, unsigned *out)
{
	static const char *const names[] = { "native", "emulated" };
	int env;

	if (flags & ~(PW_SPACE_NATIVE | PW_SPACE_EMULATED) ||
	    flags == (PW_SPACE_NATIVE | PW_SPACE_EMULATED))
		return -EINVAL;
	if (!flags) {
		env = pw_env_choice("PAGEWATCH_SCAN", names, 2);
		if (env == -EINVAL)
			return -EINVAL;
		if (env >= 0)
			flags = env ? PW_SPACE_EMULATED : PW_SPACE_NATIVE;
	}
	*out = flags;
	return 0;
}

static int open_proc(struct pw_space *sp, pid_t pid)
{
	char path[32];
	uint64_t e;

	if (pid < 0)
		return -EINVAL;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self");
	else
		snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	sp->proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->proc_fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	sp->pagemap_fd = openat(sp->proc_fd, "pagemap", O_RDONLY | O_CLOEXEC);
	if (sp->pagemap_fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	sp->maps_fd = openat(sp->proc_fd, "maps", O_RDONLY | O_CLOEXEC);
	if (sp->maps_fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* A zombie or a kernel thread has no memory: newer kernels refuse
	 * the open, older ones (6.1) give a file that reads empty. */
	if (pread(sp->pagemap_fd, &e, sizeof(e), 0) == 0)
		return -ESRCH;
	return 0;
}

static int open_backend(struct pw_space *sp, unsigned flags)
{
	int r;

	if (flags != PW_SPACE_EMULATED) {
		sp->ops = &pw_scan_native_ops;
		r = sp->ops->open(sp);
		if (r != -EOPNOTSUPP || flags == PW_SPACE_NATIVE)
			return r;
	}
	sp->ops = &pw_scan_emulated_ops;
	return sp->ops->open(sp);
}

int pw_space_open(struct pw_space **out, pid_t pid, unsigned flags)
{
	struct pw_space *sp;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	r = choose_flags(flags, &flags);
	if (r)
		return r;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->pid = pid;
	sp->proc_fd = sp->pagemap_fd = sp->maps_fd = -1;
	pthread_mutex_init(&sp->maps_lock, NULL);
	r = open_proc(sp, pid);
	if (!r)
		r = open_backend(sp, flags);
	if (r) {
		sp->ops = NULL;
		pw_space_close(sp);
		return r;
	}
	*out = sp;
	return 0;
}

void pw_space_close(struct pw_space *sp)
{
	if (!sp)
		return;
	if (sp->ops && sp->ops->close)
		sp->ops->close(sp);
	if (sp->pagemap_fd >= 0)
		close(sp->pagemap_fd);
	if (sp->maps_fd >= 0)
		close(sp->maps_fd);
	pthread_mutex_destroy(&sp->maps_lock);
	if (sp->proc_fd >= 0)
		close(sp->proc_fd);
	free(sp);
}

const char *pw_space_backend(const struct pw_space *sp)
{
	return sp ? sp->ops->name : NULL;
}

uint64_t pw_space_categories(const struct pw_space *sp)
{
	return sp ? sp->categories : 0;
}

static bool access_ok(uint64_t addr, uint64_t size)
{
	uint64_t sum = addr + size;

	return sum >= addr && sum <= pw_sysinfo()->user_top;
}

int pw_scan_check_range(const struct pw_scan_arg *a)
{
	uint64_t vec_bytes;

	if (a->start & (PW_PAGE_SIZE - 1))
		return -EINVAL;
	if (!access_ok(a->start, a->end - a->start))
		return -EFAULT;
	if (!a->vec && a->vec_len)
		return -EINVAL;
	vec_bytes = a->vec_len > UINT64_MAX / sizeof(struct pw_region) ?
		    UINT64_MAX : a->vec_len * sizeof(struct pw_region);
	if (a->vec && !access_ok(a->vec, vec_bytes))
		return -EFAULT;
	return 0;
}

long pw_scan(struct pw_space *sp, struct pw_scan_arg *arg)
{
	if (!sp)
		return -EINVAL;
	return sp->ops->scan(sp, arg);
}
