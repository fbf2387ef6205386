// SPDX-License-Identifier: GPL-2.0
/*
 * pc-workload - healthy memory workload for the pagecheck guest.
 *
 * Generates lots of ordinary page allocations and frees through many kernel
 * paths: fork/exec/exit with COW, anonymous mmap/mremap/munmap, file-backed
 * shared and private mappings, page cache write/read/truncate/punch-hole,
 * pipes with splice/vmsplice/tee, sendfile to files and sockets, and THP
 * (MADV_HUGEPAGE on 2 MiB aligned anon memory; silently skipped if THP is
 * unavailable). Data written is verified when read back.
 *
 * Usage: pc-workload [-t seconds] [-n loops] [-j workers] [-d dir] [-m MiB] [-v]
 *   -t S   stop after S seconds (default 30 if neither -t nor -n given)
 *   -n N   stop after N loops per worker (0 = no loop limit)
 *   -j W   run W worker processes in parallel (default 1; 0 = one per CPU);
 *          worker w is pinned to the w-th CPU, its fork children are not
 *   -d DIR directory for files, should be tmpfs/ramfs (default /tmp)
 *   -m M   size of each sub-test buffer in MiB (default 8, max 64)
 *   -v     progress line per loop and per-sub-test totals on stderr
 *          (pgfree per sub-test is system-wide, so approximate with -j>1)
 *
 * Never aborts on a failed sub-test: prints a warning and carries on.
 * Prints one summary line on stdout at the end:
 *   pc-workload: done workers=.. loops=.. elapsed=..s subtests=.. failed=..
 *     forks=.. pgfree=.. thp_fault_alloc=.. thp=on|off
 * (loops/subtests/forks summed over workers; pgfree and thp_fault_alloc are
 * system-wide deltas from /proc/vmstat, -1 if it is not readable).
 * Exit status: 0 all sub-tests passed, 1 some failed, 2 usage/setup error.
 * Designed for a 1 GiB guest: peak use is about 6 * M MiB per worker.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#define FALLOC_FL_KEEP_SIZE 0x01
#endif

#define HPAGE (2UL << 20)
#define CHUNK (64UL << 10)
#define NCHILD 4
#define MAX_WARN_PER_TEST 5

static size_t pgsz;
static size_t bufsz = 8UL << 20;
static const char *dir = "/tmp";
static int verbose;
static int thp_on = 1;
static unsigned long seq;		/* changes the data pattern per loop */

struct subtest {
	const char *name;
	int (*fn)(void);
	unsigned long runs, fails;
	double secs;
	long long pgfree;
};

static unsigned long n_forks, n_warn;
static cpu_set_t all_cpus;		/* affinity at start, for fork children */
static int have_all_cpus;
static int worker_id = -1;		/* -1: single worker, no prefix */
static const char *cur_test = "setup";

static void warnx_(const char *fmt, ...)
{
	va_list ap;

	n_warn++;
	fprintf(stderr, "pc-workload: warning: %s: ", cur_test);
	if (worker_id >= 0)
		fprintf(stderr, "worker %d: ", worker_id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* SIGBUS on a file mapping (e.g. tmpfs full) fails the sub-test only. */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	bus_armed = 0;
	siglongjmp(bus_jmp, 1);
}

/* Warn with errno text and return -1 (for "return fail(...)"). */
#define fail(what) (warnx_("%s: %s", (what), strerror(errno)), -1)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read one counter from /proc/vmstat; -1 if unavailable. */
static long long vmstat(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			v = atoll(line + kl + 1);
			break;
		}
	}
	fclose(f);
	return v;
}

/*
 * Deterministic pattern: 64-bit word for byte offset off (multiple of 8) of
 * stream s. Word-wise fill/check keeps user-space CPU low under TCG.
 */
static inline uint64_t pat64(unsigned long s, size_t off)
{
	return (off * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)s << 40) ^ (off >> 12);
}

static inline unsigned char patb(unsigned long s, size_t i)
{
	return (unsigned char)(pat64(s, i & ~(size_t)7) >> (8 * (i & 7)));
}

static void fill(unsigned char *p, size_t len, unsigned long s, size_t base)
{
	size_t i = 0;

	if (!((base | (uintptr_t)p) & 7))
		for (; i + 8 <= len; i += 8)
			*(uint64_t *)(p + i) = pat64(s, base + i);
	for (; i < len; i++)
		p[i] = patb(s, base + i);
}

static int check(const unsigned char *p, size_t len, unsigned long s,
		 size_t base, const char *what)
{
	size_t i = 0;

	if (!((base | (uintptr_t)p) & 7))
		for (; i + 8 <= len; i += 8)
			if (*(const uint64_t *)(p + i) != pat64(s, base + i))
				goto bad;
	for (; i < len; i++)
		if (p[i] != patb(s, base + i))
			goto bad;
	return 0;
bad:
	warnx_("%s: data mismatch at offset %zu", what, base + i);
	return -1;
}

/* Touch every page (write) of [p, p+len). */
static void touch(void *p, size_t len, unsigned char v)
{
	for (size_t i = 0; i < len; i += pgsz)
		((volatile unsigned char *)p)[i] = v;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* 2 MiB aligned anonymous mapping of len bytes (len multiple of HPAGE). */
static void *map_aligned(size_t len)
{
	unsigned char *raw = map_anon(len + HPAGE), *p;
	size_t head;

	if (!raw)
		return NULL;
	p = (unsigned char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	head = p - raw;
	if (head)
		munmap(raw, head);
	munmap(p + len, HPAGE - head);
	return p;
}

static void try_thp(void *p, size_t len)
{
	if (thp_on && madvise(p, len, MADV_HUGEPAGE)) {
		thp_on = 0;
		fprintf(stderr, "pc-workload: note: MADV_HUGEPAGE: %s (THP off)\n",
			strerror(errno));
	}
}

/* Open a fresh, already unlinked file in dir. */
static int tmpfile_in_dir(const char *tag)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/pcw.%d.%s", dir, (int)getpid(), tag);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(path);
	unlink(path);
	return fd;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = off < 0 ? read(fd, p, len) : pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		if (off >= 0)
			off += n;
		len -= n;
	}
	return 0;
}

/* Fill a file with the pattern for stream s. */
static int make_file(int fd, size_t len, unsigned long s)
{
	unsigned char *b = malloc(CHUNK);
	int rc = 0;

	if (!b)
		return fail("malloc");
	for (size_t off = 0; off < len && !rc; off += CHUNK) {
		fill(b, CHUNK, s, off);
		if (write_all(fd, b, CHUNK, off))
			rc = fail("write");
	}
	free(b);
	return rc;
}

static int verify_file(int fd, size_t len, unsigned long s, const char *what)
{
	unsigned char *b = malloc(CHUNK);
	int rc = 0;

	if (!b)
		return fail("malloc");
	for (size_t off = 0; off < len && !rc; off += CHUNK) {
		if (read_all(fd, b, CHUNK, off))
			rc = fail(what);
		else
			rc = check(b, CHUNK, s, off, what);
	}
	free(b);
	return rc;
}

/* ---- child mode: exec'ed by the fork test via /proc/self/exe ---------- */
static int child_main(void)
{
	size_t len = 4UL << 20;
	unsigned char *p = map_anon(len);

	if (!p)
		return 3;
	touch(p, len, 0x5a);
	for (size_t i = 0; i < len; i += pgsz)
		if (p[i] != 0x5a)
			return 4;
	return 0;
}

/* ---- sub-tests ---------------------------------------------------------- */

/* fork + COW (THP-backed when possible) + exec + exit of children. */
static int t_fork(void)
{
	size_t len = (bufsz + HPAGE - 1) & ~(HPAGE - 1);
	unsigned char *cow = map_aligned(len);
	pid_t pids[NCHILD + 1];
	int n = 0, rc = 0;

	if (!cow)
		return fail("mmap");
	try_thp(cow, len);
	memset(cow, 0x11, len);
	for (int i = 0; i <= NCHILD; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			rc = fail("fork");
			break;
		}
		if (pid == 0) {
			/* children may run (and free) on any CPU */
			if (have_all_cpus)
				sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
			if (i == NCHILD) {	/* exec: whole mm torn down */
				char *argv[] = { "pc-workload", "--child", NULL };

				execv("/proc/self/exe", argv);
				_exit(126);
			}
			/* write every page of one half: COW copies */
			size_t half = len / 2, base = (i & 1) ? half : 0;
			unsigned char *own = map_anon(2UL << 20);

			touch(cow + base, half, (unsigned char)i);
			if (cow[base ? 0 : half] != 0x11)
				_exit(5);
			if (!own)
				_exit(3);
			touch(own, 2UL << 20, 1);
			if (i == 0)	/* partial unmap of a COW'ed THP */
				munmap(cow + base + pgsz, pgsz);
			_exit(0);
		}
		pids[n++] = pid;
		n_forks++;
	}
	for (int i = 0; i < n; i++) {
		int st = 0;
		pid_t w;

		while ((w = waitpid(pids[i], &st, 0)) < 0 && errno == EINTR)
			;
		if (w < 0) {
			rc = fail("waitpid");
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		warnx_("child %d %s %d", i, WIFEXITED(st) ? "exited" : "killed by signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		rc = -1;
	}
	for (size_t i = 0; i < len && !rc; i += pgsz)
		if (cow[i] != 0x11) {
			warnx_("parent COW page changed at %zu", i);
			rc = -1;
		}
	munmap(cow, len);
	return rc;
}

/* anonymous mmap, partial munmap, MADV_DONTNEED, mremap grow/move. */
static int t_anon(void)
{
	size_t len = bufsz;
	unsigned char *p = map_anon(len), *q;
	int rc = 0;

	if (!p)
		return fail("mmap");
	fill(p, len, seq, 0);
	if (madvise(p, len / 4, MADV_DONTNEED))
		rc = fail("madvise(DONTNEED)");
	else if (p[0] != 0 || p[len / 4 - 1] != 0) {
		warnx_("MADV_DONTNEED did not zero anon memory");
		rc = -1;
	}
	munmap(p + len / 4, len / 4);		/* hole in the middle */
	rc |= check(p + len / 2, len / 2, seq, len / 2, "anon");
	/* grow the tail part, which may move it */
	q = mremap(p + len / 2, len / 2, len, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		rc = fail("mremap");
		munmap(p + len / 2, len / 2);
	} else {
		rc |= check(q, len / 2, seq, len / 2, "anon after mremap");
		touch(q + len / 2, len / 2, 2);
		munmap(q, len);
	}
	munmap(p, len / 4);
	return rc;
}

/* THP: aligned region, MADV_HUGEPAGE, then split it in several ways. */
static int t_thp(void)
{
	size_t len = 4 * HPAGE;
	unsigned char *p = map_aligned(len);
	int rc = 0;

	if (!p)
		return fail("mmap");
	try_thp(p, len);
	fill(p, len, seq, 0);
	munmap(p + HPAGE / 2, pgsz);			/* split 1st */
	if (madvise(p + HPAGE, HPAGE, MADV_DONTNEED))	/* zap 2nd */
		rc = fail("madvise(DONTNEED)");
	if (mprotect(p + 2 * HPAGE + 16 * pgsz, pgsz, PROT_READ)) /* split 3rd */
		rc = fail("mprotect");
	rc |= check(p + 2 * HPAGE, 2 * HPAGE, seq, 2 * HPAGE, "thp");
	rc |= check(p, HPAGE / 2, seq, 0, "thp head");
	munmap(p, len);
	return rc;
}

/* file-backed shared + private mappings on dir (tmpfs/ramfs). */
static int t_filemap(void)
{
	size_t len = bufsz;
	unsigned char *p;
	unsigned char *volatile q;	/* read after siglongjmp */
	volatile int rc = 0;
	int fd = tmpfile_in_dir("map");

	if (fd < 0)
		return -1;
	if (ftruncate(fd, len)) {
		rc = fail("ftruncate");
		goto out;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = fail("mmap(MAP_SHARED)");
		goto out;
	}
	q = MAP_FAILED;
	if (sigsetjmp(bus_jmp, 1)) {
		warnx_("SIGBUS on file mapping (filesystem full?)");
		rc = -1;
		if (q != MAP_FAILED)
			munmap(q, len);
		munmap(p, len);
		goto out;
	}
	bus_armed = 1;
	fill(p, len, seq, 0);
	if (msync(p, len, MS_SYNC))
		rc = fail("msync");
	/* private mapping: writes COW file pages into anon pages */
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (q == MAP_FAILED) {
		rc = fail("mmap(MAP_PRIVATE)");
	} else {
		rc |= check(q, len, seq, 0, "private map");
		touch(q, len / 2, 0xee);
		munmap(q, len);
	}
	bus_armed = 0;
	munmap(p, len);
	rc |= verify_file(fd, len, seq, "read after munmap");
	if (ftruncate(fd, len / 3))		/* drops cache pages */
		rc = fail("ftruncate(shrink)");
out:
	close(fd);
	return rc;
}

/* page cache: write, read back, punch hole, truncate. */
static int t_pagecache(void)
{
	size_t len = bufsz;
	int fd = tmpfile_in_dir("pc"), rc;
	unsigned char b[4096];

	if (fd < 0)
		return -1;
	rc = make_file(fd, len, seq + 1);
	if (!rc)
		rc = verify_file(fd, len, seq + 1, "page cache read");
	if (!rc && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     len / 4, len / 4) == 0) {
		if (pread(fd, b, sizeof(b), len / 4) != (ssize_t)sizeof(b) || b[0] || b[4095]) {
			warnx_("punched hole does not read as zeroes");
			rc = -1;
		}
	}	/* EOPNOTSUPP (ramfs) is fine */
	if (!rc && ftruncate(fd, len / 2))
		rc = fail("ftruncate");
	if (!rc)
		rc = verify_file(fd, len / 4, seq + 1, "after truncate");
	if (!rc && ftruncate(fd, 0))
		rc = fail("ftruncate(0)");
	close(fd);
	return rc;
}

/* pipes: vmsplice user pages, splice file->pipe->file, tee. */
static int t_pipe(void)
{
	size_t len = bufsz;
	int pf[2], pf2[2] = { -1, -1 }, src = -1, dst = -1, rc = 0;
	unsigned char *u = NULL, *r = NULL;
	loff_t in = 0, outo = 0;

	if (pipe2(pf, O_CLOEXEC))
		return fail("pipe");
	fcntl(pf[1], F_SETPIPE_SZ, (int)(CHUNK * 4)); /* best effort */
	u = map_anon(CHUNK);
	r = malloc(CHUNK);
	if (!u || !r) {
		rc = fail("alloc");
		goto out;
	}
	/* vmsplice: user pages referenced by the pipe, then drained */
	for (size_t off = 0; off < len && !rc; off += CHUNK) {
		struct iovec iov = { u, CHUNK };
		ssize_t n;

		fill(u, CHUNK, seq + 2, off);
		n = vmsplice(pf[1], &iov, 1, (off & CHUNK) ? SPLICE_F_GIFT : 0);
		if (n != (ssize_t)CHUNK) {
			rc = n < 0 ? fail("vmsplice") : (warnx_("short vmsplice"), -1);
			break;
		}
		if (read_all(pf[0], r, CHUNK, -1))
			rc = fail("read(pipe)");
		else
			rc = check(r, CHUNK, seq + 2, off, "vmsplice data");
		munmap(u, CHUNK);		/* fresh pages for next round */
		u = map_anon(CHUNK);
		if (!u) {
			rc = fail("mmap");
			break;
		}
	}
	if (rc)
		goto out;
	/* splice file -> pipe -> (tee to pipe2) -> file */
	src = tmpfile_in_dir("spl-src");
	dst = tmpfile_in_dir("spl-dst");
	if (src < 0 || dst < 0 || make_file(src, len, seq + 3)) {
		rc = -1;
		goto out;
	}
	if (pipe2(pf2, O_CLOEXEC | O_NONBLOCK))
		pf2[0] = pf2[1] = -1;
	while ((size_t)in < len && !rc) {
		ssize_t n = splice(src, &in, pf[1], NULL, CHUNK, SPLICE_F_MOVE);

		if (n <= 0) {
			rc = n < 0 ? fail("splice(file->pipe)") : (warnx_("splice EOF"), -1);
			break;
		}
		if (pf2[1] >= 0) {
			ssize_t t = tee(pf[0], pf2[1], n, SPLICE_F_NONBLOCK);

			while (t > 0) {		/* drain the tee copy */
				ssize_t k = read(pf2[0], r, CHUNK);

				if (k <= 0)
					break;
				t -= k;
			}
		}
		while (n > 0) {
			ssize_t m = splice(pf[0], NULL, dst, &outo, n, SPLICE_F_MOVE);

			if (m <= 0) {
				rc = fail("splice(pipe->file)");
				break;
			}
			n -= m;
		}
	}
	if (!rc)
		rc = verify_file(dst, len, seq + 3, "spliced file");
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	if (u)
		munmap(u, CHUNK);
	free(r);
	close(pf[0]);
	close(pf[1]);
	if (pf2[0] >= 0) {
		close(pf2[0]);
		close(pf2[1]);
	}
	return rc;
}

/* sendfile: file -> file, and file -> AF_UNIX socket -> read. */
static int t_sendfile(void)
{
	size_t len = bufsz;
	int src = tmpfile_in_dir("sf-src"), dst = tmpfile_in_dir("sf-dst");
	int sv[2] = { -1, -1 }, rc = 0;
	unsigned char *b = malloc(CHUNK);
	off_t off = 0;

	if (src < 0 || dst < 0 || !b) {
		rc = -1;
		goto out;
	}
	if (make_file(src, len, seq + 4)) {
		rc = -1;
		goto out;
	}
	while ((size_t)off < len) {
		ssize_t n = sendfile(dst, src, &off, len - off);

		if (n <= 0) {
			rc = n < 0 ? fail("sendfile(file)") : (warnx_("sendfile EOF"), -1);
			goto out;
		}
	}
	rc = verify_file(dst, len, seq + 4, "sendfile copy");
	if (rc)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		rc = fail("socketpair");
		goto out;
	}
	for (off = 0; (size_t)off < len && !rc;) {
		off_t start = off;
		ssize_t n = sendfile(sv[0], src, &off, CHUNK / 2);

		if (n <= 0) {
			rc = n < 0 ? fail("sendfile(socket)") : (warnx_("sendfile EOF"), -1);
			break;
		}
		if (read_all(sv[1], b, n, -1))
			rc = fail("read(socket)");
		else
			rc = check(b, n, seq + 4, start, "sendfile socket data");
	}
out:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	free(b);
	return rc;
}

static struct subtest tests[] = {
	{ .name = "fork", .fn = t_fork },
	{ .name = "anon", .fn = t_anon },
	{ .name = "thp", .fn = t_thp },
	{ .name = "filemap", .fn = t_filemap },
	{ .name = "pagecache", .fn = t_pagecache },
	{ .name = "pipe", .fn = t_pipe },
	{ .name = "sendfile", .fn = t_sendfile },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static void usage(void)
{
	fprintf(stderr,
		"usage: pc-workload [-t seconds] [-n loops] [-j workers] [-d dir] [-m MiB] [-v]\n");
	exit(2);
}

/* Per-worker results, in MAP_SHARED memory so the parent can add them up. */
struct wstats {
	unsigned long loops, runs, fails, forks;
	int thp_on;
};

static double tlimit, t0;
static unsigned long nlimit;
static long long pf0;

static void run_worker(struct wstats *ws)
{
	unsigned long loops = 0;

	for (;;) {
		int stop = 0;

		for (size_t i = 0; i < NTESTS; i++) {
			long long pf;
			double ts;
			int r;

			if (tlimit > 0 && now() - t0 >= tlimit) {
				stop = 1;
				break;
			}
			cur_test = tests[i].name;
			errno = 0;
			ts = now();
			pf = verbose ? vmstat("pgfree") : 0;
			r = tests[i].fn();
			tests[i].secs += now() - ts;
			if (verbose)
				tests[i].pgfree += vmstat("pgfree") - pf;
			tests[i].runs++;
			ws->runs++;
			if (r) {
				tests[i].fails++;
				ws->fails++;
				if (tests[i].fails <= MAX_WARN_PER_TEST)
					fprintf(stderr, "pc-workload: warning: sub-test %s failed (loop %lu)\n",
						tests[i].name, loops);
			}
		}
		if (stop)
			break;
		ws->loops = ++loops;
		seq++;
		if (verbose)
			fprintf(stderr, "pc-workload: worker %d loop %lu t=%.1fs pgfree=%lld\n",
				worker_id < 0 ? 0 : worker_id, loops, now() - t0,
				vmstat("pgfree") - pf0);
		if (nlimit && loops >= nlimit)
			break;
		if (tlimit > 0 && now() - t0 >= tlimit)
			break;
	}
	for (size_t i = 0; i < NTESTS; i++)
		if (tests[i].fails)
			fprintf(stderr, "pc-workload: sub-test %s failed %lu/%lu times\n",
				tests[i].name, tests[i].fails, tests[i].runs);
	if (verbose) {
		fprintf(stderr, "pc-workload: worker %d per sub-test (runs secs pgfree):",
			worker_id < 0 ? 0 : worker_id);
		for (size_t i = 0; i < NTESTS; i++)
			fprintf(stderr, " %s=%lu/%.1f/%lld", tests[i].name,
				tests[i].runs, tests[i].secs, tests[i].pgfree);
		fputc('\n', stderr);
	}
	ws->forks = n_forks;
	ws->thp_on = thp_on;
}

/* Pin worker w to the w-th allowed CPU so workers never share one CPU. */
static void pin_worker(int w)
{
	int n = CPU_COUNT(&all_cpus), k = 0;
	cpu_set_t one;

	if (!have_all_cpus || n < 2)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all_cpus))
			continue;
		if (k++ == w % n) {
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct wstats *ws, sum = { .thp_on = 1 };
	long long pf1, th0, th1;
	long ncpu;
	int c, tset = 0, nworkers = 1, started = 0;
	char *end;
	struct stat st;
	double el;

	pgsz = (size_t)sysconf(_SC_PAGESIZE);
	if (argc == 2 && !strcmp(argv[1], "--child"))
		return child_main();
	while ((c = getopt(argc, argv, "t:n:j:d:m:vh")) != -1) {
		switch (c) {
		case 't':
			tlimit = strtod(optarg, &end);
			if (*end || tlimit < 0)
				usage();
			tset = 1;
			break;
		case 'n':
			nlimit = strtoul(optarg, &end, 10);
			if (*end)
				usage();
			break;
		case 'j':
			nworkers = (int)strtol(optarg, &end, 10);
			if (*end || nworkers < 0 || nworkers > 64)
				usage();
			break;
		case 'd':
			dir = optarg;
			break;
		case 'm': {
			unsigned long m = strtoul(optarg, &end, 10);

			if (*end || m < 1 || m > 64)
				usage();
			bufsz = m << 20;
			break;
		}
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!tset && !nlimit)
		tlimit = 30;
	have_all_cpus = !sched_getaffinity(0, sizeof(all_cpus), &all_cpus);
	if (nworkers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = ncpu > 0 ? (ncpu > 64 ? 64 : (int)ncpu) : 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGBUS, on_sigbus);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK)) {
		fprintf(stderr, "pc-workload: error: %s is not a writable directory\n", dir);
		return 2;
	}
	ws = mmap(NULL, nworkers * sizeof(*ws), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ws == MAP_FAILED) {
		perror("pc-workload: error: mmap");
		return 2;
	}

	pf0 = vmstat("pgfree");
	th0 = vmstat("thp_fault_alloc");
	t0 = now();
	if (nworkers == 1) {
		run_worker(&ws[0]);
		started = 1;
	} else {
		pid_t parent = getpid();

		for (int w = 0; w < nworkers; w++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("pc-workload: warning: fork(worker)");
				continue;
			}
			if (pid == 0) {
				/* a killed pc-workload leaves no worker behind */
				if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
					_exit(1);
				worker_id = w;
				pin_worker(w);
				seq = (unsigned long)w * 1000;
				run_worker(&ws[w]);
				_exit(0);
			}
			started++;
		}
		for (int w = 0; w < started;) {
			int status;
			pid_t p = wait(&status);

			if (p < 0 && errno == EINTR)
				continue;
			if (p < 0)
				break;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				fprintf(stderr, "pc-workload: warning: worker pid %d died (status 0x%x)\n",
					(int)p, status);
				sum.fails++;
			}
			w++;
		}
	}
	el = now() - t0;
	pf1 = vmstat("pgfree");
	th1 = vmstat("thp_fault_alloc");
	for (int w = 0; w < nworkers; w++) {
		sum.loops += ws[w].loops;
		sum.runs += ws[w].runs;
		sum.fails += ws[w].fails;
		sum.forks += ws[w].forks;
		if (ws[w].runs && !ws[w].thp_on)
			sum.thp_on = 0;
	}
	if (started < nworkers)
		sum.fails++;
	printf("pc-workload: done workers=%d loops=%lu elapsed=%.1fs subtests=%lu failed=%lu forks=%lu pgfree=%lld thp_fault_alloc=%lld thp=%s\n",
	       started, sum.loops, el, sum.runs, sum.fails, sum.forks,
	       pf0 >= 0 && pf1 >= 0 ? pf1 - pf0 : -1,
	       th0 >= 0 && th1 >= 0 ? th1 - th0 : -1, sum.thp_on ? "on" : "off");
	return sum.fails ? 1 : 0;
}
