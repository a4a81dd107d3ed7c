/* SPDX-License-Identifier: MIT */
/*
 * S14: VM_PFNMAP mappings are skipped.  Every process has some: [vvar]
 * (and [vvar_vclock]), whose smaps VmFlags show "pf".  Scanned alone they
 * give nothing, whatever the masks; scanned together with the [vdso] next
 * to them, only the vDSO is reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

struct vma {
	uint64_t start, end;
	char name[32];
	int pfnmap;
};

static int read_smaps(struct vma *v, int max)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int n = 0, cur = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char name[256] = "";

		/* A mapping's header line; attribute lines ("Size:", "Anonymous:")
		 * never parse as two hex numbers joined by '-'. */
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %255s", &s, &e, name) >= 2) {
			cur = -1;
			if (n == max)
				continue;
			cur = n++;
			v[cur].start = s;
			v[cur].end = e;
			snprintf(v[cur].name, sizeof(v[cur].name), "%s", name);
			v[cur].pfnmap = 0;
		} else if (cur >= 0 && !strncmp(line, "VmFlags:", 8)) {
			v[cur].pfnmap = strstr(line, " pf") != NULL;
		}
	}
	fclose(f);
	return n;
}

int main(void)
{
	struct pw_space *sp = t_space(0);
	uint64_t claimed = pw_space_categories(sp);
	struct vma v[512];
	struct pw_region vec[64];
	struct pw_scan_arg a;
	struct timespec ts;
	int n, i, vvar = -1, vdso = -1, npf = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* the vDSO's pages are in use */
	n = read_smaps(v, 512);
	CHECK(n > 0, "read /proc/self/smaps");
	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].name, "[vvar]"))
			vvar = i;
		if (!strcmp(v[i].name, "[vdso]"))
			vdso = i;
		if (!v[i].pfnmap)
			continue;
		npf++;
		/* Alone: nothing, with masks 0, all inverted, or return 0. */
		a = t_arg(NULL, 0, vec, 64);
		a.start = v[i].start;
		a.end = v[i].end;
		a.return_mask = claimed;
		t_expect(sp, &a, 0, NULL, 0, v[i].end);
		a = t_arg(NULL, 0, vec, 64);
		a.start = v[i].start;
		a.end = v[i].end;
		a.category_inverted = a.category_mask = claimed;
		t_expect(sp, &a, 0, NULL, 0, v[i].end);
		a = t_arg(NULL, 0, vec, 64);
		a.start = v[i].start;
		a.end = v[i].end;
		a.max_pages = 1;
		t_expect(sp, &a, 0, NULL, 0, v[i].end);
	}
	if (vvar < 0 || !v[vvar].pfnmap)
		t_skip("no VM_PFNMAP [vvar] mapping in this process");
	CHECK(npf >= 1, "no PFNMAP mapping");

	/* [vvar]... up to the end of [vdso] when they are adjacent: with
	 * return 0, one region covering exactly the vDSO. */
	if (vdso > vvar) {
		int adjacent = 1;

		for (i = vvar; i < vdso; i++)
			if (v[i].end != v[i + 1].start || !v[i].pfnmap)
				adjacent = 0;
		if (adjacent) {
			struct pw_region exp[] = { { v[vdso].start, v[vdso].end, 0 } };

			a = t_arg(NULL, 0, vec, 64);
			a.start = v[vvar].start;
			a.end = v[vdso].end;
			t_expect(sp, &a, 1, exp, 1, v[vdso].end);
			/* With categories: whatever they are, only vDSO pages. */
			a = t_arg(NULL, 0, vec, 64);
			a.start = v[vvar].start;
			a.end = v[vdso].end;
			a.return_mask = claimed & (T_P | T_W | T_F | T_S);
			{
				long r = t_scan(sp, &a);

				CHECK(r >= 1, "vvar..vdso: %ld", r);
				CHECK(r > 0 && vec[0].start == v[vdso].start &&
				      vec[r - 1].end == v[vdso].end, "regions outside the vDSO");
				CHECK_EQ(a.walk_end, v[vdso].end);
			}
			/* A full vec at the PFNMAP edge: the walk stops inside the vDSO. */
			a = t_arg(NULL, 0, vec, 1);
			a.start = v[vvar].start;
			a.end = v[vdso].end;
			a.max_pages = 1;
			{
				struct pw_region e1[] = { { v[vdso].start, v[vdso].start + PAGE, 0 } };

				t_expect(sp, &a, 1, e1, 1, v[vdso].start + PAGE);
			}
		}
	}
	pw_space_close(sp);
	t_done();
}
