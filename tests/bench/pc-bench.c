// SPDX-License-Identifier: GPL-2.0
/*
 * pc-bench: user-space workloads for the pagecheck benchmark. Each prints
 *   BENCH <name> ns=<elapsed> ops=<iterations> pages=<pages freed>
 * Under QEMU -icount shift=0 a guest nanosecond is one guest instruction.
 *
 *   pc-bench warm PERCENT        touch PERCENT of MemAvailable once
 *   pc-bench anon MIB REPS       fault in MIB of anonymous memory (base
 *                                pages, MADV_NOHUGEPAGE), munmap
 *   pc-bench anon-thp MIB REPS   the same, 2 MiB aligned with MADV_HUGEPAGE
 *   pc-bench anon-default MIB REPS  the same with no advice: the system's
 *                                THP and mTHP settings decide
 *   pc-bench anon-small KIB N REPS  N mappings of KIB each, every one in a
 *                                page table of its own, munmap: page-table
 *                                pages are freed too
 *   pc-bench fork REPS MIB       fork a child that dirties a MIB heap, exit
 *   pc-bench pagecache MIB REPS  write, read back and truncate a tmpfs file
 *   pc-bench slab KIB N REPS     N unix datagrams of KIB each through a
 *                                socket pair (skb data of order 1 to 3),
 *                                and 64 socket pairs opened and closed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1024UL * 1024UL)
#define HPAGE (2 * MIB)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "pc-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long arg_ul(const char *s, const char *name)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v) {
		fprintf(stderr, "pc-bench: %s must be a positive integer\n", name);
		exit(2);
	}
	return v;
}

static void touch(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE)
		p[off] = 1;
}

/* advice: MADV_NOHUGEPAGE (base pages), MADV_HUGEPAGE, or -1 for none */
static char *map_anon_advised(size_t len, int advice)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (advice >= 0)
		madvise(p, len, advice);
	return p;
}

static char *map_anon(size_t len)
{
	/* base pages only: THP would free 512 pages in one go */
	return map_anon_advised(len, MADV_NOHUGEPAGE);
}

/* @len at a 2 MiB boundary, so that THP can back all of it. */
static char *map_aligned(size_t len, int advice)
{
	char *raw = map_anon_advised(len + HPAGE, -1), *p;
	size_t head;

	p = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	head = p - raw;
	if (head)
		munmap(raw, head);
	munmap(p + len, HPAGE - head);
	if (advice >= 0)
		madvise(p, len, advice);
	return p;
}

static void report(const char *name, uint64_t ns, unsigned long ops,
		   unsigned long pages)
{
	printf("BENCH %s ns=%llu ops=%lu pages=%lu\n", name,
	       (unsigned long long)ns, ops, pages);
	fflush(stdout);
}

static void bench_warm(unsigned long percent)
{
	unsigned long avail_kb = 0;
	char line[128];
	size_t len;
	FILE *f = fopen("/proc/meminfo", "r");
	char *p;

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &avail_kb) == 1)
			break;
	fclose(f);
	len = avail_kb * 1024 / 100 * percent;
	len &= ~(PAGE - 1);
	p = map_anon(len);
	touch(p, len);
	munmap(p, len);
	report("warm", 0, 1, len / PAGE);
}

static void bench_anon(unsigned long mib, unsigned long reps)
{
	size_t len = mib * MIB;
	uint64_t t0 = now_ns();
	unsigned long r;

	for (r = 0; r < reps; r++) {
		char *p = map_anon(len);

		touch(p, len);
		munmap(p, len);
	}
	report("anon", now_ns() - t0, reps, reps * (len / PAGE));
}

static void bench_anon_advised(const char *name, unsigned long mib,
			       unsigned long reps, int advice)
{
	size_t len = mib * MIB;
	uint64_t t0 = now_ns();
	unsigned long r;

	for (r = 0; r < reps; r++) {
		char *p = map_aligned(len, advice);

		touch(p, len);
		munmap(p, len);
	}
	report(name, now_ns() - t0, reps, reps * (len / PAGE));
}

/*
 * Each mapping sits alone in its own 2 MiB range, so munmap() frees its
 * page-table page as well as its data pages.
 */
static void bench_anon_small(unsigned long kib, unsigned long n,
			     unsigned long reps)
{
	size_t len = kib * 1024, span = n * HPAGE;
	char *area = map_aligned(span, MADV_NOHUGEPAGE);
	uint64_t t0;
	unsigned long r, i;

	if (len > HPAGE)
		die("anon-small: KIB must be at most 2048");
	munmap(area, span);
	t0 = now_ns();
	for (r = 0; r < reps; r++) {
		for (i = 0; i < n; i++) {
			char *p = mmap(area + i * HPAGE, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				       -1, 0);

			if (p == MAP_FAILED)
				die("mmap");
			madvise(p, len, MADV_NOHUGEPAGE);
			touch(p, len);
		}
		for (i = 0; i < n; i++)
			munmap(area + i * HPAGE, len);
	}
	report("anon-small", now_ns() - t0, reps, reps * n * (len / PAGE + 1));
}

/*
 * Datagrams larger than a kmalloc cache come from the page allocator as
 * compound pages of order 1 to 3; opening and closing socket pairs makes
 * the socket slabs grow and shrink.
 */
static void bench_slab(unsigned long kib, unsigned long n, unsigned long reps)
{
	size_t len = kib * 1024;
	char *buf = malloc(len);
	int sv[2], more[64][2];
	uint64_t t0;
	unsigned long r, i;

	if (!buf)
		die("malloc");
	memset(buf, 0x5a, len);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair");
	t0 = now_ns();
	for (r = 0; r < reps; r++) {
		for (i = 0; i < n; i++) {
			if (send(sv[0], buf, len, 0) != (ssize_t)len)
				die("send");
			if (recv(sv[1], buf, len, 0) != (ssize_t)len)
				die("recv");
		}
		for (i = 0; i < 64; i++)
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, more[i]))
				die("socketpair");
		for (i = 0; i < 64; i++) {
			close(more[i][0]);
			close(more[i][1]);
		}
	}
	report("slab", now_ns() - t0, reps, reps * n * ((len + PAGE - 1) / PAGE));
	close(sv[0]);
	close(sv[1]);
	free(buf);
}

static void bench_fork(unsigned long reps, unsigned long mib)
{
	size_t len = mib * MIB;
	char *heap = map_anon(len);
	uint64_t t0;
	unsigned long r;

	touch(heap, len);
	t0 = now_ns();
	for (r = 0; r < reps; r++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			die("fork");
		if (!pid) {
			touch(heap, len);	/* copy-on-write: fresh pages */
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			die("waitpid");
	}
	report("fork", now_ns() - t0, reps, reps * (len / PAGE));
	munmap(heap, len);
}

static void bench_pagecache(unsigned long mib, unsigned long reps)
{
	static char buf[64 * 1024];
	size_t len = mib * MIB;
	uint64_t t0;
	unsigned long r;
	int fd = open("/tmp/pc-bench.data", O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		die("open /tmp/pc-bench.data");
	memset(buf, 0x5a, sizeof(buf));
	t0 = now_ns();
	for (r = 0; r < reps; r++) {
		size_t off;

		for (off = 0; off < len; off += sizeof(buf))
			if (pwrite(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
				die("pwrite");
		for (off = 0; off < len; off += sizeof(buf))
			if (pread(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
				die("pread");
		if (ftruncate(fd, 0))
			die("ftruncate");
	}
	report("pagecache", now_ns() - t0, reps, reps * (len / PAGE));
	close(fd);
	unlink("/tmp/pc-bench.data");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "warm"))
		bench_warm(arg_ul(argv[2], "PERCENT"));
	else if (argc == 4 && !strcmp(argv[1], "anon"))
		bench_anon(arg_ul(argv[2], "MIB"), arg_ul(argv[3], "REPS"));
	else if (argc == 4 && !strcmp(argv[1], "anon-thp"))
		bench_anon_advised("anon-thp", arg_ul(argv[2], "MIB"),
				   arg_ul(argv[3], "REPS"), MADV_HUGEPAGE);
	else if (argc == 4 && !strcmp(argv[1], "anon-default"))
		bench_anon_advised("anon-default", arg_ul(argv[2], "MIB"),
				   arg_ul(argv[3], "REPS"), -1);
	else if (argc == 5 && !strcmp(argv[1], "anon-small"))
		bench_anon_small(arg_ul(argv[2], "KIB"), arg_ul(argv[3], "N"),
				 arg_ul(argv[4], "REPS"));
	else if (argc == 5 && !strcmp(argv[1], "slab"))
		bench_slab(arg_ul(argv[2], "KIB"), arg_ul(argv[3], "N"),
			   arg_ul(argv[4], "REPS"));
	else if (argc == 4 && !strcmp(argv[1], "fork"))
		bench_fork(arg_ul(argv[2], "REPS"), arg_ul(argv[3], "MIB"));
	else if (argc == 4 && !strcmp(argv[1], "pagecache"))
		bench_pagecache(arg_ul(argv[2], "MIB"), arg_ul(argv[3], "REPS"));
	else {
		fprintf(stderr, "usage: pc-bench warm PERCENT | anon MIB REPS | "
			"anon-thp MIB REPS | anon-default MIB REPS | "
			"anon-small KIB N REPS | fork REPS MIB | "
			"pagecache MIB REPS | slab KIB N REPS\n");
		return 2;
	}
	return 0;
}
