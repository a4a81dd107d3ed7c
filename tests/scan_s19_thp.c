/* SPDX-License-Identifier: MIT */
/*
 * S19: a transparent huge page mapped by one PMD is HUGE besides its other
 * categories; the huge zero page is HUGE|PFNZERO (6.16+); a THP whose PMD
 * was split into 4 KiB entries is not HUGE any more -- whether or not all
 * 512 entries are still present.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

static struct pw_space *sp;
static uint64_t rm;

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return 0;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok;
}

/* Whether [q, q + 2 MiB) is one PMD-mapped THP: the kernel's HUGE when it
 * has the ioctl, else smaps' AnonHugePages of the mapping. */
static int is_thp(char *q)
{
	if (t_have_pagemap_scan()) {
		struct pw_region v[2];
		struct pw_scan_arg a = t_arg(q, 512, v, 2);

		a.category_mask = T_H;
		return t_raw_scan(-1, &a) == 1 && v[0].start == T_PG(q, 0) &&
		       v[0].end == T_PG(q, 512);
	} else {
		FILE *f = fopen("/proc/self/smaps", "r");
		char line[256];
		unsigned long long s, e, kb;
		int in = 0, ok = 0;

		if (!f)
			return 0;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%llx-%llx ", &s, &e) == 2)
				in = s <= (uintptr_t)q && (uintptr_t)q < e;
			else if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
				ok = kb >= 2048;
		}
		fclose(f);
		return ok;
	}
}

int main(void)
{
	char mode[128], zp[16] = "";
	uint64_t claimed;
	char *p, *thp, *zero, *split, *remapped;
	struct pw_region vec[16];
	struct pw_scan_arg a;
	int parts = 0;

	if (read_line("/sys/kernel/mm/transparent_hugepage/enabled", mode, sizeof(mode)) &&
	    strstr(mode, "[never]"))
		t_skip("transparent huge pages are disabled ([never])");
	sp = t_space(0);
	claimed = pw_space_categories(sp);
	rm = claimed & (T_P | T_W | T_F | T_S | T_Z | T_H);
	if (!(claimed & T_H)) {
		a = t_arg(NULL, 0, NULL, 0);
		a.return_mask = T_H;
		CHECK_EQ(pw_scan(sp, &a), -EOPNOTSUPP);
	}

	p = t_map(3 * 512);
	thp = p;
	zero = p + 512 * PAGE;
	split = p + 1024 * PAGE;
	if (madvise(p, 3 * 512 * PAGE, MADV_HUGEPAGE))
		t_skip("MADV_HUGEPAGE: %s", strerror(errno));

	/* A written THP. */
	t_write_pages(thp, 0, 512);
	if (is_thp(thp)) {
		struct pw_region exp[] = { T_R(thp, 0, 512, (T_H | T_P | T_W) & rm) };
		struct pw_region part[] = { T_R(thp, 100, 200, (T_H | T_P | T_W) & rm) };
		struct pw_region cut[] = { T_R(thp, 0, 10, (T_H | T_P | T_W) & rm) };

		parts++;
		a = t_arg(thp, 512, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 1, exp, 1, T_PG(thp, 512));
		/* Part of it. */
		a = t_arg(thp + 100 * PAGE, 100, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 1, part, 1, T_PG(thp, 200));
		/* max_pages cuts inside the huge page. */
		a = t_arg(thp, 512, vec, 16);
		a.max_pages = 10;
		a.return_mask = rm;
		t_expect(sp, &a, 1, cut, 1, T_PG(thp, 10));
		if (rm & T_H) {
			/* Asked for by category; and not HUGE: nothing. */
			a = t_arg(thp, 512, vec, 16);
			a.category_mask = T_H;
			a.return_mask = rm;
			t_expect(sp, &a, 1, exp, 1, T_PG(thp, 512));
			a = t_arg(thp, 512, vec, 16);
			a.category_mask = a.category_inverted = T_H;
			t_expect(sp, &a, 0, NULL, 0, T_PG(thp, 512));
		}
	} else {
		fprintf(stderr, "note: no THP for the written block\n");
	}

	/* A THP read before any write: the huge zero page. */
	read_line("/sys/kernel/mm/transparent_hugepage/use_zero_page", zp, sizeof(zp));
	t_read_pages(zero, 0, 512);
	if (zp[0] == '1' && is_thp(zero)) {
		struct pw_region exp[] = { T_R(zero, 0, 512, (T_H | T_Z | T_P | T_W) & rm) };

		parts++;
		a = t_arg(zero, 512, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 1, exp, 1, T_PG(zero, 512));
		if (rm & T_Z) {
			a = t_arg(zero, 512, vec, 16);
			a.category_mask = T_Z;
			a.return_mask = rm;
			t_expect(sp, &a, 1, exp, 1, T_PG(zero, 512));
		}
	} else {
		fprintf(stderr, "note: no huge zero page\n");
	}

	/* A THP with one page dropped: the PMD is split, nothing is HUGE. */
	t_write_pages(split, 0, 512);
	if (is_thp(split)) {
		struct pw_region exp[] = { T_R(split, 0, 5, T_P | T_W), T_R(split, 5, 6, T_W),
					   T_R(split, 6, 512, T_P | T_W) };

		parts++;
		t_dontneed(split, 5, 6);
		a = t_arg(split, 512, vec, 16);
		a.return_mask = rm;
		t_expect(sp, &a, 3, exp, 3, T_PG(split, 512));
	}

	/* A THP whose PMD is split while every page stays mapped: mprotect
	 * half of it and back.  Its 512 entries look like a huge page's,
	 * but the kernel says 4 KiB entries are not HUGE.  It gets a mapping
	 * of its own: the emulation tells split from PMD-mapped by smaps'
	 * per-mapping count, so a split THP beside a PMD-mapped one in the
	 * same mapping is a documented limit (BUGS in pw_scan(3)). */
	remapped = t_map(512);
	if (madvise(remapped, 512 * PAGE, MADV_HUGEPAGE))
		t_skip("MADV_HUGEPAGE: %s", strerror(errno));
	t_write_pages(remapped, 0, 512);
	if (is_thp(remapped)) {
		struct pw_region exp[] = { T_R(remapped, 0, 512, T_P | T_W) };

		CHECK_EQ(mprotect(remapped + 256 * PAGE, 256 * PAGE, PROT_READ), 0);
		CHECK_EQ(mprotect(remapped + 256 * PAGE, 256 * PAGE, PROT_READ | PROT_WRITE), 0);
		if (!is_thp(remapped)) {
			parts++;
			a = t_arg(remapped, 512, vec, 16);
			a.return_mask = rm;
			t_expect(sp, &a, 1, exp, 1, T_PG(remapped, 512));
		}
	}
	if (!parts)
		t_skip("no transparent huge page could be made");
	pw_space_close(sp);
	t_done();
}
