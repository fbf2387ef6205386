// SPDX-License-Identifier: GPL-2.0
/*
 * pc-fuzz - fuzz pagecheck's writable module parameters through sysfs.
 *
 * Usage: pc-fuzz [-n ITERATIONS] [-s SEED] [-c STACK_CAP] [-v] PARAMDIR
 *   -n N   total writes (default 10000); the fixed hostile list always runs
 *   -s S   PRNG seed (default 1); same seed, same writes
 *   -c C   stack_depth's load-time value, the run-time maximum (default:
 *          stack_depth as read at start, so run on a freshly loaded module)
 *   -v     log every write on stderr
 *   PARAMDIR is normally /sys/module/pagecheck/parameters.
 *
 * Every write is one open(O_WRONLY) + one write(2) of the exact bytes. Its
 * result is checked against an oracle that mirrors src/main.c and the sysfs
 * write path: kernfs copies at most PAGE_SIZE bytes and NUL-terminates them
 * (so the setter sees the bytes before the first NUL, longer writes are
 * cut, not refused, and an accepted write returns the cut length), and an
 * empty write returns 0 without calling the setter. A refused write must
 * fail with EINVAL and change no readable parameter; an accepted one must
 * change its own parameter to the value written and nothing else. Anything
 * changed is written back at once (so enabled=0 and panic_on_report=1 only
 * last between two writes). Read-only parameters must refuse open(O_WRONLY).
 *
 * Output: up to 50 lines
 *   FUZZ-FAIL param=P value="C-escaped" expected=accept|EINVAL got=ok|ERRNO
 *     state=unchanged|changed: NAME OLD->NEW[, ...]
 * then one line
 *   FUZZ-SUMMARY writes=N refused=N accepted=N failures=N oversize=N
 *     params=a,b,c
 * Exit status: 0 no failures, 1 failures, 2 usage/setup error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define PAGE_SZ		4096	/* kernfs hands the setter at most this */
#define MAX_PARAMS	32
#define VAL_MAX		256	/* a parameter's shown value */
#define BUF_MAX		10240	/* largest value written */
#define MAX_SHOWN	50	/* FUZZ-FAIL lines printed */
#define ESC_MAX		60	/* escaped value chars printed */

typedef unsigned __int128 u128;

enum kind {
	K_BOOL,		/* pgc_set_bool(), pgc_set_enabled() */
	K_CLEAR,	/* pgc_set_clear(): "1" only, write-only */
	K_DEPTH,	/* pgc_set_stack_depth(): 1..load-time value */
	K_LOADONLY,	/* max_reports, kernel_verdict: -EINVAL once loaded */
	K_HOOK,		/* pgc_set_hook(): a hook name, no load-time check */
	K_UNKNOWN,
};

struct param {
	char name[NAME_MAX + 1];
	char path[PATH_MAX];
	mode_t mode;
	bool readable, writable;
	enum kind kind;
};

struct state {
	char val[MAX_PARAMS][VAL_MAX];
	size_t len[MAX_PARAMS];
	int err[MAX_PARAMS];		/* errno of the read, 0 if read */
};

/* What the oracle says one write should do. */
struct verdict {
	bool accept;
	ssize_t ret;			/* write(2) result if accepted */
	bool sets;			/* accepted, shown value becomes want */
	char want[VAL_MAX];
};

static struct param params[MAX_PARAMS];
static int nparams;
static struct state snap;		/* the state every write starts from */
static unsigned int stack_cap;
static int verbose;

static unsigned long n_writes, n_refused, n_accepted, n_failures, n_oversize;

static char vbuf[BUF_MAX];		/* the value being written */

/* --- PRNG (splitmix64) --------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n > 0; the bias is irrelevant here). */
static unsigned int rnd(unsigned int n)
{
	return rnd64() % n;
}

/* --- kernel mirrors ------------------------------------------------------ */

/* lib/string.c sysfs_streq(): equal but for one trailing newline. */
static bool k_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

static const char *const yes_words[] = { "1", "y", "Y", "yes", "on", "true" };
static const char *const no_words[] = { "0", "n", "N", "no", "off", "false" };
#define NWORDS (sizeof(yes_words) / sizeof(yes_words[0]))

/* src/main.c pgc_parse_bool(): 1, 0, or -1 for -EINVAL. */
static int k_parse_bool(const char *s)
{
	unsigned int i;

	for (i = 0; i < NWORDS; i++) {
		if (k_streq(s, yes_words[i]))
			return 1;
		if (k_streq(s, no_words[i]))
			return 0;
	}
	return -1;
}

static const char *const hook_names[] = { "auto", "tracepoint", "ftrace", "kprobe" };

static int k_tolower(int c)
{
	return c | 0x20;
}

/*
 * lib/kstrtox.c kstrtouint(s, 10, &v), as pgc_parse_uint() calls it: an
 * optional '+', decimal digits only (at least one), one trailing '\n'
 * allowed, overflow of u64 or u32 refused.
 */
static int k_kstrtouint(const char *s, unsigned int *res)
{
	unsigned long long r = 0;
	unsigned int base = 10, rv = 0;
	bool overflow = false;

	if (*s == '+')
		s++;
	for (;; s++, rv++) {
		unsigned int c = (unsigned char)*s, lc = k_tolower(c), val;

		if (c >= '0' && c <= '9')
			val = c - '0';
		else if (lc >= 'a' && lc <= 'f')
			val = lc - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (r > (ULLONG_MAX - val) / base)
			overflow = true;
		r = r * base + val;
	}
	if (overflow || !rv)
		return -1;
	if (*s == '\n')
		s++;
	if (*s || r > UINT_MAX)
		return -1;
	*res = r;
	return 0;
}

/*
 * The oracle: what writing buf[0..len) to p does. kernfs_fop_write_iter()
 * cuts the write to PAGE_SIZE and NUL-terminates it; sysfs_kf_write()
 * returns 0 for an empty write; param_attr_store() returns the (cut)
 * length when the setter returns 0.
 */
static void oracle(const struct param *p, const char *buf, size_t len,
		   struct verdict *v)
{
	static char s[PAGE_SZ + 1];
	size_t n = len < PAGE_SZ ? len : PAGE_SZ;
	unsigned int i, u;
	int b;

	memset(v, 0, sizeof(*v));
	memcpy(s, buf, n);
	s[n] = '\0';
	if (!n) {
		v->accept = true;
		return;
	}
	v->ret = n;
	switch (p->kind) {
	case K_BOOL:
		b = k_parse_bool(s);
		if (b >= 0) {
			v->accept = v->sets = true;
			snprintf(v->want, VAL_MAX, "%d\n", b);
		}
		break;
	case K_CLEAR:
		v->accept = k_streq(s, "1");
		break;
	case K_DEPTH:
		if (!k_kstrtouint(s, &u) && u >= 1 && u <= stack_cap) {
			v->accept = v->sets = true;
			snprintf(v->want, VAL_MAX, "%u\n", u);
		}
		break;
	case K_HOOK:
		for (i = 0; i < sizeof(hook_names) / sizeof(hook_names[0]); i++) {
			if (k_streq(s, hook_names[i])) {
				v->accept = v->sets = true;
				snprintf(v->want, VAL_MAX, "%s\n", hook_names[i]);
			}
		}
		break;
	case K_LOADONLY:
	case K_UNKNOWN:
		break;
	}
}

/* --- sysfs access -------------------------------------------------------- */

static enum kind kind_of(const char *name)
{
	static const char *const bools[] = {
		"enabled", "printk", "panic_on_report", "hash_pointers",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (!strcmp(name, bools[i]))
			return K_BOOL;
	if (!strcmp(name, "clear"))
		return K_CLEAR;
	if (!strcmp(name, "stack_depth"))
		return K_DEPTH;
	if (!strcmp(name, "max_reports") || !strcmp(name, "kernel_verdict"))
		return K_LOADONLY;
	if (!strcmp(name, "hook"))
		return K_HOOK;
	return K_UNKNOWN;
}

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct param *)a)->name,
		      ((const struct param *)b)->name);
}

static int scan_params(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "pc-fuzz: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		struct param *p = &params[nparams];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (nparams == MAX_PARAMS) {
			fprintf(stderr, "pc-fuzz: more than %d parameters\n", MAX_PARAMS);
			break;
		}
		snprintf(p->name, sizeof(p->name), "%s", de->d_name);
		snprintf(p->path, sizeof(p->path), "%s/%s", dir, de->d_name);
		if (stat(p->path, &st) || !S_ISREG(st.st_mode))
			continue;
		p->mode = st.st_mode & 07777;
		p->readable = p->mode & 0444;
		p->writable = p->mode & 0222;
		p->kind = kind_of(p->name);
		nparams++;
	}
	closedir(d);
	qsort(params, nparams, sizeof(params[0]), cmp_param);
	return nparams ? 0 : -1;
}

static void read_state(struct state *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < nparams; i++) {
		ssize_t n;
		int fd;

		if (!params[i].readable)
			continue;
		fd = open(params[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			st->err[i] = errno;
			continue;
		}
		n = read(fd, st->val[i], VAL_MAX - 1);
		if (n < 0)
			st->err[i] = errno;
		else
			st->len[i] = n;
		close(fd);
	}
}

static bool same_val(const struct state *a, const struct state *b, int i)
{
	return a->err[i] == b->err[i] && a->len[i] == b->len[i] &&
	       !memcmp(a->val[i], b->val[i], a->len[i]);
}

static bool same_state(const struct state *a, const struct state *b)
{
	int i;

	for (i = 0; i < nparams; i++)
		if (!same_val(a, b, i))
			return false;
	return true;
}

/* One open + one write(2) + close. Returns write's result, errno in *err. */
static ssize_t write_param(const struct param *p, const char *buf, size_t len,
			   int *err)
{
	ssize_t ret;
	int fd = open(p->path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	ret = write(fd, buf, len);
	*err = ret < 0 ? errno : 0;
	close(fd);
	return ret;
}

/* --- output -------------------------------------------------------------- */

static const char *errno_name(int e)
{
	static char other[32];

	switch (e) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ERANGE: return "ERANGE";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case ENOSPC: return "ENOSPC";
	case EFBIG: return "EFBIG";
	case EOVERFLOW: return "EOVERFLOW";
	}
	snprintf(other, sizeof(other), "errno%d", e);
	return other;
}

/* C-escape buf into out as a quoted literal, at most ESC_MAX chars inside. */
static void cesc(const char *buf, size_t len, char *out, size_t outsz)
{
	size_t i, o = 0;
	char e[8];

	out[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		switch (c) {
		case '\n': strcpy(e, "\\n"); break;
		case '\t': strcpy(e, "\\t"); break;
		case '\r': strcpy(e, "\\r"); break;
		case '\\': strcpy(e, "\\\\"); break;
		case '"': strcpy(e, "\\\""); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				snprintf(e, sizeof(e), "%c", c);
			else
				snprintf(e, sizeof(e), "\\%03o", c);
		}
		if (o - 1 + strlen(e) > ESC_MAX)
			break;
		strcpy(out + o, e);
		o += strlen(e);
	}
	out[o++] = '"';
	out[o] = '\0';
	if (i < len)
		snprintf(out + o, outsz - o, "...[len=%zu]", len);
}

/* "unchanged" or "changed: name old->new, ..." between two states. */
static void describe_change(const struct state *from, const struct state *to,
			    char *out, size_t outsz)
{
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < nparams && o < outsz; i++) {
		char a[VAL_MAX * 4 + 32], b[VAL_MAX * 4 + 32];
		size_t la = from->len[i], lb = to->len[i];

		if (same_val(from, to, i))
			continue;
		if (la && from->val[i][la - 1] == '\n')
			la--;
		if (lb && to->val[i][lb - 1] == '\n')
			lb--;
		if (from->err[i])
			snprintf(a, sizeof(a), "<%s>", errno_name(from->err[i]));
		else
			cesc(from->val[i], la, a, sizeof(a));
		if (to->err[i])
			snprintf(b, sizeof(b), "<%s>", errno_name(to->err[i]));
		else
			cesc(to->val[i], lb, b, sizeof(b));
		o += snprintf(out + o, outsz - o, "%s%s %s->%s",
			      o ? ", " : "changed: ", params[i].name, a, b);
	}
	if (!o)
		snprintf(out, outsz, "unchanged");
}

static void report_fail(const struct param *p, const char *buf, size_t len,
			const char *expected, const char *got, const char *state)
{
	char esc[ESC_MAX + 64];

	n_failures++;
	if (n_failures > MAX_SHOWN)
		return;
	cesc(buf, len, esc, sizeof(esc));
	printf("FUZZ-FAIL param=%s value=%s expected=%s got=%s state=%s\n",
	       p->name, esc, expected, got, state);
	fflush(stdout);
}

/* --- one checked write --------------------------------------------------- */

/* Write back every changed writable parameter; fatal if that fails. */
static void restore(void)
{
	struct state now;
	int i, err;

	read_state(&now);
	for (i = 0; i < nparams; i++) {
		if (same_val(&snap, &now, i) || !params[i].writable || snap.err[i])
			continue;
		if (write_param(&params[i], snap.val[i], snap.len[i], &err) !=
		    (ssize_t)snap.len[i]) {
			printf("FUZZ-ERROR cannot restore %s: %s\n", params[i].name,
			       errno_name(err));
			exit(2);
		}
	}
	read_state(&now);
	if (!same_state(&snap, &now)) {
		char why[2048];

		describe_change(&snap, &now, why, sizeof(why));
		printf("FUZZ-ERROR state not restored: %s\n", why);
		exit(2);
	}
}

static void fuzz_one(const struct param *p, const char *buf, size_t len)
{
	struct state want = snap, after;
	struct verdict v;
	char got[48], state[2048];
	bool bad;
	ssize_t ret;
	int err, idx = p - params;

	oracle(p, buf, len, &v);
	ret = write_param(p, buf, len, &err);
	n_writes++;
	if (len > PAGE_SZ)
		n_oversize++;
	if (ret < 0)
		n_refused++;
	else
		n_accepted++;
	read_state(&after);

	if (v.accept)
		bad = ret != v.ret;
	else
		bad = ret >= 0 || err != EINVAL;
	/* Refused: nothing may change. Accepted: only p, to the value. */
	if (ret >= 0 && v.accept && v.sets && p->readable) {
		want.len[idx] = strlen(v.want);
		memcpy(want.val[idx], v.want, want.len[idx]);
	}
	if (!same_state(&want, &after))
		bad = true;

	if (ret < 0)
		snprintf(got, sizeof(got), "%s", errno_name(err));
	else if (ret == (ssize_t)(len < PAGE_SZ ? len : PAGE_SZ))
		snprintf(got, sizeof(got), "ok");
	else
		snprintf(got, sizeof(got), "ok(ret=%zd)", ret);
	if (verbose) {
		char esc[ESC_MAX + 64];

		cesc(buf, len, esc, sizeof(esc));
		fprintf(stderr, "pc-fuzz: %s %s -> %s (%s)\n", p->name, esc, got,
			v.accept ? "accept" : "EINVAL");
	}
	if (bad) {
		describe_change(&snap, &after, state, sizeof(state));
		if (ret >= 0 && v.accept && v.sets && p->readable &&
		    !same_state(&want, &after)) {
			size_t o = strlen(state);
			char w[VAL_MAX * 4];

			cesc(v.want, strlen(v.want) - 1, w, sizeof(w));
			snprintf(state + o, sizeof(state) - o, " (expected %s %s)",
				 p->name, w);
		}
		report_fail(p, buf, len, v.accept ? "accept" : "EINVAL", got,
			    state);
	}
	if (!same_state(&snap, &after))
		restore();
}

/* Read-only parameters: root's open(O_WRONLY) must fail (kernfs: EACCES). */
static void check_readonly(const struct param *p)
{
	int fd = open(p->path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 && errno == EACCES)
		return;
	report_fail(p, "", 0, "EACCES", fd < 0 ? errno_name(errno) : "open-ok",
		    "unchanged");
	if (fd >= 0)
		close(fd);
}

/* --- value generators ---------------------------------------------------- */

/* Bytes that matter to the parsers, NUL included. */
static const char alphabet[] = "0123456789xX+-\n\t \rabcdefyYnNotrusl.\0";

static unsigned char rnd_byte(void)
{
	if (rnd(2))
		return rnd(256);
	return alphabet[rnd(sizeof(alphabet) - 1)];
}

static size_t fmt_u128(char *out, u128 v, unsigned int base, bool upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[160];
	size_t n = 0, i;

	do {
		tmp[n++] = dig[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* A number in one of the spellings kstrtouint(.., 0, ..) knows, or nearly. */
static size_t gen_number(char *out, __int128 sv)
{
	u128 v = sv < 0 ? -(u128)sv : (u128)sv;
	unsigned int r = rnd(100), z;
	size_t n = 0;

	if (sv < 0)
		out[n++] = '-';
	else if (!rnd(8))
		out[n++] = '+';
	if (r < 55) {
		n += fmt_u128(out + n, v, 10, false);
	} else if (r < 75) {
		out[n++] = '0';
		out[n++] = rnd(4) ? 'x' : 'X';
		n += fmt_u128(out + n, v, 16, rnd(2));
	} else if (r < 90) {
		out[n++] = '0';
		n += fmt_u128(out + n, v, 8, false);
	} else {
		/* leading zeros: octal to the kernel, "016" is 14 */
		for (z = 1 + rnd(5); z; z--)
			out[n++] = '0';
		n += fmt_u128(out + n, v, 10, false);
	}
	if (!rnd(3))
		out[n++] = '\n';
	return n;
}

static void range_of(const struct param *p, unsigned int *lo, unsigned int *hi)
{
	*lo = 0;
	*hi = 1;
	if (p->kind == K_CLEAR)
		*lo = 1;
	else if (p->kind == K_DEPTH)
		*lo = 1, *hi = stack_cap;
	else if (p->kind == K_LOADONLY && !strcmp(p->name, "max_reports"))
		*lo = 1, *hi = 65536;
}

/* A value the setter accepts (for clear, sometimes a refused "no"). */
static size_t gen_valid(const struct param *p, char *out)
{
	unsigned int lo, hi;
	const char *w;
	size_t n;

	if (p->kind == K_DEPTH || !strcmp(p->name, "max_reports")) {
		range_of(p, &lo, &hi);
		return gen_number(out, lo + rnd(hi - lo + 1));
	}
	if (p->kind == K_HOOK)
		w = hook_names[rnd(4)];
	else if (p->kind == K_CLEAR && rnd(5))
		w = yes_words[rnd(NWORDS)];
	else
		w = rnd(2) ? yes_words[rnd(NWORDS)] : no_words[rnd(NWORDS)];
	n = strlen(w);
	memcpy(out, w, n);
	if (rnd(2))
		out[n++] = '\n';
	return n;
}

/* A valid value with 1..3 small edits. */
static size_t gen_mutant(const struct param *p, char *out)
{
	size_t n = gen_valid(p, out), pos;
	unsigned int k, m;

	for (k = 1 + rnd(3); k; k--) {
		pos = n ? rnd(n + 1) : 0;
		m = rnd(10);
		if (n > 100)
			m = 1;			/* keep it short */
		switch (m) {
		case 0:				/* insert a byte */
			memmove(out + pos + 1, out + pos, n - pos);
			out[pos] = rnd_byte();
			n++;
			break;
		case 1:				/* delete a byte */
			if (pos < n) {
				memmove(out + pos, out + pos + 1, n - pos - 1);
				n--;
			}
			break;
		case 2:				/* replace a byte */
			if (pos < n)
				out[pos] = rnd_byte();
			break;
		case 3:				/* flip case */
			if (pos < n && ((out[pos] | 0x20) >= 'a' && (out[pos] | 0x20) <= 'z'))
				out[pos] ^= 0x20;
			break;
		case 4:				/* another newline */
			out[n++] = '\n';
			break;
		case 5:				/* junk in front */
			memmove(out + 1, out, n);
			out[0] = " \t+-0\n"[rnd(6)];
			n++;
			break;
		case 6:				/* junk behind */
			out[n++] = " \r\t.x0\n"[rnd(7)];
			break;
		case 7:				/* NUL, then junk */
			out[pos] = '\0';
			n = pos + 1;
			if (rnd(2))
				out[n++] = rnd_byte();
			break;
		case 8:				/* doubled */
			memcpy(out + n, out, n);
			n *= 2;
			break;
		case 9:				/* cut */
			n = pos;
			break;
		}
	}
	return n;
}

static size_t gen_random(char *out, size_t minlen, size_t maxlen)
{
	size_t n = minlen + rnd(maxlen - minlen + 1), i;

	for (i = 0; i < n; i++)
		out[i] = rnd_byte();
	return n;
}

/* Numbers at and around the range ends and the u32/u64 limits. */
static size_t gen_boundary(const struct param *p, char *out)
{
	unsigned int lo, hi;
	__int128 base[12], v;
	const u128 two32 = (u128)1 << 32, two64 = (u128)1 << 64;

	range_of(p, &lo, &hi);
	base[0] = lo;
	base[1] = hi;
	base[2] = 0;
	base[3] = (u128)1 << 31;
	base[4] = two32 - 1;
	base[5] = two32;
	base[6] = two32 + lo;
	base[7] = two32 + hi;
	base[8] = two64 - 1;
	base[9] = two64;
	base[10] = two64 + hi;
	base[11] = (__int128)100000000000ULL * 1000000000000ULL;	/* 1e23 */
	v = base[rnd(12)];
	if (rnd(2))
		v += (int)rnd(5) - 2;
	return gen_number(out, v);
}

/* Longer than or right at PAGE_SIZE, some with an acceptable first page. */
static size_t gen_oversize(const struct param *p, char *out)
{
	static const size_t lens[] = { 4095, 4096, 4097, 5000, BUF_MAX };
	size_t len = lens[rnd(5)], n;
	char v[128];

	switch (rnd(4)) {
	case 0:				/* zeros, then a number */
		n = gen_valid(p, v);
		memset(out, '0', len);
		if (n < len)
			memcpy(out + len - n, v, n);
		break;
	case 1:				/* valid value, NUL padding */
		memset(out, 0, len);
		n = gen_valid(p, v);
		memcpy(out, v, n < len ? n : len);
		break;
	case 2:
		memset(out, "1a0 "[rnd(4)], len);
		break;
	default:
		gen_random(out, len, len);
	}
	return len;
}

static size_t gen_any(const struct param *p, char *out)
{
	unsigned int r = rnd(100);

	if (r < 25)
		return gen_valid(p, out);
	if (r < 60)
		return gen_mutant(p, out);
	if (r < 80)
		return gen_random(out, 0, 64);
	if (r < 98)
		return gen_boundary(p, out);
	return gen_oversize(p, out);
}

/* --- fixed hostile list -------------------------------------------------- */

struct fixed {
	const char *s;
	size_t len;
};
#define F(lit) { lit, sizeof(lit) - 1 }

static const struct fixed hostile[] = {
	F(""), F("\n"),
	F("-1"), F("-0"), F("-4294967296"),
	F("4294967296"), F("18446744073709551616"), F("99999999999999999999999"),
	F("1\0junk"), F("\0"), F("0\0"),
	F(" 1"), F("1 "), F("\t1"),
	F("0x1"), F("01"), F("+1"),
	F("on"), F("off"), F("yes"), F("no"), F("true"), F("Y"), F("N"),
	F("y"), F("n"), F("2"), F("10"), F("on2"),
	/* more edges */
	F("1"), F("0"), F("1\n"), F("0\n"), F("1\n\n"), F("\n1"), F("1\r\n"),
	F("false"), F("TRUE"), F("Yes"), F("ON"), F("yes-please"), F("1\0"),
	F("++1"), F("+"), F("0x"), F("0x\n"), F("0xg"), F("08"), F("09"),
	F("1e1"), F("1.0"), F("0X10"), F("0x10"), F("010"), F("016"), F("+0x10"),
	F("0x0010"), F("4294967297"), F("4294967312"), F("18446744073709551615"),
	F("18446744073709551632"), F("64"), F("65"), F("15"), F("16"), F("17"),
	F("16\n"), F("+16\n"), F("0x10\n"), F("020\n"), F("0000000000000000000016"),
	F("kprobe"), F("auto"),
};

/* Fixed writes built at run time: random, long, and cut at PAGE_SIZE. */
static void fuzz_fixed(const struct param *p)
{
	static const size_t long_lens[] = { 4095, 4096, 10000 };
	unsigned int i, j;
	char cap[32];
	size_t n;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		fuzz_one(p, hostile[i].s, hostile[i].len);
	/* the range ends as decimal */
	n = snprintf(cap, sizeof(cap), "%u", stack_cap);
	fuzz_one(p, cap, n);
	n = snprintf(cap, sizeof(cap), "%u", stack_cap + 1);
	fuzz_one(p, cap, n);
	for (i = 0; i < 8; i++) {
		n = gen_random(vbuf, 1, 64);
		fuzz_one(p, vbuf, n);
	}
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 2; j++) {
			memset(vbuf, j ? 'a' : '1', long_lens[i]);
			fuzz_one(p, vbuf, long_lens[i]);
		}
	}
	/* first page valid: "00..01" of 4096, cut to zeros at 4097 */
	memset(vbuf, '0', 4097);
	vbuf[4095] = '1';
	fuzz_one(p, vbuf, 4096);
	vbuf[4095] = '0';
	vbuf[4096] = '1';
	fuzz_one(p, vbuf, 4097);
	/* "1" or "1\n" then NULs: the setter sees "1" */
	memset(vbuf, 0, 5000);
	vbuf[0] = '1';
	fuzz_one(p, vbuf, 5000);
	vbuf[1] = '\n';
	fuzz_one(p, vbuf, 4096);
	fuzz_one(p, vbuf, 4097);
}

/* --- main ---------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: pc-fuzz [-n ITERATIONS] [-s SEED] [-c STACK_CAP] [-v] PARAMDIR\n");
	exit(2);
}

static unsigned long parse_num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || *s == '-')
		usage();
	return v;
}

int main(int argc, char **argv)
{
	unsigned long iterations = 10000, seed = 1, cap = 0;
	struct param *fz[MAX_PARAMS];
	char list[MAX_PARAMS * (NAME_MAX + 2)] = "";
	struct timespec t0, t1;
	int i, nfz = 0, opt;

	while ((opt = getopt(argc, argv, "n:s:c:v")) != -1) {
		switch (opt) {
		case 'n': iterations = parse_num(optarg); break;
		case 's': seed = parse_num(optarg); break;
		case 'c': cap = parse_num(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_state = seed;
	if (scan_params(argv[optind]))
		return 2;
	read_state(&snap);

	for (i = 0; i < nparams; i++) {
		struct param *p = &params[i];

		if (p->readable && snap.err[i]) {
			fprintf(stderr, "pc-fuzz: cannot read %s: %s\n", p->path,
				strerror(snap.err[i]));
			return 2;
		}
		if (p->kind == K_DEPTH && !cap)
			cap = strtoul(snap.val[i], NULL, 10);
		if (!p->writable)
			continue;
		if (p->kind == K_UNKNOWN) {
			fprintf(stderr, "pc-fuzz: %s: unknown parameter, not fuzzed\n",
				p->name);
			continue;
		}
		fz[nfz++] = p;
		if (nfz > 1)
			strcat(list, ",");
		strcat(list, p->name);	/* fits: MAX_PARAMS names + commas */
	}
	if (!nfz) {
		fprintf(stderr, "pc-fuzz: no writable parameters in %s\n", argv[optind]);
		return 2;
	}
	if (!cap || cap > UINT_MAX - 1) {
		fprintf(stderr, "pc-fuzz: stack_depth capacity unknown, use -c\n");
		return 2;
	}
	stack_cap = cap;
	printf("pc-fuzz: seed=%lu iterations=%lu stack_cap=%u params=%s\n",
	       seed, iterations, stack_cap, list);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (i = 0; i < nparams; i++)
		if (!params[i].writable)
			check_readonly(&params[i]);
	for (i = 0; i < nfz; i++)
		fuzz_fixed(fz[i]);
	while (n_writes < iterations) {
		struct param *p = fz[rnd(nfz)];
		size_t n = gen_any(p, vbuf);

		fuzz_one(p, vbuf, n);
	}

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n_failures > MAX_SHOWN)
		printf("FUZZ-NOTE %lu more failures not shown\n", n_failures - MAX_SHOWN);
	printf("pc-fuzz: elapsed=%.1fs\n", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("FUZZ-SUMMARY writes=%lu refused=%lu accepted=%lu failures=%lu oversize=%lu params=%s\n",
	       n_writes, n_refused, n_accepted, n_failures, n_oversize, list);
	return n_failures ? 1 : 0;
}
