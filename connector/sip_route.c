/* Outbound routing: where a request from the gateway goes (the owning community's DNS:Port, its SRV targets, or its A/AAAA). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_message.h>

#include "connector.h"
#include "log.h"

struct route_wait {
	struct connector *c;
	route_cb	 cb;
	void		*arg;
	struct route_info ri;
};

static int
nsf_to_link_tp(enum nsf_transport t)
{
	return t == NSF_TP_UDP ? LINK_TP_UDP : t == NSF_TP_TCP ?
	    LINK_TP_TCP : LINK_TP_TLS;
}

/* transport= parameter of a URI, or def. */
static int
uri_transport(osip_uri_t *u, int def)
{
	osip_uri_param_t *p = NULL;

	if (u->scheme != NULL && strcasecmp(u->scheme, "sips") == 0)
		return LINK_TP_TLS;
	if (osip_uri_uparam_get_byname(u, "transport", &p) != 0 || p == NULL ||
	    p->gvalue == NULL)
		return def;
	if (strcasecmp(p->gvalue, "udp") == 0)
		return LINK_TP_UDP;
	if (strcasecmp(p->gvalue, "tcp") == 0)
		return LINK_TP_TCP;
	if (strcasecmp(p->gvalue, "tls") == 0)
		return LINK_TP_TLS;
	return def;
}

static void
route_dns_cb(struct dns_set *set, void *arg)
{
	struct route_wait *rw = arg;

	if (set->err)
		log_info("route: %s (community %s): %s", rw->ri.domain,
		    rw->ri.community, set->text);
	rw->cb(rw->c, rw->arg, set, &rw->ri, set->err ? 503 : 0);
	free(rw);
}

static void
host_of(osip_uri_t *u, char *buf, size_t len)
{
	const char *h = u->host ? u->host : "";
	size_t n = strlen(h);

	/* osip keeps IPv6 references without brackets; be safe either way */
	if (n > 2 && h[0] == '[' && h[n - 1] == ']')
		snprintf(buf, len, "%.*s", (int)(n - 2), h + 1);
	else
		snprintf(buf, len, "%s", h);
}

void
route_request(struct connector *c, struct sipmsg *m, route_cb cb, void *arg)
{
	const struct nsf_extern *ext = NULL;
	const struct nsf_connector *me = conn_me(c);
	osip_uri_t *ruri = m->msg->req_uri, *target = NULL;
	osip_route_t *rt = NULL;
	struct route_wait *rw;
	char dom[256], host[256];
	int port, tp, use_srv;

	if (sip_to_domain(m, dom, sizeof(dom)) != NULL)
		ext = nsfconf_extern_for_domain(c->conf, dom);
	if (ext == NULL && ruri->host != NULL) {
		host_of(ruri, dom, sizeof(dom));
		ext = nsfconf_extern_for_domain(c->conf, dom);
	}
	if (ext == NULL) {
		log_info("route: 404 for %s: no ExternCommunity owns the "
		    "domain", dom);
		cb(c, arg, NULL, NULL, 404);
		return;
	}
	if (!c->conf->gateway.support_external_communities || me == NULL ||
	    me->disabled || !nsfconf_community_enabled(me,
	    ext->community_name)) {
		log_info("route: 403 for %s: community %s is not enabled",
		    dom, ext->community_name);
		cb(c, arg, NULL, NULL, 403);
		return;
	}
	if ((rw = calloc(1, sizeof(*rw))) == NULL)
		fatal("calloc");
	rw->c = c;
	rw->cb = cb;
	rw->arg = arg;
	snprintf(rw->ri.community, sizeof(rw->ri.community), "%s",
	    ext->community_name);
	snprintf(rw->ri.domain, sizeof(rw->ri.domain), "%s", dom);
	rw->ri.verify_cert = ext->verify_cert;
	tp = nsf_to_link_tp(ext->transport);

	/* A Route set (in-dialog) or a Request-URI naming a host of its
	 * own (a Contact) decides; else the community's proxy. */
	if (osip_message_get_route(m->msg, 0, &rt) >= 0 && rt != NULL &&
	    rt->url != NULL && rt->url->host != NULL)
		target = rt->url;
	else if (ruri->host != NULL) {
		host_of(ruri, host, sizeof(host));
		if (nsfconf_extern_for_domain(c->conf, host) != ext)
			target = ruri;
	}
	if (target != NULL) {
		host_of(target, host, sizeof(host));
		tp = uri_transport(target, tp);
		port = target->port ? atoi(target->port) :
		    tp == LINK_TP_TLS ? 5061 : 5060;
		use_srv = 0;
	} else if (ext->dns != NULL && *ext->dns) {
		snprintf(host, sizeof(host), "%s", ext->dns);
		port = ext->port;
		use_srv = 0;
	} else {
		/* only the document's transport: a community that wants
		 * TLS is never reached in clear text by a fallback */
		snprintf(host, sizeof(host), "%s", dom);
		port = ext->port;
		use_srv = tp == LINK_TP_TLS ? DNS_SRV_SIPS_TCP :
		    tp == LINK_TP_TCP ? DNS_SRV_SIP_TCP : DNS_SRV_SIP_UDP;
	}
	log_debug("route: %s -> %s%s port %d", dom, host,
	    use_srv ? " (SRV first)" : "", port);
	sdns_resolve_server_now(c->dns, host, use_srv, port, tp, route_dns_cb,
	    rw);
}
