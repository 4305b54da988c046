/* Private to libnsfconf: the line scanner and the value parsers. */
#ifndef STSIP_NSFCONF_INT_H
#define STSIP_NSFCONF_INT_H

#include "nsfconf.h"

/* One logical line of an ini file, as iniparser would classify it. */
enum { NSF_INI_BLANK, NSF_INI_SECTION, NSF_INI_FIELD, NSF_INI_OTHER };

struct nsf_ini_ent {
	int	kind;
	size_t	first;		/* 0-based first physical line */
	size_t	count;		/* physical lines (continuations with '\') */
	char	name[128];	/* section or field as spelt, truncated */
};

/* Next entry at or after *pos; 0 at the end of the file. */
int	nsf_ini_next(const struct nsf_ini *, size_t *pos, struct nsf_ini_ent *);

int	nsf_parse_bool(const char *, int *);
int	nsf_parse_port(const char *, uint16_t *);
int	nsf_valid_host(const char *);
int	nsf_valid_domain(const char *, int wildcard_ok);
int	nsf_parse_ip(const char *, struct nsf_cidr *);
/* 0, or -1 with *why saying what is wrong (static text). */
int	nsf_parse_cidr(const char *, struct nsf_cidr *, const char **why);

/* Like nsfconf_parse_doc(), and LINES (def->nfields + 1 entries, may be
 * NULL) gets each field's line, 0 if absent; LINES[nfields] the section's. */
int	nsf_parse_doc_lines(const struct nsf_docdef *, const char *path,
	    const char *shown, void *out, size_t *lines,
	    struct nsfconf_errors *);

/* Cross-document checks of a loaded set; lines[i] are the externs' and
 * connectors' line tables from nsf_parse_doc_lines(). */
void	nsf_check_set(struct nsfconf *, size_t **xlines, size_t **clines,
	    struct nsfconf_errors *);

#endif
