/* SPDX-License-Identifier: MIT */
/*
 * The /proc/PID/maps line parser (pw_maps_parse_line, internal) on valid
 * and malformed lines, and pw_space_mappings on this process: exact
 * bounds, permissions, file identity and path of mappings we make, the
 * stack, agreement with our own reading of maps, stopping, filtering and
 * invalid arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "testlib.h"

/* ---- the line parser ---- */

static int parse(const char *text, size_t len, struct pw_vma *v)
{
	static char buf[1024];

	memset(v, 0x5a, sizeof(*v));
	memset(buf, 'Z', sizeof(buf));	/* what follows len is not the line */
	memcpy(buf, text, len);
	return pw_maps_parse_line(buf, len, v);
}

static void valid(const char *line, uint64_t start, uint64_t end, const char *perms,
		  uint64_t offset, unsigned major, unsigned minor, uint64_t inode,
		  const char *path)
{
	struct pw_vma v;
	int r = parse(line, strlen(line), &v);

	CHECK(r == 0, "'%s': %d, expected 0", line, r);
	if (r)
		return;
	CHECK(v.start == start && v.end == end, "'%s': %#llx-%#llx", line,
	      (unsigned long long)v.start, (unsigned long long)v.end);
	CHECK(!strcmp(v.perms, perms), "'%s': perms '%.5s', expected '%s'", line, v.perms, perms);
	CHECK(v.offset == offset, "'%s': offset %#llx", line, (unsigned long long)v.offset);
	CHECK(v.dev_major == major && v.dev_minor == minor, "'%s': dev %x:%x", line,
	      v.dev_major, v.dev_minor);
	CHECK(v.inode == inode, "'%s': inode %llu", line, (unsigned long long)v.inode);
	CHECK(v.path_len == strlen(path) && !memcmp(v.path, path, v.path_len),
	      "'%s': path '%.*s' (%zu), expected '%s'", line, (int)v.path_len, v.path,
	      v.path_len, path);
}

static void malformed(const char *line)
{
	struct pw_vma v;
	int r = parse(line, strlen(line), &v);

	CHECK(r == -EINVAL, "'%s': %d, expected -EINVAL", line, r);
}

static void check_parser(void)
{
	static const char full[] =
		"00400000-00452000 r-xp 00001000 08:02 173521      /usr/bin/dbus-daemon";
	struct pw_vma v;
	size_t cut;

	valid(full, 0x400000, 0x452000, "r-xp", 0x1000, 8, 2, 173521, "/usr/bin/dbus-daemon");
	/* Anonymous: the kernel ends the line with a space; also without. */
	valid("7fdef16f4000-7fdef17b8000 rw-p 00000000 00:00 0 ",
	      0x7fdef16f4000, 0x7fdef17b8000, "rw-p", 0, 0, 0, 0, "");
	valid("7fdef16f4000-7fdef17b8000 rw-p 00000000 00:00 0",
	      0x7fdef16f4000, 0x7fdef17b8000, "rw-p", 0, 0, 0, 0, "");
	valid("5566309cd000-5566309ee000 rw-p 00000000 00:00 0                          [heap]",
	      0x5566309cd000, 0x5566309ee000, "rw-p", 0, 0, 0, 0, "[heap]");
	valid("7ffc1d2e6000-7ffc1d307000 rw-p 00000000 00:00 0                          [stack]",
	      0x7ffc1d2e6000, 0x7ffc1d307000, "rw-p", 0, 0, 0, 0, "[stack]");
	valid("7f0000001000-7f0000003000 rw-s 00000000 00:01 4242                       /dev/zero (deleted)",
	      0x7f0000001000, 0x7f0000003000, "rw-s", 0, 0, 1, 4242, "/dev/zero (deleted)");
	valid("7f0000001000-7f0000002000 r--p 0017c000 fe:00 332835 /tmp/a file  with spaces (deleted)",
	      0x7f0000001000, 0x7f0000002000, "r--p", 0x17c000, 0xfe, 0, 332835,
	      "/tmp/a file  with spaces (deleted)");
	valid("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
	      0xffffffffff600000ULL, 0xffffffffff601000ULL, "--xp", 0, 0, 0, 0, "[vsyscall]");
	valid("0000000000001000-fffffffffffff000 ---s ffffffffffffffff 103:0a 18446744073709551615 /x",
	      0x1000, 0xfffffffffffff000ULL, "---s", 0xffffffffffffffffULL, 0x103, 0xa,
	      18446744073709551615ULL, "/x");
	valid("00400000-00452000 rwxp 00000000 fd:01 1 [anon:my name]",
	      0x400000, 0x452000, "rwxp", 0, 0xfd, 1, 1, "[anon:my name]");

	/* len is the line: nothing after it is read. */
	cut = strlen(full) - 5;		/* "/usr/bin/dbus-d" */
	CHECK(parse(full, cut, &v) == 0, "cut line");
	CHECK(v.path_len == 15 && !memcmp(v.path, "/usr/bin/dbus-d", 15),
	      "cut path '%.*s'", (int)v.path_len, v.path);
	cut = (size_t)(strstr(full, "173521") - full) + 3;	/* inode "173" */
	CHECK(parse(full, cut, &v) == 0 && v.inode == 173 && v.path_len == 0,
	      "cut at the inode: inode %llu path_len %zu", (unsigned long long)v.inode,
	      v.path_len);
	CHECK(parse(full, 20, &v) == -EINVAL, "cut in the perms");
	CHECK(parse(full, 0, &v) == -EINVAL, "len 0");
	CHECK(parse("00400000-00452000 rw\0p 00000000 08:02 1 /x", 42, &v) == -EINVAL,
	      "NUL in the perms");

	/* Missing fields. */
	malformed("");
	malformed(" ");
	malformed("00400000");
	malformed("00400000-");
	malformed("00400000-00452000");
	malformed("00400000-00452000 ");
	malformed("00400000-00452000 r-xp");
	malformed("00400000-00452000 r-xp ");
	malformed("00400000-00452000 r-xp 00000000");
	malformed("00400000-00452000 r-xp 00000000 08");
	malformed("00400000-00452000 r-xp 00000000 08:");
	malformed("00400000-00452000 r-xp 00000000 08:02");
	malformed("00400000-00452000 r-xp 00000000 08:02 ");
	malformed("00400000-00452000 r-xp 00000000 :02 1");
	malformed("-00452000 r-xp 00000000 08:02 1");
	/* Wrong separators. */
	malformed("00400000 00452000 r-xp 00000000 08:02 1");
	malformed("00400000-00452000  r-xp 00000000 08:02 1");
	malformed("00400000-00452000\tr-xp 00000000 08:02 1");
	malformed(" 00400000-00452000 r-xp 00000000 08:02 1");
	malformed("00400000-00452000 r-xp 00000000 08-02 1");
	malformed("00400000-00452000 r-xp 00000000 08:02-1");
	/* Bad numbers. */
	malformed("0040g000-00452000 r-xp 00000000 08:02 1 /x");
	malformed("00400000-0045200z r-xp 00000000 08:02 1 /x");
	malformed("00400000-00452000 r-xp 0000x000 08:02 1 /x");
	malformed("00400000-00452000 r-xp 00000000 0g:02 1 /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 x1 /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 -1 /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 12ab /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 173521/usr/bin/x");
	/* start >= end, unaligned. */
	malformed("00452000-00400000 r-xp 00000000 08:02 1 /x");
	malformed("00400000-00400000 r-xp 00000000 08:02 1 /x");
	malformed("00400001-00452000 r-xp 00000000 08:02 1 /x");
	malformed("00400000-00452800 r-xp 00000000 08:02 1 /x");
	/* Overlong numbers. */
	malformed("10000000000400000-10000000000452000 r-xp 00000000 08:02 1 /x");
	malformed("00000000000400000-00000000000452000 r-xp 00000000 08:02 1 /x");
	malformed("00400000-00000000000452000 r-xp 00000000 08:02 1 /x");
	malformed("00400000-00452000 r-xp 00000000000000000 08:02 1 /x");
	malformed("00400000-00452000 r-xp 00000000 123456789:02 1 /x");
	malformed("00400000-00452000 r-xp 00000000 08:123456789 1 /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 18446744073709551616 /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 99999999999999999999 /x");
	malformed("00400000-00452000 r-xp 00000000 08:02 100000000000000000000 /x");
	/* Garbage permissions. */
	malformed("00400000-00452000 r-x 00000000 08:02 1 /x");
	malformed("00400000-00452000 r-xpp 00000000 08:02 1 /x");
	malformed("00400000-00452000 rwzp 00000000 08:02 1 /x");
	malformed("00400000-00452000 RWXP 00000000 08:02 1 /x");
	malformed("00400000-00452000 rw-x 00000000 08:02 1 /x");
	malformed("00400000-00452000 xw-p 00000000 08:02 1 /x");
	malformed("00400000-00452000 ---- 00000000 08:02 1 /x");
	malformed("00400000-00452000 pppp 00000000 08:02 1 /x");
}

/* ---- pw_space_mappings on ourselves ---- */

#define MAXM 4096

struct mlist {
	size_t n;
	struct {
		uint64_t start, end, offset, inode;
		unsigned major, minor;
		char perms[5];
		char path[256];
	} m[MAXM];
	int stop_after;		/* return stop_val after this many calls, 0: never */
	int stop_val;
	int unordered;
};

static int collect(const struct pw_mapping *m, void *ctx)
{
	struct mlist *l = ctx;

	if (l->n && m->start < l->m[l->n - 1].end)
		l->unordered++;
	if (l->n < MAXM) {
		l->m[l->n].start = m->start;
		l->m[l->n].end = m->end;
		l->m[l->n].offset = m->offset;
		l->m[l->n].inode = m->inode;
		l->m[l->n].major = m->dev_major;
		l->m[l->n].minor = m->dev_minor;
		memcpy(l->m[l->n].perms, m->perms, 5);
		snprintf(l->m[l->n].path, sizeof(l->m[l->n].path), "%s", m->path);
	}
	l->n++;
	if (l->stop_after && (int)l->n == l->stop_after)
		return l->stop_val;
	return 0;
}

static struct mlist ml, mine;

static long find(const struct mlist *l, uint64_t start)
{
	size_t i;

	for (i = 0; i < l->n && i < MAXM; i++)
		if (l->m[i].start == start)
			return (long)i;
	return -1;
}

/* Our own reading of /proc/self/maps, with sscanf. */
static void read_maps(struct mlist *l)
{
	static char buf[1 << 20];
	size_t len = 0;
	ssize_t n;
	char *line, *save;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		exit(1);
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	l->n = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e, off, ino;
		unsigned ma, mi;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perms, &off,
			   &ma, &mi, &ino, &pos) < 7 || l->n >= MAXM)
			exit(1);
		l->m[l->n].start = s;
		l->m[l->n].end = e;
		l->m[l->n].offset = off;
		l->m[l->n].inode = ino;
		l->m[l->n].major = ma;
		l->m[l->n].minor = mi;
		memcpy(l->m[l->n].perms, perms, 4);
		l->m[l->n].perms[4] = '\0';
		snprintf(l->m[l->n].path, sizeof(l->m[l->n].path), "%s", pos ? line + pos : "");
		l->n++;
	}
}

static int run(struct pw_space *sp, uint64_t start, uint64_t end, int stop_after, int stop_val)
{
	memset(&ml, 0, sizeof(ml));
	ml.stop_after = stop_after;
	ml.stop_val = stop_val;
	return pw_space_mappings(sp, start, end, collect, &ml);
}

static void check_mappings(struct pw_space *sp)
{
	char path[] = "/tmp/pw maps test XXXXXX";
	uint64_t b, fb, stack_addr = (uintptr_t)&path;
	char *base, *fmap;
	struct stat st;
	long i, j;
	size_t k;
	int fd, r;

	/* Our own mappings: [b, b+2) ---p, [b+2, b+5) rw-p, [b+5, b+8) ---p,
	 * and a shared file mapping at offset one page. */
	base = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(base != MAP_FAILED, "mmap");
	CHECK(mprotect(base + 2 * PAGE, 3 * PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect");
	b = (uintptr_t)base;
	fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, 4 * PAGE) == 0 && fstat(fd, &st) == 0, "temp file");
	fmap = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
	CHECK(fmap != MAP_FAILED, "file mmap");
	fb = (uintptr_t)fmap;

	r = run(sp, 0, 0, 0, 0);
	CHECK(r == 0, "all mappings: %d", r);
	CHECK(ml.n > 5 && ml.n < MAXM, "%zu mappings", ml.n);
	CHECK(ml.unordered == 0, "mappings out of order or overlapping: %d", ml.unordered);
	i = find(&ml, b + 2 * PAGE);
	CHECK(i >= 0, "our rw-p mapping is missing");
	if (i >= 0) {
		CHECK(ml.m[i].end == b + 5 * PAGE, "end %#llx", (unsigned long long)ml.m[i].end);
		CHECK(!strcmp(ml.m[i].perms, "rw-p"), "perms %s", ml.m[i].perms);
		CHECK(ml.m[i].offset == 0 && ml.m[i].inode == 0 && ml.m[i].major == 0 &&
		      ml.m[i].minor == 0 && ml.m[i].path[0] == '\0',
		      "anonymous: off %llx ino %llu dev %x:%x path '%s'",
		      (unsigned long long)ml.m[i].offset, (unsigned long long)ml.m[i].inode,
		      ml.m[i].major, ml.m[i].minor, ml.m[i].path);
		CHECK(i > 0 && ml.m[i - 1].end == b + 2 * PAGE &&
		      !strcmp(ml.m[i - 1].perms, "---p"), "the ---p mapping below");
		CHECK(ml.m[i + 1].start == b + 5 * PAGE && !strcmp(ml.m[i + 1].perms, "---p"),
		      "the ---p mapping above");
	}
	i = find(&ml, fb);
	CHECK(i >= 0, "our file mapping is missing");
	if (i >= 0) {
		CHECK(ml.m[i].end == fb + 2 * PAGE, "file end");
		CHECK(!strcmp(ml.m[i].perms, "r--s"), "file perms %s", ml.m[i].perms);
		CHECK(ml.m[i].offset == PAGE, "file offset %#llx", (unsigned long long)ml.m[i].offset);
		CHECK(ml.m[i].inode == st.st_ino, "inode %llu, expected %llu",
		      (unsigned long long)ml.m[i].inode, (unsigned long long)st.st_ino);
		CHECK(ml.m[i].major == major(st.st_dev) && ml.m[i].minor == minor(st.st_dev),
		      "dev %x:%x, expected %x:%x", ml.m[i].major, ml.m[i].minor,
		      major(st.st_dev), minor(st.st_dev));
		CHECK(!strcmp(ml.m[i].path, path), "path '%s', expected '%s'", ml.m[i].path, path);
	}
	/* The stack holds our locals. */
	for (k = 0, j = -1; k < ml.n && k < MAXM; k++)
		if (!strcmp(ml.m[k].path, "[stack]"))
			j = (long)k;
	CHECK(j >= 0, "no [stack]");
	if (j >= 0)
		CHECK(ml.m[j].start <= stack_addr && stack_addr < ml.m[j].end &&
		      !strcmp(ml.m[j].perms, "rw-p"), "[stack] %#llx-%#llx %s does not hold %#llx",
		      (unsigned long long)ml.m[j].start, (unsigned long long)ml.m[j].end,
		      ml.m[j].perms, (unsigned long long)stack_addr);

	/* The file deleted: the path says so. */
	unlink(path);
	CHECK(run(sp, fb, fb + 1, 0, 0) == 0 && ml.n == 1, "deleted file: %zu", ml.n);
	{
		char want[300];

		snprintf(want, sizeof(want), "%s (deleted)", path);
		CHECK(!strcmp(ml.m[0].path, want), "path '%s', expected '%s'", ml.m[0].path, want);
	}

	/* Everything agrees with our own reading of maps. */
	run(sp, 0, 0, 0, 0);
	read_maps(&mine);
	CHECK(ml.n == mine.n, "%zu mappings, maps has %zu", ml.n, mine.n);
	for (k = 0; k < ml.n && k < mine.n && k < MAXM; k++)
		CHECK(ml.m[k].start == mine.m[k].start && ml.m[k].end == mine.m[k].end &&
		      !strcmp(ml.m[k].perms, mine.m[k].perms) &&
		      ml.m[k].offset == mine.m[k].offset && ml.m[k].inode == mine.m[k].inode &&
		      ml.m[k].major == mine.m[k].major && ml.m[k].minor == mine.m[k].minor &&
		      !strcmp(ml.m[k].path, mine.m[k].path),
		      "mapping %zu: %#llx-%#llx %s '%s' vs %#llx-%#llx %s '%s'", k,
		      (unsigned long long)ml.m[k].start, (unsigned long long)ml.m[k].end,
		      ml.m[k].perms, ml.m[k].path, (unsigned long long)mine.m[k].start,
		      (unsigned long long)mine.m[k].end, mine.m[k].perms, mine.m[k].path);

	/* Filtering: mappings that intersect [start, end). */
	r = run(sp, b + 3 * PAGE, b + 4 * PAGE, 0, 0);
	CHECK(r == 0 && ml.n == 1 && ml.m[0].start == b + 2 * PAGE, "inner filter: %d %zu", r, ml.n);
	r = run(sp, b + 2 * PAGE, b + 5 * PAGE, 0, 0);
	CHECK(r == 0 && ml.n == 1 && ml.m[0].start == b + 2 * PAGE, "exact filter: %d %zu", r, ml.n);
	r = run(sp, b + 2 * PAGE - 1, b + 5 * PAGE + 1, 0, 0);
	CHECK(r == 0 && ml.n == 3 && ml.m[0].end == b + 2 * PAGE &&
	      ml.m[1].start == b + 2 * PAGE && ml.m[2].start == b + 5 * PAGE,
	      "byte-wide filter: %d %zu", r, ml.n);
	r = run(sp, b + 2 * PAGE, b + 2 * PAGE + 1, 0, 0);
	CHECK(r == 0 && ml.n == 1 && ml.m[0].start == b + 2 * PAGE, "one byte: %d %zu", r, ml.n);
	/* end 0: to the top. */
	r = run(sp, b + 2 * PAGE, 0, 0, 0);
	CHECK(r == 0 && ml.n >= 2 && ml.m[0].start == b + 2 * PAGE, "to the top: %d %zu", r, ml.n);
	CHECK(ml.n == mine.n - (size_t)find(&mine, b + 2 * PAGE),
	      "to the top: %zu mappings", ml.n);
	/* A range in a hole: nothing. */
	munmap(base + 6 * PAGE, PAGE);
	r = run(sp, b + 6 * PAGE, b + 7 * PAGE, 0, 0);
	CHECK(r == 0 && ml.n == 0, "hole: %d %zu", r, ml.n);

	/* The callback stops the walk with its value. */
	r = run(sp, 0, 0, 3, 7);
	CHECK(r == 7 && ml.n == 3, "stop at 3: %d after %zu calls", r, ml.n);
	r = run(sp, 0, 0, 1, -5);
	CHECK(r == -5 && ml.n == 1, "stop at 1: %d after %zu calls", r, ml.n);
	r = run(sp, b + 2 * PAGE, 0, 2, 1);
	CHECK(r == 1 && ml.n == 2 && ml.m[1].start == b + 5 * PAGE, "stop in a range: %d %zu", r,
	      ml.n);

	/* Invalid arguments. */
	CHECK_EQ(pw_space_mappings(sp, 0, 0, NULL, &ml), -EINVAL);
	CHECK_EQ(pw_space_mappings(NULL, 0, 0, collect, &ml), -EINVAL);

	munmap(fmap, 2 * PAGE);
	close(fd);
	munmap(base, 8 * PAGE);
}

int main(void)
{
	unsigned flags[] = { PW_SPACE_EMULATED, PW_SPACE_NATIVE };
	struct pw_space *sp;
	unsigned i;

	check_parser();
	for (i = 0; i < 2; i++) {
		int r = pw_space_open(&sp, 0, flags[i]);

		if (r == -EOPNOTSUPP)
			continue;
		CHECK(r == 0, "open %u: %d", flags[i], r);
		if (r)
			continue;
		run(sp, 0, 0, 0, 0);	/* warm up the library's buffers */
		check_mappings(sp);
		pw_space_close(sp);
	}
	t_done();
}
