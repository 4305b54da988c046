/* First-stage parsing of SIP from the Internet: size limits, libosip2 parse, and the RFC 3261 sanity checks whose verdict names the answer a failure earns. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
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
#include "sip_scan.h"

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

/*
 * One allocation holds the message and its bytes, which is what most
 * messages keep to the end; an edit (sipmsg_set_raw) moves the bytes out.
 */
struct sipmsg *
sipmsg_new(const char *raw, size_t len)
{
	struct sipmsg *m;

	if (len > SIZE_MAX - sizeof(*m) - 1 ||
	    (m = malloc(sizeof(*m) + len + 1)) == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->raw = (char *)(m + 1);
	memcpy(m->raw, raw, len);
	m->raw[len] = '\0';
	m->len = len;
	return m;
}

/* New bytes for m (malloc'ed, NUL-terminated), in place of the old. */
static void
sipmsg_set_raw(struct sipmsg *m, char *raw, size_t len)
{
	if (m->raw != (char *)(m + 1))
		free(m->raw);
	m->raw = raw;
	m->len = len;
}

/* Room for len bytes and a NUL in m->raw, what it holds kept; len is more
 * than it holds.  Bytes inside m's own allocation cannot grow: they move. */
void
sipmsg_grow(struct sipmsg *m, size_t len)
{
	char *p;

	if (m->raw == (char *)(m + 1)) {
		if ((p = malloc(len + 1)) == NULL)
			fatal("malloc");
		memcpy(p, m->raw, m->len + 1);
	} else if ((p = realloc(m->raw, len + 1)) == NULL)
		fatal("realloc");
	m->raw = p;
}

void
sipmsg_free(struct sipmsg *m)
{
	if (m == NULL)
		return;
	if (m->msg != NULL)
		osip_message_free(m->msg);
	if (m->raw != (char *)(m + 1))
		free(m->raw);
	free(m);
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

/* s is 1 to max (<= 19) decimal digits and nothing else; *val gets its
 * value.  Leading zeros are legal (RFC 4475 3.1.1.1). */
static int
digits_value(const char *s, size_t max, unsigned long *val)
{
	unsigned long v = 0;
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= max)
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*val = v;
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
	sipmsg_set_raw(m, out, o);
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
	sipmsg_set_raw(m, s, n);
	return 0;
}

/* A C string equal to a lower-case name, ignoring ASCII case. */
static int
str_is(const char *s, const char *lc)
{
	size_t n = strlen(lc);

	return s != NULL && name_eq(s, lc, n) && s[n] == '\0';
}

/* s starts with p (strncmp(s, p, strlen(p)) == 0, without the call). */
static int
str_prefix(const char *s, const char *p)
{
	while (*p != '\0')
		if (*s++ != *p++)
			return 0;
	return 1;
}

static int
scheme_is_sip(const char *s)
{
	/* "sip" or "sips" in any case; c | 0x20 folds only these letters */
	if (s == NULL || (s[0] | 0x20) != 's' || (s[1] | 0x20) != 'i' ||
	    (s[2] | 0x20) != 'p')
		return 0;
	return s[3] == '\0' || ((s[3] | 0x20) == 's' && s[4] == '\0');
}

/*
 * Walks a libosip2 list in place (its nodes are public) the way
 * osip_list_get_first()/get_next() do, up to nb_elt elements and stopping
 * at a NULL one, without a library call per element.
 */
#define OSIP_EACH(var, nd, i, l)					\
	for ((nd) = (l)->node, (i) = 0; (nd) != NULL &&			\
	    (i) < (l)->nb_elt && ((var) = (nd)->element) != NULL;	\
	    (nd) = (nd)->next, (i)++)

/*
 * The headers check_request() reads that libosip2 leaves unparsed: the
 * first of each name, found in one walk of its list instead of one
 * lookup per name.
 */
struct xhdrs {
	osip_header_t	*max_forwards;
	osip_header_t	*proxy_require;
	osip_header_t	*require;
};

static void
xhdrs_find(osip_message_t *msg, struct xhdrs *x)
{
	const __node_t *nd;
	osip_header_t *h, **slot;
	int i;

	memset(x, 0, sizeof(*x));
	OSIP_EACH(h, nd, i, &msg->headers) {
		if (h->hname == NULL)
			continue;
		switch (h->hname[0]) {	/* one name compared, not three */
		case 'm': case 'M':
			slot = &x->max_forwards;
			if (!str_is(h->hname, "max-forwards"))
				continue;
			break;
		case 'p': case 'P':
			slot = &x->proxy_require;
			if (!str_is(h->hname, "proxy-require"))
				continue;
			break;
		case 'r': case 'R':
			slot = &x->require;
			if (!str_is(h->hname, "require"))
				continue;
			break;
		default:
			continue;
		}
		if (*slot == NULL)
			*slot = h;
	}
}

/* Extensions named in Require / Proxy-Require: we support none. */
static int
check_require(const struct xhdrs *x, struct sip_verdict *v)
{
	osip_header_t *hs[] = { x->proxy_require, x->require }, *h;
	size_t i;

	for (i = 0; i < 2; i++) {
		if ((h = hs[i]) == NULL || h->hvalue == NULL)
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

/* The branch parameter of a parsed Via, or NULL. */
static const char *
via_branch_param(const osip_via_t *via)
{
	const __node_t *nd;
	osip_generic_param_t *p;
	int i;

	OSIP_EACH(p, nd, i, &via->via_params)
		if (str_is(p->gname, "branch"))
			return p->gvalue;
	return NULL;
}

/* Is the top-most Via ours (a request that already went through us)? */
static int
check_loop(struct connector *c, osip_message_t *msg)
{
	const __node_t *nd;
	osip_via_t *via;
	const char *br;
	int i, port;

	if (c == NULL)
		return 0;
	OSIP_EACH(via, nd, i, &msg->vias) {
		if ((br = via_branch_param(via)) == NULL ||
		    !str_prefix(br, "z9hG4bKstc"))
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
	switch (m[0]) {		/* one strcmp, not five */
	case 'M': return strcmp(m, "MESSAGE") == 0;
	case 'N': return strcmp(m, "NOTIFY") == 0;
	case 'O': return strcmp(m, "OPTIONS") == 0;
	case 'P': return strcmp(m, "PUBLISH") == 0;
	case 'S': return strcmp(m, "SUBSCRIBE") == 0;
	}
	return 0;
}

/* Limits and the start line, on raw bytes, before libosip2 sees them. */
static int
check_raw(struct sipmsg *m, struct sip_verdict *v, struct scan *sc)
{
	static const struct {
		int		 kind;
		const char	*why;
	} need[] = {
		{ HK_FROM, "Bad Request: missing From header" },
		{ HK_TO, "Bad Request: missing To header" },
		{ HK_CALLID, "Bad Request: missing Call-ID header" },
		{ HK_CSEQ, "Bad Request: missing CSeq header" },
	};
	const char *sp, *eol, *ver;
	size_t n, i;

	sip_scan_headers(m->raw, m->len, sc, NULL, NULL);
	n = sc->startlen;
	m->is_request = !(n >= 4 && memcmp(m->raw, "SIP/", 4) == 0);
	if (sc->nvia == 0) {
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
	if (!m->is_request)
		return 0;
	eol = m->raw + n;
	sp = memchr(m->raw, ' ', n);
	if (sp == NULL || sp == m->raw) {
		verdict(v, 400, "Bad Request: malformed Request-Line");
		return -1;
	}
	/* the SIP-Version is the last token of the line */
	for (ver = eol; ver > sp && ver[-1] != ' '; ver--)
		;
	if (ver == sp + 1 || ver <= sp) {
		verdict(v, 400, "Bad Request: malformed Request-Line");
		return -1;
	}
	if ((size_t)(eol - ver) != 7 || !name_eq(ver, "sip/2.0", 7)) {
		if (strncasecmp(ver, "SIP/", 4) == 0)
			verdict(v, 505, "Version Not Supported");
		else
			verdict(v, 400, "Bad Request: malformed Request-Line");
		return -1;
	}
	if (!sc->have_end) {
		verdict(v, 400, "Bad Request: no empty line after headers");
		return -1;
	}
	/* the fields an error response must copy (RFC 3261 8.2.6.2) */
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if ((sc->seen & (1u << need[i].kind)) == 0) {
			verdict(v, 400, need[i].why);
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
/* Letters, digits, "-", "." and "_" as a bit set (no branch per byte). */
static const uint64_t host_name_set[4] = {
	0x03ff600000000000ULL,	/* "-", ".", "0"-"9" */
	0x07fffffe87fffffeULL,	/* "A"-"Z", "_", "a"-"z" */
	0, 0
};

static int
host_name_char(unsigned char ch)
{
	return (int)((host_name_set[ch >> 6] >> (ch & 63)) & 1);
}

static int
uri_ok(const osip_uri_t *u)
{
	const char *h;
	unsigned long port;
	size_t i, n;

	if (u == NULL || (h = u->host) == NULL)
		return 0;
	for (n = 0; host_name_char((unsigned char)h[n]); n++)
		;
	if (h[n] != '\0') {
		/* not a name: a bracketed IPv6 reference, or one osip
		 * stripped of its brackets */
		n += strlen(h + n);
		if (h[0] == '[') {
			if (n < 3 || h[n - 1] != ']')
				return 0;
			i = 1;
			n--;
		} else if (strchr(h, ':') != NULL)
			i = 0;
		else
			return 0;
		for (; i < n; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.')
				return 0;
		n = strlen(h);
	}
	if (n == 0 || n > 255)
		return 0;
	if (u->port != NULL && (!digits_value(u->port, 5, &port) ||
	    port > 65535))
		return 0;
	return 1;
}

/* Every URI of a list of name-addr headers (Contact, Route,
 * Record-Route): sip/sips ones must pass uri_ok(). */
static int
uri_list_ok(const osip_list_t *l, size_t off)
{
	const __node_t *nd;
	void *h;
	osip_uri_t *u;
	int i;

	OSIP_EACH(h, nd, i, l) {
		u = *(osip_uri_t **)((char *)h + off);
		if (u == NULL)
			return 0;
		if (scheme_is_sip(u->scheme) && !uri_ok(u))
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
	osip_header_t *mf;
	struct xhdrs x;
	const char *method = msg->sip_method;
	unsigned long cl, num;

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
	if (msg->cseq == NULL || !digits_value(msg->cseq->number, 10, &num) ||
	    num > 2147483647UL ||
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
		if (!digits_value(msg->content_length->value, 9, &cl)) {
			verdict(v, 400, "Bad Request: malformed "
			    "Content-Length");
			return -1;
		}
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
	if (!scheme_is_sip(msg->req_uri->scheme)) {
		verdict(v, 416, "Unsupported URI Scheme");
		return -1;
	}
	if (!uri_ok(msg->req_uri)) {
		verdict(v, 400, "Bad Request: malformed Request-URI");
		return -1;
	}
	xhdrs_find(msg, &x);
	if ((mf = x.max_forwards) != NULL) {
		/* leading zeros are legal (RFC 4475 3.1.1.1) */
		if (!digits_value(mf->hvalue, 10, &num) || num > 255) {
			verdict(v, 400, "Bad Request: malformed "
			    "Max-Forwards");
			return -1;
		}
		if (num == 0 && strcmp(method, "OPTIONS") != 0) {
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
	if (check_require(&x, v) != 0)
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
	struct scan sc;
	size_t bodylen;

	/* the verdict is its strings, not the bytes after them */
	v->code = v->drop = 0;
	v->reason[0] = v->extra[0] = v->why[0] = '\0';
	if (check_raw(m, v, &sc) != 0) {
		if (!m->is_request && !v->drop) {
			v->code = 0;
			drop(v, "malformed response");
		}
		return;
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
		return;
	}
	if (MSG_IS_REQUEST(m->msg) != m->is_request) {
		verdict(v, 400, "Bad Request: malformed start line");
		return;
	}
	if (m->is_request)
		(void)check_request(c, m, v, bodylen);
	else
		(void)check_response(m, v);
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
