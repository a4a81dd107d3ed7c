/* SPDX-License-Identifier: MIT */
/* Fuzz the /proc/PID/maps line parser: any bytes, never a crash, and what
 * it accepts is a well-formed mapping. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct pw_vma v;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (pw_maps_parse_line(line, size, &v) == 0) {
		if (v.start >= v.end || v.start % PW_PAGE_SIZE || v.end % PW_PAGE_SIZE)
			abort();
		if (!strchr("r-", v.perms[0]) || !strchr("ps", v.perms[3]) || v.perms[4])
			abort();
		if (v.path < line || v.path + v.path_len > line + size)
			abort();
	}
	free(line);
	return 0;
}
