// SPDX-License-Identifier: GPL-2.0
/*
 * pc-report - query pagecheck's reports.json (one JSON object per line) from
 * the guest's shell scripts, which have neither python nor jq.
 *
 * check FILE: "lines=N valid=N invalid=N" over the non-blank lines.
 * count FILE [FILTER...]: the number of objects matching every FILTER.
 * get FILE PATH [FILTER...]: PATH's value (dotted keys, e.g. alloc.pid) in
 *   each matching object: strings decoded (controls as \n, \t, \u00xx),
 *   numbers as written, an array one element per line, an object as compact
 *   JSON. FILTER is PATH=VALUE, PATH^=PREFIX, PATH*=TEXT or PATH!=VALUE on
 *   what get prints; an array matches if any element does.
 * FILE may be - for stdin. Invalid lines get a "line L: ... at column C"
 * message on stderr; count then prints nothing. Exit status: 0 ok,
 * 1 invalid line(s), 2 usage or read error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH	64
#define MAX_LINE	(1UL << 30)	/* keeps text offsets in 32 bits */

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };
enum { OP_EQ, OP_PREFIX, OP_CONTAINS, OP_NE };
static const char *const words[] = { "null", "false", "true" };

/* One value of the current line: text is in sbuf, links are node indices. */
struct node {
	uint32_t off, len;	/* number text or decoded string */
	uint32_t koff, klen;	/* decoded key of an object member */
	int32_t child, next;	/* first element, next sibling, or -1 */
	uint8_t type;
};

struct parser {
	const unsigned char *start, *p, *end;
	char *sbuf;		/* decoded text, never longer than the line */
	size_t slen, scap;
	struct node *nodes;
	size_t nnodes, ncap;
	char err[96];
	size_t col;
};

struct buf {
	char *p;
	size_t len, cap;
};

struct filter {
	char *path;
	const char *value;
	size_t vlen;
	int op;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pc-report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: pc-report check|count FILE [FILTER...]\n"
	      "       pc-report get FILE PATH [FILTER...]\n"
	      "FILTER: PATH=VALUE, PATH^=PREFIX, PATH*=TEXT or PATH!=VALUE\n",
	      stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("pc-report: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static void buf_put(struct buf *b, const void *s, size_t n)
{
	while (b->cap - b->len < n) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Records the error at the current position; returns -1. */
static int __attribute__((format(printf, 2, 3)))
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	ps->col = ps->p - ps->start + 1;
	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof(ps->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int unexpected(struct parser *ps, const char *want)
{
	if (ps->p == ps->end)
		return fail(ps, "unexpected end of line, expected %s", want);
	return fail(ps, *ps->p > 0x20 && *ps->p < 0x7f ?
		    "expected %s, found '%c'" : "expected %s, found byte 0x%02x",
		    want, *ps->p);
}

static bool at(const struct parser *ps, unsigned char c)
{
	return ps->p < ps->end && *ps->p == c;
}

static void skip_ws(struct parser *ps)
{
	while (at(ps, ' ') || at(ps, '\t') || at(ps, '\r') || at(ps, '\n'))
		ps->p++;
}

static size_t skip_digits(struct parser *ps)
{
	const unsigned char *s = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p - s;
}

static int32_t new_node(struct parser *ps, int type, size_t off, size_t len)
{
	if (ps->nnodes == ps->ncap) {
		ps->ncap = ps->ncap ? 2 * ps->ncap : 256;
		ps->nodes = xrealloc(ps->nodes, ps->ncap * sizeof(struct node));
	}
	ps->nodes[ps->nnodes] = (struct node){ .off = off, .len = len,
		.child = -1, .next = -1, .type = type };
	return ps->nnodes++;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 if none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n = *p < 0xc2 ? 0 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 :
		   *p < 0xf5 ? 4 : 0;
	unsigned int cp = *p & (0x7f >> n), i;

	if (!n || (size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	return n == 4 && (cp < 0x10000 || cp > 0x10ffff) ? 0 : n;
}

static size_t put_utf8(char *o, unsigned int cp)
{
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, i;

	for (i = n - 1; i > 0; i--, cp >>= 6)
		o[i] = 0x80 | (cp & 0x3f);
	o[0] = lead[n] | cp;
	return n;
}

static int hex4(const unsigned char *p, const unsigned char *end,
		unsigned int *v)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	const char *h;
	int i;

	for (*v = 0, i = 0; i < 4; i++) {
		if (end - p <= i || !(h = memchr(hex, p[i], 22)))
			return -1;
		*v = *v << 4 | (h - hex < 16 ? h - hex : h - hex - 6);
	}
	return 0;
}

/* Decodes the string at p into sbuf; no input byte gives more than one. */
static int parse_string(struct parser *ps, uint32_t *off, uint32_t *len)
{
	static const char esc_in[] = "\"\\/bfnrt";
	static const char esc_out[] = "\"\\/\b\f\n\r\t";
	char *o = ps->sbuf + ps->slen;
	const unsigned char *p;
	const char *e;
	unsigned int cp, lo;
	size_t n;

	*off = ps->slen;
	for (ps->p++; !at(ps, '"'); ps->p += n) {
		p = ps->p;
		n = 1;
		if (p == ps->end)
			return fail(ps, "unterminated string");
		if (*p < 0x20)
			return fail(ps, "control byte 0x%02x in string", *p);
		if (*p >= 0x80) {
			n = utf8_len(p, ps->end);
			if (!n)
				return fail(ps, "invalid UTF-8 in string");
			memcpy(o, p, n);
			o += n;
		} else if (*p != '\\') {
			*o++ = *p;
		} else if (ps->end - p < 2) {
			return fail(ps, "unterminated string");
		} else if ((e = memchr(esc_in, p[1], 8))) {
			*o++ = esc_out[e - esc_in];
			n = 2;
		} else if (p[1] != 'u' || hex4(p + 2, ps->end, &cp)) {
			return fail(ps, "invalid escape");
		} else {
			n = 6;
			if (cp >= 0xd800 && cp <= 0xdfff) {
				if (cp >= 0xdc00 || ps->end - p < 12 ||
				    p[6] != '\\' || p[7] != 'u' ||
				    hex4(p + 8, ps->end, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return fail(ps, "unpaired surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     lo - 0xdc00;
				n = 12;
			}
			o += put_utf8(o, cp);
		}
	}
	ps->p++;
	*len = o - (ps->sbuf + *off);
	ps->slen += *len;
	return 0;
}

static int32_t parse_number(struct parser *ps)
{
	const unsigned char *s = ps->p;
	size_t off = ps->slen;

	if (at(ps, '-'))
		ps->p++;
	if (at(ps, '0'))
		ps->p++;
	else if (!skip_digits(ps))
		return unexpected(ps, "a digit");
	if (at(ps, '.')) {
		ps->p++;
		if (!skip_digits(ps))
			return unexpected(ps, "a digit");
	}
	if (at(ps, 'e') || at(ps, 'E')) {
		ps->p++;
		if (at(ps, '+') || at(ps, '-'))
			ps->p++;
		if (!skip_digits(ps))
			return unexpected(ps, "a digit");
	}
	memcpy(ps->sbuf + off, s, ps->p - s);
	ps->slen += ps->p - s;
	return new_node(ps, J_NUM, off, ps->p - s);
}

static int32_t parse_value(struct parser *ps, int depth);

static int32_t parse_container(struct parser *ps, int depth, int type)
{
	unsigned char close = type == J_OBJ ? '}' : ']';
	int32_t n, v, prev = -1;
	uint32_t koff = 0, klen = 0;

	if (depth >= MAX_DEPTH)
		return fail(ps, "nesting deeper than %d levels", MAX_DEPTH);
	n = new_node(ps, type, 0, 0);
	ps->p++;
	skip_ws(ps);
	if (at(ps, close)) {
		ps->p++;
		return n;
	}
	for (;;) {
		if (type == J_OBJ) {
			skip_ws(ps);
			if (!at(ps, '"'))
				return unexpected(ps, "a string key");
			if (parse_string(ps, &koff, &klen))
				return -1;
			skip_ws(ps);
			if (!at(ps, ':'))
				return unexpected(ps, "':'");
			ps->p++;
		}
		v = parse_value(ps, depth + 1);
		if (v < 0)
			return -1;
		ps->nodes[v].koff = koff;
		ps->nodes[v].klen = klen;
		*(prev < 0 ? &ps->nodes[n].child : &ps->nodes[prev].next) = v;
		prev = v;
		skip_ws(ps);
		if (at(ps, close)) {
			ps->p++;
			return n;
		}
		if (!at(ps, ','))
			return unexpected(ps, type == J_OBJ ? "',' or '}'" :
					  "',' or ']'");
		ps->p++;
	}
}

static int32_t parse_value(struct parser *ps, int depth)
{
	uint32_t off, len;
	int t;

	skip_ws(ps);
	if (at(ps, '{') || at(ps, '['))
		return parse_container(ps, depth, at(ps, '{') ? J_OBJ : J_ARR);
	if (at(ps, '"'))
		return parse_string(ps, &off, &len) ? -1 :
		       new_node(ps, J_STR, off, len);
	if (at(ps, '-') || (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9'))
		return parse_number(ps);
	for (t = J_NULL; t <= J_TRUE; t++) {
		len = strlen(words[t]);
		if (!at(ps, words[t][0]))
			continue;
		if ((size_t)(ps->end - ps->p) < len ||
		    memcmp(ps->p, words[t], len))
			return fail(ps, "invalid literal, expected %s",
				    words[t]);
		ps->p += len;
		return new_node(ps, t, 0, 0);
	}
	return unexpected(ps, "a value");
}

/* Parses one line; returns the root object's node, or -1 with ps->err. */
static int32_t parse_line(struct parser *ps, const char *line, size_t len)
{
	int32_t root;

	ps->start = ps->p = (const unsigned char *)line;
	ps->end = ps->start + len;
	ps->nnodes = ps->slen = 0;
	ps->err[0] = '\0';
	if (len > MAX_LINE)
		return fail(ps, "line longer than %lu bytes", MAX_LINE);
	if (ps->scap < len + 1) {
		ps->scap = len + 1;
		ps->sbuf = xrealloc(ps->sbuf, ps->scap);
	}
	skip_ws(ps);
	if (!at(ps, '{'))
		return unexpected(ps, "'{'");
	root = parse_value(ps, 0);
	if (root < 0)
		return -1;
	skip_ws(ps);
	if (ps->p != ps->end)
		return fail(ps, "trailing characters after the object");
	return root;
}

/* A string on one line: controls as \n, \t or \u00xx; json adds quotes. */
static void put_str(struct buf *b, const char *s, size_t n, bool json)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];
	size_t i;

	if (json)
		buf_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned int c = u[i];

		if (c == 0xc2 && i + 1 < n && u[i + 1] < 0xa0) {
			c = u[++i];	/* U+0080..U+009F */
		} else if (c >= 0x20 && c != 0x7f) {
			if (json && (c == '"' || c == '\\'))
				buf_put(b, "\\", 1);
			buf_put(b, &u[i], 1);
			continue;
		}
		if (c == '\n' || c == '\t')
			buf_put(b, c == '\n' ? "\\n" : "\\t", 2);
		else
			buf_put(b, esc,
				snprintf(esc, sizeof(esc), "\\u%04x", c));
	}
	if (json)
		buf_put(b, "\"", 1);
}

/* Strings are quoted only inside arrays and objects (compact JSON). */
static void render(const struct parser *ps, struct buf *b, int32_t i,
		   bool json)
{
	const struct node *n = &ps->nodes[i];
	int32_t c;

	if (n->type <= J_TRUE) {
		buf_put(b, words[n->type], strlen(words[n->type]));
	} else if (n->type == J_NUM) {
		buf_put(b, ps->sbuf + n->off, n->len);
	} else if (n->type == J_STR) {
		put_str(b, ps->sbuf + n->off, n->len, json);
	} else {
		buf_put(b, n->type == J_ARR ? "[" : "{", 1);
		for (c = n->child; c >= 0; c = ps->nodes[c].next) {
			if (c != n->child)
				buf_put(b, ",", 1);
			if (n->type == J_OBJ) {
				put_str(b, ps->sbuf + ps->nodes[c].koff,
					ps->nodes[c].klen, true);
				buf_put(b, ":", 1);
			}
			render(ps, b, c, true);
		}
		buf_put(b, n->type == J_ARR ? "]" : "}", 1);
	}
}

/* The node at dotted path below object n, or -1. */
static int32_t lookup(const struct parser *ps, int32_t n, const char *path)
{
	for (;;) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		if (ps->nodes[n].type != J_OBJ)
			return -1;
		for (n = ps->nodes[n].child; n >= 0; n = ps->nodes[n].next)
			if (ps->nodes[n].klen == len &&
			    !memcmp(ps->sbuf + ps->nodes[n].koff, path, len))
				break;
		if (n < 0 || !dot)
			return n;
		path = dot + 1;
	}
}

/* The items printed for value v, after it (-1: first): v or its elements. */
static int32_t next_item(const struct parser *ps, int32_t v, int32_t it)
{
	if (ps->nodes[v].type != J_ARR)
		return it < 0 ? v : -1;
	return it < 0 ? ps->nodes[v].child : ps->nodes[it].next;
}

static bool match(const struct parser *ps, int32_t root,
		  const struct filter *f, struct buf *b)
{
	int32_t v = lookup(ps, root, f->path), it;
	bool hit;

	if (v < 0 || ps->nodes[v].type == J_OBJ)
		return false;
	for (it = next_item(ps, v, -1); it >= 0; it = next_item(ps, v, it)) {
		b->len = 0;
		render(ps, b, it, false);
		if (f->op == OP_CONTAINS)
			hit = memmem(b->p, b->len, f->value, f->vlen) != NULL;
		else if (f->op == OP_PREFIX)
			hit = b->len >= f->vlen &&
			      !memcmp(b->p, f->value, f->vlen);
		else
			hit = b->len == f->vlen &&
			      !memcmp(b->p, f->value, f->vlen);
		if (hit)
			return f->op != OP_NE;
	}
	return f->op == OP_NE;
}

static bool valid_path(const char *s)
{
	if (!*s || *s == '.' || strpbrk(s, "=^*!"))
		return false;
	for (; *s; s++)
		if (*s == '.' && (s[1] == '.' || !s[1]))
			return false;
	return true;
}

/* PATH OP VALUE, split at the first '=': the operator is = or one of ^*!= */
static void parse_filter(const char *arg, struct filter *f)
{
	size_t n = strlen(arg) + 1;
	char *s = memcpy(xrealloc(NULL, n), arg, n), *eq = strchr(s, '=');

	if (!eq)
		usage("bad filter '%s'", arg);
	f->op = OP_EQ;
	if (eq > s && strchr("^*!", eq[-1])) {
		f->op = eq[-1] == '^' ? OP_PREFIX :
			eq[-1] == '*' ? OP_CONTAINS : OP_NE;
		eq[-1] = '\0';
	}
	*eq = '\0';
	f->path = s;
	f->value = eq + 1;
	f->vlen = strlen(f->value);
	if (!valid_path(s))
		usage("bad filter '%s'", arg);
}

int main(int argc, char **argv)
{
	unsigned long lineno = 0, lines = 0, invalid = 0, matched = 0;
	struct parser ps = { 0 };
	struct buf out = { 0 };
	struct filter *filters;
	const char *path = NULL;
	int i, nf, first = 3;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;

	if (argc < 3)
		usage("missing arguments");
	if (!strcmp(argv[1], "get")) {
		if (argc < 4)
			usage("get needs a PATH");
		if (!valid_path(argv[3]))
			usage("bad PATH '%s'", argv[3]);
		path = argv[first++];
	} else if (strcmp(argv[1], "count") && strcmp(argv[1], "check")) {
		usage("unknown command '%s'", argv[1]);
	} else if (!strcmp(argv[1], "check") && argc > 3) {
		usage("check takes no FILTER");
	}
	nf = argc - first;
	filters = xrealloc(NULL, nf * sizeof(*filters));
	for (i = 0; i < nf; i++)
		parse_filter(argv[first + i], &filters[i]);
	fp = strcmp(argv[2], "-") ? fopen(argv[2], "r") : stdin;
	if (!fp)
		usage("cannot open %s: %s", argv[2], strerror(errno));
	out.p = xrealloc(NULL, out.cap = 256);

	while ((len = getline(&line, &cap, fp)) >= 0) {
		int32_t root, v, it;

		lineno++;
		while (len && memchr(" \t\r\n", line[len - 1], 4))
			len--;
		if (!len)
			continue;
		lines++;
		root = parse_line(&ps, line, len);
		if (root < 0) {
			fprintf(stderr, "pc-report: line %lu: %s at column %zu\n",
				lineno, ps.err, ps.col);
			invalid++;
			continue;
		}
		for (i = 0; i < nf && match(&ps, root, &filters[i], &out); i++)
			;
		if (i < nf)
			continue;
		matched++;
		v = path ? lookup(&ps, root, path) : -1;
		for (it = v < 0 ? -1 : next_item(&ps, v, -1); it >= 0;
		     it = next_item(&ps, v, it)) {
			out.len = 0;
			render(&ps, &out, it, false);
			buf_put(&out, "\n", 1);
			fwrite(out.p, 1, out.len, stdout);
		}
	}
	if (ferror(fp))
		usage("cannot read %s: %s", argv[2], strerror(errno));
	if (!strcmp(argv[1], "check"))
		printf("lines=%lu valid=%lu invalid=%lu\n", lines,
		       lines - invalid, invalid);
	else if (!strcmp(argv[1], "count") && !invalid)
		printf("%lu\n", matched);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "pc-report: write error: %s\n", strerror(errno));
		return 2;
	}
	return invalid ? 1 : 0;
}
