/* The two pipelines of the connector: Internet -> checks -> gateway, and gateway -> routing -> Internet. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <osipparser2/osip_message.h>

#include "connector.h"
#include "connector_transport.h"
#include "log.h"

#define LOCAL_OPTIONS_HDRS \
	"Allow: MESSAGE, SUBSCRIBE, NOTIFY, PUBLISH, OPTIONS\r\n" \
	"Accept: application/pidf+xml, text/plain, message/cpim\r\n" \
	"Supported: \r\n"

/* RFC 3261 18.2.1 and RFC 3581: note where the request really came from. */
static void
mark_received(struct sipmsg *m)
{
	osip_via_t *via = osip_list_get(&m->msg->vias, 0);
	osip_generic_param_t *rp = NULL;
	char a[64], port[8];

	addr_str((struct sockaddr *)&m->src, a, sizeof(a));
	m->via_edit = 0;
	if (via->host == NULL || strcmp(via->host, a) != 0) {
		osip_generic_param_t *old = NULL;

		m->via_edit |= 1;

		if (osip_via_param_get_byname(via, "received", &old) == 0 &&
		    old != NULL) {
			osip_free(old->gvalue);
			old->gvalue = osip_strdup(a);
		} else
			osip_via_set_received(via, osip_strdup(a));
	}
	if (osip_via_param_get_byname(via, "rport", &rp) == 0 && rp != NULL &&
	    rp->gvalue == NULL) {
		char *p = port + sizeof(port) - 1;
		int v = addr_port((struct sockaddr *)&m->src);

		/* the port in decimal, without printf (once a message) */
		*p = '\0';
		do {
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0 && p > port);
		rp->gvalue = osip_strdup(p);
		m->via_edit |= 2;
	}
}

/* OPTIONS whose Request-URI names this connector (no user part). */
static int
options_for_us(struct connector *c, struct sipmsg *m)
{
	osip_uri_t *u = m->msg->req_uri;
	int port;

	if (strcmp(sip_method(m), "OPTIONS") != 0 || u->host == NULL)
		return 0;
	if (u->username != NULL && *u->username != '\0')
		return 0;
	port = u->port ? atoi(u->port) : (m->transport == LINK_TP_TLS ?
	    transport_port(c, LINK_TP_TLS) : transport_port(c, LINK_TP_UDP));
	return transport_is_local(c, u->host, port);
}

/* Answer a request we hold a server transaction for. */
static void
reply_txn(struct connector *c, struct sipmsg *m, int code, const char *reason,
    const char *extra)
{
	struct sipmsg *r;
	char *raw;
	size_t n;

	if ((raw = sip_build_response(m->raw, m->len, code, reason, extra,
	    &n)) == NULL)
		return;
	if ((r = sipmsg_new(raw, n)) != NULL) {
		if (sip_parse_internal(r) == 0) {
			r->transport = m->transport;
			r->flow = m->flow;
			memcpy(&r->src, &m->src, sizeof(r->src));
			r->srclen = m->srclen;
			txn_server_respond(c, r);
		}
		sipmsg_free(r);
	}
	free(raw);
}

static void
retry_after(struct connector *c, char *buf, size_t len)
{
	snprintf(buf, len, "Retry-After: %u\r\n", c->local.retry_after);
}

static void
trusted_cb(struct connector *c, struct sipmsg *m, int ok,
    const char *community, int code, const char *reason)
{
	osip_route_t *rt;
	char extra[64];
	int port, edited = 0;

	if (!ok) {
		if (code == 503)
			retry_after(c, extra, sizeof(extra));
		reply_txn(c, m, code, reason != NULL ? reason : code == 403 ?
		    "Forbidden" : sip_reason_phrase(code), code == 503 ?
		    extra : NULL);
		goto out;
	}
	if (!link_up(c)) {
		retry_after(c, extra, sizeof(extra));
		reply_txn(c, m, 503, "Service Unavailable", extra);
		goto out;
	}
	/* loose routing: our own Route entry is consumed here */
	while ((rt = osip_list_get(&m->msg->routes, 0)) != NULL &&
	    rt->url != NULL && rt->url->host != NULL) {
		port = rt->url->port ? atoi(rt->url->port) : 5060;
		if (!transport_is_local(c, rt->url->host, port))
			break;
		osip_list_remove(&m->msg->routes, 0);
		osip_route_free(rt);
		edited = 1;
	}
	/* the common case: only the top Via changes, edited in place
	 * (re-printing the whole message costs more than parsing it) */
	if (!edited && strcmp(sip_method(m), "SUBSCRIBE") != 0 &&
	    (m->via_edit == 0 || sip_raw_mark_via(m) == 0))
		goto send;
	if (strcmp(sip_method(m), "SUBSCRIBE") == 0) {
		osip_record_route_t *rr;
		char uri[300];

		snprintf(uri, sizeof(uri), "<sip:%s:%d;transport=%s;lr>",
		    transport_via_host(c), transport_port(c, m->transport),
		    m->transport == LINK_TP_UDP ? "udp" :
		    m->transport == LINK_TP_TCP ? "tcp" : "tls");
		if (osip_record_route_init(&rr) == 0) {
			if (osip_record_route_parse(rr, uri) == 0)
				osip_list_add(&m->msg->record_routes, rr, 0);
			else
				osip_record_route_free(rr);
		}
	}
	if (sipmsg_rebuild(m) != 0) {
		/* its headers do not print back in a form that parses */
		reply_txn(c, m, 400, "Bad Request: malformed header", NULL);
		goto out;
	}
send:
	if (link_send_sip(c, m, community, m->cert_domain_ok ?
	    LINK_SIP_F_CERT_VERIFIED : 0) != 0) {
		retry_after(c, extra, sizeof(extra));
		reply_txn(c, m, 503, "Service Unavailable", extra);
	}
out:
	sipmsg_free(m);
}

/* The tail of a throttled log line: how many like it were left out. */
static const char *
more_text(unsigned long n, char *buf, size_t len)
{
	if (n == 0)
		return "";
	snprintf(buf, len, " (and %lu more in the last minute, not logged)",
	    n);
	return buf;
}

void
relay_inbound(struct connector *c, struct sipmsg *m)
{
	struct sip_verdict v;
	char a[64], extra[64], key[96], more[64];
	unsigned long n;

	if (flood_request(c->flood, (struct sockaddr *)&m->src, time(NULL),
	    now_f()) != 0) {
		retry_after(c, extra, sizeof(extra));
		if (m->len > 8 && strncmp(m->raw, "SIP/", 4) != 0)
			transport_reply(c, m, 503, "Service Unavailable",
			    extra);
		goto drop;
	}
	sip_parse_inbound(c, m, &v);
	if (v.drop) {
		if (v.why[0] != '\0') {
			snprintf(key, sizeof(key), "sip: dropped: %.80s", v.why);
			if (flood_log_allow(c->flood,
			    (struct sockaddr *)&m->src, key, time(NULL), &n))
				log_info("sip: dropped a message from %s: "
				    "%s%s", addr_port_str((struct sockaddr *)
				    &m->src, a, sizeof(a)), v.why,
				    more_text(n, more, sizeof(more)));
		}
		goto drop;
	}
	if (v.code != 0) {
		snprintf(key, sizeof(key), "sip: %d %.80s", v.code, v.reason);
		if (flood_log_allow(c->flood, (struct sockaddr *)&m->src, key,
		    time(NULL), &n))
			log_info("sip: %d %s to %s%s", v.code, v.reason,
			    addr_port_str((struct sockaddr *)&m->src, a,
			    sizeof(a)), more_text(n, more, sizeof(more)));
		transport_reply(c, m, v.code, v.reason, v.extra[0] ? v.extra :
		    NULL);
		goto drop;
	}
	if (!m->is_request) {
		if (!txn_client_response(c, m))
			log_debug("sip: response %d from %s matches nothing",
			    sip_status(m), addr_port_str(
			    (struct sockaddr *)&m->src, a, sizeof(a)));
		goto drop;
	}
	mark_received(m);
	if (txn_server_begin(c, m))
		goto drop;		/* a retransmission */
	if (options_for_us(c, m)) {
		reply_txn(c, m, 200, "OK", LOCAL_OPTIONS_HDRS);
		goto drop;
	}
	if (!link_up(c)) {
		retry_after(c, extra, sizeof(extra));
		reply_txn(c, m, 503, "Service Unavailable", extra);
		goto drop;
	}
	trust_check(c, m, trusted_cb);
	return;
drop:
	sipmsg_free(m);
}

/* A SIP frame from the gateway: a request to send out, or a response. */
void
relay_from_gateway(struct connector *c, const struct link_sip *ls)
{
	struct sipmsg *m;

	/* the common case, an answer to a pending inbound request, needs
	 * no full parse */
	if (ls->length > 8 && memcmp(ls->message, "SIP/2.0 ", 8) == 0 &&
	    txn_server_respond_raw(c, (const char *)ls->message, ls->length))
		return;
	if ((m = sipmsg_new((const char *)ls->message, ls->length)) == NULL)
		return;
	if (sip_parse_internal(m) != 0) {
		log_warnx("link: the gateway sent an unparsable SIP message "
		    "(%u bytes); dropped", ls->length);
		sipmsg_free(m);
		return;
	}
	m->transport = ls->transport;
	m->flow = ls->flow;
	if (link_sip_get_addr(ls, &m->src, &m->srclen) != 0) {
		sipmsg_free(m);
		return;
	}
	if (!m->is_request) {
		txn_server_respond(c, m);
		sipmsg_free(m);
		return;
	}
	if (c->conf == NULL || c->tp == NULL) {
		sipmsg_free(m);
		return;
	}
	txn_client_start(c, m);		/* takes m */
}
