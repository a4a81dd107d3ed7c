/* SPDX-License-Identifier: MIT */
/*
 * S25: the return value is the number of regions written into vec, and
 * walk_end is the only field written back into the argument: end stays
 * unrounded, max_pages 0 stays 0, the bytes around the argument and the
 * vec entries past the last region are untouched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

#define GUARD 0x3c

struct framed {
	unsigned char before[64];
	struct pw_scan_arg a;
	unsigned char after[64];
};

static struct pw_space *sp;

/* Run f->a and check everything but walk_end is as it was. */
#define RUN(f, vec, nvec, ret) run(__LINE__, (f), (vec), (nvec), (ret))
static void run(int line, struct framed *f, struct pw_region *vec, size_t nvec, long ret)
{
	struct framed before = *f;
	struct pw_region vbefore[32];
	long r, i;

	memcpy(vbefore, vec, nvec * sizeof(*vec));
	r = t_scan_at(__FILE__, line, sp, &f->a);
	CHECK(r == ret, "line %d: %ld, expected %ld", line, r, ret);
	before.a.walk_end = f->a.walk_end;
	CHECK(!memcmp(&before, f, sizeof(*f)), "line %d: argument changed beyond walk_end",
	      line);
	/* Entries past the returned count: untouched. */
	for (i = r > 0 ? r : 0; i < (long)nvec; i++)
		CHECK(!memcmp(&vec[i], &vbefore[i], sizeof(*vec)), "line %d: vec[%ld] written",
		      line, i);
}

int main(void)
{
	struct framed f;
	struct pw_region vec[32];
	char *p;

	sp = t_space(0);
	p = t_map_small(512);
	t_write_pages(p, 0, 2);
	t_write_pages(p, 4, 6);

	memset(&f, GUARD, sizeof(f));
	memset(vec, 0x77, sizeof(vec));
	f.a = t_arg(p, 7, vec, 32);
	f.a.end += 123;
	f.a.walk_end = 0xdeadbeef000ULL;
	f.a.category_inverted = T_S;
	f.a.category_mask = T_S;
	f.a.category_anyof_mask = T_P | T_W;
	f.a.return_mask = T_P | T_W;
	/* 0-1 PW, 2-3 W, 4-5 PW, 6-7 W (7 by rounding): four regions */
	RUN(&f, vec, 32, 4);
	CHECK_EQ(f.a.walk_end, T_PG(p, 8));
	CHECK_EQ(vec[0].start, T_PG(p, 0));
	CHECK_EQ(vec[3].end, T_PG(p, 8));
	CHECK_EQ(vec[3].categories, T_W);

	/* A walk that stops on max_pages. */
	memset(vec, 0x66, sizeof(vec));
	f.a.max_pages = 3;
	f.a.walk_end = 1;
	RUN(&f, vec, 32, 2);
	CHECK_EQ(f.a.walk_end, T_PG(p, 3));

	/* A walk that stops on a full vec. */
	memset(vec, 0x55, sizeof(vec));
	f.a.max_pages = 0;
	f.a.vec_len = 2;
	RUN(&f, vec, 32, 2);
	CHECK_EQ(f.a.walk_end, T_PG(p, 4));

	/* Nothing found. */
	f.a.vec_len = 32;
	f.a.category_mask = T_S;
	f.a.category_inverted = 0;
	RUN(&f, vec, 32, 0);
	CHECK_EQ(f.a.walk_end, T_PG(p, 8));

	/* Validation errors: nothing at all is written (walk_end included,
	 * though S30 says not to rely on it). */
	f.a.category_inverted = T_S;
	f.a.size = 95;
	{
		struct framed g = f;

		CHECK_EQ(t_scan_err(sp, &f.a), -EINVAL);
		CHECK(!memcmp(&g, &f, sizeof(f)), "argument changed on EINVAL");
		f.a.size = sizeof(f.a);
		f.a.end = f.a.start - PAGE;
		g = f;
		CHECK_EQ(t_scan_err(sp, &f.a), -EFAULT);
		CHECK(!memcmp(&g, &f, sizeof(f)), "argument changed on EFAULT");
	}
	pw_space_close(sp);
	t_done();
}
