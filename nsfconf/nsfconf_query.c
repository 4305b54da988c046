/* The questions the daemons ask: who owns a domain, is a community enabled, is an address trusted. */
#include "config.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "nsfconf_int.h"

/*
 * Exact names beat wildcards; among wildcards the longest suffix wins.
 * "*.acme.com" matches "a.acme.com" and "a.b.acme.com", not "acme.com".
 */
const struct nsf_extern *
nsfconf_extern_for_domain(const struct nsfconf *conf, const char *domain)
{
	const struct nsf_extern	*best = NULL;
	const char		*d;
	char			 buf[256];
	size_t			 len, i, k, slen, score, best_score = 0;

	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (conf == NULL || len == 0 || len >= sizeof(buf))
		return NULL;
	for (i = 0; i < len; i++)
		buf[i] = tolower((unsigned char)domain[i]);
	buf[len] = '\0';
	for (i = 0; i < conf->nexterns; i++) {
		for (k = 0; k < conf->externs[i].ndomains; k++) {
			d = conf->externs[i].domains[k];
			score = 0;
			if (strncmp(d, "*.", 2) != 0) {
				if (strcmp(d, buf) == 0)
					score = SIZE_MAX;
			} else if ((slen = strlen(d + 1)) < len &&
			    strcmp(buf + len - slen, d + 1) == 0)
				score = slen;	/* ".acme.com" incl. its dot */
			if (score > best_score) {
				best_score = score;
				best = &conf->externs[i];
			}
		}
	}
	return best;
}

const struct nsf_extern *
nsfconf_extern_by_name(const struct nsfconf *conf, const char *name)
{
	size_t	i;

	for (i = 0; conf && name && i < conf->nexterns; i++)
		if (conf->externs[i].community_name &&
		    strcasecmp(conf->externs[i].community_name, name) == 0)
			return &conf->externs[i];
	return NULL;
}

const struct nsf_connector *
nsfconf_connector_by_name(const struct nsfconf *conf, const char *name)
{
	size_t	i;

	for (i = 0; conf && name && i < conf->nconnectors; i++)
		if (conf->connectors[i].connector_name &&
		    strcasecmp(conf->connectors[i].connector_name, name) == 0)
			return &conf->connectors[i];
	return NULL;
}

int
nsfconf_community_enabled(const struct nsf_connector *c, const char *name)
{
	size_t	i;

	if (c == NULL || name == NULL || c->disabled)
		return 0;
	for (i = 0; i < c->nsupported; i++)
		if (strcasecmp(c->supported[i], name) == 0)
			return 1;
	return 0;
}

/* A v4-mapped IPv6 peer (::ffff:a.b.c.d on a dual-stack socket) is v4. */
static int
sa_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)sa;
		memcpy(out, &s4->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	s6 = (const struct sockaddr_in6 *)sa;
	if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
		memcpy(out, s6->sin6_addr.s6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(out, s6->sin6_addr.s6_addr, 16);
	return AF_INET6;
}

int
nsfconf_cidr_match(const struct nsf_cidr *c, size_t n,
    const struct sockaddr *sa)
{
	uint8_t		a[16];
	unsigned	full, rest;
	int		family;
	size_t		i;

	if ((family = sa_bytes(sa, a)) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if (c[i].family != family)
			continue;
		full = c[i].prefix / 8;
		rest = c[i].prefix % 8;
		if (memcmp(a, c[i].addr, full) != 0)
			continue;
		if (rest == 0 ||
		    ((a[full] ^ c[i].addr[full]) & (0xff00 >> rest)) == 0)
			return 1;
	}
	return 0;
}

int
nsfconf_ip_trusted(const struct nsfconf *conf, const struct sockaddr *sa)
{
	if (conf == NULL)
		return 0;
	return nsfconf_cidr_match(conf->connectivity.trusted_ips,
	    conf->connectivity.ntrusted_ips, sa);
}
