/*
 * nsfconf: the four Sametime 3.0 documents (the stand-in for stconfig.nsf),
 * loaded from one configuration directory into typed structs, validated
 * completely, and queried by the daemons.
 *
 * Directory layout (each file is an ini file with one section named after
 * its document type; field names are those of Sametime 3.0):
 *
 *	DIR/CommunityGateway.ini		[CommunityGateway]      (one)
 *	DIR/CommunityConnectivity.ini		[CommunityConnectivity] (one)
 *	DIR/ExternCommunity/<NAME>.ini		[ExternCommunity]   (one per partner)
 *	DIR/CommunityConnector/<NAME>.ini	[CommunityConnector] (one per connector)
 *
 * <NAME> is the document's name (CommunityName / ConnectorName); the file
 * name must match the field.  Files not ending in ".ini" are ignored.
 *
 * Ownership: nsfconf_load() returns one struct nsfconf that owns every
 * string and array in it; nsfconf_free() releases all of it.  The struct is
 * immutable once loaded: a reload builds a new one and swaps pointers.
 *
 * Returns: functions returning int give 0 on success or -1 with the errors
 * in the nsfconf_errors list (each "file:line: field: reason").
 */
#ifndef STSIP_NSFCONF_H
#define STSIP_NSFCONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NSF_DEFAULT_SIP_PORT	5060
#define NSF_DEFAULT_TLS_PORT	5061
#define NSF_DEFAULT_VPMX_PORT	1533
#define NSF_DEFAULT_VPHMX_PORT	80

enum nsf_transport {
	NSF_TP_TLS = 0,		/* default for ExternCommunity.Transport */
	NSF_TP_TCP,
	NSF_TP_UDP,
};

struct nsf_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; v4 in the first 4 */
	unsigned	prefix;		/* 0..32 or 0..128 */
};

struct nsf_gateway {			/* CommunityGateway */
	int		 support_external_communities;	/* bool, default true */
	int		 convert_id;			/* bool, default false */
	char		*file;
};

struct nsf_extern {			/* ExternCommunity */
	char		*community_name;	/* CommunityName */
	char	       **domains;		/* Domains, lower-case, NULL-ended */
	size_t		 ndomains;
	char		*dns;			/* DNS; NULL = look up the domains */
	uint16_t	 port;			/* Port, default 5060 */
	enum nsf_transport transport;		/* (+) Transport, default tls */
	int		 verify_cert;		/* (+) VerifyCertificate, bool,
						   default true with tls */
	char		*file;
};

struct nsf_connector {			/* CommunityConnector */
	char		*connector_name;	/* ConnectorName */
	char		*ip;			/* IP (literal address to bind) */
	uint16_t	 port;			/* Port, default 5060 (UDP/TCP) */
	uint16_t	 tls_port;		/* (+) TLSPort, default 5061 */
	char	       **supported;		/* SupportedCommunities, NULL-ended;
						   empty when the value is False */
	size_t		 nsupported;
	int		 disabled;		/* SupportedCommunities = False */
	char		*advertised_host;	/* (+) AdvertisedHost (NAT), or NULL */
	char		*file;
};

struct nsf_connectivity {		/* CommunityConnectivity */
	char		*vpmx_hostname;		/* VPMX_HOSTNAME */
	uint16_t	 vpmx_port;		/* VPMX_PORT, default 1533 */
	int		 vphmx;			/* VPHMX, default true */
	char		*vphmx_hostname;	/* VPHMX_HOSTNAME */
	uint16_t	 vphmx_port;		/* VPHMX_PORT, default 80 */
	char		*vphttspmx_hostname;	/* VPHTTSPMX_HOSTNAME */
	uint16_t	 vphttspmx_port;	/* VPHTTSPMX_PORT, 0 = unset */
	struct nsf_cidr	*trusted_ips;		/* CommunityTrustedIps */
	size_t		 ntrusted_ips;
	char		*file;
};

struct nsfconf {
	char			*dir;
	struct nsf_gateway	 gateway;
	struct nsf_connectivity	 connectivity;
	struct nsf_extern	*externs;
	size_t			 nexterns;
	struct nsf_connector	*connectors;
	size_t			 nconnectors;
};

/* A list of validation errors, each "file:line: field: reason". */
struct nsfconf_errors {
	char	**msg;
	size_t	  n;
};

struct nsfconf	*nsfconf_load(const char *dir, struct nsfconf_errors *errs);
void		 nsfconf_free(struct nsfconf *);
void		 nsfconf_errors_clear(struct nsfconf_errors *);

/* The ExternCommunity owning a domain (exact or "*." wildcard,
 * case-insensitive, most specific wins), or NULL. */
const struct nsf_extern	*nsfconf_extern_for_domain(const struct nsfconf *,
			    const char *domain);
const struct nsf_extern	*nsfconf_extern_by_name(const struct nsfconf *,
			    const char *name);
const struct nsf_connector *nsfconf_connector_by_name(const struct nsfconf *,
			    const char *name);
/* Is the community enabled for this connector (SupportedCommunities)? */
int	nsfconf_community_enabled(const struct nsf_connector *,
	    const char *community_name);
/* Is the address in CommunityTrustedIps? */
int	nsfconf_ip_trusted(const struct nsfconf *, const struct sockaddr *);
int	nsfconf_cidr_match(const struct nsf_cidr *, size_t n,
	    const struct sockaddr *);

#endif
