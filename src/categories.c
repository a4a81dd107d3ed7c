/* SPDX-License-Identifier: MIT */
/* Category names, for the tool and for anyone printing regions. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const names[] = {
	"wpallowed", "written", "file", "present", "swapped",
	"pfnzero", "huge", "soft-dirty", "guard",
};

const char *pw_category_name(uint64_t category)
{
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (category == 1ULL << i)
			return names[i];
	return NULL;
}

static int lookup(const char *word, size_t len, uint64_t *bit)
{
	unsigned i;

	if (len == 4 && !strncasecmp(word, "zero", 4))
		word = "pfnzero", len = 7;
	if (len == 10 && !strncasecmp(word, "soft_dirty", 10))
		word = "soft-dirty";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == len && !strncasecmp(word, names[i], len)) {
			*bit = 1ULL << i;
			return 0;
		}
	}
	return -EINVAL;
}

int pw_category_parse(const char *list, uint64_t *out, const char **bad)
{
	uint64_t mask = 0, bit;
	const char *p = list;

	if (!list || !out)
		return -EINVAL;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (lookup(p, len, &bit)) {
			if (bad)
				*bad = p;
			return -EINVAL;
		}
		mask |= bit;
		if (!p[len])
			break;
		p += len + 1;
	}
	*out = mask;
	return 0;
}
