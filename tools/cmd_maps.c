/* SPDX-License-Identifier: MIT */
/*
 * pagewatch maps: pages per category for every mapping, like pmap -X.
 *
 * One walk over the whole space with every category the backend reports
 * and no filter: with all masks 0 the scan matches every page of every
 * mapping it scans (S22), so each region's pages go to the mappings it
 * covers, and a mapping no region touches is one the scan skips (device
 * memory, S14, or the vsyscall page above user space): its columns are
 * "-", never a count of 0 that nobody made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char usage_maps[] =
	"Usage: pagewatch maps PID|self [OPTION]...\n"
	"Every mapping of a process with the number of its pages in each category\n"
	"(present, swapped, file, zero, huge, written, soft-dirty, guard), and a\n"
	"total.  '-' marks a count the scan backend cannot give.\n"
	"\n"
	"  --backend B  native (PAGEMAP_SCAN), emulated (/proc/PID/pagemap) or\n"
	"               auto (the default; PAGEWATCH_SCAN overrides it)\n"
	"  --json       one JSON object: the mappings and the total\n"
	"  -h, --help   this text\n";

enum { M_BACKEND = 1, M_JSON, M_HELP };

static const struct tool_opt maps_opts[] = {
	{ "--backend", 0, true, M_BACKEND },
	{ "--json", 0, false, M_JSON },
	{ "--help", 'h', false, M_HELP },
	{ NULL, 0, false, 0 },
};

static const char *const column_titles[TOOL_MAPS_COLUMNS] = {
	"PRESENT", "SWAPPED", "FILE", "ZERO", "HUGE", "WRITTEN", "SOFT-DIRTY", "GUARD",
};

struct counts {
	uint64_t scanned;	/* pages the walk covered: 0 means not scanned */
	uint64_t pages[TOOL_MAPS_COLUMNS];
};

struct maps_walk {
	const struct tool_maps *maps;
	struct counts *counts;	/* one per mapping */
	size_t cursor;
	unsigned long page_size;
};

struct maps_opts {
	const char *pid_word;
	pid_t pid;
	unsigned flags;
	bool json;
};

static int parse_args(int argc, char **argv, struct maps_opts *o)
{
	struct tool_args st = { .argc = argc, .argv = argv, .i = 1 };
	const char *arg;
	int id, r;

	memset(o, 0, sizeof(*o));
	while ((id = tool_next_opt(&st, maps_opts, usage_maps, &arg)) != OPT_END) {
		switch (id) {
		case M_HELP:
			return -1;
		case M_JSON:
			o->json = true;
			break;
		case M_BACKEND:
			r = tool_parse_backend(arg, usage_maps, &o->flags);
			if (r)
				return r;
			break;
		case OPT_POSITIONAL:
			r = tool_take_pid(arg, usage_maps, &o->pid_word, &o->pid);
			if (r)
				return r;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!o->pid_word)
		return tool_usage_error(usage_maps, "missing PID (a number, or self)");
	return 0;
}

/* ---- the walk: regions and mappings both ascend ---- */

static void attribute(struct counts *c, uint64_t cats, uint64_t pages)
{
	int i;

	c->scanned += pages;
	for (i = 0; i < TOOL_MAPS_COLUMNS; i++)
		if (cats & tool_maps_columns[i])
			c->pages[i] += pages;
}

static int on_region(const struct pw_region *reg, void *ctx)
{
	struct maps_walk *w = ctx;
	const struct tool_maps *maps = w->maps;
	size_t i;

	while (w->cursor < maps->n && maps->v[w->cursor].end <= reg->start)
		w->cursor++;
	/* Pages outside every mapping we read (the space changed under the
	 * walk) belong to no row, so they count nowhere. */
	for (i = w->cursor; i < maps->n && maps->v[i].start < reg->end; i++) {
		uint64_t s = maps->v[i].start > reg->start ? maps->v[i].start : reg->start;
		uint64_t e = maps->v[i].end < reg->end ? maps->v[i].end : reg->end;

		attribute(&w->counts[i], reg->categories, (e - s) / w->page_size);
	}
	return 0;
}

static int walk(struct pw_space *sp, struct maps_walk *w, const struct maps_opts *o)
{
	struct pw_scan_arg a;
	long r;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.end = tool_walk_end(w->maps);
	a.return_mask = pw_space_categories(sp);
	r = pw_scan_all(sp, &a, on_region, w);
	if (r == -ESRCH)
		return tool_error("no process %s", o->pid_word);
	if (r < 0)
		return tool_error("scan: %s", strerror((int)-r));
	return 0;
}

/* ---- output ---- */

struct table {
	uint64_t reported;	/* the backend's categories */
	int aw, sw, cw[TOOL_MAPS_COLUMNS];
	struct counts total;
	uint64_t total_size;
};

static int num_width(uint64_t v)
{
	char b[24];

	return snprintf(b, sizeof(b), "%" PRIu64, v);
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void measure(struct table *t, const struct maps_walk *w)
{
	const struct tool_maps *maps = w->maps;
	char size[16];
	size_t i;
	int c;

	t->aw = 12;
	t->sw = 4;
	/* A space with nothing scanned still totals 0 pages, not "-". */
	t->total.scanned = 1;
	for (c = 0; c < TOOL_MAPS_COLUMNS; c++)
		t->cw[c] = (int)strlen(column_titles[c]);
	for (i = 0; i < maps->n; i++) {
		t->aw = max_int(t->aw, tool_addr_width(maps->v[i].start));
		t->total_size += maps->v[i].end - maps->v[i].start;
		tool_human_size(maps->v[i].end - maps->v[i].start, size, sizeof(size));
		t->sw = max_int(t->sw, (int)strlen(size));
		if (!w->counts[i].scanned)
			continue;
		for (c = 0; c < TOOL_MAPS_COLUMNS; c++)
			t->total.pages[c] += w->counts[i].pages[c];
	}
	tool_human_size(t->total_size, size, sizeof(size));
	t->sw = max_int(t->sw, (int)strlen(size));
	/* The total is the widest number of each column. */
	for (c = 0; c < TOOL_MAPS_COLUMNS; c++)
		t->cw[c] = max_int(t->cw[c], num_width(t->total.pages[c]));
}

static void print_counts(const struct table *t, const struct counts *cn)
{
	int c;

	for (c = 0; c < TOOL_MAPS_COLUMNS; c++) {
		if (!cn->scanned || !(t->reported & tool_maps_columns[c]))
			printf(" %*s", t->cw[c], "-");
		else
			printf(" %*" PRIu64, t->cw[c], cn->pages[c]);
	}
}

static void print_human(const struct table *t, const struct maps_walk *w)
{
	const struct tool_maps *maps = w->maps;
	char size[16];
	size_t i;
	int c;

	printf("%-*s %-5s %*s", t->aw, "ADDRESS", "PERMS", t->sw, "SIZE");
	for (c = 0; c < TOOL_MAPS_COLUMNS; c++)
		printf(" %*s", t->cw[c], column_titles[c]);
	printf("  MAPPING\n");
	for (i = 0; i < maps->n; i++) {
		tool_human_size(maps->v[i].end - maps->v[i].start, size, sizeof(size));
		printf("%0*" PRIx64 " %-5s %*s", t->aw, maps->v[i].start, maps->v[i].perms,
		       t->sw, size);
		print_counts(t, &w->counts[i]);
		fputs("  ", stdout);
		tool_print_name(stdout, maps->v[i].name);
		putchar('\n');
	}
	tool_human_size(t->total_size, size, sizeof(size));
	printf("%-*s %-5s %*s", t->aw, "total", "", t->sw, size);
	print_counts(t, &t->total);
	printf("  (pages per category)\n");
}

static void json_counts(const struct table *t, const struct counts *cn)
{
	int c;

	for (c = 0; c < TOOL_MAPS_COLUMNS; c++) {
		printf(",\"%s\":", pw_category_name(tool_maps_columns[c]));
		if (!cn->scanned || !(t->reported & tool_maps_columns[c]))
			fputs("null", stdout);
		else
			printf("%" PRIu64, cn->pages[c]);
	}
}

static void print_json(const struct table *t, const struct maps_walk *w,
		       const char *backend)
{
	const struct tool_maps *maps = w->maps;
	size_t i;

	fputs("{\"backend\":", stdout);
	tool_json_string(stdout, backend);
	printf(",\"page_size\":%lu,\"categories\":", w->page_size);
	tool_json_categories(stdout, t->reported);
	fputs(",\"mappings\":[", stdout);
	for (i = 0; i < maps->n; i++) {
		const struct tool_map *m = &maps->v[i];

		printf("%s\n  {\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\","
		       "\"perms\":\"%s\",\"size\":%" PRIu64 ",\"pages\":%" PRIu64
		       ",\"scanned\":%s,\"mapping\":", i ? "," : "", m->start, m->end,
		       m->perms, m->end - m->start, (m->end - m->start) / w->page_size,
		       w->counts[i].scanned ? "true" : "false");
		tool_json_string(stdout, m->name);
		json_counts(t, &w->counts[i]);
		fputs("}", stdout);
	}
	printf("\n],\n\"total\":{\"size\":%" PRIu64 ",\"pages\":%" PRIu64,
	       t->total_size, t->total_size / w->page_size);
	json_counts(t, &t->total);
	fputs("}}\n", stdout);
}

static int report(struct pw_space *sp, struct maps_walk *w, const struct maps_opts *o)
{
	struct table t;

	memset(&t, 0, sizeof(t));
	t.reported = pw_space_categories(sp);
	measure(&t, w);
	if (o->json)
		print_json(&t, w, pw_space_backend(sp));
	else
		print_human(&t, w);
	return 0;
}

int cmd_maps(int argc, char **argv)
{
	struct maps_walk w = { 0 };
	struct tool_maps maps;
	struct pw_space *sp;
	struct maps_opts o;
	int r;

	r = parse_args(argc, argv, &o);
	if (r < 0)
		return tool_help(usage_maps);
	if (r)
		return r;
	r = tool_open_space(&sp, o.pid, o.flags);
	if (r)
		return r;
	r = tool_maps_load(sp, 0, 0, &maps);
	if (r)
		goto out_space;
	w.maps = &maps;
	w.page_size = tool_page_size();
	w.counts = calloc(maps.n ? maps.n : 1, sizeof(*w.counts));
	if (!w.counts) {
		r = tool_error("out of memory");
		goto out_maps;
	}
	r = walk(sp, &w, &o);
	if (!r)
		r = report(sp, &w, &o);
	free(w.counts);
out_maps:
	tool_maps_free(&maps);
out_space:
	pw_space_close(sp);
	return r;
}
