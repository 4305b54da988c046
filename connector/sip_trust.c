/* Inbound IP trust (the Sametime rule): a request is accepted only from an address DNS gives for the SIP proxy of the community owning its From domain. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"
#include "log.h"

#define TC_BUCKETS	256

/* The address set of each proxy host, kept until its TTL runs out: most
 * requests are then decided without a trip through the resolver. */
struct tc_entry {
	struct tc_entry	*next;
	char		 key[300];	/* host, and "|srv" for SRV sets */
	struct dns_set	 set;
};

struct trust_cache {
	struct tc_entry	*b[TC_BUCKETS];
};

struct trust_wait {
	struct connector *c;
	struct sipmsg	*m;
	trust_cb	 cb;
	char		 community[LINK_MAX_STR + 1];
	char		 domain[256];
	char		 key[300];
};

static unsigned
tc_hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % TC_BUCKETS;
}

static struct tc_entry *
tc_find(struct connector *c, const char *key, int create)
{
	struct tc_entry *e;
	unsigned h = tc_hash(key);

	if (c->trust_cache == NULL) {
		if (!create)
			return NULL;
		if ((c->trust_cache = calloc(1, sizeof(*c->trust_cache))) ==
		    NULL)
			fatal("calloc");
	}
	for (e = c->trust_cache->b[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (!create)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->next = c->trust_cache->b[h];
	c->trust_cache->b[h] = e;
	return e;
}

void
trust_cache_free(struct connector *c)
{
	struct tc_entry *e, *n;
	size_t i;

	if (c->trust_cache == NULL)
		return;
	for (i = 0; i < TC_BUCKETS; i++)
		for (e = c->trust_cache->b[i]; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
	free(c->trust_cache);
	c->trust_cache = NULL;
}

static void
trust_refuse(struct connector *c, struct sipmsg *m, trust_cb cb,
    const char *domain, const char *why, const char *reason)
{
	char src[INET6_ADDRSTRLEN + 8], key[96], more[64] = "";
	unsigned long n;

	/* keyed without the domain: a flooder could vary it at no cost */
	snprintf(key, sizeof(key), "trust: 403: %.83s", why);
	if (flood_log_allow(c->flood, (struct sockaddr *)&m->src, key,
	    time(NULL), &n)) {
		if (n > 0)
			snprintf(more, sizeof(more), " (and %lu more in the "
			    "last minute, not logged)", n);
		log_info("trust: 403 for %s from %s: %s%s", domain ? domain :
		    "(none)", addr_str((struct sockaddr *)&m->src, src,
		    sizeof(src)), why, more);
	}
	cb(c, m, 0, NULL, 403, reason);
}

/* The decision, on an answer set from the cache or the resolver. */
static void
trust_decide(struct trust_wait *tw, const struct dns_set *set)
{
	struct sipmsg *m = tw->m;
	char src[INET6_ADDRSTRLEN + 8], why[LINK_MAX_STR + 512];
	size_t i;

	for (i = 0; !set->err && i < set->n; i++)
		if (addr_equal((struct sockaddr *)&set->t[i].addr,
		    (struct sockaddr *)&m->src)) {
			log_debug("trust: %s from %s is community %s",
			    tw->domain, addr_str((struct sockaddr *)&m->src,
			    src, sizeof(src)), tw->community);
			tw->cb(tw->c, m, 1, tw->community, 0, NULL);
			free(tw);
			return;
		}
	if (set->err == DNS_ERR_TEMP) {
		/*
		 * The resolver had no answer (SERVFAIL, a timeout, or no
		 * descriptor left here): a passing local fault, so the peer
		 * is asked to try again, not told it is not trusted.
		 */
		unsigned long n;

		if (flood_log_allow(tw->c->flood, (struct sockaddr *)&m->src,
		    "trust: 503: DNS lookup failed", time(NULL), &n))
			log_info("trust: 503 for %s from %s: DNS lookup of the "
			    "SIP proxy of community %s failed (%s)%s",
			    tw->domain, addr_str((struct sockaddr *)&m->src,
			    src, sizeof(src)), tw->community, set->text,
			    n > 0 ? " (and more in the last minute, not "
			    "logged)" : "");
		tw->cb(tw->c, m, 0, NULL, 503, NULL);
		free(tw);
		return;
	}
	snprintf(why, sizeof(why), "source address is not the SIP proxy "
	    "of community %s (DNS gave: %s)", tw->community, set->text);
	trust_refuse(tw->c, m, tw->cb, tw->domain, why, NULL);
	free(tw);
}

static void
trust_dns_cb(struct dns_set *set, void *arg)
{
	struct trust_wait *tw = arg;
	struct tc_entry *e;

	if (!set->err && strcmp(set->text, "resolver stopped") != 0 &&
	    (e = tc_find(tw->c, tw->key, 1)) != NULL)
		e->set = *set;
	trust_decide(tw, set);
}

void
trust_check(struct connector *c, struct sipmsg *m, trust_cb cb)
{
	const struct nsf_extern *ext;
	const struct nsf_connector *me = conn_me(c);
	struct trust_wait *tw;
	struct tc_entry *e;
	char domain[256], key[300];
	const char *host;
	int tp;

	if (sip_from_domain(m, domain, sizeof(domain)) == NULL) {
		trust_refuse(c, m, cb, NULL, "no From domain", NULL);
		return;
	}
	if (c->conf == NULL || me == NULL) {
		trust_refuse(c, m, cb, domain, "no configuration yet", NULL);
		return;
	}
	if (!c->conf->gateway.support_external_communities) {
		trust_refuse(c, m, cb, domain,
		    "SupportExternalCommunities is false", NULL);
		return;
	}
	if ((ext = nsfconf_extern_for_domain(c->conf, domain)) == NULL) {
		trust_refuse(c, m, cb, domain, "no ExternCommunity owns "
		    "this domain", NULL);
		return;
	}
	if (me->disabled || !nsfconf_community_enabled(me,
	    ext->community_name)) {
		char why[LINK_MAX_STR + 64];

		snprintf(why, sizeof(why), "community %s is not in "
		    "SupportedCommunities", ext->community_name);
		trust_refuse(c, m, cb, domain, why, NULL);
		return;
	}
	if (m->stream != NULL && tls_stream_is_tls(m->stream))
		m->cert_domain_ok = tls_stream_peer_verified(m->stream) &&
		    tls_stream_peer_matches_domain(m->stream, domain);
	/*
	 * A community whose document asks for certificate checks is believed
	 * only over TLS with its certificate: a UDP datagram's source address
	 * costs nothing to forge, and plain TCP proves no more than the
	 * address, so neither may stand in for the certificate.
	 */
	if (ext->verify_cert && m->transport != LINK_TP_TLS) {
		char why[LINK_MAX_STR + 128];

		snprintf(why, sizeof(why), "community %s requires a verified "
		    "TLS connection (VerifyCertificate), request came over %s",
		    ext->community_name, m->transport == LINK_TP_UDP ? "UDP" :
		    "TCP");
		trust_refuse(c, m, cb, domain, why,
		    "Forbidden (verified TLS connection required)");
		return;
	}
	if (m->transport == LINK_TP_TLS && ext->verify_cert &&
	    !m->cert_domain_ok) {
		trust_refuse(c, m, cb, domain, "TLS certificate does not "
		    "match the domain (RFC 5922)",
		    "Forbidden (verified TLS connection required: the "
		    "certificate does not name the domain)");
		return;
	}
	m->stream = NULL;	/* may close while DNS works; flow id stays */
	host = ext->dns != NULL && *ext->dns ? ext->dns : domain;
	tp = ext->transport == NSF_TP_UDP ? LINK_TP_UDP :
	    ext->transport == NSF_TP_TCP ? LINK_TP_TCP : LINK_TP_TLS;
	snprintf(key, sizeof(key), "%s|%s|%u", host, host == domain ? "srv" :
	    "", ext->port);
	if ((tw = calloc(1, sizeof(*tw))) == NULL)
		fatal("calloc");
	tw->c = c;
	tw->m = m;
	tw->cb = cb;
	snprintf(tw->community, sizeof(tw->community), "%s",
	    ext->community_name);
	snprintf(tw->domain, sizeof(tw->domain), "%s", domain);
	snprintf(tw->key, sizeof(tw->key), "%s", key);
	if ((e = tc_find(c, key, 0)) != NULL && e->set.expires > time(NULL)) {
		trust_decide(tw, &e->set);
		return;
	}
	sdns_resolve_server(c->dns, host, host == domain ? DNS_SRV_ALL : 0,
	    ext->port, tp,
	    trust_dns_cb, tw);
}
