/* SPDX-License-Identifier: MIT */
/*
 * pw_category_name and pw_category_parse: the exact name of every bit,
 * NULL for anything that is not exactly one known bit, lists parsed
 * case-insensitively with the two aliases, and every malformed list
 * rejected with *bad naming the offending word.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "testlib.h"

static const struct {
	uint64_t bit;
	const char *name;
} known[] = {
	{ PW_PAGE_WPALLOWED,  "wpallowed" },
	{ PW_PAGE_WRITTEN,    "written" },
	{ PW_PAGE_FILE,       "file" },
	{ PW_PAGE_PRESENT,    "present" },
	{ PW_PAGE_SWAPPED,    "swapped" },
	{ PW_PAGE_PFNZERO,    "pfnzero" },
	{ PW_PAGE_HUGE,       "huge" },
	{ PW_PAGE_SOFT_DIRTY, "soft-dirty" },
	{ PW_PAGE_GUARD,      "guard" },
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static void check_names(void)
{
	static const uint64_t not_one[] = {
		0, PW_PAGE_WPALLOWED | PW_PAGE_WRITTEN, PW_PAGE_PRESENT | PW_PAGE_GUARD,
		1ULL << 9, 1ULL << 10, 1ULL << 32, 1ULL << 63, PW_PAGE_ALL, ~0ULL,
	};
	unsigned i;

	for (i = 0; i < NKNOWN; i++) {
		const char *n = pw_category_name(known[i].bit);

		CHECK(known[i].bit == 1ULL << i, "table order");
		CHECK(n && !strcmp(n, known[i].name),
		      "name of bit %u is '%s', expected '%s'", i, n ? n : "(null)",
		      known[i].name);
	}
	for (i = 0; i < sizeof(not_one) / sizeof(not_one[0]); i++)
		CHECK(pw_category_name(not_one[i]) == NULL,
		      "pw_category_name(%#llx) should be NULL",
		      (unsigned long long)not_one[i]);
}

/* A list that must parse to want. */
static void parse_ok(const char *list, uint64_t want)
{
	const char *bad = NULL;
	uint64_t out = 0xdeadbeef;
	int r = pw_category_parse(list, &out, &bad);

	CHECK(r == 0, "parse('%s') = %d, expected 0", list, r);
	if (!r)
		CHECK(out == want, "parse('%s') = %#llx, expected %#llx", list,
		      (unsigned long long)out, (unsigned long long)want);
	/* bad may be omitted */
	out = 0xdeadbeef;
	r = pw_category_parse(list, &out, NULL);
	CHECK(r == 0 && out == want, "parse('%s', bad NULL) = %d, %#llx", list, r,
	      (unsigned long long)out);
}

/* A list that must fail, with *bad at list + bad_off. */
static void parse_bad(const char *list, size_t bad_off)
{
	const char *bad = NULL;
	uint64_t out = 0;
	int r = pw_category_parse(list, &out, &bad);

	CHECK(r == -EINVAL, "parse('%s') = %d, expected -EINVAL", list, r);
	CHECK(bad == list + bad_off, "parse('%s'): bad at offset %td, expected %zu",
	      list, bad ? bad - list : (ptrdiff_t)-1, bad_off);
	/* Without bad it must still fail, and not crash. */
	r = pw_category_parse(list, &out, NULL);
	CHECK(r == -EINVAL, "parse('%s', bad NULL) = %d, expected -EINVAL", list, r);
}

static void check_parse(void)
{
	char all[256] = "";
	const char *bad;
	uint64_t out;
	unsigned i;

	/* Every name alone, and the name of every bit round-trips. */
	for (i = 0; i < NKNOWN; i++) {
		parse_ok(known[i].name, known[i].bit);
		parse_ok(pw_category_name(known[i].bit), known[i].bit);
		strcat(all, known[i].name);
		if (i + 1 < NKNOWN)
			strcat(all, ",");
	}
	parse_ok(all, PW_PAGE_ALL);

	parse_ok("present,swapped", PW_PAGE_PRESENT | PW_PAGE_SWAPPED);
	parse_ok("swapped,present", PW_PAGE_PRESENT | PW_PAGE_SWAPPED);
	parse_ok("written,file,huge", PW_PAGE_WRITTEN | PW_PAGE_FILE | PW_PAGE_HUGE);

	/* Case-insensitive. */
	parse_ok("WRITTEN", PW_PAGE_WRITTEN);
	parse_ok("Present,SwApPeD", PW_PAGE_PRESENT | PW_PAGE_SWAPPED);
	parse_ok("SOFT-DIRTY,Guard", PW_PAGE_SOFT_DIRTY | PW_PAGE_GUARD);

	/* Aliases. */
	parse_ok("zero", PW_PAGE_PFNZERO);
	parse_ok("ZERO", PW_PAGE_PFNZERO);
	parse_ok("soft_dirty", PW_PAGE_SOFT_DIRTY);
	parse_ok("Soft_Dirty", PW_PAGE_SOFT_DIRTY);
	parse_ok("zero,soft_dirty,present",
		 PW_PAGE_PFNZERO | PW_PAGE_SOFT_DIRTY | PW_PAGE_PRESENT);

	/* Malformed: the offending word is named. */
	parse_bad("", 0);
	parse_bad(",", 0);
	parse_bad("written,", 8);
	parse_bad(",written", 0);
	parse_bad("written,,file", 8);
	parse_bad("bogus", 0);
	parse_bad("written,bogus,file", 8);
	parse_bad("written,file,bogus", 13);
	parse_bad("writtenx", 0);
	parse_bad("writ", 0);		/* no prefix matching */
	parse_bad("present,zer", 8);
	parse_bad("pfn", 0);
	parse_bad("softdirty", 0);
	parse_bad("soft_dirtyx", 0);
	parse_bad("soft", 0);
	parse_bad("zeroes", 0);
	parse_bad("file,present,swapped,wpallowed,guard,huge2", 37);

	/* NULL arguments. */
	bad = NULL;
	CHECK_EQ(pw_category_parse(NULL, &out, &bad), -EINVAL);
	CHECK_EQ(pw_category_parse("written", NULL, &bad), -EINVAL);
	CHECK_EQ(pw_category_parse(NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
	check_names();
	check_parse();
	t_done();
}
