/* SPDX-License-Identifier: MIT */
/*
 * The /proc/PID/maps line parser.  Written by hand rather than with sscanf
 * because it runs once per mapping on every emulated scan, and because it
 * must reject any malformed line cleanly (it is a fuzz target).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* At most max_digits digits: a longer number would not fit and is malformed. */
static int hex_field(const char **p, const char *end, uint64_t *out, int max_digits)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0, d;

	while (s < end && (d = hex_digit(*s)) >= 0) {
		if (n++ == max_digits)
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
		s++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int dec_field(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

int pw_maps_parse_line(char *line, size_t len, struct pw_vma *vma)
{
	const char *p = line, *end = line + len;
	uint64_t major, minor;
	int i;

	if (hex_field(&p, end, &vma->start, 16) || expect(&p, end, '-') ||
	    hex_field(&p, end, &vma->end, 16) || expect(&p, end, ' '))
		return -EINVAL;
	if (vma->end <= vma->start || (vma->start | vma->end) & (PW_PAGE_SIZE - 1))
		return -EINVAL;
	/* r or -, w or -, x or -, then p(rivate) or s(hared). */
	for (i = 0; i < 4; i++) {
		static const char allowed[4][3] = { "r-", "w-", "x-", "ps" };

		if (p >= end || (*p != allowed[i][0] && *p != allowed[i][1]))
			return -EINVAL;
		vma->perms[i] = *p++;
	}
	vma->perms[4] = '\0';
	if (expect(&p, end, ' ') || hex_field(&p, end, &vma->offset, 16) ||
	    expect(&p, end, ' ') || hex_field(&p, end, &major, 8) ||
	    expect(&p, end, ':') || hex_field(&p, end, &minor, 8) ||
	    expect(&p, end, ' ') || dec_field(&p, end, &vma->inode))
		return -EINVAL;
	vma->dev_major = (unsigned int)major;
	vma->dev_minor = (unsigned int)minor;
	if (p < end && *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	vma->path = line + (p - line);
	vma->path_len = (size_t)(end - p);
	return 0;
}

#define MAPS_BUF 16384

/* The buffer has one byte more than cap, for the NUL of a last line
 * that has no newline.  Read sequentially: the seq_file then resumes by
 * record, so every line is whole even while the mappings change. */
int pw_maps_begin(struct pw_maps_reader *mr, int fd)
{
	memset(mr, 0, sizeof(*mr));
	mr->cap = MAPS_BUF;
	mr->fd = -1;
	/* The buffer first: whenever 0 is returned it is there (callers
	 * call pw_maps_end either way). */
	mr->buf = malloc(mr->cap + 1);
	if (!mr->buf)
		return -ENOMEM;
	/* Our own file position, from the start. */
	mr->fd = dup(fd);
	if (mr->fd < 0 || lseek(mr->fd, 0, SEEK_SET) < 0)
		return -errno;
	return 0;
}

void pw_maps_end(struct pw_maps_reader *mr)
{
	free(mr->buf);
	mr->buf = NULL;
	if (mr->fd >= 0)
		close(mr->fd);
	mr->fd = -1;
}

/* Lines may be split across reads of the seq_file: keep the tail. */
static int maps_fill(struct pw_maps_reader *mr)
{
	ssize_t n;

	memmove(mr->buf, mr->buf + mr->pos, mr->len - mr->pos);
	mr->len -= mr->pos;
	mr->pos = 0;
	if (mr->len == mr->cap) {
		char *nb = realloc(mr->buf, mr->cap * 2 + 1);

		if (!nb)
			return -ENOMEM;
		mr->buf = nb;
		mr->cap *= 2;
	}
	do
		n = read(mr->fd, mr->buf + mr->len, mr->cap - mr->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;		/* ESRCH: the process is gone */
	if (n == 0)
		mr->eof = true;
	mr->len += (size_t)n;
	return 0;
}

/* The start address of the last whole line in the buffer, or 0. */
static uint64_t last_line_start(const struct pw_maps_reader *mr, size_t *end)
{
	const char *b = mr->buf, *nl = NULL, *p;
	uint64_t v = 0;
	size_t i;
	int d;

	for (i = mr->len; i > 0; i--) {
		if (b[i - 1] == '\n') {
			nl = b + i - 1;
			break;
		}
	}
	if (!nl)
		return 0;
	*end = (size_t)(nl - b) + 1;
	for (p = nl; p > b && p[-1] != '\n'; p--)
		;
	while ((d = hex_digit(*p)) >= 0 && v >> 60 == 0) {
		v = v << 4 | (uint64_t)d;
		p++;
	}
	return v;
}

int pw_maps_slurp(struct pw_maps_reader *mr, int fd, uint64_t stop)
{
	int r = pw_maps_begin(mr, fd);
	size_t whole;

	while (!r && !mr->eof) {
		r = maps_fill(mr);
		/* Mappings come in address order: once a whole line starts
		 * at or above stop, nothing after it is wanted. */
		if (!r && stop && last_line_start(mr, &whole) >= stop) {
			mr->len = whole;
			mr->eof = true;
		}
	}
	if (mr->fd >= 0)
		close(mr->fd);
	mr->fd = -1;
	return r;
}

int pw_maps_next(struct pw_maps_reader *mr, struct pw_vma *vma)
{
	for (;;) {
		char *line = mr->buf + mr->pos;
		size_t avail = mr->len - mr->pos;
		char *nl = memchr(line, '\n', avail);
		int r;

		if (nl || (mr->eof && avail)) {
			size_t n = nl ? (size_t)(nl - line) : avail;

			mr->pos += n + (nl != NULL);
			line[n] = '\0';
			if (pw_maps_parse_line(line, n, vma))
				return -EIO;
			/* The file is read in pieces; when the process
			 * changes its mappings in between, the kernel may
			 * print one again from below where we already are.
			 * Keep what we hand out ascending and disjoint. */
			if (vma->end <= mr->last_end)
				continue;
			if (vma->start < mr->last_end)
				vma->start = mr->last_end;
			mr->last_end = vma->end;
			return 1;
		}
		if (mr->eof)
			return 0;
		r = maps_fill(mr);
		if (r)
			return r;
	}
}

int pw_space_mappings(struct pw_space *sp, uint64_t start, uint64_t end,
		      pw_mapping_fn fn, void *ctx)
{
	struct pw_maps_reader mr;
	struct pw_vma v;
	int r;

	if (!sp || !fn)
		return -EINVAL;
	pthread_mutex_lock(&sp->maps_lock);
	r = pw_maps_slurp(&mr, sp->maps_fd, end);
	pthread_mutex_unlock(&sp->maps_lock);
	if (r) {
		pw_maps_end(&mr);
		return r;
	}
	while ((r = pw_maps_next(&mr, &v)) > 0) {
		struct pw_mapping m;

		/* pw_maps_next returned 1: v is set (the analyzer thinks a
		 * failed read's -errno may be positive).
		 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		if (v.end <= start)
			continue;
		if (end && v.start >= end) {
			r = 0;
			break;
		}
		m.start = v.start;
		m.end = v.end;
		m.offset = v.offset;
		m.inode = v.inode;
		m.dev_major = v.dev_major;
		m.dev_minor = v.dev_minor;
		memcpy(m.perms, v.perms, sizeof(m.perms));
		m.path = v.path;
		r = fn(&m, ctx);
		if (r)
			break;
	}
	pw_maps_end(&mr);
	return r;
}

int pw_pmd_mapped_maps(int proc_fd, struct pw_region **out, size_t *n)
{
	static const char *const keys[] = { "AnonHugePages:", "ShmemPmdMapped:",
					    "FilePmdMapped:" };
	char *line = NULL;
	size_t cap = 0, k;
	uint64_t start = 0, end = 0;
	FILE *f;
	int fd;

	*out = NULL;
	*n = 0;
	fd = proc_fd < 0 ? open("/proc/self/smaps", O_RDONLY | O_CLOEXEC) :
			   openat(proc_fd, "smaps", O_RDONLY | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (getline(&line, &cap, f) > 0) {
		unsigned long long a, b, kb;
		struct pw_region *nr;

		if (sscanf(line, "%llx-%llx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			start = a;
			end = b;
			continue;
		}
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strncmp(line, keys[k], strlen(keys[k])) ||
			    sscanf(line + strlen(keys[k]), "%llu", &kb) != 1 || !kb)
				continue;
			if (*n && (*out)[*n - 1].start == start)
				continue;
			nr = realloc(*out, (*n + 1) * sizeof(*nr));
			if (!nr)
				break;
			*out = nr;
			nr[*n].start = start;
			nr[*n].end = end;
			nr[(*n)++].categories = PW_PAGE_HUGE;
		}
	}
	free(line);
	fclose(f);
	return 0;
}
