/* SPDX-License-Identifier: MIT */
/*
 * pagewatch(1): which pages of a process are present, swapped, file-backed,
 * the zero page, huge or written -- the verbs probe, scan and maps on top
 * of libpagewatch's public API.
 */
#define _GNU_SOURCE
#include <string.h>

#include "tool.h"

static const char usage_main[] =
	"Usage: pagewatch COMMAND [OPTION]...\n"
	"Which pages of a process are present, swapped, file-backed, the zero page,\n"
	"huge or written: the kernel's PAGEMAP_SCAN, or its emulation from\n"
	"/proc/PID/pagemap on kernels without it.\n"
	"\n"
	"Commands:\n"
	"  probe [--json]              what this kernel offers\n"
	"  scan PID|self [OPTION]...   the regions of pages, with their categories\n"
	"  maps PID|self [OPTION]...   pages per category for every mapping\n"
	"  help [COMMAND]              this text, or a command's\n"
	"\n"
	"Options:\n"
	"  -h, --help                  this text\n"
	"  -V, --version               the version\n"
	"\n"
	"'pagewatch COMMAND --help' shows a command's options.  Exit status: 0 done,\n"
	"1 failed (no such process, no permission ...), 2 bad usage.\n";

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct verb verbs[] = {
	{ "probe", cmd_probe, usage_probe },
	{ "scan", cmd_scan, usage_scan },
	{ "maps", cmd_maps, usage_maps },
	{ NULL, NULL, NULL },
};

static const struct verb *find_verb(const char *name)
{
	const struct verb *v;

	for (v = verbs; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

/* "pagewatch help [COMMAND]" */
static int help(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 3)
		return tool_help(usage_main);
	if (argc > 3)
		return tool_usage_error(usage_main, "help takes one command, not '%s'", argv[3]);
	v = find_verb(argv[2]);
	if (!v)
		return tool_usage_error(usage_main, "unknown command '%s'", argv[2]);
	return tool_help(v->usage);
}

int main(int argc, char **argv)
{
	const struct verb *v;
	const char *w;

	if (argc < 2)
		return tool_usage_error(usage_main, "missing command");
	w = argv[1];
	if (!strcmp(w, "-h") || !strcmp(w, "--help"))
		return tool_help(usage_main);
	if (!strcmp(w, "-V") || !strcmp(w, "--version")) {
		printf("pagewatch %d.%d\n", PAGEWATCH_VERSION_MAJOR, PAGEWATCH_VERSION_MINOR);
		return tool_finish(EXIT_OK);
	}
	if (!strcmp(w, "help"))
		return help(argc, argv);
	v = find_verb(w);
	if (!v) {
		if (w[0] == '-')
			return tool_usage_error(usage_main, "unknown option '%s' "
						"(options follow the command)", w);
		return tool_usage_error(usage_main, "unknown command '%s'", w);
	}
	return tool_finish(v->run(argc - 1, argv + 1));
}
