/* First-stage parsing of SIP from the Internet: size limits, libosip2 parse, RFC 3261 sanity checks, and the error response each failure earns. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "connector.h"
#include "log.h"

#define ALLOW_HDR "Allow: MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH, OPTIONS\r\n"

/* libosip2 set-up: its own trace output would duplicate our log lines. */
void
sip_parse_init(void)
{
	int i;

	parser_init();
	for (i = 0; i < END_TRACE_LEVEL; i++)
		osip_trace_disable_level((osip_trace_level_t)i);
}

struct sipmsg *
sipmsg_new(const char *raw, size_t len)
{
	struct sipmsg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->raw = malloc(len + 1)) == NULL) {
		free(m);
		return NULL;
	}
	memcpy(m->raw, raw, len);
	m->raw[len] = '\0';
	m->len = len;
	return m;
}

void
sipmsg_free(struct sipmsg *m)
{
	if (m == NULL)
		return;
	if (m->msg != NULL)
		osip_message_free(m->msg);
	free(m->raw);
	free(m);
}

const char *
sip_reason_phrase(int code)
{
	switch (code) {
	case 100: return "Trying";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Request Entity Too Large";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	default: return "Error";
	}
}

/*
 * A lenient walk over the header section of raw bytes, used where libosip2
 * cannot help (it refused the message) and to enforce the size limits
 * before it runs.  Folded lines are joined.  cb returns nonzero to stop.
 */
typedef int (*hdr_cb)(const char *name, size_t nlen, const char *val,
	    size_t vlen, void *arg);

struct scan {
	size_t	nheaders;
	size_t	maxline;
	size_t	hdrbytes;	/* up to and including the blank line */
	int	have_end;	/* a blank line was found */
	size_t	bodyoff;
};

static size_t
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

static void
raw_scan(const char *raw, size_t len, struct scan *sc, hdr_cb cb, void *arg)
{
	size_t pos, n, next, vstart;
	char name[64], *val = NULL;
	size_t vlen = 0, vcap = 0, nlen = 0;
	int have = 0, stop = 0;

	memset(sc, 0, sizeof(*sc));
	n = line_end(raw, len, &next);		/* start line */
	sc->maxline = n;
	for (pos = next; pos < len && !stop; pos += next) {
		n = line_end(raw + pos, len - pos, &next);
		if (n > sc->maxline)
			sc->maxline = n;
		if (n == 0) {
			sc->have_end = 1;
			sc->hdrbytes = pos + next;
			sc->bodyoff = pos + next;
			break;
		}
		if ((raw[pos] == ' ' || raw[pos] == '\t') && have) {
			/* continuation of a folded header: its leading
			 * white space becomes one SP (RFC 3261 7.3.1) */
			size_t ws = 0;

			while (ws < n && (raw[pos + ws] == ' ' ||
			    raw[pos + ws] == '\t'))
				ws++;
			if (vlen + n + 2 > vcap) {
				vcap = vlen + n + 64;
				val = realloc(val, vcap);
				if (val == NULL)
					fatal("realloc");
			}
			if (vlen > 0 && ws < n)
				val[vlen++] = ' ';
			memcpy(val + vlen, raw + pos + ws, n - ws);
			vlen += n - ws;
			continue;
		}
		if (have && cb != NULL)
			stop = cb(name, nlen, val, vlen, arg);
		have = 0;
		sc->nheaders++;
		{
			const char *colon = memchr(raw + pos, ':', n);

			if (colon == NULL)
				continue;
			nlen = (size_t)(colon - (raw + pos));
			while (nlen > 0 && (raw[pos + nlen - 1] == ' ' ||
			    raw[pos + nlen - 1] == '\t'))
				nlen--;
			if (nlen == 0 || nlen >= sizeof(name))
				continue;
			memcpy(name, raw + pos, nlen);
			name[nlen] = '\0';
			vstart = (size_t)(colon - raw) + 1;
			while (vstart < pos + n && (raw[vstart] == ' ' ||
			    raw[vstart] == '\t'))
				vstart++;
			vlen = pos + n - vstart;
			if (vlen + 1 > vcap) {
				vcap = vlen + 64;
				if ((val = realloc(val, vcap)) == NULL)
					fatal("realloc");
			}
			memcpy(val, raw + vstart, vlen);
			have = 1;
		}
	}
	if (have && !stop && cb != NULL)
		(void)cb(name, nlen, val, vlen, arg);
	if (!sc->have_end)
		sc->hdrbytes = len;
	free(val);
}

static int
hname_is(const char *name, size_t nlen, const char *full, const char *compact)
{
	return (strlen(full) == nlen && strncasecmp(name, full, nlen) == 0) ||
	    (compact != NULL && nlen == 1 && tolower((unsigned char)name[0]) ==
	    compact[0]);
}

/* A header value we may copy into a response: no control bytes. */
static int
value_clean(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return 0;
	return 1;
}

struct resp_hdrs {
	char	*vias;		/* "Via: ...\r\n" lines */
	size_t	 vlen;
	char	*from, *to, *callid, *cseq;
	int	 nvia;
	int	 bad;
};

static char *
dupn(const char *v, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		fatal("malloc");
	memcpy(p, v, n);
	p[n] = '\0';
	return p;
}

static int
collect_cb(const char *name, size_t nlen, const char *val, size_t vlen,
    void *arg)
{
	struct resp_hdrs *h = arg;
	char **slot = NULL;

	if (!value_clean(val, vlen) || vlen > SIP_MAX_LINE)
		return 0;
	if (hname_is(name, nlen, "Via", "v")) {
		if (vlen == 0)
			return 0;
		h->vias = realloc(h->vias, h->vlen + vlen + 8);
		if (h->vias == NULL)
			fatal("realloc");
		memcpy(h->vias + h->vlen, "Via: ", 5);
		memcpy(h->vias + h->vlen + 5, val, vlen);
		memcpy(h->vias + h->vlen + 5 + vlen, "\r\n", 3);
		h->vlen += vlen + 7;
		h->nvia++;
		return 0;
	}
	if (hname_is(name, nlen, "From", "f"))
		slot = &h->from;
	else if (hname_is(name, nlen, "To", "t"))
		slot = &h->to;
	else if (hname_is(name, nlen, "Call-ID", "i"))
		slot = &h->callid;
	else if (hname_is(name, nlen, "CSeq", NULL))
		slot = &h->cseq;
	if (slot != NULL && *slot == NULL)
		*slot = dupn(val, vlen);
	return 0;
}

static void
resp_hdrs_free(struct resp_hdrs *h)
{
	free(h->vias);
	free(h->from);
	free(h->to);
	free(h->callid);
	free(h->cseq);
}

static char	*build_response(const char *, size_t, int, const char *,
		    const char *, size_t *, int);

char *
sip_build_response(const char *raw, size_t len, int code, const char *reason,
    const char *extra, size_t *outlen)
{
	return build_response(raw, len, code, reason, extra, outlen, 1);
}

/* For the gateway's own requests, which may carry no Via at all. */
char *
sip_build_response_any(const char *raw, size_t len, int code,
    const char *reason, const char *extra, size_t *outlen)
{
	return build_response(raw, len, code, reason, extra, outlen, 0);
}

static char *
build_response(const char *raw, size_t len, int code, const char *reason,
    const char *extra, size_t *outlen, int need_via)
{
	struct resp_hdrs h;
	struct scan sc;
	char tag[17], *out = NULL;
	int n, addtag;
	size_t cap;

	memset(&h, 0, sizeof(h));
	raw_scan(raw, len, &sc, collect_cb, &h);
	if (h.nvia == 0 && need_via)
		goto done;
	addtag = code > 100 && h.to != NULL && strstr(h.to, "tag=") == NULL;
	random_token(tag, sizeof(tag));
	cap = h.vlen + 512 + (h.from ? strlen(h.from) : 0) +
	    (h.to ? strlen(h.to) : 0) + (h.callid ? strlen(h.callid) : 0) +
	    (h.cseq ? strlen(h.cseq) : 0) + (extra ? strlen(extra) : 0) +
	    strlen(reason);
	if ((out = malloc(cap)) == NULL)
		fatal("malloc");
	n = snprintf(out, cap, "SIP/2.0 %d %s\r\n%.*s%s%s%s%s%s%s%s%s%s%s"
	    "%s%s%s%s%sServer: stsipconnector\r\nContent-Length: 0\r\n\r\n",
	    code, reason, (int)h.vlen, h.vias ? h.vias : "",
	    h.from ? "From: " : "", h.from ? h.from : "", h.from ? "\r\n" : "",
	    h.to ? "To: " : "", h.to ? h.to : "", addtag ? ";tag=" : "",
	    addtag ? tag : "", h.to ? "\r\n" : "",
	    h.callid ? "Call-ID: " : "", h.callid ? h.callid : "",
	    h.callid ? "\r\n" : "",
	    h.cseq ? "CSeq: " : "", h.cseq ? h.cseq : "",
	    h.cseq ? "\r\n" : "", extra ? extra : "");
	if (n < 0 || (size_t)n >= cap) {
		free(out);
		out = NULL;
		goto done;
	}
	*outlen = (size_t)n;
done:
	resp_hdrs_free(&h);
	return out;
}

struct peek {
	char	*via;		/* the first Via header's value */
	char	*cseq;
};

static int
peek_cb(const char *name, size_t nlen, const char *val, size_t vlen,
    void *arg)
{
	struct peek *pk = arg;

	if (pk->via == NULL && hname_is(name, nlen, "Via", "v"))
		pk->via = dupn(val, vlen);
	else if (pk->cseq == NULL && hname_is(name, nlen, "CSeq", NULL))
		pk->cseq = dupn(val, vlen);
	return pk->via != NULL && pk->cseq != NULL;
}

/* The branch parameter of the first via-parm of a Via value. */
static int
via_branch(const char *v, char *out, size_t outlen)
{
	const char *p = v, *end = v + strcspn(v, ","), *b, *e;

	while ((p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) < 7 || strncasecmp(p, "branch", 6) != 0)
			continue;
		b = p + 6;
		while (b < end && (*b == ' ' || *b == '\t'))
			b++;
		if (b >= end || *b != '=')
			continue;
		b++;
		while (b < end && (*b == ' ' || *b == '\t'))
			b++;
		for (e = b; e < end && *e != ';' && *e != ' ' && *e != '\t';
		    e++)
			;
		if (e == b || (size_t)(e - b) >= outlen)
			return -1;
		memcpy(out, b, (size_t)(e - b));
		out[e - b] = '\0';
		return 0;
	}
	return -1;
}

int
sip_response_peek(const char *raw, size_t len, int *code, char *branch,
    size_t blen, char *method, size_t mlen)
{
	struct peek pk = { NULL, NULL };
	struct scan sc;
	const char *p;
	size_t i;
	int rc = -1;

	if (len < 12 || strncmp(raw, "SIP/2.0 ", 8) != 0 ||
	    !isdigit((unsigned char)raw[8]) || !isdigit((unsigned char)raw[9]) ||
	    !isdigit((unsigned char)raw[10]) || raw[11] != ' ')
		return -1;
	*code = (raw[8] - '0') * 100 + (raw[9] - '0') * 10 + (raw[10] - '0');
	if (*code < 100 || *code > 699)
		return -1;
	raw_scan(raw, len, &sc, peek_cb, &pk);
	if (pk.via == NULL || pk.cseq == NULL ||
	    via_branch(pk.via, branch, blen) != 0)
		goto out;
	for (p = pk.cseq; isdigit((unsigned char)*p); p++)
		;
	if (p == pk.cseq)
		goto out;
	while (*p == ' ' || *p == '\t')
		p++;
	for (i = 0; p[i] != '\0' && p[i] != ' ' && p[i] != '\t'; i++)
		if (i + 1 >= mlen)
			goto out;
	if (i == 0)
		goto out;
	memcpy(method, p, i);
	method[i] = '\0';
	rc = 0;
out:
	free(pk.via);
	free(pk.cseq);
	return rc;
}

static void
verdict(struct sip_verdict *v, int code, const char *reason)
{
	v->code = code;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

static void
drop(struct sip_verdict *v, const char *why)
{
	v->drop = 1;
	snprintf(v->why, sizeof(v->why), "%s", why);
}

static int
all_digits(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) || i >= max)
			return 0;
	return 1;
}

const char *
sip_method(const struct sipmsg *m)
{
	if (m->msg == NULL || !MSG_IS_REQUEST(m->msg) ||
	    m->msg->sip_method == NULL)
		return "";
	return m->msg->sip_method;
}

int
sip_status(const struct sipmsg *m)
{
	return m->msg != NULL && MSG_IS_RESPONSE(m->msg) ?
	    m->msg->status_code : 0;
}

static const char *
uri_domain(osip_uri_t *u, char *buf, size_t len)
{
	size_t i;

	if (u == NULL || u->host == NULL || *u->host == '\0')
		return NULL;
	snprintf(buf, len, "%s", u->host);
	for (i = 0; buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	/* IPv6 references come bracketed from osip */
	return buf;
}

const char *
sip_from_domain(const struct sipmsg *m, char *buf, size_t len)
{
	if (m->msg == NULL || m->msg->from == NULL)
		return NULL;
	return uri_domain(m->msg->from->url, buf, len);
}

const char *
sip_to_domain(const struct sipmsg *m, char *buf, size_t len)
{
	if (m->msg == NULL || m->msg->to == NULL)
		return NULL;
	return uri_domain(m->msg->to->url, buf, len);
}

const char *
sip_top_branch(const struct sipmsg *m)
{
	osip_via_t *via;
	osip_generic_param_t *br = NULL;

	if (m->msg == NULL || (via = osip_list_get(&m->msg->vias, 0)) == NULL)
		return "";
	if (osip_via_param_get_byname(via, "branch", &br) != 0 || br == NULL ||
	    br->gvalue == NULL)
		return "";
	return br->gvalue;
}

int
sip_raw_mark_via(struct sipmsg *m)
{
	char *raw = m->raw, *out, ins1[80] = "", ins2[16] = "";
	size_t len = m->len, pos, n, next, vs, ve, rp = 0, i, o;
	int found = 0;

	/* the first Via header line, outside the start line */
	n = line_end(raw, len, &next);
	for (pos = next; pos < len; pos += next) {
		n = line_end(raw + pos, len - pos, &next);
		if (n == 0)
			return -1;		/* no Via before the body */
		if ((n > 4 && strncasecmp(raw + pos, "Via", 3) == 0 &&
		    (raw[pos + 3] == ':' || raw[pos + 3] == ' ')) ||
		    (n > 2 && (raw[pos] == 'v' || raw[pos] == 'V') &&
		    (raw[pos + 1] == ':' || raw[pos + 1] == ' '))) {
			found = 1;
			break;
		}
	}
	if (!found || pos + next >= len || raw[pos + next] == ' ' ||
	    raw[pos + next] == '\t')
		return -1;			/* missing, or folded */
	vs = pos + (size_t)((char *)memchr(raw + pos, ':', n) - (raw + pos)) + 1;
	for (ve = vs; ve < pos + n && raw[ve] != ','; ve++)
		if (raw[ve] == '"')
			return -1;		/* quoted text: leave it to osip */
	if (memmem(raw + vs, ve - vs, "received", 8) != NULL)
		return -1;
	while (ve > vs && (raw[ve - 1] == ' ' || raw[ve - 1] == '\t'))
		ve--;
	if (m->via_edit & 2) {
		/* ";rport" with no value, followed by ";", "," or the end */
		for (i = vs; i + 6 <= ve; i++)
			if (raw[i] == ';' && strncasecmp(raw + i + 1, "rport",
			    5) == 0 && (i + 6 == ve || raw[i + 6] == ';')) {
				rp = i + 6;
				break;
			}
		if (rp == 0)
			return -1;
		snprintf(ins2, sizeof(ins2), "=%d",
		    addr_port((struct sockaddr *)&m->src));
	}
	if (m->via_edit & 1) {
		char a[64];

		addr_str((struct sockaddr *)&m->src, a, sizeof(a));
		snprintf(ins1, sizeof(ins1), ";received=%s", a);
	}
	if ((out = malloc(len + strlen(ins1) + strlen(ins2) + 1)) == NULL)
		return -1;
	o = 0;
	if (rp != 0) {
		memcpy(out, raw, rp);
		o = rp;
		memcpy(out + o, ins2, strlen(ins2));
		o += strlen(ins2);
		memcpy(out + o, raw + rp, ve - rp);
		o += ve - rp;
	} else {
		memcpy(out, raw, ve);
		o = ve;
	}
	memcpy(out + o, ins1, strlen(ins1));
	o += strlen(ins1);
	memcpy(out + o, raw + ve, len - ve);
	o += len - ve;
	out[o] = '\0';
	free(m->raw);
	m->raw = out;
	m->len = o;
	return 0;
}

int
sipmsg_rebuild(struct sipmsg *m)
{
	struct sipmsg check;
	char *s = NULL;
	size_t n = 0;
	int bad;

	osip_message_force_update(m->msg);
	if (osip_message_to_str(m->msg, &s, &n) != 0 || s == NULL)
		return -1;
	/*
	 * libosip2 accepts more than it prints back in a form it parses
	 * again (the fuzzer keeps finding hosts, tags and Via fields that
	 * do not survive): what the gateway or a partner gets must parse,
	 * so a message whose printed form does not is refused here.
	 */
	memset(&check, 0, sizeof(check));
	check.raw = s;
	check.len = n;
	bad = sip_parse_internal(&check) != 0;
	if (check.msg != NULL)
		osip_message_free(check.msg);
	if (bad) {
		free(s);
		return -1;
	}
	free(m->raw);
	m->raw = s;
	m->len = n;
	return 0;
}

/* Extensions named in Require / Proxy-Require: we support none. */
static int
check_require(osip_message_t *msg, struct sip_verdict *v)
{
	static const char *names[] = { "Proxy-Require", "Require" };
	osip_header_t *h;
	size_t i;
	int pos;

	for (i = 0; i < 2; i++) {
		pos = osip_message_header_get_byname(msg, names[i], 0, &h);
		if (pos < 0 || h == NULL || h->hvalue == NULL)
			continue;
		if (!value_clean(h->hvalue, strlen(h->hvalue)) ||
		    strlen(h->hvalue) > 200)
			verdict(v, 420, "Bad Extension");
		else {
			verdict(v, 420, "Bad Extension");
			snprintf(v->extra, sizeof(v->extra),
			    "Unsupported: %s\r\n", h->hvalue);
		}
		return -1;
	}
	return 0;
}

/* Is the top-most Via ours (a request that already went through us)? */
static int
check_loop(struct connector *c, osip_message_t *msg)
{
	osip_via_t *via;
	osip_generic_param_t *br;
	int pos = 0, port;

	if (c == NULL)
		return 0;
	while ((via = osip_list_get(&msg->vias, pos++)) != NULL) {
		br = NULL;
		if (osip_via_param_get_byname(via, "branch", &br) != 0 ||
		    br == NULL || br->gvalue == NULL ||
		    strncmp(br->gvalue, "z9hG4bKstc", 10) != 0)
			continue;
		port = via->port ? atoi(via->port) : 5060;
		if (via->host != NULL && transport_is_local(c, via->host, port))
			return 1;
	}
	return 0;
}

static int
method_relayed(const char *m)
{
	return strcmp(m, "MESSAGE") == 0 || strcmp(m, "SUBSCRIBE") == 0 ||
	    strcmp(m, "NOTIFY") == 0 || strcmp(m, "PUBLISH") == 0 ||
	    strcmp(m, "OPTIONS") == 0;
}

/* Limits and the start line, on raw bytes, before libosip2 sees them. */
static int
check_raw(struct sipmsg *m, struct sip_verdict *v, struct scan *sc,
    struct resp_hdrs *h)
{
	const char *sp, *eol;
	size_t next, n;

	raw_scan(m->raw, m->len, sc, collect_cb, h);
	n = line_end(m->raw, m->len, &next);
	m->is_request = !(n >= 4 && strncmp(m->raw, "SIP/", 4) == 0);
	if (h->nvia == 0) {
		drop(v, "no Via header");
		return -1;
	}
	if (m->len > SIP_MAX_MESSAGE) {
		verdict(v, 513, "Message Too Large");
		return -1;
	}
	if (sc->nheaders > SIP_MAX_HEADERS) {
		verdict(v, 513, "Message Too Large: too many header fields");
		return -1;
	}
	if (sc->maxline > SIP_MAX_LINE) {
		verdict(v, 513, "Message Too Large: header line too long");
		return -1;
	}
	if (sc->hdrbytes > SIP_MAX_HEADER_BYTES) {
		verdict(v, 513, "Message Too Large: header section too large");
		return -1;
	}
	if (m->len - sc->bodyoff > SIP_MAX_BODY && sc->have_end) {
		verdict(v, 413, "Request Entity Too Large");
		return -1;
	}
	eol = m->raw + n;
	if (!m->is_request)
		return 0;
	sp = memchr(m->raw, ' ', n);
	if (sp == NULL || sp == m->raw) {
		verdict(v, 400, "Bad Request: malformed Request-Line");
		return -1;
	}
	/* the SIP-Version is the last token of the line */
	{
		const char *ver = eol;

		while (ver > sp && ver[-1] != ' ')
			ver--;
		if (ver == sp + 1 || ver <= sp) {
			verdict(v, 400, "Bad Request: malformed Request-Line");
			return -1;
		}
		if ((size_t)(eol - ver) != 7 ||
		    strncasecmp(ver, "SIP/2.0", 7) != 0) {
			if (strncasecmp(ver, "SIP/", 4) == 0)
				verdict(v, 505, "Version Not Supported");
			else
				verdict(v, 400, "Bad Request: malformed "
				    "Request-Line");
			return -1;
		}
	}
	if (!sc->have_end) {
		verdict(v, 400, "Bad Request: no empty line after headers");
		return -1;
	}
	if (h->from == NULL) {
		verdict(v, 400, "Bad Request: missing From header");
		return -1;
	}
	if (h->to == NULL) {
		verdict(v, 400, "Bad Request: missing To header");
		return -1;
	}
	if (h->callid == NULL) {
		verdict(v, 400, "Bad Request: missing Call-ID header");
		return -1;
	}
	if (h->cseq == NULL) {
		verdict(v, 400, "Bad Request: missing CSeq header");
		return -1;
	}
	return 0;
}

/*
 * A host we can relay and route: a name of letters, digits, "-", "." and
 * "_", an IPv4 address, or a bracketed IPv6 reference; a numeric port.
 * libosip2 accepts more, and what it accepts it does not always print
 * back in a form it parses again.
 */
static int
uri_ok(const osip_uri_t *u)
{
	const char *h;
	size_t i, n;

	if (u == NULL || u->host == NULL || (n = strlen(u->host)) == 0 ||
	    n > 255)
		return 0;
	h = u->host;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return 0;
		for (i = 1; i + 1 < n; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.')
				return 0;
	} else if (strchr(h, ':') != NULL) {
		for (i = 0; i < n; i++)	/* osip strips the brackets */
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.')
				return 0;
	} else
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '-' &&
			    h[i] != '.' && h[i] != '_')
				return 0;
	if (u->port != NULL && (!all_digits(u->port, 5) ||
	    atol(u->port) > 65535))
		return 0;
	return 1;
}

/* Every URI of a list of name-addr headers (Contact, Route,
 * Record-Route): sip/sips ones must pass uri_ok(). */
static int
uri_list_ok(const osip_list_t *l, size_t off)
{
	osip_list_iterator_t it;
	void *h;
	osip_uri_t *u;

	for (h = osip_list_get_first((osip_list_t *)l, &it); h != NULL;
	    h = osip_list_get_next(&it)) {
		u = *(osip_uri_t **)((char *)h + off);
		if (u == NULL)
			return 0;
		if (u->scheme != NULL && (osip_strcasecmp(u->scheme, "sip") ==
		    0 || osip_strcasecmp(u->scheme, "sips") == 0) &&
		    !uri_ok(u))
			return 0;
	}
	return 1;
}

/* RFC 3261 16.3 and 8.2 checks on the parsed request. */
static int
check_request(struct connector *c, struct sipmsg *m, struct sip_verdict *v,
    size_t bodylen)
{
	osip_message_t *msg = m->msg;
	osip_header_t *mf = NULL;
	const char *method = msg->sip_method;
	unsigned long cl;

	if (msg->req_uri == NULL || msg->req_uri->scheme == NULL) {
		verdict(v, 400, "Bad Request: malformed Request-URI");
		return -1;
	}
	if (osip_list_get(&msg->vias, 0) == NULL) {
		verdict(v, 400, "Bad Request: malformed Via header");
		return -1;
	}
	if (msg->from == NULL || !uri_ok(msg->from->url)) {
		verdict(v, 400, "Bad Request: malformed From header");
		return -1;
	}
	if (msg->to == NULL || !uri_ok(msg->to->url)) {
		verdict(v, 400, "Bad Request: malformed To header");
		return -1;
	}
	/* the URIs the gateway will use again must print back parsable */
	if (!uri_list_ok(&msg->contacts, offsetof(osip_contact_t, url))) {
		verdict(v, 400, "Bad Request: malformed Contact header");
		return -1;
	}
	if (!uri_list_ok(&msg->routes, offsetof(osip_route_t, url)) ||
	    !uri_list_ok(&msg->record_routes,
	    offsetof(osip_record_route_t, url))) {
		verdict(v, 400, "Bad Request: malformed Route or "
		    "Record-Route header");
		return -1;
	}
	if (msg->call_id == NULL || msg->call_id->number == NULL) {
		verdict(v, 400, "Bad Request: malformed Call-ID header");
		return -1;
	}
	if (msg->cseq == NULL || !all_digits(msg->cseq->number, 10) ||
	    strtoul(msg->cseq->number, NULL, 10) > 2147483647UL ||
	    msg->cseq->method == NULL) {
		verdict(v, 400, "Bad Request: malformed CSeq header");
		return -1;
	}
	if (strcmp(msg->cseq->method, method) != 0) {
		verdict(v, 400, "Bad Request: CSeq method does not match "
		    "the request method");
		return -1;
	}
	if (msg->content_length != NULL && msg->content_length->value !=
	    NULL) {
		if (!all_digits(msg->content_length->value, 9)) {
			verdict(v, 400, "Bad Request: malformed "
			    "Content-Length");
			return -1;
		}
		cl = strtoul(msg->content_length->value, NULL, 10);
		if (cl > SIP_MAX_BODY) {
			verdict(v, 413, "Request Entity Too Large");
			return -1;
		}
		if (cl > bodylen) {
			verdict(v, 400, "Bad Request: Content-Length larger "
			    "than the body");
			return -1;
		}
	}
	if (strcmp(method, "ACK") == 0) {
		v->drop = 1;		/* ACK to our non-2xx: absorbed */
		return -1;
	}
	if (osip_strcasecmp(msg->req_uri->scheme, "sip") != 0 &&
	    osip_strcasecmp(msg->req_uri->scheme, "sips") != 0) {
		verdict(v, 416, "Unsupported URI Scheme");
		return -1;
	}
	if (!uri_ok(msg->req_uri)) {
		verdict(v, 400, "Bad Request: malformed Request-URI");
		return -1;
	}
	if (osip_message_get_max_forwards(msg, 0, &mf) >= 0 && mf != NULL) {
		/* leading zeros are legal (RFC 4475 3.1.1.1) */
		if (!all_digits(mf->hvalue, 10) || atol(mf->hvalue) > 255) {
			verdict(v, 400, "Bad Request: malformed "
			    "Max-Forwards");
			return -1;
		}
		if (atoi(mf->hvalue) == 0 && strcmp(method, "OPTIONS") != 0) {
			verdict(v, 483, "Too Many Hops");
			return -1;
		}
	}
	if (check_loop(c, msg)) {
		verdict(v, 482, "Loop Detected");
		return -1;
	}
	if (!method_relayed(method)) {
		if (strcmp(method, "CANCEL") == 0)
			verdict(v, 481, "Call/Transaction Does Not Exist");
		else {
			verdict(v, 501, "Not Implemented: this server "
			    "relays presence and IM only");
			snprintf(v->extra, sizeof(v->extra), ALLOW_HDR);
		}
		return -1;
	}
	if (check_require(msg, v) != 0)
		return -1;
	return 0;
}

static int
check_response(struct sipmsg *m, struct sip_verdict *v)
{
	osip_message_t *msg = m->msg;

	if (msg->status_code < 100 || msg->status_code > 699 ||
	    osip_list_get(&msg->vias, 0) == NULL || msg->cseq == NULL ||
	    msg->cseq->method == NULL || msg->call_id == NULL ||
	    msg->from == NULL || msg->to == NULL) {
		drop(v, "malformed response");
		return -1;
	}
	/* what reaches the gateway is printed again by libosip2: the same
	 * URI rules as for requests, or it would not parse there */
	if (!uri_ok(msg->from->url) || !uri_ok(msg->to->url) ||
	    !uri_list_ok(&msg->contacts, offsetof(osip_contact_t, url)) ||
	    !uri_list_ok(&msg->routes, offsetof(osip_route_t, url)) ||
	    !uri_list_ok(&msg->record_routes,
	    offsetof(osip_record_route_t, url))) {
		drop(v, "malformed response: From, To, Contact or "
		    "Record-Route URI");
		return -1;
	}
	return 0;
}

void
sip_parse_inbound(struct connector *c, struct sipmsg *m, struct sip_verdict *v)
{
	struct resp_hdrs h;
	struct scan sc;
	size_t bodylen;

	memset(v, 0, sizeof(*v));
	memset(&h, 0, sizeof(h));
	if (check_raw(m, v, &sc, &h) != 0) {
		if (!m->is_request && !v->drop) {
			v->code = 0;
			drop(v, "malformed response");
		}
		goto out;
	}
	bodylen = sc.have_end ? m->len - sc.bodyoff : 0;
	if (osip_message_init(&m->msg) != 0)
		fatalx("osip_message_init");
	if (osip_message_parse(m->msg, m->raw, m->len) != 0) {
		osip_message_free(m->msg);
		m->msg = NULL;
		if (m->is_request)
			verdict(v, 400, "Bad Request: malformed header");
		else
			drop(v, "malformed response");
		goto out;
	}
	if (MSG_IS_REQUEST(m->msg) != m->is_request) {
		verdict(v, 400, "Bad Request: malformed start line");
		goto out;
	}
	if (m->is_request)
		(void)check_request(c, m, v, bodylen);
	else
		(void)check_response(m, v);
out:
	resp_hdrs_free(&h);
}

int
sip_parse_internal(struct sipmsg *m)
{
	if (osip_message_init(&m->msg) != 0)
		return -1;
	if (osip_message_parse(m->msg, m->raw, m->len) != 0) {
		osip_message_free(m->msg);
		m->msg = NULL;
		return -1;
	}
	m->is_request = MSG_IS_REQUEST(m->msg);
	if (m->is_request && (m->msg->req_uri == NULL ||
	    m->msg->sip_method == NULL))
		return -1;
	if (osip_list_get(&m->msg->vias, 0) == NULL && !m->is_request)
		return -1;
	if (m->msg->cseq == NULL || m->msg->cseq->method == NULL ||
	    m->msg->cseq->number == NULL || m->msg->call_id == NULL ||
	    m->msg->call_id->number == NULL || m->msg->from == NULL ||
	    m->msg->to == NULL)
		return -1;
	if (!m->is_request && (m->msg->status_code < 100 ||
	    m->msg->status_code > 699))
		return -1;
	return 0;
}
