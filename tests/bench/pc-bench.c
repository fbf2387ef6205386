// SPDX-License-Identifier: GPL-2.0
/*
 * pc-bench: user-space workloads for the pagecheck benchmark. Each prints
 *   BENCH <name> ns=<elapsed> ops=<iterations> pages=<pages freed>
 * Under QEMU -icount shift=0 a guest nanosecond is one guest instruction.
 *
 *   pc-bench warm PERCENT       touch PERCENT of MemAvailable once
 *   pc-bench anon MIB REPS      fault in MIB of anonymous memory, munmap
 *   pc-bench fork REPS MIB      fork a child that dirties a MIB heap, exit
 *   pc-bench pagecache MIB REPS write, read back and truncate a tmpfs file
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1024UL * 1024UL)

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

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* base pages only: THP would free 512 pages in one go */
	madvise(p, len, MADV_NOHUGEPAGE);
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
	else if (argc == 4 && !strcmp(argv[1], "fork"))
		bench_fork(arg_ul(argv[2], "REPS"), arg_ul(argv[3], "MIB"));
	else if (argc == 4 && !strcmp(argv[1], "pagecache"))
		bench_pagecache(arg_ul(argv[2], "MIB"), arg_ul(argv[3], "REPS"));
	else {
		fprintf(stderr, "usage: pc-bench warm PERCENT | anon MIB REPS | "
			"fork REPS MIB | pagecache MIB REPS\n");
		return 2;
	}
	return 0;
}
