/* The raw header walk: one pass over a message's header section that counts what the size limits need and hands over the headers an error response copies. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "sip_scan.h"

#define HNAME_MAX	64	/* a longer name is no header we look for */

/* The value fields of the header being walked. */
struct field {
	int		 kind;
	const char	*val;	/* in the message, or buf once joined */
	size_t		 vlen;
	int		 clean;
	int		 joined;
	char		*buf;
	size_t		 cap;
};

/* If a line's name (up to the first colon, less trailing white space) is
 * lc, ignoring case: the offset past the colon, else 0. */
static inline size_t
name_colon(const char *line, size_t n, const char *lc, size_t len)
{
	size_t k;

	if (len >= n || !name_eq(line, lc, len))
		return 0;
	for (k = len; k < n && (line[k] == ' ' || line[k] == '\t'); k++)
		;
	return k < n && line[k] == ':' ? k + 1 : 0;
}

/*
 * The kind of the header a line starts, with *val set past the colon: the
 * long and the compact form (RFC 3261 7.3.3) of each name we look for.
 * n may run past the line's end (no name of ours holds a CR or LF, so the
 * match stops there anyway).  Other names are not looked at (name_ok()).
 */
static int
line_kind(const char *line, size_t n, size_t *val)
{
	switch (line[0]) {
	case 'v': case 'V':
		if ((*val = name_colon(line, n, "v", 1)) != 0 ||
		    (*val = name_colon(line, n, "via", 3)) != 0)
			return HK_VIA;
		break;
	case 'f': case 'F':
		if ((*val = name_colon(line, n, "f", 1)) != 0 ||
		    (*val = name_colon(line, n, "from", 4)) != 0)
			return HK_FROM;
		break;
	case 't': case 'T':
		if ((*val = name_colon(line, n, "t", 1)) != 0 ||
		    (*val = name_colon(line, n, "to", 2)) != 0)
			return HK_TO;
		break;
	case 'i': case 'I':
		if ((*val = name_colon(line, n, "i", 1)) != 0)
			return HK_CALLID;
		break;
	case 'c': case 'C':
		if ((*val = name_colon(line, n, "call-id", 7)) != 0)
			return HK_CALLID;
		if ((*val = name_colon(line, n, "cseq", 4)) != 0)
			return HK_CSEQ;
		break;
	}
	return HK_OTHER;
}

/* Does a line start a header at all (a name, then a colon)?  Only asked
 * when a folded line follows, which belongs to it only then. */
static int
name_ok(const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	size_t nlen;

	if (colon == NULL)
		return 0;
	nlen = (size_t)(colon - line);
	while (nlen > 0 && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	return nlen > 0 && nlen < HNAME_MAX;
}

/* A continuation line of a folded header: its leading white space
 * becomes one SP (RFC 3261 7.3.1).  The value is only copied for cb. */
static void
field_fold(struct field *f, const char *line, size_t n, int copy)
{
	size_t ws = 0, need;

	while (ws < n && (line[ws] == ' ' || line[ws] == '\t'))
		ws++;
	f->clean = f->clean && value_clean(line + ws, n - ws);
	if (copy) {
		need = f->vlen + (n - ws) + 2;
		if (need > f->cap) {
			f->cap = need + 64;
			if ((f->buf = realloc(f->buf, f->cap)) == NULL)
				fatal("realloc");
			if (f->joined)
				f->val = f->buf;
		}
		if (!f->joined) {
			memcpy(f->buf, f->val, f->vlen);
			f->val = f->buf;
			f->joined = 1;
		}
		if (f->vlen > 0 && ws < n)
			f->buf[f->vlen] = ' ';
		memcpy(f->buf + f->vlen + (f->vlen > 0 && ws < n), line + ws,
		    n - ws);
	}
	if (f->vlen > 0 && ws < n)
		f->vlen++;
	f->vlen += n - ws;
}

static int
field_end(struct scan *sc, const struct field *f, hdr_cb cb, void *arg)
{
	if (f->clean && f->vlen <= SIP_MAX_LINE) {
		if (f->kind != HK_VIA)
			sc->seen |= 1u << f->kind;
		else if (f->vlen > 0)
			sc->nvia++;
	}
	return cb != NULL ? cb(f->kind, f->val, f->vlen, f->clean, arg) : 0;
}

/*
 * A line that starts a header of ours: one scan from its value to the
 * first control byte finds both the line end and whether the value is
 * clean; only a value with a control byte needs a second look.
 */
static size_t
value_line(const char *raw, size_t len, size_t pos, size_t v,
    struct field *f, size_t *next)
{
	size_t q, n;

	for (q = pos + v; q < len && (raw[q] == ' ' || raw[q] == '\t'); q++)
		;
	f->val = raw + q;
	q = ctl_next(raw, q, len);
	if (q == len || raw[q] == '\n' || (raw[q] == '\r' && q + 1 < len &&
	    raw[q + 1] == '\n')) {
		f->clean = 1;
		n = q - pos;
		*next = q == len ? n : n + (raw[q] == '\n' ? 1 : 2);
	} else {
		f->clean = 0;
		n = line_end(raw + pos, len - pos, next);
	}
	f->vlen = (size_t)(raw + pos + n - f->val);
	f->joined = 0;
	return n;
}

void
sip_scan_headers(const char *raw, size_t len, struct scan *out, hdr_cb cb, void *arg)
{
	struct scan s, *sc = &s;	/* a local: stores to it are no
					 * stores to what raw points to */
	struct field f;
	const char *line, *prev = NULL;
	size_t pos, n, next, prevn = 0, v;
	int have = 0, stop = 0;		/* have: -1 not known yet */
	int kind;

	memset(sc, 0, sizeof(*sc));
	memset(&f, 0, sizeof(f));
	sc->startlen = sc->maxline = line_end(raw, len, &next);
	for (pos = next; pos < len && !stop; pos += next) {
		line = raw + pos;
		/* a header of ours: its end is found with its value */
		if ((kind = line_kind(line, len - pos, &v)) != HK_OTHER) {
			if (have > 0 && f.kind != HK_OTHER)
				stop = field_end(sc, &f, cb, arg);
			sc->nheaders++;
			have = 1;
			f.kind = kind;
			n = value_line(raw, len, pos, v, &f, &next);
			if (n > sc->maxline)
				sc->maxline = n;
			continue;
		}
		n = line_end(line, len - pos, &next);
		if (n > sc->maxline)
			sc->maxline = n;
		if (n == 0) {
			sc->have_end = 1;
			sc->hdrbytes = sc->bodyoff = pos + next;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (have < 0)
				have = name_ok(prev, prevn);
			if (have) {
				if (f.kind != HK_OTHER)
					field_fold(&f, line, n, cb != NULL);
				continue;
			}
		}
		if (have > 0 && f.kind != HK_OTHER)
			stop = field_end(sc, &f, cb, arg);
		sc->nheaders++;
		f.kind = HK_OTHER;
		have = -1;
		prev = line;
		prevn = n;
	}
	if (have > 0 && !stop && f.kind != HK_OTHER)
		(void)field_end(sc, &f, cb, arg);
	if (!sc->have_end)
		sc->hdrbytes = len;
	free(f.buf);
	*out = s;
}
