/* Edits of a parsed message's raw bytes on the outbound path (our Via pushed and popped, Max-Forwards counted down) without re-printing it through libosip2. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connector.h"

/*
 * Re-printing a message with osip_message_to_str and parsing the result
 * again (sipmsg_rebuild) cost more than a third of the connector's CPU on
 * outbound MESSAGE.  The messages edited here have been parsed already;
 * these functions change only whole header lines or a header's value that
 * we write ourselves, so what parsed before still parses.  That holds
 * only where our reading of the lines is libosip2's: a plain start line,
 * CRLF line ends, no bare CR or NUL up to the header edited, no folding
 * into or out of it, no quotes in a Via.  Anything else makes them return
 * -1 without touching the message: the caller then re-prints it (the
 * fuzz target fuzz_sip_parse checks the edited message parses again).
 */

/* One header line: [start, next) with the CRLF, the value [vs, ve). */
struct hdr_line {
	size_t	start, next, vs, ve;
};

/*
 * The line at p: its length without the CRLF, *next past it; -1 unless
 * it ends in CRLF and holds no other CR, LF or NUL (osip would cut it
 * elsewhere).
 */
static ssize_t
line_len(const char *p, size_t len, size_t *next)
{
	const char *nl = memchr(p, '\n', len);
	size_t n;

	if (nl == NULL || nl == p || nl[-1] != '\r')
		return -1;
	n = (size_t)(nl - p) - 1;
	if (memchr(p, '\r', n) != NULL || memchr(p, '\0', n) != NULL)
		return -1;
	*next = n + 2;
	return (ssize_t)n;
}

/*
 * The start line's end (past its CRLF) in *next: 0, or -1 unless it is
 * "METHOD SP URI SP SIP/2.0" or "SIP/2.0 DDD SP reason" and the next line
 * is not folded onto it (then osip reads the same line).
 */
static int
start_line(const char *raw, size_t len, size_t *next)
{
	const char *sp;
	ssize_t n;

	if ((n = line_len(raw, len, next)) < 12 || *next >= len ||
	    raw[*next] == ' ' || raw[*next] == '\t')
		return -1;
	if (strncmp(raw, "SIP/2.0 ", 8) == 0)
		return raw[8] >= '1' && raw[8] <= '6' && raw[9] >= '0' &&
		    raw[9] <= '9' && raw[10] >= '0' && raw[10] <= '9' &&
		    raw[11] == ' ' ? 0 : -1;
	if ((sp = memchr(raw, ' ', (size_t)n)) == NULL || sp == raw ||
	    (sp = memchr(sp + 1, ' ', (size_t)(raw + n - sp - 1))) == NULL ||
	    raw + n - sp != 8 || strncmp(sp, " SIP/2.0", 8) != 0)
		return -1;
	return 0;
}

/* Does the header line l (n bytes) carry name (or the compact form c)? */
static int
name_is(const char *l, size_t n, const char *name, char compact)
{
	size_t nl = strlen(name), i;

	if (n > nl && strncasecmp(l, name, nl) == 0)
		i = nl;
	else if (compact != 0 && n > 1 && (l[0] | 0x20) == compact)
		i = 1;
	else
		return 0;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	return i < n && l[i] == ':';
}

/*
 * The first header line of that name, before the blank line: 0; 1 when
 * there is none; -1 when it is folded onto the next line.
 */
static int
find_header(const char *raw, size_t len, const char *name, char compact,
    struct hdr_line *h)
{
	size_t pos, next;
	ssize_t sn;
	size_t n;

	if (start_line(raw, len, &next) != 0)
		return -1;
	for (pos = next; pos < len; pos += next) {
		if ((sn = line_len(raw + pos, len - pos, &next)) < 0)
			return -1;
		if ((n = (size_t)sn) == 0)
			return 1;			/* end of the headers */
		if (!name_is(raw + pos, n, name, compact))
			continue;
		if (pos + next >= len || raw[pos + next] == ' ' ||
		    raw[pos + next] == '\t')
			return -1;			/* folded (or no end) */
		h->start = pos;
		h->next = pos + next;
		h->vs = pos + (size_t)((const char *)memchr(raw + pos, ':', n) -
		    (raw + pos)) + 1;
		while (h->vs < pos + n && (raw[h->vs] == ' ' ||
		    raw[h->vs] == '\t'))
			h->vs++;
		h->ve = pos + n;
		while (h->ve > h->vs && (raw[h->ve - 1] == ' ' ||
		    raw[h->ve - 1] == '\t'))
			h->ve--;
		return 0;
	}
	return -1;				/* no end of headers */
}

/* Replaces raw[off, off + dlen) with ins (ilen bytes). */
static void
splice(struct sipmsg *m, size_t off, size_t dlen, const char *ins,
    size_t ilen)
{
	size_t nlen = m->len - dlen + ilen;

	if (ilen > dlen)
		sipmsg_grow(m, nlen);
	memmove(m->raw + off + ilen, m->raw + off + dlen,
	    m->len - off - dlen);
	memcpy(m->raw + off, ins, ilen);
	m->len = nlen;
	m->raw[nlen] = '\0';
}

int
sip_raw_set_via(struct sipmsg *m, const char *value, size_t *off,
    size_t *vlen)
{
	char line[512];
	size_t next;
	int n;

	n = snprintf(line, sizeof(line), "Via: %s\r\n", value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	if (*vlen == 0) {
		/* right after the start line: the topmost Via */
		if (start_line(m->raw, m->len, &next) != 0)
			return -1;
		*off = next;
	}
	splice(m, *off, *vlen, line, (size_t)n);
	*vlen = (size_t)n;
	return 0;
}

int
sip_raw_set_max_forwards(struct sipmsg *m, int hops)
{
	struct hdr_line h;
	char v[32];
	size_t next;
	int n, rc;

	if ((rc = find_header(m->raw, m->len, "Max-Forwards", 0, &h)) == 0) {
		n = snprintf(v, sizeof(v), "%d", hops);
		splice(m, h.vs, h.ve - h.vs, v, (size_t)n);
		return 0;
	}
	if (rc < 0 || start_line(m->raw, m->len, &next) != 0)
		return -1;
	/* none: ours goes right after the start line */
	n = snprintf(v, sizeof(v), "Max-Forwards: %d\r\n", hops);
	splice(m, next, 0, v, (size_t)n);
	return 0;
}

int
sip_raw_pop_via(struct sipmsg *m)
{
	struct hdr_line h;
	const char *comma;
	size_t end;

	if (find_header(m->raw, m->len, "Via", 'v', &h) != 0 ||
	    memchr(m->raw + h.vs, '"', h.ve - h.vs) != NULL)
		return -1;
	comma = memchr(m->raw + h.vs, ',', h.ve - h.vs);
	if (comma == NULL) {
		splice(m, h.start, h.next - h.start, "", 0);
		return 0;
	}
	/* "Via: ours, theirs": the next value moves up on that line */
	end = (size_t)(comma - m->raw) + 1;
	while (end < h.ve && (m->raw[end] == ' ' || m->raw[end] == '\t'))
		end++;
	if (end >= h.ve)
		return -1;			/* nothing after the comma */
	splice(m, h.vs, end - h.vs, "", 0);
	return 0;
}
