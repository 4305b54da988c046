/* SIP glue: parse with libosip2, dispatch requests, match responses to our requests over the link. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <glib.h>
#include <osipparser2/osip_parser.h>

#include "gateway.h"
#include "link_proto.h"
#include "log.h"
#include "vp_codec.h"

/*
 * The connector owns retransmissions toward the Internet; the link is
 * reliable.  So a client transaction here is just "a request and the
 * callback that wants its final response", matched on our Via branch and
 * the CSeq method, with one timer that gives 408 when nothing comes.
 */
struct sip_pending {
	TAILQ_ENTRY(sip_pending) entry;
	uint64_t	 id;
	char		 branch[48];
	char		 method[16];
	int		 want_msg;	/* cb reads the response itself */
	sip_resp_cb	 cb;
	void		*arg;
	struct event	*timer;
	struct gateway	*gw;
};

struct sip_layer {
	TAILQ_HEAD(, sip_pending) pending;
	GHashTable	*by_branch;		/* branch -> sip_pending */
	GHashTable	*by_id;			/* id -> sip_pending */
	uint64_t	 next_id;
	uint64_t	 requests_in, responses_in, malformed;
};

struct gw_sipreq {
	osip_message_t	*m;
	struct gw_sipmeta meta;
	char		*to_tag;
	int		 answered;
};

/* Random bytes from a pool refilled 512 at a time: three tokens per
 * outgoing MESSAGE made one getrandom() call each. */
static void
rand_bytes(uint8_t *out, size_t n)
{
	static uint8_t pool[512];
	static size_t left;

	if (n > left) {
		if (vp_random(pool, sizeof(pool)) != 0)
			fatalx("no random bytes");
		left = sizeof(pool);
	}
	memcpy(out, pool + sizeof(pool) - left, n);
	explicit_bzero(pool + sizeof(pool) - left, n);
	left -= n;
}

static void
rand_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[32];
	size_t i;

	if (n / 2 > sizeof(b))
		n = sizeof(b) * 2;
	rand_bytes(b, n / 2);
	for (i = 0; i < n / 2; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * (n / 2)] = '\0';
}

char *
sip_new_tag(void)
{
	char t[17];

	rand_hex(t, 16);
	return gw_strdup(t);
}

char *
sip_new_callid(struct gateway *gw)
{
	char t[25], *s;

	rand_hex(t, 24);
	if (asprintf(&s, "%s@%s", t, gw->set.name) == -1)
		fatal("asprintf");
	return s;
}

int
sip_init(struct gateway *gw)
{
	if (parser_init() != 0) {
		log_warnx("sip: libosip2 parser_init failed");
		return -1;
	}
	if ((gw->sip = calloc(1, sizeof(*gw->sip))) == NULL)
		return -1;
	TAILQ_INIT(&gw->sip->pending);
	gw->sip->by_branch = g_hash_table_new(g_str_hash, g_str_equal);
	gw->sip->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal,
	    NULL, NULL);
	gw->sip->next_id = 1;
	return 0;
}

static void
pending_free(struct sip_layer *s, struct sip_pending *p)
{
	TAILQ_REMOVE(&s->pending, p, entry);
	g_hash_table_remove(s->by_branch, p->branch);
	g_hash_table_remove(s->by_id, &p->id);
	event_free(p->timer);
	free(p);
}

void
sip_free(struct gateway *gw)
{
	struct sip_pending *p;

	if (gw->sip == NULL)
		return;
	while ((p = TAILQ_FIRST(&gw->sip->pending)) != NULL)
		pending_free(gw->sip, p);
	g_hash_table_destroy(gw->sip->by_branch);
	g_hash_table_destroy(gw->sip->by_id);
	free(gw->sip);
	gw->sip = NULL;
}

/* ---- small accessors ---- */

const char *
sip_header(osip_message_t *m, const char *name)
{
	osip_header_t *h = NULL;

	if (osip_message_header_get_byname(m, name, 0, &h) < 0 || h == NULL)
		return NULL;
	return h->hvalue;
}

const char *
sip_tag(osip_message_t *m, int to)
{
	osip_generic_param_t *t = NULL;

	if (to) {
		if (m->to == NULL || osip_to_get_tag(m->to, &t) != 0)
			return NULL;
	} else if (m->from == NULL || osip_from_get_tag(m->from, &t) != 0)
		return NULL;
	return t != NULL ? t->gvalue : NULL;
}

int
sip_uri_addr(const char *uri, char *out, size_t outlen)
{
	const char *p = uri, *end;
	size_t l, i, at = 0;

	while (*p == '<' || *p == ' ')
		p++;
	if (strncasecmp(p, "sip:", 4) == 0 || strncasecmp(p, "pres:", 5) == 0)
		p += *p == 'p' || *p == 'P' ? 5 : 4;
	else if (strncasecmp(p, "sips:", 5) == 0 ||
	    strncasecmp(p, "im:", 3) == 0)
		p += *p == 'i' || *p == 'I' ? 3 : 5;
	end = p + strcspn(p, ";>?: \t");
	l = (size_t)(end - p);
	if (l == 0 || l >= outlen || memchr(p, '@', l) == NULL)
		return -1;
	memcpy(out, p, l);
	out[l] = '\0';
	for (i = 0; i < l; i++)
		if (out[i] == '@')
			at = i;
	for (i = at; i < l; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return at > 0 ? 0 : -1;
}

static int
url_addr(osip_uri_t *u, char *out, size_t outlen)
{
	char *s = NULL;
	int rc;

	if (u == NULL || osip_uri_to_str(u, &s) != 0)
		return -1;
	rc = sip_uri_addr(s, out, outlen);
	osip_free(s);
	return rc;
}

/* to: 1 = To header, 0 = From header, 2 = Request-URI. */
int
sip_addr_of(osip_message_t *m, int to, char *out, size_t outlen)
{
	if (to == 2)
		return url_addr(m->req_uri, out, outlen);
	if (to)
		return m->to ? url_addr(m->to->url, out, outlen) : -1;
	return m->from ? url_addr(m->from->url, out, outlen) : -1;
}

int
sip_expires(osip_message_t *m, int dflt)
{
	const char *v = sip_header(m, "expires");
	char *end;
	long l;

	if (v == NULL)
		return dflt;
	l = strtol(v, &end, 10);
	if (end == v || l < 0 || l > 0x7fffffff)
		return dflt;
	return (int)l;
}

struct osip_message *
sip_req_msg(struct gw_sipreq *r)
{
	return r->m;
}

const struct gw_sipmeta *
sip_req_meta(struct gw_sipreq *r)
{
	return &r->meta;
}

void
sip_req_free(struct gw_sipreq *r)
{
	if (r == NULL)
		return;
	osip_message_free(r->m);
	free(r->to_tag);
	free(r);
}

void
sip_dialog_clear(struct sip_dialog *d)
{
	free(d->call_id);
	free(d->local_uri);
	free(d->local_tag);
	free(d->remote_uri);
	free(d->remote_tag);
	free(d->remote_target);
	free(d->route);
	memset(d, 0, sizeof(*d));
}

/* ---- sending ---- */

/* Via sent-by and Contact host: the connector's public side, so that
 * whatever the far end sends back reaches a connector. */
static void
local_hostport(struct gateway *gw, const char *ruri, char *host,
    size_t hostlen, const char **tp)
{
	const struct nsf_connector *c = link_server_any_connector(gw);
	const struct nsf_extern *x;
	char addr[GW_ADDR_MAX];
	const char *h;
	uint16_t port;

	*tp = "TLS";
	x = NULL;
	if (ruri != NULL && sip_uri_addr(ruri, addr, sizeof(addr)) == 0 &&
	    gw->conf != NULL)
		x = nsfconf_extern_for_domain(gw->conf, strchr(addr, '@') + 1);
	if (x != NULL && x->transport == NSF_TP_TCP)
		*tp = "TCP";
	else if (x != NULL && x->transport == NSF_TP_UDP)
		*tp = "UDP";
	if (c == NULL) {
		snprintf(host, hostlen, "%s.invalid", gw->set.name);
		return;
	}
	h = c->advertised_host ? c->advertised_host : c->ip;
	port = strcmp(*tp, "TLS") == 0 ? c->tls_port : c->port;
	if (strchr(h, ':') != NULL)
		snprintf(host, hostlen, "[%s]:%u", h, port);
	else
		snprintf(host, hostlen, "%s:%u", h, port);
}

static void
pending_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sip_pending *p = arg;
	struct gateway *gw = p->gw;
	sip_resp_cb cb = p->cb;
	void *cbarg = p->arg;

	log_debug("sip: %s branch %s timed out", p->method, p->branch);
	pending_free(gw->sip, p);
	cb(gw, 408, NULL, cbarg);
}

/* A callback run from the loop, for failures found while sending (so
 * that callers never see their callback before sip_request returns). */
struct sip_deferred {
	struct gateway	*gw;
	sip_resp_cb	 cb;
	void		*arg;
	int		 status;
};

static void
deferred_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sip_deferred *d = arg;

	d->cb(d->gw, d->status, NULL, d->arg);
	free(d);
}

static void
defer_status(struct gateway *gw, sip_resp_cb cb, void *arg, int status)
{
	struct sip_deferred *d = calloc(1, sizeof(*d));

	if (d == NULL)
		fatal("calloc");
	d->gw = gw;
	d->cb = cb;
	d->arg = arg;
	d->status = status;
	if (event_base_once(gw->base, -1, EV_TIMEOUT, deferred_cb, d,
	    NULL) != 0)
		fatalx("event_base_once");
}

uint64_t
sip_request(struct gateway *gw, const char *method, struct sip_dialog *d,
    const char *extra, const char *ctype, const char *body, sip_resp_cb cb,
    void *arg)
{
	struct sip_layer *s = gw->sip;
	struct sip_pending *p;
	struct gw_sipmeta meta;
	struct evbuffer *b;
	const char *ruri, *tp;
	char host[300], branch[40];
	size_t blen = body ? strlen(body) : 0;
	int rc;

	ruri = d->remote_target ? d->remote_target : d->remote_uri;
	local_hostport(gw, d->remote_uri, host, sizeof(host), &tp);
	memcpy(branch, "z9hG4bK", 7);
	rand_hex(branch + 7, 24);
	d->local_cseq++;

	b = evbuffer_new();
	evbuffer_add_printf(b, "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <%s>;tag=%s\r\n"
	    "To: <%s>%s%s\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %u %s\r\n",
	    method, ruri, tp, host, branch, d->local_uri, d->local_tag,
	    d->remote_uri, d->remote_tag ? ";tag=" : "",
	    d->remote_tag ? d->remote_tag : "", d->call_id, d->local_cseq,
	    method);
	if (d->route != NULL)
		evbuffer_add_printf(b, "Route: %s\r\n", d->route);
	if (strcmp(method, "MESSAGE") != 0) {
		char user[GW_ADDR_MAX], *at;

		if (sip_uri_addr(d->local_uri, user, sizeof(user)) != 0)
			gw_strlcpy(user, "gateway", sizeof(user));
		if ((at = strchr(user, '@')) != NULL)
			*at = '\0';
		evbuffer_add_printf(b, "Contact: <sip:%s@%s;transport=%s>\r\n",
		    user, host, tp);
	}
	evbuffer_add_printf(b, "User-Agent: stsipgateway/" PACKAGE_VERSION
	    "\r\n%s", extra ? extra : "");
	if (ctype != NULL)
		evbuffer_add_printf(b, "Content-Type: %s\r\n", ctype);
	evbuffer_add_printf(b, "Content-Length: %zu\r\n\r\n", blen);
	if (blen)
		evbuffer_add(b, body, blen);

	memset(&meta, 0, sizeof(meta));
	meta.transport = strcmp(tp, "UDP") == 0 ? LINK_TP_UDP :
	    strcmp(tp, "TCP") == 0 ? LINK_TP_TCP : LINK_TP_TLS;
	meta.family = 4;
	rc = link_server_send_sip(gw, &meta,
	    (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
	if (rc != 0) {
		if (cb != NULL)
			defer_status(gw, cb, arg, 503);
		return 0;
	}
	if (cb == NULL)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->id = s->next_id++;
	gw_strlcpy(p->branch, branch, sizeof(p->branch));
	gw_strlcpy(p->method, method, sizeof(p->method));
	/* only a SUBSCRIBE's answer is read (To tag, Expires, route set) */
	p->want_msg = strcmp(method, "SUBSCRIBE") == 0;
	p->cb = cb;
	p->arg = arg;
	p->gw = gw;
	p->timer = evtimer_new(gw->base, pending_timeout_cb, p);
	{
		struct timeval tv = { gw->set.sip_timeout, 0 };
		evtimer_add(p->timer, &tv);
	}
	TAILQ_INSERT_TAIL(&s->pending, p, entry);
	g_hash_table_insert(s->by_branch, p->branch, p);
	g_hash_table_insert(s->by_id, &p->id, p);
	return p->id;
}

void
sip_cancel(struct gateway *gw, uint64_t id)
{
	struct sip_pending *p;

	if (id == 0 || gw->sip == NULL)
		return;
	if ((p = g_hash_table_lookup(gw->sip->by_id, &id)) != NULL)
		pending_free(gw->sip, p);
}

int
sip_respond(struct gateway *gw, struct gw_sipreq *r, int status,
    const char *to_tag, const char *extra, const char *ctype,
    const char *body)
{
	osip_message_t *m = r->m;
	struct evbuffer *b;
	char *s = NULL;
	size_t blen = body ? strlen(body) : 0;
	int i, rc;

	if (r->answered)
		return 0;
	if (status >= 200)
		r->answered = 1;
	b = evbuffer_new();
	evbuffer_add_printf(b, "SIP/2.0 %d %s\r\n", status,
	    osip_message_get_reason(status) ? osip_message_get_reason(status)
	    : "Unknown");
	for (i = 0; !osip_list_eol(&m->vias, i); i++) {
		if (osip_via_to_str(osip_list_get(&m->vias, i), &s) == 0) {
			evbuffer_add_printf(b, "Via: %s\r\n", s);
			osip_free(s);
		}
	}
	if (m->from && osip_from_to_str(m->from, &s) == 0) {
		evbuffer_add_printf(b, "From: %s\r\n", s);
		osip_free(s);
	}
	if (m->to && osip_to_to_str(m->to, &s) == 0) {
		const char *have = sip_tag(m, 1);

		if (have == NULL && status > 100) {
			if (r->to_tag == NULL)
				r->to_tag = to_tag ? gw_strdup(to_tag) :
				    sip_new_tag();
			evbuffer_add_printf(b, "To: %s;tag=%s\r\n", s,
			    r->to_tag);
		} else
			evbuffer_add_printf(b, "To: %s\r\n", s);
		osip_free(s);
	}
	if (m->call_id && osip_call_id_to_str(m->call_id, &s) == 0) {
		evbuffer_add_printf(b, "Call-ID: %s\r\n", s);
		osip_free(s);
	}
	if (m->cseq && osip_cseq_to_str(m->cseq, &s) == 0) {
		evbuffer_add_printf(b, "CSeq: %s\r\n", s);
		osip_free(s);
	}
	if (status >= 200 && status < 300 &&
	    strcmp(m->sip_method, "SUBSCRIBE") == 0) {
		for (i = 0; !osip_list_eol(&m->record_routes, i); i++)
			if (osip_record_route_to_str(
			    osip_list_get(&m->record_routes, i), &s) == 0) {
				evbuffer_add_printf(b, "Record-Route: %s\r\n",
				    s);
				osip_free(s);
			}
	}
	evbuffer_add_printf(b, "Server: stsipgateway/" PACKAGE_VERSION
	    "\r\n%s", extra ? extra : "");
	if (ctype != NULL)
		evbuffer_add_printf(b, "Content-Type: %s\r\n", ctype);
	evbuffer_add_printf(b, "Content-Length: %zu\r\n\r\n", blen);
	if (blen)
		evbuffer_add(b, body, blen);
	rc = link_server_send_sip(gw, &r->meta,
	    (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
	return rc;
}

/* The to-tag our response carries (generated on first use). */
const char *
sip_req_to_tag(struct gw_sipreq *r)
{
	const char *t = sip_tag(r->m, 1);

	if (t != NULL)
		return t;
	if (r->to_tag == NULL)
		r->to_tag = sip_new_tag();
	return r->to_tag;
}

/* ---- receiving ---- */

/* The value of the header line l (n bytes) named name or compact c, or
 * NULL; *vlen its length. */
static const char *
hdr_value(const char *l, size_t n, const char *name, char c, size_t *vlen)
{
	size_t nl = strlen(name), i;

	if (n > nl && strncasecmp(l, name, nl) == 0)
		i = nl;
	else if (n > 1 && tolower((unsigned char)l[0]) == c)
		i = 1;
	else
		return NULL;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i >= n || l[i++] != ':')
		return NULL;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	*vlen = n - i;
	return l + i;
}

/* The branch parameter of the first Via value v (n bytes); 0 / -1. */
static int
via_branch(const char *v, size_t n, char *out, size_t outlen)
{
	const char *end = memchr(v, ',', n), *p, *q;

	if (end != NULL)
		n = (size_t)(end - v);
	if (memchr(v, '"', n) != NULL)
		return -1;
	for (p = memchr(v, ';', n); p != NULL; p = memchr(p, ';',
	    n - (size_t)(p - v))) {
		p++;
		while (p < v + n && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(v + n - p) < 7 || strncasecmp(p, "branch", 6) != 0)
			continue;
		for (q = p + 6; q < v + n && (*q == ' ' || *q == '\t'); q++)
			;
		if (q >= v + n || *q != '=')
			continue;
		for (q++; q < v + n && (*q == ' ' || *q == '\t'); q++)
			;
		for (p = q; q < v + n && *q != ';' && *q != ' ' && *q != '\t';
		    q++)
			;
		if (q == p || (size_t)(q - p) >= outlen)
			return -1;
		memcpy(out, p, (size_t)(q - p));
		out[q - p] = '\0';
		return 0;
	}
	return -1;
}

/*
 * Status, top Via branch and CSeq method of a response, read from its
 * bytes: 0, or -1 when any of it is missing or unusual (a folded line,
 * quotes); then the full parse decides.  The connector has parsed and
 * checked the response already; most answers (to MESSAGE and NOTIFY)
 * need nothing more than these three.
 */
static int
response_peek(const char *buf, size_t len, int *status, char *branch,
    size_t blen, char *method, size_t mlen)
{
	const char *p = buf, *end = buf + len, *nl, *v;
	size_t n, vlen, i;
	int have_via = 0, have_cseq = 0;

	if (len < 13 || memcmp(buf, "SIP/2.0 ", 8) != 0 ||
	    !isdigit((unsigned char)buf[8]) || !isdigit((unsigned char)buf[9]) ||
	    !isdigit((unsigned char)buf[10]) || buf[11] != ' ')
		return -1;
	*status = (buf[8] - '0') * 100 + (buf[9] - '0') * 10 + buf[10] - '0';
	for (;;) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return -1;
		p = nl + 1;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return -1;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break;			/* end of the headers */
		if (*p == ' ' || *p == '\t')
			return -1;		/* folded: leave it to osip */
		if (!have_via && (v = hdr_value(p, n, "via", 'v', &vlen)) !=
		    NULL) {
			if (via_branch(v, vlen, branch, blen) != 0)
				return -1;
			have_via = 1;
		} else if (!have_cseq && (v = hdr_value(p, n, "cseq", 0,
		    &vlen)) != NULL) {
			for (i = 0; i < vlen && isdigit((unsigned char)v[i]); i++)
				;
			if (i == 0 || i >= vlen || (v[i] != ' ' && v[i] != '\t'))
				return -1;
			while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
				i++;
			if (i >= vlen || vlen - i >= mlen)
				return -1;
			memcpy(method, v + i, vlen - i);
			method[vlen - i] = '\0';
			have_cseq = 1;
		}
		p = nl;
	}
	return have_via && have_cseq ? 0 : -1;
}

/* A response the peek could read whose request wants only the status:
 * handled here (1), else 0 and the full parse follows. */
static int
response_fast(struct gateway *gw, const char *buf, size_t len)
{
	struct sip_layer *s = gw->sip;
	struct sip_pending *p;
	char branch[64], method[32];
	sip_resp_cb cb;
	void *arg;
	int status;

	if (response_peek(buf, len, &status, branch, sizeof(branch), method,
	    sizeof(method)) != 0 ||
	    (p = g_hash_table_lookup(s->by_branch, branch)) == NULL ||
	    p->want_msg || strcasecmp(p->method, method) != 0)
		return 0;
	s->responses_in++;
	if (status < 200)
		return 1;		/* provisional: keep waiting */
	cb = p->cb;
	arg = p->arg;
	pending_free(s, p);
	cb(gw, status, NULL, arg);
	return 1;
}

static void
response_in(struct gateway *gw, osip_message_t *m)
{
	struct sip_layer *s = gw->sip;
	struct sip_pending *p;
	osip_via_t *via = NULL;
	osip_generic_param_t *br = NULL;
	sip_resp_cb cb;
	void *arg;

	s->responses_in++;
	if (osip_message_get_via(m, 0, &via) < 0 || via == NULL ||
	    osip_via_param_get_byname(via, "branch", &br) != 0 ||
	    br == NULL || br->gvalue == NULL || m->cseq == NULL) {
		log_debug("sip: response without a branch dropped");
		return;
	}
	p = g_hash_table_lookup(s->by_branch, br->gvalue);
	if (p != NULL && strcasecmp(p->method, m->cseq->method ?
	    m->cseq->method : "") != 0)
		p = NULL;
	if (p == NULL) {
		log_debug("sip: response %d for no pending request dropped",
		    m->status_code);
		return;
	}
	if (m->status_code < 200)
		return;		/* provisional: keep waiting */
	cb = p->cb;
	arg = p->arg;
	pending_free(s, p);
	cb(gw, m->status_code, m, arg);
}

void
sip_input(struct gateway *gw, const struct gw_sipmeta *meta, const char *buf,
    size_t len)
{
	struct gw_sipreq *r;
	osip_message_t *m;

	if (response_fast(gw, buf, len))
		return;
	if (osip_message_init(&m) != 0)
		fatalx("osip_message_init");
	if (osip_message_parse(m, buf, len) != 0 || m->cseq == NULL ||
	    m->call_id == NULL || m->from == NULL || m->to == NULL ||
	    osip_list_size(&m->vias) < 1) {
		/* The connector already checked; this is a broken peer. */
		gw->sip->malformed++;
		gw->errors++;
		log_warnx("sip: malformed message from connector %s dropped",
		    meta->link_name);
		osip_message_free(m);
		return;
	}
	if (MSG_IS_RESPONSE(m)) {
		response_in(gw, m);
		osip_message_free(m);
		return;
	}
	gw->sip->requests_in++;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->m = m;
	r->meta = *meta;
	if (strcmp(m->sip_method, "SUBSCRIBE") == 0)
		presence_subscribe_in(gw, r);
	else if (strcmp(m->sip_method, "NOTIFY") == 0)
		presence_notify_in(gw, r);
	else if (strcmp(m->sip_method, "MESSAGE") == 0)
		message_in(gw, r);
	else if (strcmp(m->sip_method, "ACK") == 0)
		sip_req_free(r);
	else if (strcmp(m->sip_method, "OPTIONS") == 0) {
		sip_respond(gw, r, 200, NULL, "Allow: MESSAGE, SUBSCRIBE, "
		    "NOTIFY, OPTIONS\r\nAccept: text/plain, application/"
		    "pidf+xml\r\n", NULL, NULL);
		sip_req_free(r);
	} else {
		sip_respond(gw, r, 405, NULL, "Allow: MESSAGE, SUBSCRIBE, "
		    "NOTIFY, OPTIONS\r\n", NULL, NULL);
		sip_req_free(r);
	}
}

void
sip_status(struct gateway *gw, struct evbuffer *b)
{
	size_t n = g_hash_table_size(gw->sip->by_id);

	evbuffer_add_printf(b, "sip: requests in %" PRIu64 ", responses in %"
	    PRIu64 ", malformed %" PRIu64 ", pending %zu\n",
	    gw->sip->requests_in, gw->sip->responses_in, gw->sip->malformed, n);
}
