/* The four documents' field tables and the parsers of single field values. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nsfconf_int.h"

#define F(n, t, d, r, s, m)	{ n, t, d, r, offsetof(struct s, m), 0 }
#define L(n, t, d, r, s, m, c)	{ n, t, d, r, offsetof(struct s, m), \
				    offsetof(struct s, c) }

/* Each table sorted by lower-cased name, for bsearch. */
static const struct nsf_fielddef connectivity_fields[] = {
	L("CommunityTrustedIps", NSF_F_CIDRS, NULL, 0, nsf_connectivity, trusted_ips,
	    ntrusted_ips),
	F("VPHMX", NSF_F_BOOL, "true", 0, nsf_connectivity, vphmx),
	F("VPHMX_HOSTNAME", NSF_F_HOST, NULL, 0, nsf_connectivity, vphmx_hostname),
	F("VPHMX_PORT", NSF_F_PORT, "80", 0, nsf_connectivity, vphmx_port),
	F("VPHTTSPMX_HOSTNAME", NSF_F_HOST, NULL, 0, nsf_connectivity, vphttspmx_hostname),
	F("VPHTTSPMX_PORT", NSF_F_PORT, NULL, 0, nsf_connectivity, vphttspmx_port),
	F("VPMX_HOSTNAME", NSF_F_HOST, NULL, 0, nsf_connectivity, vpmx_hostname),
	F("VPMX_PORT", NSF_F_PORT, "1533", 0, nsf_connectivity, vpmx_port),
};

static const struct nsf_fielddef connector_fields[] = {
	F("AdvertisedHost", NSF_F_HOST, NULL, 0, nsf_connector, advertised_host),
	F("ConnectorName", NSF_F_NAME, NULL, 1, nsf_connector, connector_name),
	F("IP", NSF_F_IP, NULL, 1, nsf_connector, ip),
	F("Port", NSF_F_PORT, "5060", 0, nsf_connector, port),
	L("SupportedCommunities", NSF_F_COMMUNITIES, NULL, 0, nsf_connector,
	    supported, nsupported),
	F("TLSPort", NSF_F_PORT, "5061", 0, nsf_connector, tls_port),
};

static const struct nsf_fielddef gateway_fields[] = {
	F("ConvertID", NSF_F_BOOL, "false", 0, nsf_gateway, convert_id),
	F("SupportExternalCommunities", NSF_F_BOOL, "true", 0, nsf_gateway,
	    support_external_communities),
};

static const struct nsf_fielddef extern_fields[] = {
	F("CommunityName", NSF_F_NAME, NULL, 1, nsf_extern, community_name),
	F("DNS", NSF_F_HOST, NULL, 0, nsf_extern, dns),
	L("Domains", NSF_F_DOMAINS, NULL, 1, nsf_extern, domains, ndomains),
	F("Port", NSF_F_PORT, "5060", 0, nsf_extern, port),
	F("Transport", NSF_F_TRANSPORT, "tls", 0, nsf_extern, transport),
	F("VerifyCertificate", NSF_F_BOOL, "true with tls", 0, nsf_extern,
	    verify_cert),
};

#define NF(a)	(sizeof(a) / sizeof((a)[0]))

const struct nsf_docdef nsfconf_docs[4] = {
	{ "CommunityConnectivity", NULL, connectivity_fields, NF(connectivity_fields) },
	{ "CommunityConnector", "ConnectorName", connector_fields, NF(connector_fields) },
	{ "CommunityGateway", NULL, gateway_fields, NF(gateway_fields) },
	{ "ExternCommunity", "CommunityName", extern_fields, NF(extern_fields) },
};

static int
doc_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct nsf_docdef *)elem)->name);
}

static int
field_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct nsf_fielddef *)elem)->name);
}

const struct nsf_docdef *
nsfconf_doc_lookup(const char *type)
{
	return bsearch(type, nsfconf_docs, NF(nsfconf_docs),
	    sizeof(nsfconf_docs[0]), doc_cmp);
}

const struct nsf_fielddef *
nsfconf_field_lookup(const struct nsf_docdef *def, const char *name)
{
	return bsearch(name, def->fields, def->nfields, sizeof(def->fields[0]),
	    field_cmp);
}

const char *
nsfconf_ftype_name(enum nsf_ftype t)
{
	static const char *const names[] = {
		[NSF_F_BOOL] = "boolean", [NSF_F_PORT] = "port",
		[NSF_F_NAME] = "name", [NSF_F_HOST] = "host",
		[NSF_F_IP] = "IP address", [NSF_F_DOMAINS] = "domain list",
		[NSF_F_COMMUNITIES] = "community list",
		[NSF_F_CIDRS] = "address list", [NSF_F_TRANSPORT] = "transport",
	};

	return (unsigned)t < NF(names) ? names[t] : "?";
}

/* Names become file names: no slash, no leading dot, nothing a shell
 * would need quoted. */
int
nsfconf_valid_name(const char *s)
{
	size_t	i;

	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 64)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return 0;
	return 1;
}

char *
nsfconf_doc_path(const struct nsf_docdef *def, const char *name)
{
	char	*p;
	int	 r;

	if (def->namefield == NULL)
		r = asprintf(&p, "%s.ini", def->name);
	else if (!nsfconf_valid_name(name))
		return NULL;
	else
		r = asprintf(&p, "%s/%s.ini", def->name, name);
	return r == -1 ? NULL : p;
}

int
nsf_parse_bool(const char *s, int *v)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };
	size_t	i;

	for (i = 0; i < NF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *v = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *v = 0, 0;
	}
	return -1;
}

int
nsf_parse_port(const char *s, uint16_t *v)
{
	unsigned long	n = 0;
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (i == 0 || n < 1 || n > 65535)
		return -1;
	*v = n;
	return 0;
}

/* RFC 1123 host names: labels of letters, digits and inner hyphens. */
int
nsf_valid_domain(const char *s, int wildcard_ok)
{
	size_t	len, label = 0, i;

	if (wildcard_ok && strncmp(s, "*.", 2) == 0)
		s += 2;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) ||
		    (s[i] == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return s[len - 1] != '-';
}

int
nsf_parse_ip(const char *s, struct nsf_cidr *c)
{
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, s, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
		return 0;
	}
	return -1;
}

int
nsf_valid_host(const char *s)
{
	struct nsf_cidr	c;

	return nsf_parse_ip(s, &c) == 0 || nsf_valid_domain(s, 0);
}

int
nsf_parse_cidr(const char *s, struct nsf_cidr *c, const char **why)
{
	char		 addr[INET6_ADDRSTRLEN + 1];
	const char	*slash = strchr(s, '/');
	uint16_t	 prefix = 0;
	unsigned	 max, i;
	size_t		 alen = slash ? (size_t)(slash - s) : strlen(s);

	*why = "is not an IP address or CIDR block (as 192.0.2.0/24 or 2001:db8::/32)";
	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (nsf_parse_ip(addr, c) == -1)
		return -1;
	if (slash == NULL)
		return 0;
	max = c->family == AF_INET ? 32 : 128;
	if (strcmp(slash + 1, "0") != 0 &&
	    (nsf_parse_port(slash + 1, &prefix) == -1 || prefix > max)) {
		*why = max == 32 ? "has a bad prefix length (0-32)" :
		    "has a bad prefix length (0-128)";
		return -1;
	}
	c->prefix = prefix;
	for (i = prefix; i < max; i++) {
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "has host bits set beyond its prefix length";
			return -1;
		}
	}
	return 0;
}
