/* SPDX-License-Identifier: MIT */
/*
 * Keeping transparent huge pages out of a watched range.
 *
 * uffd-async and soft-dirty track at the granularity of the page-table
 * entry: a PMD-mapped THP is one entry, so one write would report 512
 * pages.  We split every PMD in the range into 4 KiB entries (the data and
 * the huge folio stay; only the mapping changes) and mark the range
 * MADV_NOHUGEPAGE so that neither faults nor khugepaged build new ones.
 *
 * The split is done by changing the protection of one page of each 2 MiB
 * block and changing it back: the kernel must split a PMD whose range is
 * only partly covered.  We toggle PROT_EXEC, never read or write
 * permission, so that other threads touching the memory meanwhile never
 * fault.  Only mappings that smaps says hold PMD-mapped THPs are touched
 * (so noexec shmem without THPs is fine); where PROT_EXEC is refused on
 * one that does, the error is returned: better no watch than one that
 * reports clean pages written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static int perms_prot(const char *perms)
{
	return (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
	       (perms[2] == 'x' ? PROT_EXEC : 0);
}

/* Split the PMDs of [s, e), which lies inside one mapping of protection prot. */
static int split_blocks(uint64_t s, uint64_t e, int prot)
{
	uint64_t b;

	for (b = s; b < e; b = pw_align_down(b, PW_PMD_SIZE) + PW_PMD_SIZE) {
		void *page = (void *)(uintptr_t)b;

		if (mprotect(page, PW_PAGE_SIZE, prot ^ PROT_EXEC))
			return -errno;
		if (mprotect(page, PW_PAGE_SIZE, prot))
			return -errno;
	}
	return 0;
}

static bool has_pmd_maps(const struct pw_region *huge, size_t n, const struct pw_vma *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (huge[i].start < v->end && v->start < huge[i].end)
			return true;
	return false;
}

int pw_thp_split(uint64_t start, uint64_t end)
{
	struct pw_maps_reader mr;
	struct pw_region *huge;
	struct pw_vma v;
	size_t nhuge;
	int fd, r;

	/* EINVAL: a kernel without THP, where there is nothing to split. */
	if (madvise((void *)(uintptr_t)start, end - start, MADV_NOHUGEPAGE) && errno != EINVAL)
		return -errno;
	r = pw_pmd_mapped_maps(-1, &huge, &nhuge);
	if (r || !nhuge)
		return r;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(huge);
		return -errno;
	}
	r = pw_maps_begin(&mr, fd);
	while (!r && (r = pw_maps_next(&mr, &v)) > 0) {
		uint64_t s = v.start > start ? v.start : start;
		uint64_t e = v.end < end ? v.end : end;

		r = 0;
		if (v.end <= start || !has_pmd_maps(huge, nhuge, &v))
			continue;
		if (v.start >= end)
			break;
		r = split_blocks(s, e, perms_prot(v.perms));
	}
	pw_maps_end(&mr);
	close(fd);
	free(huge);
	return r < 0 ? r : 0;
}
