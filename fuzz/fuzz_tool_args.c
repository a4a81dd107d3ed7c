/* SPDX-License-Identifier: MIT */
/*
 * Fuzz what pagewatch(1) makes of its command line: the option parser
 * (tool_next_opt) with the real option tables of `scan` and `maps`, the
 * --range A-B, number, PID, category-list and backend parsers, exactly as
 * the verbs run them (the parse_args of tools/cmd_scan.c and
 * tools/cmd_maps.c are compiled into this file), and the helpers that
 * print what a user or a process controls (names as JSON and for a
 * terminal, sizes, category lists).
 *
 * Never a crash; what is accepted is well-formed (a PID, an aligned and
 * ordered range, known categories, masks that do not contradict); what is
 * refused says why, on stderr, before the usage text; numbers agree with
 * an independent reading of the same text.
 *
 * Input: the first byte picks the part (scan options, maps options, the
 * parsers one word at a time, the output helpers); the rest is split at
 * NUL bytes into words.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tool writes its messages to stderr: here, to a memory stream, so
 * that each refusal can be checked for a message and nothing is printed. */
static FILE *sink;
static char sink_buf[1 << 17];

#undef stderr
#define stderr sink

/* Both verbs' files in one translation unit: their static functions of
 * the same name get a verb's prefix. */
#define parse_args scan_parse_args
#define on_region scan_on_region
#define print_human scan_print_human
#define print_json scan_print_json
#include "cmd_scan.c"
#undef parse_args
#undef on_region
#undef print_human
#undef print_json

#define parse_args maps_parse_args
#define on_region maps_on_region
#define print_human maps_print_human
#define print_json maps_print_json
#include "cmd_maps.c"
#undef parse_args
#undef on_region
#undef print_human
#undef print_json

#include "util.c"

#undef stderr

#define MAX_WORDS 64
#define MAX_WORD 4096	/* output of one word fits sink_buf: 6 bytes per byte */

static _Noreturn void fail(const char *what, const char *word)
{
	fprintf(stderr, "fuzz_tool_args: %s: '%s'\n", what, word ? word : "(null)");
	abort();
}

static void sink_reset(void)
{
	if (!sink) {
		sink = fmemopen(sink_buf, sizeof(sink_buf), "w");
		if (!sink)
			abort();
	}
	rewind(sink);
	clearerr(sink);
}

/* What was written since sink_reset, NUL-terminated. */
static size_t sink_take(void)
{
	long n;

	fflush(sink);
	n = ftell(sink);
	if (n < 0 || (size_t)n >= sizeof(sink_buf) || ferror(sink))
		fail("the message stream overflowed", NULL);
	sink_buf[n] = '\0';
	return (size_t)n;
}

/* ---- an independent reading of numbers and words ---- */

static bool all_of(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

#define DEC "0123456789"
#define HEX "0123456789abcdefABCDEF"

/* Accepted, and the value, by strtoull on text checked beforehand. */
static bool ref_number(const char *digits, int base, uint64_t *v)
{
	unsigned long long x;

	if (!all_of(digits, base == 16 ? HEX : DEC))
		return false;
	errno = 0;
	x = strtoull(digits, NULL, base);
	if (errno == ERANGE)
		return false;
	*v = x;
	return true;
}

static bool hex_prefix(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

static const char *const cat_names[] = {
	"wpallowed", "written", "file", "present", "swapped",
	"pfnzero", "huge", "soft-dirty", "guard",
};

/* A category list: comma-separated names, any case, with the aliases
 * "zero" and "soft_dirty". */
static bool ref_categories(const char *list, uint64_t *mask)
{
	const char *p = list;

	*mask = 0;
	for (;;) {
		size_t len = strcspn(p, ","), i;
		bool found = false;

		for (i = 0; i < sizeof(cat_names) / sizeof(cat_names[0]); i++) {
			const char *n = cat_names[i];

			if ((strlen(n) == len && !strncasecmp(p, n, len)) ||
			    (i == 5 && len == 4 && !strncasecmp(p, "zero", 4)) ||
			    (i == 7 && len == 10 && !strncasecmp(p, "soft_dirty", 10))) {
				*mask |= 1ULL << i;
				found = true;
			}
		}
		if (!found)
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

/* ---- the verbs' option parsers ---- */

/* A refusal: "pagewatch: <why>\n" and then the usage text. */
static void check_refusal(int r, const char *usage, const char *verb)
{
	size_t n = sink_take();

	if (r != EXIT_USAGE)
		fail("a parser returned neither 0, -1 (help) nor EXIT_USAGE", verb);
	if (strncmp(sink_buf, "pagewatch: ", 11) || n < 12 + strlen(usage) ||
	    sink_buf[11] == '\n' || strcmp(sink_buf + n - strlen(usage), usage))
		fail("a refusal without a message and the usage", verb);
}

static void check_pid(const char *word, pid_t pid)
{
	pid_t again;

	if (!word || tool_parse_pid(word, &again) || again != pid)
		fail("an accepted PID that does not parse to the same value", word);
}

static void check_flags(unsigned flags)
{
	if (flags != 0 && flags != PW_SPACE_NATIVE && flags != PW_SPACE_EMULATED)
		fail("a backend that is none of native, emulated, auto", NULL);
}

static void fuzz_scan(int argc, char **argv)
{
	struct scan_opts o;
	int r;

	sink_reset();
	r = scan_parse_args(argc, argv, &o);
	if (r > 0) {
		check_refusal(r, usage_scan, "scan");
		return;
	}
	if (sink_take())
		fail("scan options accepted with a message", sink_buf);
	if (r < 0)
		return;		/* --help */
	check_pid(o.pid_word, o.pid);
	check_flags(o.flags);
	if ((o.require | o.exclude | o.anyof | o.ret) & ~PW_PAGE_ALL)
		fail("a category bit pagewatch does not know", NULL);
	if ((o.require & o.exclude) || (o.anyof & o.exclude))
		fail("a category both required and excluded", NULL);
	if (o.have_range) {
		struct scan_opts again;
		char range[64];

		if (o.start % tool_page_size() || o.end < o.start)
			fail("an unaligned or reversed range", NULL);
		/* The range printed back reads the same. */
		snprintf(range, sizeof(range), "%" PRIx64 "-0x%" PRIX64, o.start, o.end);
		memset(&again, 0, sizeof(again));
		sink_reset();
		if (parse_range(range, &again) || again.start != o.start || again.end != o.end)
			fail("a range that does not read back", range);
	}
}

static void fuzz_maps(int argc, char **argv)
{
	struct maps_opts o;
	int r;

	sink_reset();
	r = maps_parse_args(argc, argv, &o);
	if (r > 0) {
		check_refusal(r, usage_maps, "maps");
		return;
	}
	if (sink_take())
		fail("maps options accepted with a message", sink_buf);
	if (r < 0)
		return;
	check_pid(o.pid_word, o.pid);
	check_flags(o.flags);
}

/* ---- the parsers, one word at a time ---- */

static void fuzz_word(const char *w)
{
	uint64_t v, ref, mask;
	const char *bad = NULL;
	unsigned flags = 7;
	bool ok;
	pid_t pid;
	int r;

	/* Decimal, or hexadecimal after 0x. */
	r = tool_parse_u64(w, &v);
	ok = hex_prefix(w) ? ref_number(w + 2, 16, &ref) : ref_number(w, 10, &ref);
	if ((r == 0) != ok || (ok && v != ref) || (r && r != -EINVAL && r != -ERANGE))
		fail("tool_parse_u64 disagrees with strtoull", w);

	/* Hexadecimal, 0x optional. */
	r = tool_parse_hex(w, &v);
	ok = ref_number(hex_prefix(w) ? w + 2 : w, 16, &ref);
	if ((r == 0) != ok || (ok && v != ref))
		fail("tool_parse_hex disagrees with strtoull", w);

	/* "self", or 1 to INT_MAX. */
	r = tool_parse_pid(w, &pid);
	if (!strcmp(w, "self")) {
		ok = true;
		ref = 0;
	} else {
		ok = ref_number(w, 10, &ref) && ref >= 1 && ref <= INT_MAX;
	}
	if ((r == 0) != ok || (ok && (uint64_t)pid != ref))
		fail("tool_parse_pid", w);

	/* Category lists: the library's parser, and the tool's wrapper. */
	r = pw_category_parse(w, &mask, &bad);
	ok = ref_categories(w, &ref);
	if ((r == 0) != ok || (ok && mask != ref))
		fail("pw_category_parse", w);
	if (r && (!bad || bad < w || bad > w + strlen(w) ||
		  (bad > w && bad[-1] != ',')))
		fail("pw_category_parse: *bad is not the start of a word of the list", w);
	mask = 0;
	sink_reset();
	r = tool_parse_categories(w, usage_scan, &mask);
	if (r)
		check_refusal(r, usage_scan, w);
	else if (sink_take() || mask != ref)
		fail("tool_parse_categories", w);

	sink_reset();
	r = tool_parse_backend(w, usage_scan, &flags);
	ok = !strcmp(w, "native") || !strcmp(w, "emulated") || !strcmp(w, "auto");
	if (!r != ok)
		fail("tool_parse_backend", w);
	if (r)
		check_refusal(r, usage_scan, w);
	else
		check_flags(flags);
}

/* ---- output of what others control ---- */

/* The length of a well-formed UTF-8 sequence at s (n bytes left), or 0:
 * shortest form, no surrogates, at most U+10FFFF. */
static size_t ref_utf8(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Valid UTF-8 without control characters: safe on a terminal. */
static bool clean_text(const char *s, size_t n, bool allow_quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (u[i] < 0x20 || u[i] == 0x7f || (!allow_quote && u[i] == '"'))
			return false;
		k = ref_utf8(u + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* One JSON string literal, and nothing after it. */
static bool json_string_ok(const char *s, size_t n)
{
	size_t i = 1, k;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	while (i < n - 1) {
		if (s[i] == '\\') {
			if (i + 1 >= n - 1)
				return false;
			if (s[i + 1] == 'u') {
				if (i + 6 > n - 1 || strspn(s + i + 2, HEX) < 4)
					return false;
				i += 6;
			} else if (strchr("\"\\/bfnrt", s[i + 1])) {
				i += 2;
			} else {
				return false;
			}
			continue;
		}
		if (s[i] == '"' || (unsigned char)s[i] < 0x20)
			return false;
		k = ref_utf8((const unsigned char *)s + i, n - 1 - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

static void fuzz_output(const char *w, const uint8_t *data, size_t size)
{
	static const char units[] = "BKMGTPE";
	uint64_t bytes = 0, cats = 0, parsed, unit = 1;
	char buf[256], u;
	double shown;
	size_t n, i;

	/* A name as JSON: a well-formed string literal. */
	sink_reset();
	tool_json_string(sink, w);
	n = sink_take();
	if (!json_string_ok(sink_buf, n))
		fail("tool_json_string: not a well-formed JSON string", sink_buf);
	if (strlen(w) == strcspn(w, "\"\\") && clean_text(w, strlen(w), true) &&
	    (n != strlen(w) + 2 || memcmp(sink_buf + 1, w, strlen(w))))
		fail("tool_json_string changed a plain name", w);

	/* A name for a terminal: no control bytes, valid UTF-8. */
	sink_reset();
	tool_print_name(sink, w);
	n = sink_take();
	if (!clean_text(sink_buf, n, true))
		fail("tool_print_name let a control byte or bad UTF-8 through", w);

	/* The bytes after the first as numbers too. */
	for (i = 1; i < 9 && i < size; i++)
		bytes |= (uint64_t)data[i] << (8 * (i - 1));
	if (size > 9)
		bytes >>= data[9] & 63;
	for (i = 10; i < 12 && i < size; i++)
		cats |= (uint64_t)data[i] << (8 * (i - 10));

	/* Sizes: a number up to 1023 (one decimal below 100) and a unit,
	 * within half a unit of the truth (2^64 - 1 is 16E). */
	tool_human_size(bytes, buf, 16);
	n = strlen(buf);
	if (n < 2 || n > 5 || !strchr(units, u = buf[n - 1]))
		fail("tool_human_size: bad format", buf);
	for (i = 0; units[i] != u; i++)
		unit <<= 10;
	shown = strtod(buf, NULL);
	if (shown < (u == 'B' ? 0 : 1) || shown > (u == 'E' ? 16 : 1023) ||
	    (u == 'B' && shown != (double)bytes) ||
	    (shown - (double)bytes / (double)unit > 0.51 ||
	     (double)bytes / (double)unit - shown > 0.51))
		fail("tool_human_size: wrong value", buf);

	/* Category lists print and read back. */
	cats &= PW_PAGE_ALL;
	tool_categories_str(cats, buf, sizeof(buf));
	if (!cats ? strcmp(buf, "-") != 0 :
	    pw_category_parse(buf, &parsed, NULL) || parsed != cats)
		fail("tool_categories_str does not read back", buf);
	sink_reset();
	tool_json_categories(sink, cats);
	n = sink_take();
	if (n < 2 || sink_buf[0] != '[' || sink_buf[n - 1] != ']')
		fail("tool_json_categories", sink_buf);

	n = (size_t)tool_addr_width(bytes);
	if (n < 12 || n > 16)
		fail("tool_addr_width", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[MAX_WORDS + 2], *copy;
	size_t i, start;
	int argc = 1;

	if (!size)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	/* argv[0] is the verb, as cmd_scan and cmd_maps get it. */
	words[0] = (char *)(data[0] & 1 ? "maps" : "scan");
	for (start = 0, i = 0; i < size && argc <= MAX_WORDS; i++) {
		if (copy[i])
			continue;
		if (i - start <= MAX_WORD)
			words[argc++] = copy + start;
		start = i + 1;
	}
	words[argc] = NULL;

	switch (data[0] & 3) {
	case 0:
		fuzz_scan(argc, words);
		break;
	case 1:
		fuzz_maps(argc, words);
		break;
	case 2:
		for (i = 1; i < (size_t)argc; i++)
			fuzz_word(words[i]);
		break;
	default:
		fuzz_output(argc > 1 ? words[1] : "", data, size);
		break;
	}
	free(copy);
	return 0;
}
