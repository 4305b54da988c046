/* The raw header walk of the connector's first-stage parse (sip_scan.c), and
 * the byte helpers the checks after it share; private to the connector. */
#ifndef SIP_SCAN_H
#define SIP_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A lenient walk over the header section of raw bytes, used where libosip2
 * cannot help (it refused the message) and to enforce the size limits
 * before it runs.  One pass, no allocation: it counts what the limits and
 * check_raw() need.  With a callback it also hands over the values of the
 * headers an error response copies (RFC 3261 8.2.6.2), folded lines joined;
 * cb returns nonzero to stop.
 */
enum hkind { HK_OTHER, HK_VIA, HK_FROM, HK_TO, HK_CALLID, HK_CSEQ };

typedef int (*hdr_cb)(int kind, const char *val, size_t vlen, int clean,
	    void *arg);

struct scan {
	size_t	 startlen;	/* the start line, without its line end */
	size_t	 nheaders;
	size_t	 maxline;
	size_t	 hdrbytes;	/* up to and including the blank line */
	int	 have_end;	/* a blank line was found */
	size_t	 bodyoff;
	int	 nvia;		/* Via values a response can copy */
	unsigned seen;		/* 1 << kind: From, To, Call-ID, CSeq alike */
};

void	sip_scan_headers(const char *raw, size_t len, struct scan *out,
	    hdr_cb cb, void *arg);

/* The length of the line at p, without its CRLF or LF; *next is the
 * offset of the line after it. */
static inline size_t
line_end(const char *p, size_t len, size_t *next)
{
	const char *nl = memchr(p, '\n', len);

	if (nl == NULL) {
		*next = len;
		return len;
	}
	*next = (size_t)(nl - p) + 1;
	if (nl > p && nl[-1] == '\r')
		return (size_t)(nl - p) - 1;
	return (size_t)(nl - p);
}

/*
 * The first byte at or after pos that is below 0x20 and not a tab, or
 * len: a line end, or a control byte a response must not copy.  Eight
 * bytes at a time while none is; a tab sends the rest to the byte loop.
 */
static inline size_t
ctl_next(const char *p, size_t pos, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t w;

	for (; pos + 8 <= len; pos += 8) {
		memcpy(&w, p + pos, 8);
		if (((w - ones * 0x20) & ~w & ones * 0x80) != 0)
			break;
	}
	for (; pos < len; pos++)
		if ((unsigned char)p[pos] < 0x20 && p[pos] != '\t')
			return pos;
	return len;
}

/* A header value we may copy into a response: no control bytes. */
static inline int
value_clean(const char *v, size_t n)
{
	return ctl_next(v, 0, n) == n;
}

/* ASCII case-insensitive equality with a lower-case name, as
 * strncasecmp() in the C locale. */
static inline int
name_eq(const char *s, const char *lc, size_t n)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		if (ch != (unsigned char)lc[i])
			return 0;
	}
	return 1;
}

#endif /* SIP_SCAN_H */
