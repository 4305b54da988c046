/* Edits of a parsed message's raw bytes on the outbound path (our Via pushed and popped, Max-Forwards counted down) without re-printing it through libosip2. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connector.h"
#include "log.h"

/*
 * Re-printing a message with osip_message_to_str and parsing the result
 * again (sipmsg_rebuild) cost more than a third of the connector's CPU on
 * outbound MESSAGE.  The messages edited here have been parsed already;
 * these functions change only whole header lines or a header's value that
 * we write ourselves, so what parsed before still parses.  Anything
 * unusual (a folded line, a quoted string in the Via) makes them return
 * -1 without touching the message: the caller then re-prints it.
 */

/* One header line: [start, next) with the CRLF, the value [vs, ve). */
struct hdr_line {
	size_t	start, next, vs, ve;
};

/* Length of the line at p without its line end; *next past the end. */
static size_t
line_len(const char *p, size_t len, size_t *next)
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
	size_t pos, n, next;

	(void)line_len(raw, len, &next);		/* the start line */
	for (pos = next; pos < len; pos += next) {
		n = line_len(raw + pos, len - pos, &next);
		if (n == 0)
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
	return 1;
}

/* Replaces raw[off, off + dlen) with ins (ilen bytes). */
static void
splice(struct sipmsg *m, size_t off, size_t dlen, const char *ins,
    size_t ilen)
{
	size_t nlen = m->len - dlen + ilen;
	char *p;

	if (ilen > dlen) {
		if ((p = realloc(m->raw, nlen + 1)) == NULL)
			fatal("realloc");
		m->raw = p;
	}
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
		(void)line_len(m->raw, m->len, &next);
		if (next >= m->len)
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
	(void)line_len(m->raw, m->len, &next);
	if (rc < 0 || next >= m->len)
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
