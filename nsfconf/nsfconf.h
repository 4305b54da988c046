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


/*
 * The document schema, shared by the loader, stconfig and the man page:
 * one table per document type, fields sorted by name (case-insensitive,
 * as iniparser folds keys to lower case).
 */
enum nsf_ftype {
	NSF_F_BOOL, NSF_F_PORT, NSF_F_NAME, NSF_F_HOST, NSF_F_IP,
	NSF_F_DOMAINS, NSF_F_COMMUNITIES, NSF_F_CIDRS, NSF_F_TRANSPORT,
};

struct nsf_fielddef {
	const char	*name;		/* canonical spelling */
	enum nsf_ftype	 type;
	const char	*dflt;		/* default as text, NULL if none */
	int		 required;
	size_t		 off;		/* offset of the member in its struct */
	size_t		 offn;		/* lists: offset of the item count */
};

struct nsf_docdef {
	const char	*name;		/* section and type: "ExternCommunity" */
	const char	*namefield;	/* NULL for the single documents */
	const struct nsf_fielddef *fields;
	size_t		 nfields;
};

extern const struct nsf_docdef nsfconf_docs[4];	/* sorted by name */
const struct nsf_docdef	*nsfconf_doc_lookup(const char *type);
const struct nsf_fielddef *nsfconf_field_lookup(const struct nsf_docdef *,
			    const char *name);
const char	*nsfconf_ftype_name(enum nsf_ftype);
/* Relative path of a document: "CommunityGateway.ini" or
 * "ExternCommunity/NAME.ini"; NULL if NAME is not a valid name. */
char		*nsfconf_doc_path(const struct nsf_docdef *, const char *name);
int		 nsfconf_valid_name(const char *name);
/* The names of the documents of a named type in DIR (file names without
 * ".ini"), sorted and NULL-ended; NULL with errno on failure. */
char	       **nsfconf_doc_names(const char *dir, const struct nsf_docdef *,
		    size_t *n);
void		 nsfconf_doc_names_free(char **);

/* Parse one document file alone (no cross-document checks) into the struct
 * OUT of the type of DEF; SHOWN names the file in errors.  Never crashes on
 * garbage: the entry point for fuzzing.  0 or -1 with errs.  Like every
 * loader here it is not thread-safe: iniparser reports syntax errors through
 * one global callback. */
int	nsfconf_parse_doc(const struct nsf_docdef *def, const char *path,
	    const char *shown, void *out, struct nsfconf_errors *errs);
void	nsfconf_doc_clear(const struct nsf_docdef *def, void *doc);
/* The raw text values of one document file, indexed like def->fields
 * (NULL = not set), for display; NULL and errs if it cannot be read. */
char  **nsfconf_doc_raw(const struct nsf_docdef *def, const char *path,
	    struct nsfconf_errors *errs);
void	nsfconf_doc_raw_free(const struct nsf_docdef *def, char **vals);

/* Load DIR as if the document file REL (relative to DIR) held the contents
 * of the file SUBST instead (SUBST NULL: as if REL did not exist).  Errors
 * still name DIR/REL.  This is how an edit is validated before it is made. */
struct nsfconf	*nsfconf_load_subst(const char *dir, const char *rel,
		    const char *subst, struct nsfconf_errors *errs);

void	nsfconf_error(struct nsfconf_errors *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Line-preserving edits of one ini file (stconfig): every line not edited
 * is kept byte for byte, comments included.
 */
struct nsf_ini;
struct nsf_ini	*nsf_ini_read(const char *path);	/* NULL, errno */
/* NULL with EILSEQ if BUF has a NUL byte (not a text file). */
struct nsf_ini	*nsf_ini_parse(const char *buf, size_t len);
void		 nsf_ini_free(struct nsf_ini *);
/* Set KEY in SECTION (replacing the first occurrence, keeping its spelling,
 * indentation and inline comment; else appended after the section's last
 * field; the section is added if absent).  0 or EINVAL (unwritable value). */
int		 nsf_ini_set(struct nsf_ini *, const char *section,
		    const char *key, const char *value);
/* Remove every line of KEY in SECTION; 0 or ENOENT. */
int		 nsf_ini_unset(struct nsf_ini *, const char *section,
		    const char *key);
/* The whole text, malloc'ed and NUL-terminated; *len its length. */
char		*nsf_ini_text(const struct nsf_ini *, size_t *len);
/* First line (1-based) of KEY in SECTION, 0 if absent. */
size_t		 nsf_ini_line(const struct nsf_ini *, const char *section,
		    const char *key);

/*
 * Transactions on a directory (stconfig).  nsfconf_lock() takes an exclusive
 * lock on DIR/.stconfig.lock (fd, or -1 and errno) so that read-modify-write
 * cycles of concurrent editors never lose an update.  nsfconf_commit()
 * writes TEXT as DIR/REL (TEXT NULL: deletes it) only if the whole document
 * set then has no error that it did not have before; the new file is
 * written to a temporary file in the same directory, fsync'ed and renamed,
 * so readers see the old or the new file, never a mix.  Returns 0; or -1
 * with the new errors in ERRS (nothing changed); or -1 with errno and ERRS
 * empty for a system error.  NOLD (may be NULL) receives the number of
 * errors the set still has after a successful commit.
 */
int	nsfconf_lock(const char *dir);
void	nsfconf_unlock(int fd);
int	nsfconf_commit(const char *dir, const char *rel, const char *text,
	    size_t len, struct nsfconf_errors *errs, size_t *nold);

#endif
